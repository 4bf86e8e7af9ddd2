"""Aggregation multigrid for the cell-centred voxel Laplacian, matrix-free on the voxel grid.

Solves ``A u = b`` on a (nz, ny, nx) grid with

    (A u)_c = e_c u_c + Σ_faces T_f (u_c − u_n),

the finite-volume operator of :mod:`.operators`: ``T`` the face transmissibilities (S), ``e`` a
diagonal term (S; Dirichlet half-voxel resistors on outer faces). A cell with no coupling at all
(``e = 0`` and ``T = 0`` on all its faces, e.g. a non-conducting voxel) carries no unknown and
gets ``u = 0``.

Method: flexible conjugate gradients preconditioned by a multigrid K-cycle.

* Coarsening: the grid is cut into blocks of 2×2×2 cells (1 along an axis that is not
  coarsened, see below); each block splits into its connected pieces (cells joined by faces with
  T > 0) and each piece becomes one coarse unknown. Joining only connected cells keeps the
  piecewise-constant interpolation accurate at pores and thin necks (on random volumes near the
  percolation threshold this halves the iteration count against whole blocks). Coarse levels
  repeat the rule on the block coordinates; they are sparse matrices, only the finest level is
  applied straight from the face arrays.
* Coarse operator: the Galerkin product ``Pᵀ A P`` — the sum of the fine transmissibilities
  between two pieces — divided by 2 along each coarsened axis. For the Laplacian the Galerkin
  operator of piecewise-constant interpolation is twice too stiff across a coarsened axis (and
  exact along an axis that is not); the factor restores the size of the coarse correction.
* Anisotropy: with cells of unequal aspect (or unequal conductivity along the axes) only the
  strongly coupled axes are coarsened — those whose effective spacing is within √2 of the
  smallest, the spacing following from the mean transmissibility (``T ∝ V / h²``) and doubling
  with each coarsening — so that point smoothing still smooths along the rest.
* Smoothing: red–black Gauss–Seidel (on coarse levels the colour of a piece is its block's
  parity: pieces of one block never touch), red then black before the coarse correction and black
  then red after it, so that one V-cycle is a symmetric positive definite operator. Three sweeps
  on the finest level and two on coarser ones: the fastest on random volumes (one sweep each
  doubles the iteration count). After the sweeps the black cells have zero residual, so only the
  red ones are restricted. The finest level smooths in single precision (half the memory
  traffic of its arrays); the outer CG works in double precision throughout.
* Cycle: on every coarse level except the coarsest, up to two flexible-CG steps preconditioned
  by the next cycle (the K-cycle of Notay & Vassilevski) instead of one V-cycle; the second step
  is skipped when the first reduced the residual fourfold. Plain V-cycles of aggregation
  multigrid lose their convergence rate as levels are added; the K-cycle keeps the iteration
  count nearly independent of the grid size. The coarsest level (≤ :data:`COARSE_SIZE`
  unknowns) is solved directly.

The compiled kernels (numba, the optional ``fast`` extra; parallel over grid rows, the red and the
black half-sweeps fused into one pass over memory) are used when numba is importable; the NumPy
kernels run the same algorithm (same pieces, numbering and colouring), about five times slower
on large volumes. On a random 128³ volume at 70 % (2 cores) the solve to a 1e-6 residual takes
6 iterations and about 0.5 s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import connected_components

from ..errors import ConvergenceError, InputError
from .operators import _pair

try:  # numba is optional: the `fast` extra
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

if numba is not None:
    _jit = numba.njit(cache=True, nogil=True)
    _jit_parallel = numba.njit(cache=True, nogil=True, parallel=True)
    # helpers called per row or per block: inlined into the kernels, so that passing arrays to
    # them costs no reference counting
    _jit_inline = numba.njit(cache=True, nogil=True, inline="always")
    _prange = numba.prange
else:  # pragma: no cover

    def _jit(fn):
        return fn

    _jit_parallel = _jit_inline = _jit
    _prange = range

#: use the compiled kernels (tests switch this off to run the NumPy kernels)
COMPILED = numba is not None
#: levels with at most this many unknowns are solved directly (sparse LU)
COARSE_SIZE = 1000
#: the K-cycle skips its second step when the first one reduced the residual below this factor
KCYCLE_REDUCTION = 0.25
#: Gauss–Seidel sweeps before and after the coarse correction: finest level, coarser levels
FINE_SWEEPS, COARSE_SWEEPS = 3, 2
#: precision of the finest level's smoother and restriction (the outer CG is double precision)
PRECONDITIONER_DTYPE = np.float32
#: an axis is coarsened when its effective spacing is at most this times the smallest one
SEMICOARSENING_RATIO = np.sqrt(2.0)


def available() -> bool:
    """True when the compiled kernels can be used (numba is installed)."""
    return numba is not None


# --------------------------------------------------------------------------------------------
# compiled kernels, finest level: u, b (nz, ny, nx); tz (nz-1, ny, nx), ty (nz, ny-1, nx),
# tx (nz, ny, nx-1); rows (k, j) are distributed over the threads


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
            if i > 0:
                s -= tx[k, j, i - 1] * u[k, j, i - 1]
            if i < nx - 1:
                s -= tx[k, j, i] * u[k, j, i + 1]
            if j > 0:
                s -= ty[k, j - 1, i] * u[k, j - 1, i]
            if j < ny - 1:
                s -= ty[k, j, i] * u[k, j + 1, i]
            if k > 0:
                s -= tz[k - 1, j, i] * u[k - 1, j, i]
            if k < nz - 1:
                s -= tz[k, j, i] * u[k + 1, j, i]
            out[k, j, i] = s
            acc += s * u[k, j, i]
    return acc


@_jit_inline
def _grid_relax_row(u, b, tz, ty, tx, inv_diag, row, color, from_zero):  # pragma: no cover
    """Gauss–Seidel update of the cells of grid row ``row`` = (k, j) with (k + j + i) % 2 ==
    color; ``from_zero``: neighbours taken as 0 (the first update from u = 0)."""
    nz, ny, nx = u.shape
    k = row // ny
    j = row - k * ny
    for i in range((k + j + color) & 1, nx, 2):
        s = b[k, j, i]
        if not from_zero:
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


# compiled kernels, coarse levels: A = diag − W with W the symmetric CSR couplings (≥ 0)


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


# --------------------------------------------------------------------------------------------
# NumPy kernels (the same algorithm)


_PAIRS = [_pair(axis) for axis in range(3)]


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


# --------------------------------------------------------------------------------------------
# levels


def _ceil_div(shape, factors):
    return tuple(-(-s // f) for s, f in zip(shape, factors, strict=True))


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
            threads = numba.get_num_threads()
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


class Hierarchy:
    """Multigrid preconditioner for the grid operator (see the module docstring).

    trans, extra : as for :func:`solve_grid`.
    extra_axis : axis (0, 1, 2 = z, y, x) of the outer faces through which ``extra`` couples,
        so that it is rescaled on coarse levels like the faces along that axis; ``None`` for a
        term without direction (rescaled like the most coarsened axis).
    """

    def __init__(self, trans, extra, extra_axis: int | None = None):
        self.compiled = COMPILED
        fine = _GridLevel(trans, extra, self.compiled)
        self.levels = [fine]
        # effective spacing per axis from T ∝ V / h² (no coupled faces: never worth coarsening)
        mean_t = fine.mean_coupling()
        spacing = np.where(mean_t > 0, 1.0 / np.sqrt(np.where(mean_t > 0, mean_t, 1.0)), np.inf)
        while fine.inv_diag.any():  # else no unknown at all
            level = self.levels[-1]
            factors = _coarsening_factors(spacing, level.extent)
            if factors == (1, 1, 1):
                break
            scale = np.array([1.0 / f for f in factors])
            extra_scale = scale.min() if extra_axis is None else scale[extra_axis]
            self.levels.append(level.coarsen(factors, scale, extra_scale))
            spacing = spacing * np.array(factors)
            if self.levels[-1].size <= COARSE_SIZE:
                break
        coarsest = self.levels[-1]
        if isinstance(coarsest, _GridLevel):  # a single cell (or none): A is its diagonal
            self._coarse_solve = lambda r: r * coarsest.inv_diag.ravel()
        else:
            self._coarse_solve = spla.factorized(coarsest.matrix())
        # per level: r, z (input and result of its cycle) and the K-cycle's v, w, v2, w2, rt
        self._work = [
            {name: lev.zeros() for name in ("r", "z", "v", "w", "v2", "w2", "rt")}
            for lev in self.levels[1:]
        ]
        self._work.insert(0, {"z": np.zeros(fine.size, dtype=PRECONDITIONER_DTYPE)})

    def dot(self, a, b) -> float:
        return _dot(a, b) if self.compiled else float(a @ b)

    def precondition(self, r, z):
        """z = B r with B ≈ A⁻¹ (flat vectors over the finest grid)."""
        z_pc = self._work[0]["z"]
        self._cycle(0, r, z_pc)
        z[:] = z_pc

    def _cycle(self, lvl, r, z):
        if lvl == len(self.levels) - 1:
            z[:] = self._coarse_solve(r)
            return
        level = self.levels[lvl]
        sweeps = FINE_SWEEPS if lvl == 0 else COARSE_SWEEPS
        level.sweep(z, r, 0, from_zero=True)
        for _ in range(sweeps - 1):
            level.sweep(z, r, 0)
        work = self._work[lvl + 1]
        level.residual_restrict(z, r, work["r"])
        if lvl + 1 < len(self.levels) - 1:
            self._kcycle(lvl + 1)
        else:
            self._cycle(lvl + 1, work["r"], work["z"])
        level.prolong(z, work["z"])
        for _ in range(sweeps):  # the reverse order of the pre-smoothing: B stays symmetric
            level.sweep(z, r, 1)

    def _kcycle(self, lvl):
        """work z ≈ A⁻¹ (work r) on level ``lvl`` by up to two flexible-CG steps."""
        level, work = self.levels[lvl], self._work[lvl]
        r, v, w, rt = work["r"], work["v"], work["w"], work["rt"]
        self._cycle(lvl, r, v)
        vw = level.apply(v, w)
        c1 = self.dot(v, r) / vw if vw > 0 else 0.0
        np.subtract(r, c1 * w, out=rt)
        if self.dot(rt, rt) <= KCYCLE_REDUCTION**2 * self.dot(r, r):
            np.multiply(v, c1, out=work["z"])
            return
        v2, w2 = work["v2"], work["w2"]
        self._cycle(lvl, rt, v2)
        gamma = self.dot(v2, w)
        a2 = level.apply(v2, w2) - gamma * gamma / vw  # v2ᵀAv2 minus its part along v
        if not a2 > 0:  # v2 adds no new direction
            np.multiply(v, c1, out=work["z"])
            return
        rho2 = self.dot(v2, rt)
        np.multiply(v, c1 - gamma * rho2 / (vw * a2), out=work["z"])
        work["z"] += (rho2 / a2) * v2


def _coarsening_factors(spacing, extent) -> tuple[int, int, int]:
    """2 along the axes to coarsen (those within :data:`SEMICOARSENING_RATIO` of the finest
    spacing among the axes still longer than one block), else 1."""
    can = np.array(extent) > 1
    coupled = can & np.isfinite(spacing)
    if coupled.any():
        pick = coupled & (spacing <= SEMICOARSENING_RATIO * spacing[coupled].min())
    else:  # only uncoupled axes are left: coarsen them to end the hierarchy
        pick = can
    return tuple(int(f) for f in np.where(pick, 2, 1))


@dataclass(frozen=True)
class GridSolveInfo:
    """Diagnostics of :func:`solve_grid`."""

    iterations: int  # outer flexible-CG iterations
    residual: float  # final relative residual ‖b − A u‖ / ‖b‖
    unknowns: tuple[int, ...]  # unknowns per level, finest (all grid cells) to coarsest
    setup_s: float  # hierarchy construction, s
    solve_s: float  # CG iterations, s


def solve_grid(
    trans,
    extra,
    rhs,
    *,
    extra_axis: int | None = None,
    tol: float = 1e-10,
    maxiter: int = 500,
):
    """Solve ``A u = rhs`` for the grid operator of the module docstring.

    trans : face transmissibilities along z, y, x (S), shapes (nz−1, ny, nx), (nz, ny−1, nx),
        (nz, ny, nx−1), as returned by :func:`~operando.electrochem.operators.face_transmissibilities`.
    extra : (nz, ny, nx) diagonal term ≥ 0 (S); each connected cluster of coupled cells needs
        ``extra > 0`` somewhere, else ``A`` is singular.
    rhs : (nz, ny, nx) right-hand side (A); zero on uncoupled cells.
    extra_axis : axis of the outer faces carrying ``extra`` (see :class:`Hierarchy`).
    tol : relative residual ``‖rhs − A u‖ / ‖rhs‖`` to reach.
    Returns ``(u, GridSolveInfo)``, u (nz, ny, nx) with 0 on uncoupled cells.
    Raises :class:`~operando.errors.ConvergenceError` when ``maxiter`` iterations do not reach
    ``tol``.
    """
    extra = np.asarray(extra, dtype=float)
    rhs = np.asarray(rhs, dtype=float)
    if extra.ndim != 3 or rhs.shape != extra.shape:
        raise InputError(
            f"rhs, extra: expected equal 3-D shapes, got {rhs.shape} and {extra.shape}"
        )
    t0 = time.perf_counter()
    hierarchy = Hierarchy(trans, extra, extra_axis)
    t1 = time.perf_counter()
    if np.any(rhs[hierarchy.levels[0].diag <= 0]):
        raise InputError("rhs: must be zero on the cells without any coupling (they carry no unknown)")
    u, iterations, residual = _flexible_cg(hierarchy, rhs.ravel().copy(), tol, maxiter)
    t2 = time.perf_counter()
    unknowns = (extra.size, *(lev.size for lev in hierarchy.levels[1:]))
    return u.reshape(extra.shape), GridSolveInfo(iterations, residual, unknowns, t1 - t0, t2 - t1)


def _flexible_cg(hierarchy, b, tol, maxiter):
    """Flexible (Polak–Ribière) preconditioned CG: the K-cycle is not a fixed linear operator."""
    level = hierarchy.levels[0]
    x = np.zeros_like(b)
    bnorm = np.sqrt(hierarchy.dot(b, b))
    if bnorm == 0:
        return x, 0, 0.0
    r, z, q = b.copy(), np.zeros_like(b), np.zeros_like(b)
    hierarchy.precondition(r, z)
    p = z.copy()
    rz = hierarchy.dot(r, z)
    rnorm = bnorm
    for it in range(1, maxiter + 1):
        pq = level.apply(p, q)
        if not (pq > 0 and rz > 0):
            raise ConvergenceError(
                f"multigrid CG broke down at iteration {it} (pᵀAp = {pq:.3e}, rᵀz = {rz:.3e}): "
                "the operator is not positive definite (a coupled cluster without any diagonal "
                "term?)"
            )
        alpha = rz / pq
        if hierarchy.compiled:
            rnorm = np.sqrt(_cg_update(x, r, p, q, alpha))
        else:
            x += alpha * p
            r -= alpha * q
            rnorm = np.sqrt(r @ r)
        if rnorm <= tol * bnorm:
            # the updated residual drifts from the true one: confirm it before stopping
            level.apply(x, q)
            np.subtract(b, q, out=r)
            rnorm = np.sqrt(hierarchy.dot(r, r))
            if rnorm <= tol * bnorm:
                return x, it, rnorm / bnorm
            hierarchy.precondition(r, z)
            rz = hierarchy.dot(r, z)
            p[:] = z
            continue
        hierarchy.precondition(r, z)
        rz_new = hierarchy.dot(r, z)
        # Polak–Ribière: β = zₖ₊₁ᵀ(rₖ₊₁ − rₖ) / zₖᵀrₖ with rₖ₊₁ − rₖ = −α q
        beta = (rz_new + alpha * hierarchy.dot(z, q)) / rz
        rz = rz_new
        if hierarchy.compiled:
            _new_direction(p, z, beta)
        else:
            p *= beta
            p += z
    raise ConvergenceError(
        f"multigrid CG: relative residual {rnorm / bnorm:.3e} after {maxiter} iterations "
        f"exceeds tol={tol:.1e}"
    )
