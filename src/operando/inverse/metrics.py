"""Quality metrics of a reconstruction against ground truth (or against physics, for ∇·J).

All functions take plain arrays (or xarray objects, whose values are used) in SI units:
maps are ``(ny, nx)``, in-plane current densities ``(2, ny, nx)`` ordered (Jx, Jy).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_choice, check_positive, check_range
from ..errors import InputError


def _values(name, a):
    return as_float_array(name, getattr(a, "values", a), finite=False)


def interior_mask(shape, margin: int) -> np.ndarray:
    """Boolean ``(ny, nx)`` mask that excludes ``margin`` pixels along every edge."""
    ny, nx = shape[-2:]
    margin = int(margin)
    if margin < 0 or 2 * margin >= min(ny, nx):
        raise InputError(f"margin: must lie in [0, {min(ny, nx) // 2 - 1}] pixels, got {margin}")
    m = np.zeros((ny, nx), dtype=bool)
    m[margin : ny - margin, margin : nx - margin] = True
    return m


def relative_l2_error(estimate, truth, mask=None, margin: int = 0) -> float:
    """‖estimate − truth‖₂ / ‖truth‖₂ over the pixels in ``mask``, ``margin`` px from the edges.

    Leading axes (components) are summed over, so a ``(2, ny, nx)`` current counts both components.
    Non-finite estimate pixels (masked output) are left out.
    """
    est, tru = _values("estimate", estimate), _values("truth", truth)
    if est.shape != tru.shape:
        raise InputError(f"estimate: shape {est.shape} differs from truth {tru.shape}")
    keep = interior_mask(tru.shape, margin)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != keep.shape:
            raise InputError(f"mask: expected shape {keep.shape}, got {mask.shape}")
        keep &= mask
    keep = np.broadcast_to(keep, tru.shape) & np.isfinite(est)
    norm = np.linalg.norm(tru[keep])
    if norm == 0:
        raise InputError("truth: is zero over the selected pixels; the relative error is undefined")
    return float(np.linalg.norm(est[keep] - tru[keep]) / norm)


def current_through_cut(J, axis: str, index: int, spacing: float) -> float:
    """Net current crossing a straight cut of the map, A (for a sheet density J in A/m).

    ``axis="x"``: the cut is the column ``x = index`` and the current is Σ_y Jx · dy;
    ``axis="y"``: the cut is the row ``y = index`` and the current is Σ_x Jy · dx.
    ``spacing`` is the pixel size along the cut (dy or dx, m). For a volume density (A/m²)
    multiply the result by the layer thickness.
    """
    J = _values("J", J)
    if J.ndim != 3 or J.shape[0] != 2:
        raise InputError(f"J: expected (2, ny, nx) ordered (Jx, Jy), got shape {J.shape}")
    check_choice("axis", axis, ("x", "y"))
    spacing = check_positive("spacing", spacing, unit="m")
    n = J.shape[2] if axis == "x" else J.shape[1]
    idx = int(check_range("index", index, 0, n - 1))
    line = J[0, :, idx] if axis == "x" else J[1, idx, :]
    return float(np.nansum(line) * spacing)


def continuity_residual(J, dy: float, dx: float) -> np.ndarray:
    """∇·J of an in-plane current map ``(2, ny, nx)`` by central differences, A/m³ (sheets: A/m²).

    A reconstruction built from a stream function is divergence-free by construction; this is the
    check for currents from other sources (simulations, other software).
    """
    J = _values("J", J)
    if J.ndim != 3 or J.shape[0] != 2:
        raise InputError(f"J: expected (2, ny, nx) ordered (Jx, Jy), got shape {J.shape}")
    dy = check_positive("dy", dy, unit="m")
    dx = check_positive("dx", dx, unit="m")
    return np.gradient(J[0], dx, axis=1) + np.gradient(J[1], dy, axis=0)


def relative_continuity_residual(J, dy: float, dx: float, margin: int = 1) -> float:
    """‖∇·J‖ · pixel / ‖J‖ over the interior: dimensionless, ~1 for random maps, ≪ 1 if J is
    conserved."""
    div = continuity_residual(J, dy, dx)
    keep = interior_mask(div.shape, margin)
    J = _values("J", J)
    norm = np.linalg.norm(J[:, keep])
    if norm == 0:
        raise InputError("J: is zero everywhere; the relative residual is undefined")
    return float(np.linalg.norm(div[keep]) * min(dy, dx) * np.sqrt(2) / norm)


def edge_width(profile, spacing: float, low: float = 0.1, high: float = 0.9) -> float:
    """Distance over which a step profile rises from ``low`` to ``high`` of its full step, m.

    The plateaus are the medians of the first and last eighth of the profile; crossings are found
    by linear interpolation on the monotonic envelope, so a falling edge works as well.
    """
    p = _values("profile", profile)
    if p.ndim != 1 or p.size < 8:
        raise InputError(f"profile: expected a 1-D array of >= 8 samples, got shape {p.shape}")
    spacing = check_positive("spacing", spacing, unit="m")
    check_range("low", low, 0, 1, inclusive=(False, False))
    check_range("high", high, low, 1, inclusive=(False, False))
    n8 = max(1, p.size // 8)
    a, b = np.median(p[:n8]), np.median(p[-n8:])
    if a == b:
        raise InputError("profile: has no step (both plateaus equal)")
    frac = (p - a) / (b - a)
    env = np.maximum.accumulate(frac)  # monotonic envelope, robust to ringing
    s = np.arange(p.size) * spacing
    idx = np.arange(p.size)
    cross = []
    for level in (low, high):
        i = int(idx[env >= level][0])
        if i == 0:
            cross.append(s[0])
            continue
        f0, f1 = env[i - 1], env[i]
        cross.append(s[i - 1] + (level - f0) / (f1 - f0) * spacing)
    return float(cross[1] - cross[0])
