"""Forward model of energy-resolved Compton imaging: sheet beam → cell → pinhole → pixel spectra.

Set-up of Huang et al., J. Phys. Energy 2025 : a monochromatic sheet beam (25 × 0.25 mm²)
travels along +x through the cell at height ``beam_z``; photons scattered towards +z pass a pinhole
(Ø 0.2 mm, in a W plate) that images the illuminated plane 1:1 onto an 80 × 80-pixel CdZnTe detector.

Each voxel's spectrum is linear in its element densities, so the scene is described by a few *basis*
materials (each registered material, and for a Li host a second basis carrying the Li per unit x):
voxel spectrum = Σ_b w_b(voxel) K_b(θ, E). Every pixel's expected spectrum is then

    S(v, u, E) = Σ_b Σ_k h_k(E) W[v, u, b, k] K_b(θ_u, E),

with W the sum over the voxels imaged on the pixel of flux × time × illuminated volume × solid angle
× incident transmission × w_b × exit transmission at node energy E_k, and h_k the hat functions that
interpolate the exit transmission between ``n_energy_nodes`` energies (it changes smoothly over the
spectrum). θ_u is the scattering angle towards the pinhole of pixel column u. Cost: one pass over
the illuminated voxels, one sparse voxel → pixel sum and one batched matrix product — no loop over
voxels, pixels or spectra. The exit path is taken straight up (+z) to the top of the grid; the
tilt towards the pinhole (≤ 6° at the default 100 mm) is neglected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr
import xraydb
from scipy import ndimage, sparse
from scipy.constants import N_A

from .._checks import as_float_array, check_positive
from ..errors import InputError
from ..grid import Grid
from .compounds import is_li_host, number_densities
from .detector import CdZnTeDetector, hexitec
from .profiles import element_kernels

__all__ = ["ComptonScene", "Geometry", "expected_spectra", "frame_dataset", "simulate_frame"]


@dataclass(frozen=True)
class Geometry:
    """Beam, pinhole camera and exposure (SI). Defaults: Huang et al., J. Phys. Energy 2025.

    ``pinhole_distance_m`` (sample plane → pinhole = pinhole → detector at 1:1) and
    ``flux_per_m2`` (photons s⁻¹ m⁻² in the sheet) are not given in the paper: assumptions.
    ``polarization_phi``: azimuth between the scattering plane and the beam's linear polarization
    (π/2: vertical scattering of a horizontally polarized synchrotron beam); None: unpolarized.
    """

    incident_eV: float = 115e3
    beam_z: float = -0.5e-3
    beam_height_m: float = 0.25e-3
    beam_width_m: float = 25e-3
    pinhole_diameter_m: float = 0.2e-3
    pinhole_distance_m: float = 0.1
    magnification: float = 1.0
    field_centre_xy: tuple[float, float] | None = None
    flux_per_m2: float = 1.6e16
    exposure_s: float = 60.0
    polarization_phi: float | None = np.pi / 2
    assumptions: tuple[str, ...] = field(
        default=(
            "pinhole_distance_m = 0.1 m: not given by Huang et al. (only the 1:1 ratio)",
            "flux_per_m2 = 1.6e16: ~1e11 photons/s in a 25 x 0.25 mm^2 sheet at 115 keV (I12-JEEP order)",
        )
    )

    def __post_init__(self):
        for name in ("incident_eV", "beam_height_m", "beam_width_m", "pinhole_diameter_m", "pinhole_distance_m",
                     "magnification", "flux_per_m2", "exposure_s"):
            check_positive(name, getattr(self, name))

    @property
    def solid_angle(self) -> float:
        """Solid angle of the pinhole seen from the sample plane, sr."""
        return np.pi * (0.5 * self.pinhole_diameter_m) ** 2 / self.pinhole_distance_m**2


@dataclass
class ComptonScene:
    """A voxel cell for X-ray scattering: volume fractions of registered materials and Li content.

    fractions : (n_materials, nz, ny, nx) volume fraction of each of ``materials`` (sum ≤ 1; the rest
        is vacuum). li_content : (nz, ny, nx) x of the Li-host materials (ignored elsewhere).
    """

    grid: Grid
    materials: tuple[str, ...]
    fractions: np.ndarray
    li_content: np.ndarray | None = None

    def __post_init__(self):
        g = self.grid
        self.materials = tuple(self.materials)
        f = as_float_array("fractions", self.fractions, shape=(len(self.materials), *g.shape))
        if f.min() < 0 or f.sum(axis=0).max() > 1 + 1e-9:
            raise InputError("fractions: volume fractions must be >= 0 and sum to <= 1 in every voxel")
        self.fractions = f
        hosts = [is_li_host(m) for m in self.materials]
        if self.li_content is None:
            self.li_content = np.ones(g.shape)
        x = g.check_array("li_content", self.li_content, finite=False)
        xs = x[np.any(f[np.array(hosts, dtype=bool)] > 0, axis=0)] if any(hosts) else x[:0]
        if xs.size and (not np.all(np.isfinite(xs)) or xs.min() < 0 or xs.max() > 1.2):
            raise InputError(f"li_content: x of the Li hosts must lie in [0, 1.2], got [{xs.min():g}, {xs.max():g}]")
        self.li_content = np.nan_to_num(x)
        self._hosts = tuple(hosts)

    @property
    def elements(self) -> tuple[str, ...]:
        """Chemical elements of the scene's materials, sorted."""
        return self.basis()[1]

    def basis(self) -> tuple[list[str], tuple[str, ...], np.ndarray]:
        """(labels, elements, atoms per m³ per unit weight (n_basis, n_elements))."""
        rows, labels = [], []
        for m, host in zip(self.materials, self._hosts, strict=True):
            if host:
                n0, n1 = number_densities(m, 0.0), number_densities(m, 1.0)
                rows += [n0, {el: n1[el] - n0.get(el, 0.0) for el in n1}]
                labels += [m, f"{m}:Li per x"]
            else:
                rows.append(number_densities(m))
                labels.append(m)
        elements = tuple(sorted({el for r in rows for el in r}))
        dens = np.array([[r.get(el, 0.0) for el in elements] for r in rows])
        return labels, elements, dens

    def basis_weights(self, index=...) -> np.ndarray:
        """w_b per voxel (n_basis, ...): the material fraction, and fraction × x for the Li bases."""
        cols = []
        for i, host in enumerate(self._hosts):
            f = self.fractions[i][index]
            cols.append(f)
            if host:
                cols.append(f * self.li_content[index])
        return np.stack(cols)


def _element_cross_sections(elements, energies_eV) -> np.ndarray:
    """Attenuation cross section per atom σ_el(E), m² (n_elements, n_energies)."""
    e = np.asarray(energies_eV, dtype=float)
    return np.array([np.asarray(xraydb.mu_elam(el, e)) * 0.1 * xraydb.atomic_mass(el) * 1e-3 / N_A
                     for el in elements])


def _pixel_columns(geom: Geometry, grid: Grid, n_pixels: int, pitch: float):
    """Sample-plane pixel size, field centre and the x of each pixel column's centre."""
    size = pitch / geom.magnification
    cx, cy = geom.field_centre_xy or (float(grid.x.mean()), float(grid.y.mean()))
    u_centres_x = cx - (np.arange(n_pixels) + 0.5 - n_pixels / 2) * size  # the image is inverted
    return size, cx, cy, u_centres_x


def expected_spectra(scene: ComptonScene, geom: Geometry, edges_eV, detector: CdZnTeDetector | None = None,
                     *, response: bool = True, n_energy_nodes: int = 6, blur: bool = True) -> np.ndarray:
    """Expected counts (n_pixels, n_pixels, n_bins) on the detector, rows = y, columns = x (inverted).

    ``detector``: pixel count, pitch and response (default: HEXITEC). ``response=False`` returns the
    photon spectra reaching the pixels; ``blur=False`` drops the pinhole's geometric blur.
    ``n_energy_nodes``: energies at which the exit transmission is computed and interpolated
    between (more near the Compton peak, where the counts are).
    """
    edges = as_float_array("edges_eV", edges_eV, ndim=1)
    if edges.size < 2 or np.any(np.diff(edges) <= 0) or edges[0] < 0:
        raise InputError("edges_eV: need ≥ 2 increasing energies ≥ 0 eV")
    if int(n_energy_nodes) != n_energy_nodes or n_energy_nodes < 2:
        raise InputError(f"n_energy_nodes: must be an integer >= 2, got {n_energy_nodes!r}")
    det = detector or hexitec()
    n_pix = int(det.n_pixels)
    centres = 0.5 * (edges[1:] + edges[:-1])
    nodes = _energy_nodes(centres, geom, int(n_energy_nodes))
    _labels, elements, dens = scene.basis()
    slab, active, base, t_out = _illuminated(scene, geom, elements, dens, nodes)
    size, cx, cy, u_x = _pixel_columns(geom, scene.grid, n_pix, det.pixel_pitch_m)
    weights = _pixel_weights(scene, geom, slab, active, base, t_out, n_pix, size, cx, cy)  # (v, u, b·k)
    if blur:
        weights = _pinhole_blur(weights, geom, size)
    theta = np.arctan2(geom.pinhole_distance_m, cx - u_x)  # angle between +x and the ray to the pinhole
    k_el = element_kernels(elements, geom.incident_eV, theta, edges, phi=geom.polarization_phi)
    k_b = np.einsum("be,eun->ubn", dens[active], k_el)  # (u, active bases, n_bins)
    kh = (k_b[:, :, None, :] * _hat_functions(nodes, centres)[None, None]).reshape(n_pix, -1, centres.size)
    # one product per column u, in float32 (expected counts need no more) and in (u, v) order so that
    # no copy is made before the detector response, which treats every spectrum alike. einsum's
    # single-threaded loop beats 80 small threaded BLAS calls, by far on a busy machine.
    w_uv = np.ascontiguousarray(weights.transpose(1, 0, 2), dtype=np.float32)
    spectra = np.einsum("uvc,ucn->uvn", w_uv, kh.astype(np.float32))
    np.clip(spectra, 0.0, None, out=spectra)
    if response:
        spectra = det.respond(spectra, edges)
        np.clip(spectra, 0.0, None, out=spectra)
    return spectra.transpose(1, 0, 2)


def _energy_nodes(centres: np.ndarray, geom: Geometry, n: int) -> np.ndarray:
    """The spectrum's ends plus n − 2 nodes over the Compton peak ±20 keV."""
    lo, hi = max(centres[0], 1e3), centres[-1]
    if n == 2:
        return np.array([lo, hi])
    from .kinematics import compton_energy

    ec = float(compton_energy(geom.incident_eV, np.pi / 2))
    inner = np.linspace(max(lo, ec - 20e3), min(hi, ec + 20e3), n - 2)
    return np.unique(np.concatenate([[lo], inner, [hi]]))


def _illuminated(scene: ComptonScene, geom: Geometry, elements, dens: np.ndarray, nodes: np.ndarray):
    """Slab layers, bases present in the slab, photons per unit kernel and exit transmissions.

    Returns (z indices of the slab, active-basis mask, base (nzs, ny, nx) = flux · t · V ·
    illuminated fraction · Ω · incident transmission, T_out (n_nodes, nzs, ny, nx)).
    """
    g = scene.grid
    zlo, zhi = g.z - g.dz / 2, g.z + g.dz / 2
    illum = np.clip(np.minimum(zhi, geom.beam_z + geom.beam_height_m / 2)
                    - np.maximum(zlo, geom.beam_z - geom.beam_height_m / 2), 0, None) / g.dz
    zs = np.flatnonzero(illum > 0)
    if zs.size == 0:
        raise InputError(f"beam_z: the sheet at z = {geom.beam_z:g} m misses the grid (z in [{zlo[0]:g}, {zhi[-1]:g}])")
    mu_b = dens @ _element_cross_sections(elements, np.concatenate([[geom.incident_eV], nodes]))
    w_up = scene.basis_weights(np.s_[zs[0]:])  # the slab and everything above it
    w_slab = w_up[:, : zs.size]
    active = w_slab.reshape(w_slab.shape[0], -1).any(axis=1)
    mu_in = np.tensordot(mu_b[:, 0], w_slab, axes=1) * g.dx  # along +x, half of the own voxel
    t_in = np.exp(-(np.cumsum(mu_in, axis=-1) - 0.5 * mu_in))
    mu_out = np.tensordot(mu_b[:, 1:].T, w_up, axes=1) * g.dz  # straight up, at each node energy
    above = np.cumsum(mu_out[:, ::-1], axis=1)[:, ::-1][:, : zs.size] - 0.5 * mu_out[:, : zs.size]
    scale = geom.flux_per_m2 * geom.exposure_s * g.voxel_volume * geom.solid_angle
    return zs, active, scale * illum[zs][:, None, None] * t_in, np.exp(-above)


def _pixel_weights(scene, geom, zs, active, base, t_out, n_pix, size, cx, cy) -> np.ndarray:
    """W[v, u, (b, k)]: Σ over the voxels imaged on pixel (v, u) of base · w_b · T_out,k."""
    g = scene.grid
    u = np.floor((cx - g.x) / size + n_pix / 2).astype(int)
    v = np.floor((cy - g.y) / size + n_pix / 2).astype(int)
    in_beam = np.abs(g.y - cy) <= geom.beam_width_m / 2
    ok = ((v >= 0) & (v < n_pix) & in_beam)[:, None] & ((u >= 0) & (u < n_pix))[None, :]
    pix = np.broadcast_to(v[:, None] * n_pix + u[None, :], base.shape).ravel()
    mask = np.broadcast_to(ok, base.shape).ravel()
    to_pix = sparse.csr_matrix((np.ones(mask.sum()), (pix[mask], np.flatnonzero(mask))),
                               shape=(n_pix * n_pix, base.size))
    w_slab = scene.basis_weights(np.s_[zs[0] : zs[-1] + 1])[active]
    data = (base[None, None] * w_slab[:, None] * t_out[None]).reshape(-1, base.size)
    return np.asarray(to_pix @ data.T).reshape(n_pix, n_pix, -1)


def _hat_functions(nodes: np.ndarray, energies: np.ndarray) -> np.ndarray:
    """Linear interpolation weights h_k(E) (n_nodes, n_energies); constant beyond the end nodes."""
    eye = np.eye(nodes.size)
    return np.stack([np.interp(energies, nodes, row) for row in eye])


def _pinhole_blur(weights: np.ndarray, geom: Geometry, pixel_m: float) -> np.ndarray:
    """Convolve the pixel images with the pinhole's projected disk (diameter d (1 + M) / M in the
    sample plane), sampled on a 9 × 9 sub-grid per pixel."""
    diameter = geom.pinhole_diameter_m * (1 + geom.magnification) / geom.magnification
    r_pix = 0.5 * diameter / pixel_m
    half = int(np.ceil(r_pix + 0.5))
    sub = (np.arange(9) + 0.5) / 9 - 0.5
    offs = np.arange(-half, half + 1)
    yy = (offs[:, None, None, None] + sub[None, None, :, None])
    xx = (offs[None, :, None, None] + sub[None, None, None, :])
    disk = ((yy**2 + xx**2) <= r_pix**2).mean(axis=(2, 3))
    disk /= disk.sum()
    return ndimage.convolve(weights, disk[:, :, None], mode="constant")


def simulate_frame(scene: ComptonScene, geom: Geometry, edges_eV, detector: CdZnTeDetector | None = None, *,
                   seed: int | np.random.Generator = 0, **kw) -> tuple[np.ndarray, np.ndarray]:
    """(Poisson counts, expected counts), both (n_pixels, n_pixels, n_bins)."""
    expected = expected_spectra(scene, geom, edges_eV, detector, **kw)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.poisson(expected).astype(np.float64), expected


def frame_dataset(counts, edges_eV, geom: Geometry, expected=None) -> xr.Dataset:
    """A detector frame as an xarray.Dataset (dims v, u, energy; energy in eV) with the geometry."""
    edges = as_float_array("edges_eV", edges_eV, ndim=1)
    c = as_float_array("counts", counts, ndim=3)
    if c.shape[-1] != edges.size - 1:
        raise InputError(f"edges_eV: need {c.shape[-1] + 1} edges for frames with {c.shape[-1]} bins")
    data = {"counts": (("v", "u", "energy"), c, {"units": "counts"})}
    if expected is not None:
        data["expected"] = (("v", "u", "energy"), np.asarray(expected), {"units": "counts"})
    ds = xr.Dataset(data, coords={"energy": ("energy", 0.5 * (edges[1:] + edges[:-1]), {"units": "eV"}),
                                  "energy_edges": ("energy_edge", edges, {"units": "eV"})})
    ds.attrs.update({k: v for k, v in geom.__dict__.items() if k != "assumptions" and v is not None})
    ds.attrs["assumptions"] = "; ".join(geom.assumptions)
    return ds
