"""Compiled multigrid kernels of the coarse levels (A = diag − W, W the symmetric CSR couplings
≥ 0) and of the conjugate-gradient vector updates."""

from __future__ import annotations

import numpy as np

from .._numba import jit, prange
from ._multigrid_grid import _find

_jit, _jit_parallel, _prange = jit(), jit(parallel=True), prange


@_jit
def _edges_to_csr(n, ea, eb, et):  # pragma: no cover - compiled
    """Symmetric CSR (indptr, indices, data) of W with W_ab = W_ba = Σ t over edges (a, b)."""
    start = np.zeros(n + 1, dtype=np.int64)
    for e in range(ea.size):
        start[ea[e] + 1] += 1
        start[eb[e] + 1] += 1
    for r in range(n):
        start[r + 1] += start[r]
    fill = start[:-1].copy()
    cols = np.empty(2 * ea.size, dtype=np.int32)
    vals = np.empty(2 * ea.size)
    for e in range(ea.size):
        a, b = ea[e], eb[e]
        cols[fill[a]], vals[fill[a]] = b, et[e]
        fill[a] += 1
        cols[fill[b]], vals[fill[b]] = a, et[e]
        fill[b] += 1
    # merge repeated columns in place (the write position never passes the read position)
    slot = np.full(n, -1, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    w = 0
    for r in range(n):
        row_start = w
        for t in range(start[r], start[r + 1]):
            c = cols[t]
            if slot[c] >= row_start:
                vals[slot[c]] += vals[t]
            else:
                slot[c] = w
                cols[w] = c
                vals[w] = vals[t]
                w += 1
        indptr[r + 1] = w
    return indptr, cols[:w].copy(), vals[:w].copy()


@_jit_parallel
def _csr_apply(u, indptr, indices, data, diag, out):  # pragma: no cover - compiled
    """out = A u; returns u·out."""
    acc = 0.0
    for r in _prange(u.size):
        s = diag[r] * u[r]
        for t in range(indptr[r], indptr[r + 1]):
            s -= data[t] * u[indices[t]]
        out[r] = s
        acc += s * u[r]
    return acc


@_jit_parallel
def _csr_smooth(u, b, indptr, indices, data, inv_diag, rows):  # pragma: no cover - compiled
    """Gauss–Seidel update of ``rows`` (one colour: no two of them are coupled)."""
    for q in _prange(rows.size):
        r = rows[q]
        s = b[r]
        for t in range(indptr[r], indptr[r + 1]):
            s += data[t] * u[indices[t]]
        u[r] = s * inv_diag[r]


@_jit_parallel
def _csr_residual_restrict(u, b, indptr, indices, data, diag, child_ptr, children, rc):  # pragma: no cover
    """rc = Pᵀ (b − A u), gathered over the red children of each coarse unknown (the smoothing
    sweep before ended on the black ones, whose residual is zero)."""
    for c in _prange(rc.size):
        acc = 0.0
        for q in range(child_ptr[c], child_ptr[c + 1]):
            r = children[q]
            s = b[r] - diag[r] * u[r]
            for t in range(indptr[r], indptr[r + 1]):
                s += data[t] * u[indices[t]]
            acc += s
        rc[c] = acc


@_jit_parallel
def _csr_prolong(u, agg, e):  # pragma: no cover - compiled
    """u += P e."""
    for r in _prange(u.size):
        u[r] += e[agg[r]]


@_jit
def _csr_aggregate(indptr, indices, data, group, n_groups):  # pragma: no cover - compiled
    """Connected pieces (W > 0) of the unknowns sharing a group → (agg, group of each piece).

    Pieces are numbered by (group, first unknown), so coarse unknowns stay in block order.
    """
    n = group.size
    parent = np.arange(n)
    for r in range(n):
        for t in range(indptr[r], indptr[r + 1]):
            c = indices[t]
            if data[t] > 0 and group[c] == group[r]:
                a, b = _find(parent, r), _find(parent, c)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    # the unknowns ordered by group, in their order within a group (a counting sort)
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for r in range(n):
        start[group[r] + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    order = np.empty(n, dtype=np.int64)
    for r in range(n):
        order[start[group[r]]] = r
        start[group[r]] += 1
    agg = np.empty(n, dtype=np.int32)
    label = np.full(n, -1, dtype=np.int64)
    group_of = np.empty(n, dtype=np.int64)
    count = 0
    for r in order:
        root = _find(parent, r)
        if label[root] < 0:
            label[root] = count
            group_of[count] = group[r]
            count += 1
        agg[r] = label[root]
    return agg, group_of[:count].copy()


@_jit
def _csr_coarse_edges(indptr, indices, data, agg, coords, scale):  # pragma: no cover
    """Couplings W_rc (r < c) between two pieces → (a, b, scale[axis] W) arrays.

    coords : (3, n) block coordinates of the unknowns; two coupled unknowns lie in neighbouring
    blocks, and the axis of their coupling is the one along which these differ.
    """
    m = indices.size
    ea = np.empty(m, dtype=np.int64)
    eb = np.empty(m, dtype=np.int64)
    et = np.empty(m)
    n = 0
    for r in range(indptr.size - 1):
        for t in range(indptr[r], indptr[r + 1]):
            c = indices[t]
            if c > r and agg[c] != agg[r]:
                ax = 0
                while coords[ax, r] == coords[ax, c]:
                    ax += 1
                ea[n], eb[n], et[n] = agg[r], agg[c], scale[ax] * data[t]
                n += 1
    return ea[:n], eb[:n], et[:n]


# compiled kernels, CG vectors (1-D)


@_jit_parallel
def _cg_update(x, r, p, q, alpha):  # pragma: no cover - compiled
    """x += α p, r −= α q; returns r·r."""
    acc = 0.0
    for i in _prange(x.size):
        x[i] += alpha * p[i]
        r[i] -= alpha * q[i]
        acc += r[i] * r[i]
    return acc


@_jit_parallel
def _dot(a, b):  # pragma: no cover - compiled
    acc = 0.0
    for i in _prange(a.size):
        acc += a[i] * b[i]
    return acc


@_jit_parallel
def _new_direction(p, z, beta):  # pragma: no cover - compiled
    """p = z + β p."""
    for i in _prange(p.size):
        p[i] = z[i] + beta * p[i]
