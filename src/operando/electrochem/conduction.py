"""Steady conduction through one phase of a voxel volume: effective conductivity and tortuosity.

The quantity TauFactor computes. A potential difference ``ΔU`` is imposed between the two outer
faces normal to ``axis`` (Dirichlet at half a voxel from the first and last voxel centres, as
TauFactor does), the other outer faces are insulating, and the steady flux ``I`` through the
phase gives

    σ_eff = I L / (A ΔU),   ε = phase volume fraction,   τ = ε σ_0 / σ_eff,

with ``L`` the length along ``axis`` and ``A`` the cross-section. Voxels of the phase that are not
connected (6-connectivity) to both faces carry no steady current and are dropped before solving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from .._checks import check_positive
from ..errors import InputError
from .linsolve import solve_spd
from .operators import (
    axis_index,
    boundary_transmissibility,
    face_area,
    face_transmissibilities,
    index_map,
    laplacian,
)

#: "auto" solves up to this many percolating voxels directly (sparse LU), more by multigrid: in 3-D
#: the LU's fill-in makes it slower than multigrid from a few thousand unknowns on (0.07 s against
#: 0.007 s at 5,000; 0.8 s against 0.02 s at 15,000), on 2-D sections only from about 2·10⁵. Below
#: 5,000 the LU costs less than compiling the multigrid kernels on a fresh install (~20 s)
DIRECT_LIMIT_3D = 5_000
DIRECT_LIMIT_2D = 200_000
METHODS = ("auto", "direct", "amg", "multigrid")


@dataclass(frozen=True)
class SteadyConduction:
    """Result of :func:`steady_conductivity` (conductivities in the units of the input)."""

    effective_conductivity: float
    volume_fraction: float
    tortuosity_factor: float
    relative_conductivity: float  # σ_eff / σ_0 (TauFactor's D_rel)
    percolating_fraction: float  # fraction of the phase connected to both faces
    potential: np.ndarray  # (nz, ny, nx), NaN outside the percolating phase, V (ΔU = 1)


def _as_volume(volume) -> np.ndarray:
    arr = np.asarray(volume)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3 or arr.size == 0:
        raise InputError(
            f"volume: expected a 2-D (ny, nx) or 3-D (nz, ny, nx) array, got shape {arr.shape}"
        )
    return arr


def percolating(mask: np.ndarray, axis: int) -> np.ndarray:
    """Voxels of ``mask`` in 6-connected clusters that touch both outer faces normal to ``axis``."""
    labels, count = ndimage.label(mask)
    first = np.unique(np.take(labels, 0, axis=axis))
    last = np.unique(np.take(labels, -1, axis=axis))
    both = np.intersect1d(first, last)
    keep = np.zeros(count + 1, dtype=bool)  # a table lookup: np.isin sorts all the labels
    keep[both[both > 0]] = True
    return keep[labels]


def steady_conductivity(
    volume,
    phase=None,
    axis="x",
    *,
    conductivity=1.0,
    spacing=1.0,
    method: str = "auto",
    tol: float = 1e-10,
) -> SteadyConduction:
    """Effective conductivity, volume fraction and tortuosity factor of a phase.

    volume : (nz, ny, nx) or (ny, nx) array — boolean (True = phase) or integer labels.
    phase : label (or sequence of labels) that conducts; ``None`` means ``volume != 0``.
    axis : "x", "y" or "z" — direction of the imposed potential difference.
    conductivity : σ_0 of the phase (S/m, any consistent unit; the result scales with it), or a
        per-voxel map of the volume's shape (≥ 0; zero-conductivity voxels are dropped from the
        phase): relative conductivity and tortuosity are then relative to the map's mean over the
        phase.
    spacing : voxel size (dz, dy, dx) in m, or one float.
    method : "direct" (sparse LU), "amg" (pyamg-preconditioned CG, see
        :func:`operando.electrochem.linsolve.solve_spd`), "multigrid" (matrix-free multigrid CG,
        :mod:`operando.electrochem.multigrid`) or "auto" (direct up to :data:`DIRECT_LIMIT_3D`
        percolating voxels, :data:`DIRECT_LIMIT_2D` for a 2-D section, multigrid above).
    tol : relative residual of the iterative solvers.
    """
    vol = _as_volume(volume)
    ax = axis_index(axis)
    if method not in METHODS:
        raise InputError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    spacing = np.broadcast_to(np.asarray(spacing, dtype=float), (3,)).astype(float)
    for name, s in zip(("dz", "dy", "dx"), spacing, strict=True):
        check_positive(f"spacing {name}", s, unit="m")
    if phase is None:
        mask = vol != 0
    else:
        mask = np.zeros(vol.shape, dtype=bool)
        for label in np.unique(np.atleast_1d(phase)):  # one comparison per label beats np.isin
            mask |= vol == label
    eps = float(mask.mean())
    sigma_map, sigma0 = _conductivity_map(conductivity, vol.shape, mask)
    active = percolating(mask & (sigma_map > 0), ax)
    n_active = int(active.sum())
    if n_active == 0:
        return SteadyConduction(0.0, eps, np.inf, 0.0, 0.0, np.full(vol.shape, np.nan))

    k = np.where(active, sigma_map, 0.0)
    trans = face_transmissibilities(k, spacing)
    # Dirichlet faces: U = 1 on the low side, 0 on the high side, through half-voxel resistors
    t_low = boundary_transmissibility(k, spacing, ax, "low")
    t_high = boundary_transmissibility(k, spacing, ax, "high")
    if method == "auto":
        limit = DIRECT_LIMIT_2D if min(vol.shape) == 1 else DIRECT_LIMIT_3D
        method = "direct" if n_active <= limit else "multigrid"
    if method == "multigrid":
        u = _solve_multigrid(vol.shape, trans, t_low, t_high, ax, tol)
    else:
        u = _solve_assembled(active, trans, t_low, t_high, ax, method, tol)
    current = _dissipation(u, trans, t_low, t_high, ax)
    length = vol.shape[ax] * spacing[ax]
    area = face_area(spacing, ax) * np.prod([vol.shape[i] for i in range(3) if i != ax])
    sigma_eff = float(current * length / area)
    potential = np.where(active, u, np.nan)
    rel = sigma_eff / sigma0
    tau = eps / rel if rel > 0 else np.inf
    return SteadyConduction(
        sigma_eff, eps, float(tau), float(rel), n_active / max(mask.sum(), 1), potential
    )


def _conductivity_map(conductivity, shape, mask) -> tuple[np.ndarray, float]:
    """(per-voxel σ, reference σ_0) from a scalar σ_0 or a map of ``shape``."""
    if np.ndim(conductivity) == 0:
        sigma0 = check_positive("conductivity", conductivity, unit="S/m")
        return np.full(shape, sigma0), sigma0
    sigma = np.asarray(conductivity, dtype=float)
    if sigma.ndim == 2:
        sigma = sigma[None]
    if sigma.shape != shape:
        raise InputError(f"conductivity: a map must have the volume's shape {shape}, got {sigma.shape}")
    if not np.all(np.isfinite(sigma)) or np.any(sigma < 0):
        raise InputError("conductivity: a map must be finite and ≥ 0 S/m everywhere")
    if not mask.any():
        return sigma, 1.0  # nothing conducts; σ_0 is never used
    sigma0 = float(sigma[mask].mean())
    if sigma0 <= 0:
        raise InputError("conductivity: the map is zero over the whole phase; expected some σ > 0 S/m")
    return sigma, sigma0


def _dissipation(u, trans, t_low, t_high, axis: int) -> float:
    """Power (W for ΔU = 1 V) dissipated by the potential ``u`` (nz, ny, nx): Σ T (Δu)² over the
    faces, the two Dirichlet faces included.

    It equals the current I (A) for the exact solution and exceeds it by ``eᵀ A e`` for a
    potential with error ``e`` (Dirichlet's principle): the error is quadratic, where the flux
    through a boundary face carries it at first order. On a random 128³ volume solved to a 1e-6
    relative residual, τ from the dissipation is within 1e-9 of the exact value, τ from the
    boundary fluxes within 3e-5.
    """
    power = 0.0
    for ax, t in enumerate(trans):
        du = np.diff(u, axis=ax)
        du *= du
        power += np.vdot(t, du)
    u_low = np.take(u, 0, axis=axis)
    u_high = np.take(u, -1, axis=axis)
    power += np.vdot(t_low, (1.0 - u_low) ** 2) + np.vdot(t_high, u_high**2)
    return float(power)


def _layer(shape, axis: int, side: int, values) -> np.ndarray:
    """(nz, ny, nx) array, zero except ``values`` on the outer layer ``side`` (0 or −1) of
    ``axis``."""
    out = np.zeros(shape)
    sl = [slice(None)] * 3
    sl[axis] = side
    out[tuple(sl)] = values
    return out


def _solve_multigrid(shape, trans, t_low, t_high, axis, tol) -> np.ndarray:
    """Potential (nz, ny, nx), 0 outside the conducting voxels, by :func:`solve_grid`."""
    rhs = _layer(shape, axis, 0, t_low)  # U = 1 behind the low face
    extra = rhs + _layer(shape, axis, -1, t_high)
    # imported here: the module loads numba (when installed), which only this path needs
    from . import multigrid

    u, _ = multigrid.solve_grid(trans, extra, rhs, extra_axis=axis, tol=tol)
    return u


def _solve_assembled(active, trans, t_low, t_high, axis, method, tol) -> np.ndarray:
    """Potential (nz, ny, nx), 0 outside ``active``, from the assembled sparse system."""
    idx, n = index_map(active)
    i_low = np.take(idx, 0, axis=axis)
    i_high = np.take(idx, -1, axis=axis)
    on_low = i_low >= 0
    on_high = i_high >= 0
    diag = np.zeros(n)
    rhs = np.zeros(n)
    np.add.at(diag, i_low[on_low], t_low[on_low])
    np.add.at(diag, i_high[on_high], t_high[on_high])
    np.add.at(rhs, i_low[on_low], t_low[on_low])
    matrix = laplacian(idx, n, trans) + sp.diags(diag)
    u = np.zeros(active.shape)
    u[active] = solve_spd(matrix, rhs, method=method, tol=tol)
    return u
