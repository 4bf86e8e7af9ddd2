"""Parallel-beam projections of an attenuation slice or volume: ∫ μ dl along every ray.

``project(mu, angles, pixel)`` turns μ (1/m) on pixels of size ``pixel`` (m) into the
dimensionless line integrals ``p = ∫ μ dl`` a tomograph records as ``-ln(I/I0)``. The volume's
z axis is the rotation axis (the stacking axis of a coin cell lying flat), so each x-y slice gives
one sinogram. Geometry and kernels: :mod:`.geometry`, :mod:`._kernels`.
"""

from __future__ import annotations

import numpy as np

from ..._checks import as_float_array, check_choice, check_positive
from ...errors import InputError
from . import _kernels
from .geometry import check_angles, default_detector_size

METHODS = ("joseph", "pixel")


def _as_stack(name, image):
    arr = as_float_array(name, image)
    if arr.ndim not in (2, 3):
        raise InputError(f"{name}: expected a slice (ny, nx) or a volume (nz, ny, nx), got shape {arr.shape}")
    return arr[None] if arr.ndim == 2 else arr, arr.ndim == 2


def detector_center(n_det: int, center=None) -> float:
    """Detector index of the rotation axis (the middle of the detector unless ``center`` is given)."""
    if center is None:
        return 0.5 * (n_det - 1)
    c = float(center)
    if not 0 <= c <= n_det - 1:
        raise InputError(f"center: rotation axis must lie on the detector, [0, {n_det - 1}] bins; got {center!r}")
    return c


def project(mu, angles, pixel: float = 1.0, *, n_det: int | None = None, method: str = "joseph",
            center=None) -> np.ndarray:
    """Line integrals of ``mu`` over parallel rays.

    Parameters
    ----------
    mu : (ny, nx) or (nz, ny, nx), linear attenuation coefficient, 1/m (or 1/pixel with pixel=1).
    angles : (n_angles,) rad; need not cover a half turn here (a simulation may record any set).
    pixel : pixel (and detector bin) size, m.
    n_det : detector bins; by default enough to see the image diagonal.
    method : ``"joseph"`` (ray-driven, accurate line integrals) or ``"pixel"`` (pixel-driven,
        the adjoint of the back-projector; for matched iterative reconstructions).
    center : detector index of the rotation axis (default: the detector middle).

    Returns
    -------
    (n_angles, n_det) or (nz, n_angles, n_det) dimensionless line integrals.
    """
    vol, single = _as_stack("mu", mu)
    th = as_float_array("angles", angles, ndim=1)
    d = check_positive("pixel", pixel, unit="m")
    check_choice("method", method, METHODS)
    nd = default_detector_size(vol.shape) if n_det is None else int(n_det)
    if nd < 1:
        raise InputError(f"n_det: need at least 1 detector bin, got {n_det!r}")
    kernel = _kernels.joseph if method == "joseph" else _kernels.splat
    sino = d * kernel(vol, np.cos(th), np.sin(th), detector_center(nd, center), nd)
    return sino[0] if single else sino


def backproject(sinogram, angles, shape, pixel: float = 1.0, *, weights=None, center=None) -> np.ndarray:
    """Back-projection Σ_a w_a p_a(x cos θ_a + y sin θ_a) onto ``shape`` (ny, nx) pixels.

    The adjoint of ``project(..., method="pixel")`` when ``weights`` is None (all ones), times
    ``pixel``. Sinogram (n_angles, n_det) or (nz, n_angles, n_det).
    """
    th = as_float_array("angles", angles, ndim=1)
    s = as_float_array("sinogram", sinogram)
    single = s.ndim == 2
    s3 = s[None] if single else s
    if s3.ndim != 3 or s3.shape[1] != th.size:
        raise InputError(f"sinogram: expected (n_angles={th.size}, n_det) or (nz, {th.size}, n_det), got {s.shape}")
    w = np.ones(th.size) if weights is None else as_float_array("weights", weights, shape=(th.size,))
    d = check_positive("pixel", pixel, unit="m")
    nd = s3.shape[2]
    out = d * _kernels.backproject(s3, np.cos(th), np.sin(th), w, detector_center(nd, center), shape[-2:])
    return out[0] if single else out


__all__ = ["METHODS", "backproject", "check_angles", "detector_center", "project"]
