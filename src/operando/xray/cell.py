"""The PEO-LiTFSI | NMC622 | Li coin cell of Huang et al., J. Phys. Energy 2025 as an X-ray scene.

Layers along z (the detector looks down from +z), from the bottom up: casing, Al foil, NMC622
composite cathode (19.3 mg cm⁻² at 2.97 g cm⁻³ → 65 µm, Huang et al., J. Phys. Energy 2025), PEO-LiTFSI 30 µm,
Li metal 600 µm, stainless-steel spacer and cap. Thicknesses not in the paper (casing,
spacer, foil, electrode diameters) are CR2032 values, flagged in :data:`ASSUMPTIONS`. Partial
voxels at layer boundaries get exact volume fractions, so thin layers survive coarse voxels.
The three sheet-beam heights of the paper's region decomposition come with the scene.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import materials
from .._checks import as_float_array, check_positive
from ..grid import Grid
from .forward import ComptonScene

__all__ = ["ASSUMPTIONS", "CellStack", "cathode_thickness", "huang2025_scene", "region_beam_centres"]

ASSUMPTIONS = (
    "casing and cap: 316L steel 0.25 mm each (CR2032 typical)",
    "Al current collector 15 um",
    "stainless-steel spacer 0.5 mm above the Li (CR2032 typical; the spring is omitted)",
    "electrode diameters: cathode 14 mm, Li 15.6 mm, SPE 19 mm, casing inner 20 mm",
)


def cathode_thickness(areal_loading_kg_m2: float | None = None, density_kg_m3: float | None = None) -> float:
    """Cathode coating thickness (m) = areal loading / density; defaults from the registry
    (Huang et al., J. Phys. Energy 2025)."""
    comp = materials.get("NMC622_composite")
    load = areal_loading_kg_m2 if areal_loading_kg_m2 is not None else comp.value("areal_loading")
    rho = density_kg_m3 if density_kg_m3 is not None else comp.value("density")
    return check_positive("areal_loading_kg_m2", load) / check_positive("density_kg_m3", rho)


@dataclass(frozen=True)
class CellStack:
    """Layer thicknesses (m), bottom to top, and disc radii (m)."""

    casing: float = 0.25e-3
    collector: float = 15e-6
    cathode: float | None = None
    spe: float = 30e-6
    anode: float = 600e-6
    spacer: float = 0.5e-3
    cap: float = 0.25e-3
    r_cathode: float = 7.0e-3
    r_anode: float = 7.8e-3
    r_spe: float = 9.5e-3
    r_casing: float = 10.0e-3

    def layers(self) -> list[tuple[str, float, float]]:
        """(material, thickness, radius) from the bottom."""
        cat = self.cathode if self.cathode is not None else cathode_thickness()
        return [
            ("stainless_steel", self.casing, self.r_casing),
            ("Al", self.collector, self.r_cathode),
            ("NMC622_composite", cat, self.r_cathode),
            ("PEO_LiTFSI", self.spe, self.r_spe),
            ("Li", self.anode, self.r_anode),
            ("stainless_steel", self.spacer, self.r_anode),
            ("stainless_steel", self.cap, self.r_casing),
        ]

    def interfaces(self) -> dict[str, float]:
        """z (m) of the bottom of each layer, the top of the stack at z = 0."""
        thick = [t for _, t, _ in self.layers()]
        bottoms = -np.cumsum(thick[::-1])[::-1]
        names = ["casing", "collector", "cathode", "spe", "anode", "spacer", "cap"]
        return dict(zip(names, bottoms.tolist(), strict=True))

    @property
    def height(self) -> float:
        return float(sum(t for _, t, _ in self.layers()))


def region_beam_centres(stack: CellStack, beam_height_m: float = 0.25e-3) -> tuple[float, float, float]:
    """Sheet-beam centres (z, m) of regions 1–3 (Huang et al., J. Phys. Energy 2025): the beam's lower
    edge at the cathode's bottom (cathode + SPE + part of the anode), at the SPE's bottom (SPE + anode),
    and mid-anode."""
    z = stack.interfaces()
    half = 0.5 * beam_height_m
    return z["cathode"] + half, z["spe"] + half, z["anode"] + 0.5 * stack.anode


def huang2025_scene(voxel_xy: float = 0.25e-3, voxel_z: float = 25e-6, stack: CellStack | None = None,
                    li_content=1.0, margin_m: float = 0.25e-3) -> ComptonScene:
    """The coin cell on a voxel grid; ``li_content``: x of the cathode (scalar, an array (nz, ny, nx),
    or a profile (n,) through the cathode's thickness from the SPE side to the collector)."""
    st = stack or CellStack()
    layers = st.layers()
    half_w = st.r_casing + margin_m
    nxy = int(np.ceil(2 * half_w / check_positive("voxel_xy", voxel_xy)))
    nz = int(np.ceil(st.height / check_positive("voxel_z", voxel_z)))
    grid = Grid((nz, nxy, nxy), (voxel_z, voxel_xy, voxel_xy))
    zlo, zhi = grid.z - voxel_z / 2, grid.z + voxel_z / 2
    yy, xx = np.meshgrid(grid.y - grid.y.mean(), grid.x - grid.x.mean(), indexing="ij")
    rr = np.hypot(yy, xx)
    names = sorted({m for m, _, _ in layers}, key=[m for m, _, _ in layers].index)
    frac = np.zeros((len(names), *grid.shape))
    bottom = -st.height
    for m, t, radius in layers:
        overlap = np.clip(np.minimum(zhi, bottom + t) - np.maximum(zlo, bottom), 0, None) / voxel_z
        frac[names.index(m)] += overlap[:, None, None] * (rr <= radius)[None]
        bottom += t
    # the casing's side wall (0.25 mm ring) encloses the stack
    wall = (rr > st.r_casing - st.casing) & (rr <= st.r_casing)
    steel = names.index("stainless_steel")
    frac[:, :, wall] = 0.0
    frac[steel][:, wall] = 1.0
    x = _li_map(li_content, grid, frac[names.index("NMC622_composite")] > 0, zlo, zhi)
    return ComptonScene(grid, tuple(names), frac, x)


def _li_map(li_content, grid: Grid, cathode: np.ndarray, zlo, zhi) -> np.ndarray:
    val = np.asarray(li_content, dtype=float)
    if val.ndim == 0:
        return np.full(grid.shape, float(val))
    if val.shape == grid.shape:
        return val
    prof = as_float_array("li_content", val, ndim=1)
    zs = np.flatnonzero(cathode.any(axis=(1, 2)))
    # a through-thickness profile from the SPE side (top) to the collector (bottom), as
    # operando.xray.charge.cathode_profile gives it: resample onto the cathode's voxel layers
    depth = (zs.size - 1 - np.arange(zs.size) + 0.5) / zs.size  # 0 at the SPE, 1 at the collector
    out = np.ones(grid.shape)
    out[zs] = np.interp(depth, (np.arange(prof.size) + 0.5) / prof.size, prof)[:, None, None]
    return out
