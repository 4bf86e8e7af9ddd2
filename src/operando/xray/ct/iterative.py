"""Iterative reconstruction for few-view data: SIRT and CGLS on a pylops projection operator.

:class:`ParallelBeamOperator` maps a slice μ (ny·nx, 1/m) to line integrals (n_angles·n_det) with
the pixel-driven projector; its adjoint is the matching back-projector (:mod:`._kernels`), so
``pylops.utils.dottest`` holds to round-off and any pylops solver applies. SIRT is the
simultaneous iterative reconstruction technique x ← x + C Aᵀ R (b − A x) with R, C the inverse
row and column sums (Gregor & Benson, IEEE Trans. Med. Imaging 2008), optionally clipped to
μ ≥ 0; CGLS is pylops' conjugate gradients on the normal equations.
"""

from __future__ import annotations

import numpy as np
import pylops
from pylops.optimization.basic import cgls as _pylops_cgls

from ..._checks import as_float_array, check_positive
from ...errors import InputError
from . import _kernels
from .geometry import check_angles, default_detector_size
from .projector import detector_center


class ParallelBeamOperator(pylops.LinearOperator):
    """Parallel-beam projection of one slice as a pylops operator.

    Parameters
    ----------
    shape : (ny, nx) of the slice.
    angles : (n_angles,) rad.
    pixel : pixel = detector bin size, m.
    n_det : detector bins (default: the image diagonal).
    """

    def __init__(self, shape, angles, pixel: float = 1.0, n_det: int | None = None, dtype="float64"):
        self.image_shape = tuple(int(s) for s in shape)
        if len(self.image_shape) != 2 or min(self.image_shape) < 1:
            raise InputError(f"shape: expected (ny, nx) of a slice, got {shape!r}")
        self.angles = as_float_array("angles", angles, ndim=1)
        self.pixel = check_positive("pixel", pixel, unit="m")
        self.n_det = default_detector_size(self.image_shape) if n_det is None else int(n_det)
        self._cos, self._sin = np.cos(self.angles), np.sin(self.angles)
        self._det0 = detector_center(self.n_det)
        ny, nx = self.image_shape
        super().__init__(dtype=np.dtype(dtype), shape=(self.angles.size * self.n_det, ny * nx))

    def _matvec(self, x):
        img = np.asarray(x, dtype=float).reshape(1, *self.image_shape)
        out = _kernels.splat(img, self._cos, self._sin, self._det0, self.n_det)
        return self.pixel * out.ravel()

    def _rmatvec(self, y):
        sino = np.asarray(y, dtype=float).reshape(1, self.angles.size, self.n_det)
        out = _kernels.backproject(sino, self._cos, self._sin, np.ones(self.angles.size), self._det0,
                                   self.image_shape)
        return self.pixel * out.ravel()


def _setup(sinogram, angles, shape, pixel):
    th = check_angles(angles)
    s = as_float_array("sinogram", sinogram, ndim=2)
    if s.shape[0] != th.size:
        raise InputError(f"sinogram: shape {s.shape} has {s.shape[0]} projections but angles has {th.size}")
    if shape is None:
        side = max(1, int(np.floor((s.shape[1] - 1) / np.sqrt(2))))
        shape = (side, side)
    return ParallelBeamOperator(shape, th, pixel, n_det=s.shape[1]), s


def sirt(sinogram, angles, pixel: float = 1.0, *, shape=None, n_iter: int = 100, nonnegative: bool = True,
         x0=None) -> np.ndarray:
    """SIRT reconstruction (ny, nx) in 1/m of a sinogram (n_angles, n_det); ``n_iter`` ≥ 1 sweeps."""
    op, s = _setup(sinogram, angles, shape, pixel)
    if int(n_iter) < 1:
        raise InputError(f"n_iter: need at least 1 iteration, got {n_iter!r}")
    row = op.matvec(np.ones(op.shape[1]))
    col = op.rmatvec(np.ones(op.shape[0]))
    r_inv = np.where(row > 0, 1.0 / np.where(row > 0, row, 1.0), 0.0)
    c_inv = np.where(col > 0, 1.0 / np.where(col > 0, col, 1.0), 0.0)
    b = s.ravel()
    x = np.zeros(op.shape[1]) if x0 is None else as_float_array("x0", x0).ravel().copy()
    for _ in range(int(n_iter)):
        x += c_inv * op.rmatvec(r_inv * (b - op.matvec(x)))
        if nonnegative:
            np.maximum(x, 0.0, out=x)
    return x.reshape(op.image_shape)


def cgls(sinogram, angles, pixel: float = 1.0, *, shape=None, n_iter: int = 30, damp: float = 0.0) -> np.ndarray:
    """CGLS (pylops) reconstruction (ny, nx) in 1/m; ``damp`` is the Tikhonov weight ε in ‖Ax−b‖² + ε²‖x‖²."""
    op, s = _setup(sinogram, angles, shape, pixel)
    if int(n_iter) < 1:
        raise InputError(f"n_iter: need at least 1 iteration, got {n_iter!r}")
    x = _pylops_cgls(op, s.ravel(), x0=np.zeros(op.shape[1]), niter=int(n_iter),
                     damp=check_positive("damp", damp, allow_zero=True), show=False)[0]
    return x.reshape(op.image_shape)
