"""Parallel-beam geometry: angles, their coverage of a half turn, detector coordinates.

Conventions: a slice is an image ``(ny, nx)`` (the x-y plane of the cell, rotation axis along z);
pixel centres sit at ``x_j = (j - (nx-1)/2)·d`` and ``y_i = (i - (ny-1)/2)·d``. The ray of angle θ
and detector coordinate t is the line ``x cos θ + y sin θ = t``; detector bin k has
``t_k = (k - center)·d`` with ``center = (n_det-1)/2`` unless the rotation axis is offset.
Sinograms are ``(n_angles, n_det)``, or ``(nz, n_angles, n_det)`` for a volume.
"""

from __future__ import annotations

import numpy as np

from ..._checks import as_float_array
from ...errors import InputError

#: a half turn is covered when no gap between directions exceeds this many uniform gaps (a
#: golden-angle sequence has gaps up to φ² ≈ 2.6 times the mean; a missing wedge far more)
MAX_GAP_RATIO = 3.0


def check_angles(angles, *, name: str = "angles") -> np.ndarray:
    """Projection angles in radians, checked to cover a half turn (θ and θ + π are one direction).

    Raises InputError naming ``name`` when fewer than two distinct directions are given or when
    a gap between directions (modulo π) is wider than ``MAX_GAP_RATIO`` uniform gaps — a
    limited-angle scan that filtered back-projection cannot invert.
    """
    a = as_float_array(name, angles, ndim=1)
    if a.size < 2:
        raise InputError(f"{name}: need at least 2 projection angles (radians), got {a.size}")
    d = np.mod(a, np.pi)
    d[d > np.pi - 1e-9] = 0.0  # π - ε is the direction 0
    directions = np.unique(np.round(d, 9))
    if directions.size < 2:
        raise InputError(f"{name}: all angles are one direction modulo 180°; need a half turn")
    gaps = np.diff(np.append(directions, directions[0] + np.pi))
    uniform = np.pi / directions.size
    if gaps.max() > MAX_GAP_RATIO * uniform + 1e-9:
        lo = np.degrees(directions[np.argmax(gaps)])
        raise InputError(
            f"{name}: the angles do not cover 180°: a gap of {np.degrees(gaps.max()):.3g}° after "
            f"{lo:.4g}° (mod 180°), more than {MAX_GAP_RATIO:g} × the uniform step "
            f"{np.degrees(uniform):.3g}°; scan over [0°, 180°) or [0°, 360°)"
        )
    return a


def angular_weights(angles) -> np.ndarray:
    """Quadrature weights (rad) of each angle for ∫₀^π dθ: half the gaps to its neighbours modulo π.

    Repeated directions (a 360° scan) share their gap, so the weights always sum to π.
    """
    a = np.mod(np.asarray(angles, dtype=float), np.pi)
    order = np.argsort(a, kind="stable")
    s = a[order]
    gaps = np.diff(np.append(s, s[0] + np.pi))
    w_sorted = 0.5 * (gaps + np.roll(gaps, 1))
    w = np.empty_like(w_sorted)
    w[order] = w_sorted
    return w


def default_detector_size(shape) -> int:
    """Detector bins covering the image diagonal at every angle."""
    ny, nx = (int(s) for s in shape[-2:])
    return int(np.ceil(np.hypot(ny, nx))) + 1


def check_sinogram(sinogram, angles, *, name: str = "sinogram") -> np.ndarray:
    """A 2-D ``(n_angles, n_det)`` or 3-D ``(nz, n_angles, n_det)`` sinogram matching ``angles``."""
    s = as_float_array(name, sinogram)
    if s.ndim not in (2, 3):
        raise InputError(f"{name}: expected (n_angles, n_det) or (nz, n_angles, n_det), got shape {s.shape}")
    if s.shape[-2] != len(angles):
        raise InputError(
            f"{name}: shape {s.shape} has {s.shape[-2]} projections along axis -2 but angles has "
            f"{len(angles)}; the sinogram must be (n_angles, n_det) or (nz, n_angles, n_det)"
        )
    return s
