"""The forward field engine as a linear operator (pylops) for regularised inversions.

Model: one source map per layer, ``(n_layers, ny, nx)`` on the field of view (or, with
``extend_sources=True``, ``(n_layers, nyp, nxp)`` on the whole zero-padded grid, for sources that
reach beyond it). For currents the map is the stream function g (``J = ∇ × (g ẑ)``, continuity
built in), for magnetization the magnitude along a known direction. Data: the field along the
sensing axis on each sensor height, ``(n_heights, ny, nx)``.

The operator is ``crop ∘ F⁻¹ ∘ G ∘ F ∘ pad`` with unitary real FFTs F and the exact layer transfer
functions G of :mod:`operando.magnetics.fourier` (``_spectral.axis_transfer``) — exact in the
continuum for sources uniform through each layer; finite thickness, buried layers and several
standoffs are more (height, layer) pairs. This choice costs two FFTs per application instead of
a dense kernel; its adjoint ``crop ∘ F⁻¹ ∘ Gᴴ ∘ F ∘ pad`` is checked by :func:`dot_test`, and the
voxel engines of :mod:`operando.magnetics` (which sample the same physics on the grid) are the
reference it is tested against.
"""

from __future__ import annotations

import numpy as np
import pylops

from .._checks import as_float_array, check_choice, check_positive, unit_vector
from ..errors import InputError
from ._input import sensing_axis
from ._spectral import SpectralGrid, axis_transfer

SOURCES = ("current", "magnetization")


class FieldOperator(pylops.LinearOperator):
    """Linear map from layer sources to field maps along one sensing axis.

    Parameters
    ----------
    shape : (ny, nx) of each measured map.
    dy, dx : pixel size, m.
    heights : sensor heights above the surface, m (> 0), one per measured map.
    layers : sequence of (depth_top, depth_bottom) below the surface, m; equal values make a sheet.
    source : ``"current"`` (model = stream function g, A for sheets / A/m for layers) or
        ``"magnetization"`` (model = magnitude along ``direction``, A for sheets / A/m).
    component : sensing axis, ``"x"``, ``"y"``, ``"z"`` or a 3-vector.
    direction : unit 3-vector of the moments (magnetization only).
    pad : padding factor of the FFT grid.
    extend_sources : if True the model covers the whole padded grid (sources may lie outside the
        field of view; better for maps whose field has not died out at the border, but far more
        CG iterations), else only the field of view (default).
    remove_offset : compare maps without their means. Measured maps may carry an unknown
        offset (bias field, drift), and on a finite padded grid the continuum transfer functions
        miss the far-field tail of sources with a net moment, which is nearly uniform over the
        map; both are removed by projecting out each map's mean.
    """

    def __init__(self, shape, dy, dx, heights, layers=((0.0, 0.0),), source="current",
                 component="z", direction=(0.0, 0.0, 1.0), pad: float = 2,
                 extend_sources: bool = False, remove_offset: bool = False, dtype="float64"):
        check_choice("source", source, SOURCES)
        ny, nx = (int(s) for s in shape)
        self.spec = SpectralGrid.for_map((ny, nx), check_positive("dy", dy, unit="m"),
                                         check_positive("dx", dx, unit="m"), pad=pad)
        heights = as_float_array("heights", np.atleast_1d(heights), ndim=1)
        if np.any(heights <= 0):
            raise InputError(f"heights: every sensor height must be > 0 m, got {heights.tolist()}")
        layers = as_float_array("layers", np.atleast_2d(layers), shape=(None, 2))
        if np.any(layers < 0) or np.any(layers[:, 1] < layers[:, 0]):
            raise InputError("layers: each (depth_top, depth_bottom) must satisfy "
                             f"0 <= depth_top <= depth_bottom (m), got {layers.tolist()}")
        self.heights, self.layers, self.source = heights, layers, source
        self.axis = sensing_axis(component)
        self.direction = unit_vector("direction", direction)
        # G[h, l] on the padded grid (rfft layout), complex (n_heights, n_layers, nyp, nxp//2+1)
        self.G = np.stack([
            np.stack([axis_transfer(source, self.spec, self.axis, h, top, bottom, self.direction)
                      for top, bottom in layers])
            for h in heights
        ])
        self.extend_sources = bool(extend_sources)
        self.remove_offset = bool(remove_offset)
        model_grid = self.spec.padded if self.extend_sources else (ny, nx)
        self.model_shape = (len(layers), *model_grid)
        self.data_shape = (len(heights), ny, nx)
        super().__init__(dtype=np.dtype(dtype),
                         shape=(int(np.prod(self.data_shape)), int(np.prod(self.model_shape))))

    def _matvec(self, x):
        X = self.model_fft(x)
        return self._offset_free(self.spec.ifft(np.einsum("hlyx,lyx->hyx", self.G, X))).ravel()

    def _rmatvec(self, y):
        Y = self.spec.fft(self._offset_free(np.reshape(y, self.data_shape)))
        return self.model_ifft(np.einsum("hlyx,hyx->lyx", np.conj(self.G), Y)).ravel()

    def model_fft(self, x) -> np.ndarray:
        """Unitary spectrum (n_layers, nyp, nxp) of a model vector (zero outside its grid)."""
        x = np.reshape(x, self.model_shape)
        return self.spec.fft_full(x) if self.extend_sources else self.spec.fft(x)

    def model_ifft(self, X) -> np.ndarray:
        """Adjoint of :meth:`model_fft`: real model array from a spectrum on the padded grid."""
        return self.spec.ifft(X, crop=not self.extend_sources)

    def _offset_free(self, maps: np.ndarray) -> np.ndarray:
        """Each map minus its mean (a symmetric projection, so it is its own adjoint)."""
        if not self.remove_offset:
            return maps
        return maps - maps.mean(axis=(-2, -1), keepdims=True)

    # helpers -----------------------------------------------------------------------------------
    def current_from_model(self, g) -> np.ndarray:
        """(n_layers, 2, ny, nx) current density (Jx, Jy) of a stream-function model, cropped."""
        if self.source != "current":
            raise InputError("current_from_model: the operator's source is magnetization")
        Gh = self.model_fft(g)
        cx, cy = self.spec.curl_filters()
        return np.stack([self.spec.ifft(cx * Gh), self.spec.ifft(cy * Gh)], axis=1)

    def crop_model(self, x) -> np.ndarray:
        """The model restricted to the field of view, (n_layers, ny, nx)."""
        return np.reshape(x, self.model_shape)[:, : self.spec.shape[0], : self.spec.shape[1]]


def dot_test(op: pylops.LinearOperator, rtol: float = 1e-10) -> bool:
    """True when ⟨A x, y⟩ = ⟨x, Aᴴ y⟩ to ``rtol`` for random x, y (adjoint correctness)."""
    from pylops.utils import dottest

    return bool(dottest(op, op.shape[0], op.shape[1], rtol=rtol, raiseerror=False))
