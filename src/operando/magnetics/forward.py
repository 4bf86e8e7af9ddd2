"""Magnetic field of voxelized magnetization and current density on planes above the sample.

Each voxel is a uniformly magnetized (or uniformly current-carrying) cuboid. Its field at the
observation points — the grid's (y, x) voxel centres on the planes z = h — is the exact closed
form of :mod:`operando.magnetics.kernels`; the sum over voxels is a linear convolution per source
layer, done with zero-padded FFTs (padded to at least 2n - 1, so that the finite sample is never
periodically repeated). The result is exact to rounding for any voxelized source, at any height.

Kernel spectra depend only on the grid spacing, the lateral size and the depths ``h - grid.top``;
they are cached (least recently used, within a memory budget) so that repeated calls on the same
geometry — inverse solvers, time series — pay only for the source FFTs.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import scipy.fft as sfft
from scipy.constants import mu_0

from .._checks import as_float_array
from ..errors import InputError
from ..grid import Grid
from .fourier import padded_shape
from .kernels import (
    CURRENT_COMPONENTS,
    MAGNETIZATION_COMPONENTS,
    PARITY,
    embed_with_parity,
    spectrum_is_real,
)
from .kernels import layer_kernels as _layer_kernels

__all__ = ["clear_kernel_cache", "oersted_field_from_current", "stray_field_from_magnetization"]

KERNEL_CACHE_BYTES = 512 * 2**20  # kernel spectra kept between calls (all geometries together)
_CACHE: OrderedDict = OrderedDict()


def clear_kernel_cache() -> None:
    """Forget every cached kernel spectrum."""
    _CACHE.clear()


def _check_grid(grid) -> Grid:
    if not isinstance(grid, Grid):
        raise InputError(f"grid: expected an operando.Grid, got {type(grid).__name__}")
    return grid


def _check_heights(heights, grid: Grid) -> np.ndarray:
    h = as_float_array("heights", heights)
    if h.ndim > 1 or h.size == 0:
        raise InputError(f"heights: expected one or more heights (1-D, m), got shape {h.shape}")
    h = np.atleast_1d(h)
    # grid.top carries the rounding of origin + nz·dz; a plane within 1e-9 dz of it is "on" it
    if np.any(h <= grid.top + 1e-9 * grid.dz):
        raise InputError(
            f"heights: every height must lie above the sample top z = {grid.top:g} m "
            f"(sensor outside the sample); got min {h.min():g} m"
        )
    return h


def _check_source(name: str, value, grid: Grid) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != (3, *grid.shape):
        raise InputError(
            f"{name}: expected shape (3, nz, ny, nx) = {(3, *grid.shape)} to match the grid, "
            f"got {arr.shape}"
        )
    return grid.check_array(name, arr, vector=True)


def _kernel_spectra(kind: str, grid: Grid, depths: np.ndarray, shape, needed: np.ndarray):
    """Yield ``(layer, spectra)`` per source layer (grid z index), spectra (ncomp, nh, Py, Px//2+1).

    ``needed[layer]`` False skips that layer's transforms when the spectra will not be cached.
    Kernel spectra are real or imaginary by parity (``kernels.spectrum_is_real``); both are
    stored as real arrays, the factor i being applied to the source spectra in :func:`_combine`.
    """
    key = (kind, grid.shape, grid.spacing, tuple(depths.tolist()), tuple(shape))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        yield from enumerate(_CACHE[key])
        return
    comps = MAGNETIZATION_COMPONENTS if kind == "magnetization" else CURRENT_COMPONENTS
    nbytes = grid.nz * len(comps) * depths.size * shape[0] * (shape[1] // 2 + 1) * 8
    keep = [None] * grid.nz if nbytes <= KERNEL_CACHE_BYTES else None
    buffer = np.zeros((len(comps), depths.size, *shape))  # zero outside the embedded blocks
    real = np.array([spectrum_is_real(PARITY[name]) for name in comps])[:, None, None, None]
    for layer, quadrant in _layer_kernels(kind, grid.spacing, depths, *grid.shape):
        if keep is None and not needed[layer]:
            continue
        for c, name in enumerate(comps):
            embed_with_parity(quadrant[c], PARITY[name], shape, out=buffer[c])
        spec = sfft.rfft2(buffer, workers=-1)
        spec = np.where(real, spec.real, spec.imag)
        if keep is not None:
            keep[layer] = spec
        yield layer, spec
    if keep is not None:
        _CACHE[key] = keep
        total = sum(s.nbytes for v in _CACHE.values() for s in v)
        while total > KERNEL_CACHE_BYTES and len(_CACHE) > 1:
            _, old = _CACHE.popitem(last=False)
            total -= sum(s.nbytes for s in old)


def _combine(kind: str, K, S):
    """Field spectra (3, nh, ...) from real kernel spectra K (ncomp, nh, ...), source spectra S.

    Odd-even kernel spectra are stored as their imaginary part, so they meet ``iS = 1j * S``.
    """
    iS = 1j * S
    if kind == "magnetization":
        kxx, kyy, kxy, kxz, kyz = K  # xz and yz imaginary
        return (
            kxx * S[0] + kxy * S[1] + kxz * iS[2],
            kxy * S[0] + kyy * S[1] + kyz * iS[2],
            kxz * iS[0] + kyz * iS[1] - (kxx + kyy) * S[2],
        )
    dx_, dy_, dz_ = K  # B = ∇W × J; ∂x W and ∂y W imaginary, ∂z W real
    return (
        dy_ * iS[2] - dz_ * S[1],
        dz_ * S[0] - dx_ * iS[2],
        dx_ * iS[1] - dy_ * iS[0],
    )


def _field(kind: str, source: np.ndarray, grid: Grid, heights: np.ndarray) -> np.ndarray:
    _, ny, nx = grid.shape
    shape = padded_shape(ny, nx, pad=2)
    acc = np.zeros((3, heights.size, shape[0], shape[1] // 2 + 1), dtype=complex)
    needed = np.any(source != 0, axis=(0, 2, 3))
    for layer, spectra in _kernel_spectra(kind, grid, heights - grid.top, shape, needed):
        src = source[:, layer]
        if not needed[layer]:
            continue
        S = sfft.rfft2(src, s=shape, workers=-1)[:, None]  # zero-padded, data in the corner
        for c, part in enumerate(_combine(kind, spectra, S)):
            acc[c] += part
    B = sfft.irfft2(acc, s=shape, workers=-1)[..., :ny, :nx]
    return (mu_0 / (4 * np.pi)) * B


def stray_field_from_magnetization(M, grid: Grid, heights) -> np.ndarray:
    """Stray field B (T) of a voxelized magnetization on planes above the sample.

    Parameters
    ----------
    M : (3, nz, ny, nx) array, A/m — components (Mx, My, Mz); each voxel uniformly magnetized.
    grid : the :class:`operando.Grid` of ``M``.
    heights : float or (nh,) array, m — planes z = h; each must exceed ``grid.top``.

    Returns
    -------
    B : (3, nh, ny, nx) array, T — (Bx, By, Bz) at the grid's (y, x) voxel centres on each plane.
    """
    grid = _check_grid(grid)
    h = _check_heights(heights, grid)
    M = _check_source("M", M, grid)
    return _field("magnetization", M, grid, h)


def oersted_field_from_current(J, grid: Grid, heights) -> np.ndarray:
    """Biot–Savart field B (T) of a voxelized current density on planes above the sample.

    Parameters
    ----------
    J : (3, nz, ny, nx) array, A/m² — (Jx, Jy, Jz), uniform inside each voxel. The field is the
        Biot–Savart integral of J as given; charge conservation (∇·J = 0) is the caller's business.
    grid : the :class:`operando.Grid` of ``J``.
    heights : float or (nh,) array, m — planes z = h; each must exceed ``grid.top``.

    Returns
    -------
    B : (3, nh, ny, nx) array, T.
    """
    grid = _check_grid(grid)
    h = _check_heights(heights, grid)
    J = _check_source("J", J, grid)
    return _field("current", J, grid, h)
