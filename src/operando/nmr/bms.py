"""Bulk-magnetic-susceptibility (BMS) shifts of a cell: the field each nucleus sees, from the
cell's own χ(r) in B0, for any B0 direction, with the Lorentz-sphere correction.

The physics and the exact voxel kernels are in :mod:`operando.magnetics.volume`; this module
turns a cell (phases → χ) into shift maps (ppm) and shift tensors, and models the Li-strip
orientation series of Trease et al. (quoted by Zheng, Liu & Xiang, J. Phys. Chem. C 2024:
272 / 265 / 252 / 242 ppm at 0 / 30 / 45 / 90° between the strip and B0).

**Span.** A thin strip's shift is ``χ (1/3 - N_bb)``: ``+χ/3`` with B0 in its plane, ``-2χ/3``
along its normal, a span of χ. With the CRC molar susceptibility of Li (14.2e-6 cm³/mol,
χ_SI = 1.37e-5) the span is ≈ 14 ppm; the paper's 30 ppm needs a χ about twice as large, or
reflects the strip's finite width, its surroundings and the spectra's skin-depth weighting;
``chi`` overrides are therefore a parameter of every function here.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_finite_scalar
from ..errors import InputError
from ..grid import Grid
from ..magnetics.volume import TENSOR_COMPONENTS, field_shift_in_volume, shift_tensor_in_volume

__all__ = [
    "b0_direction",
    "bms_shift",
    "bms_shift_tensor",
    "chi_map",
    "project_tensor",
    "strip_shifts",
]

PPM = 1e6


def b0_direction(polar: float = 0.0, azimuth: float = 0.0) -> np.ndarray:
    """Unit vector (x, y, z) of B0 in the cell frame: ``polar`` (rad) from the cell's z axis,
    ``azimuth`` (rad) from x toward y."""
    t = check_finite_scalar("polar", polar)
    p = check_finite_scalar("azimuth", azimuth)
    return np.array([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)])


def chi_map(cell, chi: dict | None = None, x=None) -> np.ndarray:
    """SI volume susceptibility per voxel from the cell's materials, (nz, ny, nx).

    ``chi``: overrides by phase name (e.g. ``{"li_metal": 2.4e-5, "dendrite": 2.4e-5}``); ``x``:
    LixCoO2 content passed to :meth:`Cell.property_map`.
    """
    out = cell.property_map("chi_volume", x=x)
    for phase, value in (chi or {}).items():
        v = check_finite_scalar(f"chi[{phase!r}]", value)
        if v <= -1:
            raise InputError(f"chi[{phase!r}]: volume susceptibility must be > -1, got {v!r}")
        out[cell.mask(phase)] = v
    return out


def _chi_grid(cell_or_chi, grid, chi):
    if grid is None:
        return chi_map(cell_or_chi, chi), cell_or_chi.grid
    if not isinstance(grid, Grid):
        raise InputError(f"grid: expected an operando.Grid, got {type(grid).__name__}")
    arr = as_float_array("chi", cell_or_chi)
    if np.any(arr <= -1):
        raise InputError(f"chi: volume susceptibility must be > -1, got min {arr.min()!r}")
    return arr, grid


def bms_shift(cell_or_chi, direction=(0.0, 0.0, 1.0), *, grid: Grid | None = None, chi=None) -> np.ndarray:
    """BMS shift (ppm) of every voxel for B0 along ``direction`` (x, y, z), (nz, ny, nx).

    Pass a cell (χ from its materials, ``chi`` overrides by phase) or a χ array with its ``grid``.
    """
    arr, g = _chi_grid(cell_or_chi, grid, chi)
    return PPM * field_shift_in_volume(arr, g, direction)


def bms_shift_tensor(cell_or_chi, *, grid: Grid | None = None, chi=None) -> np.ndarray:
    """BMS shift tensor (ppm) per voxel, (6, nz, ny, nx), components ``TENSOR_COMPONENTS``
    (xx, yy, zz, xy, xz, yz); traceless wherever χ is uniform around the voxel."""
    arr, g = _chi_grid(cell_or_chi, grid, chi)
    return PPM * shift_tensor_in_volume(arr, g)


def project_tensor(tensor, direction) -> np.ndarray:
    """``bᵀ σ b`` for tensors (6, ...) in the order of ``TENSOR_COMPONENTS`` and unit vector(s)
    ``direction`` (3,) or (3, m) → (...) or (m, ...)."""
    t = np.asarray(tensor)
    b = np.asarray(direction, dtype=float)
    b = b / np.linalg.norm(b, axis=0)
    idx = {c: i for i, c in enumerate(TENSOR_COMPONENTS)}
    bx, by, bz = (b[i].reshape(b[i].shape + (1,) * (t.ndim - 1)) for i in range(3))
    return (bx * bx * t[idx["xx"]] + by * by * t[idx["yy"]] + bz * bz * t[idx["zz"]]
            + 2 * (bx * by * t[idx["xy"]] + bx * bz * t[idx["xz"]] + by * bz * t[idx["yz"]]))


def strip_shifts(angles, *, chi: float = 1.3730e-5, thickness: float = 20e-6, width: float = 1e-3,
                 length: float = 2e-3, voxel: float = 20e-6, weights=None) -> np.ndarray:
    """Mean BMS shift (ppm) of a metal strip vs the angle (rad) between its plane and B0.

    The strip lies in the x–y plane (normal z); B0 turns from the x axis (angle 0, in the plane)
    toward the normal (π/2). Defaults: a 20 µm × 1 mm × 2 mm strip of Li (CRC χ) in
    20 µm voxels. ``weights`` (nz, ny, nx of the strip box) weight the average (e.g. skin depth).
    """
    a = as_float_array("angles", angles)
    chi = check_finite_scalar("chi", chi)
    n = [max(1, round(s / voxel)) for s in (thickness, width, length)]
    pad = [max(2, k // 2) for k in n]
    grid = Grid(tuple(k + 2 * p for k, p in zip(n, pad, strict=True)), voxel)
    inside = np.zeros(grid.shape, bool)
    inside[pad[0]: pad[0] + n[0], pad[1]: pad[1] + n[1], pad[2]: pad[2] + n[2]] = True
    tensor = bms_shift_tensor(np.where(inside, chi, 0.0), grid=grid)
    w = np.ones(inside.sum()) if weights is None else np.asarray(weights, float).ravel()
    mean = (tensor[:, inside] * w).sum(axis=1) / w.sum()
    dirs = np.stack([np.cos(a), np.zeros_like(a), np.sin(a)])
    return project_tensor(mean, dirs)
