"""NumPy kernels of the multigrid: the same algorithm as the compiled ones (same pieces, numbering
and colouring), for where numba is not installed."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .operators import _pair

_PAIRS = [_pair(axis) for axis in range(3)]


def _ceil_div(shape, factors):
    """Shape of the grid of blocks of ``factors`` cells covering ``shape``."""
    return tuple(-(-s // f) for s, f in zip(shape, factors, strict=True))


def _neighbour_sum(u, trans):
    """Σ_faces T_f u_n per cell (u (nz, ny, nx))."""
    out = np.zeros_like(u)
    for (lo, hi), t in zip(_PAIRS, trans, strict=True):
        out[lo] += t * u[hi]
        out[hi] += t * u[lo]
    return out


def _number_pieces(label, group):
    """Piece labels of unknowns (in order) → (agg numbered by (group, first unknown), group of
    each piece): the numbering of the compiled kernels."""
    order = np.lexsort((np.arange(label.size), group))
    _, first = np.unique(label[order], return_index=True)
    pieces = label[order][np.sort(first)]
    new = np.empty(label.max() + 1, dtype=np.int64)
    new[pieces] = np.arange(pieces.size)
    agg = new[label].astype(np.int32)
    group_of = np.empty(pieces.size, dtype=np.int64)
    group_of[agg] = group
    return agg, group_of


def _grid_aggregate_np(trans, diag, extra, factors):
    """NumPy :func:`_grid_aggregate`."""
    shape = diag.shape
    flat = np.arange(diag.size).reshape(shape)
    rows, cols = [], []
    for axis, ((lo, hi), t) in enumerate(zip(_PAIRS, trans, strict=True)):
        # a face lies inside a block when both its cells fall in the same block along the axis
        pos = np.arange(shape[axis] - 1)
        inside = (pos // factors[axis]) == ((pos + 1) // factors[axis])
        sel = [None, None, None]
        sel[axis] = slice(None)
        keep = inside[tuple(sel)] & (t > 0)
        rows.append(flat[lo][keep])
        cols.append(flat[hi][keep])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    graph = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(diag.size, diag.size))
    _, label = connected_components(graph, directed=False)
    bshape = _ceil_div(shape, factors)
    coords = np.indices(shape).reshape(3, -1) // np.array(factors)[:, None]
    block = np.ravel_multi_index(coords, bshape)
    active = diag.ravel() > 0
    agg_active, block_of = _number_pieces(label[active], block[active])
    agg = np.full(diag.size, -1, dtype=np.int32)
    agg[active] = agg_active
    extra_of = np.bincount(agg_active, extra.ravel()[active], minlength=block_of.size)
    return agg.reshape(shape), block_of, extra_of


def _grid_coarse_edges_np(trans, agg, scale):
    ea, eb, et = [], [], []
    for (lo, hi), t, s in zip(_PAIRS, trans, scale, strict=True):
        a, b = agg[lo], agg[hi]
        keep = (t > 0) & (a >= 0) & (b >= 0) & (a != b)
        ea.append(a[keep])
        eb.append(b[keep])
        et.append(s * t[keep])
    return np.concatenate(ea), np.concatenate(eb), np.concatenate(et)


def _edges_to_csr_np(n, ea, eb, et):
    w = sp.coo_matrix(
        (np.concatenate([et, et]), (np.concatenate([ea, eb]), np.concatenate([eb, ea]))),
        shape=(n, n),
    ).tocsr()
    w.sum_duplicates()
    return w.indptr.astype(np.int64), w.indices.astype(np.int32), w.data


def _csr_aggregate_np(indptr, indices, data, group):
    n = group.size
    w = sp.csr_matrix((data, indices, indptr), shape=(n, n)).tocoo()
    keep = (w.data > 0) & (group[w.row] == group[w.col])
    graph = sp.coo_matrix((np.ones(keep.sum()), (w.row[keep], w.col[keep])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return _number_pieces(label, group)


def _csr_coarse_edges_np(indptr, indices, data, agg, coords, scale):
    n = agg.size
    w = sp.csr_matrix((data, indices, indptr), shape=(n, n)).tocoo()
    keep = (w.col > w.row) & (agg[w.row] != agg[w.col])
    r, c = w.row[keep], w.col[keep]
    axis = np.argmax(coords[:, r] != coords[:, c], axis=0)
    return agg[r], agg[c], np.asarray(scale)[axis] * w.data[keep]
