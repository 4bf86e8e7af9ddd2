"""Compiled multigrid kernels of the finest level, applied straight from the face arrays.

u, b (nz, ny, nx); tz (nz-1, ny, nx), ty (nz, ny-1, nx), tx (nz, ny, nx-1); rows (k, j) are
distributed over the threads. Without numba they run as (slow) Python; :mod:`.multigrid` then uses
the NumPy kernels of :mod:`._multigrid_numpy` instead.
"""

from __future__ import annotations

import numpy as np

from .._numba import jit, prange

_jit, _jit_parallel, _jit_inline, _prange = jit(), jit(parallel=True), jit(inline=True), prange


@_jit_parallel
def _grid_diagonal(tz, ty, tx, extra, diag, inv_diag):  # pragma: no cover - compiled
    """diag = e + Σ_faces T; inv_diag = 1 / diag, 0 on uncoupled cells."""
    nz, ny, nx = extra.shape
    for row in _prange(nz * ny):
        k = row // ny
        j = row - k * ny
        for i in range(nx):
            s = extra[k, j, i]
            if i > 0:
                s += tx[k, j, i - 1]
            if i < nx - 1:
                s += tx[k, j, i]
            if j > 0:
                s += ty[k, j - 1, i]
            if j < ny - 1:
                s += ty[k, j, i]
            if k > 0:
                s += tz[k - 1, j, i]
            if k < nz - 1:
                s += tz[k, j, i]
            diag[k, j, i] = s
            inv_diag[k, j, i] = 1.0 / s if s > 0 else 0.0


@_jit_inline
def _neighbour_sum(u, tz, ty, tx, k, j, i):  # pragma: no cover - compiled
    """Σ_faces T_f u_n over the face neighbours of cell (k, j, i)."""
    nz, ny, nx = u.shape
    s = 0.0
    if i > 0:
        s += tx[k, j, i - 1] * u[k, j, i - 1]
    if i < nx - 1:
        s += tx[k, j, i] * u[k, j, i + 1]
    if j > 0:
        s += ty[k, j - 1, i] * u[k, j - 1, i]
    if j < ny - 1:
        s += ty[k, j, i] * u[k, j + 1, i]
    if k > 0:
        s += tz[k - 1, j, i] * u[k - 1, j, i]
    if k < nz - 1:
        s += tz[k, j, i] * u[k + 1, j, i]
    return s


@_jit_parallel
def _grid_apply(u, tz, ty, tx, diag, out):  # pragma: no cover - compiled
    """out = A u; returns u·out."""
    nz, ny, nx = u.shape
    acc = 0.0
    for row in _prange(nz * ny):
        k = row // ny
        j = row - k * ny
        for i in range(nx):
            s = diag[k, j, i] * u[k, j, i]
            s -= _neighbour_sum(u, tz, ty, tx, k, j, i)
            out[k, j, i] = s
            acc += s * u[k, j, i]
    return acc


@_jit_inline
def _grid_relax_row(u, b, tz, ty, tx, inv_diag, row, color, from_zero):  # pragma: no cover
    """Gauss–Seidel update of the cells of grid row ``row`` = (k, j) with (k + j + i) % 2 ==
    color; ``from_zero``: neighbours taken as 0 (the first update from u = 0)."""
    ny, nx = u.shape[1], u.shape[2]
    k = row // ny
    j = row - k * ny
    for i in range((k + j + color) & 1, nx, 2):
        s = b[k, j, i]
        if not from_zero:
            s += _neighbour_sum(u, tz, ty, tx, k, j, i)
        u[k, j, i] = s * inv_diag[k, j, i]


@_jit_parallel
def _grid_sweep(u, b, tz, ty, tx, inv_diag, first, from_zero, threads):  # pragma: no cover
    """One red–black Gauss–Seidel sweep: colour ``first``, then the other one.

    The two half-sweeps are fused into one pass over memory: the second colour of row q − L
    follows the first colour of row q, L being the row distance of the farthest neighbour (ny
    in 3-D, 1 in 2-D), which is exactly the order of two separate half-sweeps. Each thread
    sweeps a band of rows; the second colour of the L rows at either edge of a band waits
    until all bands are done with the first colour.
    """
    nz, ny = u.shape[0], u.shape[1]
    rows = nz * ny
    lag = ny if nz > 1 else 1
    second = 1 - first
    bands = max(1, min(threads, rows // (2 * lag)))
    for band in _prange(bands):
        lo = rows * band // bands
        hi = rows * (band + 1) // bands
        for q in range(lo, hi):
            _grid_relax_row(u, b, tz, ty, tx, inv_diag, q, first, from_zero)
            if lo + lag <= q - lag < hi - lag:
                _grid_relax_row(u, b, tz, ty, tx, inv_diag, q - lag, second, False)
    for band in _prange(bands):
        lo = rows * band // bands
        hi = rows * (band + 1) // bands
        for q in range(lo, min(lo + lag, hi)):
            _grid_relax_row(u, b, tz, ty, tx, inv_diag, q, second, False)
        for q in range(max(hi - lag, lo + lag), hi):
            _grid_relax_row(u, b, tz, ty, tx, inv_diag, q, second, False)


@_jit_parallel
def _grid_residual_restrict(u, b, tz, ty, tx, diag, agg, fz, fy, rc):  # pragma: no cover
    """rc = Pᵀ (b − A u) after a smoothing sweep that ended on the black cells (their residual
    is zero: only red cells are visited); rc must be zero on entry; blocks of fz × fy × fx."""
    nz, ny, nx = u.shape
    bz = (nz + fz - 1) // fz
    by = (ny + fy - 1) // fy
    # one row of blocks per task: its cells restrict into its own pieces only
    for brow in _prange(bz * by):
        kb = brow // by
        jb = brow - kb * by
        for k in range(fz * kb, min(fz * kb + fz, nz)):
            for j in range(fy * jb, min(fy * jb + fy, ny)):
                for i in range((k + j) & 1, nx, 2):
                    a = agg[k, j, i]
                    if a < 0:
                        continue
                    s = b[k, j, i] - diag[k, j, i] * u[k, j, i]
                    s += _neighbour_sum(u, tz, ty, tx, k, j, i)
                    rc[a] += s


@_jit_parallel
def _grid_prolong(u, agg, e):  # pragma: no cover - compiled
    """u += P e (piecewise constant over each piece)."""
    nz, ny, nx = u.shape
    for row in _prange(nz * ny):
        k = row // ny
        j = row - k * ny
        for i in range(nx):
            a = agg[k, j, i]
            if a >= 0:
                u[k, j, i] += e[a]


@_jit_inline
def _find(parent, i):  # pragma: no cover - compiled
    """Root of i in a union–find forest (with path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@_jit_inline
def _block_pieces(tz, ty, tx, diag, k0, j0, i0, fz, fy, fx, parent, label):  # pragma: no cover
    """Connected pieces of the block of fz × fy × fx cells from (k0, j0, i0).

    label[m] (local index m = 4 dk + 2 dj + di) becomes the piece of each coupled cell, numbered
    in the order of the cells, -1 elsewhere; returns the number of pieces.
    """
    nz, ny, nx = diag.shape
    for m in range(8):
        parent[m] = m
        label[m] = -1
    for dk in range(fz):
        for dj in range(fy):
            for di in range(fx):
                k, j, i = k0 + dk, j0 + dj, i0 + di
                if k >= nz or j >= ny or i >= nx:
                    continue
                m = 4 * dk + 2 * dj + di
                if di + 1 < fx and i + 1 < nx and tx[k, j, i] > 0:
                    parent[_find(parent, m + 1)] = _find(parent, m)
                if dj + 1 < fy and j + 1 < ny and ty[k, j, i] > 0:
                    parent[_find(parent, m + 2)] = _find(parent, m)
                if dk + 1 < fz and k + 1 < nz and tz[k, j, i] > 0:
                    parent[_find(parent, m + 4)] = _find(parent, m)
    count = 0
    for m in range(8):
        dk, dj, di = m // 4, (m // 2) % 2, m % 2
        k, j, i = k0 + dk, j0 + dj, i0 + di
        if dk >= fz or dj >= fy or di >= fx or k >= nz or j >= ny or i >= nx:
            continue
        if diag[k, j, i] <= 0:
            continue
        root = _find(parent, m)
        if label[root] < 0:
            label[root] = count
            count += 1
        label[m] = label[root]
    return count


@_jit_parallel
def _grid_aggregate(tz, ty, tx, diag, extra, fz, fy, fx):  # pragma: no cover - compiled
    """Connected pieces of each fz × fy × fx block.

    Returns agg (nz, ny, nx) (piece of each cell, -1 on uncoupled cells), the block index of
    each piece (C order over the block grid) and the sum of ``extra`` over each piece. Pieces are
    numbered block by block, in the order of their first cell.
    """
    nz, ny, nx = diag.shape
    bz, by, bx = (nz + fz - 1) // fz, (ny + fy - 1) // fy, (nx + fx - 1) // fx
    agg = np.full((nz, ny, nx), -1, dtype=np.int32)
    first = np.zeros(bz * by * bx + 1, dtype=np.int64)
    # pass 1: pieces of each block, numbered locally; pass 2: global numbers
    for brow in _prange(bz * by):
        kb, jb = brow // by, brow % by
        parent = np.empty(8, dtype=np.int64)
        label = np.empty(8, dtype=np.int64)
        for ib in range(bx):
            k0, j0, i0 = fz * kb, fy * jb, fx * ib
            first[brow * bx + ib + 1] = _block_pieces(
                tz, ty, tx, diag, k0, j0, i0, fz, fy, fx, parent, label
            )
            for m in range(8):
                if label[m] >= 0:
                    agg[k0 + m // 4, j0 + (m // 2) % 2, i0 + m % 2] = label[m]
    for b in range(bz * by * bx):
        first[b + 1] += first[b]
    count = first[-1]
    block_of = np.empty(count, dtype=np.int64)
    extra_of = np.zeros(count)
    for brow in _prange(bz * by):
        kb, jb = brow // by, brow % by
        for ib in range(bx):
            b = brow * bx + ib
            for a in range(first[b], first[b + 1]):
                block_of[a] = b
            for k in range(fz * kb, min(fz * kb + fz, nz)):
                for j in range(fy * jb, min(fy * jb + fy, ny)):
                    for i in range(fx * ib, min(fx * ib + fx, nx)):
                        if agg[k, j, i] >= 0:
                            agg[k, j, i] += first[b]
                            extra_of[agg[k, j, i]] += extra[k, j, i]
    return agg, block_of, extra_of


@_jit_inline
def _add_coupling(a, q, t, start, cols, vals, nnz):  # pragma: no cover - compiled
    """Add t to the coupling of piece a with piece q in a's row, which begins at start[a]."""
    end = start[a] + nnz[a]
    slot = start[a]
    while slot < end and cols[slot] != q:
        slot += 1
    if slot == end:
        cols[slot] = q
        vals[slot] = 0.0
        nnz[a] += 1
    vals[slot] += t


@_jit_inline
def _face(a, q, t, phase, start, cols, vals, nnz):  # pragma: no cover - compiled
    """A face of transmissibility t from piece a to piece q: counted (phase 0) or merged."""
    if t <= 0 or q == a:
        return
    if phase == 0:
        start[a + 1] += 1
    else:
        _add_coupling(a, q, t, start, cols, vals, nnz)


@_jit_parallel
def _grid_coarse_matrix(tz, ty, tx, agg, n, fz, fy, scale):  # pragma: no cover - compiled
    """CSR (indptr, indices, data) of the couplings W between the ``n`` pieces of
    :func:`_grid_aggregate`: the transmissibilities of the faces joining two pieces, summed,
    times scale[axis]."""
    nz, ny, nx = agg.shape
    bz, by = (nz + fz - 1) // fz, (ny + fy - 1) // fy
    sz, sy, sx = scale[0], scale[1], scale[2]
    # pass 1: the faces of each piece that lead to another piece bound the length of its row;
    # pass 2: merge them by neighbour within that room; then pack the rows
    start = np.zeros(n + 1, dtype=np.int64)
    nnz = np.zeros(n, dtype=np.int64)
    cols = np.empty(0, dtype=np.int32)
    vals = np.empty(0)
    for phase in range(2):
        if phase == 1:
            for a in range(n):
                start[a + 1] += start[a]
            cols = np.empty(start[n], dtype=np.int32)
            vals = np.empty(start[n])
        # one row of blocks per task: the pieces of different tasks are different
        for brow in _prange(bz * by):
            kb, jb = brow // by, brow % by
            for k in range(fz * kb, min(fz * kb + fz, nz)):
                for j in range(fy * jb, min(fy * jb + fy, ny)):
                    for i in range(nx):
                        a = agg[k, j, i]
                        if a < 0:
                            continue
                        if i > 0:
                            t = sx * tx[k, j, i - 1]
                            _face(a, agg[k, j, i - 1], t, phase, start, cols, vals, nnz)
                        if i + 1 < nx:
                            t = sx * tx[k, j, i]
                            _face(a, agg[k, j, i + 1], t, phase, start, cols, vals, nnz)
                        if j > 0:
                            t = sy * ty[k, j - 1, i]
                            _face(a, agg[k, j - 1, i], t, phase, start, cols, vals, nnz)
                        if j + 1 < ny:
                            t = sy * ty[k, j, i]
                            _face(a, agg[k, j + 1, i], t, phase, start, cols, vals, nnz)
                        if k > 0:
                            t = sz * tz[k - 1, j, i]
                            _face(a, agg[k - 1, j, i], t, phase, start, cols, vals, nnz)
                        if k + 1 < nz:
                            t = sz * tz[k, j, i]
                            _face(a, agg[k + 1, j, i], t, phase, start, cols, vals, nnz)
    indptr = np.zeros(n + 1, dtype=np.int64)
    for a in range(n):
        indptr[a + 1] = indptr[a] + nnz[a]
    indices = np.empty(indptr[n], dtype=np.int32)
    data = np.empty(indptr[n])
    for a in _prange(n):
        for s in range(nnz[a]):
            indices[indptr[a] + s] = cols[start[a] + s]
            data[indptr[a] + s] = vals[start[a] + s]
    return indptr, indices, data
