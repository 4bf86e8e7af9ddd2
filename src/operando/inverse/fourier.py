"""Direct Fourier (inverse-filter) reconstructions of 2-D sources from one field map.

A 2-D sheet current (with continuity) and a 2-D magnetization with unidirectional moments are
uniquely determined by the field along one axis on one plane (Pollok et al., Nat. Commun. 2025; Roth,
Sepulveda & Wikswo 1989; Broadway et al. 2020). Each function here divides the map's spectrum by
the exact forward transfer function of the layer (:mod:`operando.magnetics.fourier`):

    S(k) = W(k) · conj(G(k)) / |G(k)|² · B_n(k)   where |G| > guard · max|G|, else 0

- the map is zero-padded (``pad`` × its size) against wrap-around;
- W is a low-pass window (default Hann with a cut-off wavelength equal to the standoff: the field
  of a wavelength λ decays as e^{−2π h/λ}, so shorter wavelengths hold mostly amplified noise);
- the guard zeroes wavenumbers where the map carries no information (k = 0 for a magnetization,
  the line kx = 0 for the current from B_x alone).

Several maps of the same source (e.g. B_x and B_y, or several NV axes) are combined by least
squares, ``S = W Σ_c conj(G_c) B_c / Σ_c |G_c|²``. The std maps for a given white-noise σ are
exact for the linear filter (:mod:`.uncertainty`); near the edges they ignore the taper.

Two forward models (``method``):

- ``"continuum"`` (default): G is the continuum transfer of a layer, exact for a field sampled
  from a band-limited source (measured maps, sources smooth on the pixel scale). Sources may
  extend beyond the map; the edge continuation (``taper``) limits the damage.
- ``"voxel"``: G is the exact discrete transfer of the voxel engine of :mod:`operando.magnetics`
  (uniform cuboids on the map's own lattice, field at the pixel centres) and the sources, taken to
  be zero outside the map, are the least-squares solution of that exact model (:mod:`.voxel`).
  Use it for maps simulated by the voxel engine (sources piecewise constant on the map's pixels),
  above all when the pixel is not small against the standoff: a noiseless round trip of the
  cell's particle map with 250 nm pixels seen from 50 nm returns to ~1e-10 instead of 2–3 %.
  The sources must lie inside the map; ``taper`` is not used, the window is applied to the
  solution, and the std maps are those of the windowed plain deconvolution (to which the exact
  inverse reduces away from the edges).

Units: with ``thickness = 0`` the source is a sheet and the result is a sheet density (current in
A/m, magnetization as moment per area in A); with ``thickness > 0`` the source is uniform through
the layer and the result is a volume density (A/m² and A/m).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import check_choice, check_positive, unit_vector
from ..errors import InputError
from ._input import field_map
from ._spectral import SpectralGrid, axis_transfer, guarded_inverse, lowpass_window
from .uncertainty import filter_noise_std
from .voxel import node_curl_filters, solve_voxel, voxel_transfer

WINDOWS = ("hann", "none")
METHODS = ("continuum", "voxel")


def _setup(B_map, dy, dx, component, standoff, thickness, depth, window, cutoff_wavelength,
           pad, taper, nan_policy, method):
    check_choice("method", method, METHODS)
    fm = field_map(B_map, dy, dx, component, nan_policy)
    standoff = check_positive("standoff", standoff, unit="m")
    thickness = check_positive("thickness", thickness, allow_zero=True, unit="m")
    depth = check_positive("depth", depth, allow_zero=True, unit="m")
    check_choice("window", window, WINDOWS)
    if cutoff_wavelength is None:
        cutoff_wavelength = standoff + depth
    cutoff_wavelength = check_positive("cutoff_wavelength", cutoff_wavelength, unit="m")
    spec = SpectralGrid.for_map(fm.values.shape[1:], fm.dy, fm.dx, pad=pad)
    if method == "voxel" and min(np.divide(spec.padded, spec.shape)) < 2:
        # the discrete convolution is exact (no wrap-around) only on a grid twice the map
        spec = SpectralGrid.for_map(fm.values.shape[1:], fm.dy, fm.dx, pad=2)
    W = lowpass_window(spec, cutoff_wavelength, window)
    if taper is None:
        taper = min(fm.values.shape[1:]) // 4 if method == "continuum" else 0
    taper = int(check_positive("taper", taper, allow_zero=True, unit="pixels"))
    if method == "voxel":
        taper = 0  # the exact model needs no edge continuation: sources end inside the map
    info = {
        "standoff_m": standoff,
        "depth_m": depth,
        "thickness_m": thickness,
        "window": window,
        "cutoff_wavelength_m": cutoff_wavelength if window != "none" else float("nan"),
        "sensing_axes": fm.axes.tolist(),
        "inpainted_pixels": fm.n_missing,
        "pad": pad,
        "taper_pixels": taper,
        "method": method,
    }
    return fm, spec, W, info


def _transfer_and_sources(kind, fm, spec, W, info, guard, direction=None):
    """Transfer functions G (n_axes, ...), the filter H whose noise the result carries, and the
    source spectrum before the window: the stream function (current) or M (magnetization)."""
    h, top, bottom = info["standoff_m"], info["depth_m"], info["depth_m"] + info["thickness_m"]
    if info["method"] == "continuum":
        G = np.stack([axis_transfer(kind, spec, a, h, top, bottom, direction) for a in fm.axes])
        H = guarded_inverse(G, W, guard)
        return H, np.sum(H * spec.fft(fm.values, info["taper_pixels"]), axis=0)
    G = np.stack([voxel_transfer(kind, spec, a, h, top, bottom, direction) for a in fm.axes])
    source, H, solver_info = solve_voxel(spec, G, fm.values, guard)
    info.update(solver_info)
    return W * H, W * spec.fft(source)


def _to_dataset(fm, maps: dict, attrs: dict, nan_policy: str) -> xr.Dataset:
    coords = {
        "y": xr.DataArray(fm.y, dims="y", attrs={"units": "m"}),
        "x": xr.DataArray(fm.x, dims="x", attrs={"units": "m"}),
    }
    data = {}
    for name, (values, units, long_name) in maps.items():
        values = np.array(values, dtype=float)
        if nan_policy == "mask":
            values[fm.missing] = np.nan
        data[name] = xr.DataArray(values, dims=("y", "x"),
                                  attrs={"units": units, "long_name": long_name})
    data["missing"] = xr.DataArray(
        fm.missing, dims=("y", "x"), attrs={"units": "", "long_name": "pixel not finite in input"}
    )
    return xr.Dataset(data, coords=coords, attrs=attrs)


def sheet_current_from_field(
    B_map,
    dy: float | None = None,
    dx: float | None = None,
    *,
    standoff: float,
    thickness: float = 0.0,
    depth: float = 0.0,
    component="z",
    window: str = "hann",
    cutoff_wavelength: float | None = None,
    guard: float = 1e-9,
    noise_sigma: float | None = None,
    pad: float = 2,
    taper: int | None = None,
    nan_policy: str = "inpaint",
    method: str = "continuum",
) -> xr.Dataset:
    """In-plane current (Jx, Jy) of a 2-D layer from the field along one axis on one plane.

    Parameters
    ----------
    B_map : (ny, nx) field along ``component`` (T); or a vector map (3, ny, nx) ordered
        (Bx, By, Bz) / DataArray with a ``component`` dimension, from which each requested axis is
        projected (the components it needs must be measured); or (n, ny, nx) maps along the
        n ≠ 3 axes listed in ``component``.
    dy, dx : pixel size (m); read from the DataArray's y/x coordinates when omitted.
    standoff : sensor height above the sample surface, m (> 0).
    thickness, depth : the layer spans depth .. depth + thickness below the surface, m.
    component : ``"x"``, ``"y"``, ``"z"``, a 3-vector (e.g. an NV axis), or a sequence of these
        (e.g. ``("x", "y")``), combined by least squares. B_x alone is blind to the wavenumbers
        kx = 0 (its transfer ∝ kx), B_y alone to ky = 0; B_z or any tilted NV axis sees all.
    window, cutoff_wavelength : low-pass window (``"hann"`` or ``"none"``) and its cut-off, m
        (default: standoff + depth).
    guard : wavenumbers with |G| < guard · max|G| are set to zero.
    pad, taper : padding factor of the FFT grid; edge continuation into the padding in pixels
        (default a quarter of the smaller map side; 0 = plain zero padding).
    noise_sigma : white-noise σ of the map (T); adds the propagated std maps ``Jx_std``, ``Jy_std``.
    nan_policy : ``"inpaint"`` (fill non-finite pixels, report them), ``"mask"`` (also NaN in the
        output) or ``"raise"``.
    method : ``"continuum"`` or ``"voxel"`` (exact for sources voxelized on the map's lattice and
        lying inside it; see the module doc). With ``"voxel"`` the current is that of a stream
        function on the voxel corners (:func:`.voxel.current_from_stream_function`), so every
        voxel conserves charge exactly; a current outside that model (not divergence-free in the
        plane, or crossing the map edge) has no exact solution there and is better served by
        ``"continuum"``.

    Returns
    -------
    Dataset with ``Jx``, ``Jy`` (A/m for a sheet, A/m² for thickness > 0) on dims (y, x), the
    ``missing`` mask, and attrs describing the filter.
    """
    fm, spec, W, info = _setup(B_map, dy, dx, component, standoff, thickness, depth, window,
                               cutoff_wavelength, pad, taper, nan_policy, method)
    H, g_hat = _transfer_and_sources("current", fm, spec, W, info, guard)
    cx, cy = spec.curl_filters() if method == "continuum" else node_curl_filters(spec)
    units = "A/m" if thickness == 0 else "A/m^2"
    maps = {
        "Jx": (spec.ifft(cx * g_hat), units, "current density along x"),
        "Jy": (spec.ifft(cy * g_hat), units, "current density along y"),
    }
    if noise_sigma is not None:
        maps["Jx_std"] = (filter_noise_std(spec, cx * H, noise_sigma), units, "std of Jx")
        maps["Jy_std"] = (filter_noise_std(spec, cy * H, noise_sigma), units, "std of Jy")
    info["source"] = "sheet current" if thickness == 0 else "current uniform through layer"
    return _to_dataset(fm, maps, info, nan_policy)


def magnetization_from_field(
    B_map,
    dy: float | None = None,
    dx: float | None = None,
    *,
    standoff: float,
    thickness: float = 0.0,
    depth: float = 0.0,
    direction=(0.0, 0.0, 1.0),
    component="z",
    window: str = "hann",
    cutoff_wavelength: float | None = None,
    guard: float = 1e-9,
    noise_sigma: float | None = None,
    pad: float = 2,
    taper: int | None = None,
    nan_policy: str = "inpaint",
    reference_mask=None,
    method: str = "continuum",
) -> xr.Dataset:
    """Magnetization of a 2-D layer along a known ``direction`` from the field along one axis.

    Same parameters as :func:`sheet_current_from_field`, plus ``direction`` (unit 3-vector of the
    moments, e.g. the applied field) and ``reference_mask``. The uniform part (k = 0) of a
    magnetized sheet produces no field, so the result is fixed up to a constant: it is shifted so
    that its median over ``reference_mask`` (pixels known to be non-magnetic; default the outer
    frame of 2 pixels of the map) is zero. With ``method="voxel"`` (see the module doc) sources
    vanish outside the map, which fixes the constant; the shift is then made only when a
    ``reference_mask`` is given.

    Returns a Dataset with ``M`` (A for a sheet = moment per area; A/m for thickness > 0), the
    ``missing`` mask, ``M_std`` if ``noise_sigma`` is given, and the filter attrs.
    """
    direction = unit_vector("direction", direction)
    fm, spec, W, info = _setup(B_map, dy, dx, component, standoff, thickness, depth, window,
                               cutoff_wavelength, pad, taper, nan_policy, method)
    H, M_hat = _transfer_and_sources("magnetization", fm, spec, W, info, guard, direction)
    M = spec.ifft(M_hat)
    if method == "continuum" or reference_mask is not None:
        M -= np.median(M[_reference(reference_mask, M.shape)])
    units = "A" if thickness == 0 else "A/m"
    maps = {"M": (M, units, "magnetization along direction")}
    if noise_sigma is not None:
        maps["M_std"] = (filter_noise_std(spec, H, noise_sigma), units, "std of M")
    info["direction"] = direction.tolist()
    info["source"] = "sheet magnetization" if thickness == 0 else "magnetization uniform in layer"
    return _to_dataset(fm, maps, info, nan_policy)


def _reference(reference_mask, shape) -> np.ndarray:
    if reference_mask is None:
        ref = np.ones(shape, dtype=bool)
        ref[2:-2, 2:-2] = False
        return ref
    ref = np.asarray(getattr(reference_mask, "values", reference_mask), dtype=bool)
    if ref.shape != shape or not ref.any():
        raise InputError(f"reference_mask: expected a boolean {shape} mask with at least one "
                         f"True pixel, got shape {ref.shape}")
    return ref
