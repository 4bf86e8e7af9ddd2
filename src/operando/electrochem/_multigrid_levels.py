"""Levels of the multigrid hierarchy of :mod:`.multigrid`: the finest one applied straight from the
face arrays, coarser ones as sparse matrices; each with its smoother, restriction and
prolongation, by the compiled kernels or their NumPy twins."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .. import _numba
from ._multigrid_csr import (
    _csr_aggregate,
    _csr_apply,
    _csr_coarse_edges,
    _csr_prolong,
    _csr_residual_restrict,
    _csr_smooth,
    _edges_to_csr,
)
from ._multigrid_grid import (
    _grid_aggregate,
    _grid_apply,
    _grid_coarse_matrix,
    _grid_diagonal,
    _grid_prolong,
    _grid_residual_restrict,
    _grid_sweep,
)
from ._multigrid_numpy import (
    _PAIRS,
    _ceil_div,
    _csr_aggregate_np,
    _csr_coarse_edges_np,
    _edges_to_csr_np,
    _grid_aggregate_np,
    _grid_coarse_edges_np,
    _neighbour_sum,
)

#: precision of the finest level's smoother and restriction (the outer CG is double precision)
PRECONDITIONER_DTYPE = np.float32


class _GridLevel:
    """Finest level: the operator applied from the face arrays. Vectors are flat (nz·ny·nx,)."""

    def __init__(self, trans, extra, compiled: bool):
        self.compiled = compiled
        self.trans = [np.ascontiguousarray(t, dtype=float) for t in trans]
        self.extra = np.ascontiguousarray(extra, dtype=float)
        self.shape = self.extra.shape
        self.size = self.extra.size
        self.extent = self.shape  # of the grid whose blocks the next level aggregates
        if self.compiled:
            self.diag, self.inv_diag = np.empty(self.shape), np.empty(self.shape)
            _grid_diagonal(*self.trans, self.extra, self.diag, self.inv_diag)
        else:
            self.diag = self.extra + sum(
                _scatter_faces(t, axis, self.shape) for axis, t in enumerate(self.trans)
            )
            self.inv_diag = np.divide(
                1.0, self.diag, out=np.zeros(self.shape), where=self.diag > 0
            )
            parity = np.indices(self.shape).sum(axis=0) % 2
            self._colour = [parity == 0, parity == 1]
            self._active = self.diag > 0
        # the smoother and the restriction stream these arrays several times per iteration:
        # single precision halves the memory traffic; CG itself applies A in double precision
        self.trans_pc = [t.astype(PRECONDITIONER_DTYPE) for t in self.trans]
        self.diag_pc = self.diag.astype(PRECONDITIONER_DTYPE)
        self.inv_diag_pc = self.inv_diag.astype(PRECONDITIONER_DTYPE)
        self.agg = None
        self.factors = (1, 1, 1)

    def mean_coupling(self) -> np.ndarray:
        """Mean T over the coupled faces along z, y, x (0 where none)."""
        out = np.zeros(3)
        for axis, t in enumerate(self.trans):
            n = np.count_nonzero(t)
            out[axis] = t.sum() / n if n else 0.0
        return out

    def zeros(self):
        return np.zeros(self.size)

    def apply(self, u, out):
        """out = A u; returns u·out."""
        u3, out3 = u.reshape(self.shape), out.reshape(self.shape)
        if self.compiled:
            return _grid_apply(u3, *self.trans, self.diag, out3)
        out3[...] = self.diag * u3 - _neighbour_sum(u3, self.trans)
        return float(u @ out)

    def sweep(self, u, b, first, from_zero=False):
        """Red–black Gauss–Seidel: colour ``first`` then the other; ``from_zero``: u = 0 before."""
        u3, b3 = u.reshape(self.shape), b.reshape(self.shape)
        if self.compiled:
            threads = _numba.numba.get_num_threads()
            _grid_sweep(u3, b3, *self.trans_pc, self.inv_diag_pc, first, from_zero, threads)
            return
        if from_zero:
            u3[...] = np.where(self._colour[first], b3 * self.inv_diag_pc, 0.0)
        else:
            self._relax(u3, b3, first)
        self._relax(u3, b3, 1 - first)

    def _relax(self, u3, b3, color):
        new = (b3 + _neighbour_sum(u3, self.trans_pc)) * self.inv_diag_pc
        u3[self._colour[color]] = new[self._colour[color]]

    def residual_restrict(self, u, b, rc):
        u3, b3 = u.reshape(self.shape), b.reshape(self.shape)
        if self.compiled:
            rc[:] = 0.0
            fz, fy, _ = self.factors
            args = (*self.trans_pc, self.diag_pc, self.agg, fz, fy)
            _grid_residual_restrict(u3, b3, *args, rc)
        else:
            r = b3 - self.diag_pc * u3 + _neighbour_sum(u3, self.trans_pc)
            red = self._active & self._colour[0]
            rc[:] = np.bincount(self.agg[red], r[red], minlength=rc.size)

    def prolong(self, u, e):
        u3 = u.reshape(self.shape)
        if self.compiled:
            _grid_prolong(u3, self.agg, e)
        else:
            u3[self._active] += e[self.agg[self._active]]

    def coarsen(self, factors, scale, extra_scale):
        """Next level from blocks of ``factors`` cells; couplings along axis a × scale[a]."""
        self.factors = factors
        if self.compiled:
            self.agg, block_of, extra_of = _grid_aggregate(
                *self.trans, self.diag, self.extra, *factors
            )
            csr = _grid_coarse_matrix(*self.trans, self.agg, block_of.size, *factors[:2], scale)
        else:
            self.agg, block_of, extra_of = _grid_aggregate_np(
                self.trans, self.diag, self.extra, factors
            )
            edges = _grid_coarse_edges_np(self.trans, self.agg, scale)
            csr = _edges_to_csr_np(block_of.size, *edges)
        extent = _ceil_div(self.shape, factors)
        return _MatrixLevel(csr, extra_scale * extra_of, block_of, extent, self.compiled)


def _scatter_faces(t, axis, shape):
    """Face values ``t`` (n_a − 1 along ``axis``) added onto both adjacent cells."""
    out = np.zeros(shape)
    lo, hi = _PAIRS[axis]
    out[lo] += t
    out[hi] += t
    return out


class _MatrixLevel:
    """Coarse level: ``A = diag − W``, W the symmetric CSR couplings (≥ 0) between pieces."""

    def __init__(self, csr, extra, block, extent, compiled: bool):
        self.compiled = compiled
        self.indptr, self.indices, self.data = csr
        self.size = n = extra.size
        self.extra = extra
        rows = np.repeat(np.arange(n), np.diff(self.indptr))
        self.diag = extra + np.bincount(rows, self.data, minlength=n)
        self.inv_diag = np.divide(1.0, self.diag, out=np.zeros(n), where=self.diag > 0)
        self.block, self.extent = block, extent
        self.coords = np.array(np.unravel_index(block, extent))  # (3, n) block coordinates
        # pieces of one block never touch and neighbouring blocks have opposite parity
        parity = self.coords.sum(axis=0) % 2
        self.rows = [np.flatnonzero(parity == c) for c in (0, 1)]
        self.agg = None
        if not self.compiled:
            self._w = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(n, n))
            self._w_rows = [self._w[rows] for rows in self.rows]

    def matrix(self) -> sp.csc_matrix:
        w = sp.csr_matrix((self.data, self.indices, self.indptr), shape=(self.size, self.size))
        return (sp.diags(self.diag) - w).tocsc()

    def zeros(self):
        return np.zeros(self.size)

    def apply(self, u, out):
        if self.compiled:
            return _csr_apply(u, self.indptr, self.indices, self.data, self.diag, out)
        out[:] = self.diag * u - self._w @ u
        return float(u @ out)

    def sweep(self, u, b, first, from_zero=False):
        """Red–black Gauss–Seidel: colour ``first`` then the other; ``from_zero``: u = 0 before."""
        if from_zero:
            u[:] = 0.0
            rows = self.rows[first]
            u[rows] = b[rows] * self.inv_diag[rows]
        else:
            self._relax(u, b, first)
        self._relax(u, b, 1 - first)

    def _relax(self, u, b, color):
        rows = self.rows[color]
        if self.compiled:
            _csr_smooth(u, b, self.indptr, self.indices, self.data, self.inv_diag, rows)
        else:
            u[rows] = (b[rows] + self._w_rows[color] @ u) * self.inv_diag[rows]

    def residual_restrict(self, u, b, rc):
        if self.compiled:
            args = (self.indptr, self.indices, self.data, self.diag)
            _csr_residual_restrict(u, b, *args, self._child_ptr, self._children, rc)
        else:
            red = self.rows[0]
            r = b[red] - self.diag[red] * u[red] + self._w_rows[0] @ u
            rc[:] = np.bincount(self.agg[red], r, minlength=rc.size)

    def prolong(self, u, e):
        if self.compiled:
            _csr_prolong(u, self.agg, e)
        else:
            u += e[self.agg]

    def coarsen(self, factors, scale, extra_scale):
        extent = _ceil_div(self.extent, factors)
        group = np.ravel_multi_index(self.coords // np.array(factors)[:, None], extent)
        args = (self.indptr, self.indices, self.data)
        if self.compiled:
            self.agg, group_of = _csr_aggregate(*args, group, int(np.prod(extent)))
            edges = _csr_coarse_edges(*args, self.agg, self.coords, scale)
            csr = _edges_to_csr(group_of.size, *edges)
        else:
            self.agg, group_of = _csr_aggregate_np(*args, group)
            edges = _csr_coarse_edges_np(*args, self.agg, self.coords, scale)
            csr = _edges_to_csr_np(group_of.size, *edges)
        n = group_of.size
        red = self.rows[0]
        self._children = red[np.argsort(self.agg[red], kind="stable")].astype(np.int32)
        self._child_ptr = np.concatenate([[0], np.cumsum(np.bincount(self.agg[red], minlength=n))])
        extra = extra_scale * np.bincount(self.agg, self.extra, minlength=n)
        return _MatrixLevel(csr, extra, group_of, extent, self.compiled)
