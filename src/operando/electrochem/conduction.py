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
    labels, _ = ndimage.label(mask)
    first = np.unique(np.take(labels, 0, axis=axis))
    last = np.unique(np.take(labels, -1, axis=axis))
    both = np.intersect1d(first, last)
    both = both[both > 0]
    return np.isin(labels, both)


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
    conductivity : σ_0 of the phase (S/m, any consistent unit); the result scales with it.
    spacing : voxel size (dz, dy, dx) in m, or one float.
    method : "direct", "amg" or "auto" (see :func:`operando.electrochem.linsolve.solve_spd`).
    """
    vol = _as_volume(volume)
    ax = axis_index(axis)
    sigma0 = check_positive("conductivity", conductivity, unit="S/m")
    spacing = np.broadcast_to(np.asarray(spacing, dtype=float), (3,)).astype(float)
    for name, s in zip(("dz", "dy", "dx"), spacing, strict=True):
        check_positive(f"spacing {name}", s, unit="m")
    if phase is None:
        mask = vol != 0
    else:
        mask = np.isin(vol, np.atleast_1d(phase))
    eps = float(mask.mean())
    active = percolating(mask, ax)
    n_active = int(active.sum())
    if n_active == 0:
        return SteadyConduction(0.0, eps, np.inf, 0.0, 0.0, np.full(vol.shape, np.nan))

    k = np.where(active, sigma0, 0.0)
    idx, n = index_map(active)
    matrix = laplacian(idx, n, face_transmissibilities(k, spacing))
    # Dirichlet faces: U = 1 on the low side, 0 on the high side, through half-voxel resistors
    t_low = boundary_transmissibility(k, spacing, ax, "low")
    t_high = boundary_transmissibility(k, spacing, ax, "high")
    i_low = np.take(idx, 0, axis=ax)
    i_high = np.take(idx, -1, axis=ax)
    diag = np.zeros(n)
    rhs = np.zeros(n)
    on_low = i_low >= 0
    on_high = i_high >= 0
    np.add.at(diag, i_low[on_low], t_low[on_low])
    np.add.at(diag, i_high[on_high], t_high[on_high])
    np.add.at(rhs, i_low[on_low], t_low[on_low] * 1.0)
    import scipy.sparse as sp

    u = solve_spd(matrix + sp.diags(diag), rhs, method=method, tol=tol)
    # current in through the low face and out through the high face; average both for accuracy
    i_in = np.sum(t_low[on_low] * (1.0 - u[i_low[on_low]]))
    i_out = np.sum(t_high[on_high] * u[i_high[on_high]])
    current = 0.5 * (i_in + i_out)
    length = vol.shape[ax] * spacing[ax]
    area = face_area(spacing, ax) * np.prod([vol.shape[i] for i in range(3) if i != ax])
    sigma_eff = float(current * length / area)
    potential = np.full(vol.shape, np.nan)
    potential[active] = u
    rel = sigma_eff / sigma0
    tau = eps / rel if rel > 0 else np.inf
    return SteadyConduction(
        sigma_eff, eps, float(tau), float(rel), n_active / max(mask.sum(), 1), potential
    )
