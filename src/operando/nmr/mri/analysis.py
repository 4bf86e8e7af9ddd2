"""Li metal from MRI data: metal maps by chemical-shift selection (a displaced image or a CSI
window), Li-metal volume per layer along the cell axis with SNR-based errors (Liu et al., Nat.
Mater. 2025, Fig. 4b style), growth with charge passed, and the growth mechanism from the
deposits' ⁶Li abundance (:func:`operando.nmr.tracer.classify_mechanism`).

Volume calibration: thin deposits (≪ δ) give ``n_Li · V · R · S`` spins; a voxel's metal volume is
its signal over that (``calibration``). Thick metal counts only its skin (:mod:`.signal`), so the
volume returned is the volume the scan *sees* — the paper's "dendrite amount".
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft
import xarray as xr

from ..._checks import as_float_array, check_positive
from ...errors import GeometryError, InputError
from ..nuclei import receptivity
from ..tracer import classify_mechanism
from .kspace import k_axes
from .protocol import Protocol
from .recon import check_image
from .signal import _metal_density, relaxation, steady_state

__all__ = ["calibration", "growth", "layer_volumes", "mechanism", "select_shift", "support", "window_map"]


def calibration(protocol: Protocol, abundance=None) -> float:
    """Image signal (¹H-equivalent spins) per m³ of thin Li metal under ``protocol``."""
    relax = relaxation("Li_metal", protocol)
    return float(_metal_density(protocol.nucleus, abundance) * receptivity(protocol.nucleus)
                 * steady_state(protocol, relax))


def select_shift(image, protocol: Protocol, shift_ppm: float, mask=None) -> xr.DataArray:
    """The image of the species at ``shift_ppm`` moved back by its read displacement (an exact
    Fourier shift, wrapping like the data), kept where ``mask`` (bool, image shape) is True."""
    arr = check_image(image, protocol)
    ra = protocol.read_index
    d = float(protocol.displacement(shift_ppm))
    k = k_axes(protocol)[ra]
    ramp = np.exp(2j * np.pi * k * d)  # undo exp(-2πi k d)
    shape = [1, 1, 1]
    shape[ra] = k.size
    spec = sfft.fftshift(sfft.fftn(sfft.ifftshift(arr, axes=ra), axes=[ra]), axes=ra)
    back = sfft.fftshift(sfft.ifftn(sfft.ifftshift(spec * ramp.reshape(shape), axes=ra), axes=[ra]), axes=ra)
    if mask is not None:
        m = np.asarray(mask, bool)
        if m.shape != back.shape:
            raise GeometryError(f"mask: shape {m.shape} does not match the image {back.shape}")
        back = np.where(m, back, 0)
    out = xr.DataArray(back, dims=("z", "y", "x"), name="metal_image",
                       attrs={"units": "1H-equivalent spins", "shift_ppm": shift_ppm, "displacement_m": d})
    if isinstance(image, xr.DataArray):
        out = out.assign_coords(image.coords)
    return out


def support(occupied, grid, protocol: Protocol, centre) -> np.ndarray:
    """Image voxels (protocol matrix) that contain any ``occupied`` fine voxel of ``grid`` (the
    cell's footprint, projected along z for a 2-D protocol); ``centre``: FOV centre in the grid's frame."""
    occ = np.asarray(occupied, bool)
    if occ.shape != grid.shape:
        raise GeometryError(f"occupied: shape {occ.shape} does not match the grid {grid.shape}")
    out = np.zeros(protocol.matrix, bool)
    idx = []
    for coords, c, f, n in zip((grid.z, grid.y, grid.x), centre, protocol.fov, protocol.matrix, strict=True):
        if f is None or n == 1:
            idx.append(np.zeros(coords.size, np.int64))
            continue
        j = np.round((coords - c) / (f / n)).astype(np.int64) + n // 2
        idx.append(np.mod(j, n))
    zz, yy, xx = np.nonzero(occ)
    out[idx[0][zz], idx[1][yy], idx[2][xx]] = True
    return out


def window_map(csi: xr.DataArray, lo: float, hi: float, *, baseline: bool = True) -> xr.DataArray:
    """|∫ spectrum d ppm| over ``[lo, hi]`` ppm per voxel of a CSI dataset, a straight baseline
    through the window's edge points removed first (the tails of a strong neighbouring line)."""
    if not hi > lo:
        raise InputError(f"hi: must exceed lo = {lo!r} ppm, got {hi!r}")
    win = csi.sel(ppm=slice(lo, hi))
    if win.sizes["ppm"] < 4:
        raise InputError(f"lo, hi: the window [{lo}, {hi}] ppm holds fewer than 4 spectral points")
    v = win.values
    ppm = win.ppm.values
    step = abs(ppm[1] - ppm[0])
    if baseline:
        a, b = v[:2].mean(axis=0), v[-2:].mean(axis=0)
        frac = ((ppm - ppm[0]) / (ppm[-1] - ppm[0])).reshape(-1, 1, 1, 1)
        v = v - (a + frac * (b - a))
    out = np.abs(v.sum(axis=0) * step)
    return xr.DataArray(out, dims=("z", "y", "x"), coords={k: csi.coords[k] for k in ("z", "y", "x")},
                        name="window", attrs={"units": "1H-equivalent spins ppm", "window_ppm": [lo, hi]})


def layer_volumes(metal_image, x, edges, calib: float, sigma: float, *, reference=None) -> xr.Dataset:
    """Li-metal volume (m³) per layer along the cell axis x: the metal image (minus ``reference``,
    e.g. the pristine scan, subtracted as complex data so unchanged electrodes cancel) in
    magnitude, noise-corrected ``sqrt(max(|d|² − σ_d², 0))`` (the Rician floor), summed over the
    voxels with ``edges[i] <= x < edges[i+1]`` and divided by ``calib`` (signal per m³). Error:
    ``σ_d/√2 · sqrt(n_voxels)`` over ``calib`` with σ_d = ``sigma`` (√2 more with a reference), σ the
    complex image noise per voxel. Magnitudes, because BMS shifts scatter the metal's phase at TE."""
    img = np.asarray(getattr(metal_image, "values", metal_image), complex)
    xs = as_float_array("x", x, ndim=1)
    e = as_float_array("edges", edges, ndim=1)
    if e.size < 2 or np.any(np.diff(e) <= 0):
        raise InputError("edges: expected at least two increasing layer boundaries (m)")
    if img.shape[-1] != xs.size:
        raise GeometryError(f"x: {xs.size} coordinates for an image {img.shape[-1]} voxels along x")
    c = check_positive("calib", calib)
    s = check_positive("sigma", sigma, allow_zero=True)
    if reference is not None:
        img = img - np.asarray(getattr(reference, "values", reference), complex)
        s = s * np.sqrt(2)
    live = np.abs(img) > 0  # voxels outside the selection mask are exactly zero
    mag = np.where(live, np.sqrt(np.maximum(np.abs(img) ** 2 - s**2, 0.0)), 0.0)
    layer = np.digitize(xs, e) - 1
    n_layers = e.size - 1
    per_x = mag.reshape(-1, xs.size).sum(axis=0)
    n_x = live.reshape(-1, xs.size).sum(axis=0)
    ok = (layer >= 0) & (layer < n_layers)
    vol = np.bincount(layer[ok], per_x[ok], minlength=n_layers) / c
    count = np.bincount(layer[ok], n_x[ok], minlength=n_layers)
    err = s / np.sqrt(2) * np.sqrt(count) / c
    return xr.Dataset({"volume": ("layer", vol, {"units": "m^3"}), "error": ("layer", err, {"units": "m^3"})},
                      coords={"layer": np.arange(1, n_layers + 1), "x_lo": ("layer", e[:-1]), "x_hi": ("layer", e[1:])})


def growth(volumes: list[xr.Dataset], charge) -> xr.Dataset:
    """Per-layer volumes over a charge history: datasets of :func:`layer_volumes` stacked along
    ``charge_passed`` (C)."""
    q = as_float_array("charge", charge, ndim=1)
    if len(volumes) != q.size:
        raise InputError(f"charge: {q.size} values for {len(volumes)} scans")
    ds = xr.concat(volumes, dim="charge_passed").assign_coords(charge_passed=("charge_passed", q, {"units": "C"}))
    return ds


def mechanism(deposit_6li, electrode_6li, electrolyte_6li, tolerance: float = 0.0) -> np.ndarray:
    """Growth mechanism (1: plating at the interface, 2: reduction at grain boundaries, 0:
    neither) of deposits of ⁶Li fraction ``deposit_6li`` (part 1's tracer test)."""
    return classify_mechanism(deposit_6li, electrode_6li, electrolyte_6li, tolerance)
