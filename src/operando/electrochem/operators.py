"""Finite-volume operators on the voxel grid (2-D and 3-D, anisotropic spacing).

Unknowns live at voxel centres. Two voxels ``a`` and ``b`` sharing a face of area ``A`` at centre
distance ``d`` exchange the flux ``T (u_a - u_b)`` with the transmissibility

    T = A / (d / (2 k_a) + d / (2 k_b)) = A * 2 k_a k_b / ((k_a + k_b) d),

i.e. two half-voxel resistors in series: the harmonic mean of the voxel conductivities ``k`` (S/m,
or m²/s for diffusion). A voxel with ``k = 0`` carries nothing, so a mask of the conducting phase is
simply ``k > 0``. A Dirichlet value imposed on an outer face of the domain acts through the
half-voxel transmissibility ``A k / (d / 2)``.

Axis order follows the arrays, ``(z, y, x)``: ``axis = 0`` is z, ``1`` is y, ``2`` is x. A 2-D
cross-section has ``nz = 1`` and no faces along z. Everything is vectorised over faces.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import InputError

AXIS_NAMES = {"z": 0, "y": 1, "x": 2}


def axis_index(axis) -> int:
    """``"z" | "y" | "x"`` or 0, 1, 2 → array axis index."""
    if isinstance(axis, str) and axis in AXIS_NAMES:
        return AXIS_NAMES[axis]
    if axis in (0, 1, 2) and not isinstance(axis, bool):
        return int(axis)
    raise InputError(f"axis: expected one of 'x', 'y', 'z' (or 2, 1, 0), got {axis!r}")


def face_area(spacing, axis: int) -> float:
    """Area (m²) of a voxel face normal to ``axis`` for ``spacing = (dz, dy, dx)``."""
    return float(np.prod([s for i, s in enumerate(spacing) if i != axis]))


def _pair(axis: int, ndim: int = 3):
    """Slices selecting the lower and upper voxel of each interior face along ``axis``."""
    lo = [slice(None)] * ndim
    hi = [slice(None)] * ndim
    lo[axis] = slice(None, -1)
    hi[axis] = slice(1, None)
    return tuple(lo), tuple(hi)


def face_transmissibilities(conductivity, spacing) -> list[np.ndarray]:
    """Harmonic-mean transmissibilities of the interior faces along z, y and x.

    conductivity : (nz, ny, nx) array, ≥ 0 (S/m or m²/s); zero marks a non-conducting voxel.
    spacing : (dz, dy, dx) in m.
    Returns three arrays (S or m³/s); the one for axis ``a`` has ``n_a - 1`` entries along ``a``.
    """
    k = np.asarray(conductivity, dtype=float)
    out = []
    for axis in range(3):
        lo, hi = _pair(axis)
        ka, kb = k[lo], k[hi]
        total = ka + kb
        # in place, one temporary per step: this runs on every voxel of large volumes
        hm = 2.0 * ka
        hm *= kb
        np.divide(hm, total, out=hm, where=total > 0)
        hm *= face_area(spacing, axis)
        hm /= spacing[axis]
        out.append(hm)
    return out


def boundary_transmissibility(conductivity, spacing, axis: int, side: str) -> np.ndarray:
    """Half-voxel transmissibility ``A k / (d/2)`` of the outer layer on ``side`` ("low"/"high")."""
    k = np.asarray(conductivity, dtype=float)
    layer = np.take(k, 0 if side == "low" else -1, axis=axis)
    return layer * face_area(spacing, axis) / (0.5 * spacing[axis])


def index_map(active) -> tuple[np.ndarray, int]:
    """Number the ``True`` voxels 0..n-1 in C order; returns (map with -1 elsewhere, n)."""
    active = np.asarray(active, dtype=bool)
    idx = np.full(active.shape, -1, dtype=np.int64)
    n = int(active.sum())
    idx[active] = np.arange(n)
    return idx, n


def face_pairs(idx: np.ndarray, trans: list[np.ndarray]):
    """Flattened (a, b, T) over all faces with T > 0 and both voxels numbered (``idx >= 0``)."""
    a_all, b_all, t_all = [], [], []
    for axis in range(3):
        lo, hi = _pair(axis)
        a, b, t = idx[lo].ravel(), idx[hi].ravel(), trans[axis].ravel()
        keep = (t > 0) & (a >= 0) & (b >= 0)
        a_all.append(a[keep])
        b_all.append(b[keep])
        t_all.append(t[keep])
    return np.concatenate(a_all), np.concatenate(b_all), np.concatenate(t_all)


def laplacian(idx: np.ndarray, n: int, trans: list[np.ndarray]) -> sp.csr_matrix:
    """Matrix ``L`` with ``(L u)_a = Σ_faces T (u_a - u_b)`` over the numbered voxels (n × n)."""
    a, b, t = face_pairs(idx, trans)
    rows = np.concatenate([a, b, a, b])
    cols = np.concatenate([a, b, b, a])
    vals = np.concatenate([t, t, -t, -t])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def face_fluxes(u, trans: list[np.ndarray]) -> list[np.ndarray]:
    """Flux ``T (u_lo - u_hi)`` through each interior face along +axis (NaN-safe: 0 where T = 0)."""
    u = np.asarray(u, dtype=float)
    out = []
    for axis in range(3):
        lo, hi = _pair(axis)
        with np.errstate(invalid="ignore"):
            f = trans[axis] * (u[lo] - u[hi])
        out.append(np.where(trans[axis] > 0, f, 0.0))
    return out


def pad_faces(interior: np.ndarray, axis: int, low=None, high=None) -> np.ndarray:
    """Interior face array (n_a - 1 along ``axis``) → all faces (n_a + 1), outer faces from
    ``low``/``high`` (layer arrays) or zero."""
    shape = list(interior.shape)
    shape[axis] += 2
    out = np.zeros(shape)
    inner = [slice(None)] * 3
    inner[axis] = slice(1, -1)
    out[tuple(inner)] = interior
    for side, val in ((0, low), (-1, high)):
        if val is not None:
            sl = [slice(None)] * 3
            sl[axis] = side
            out[tuple(sl)] = val
    return out


def centre_vectors(all_face_flux: list[np.ndarray], spacing) -> np.ndarray:
    """Face fluxes (A) on all faces (``n_a + 1`` along each axis) → centre flux densities.

    Each component is the mean of the densities on a voxel's two faces normal to it. Returns
    ``(3, nz, ny, nx)`` with components ordered x, y, z (A/m² for currents).
    """
    comps = []
    for axis in (2, 1, 0):
        f = all_face_flux[axis] / face_area(spacing, axis)
        lo, hi = _pair(axis)
        comps.append(0.5 * (f[lo] + f[hi]))
    return np.stack(comps)


def divergence(all_face_flux: list[np.ndarray]) -> np.ndarray:
    """Net outflow (A) of each voxel from fluxes on all faces (``n_a + 1`` along each axis)."""
    out = 0.0
    for axis in range(3):
        lo, hi = _pair(axis)
        out = out + all_face_flux[axis][hi] - all_face_flux[axis][lo]
    return out
