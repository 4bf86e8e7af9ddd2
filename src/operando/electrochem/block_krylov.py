"""Physics-block preconditioned FGMRES for the charge Jacobian (no global factorization).

The Jacobian ``A`` of :mod:`.system` has three blocks of unknowns: the potentials ``p = (φ_e,
φ_i)`` and the lithium content ``x`` of the LixCoO2 voxels,

    A = [[A_pp, A_px],        A_pp: graph Laplacian of conductances — electronic and ionic
         [A_xp, A_xx]]              faces, contact resistors and the Butler–Volmer interface
                                    conductances g·A that join φ_e to φ_i across each reacting face;
                                    A_xx: storage F c_max V/Δt + within-particle diffusion Laplacian;
                                    A_px, A_xp: the same interface faces (∂i/∂x through U'(x)) and
                                    Li+ migration in LixCoO2.

Preconditioner (a block LDU factorization with approximate blocks):

    y_x = Ã_xx⁻¹ r_x,   z_p = S̃⁻¹ (r_p − A_px y_x),   z_x = Ã_xx⁻¹ (r_x − A_xp z_p)

with the Schur complement of the x block approximated by its diagonal,
``S = A_pp − A_px diag(A_xx)⁻¹ A_xp``. Eliminating x this way changes only the interface
conductances (g A → g A (1 + g U'/a_xx), still positive since U' < 0), so ``S`` stays a graph
Laplacian and one algebraic multigrid V-cycle (pyamg smoothed aggregation) approximates its
inverse with a grid-independent contraction. Keeping φ_e and φ_i in ONE multigrid hierarchy
rather than one each matters: the Butler–Volmer conductance of a reacting face is often far larger
than the electrolyte's own, so a block Gauss–Seidel sweep between the two potentials converges
slowly (the coupled interface is the stiff part); in the Schur/graph form the multigrid coarsens
across it. ``Ã_xx⁻¹`` is one V-cycle of a second hierarchy on A_xx (the diffusion Laplacian
outweighs the storage term at 100 nm voxels: D/h² ~ 100/s against 1/Δt ~ 1/s, so Jacobi would not
do). The unknowns are first scaled symmetrically by the diagonal (metal conductances ~1 S and
electrolyte ones ~1e-9 S share the matrix).

Floating electronic clusters (isolated particles, Li inclusions) are stored as an anchor
potential plus offsets (see :class:`.system.ChargeSystem`), which makes the anchor columns of A
sums over the cluster. The preconditioner works on the physical potentials, ``A = A_phys P``, and
maps back with ``P⁻¹``.

The outer iteration is right-preconditioned flexible GMRES (pyamg's ``fgmres``) so the
stopping test is on the true residual. The hierarchies are built once and reused for the
following Jacobians (Newton iterations and time steps) while the iteration count stays below
:data:`REBUILD_ITERATIONS`: the Jacobians of one run differ only in the interface conductances.
Memory and work are linear in the number of voxels.

Why not pyamg on the whole Jacobian: its nonsymmetric smoothed aggregation does not see the block
structure (potentials and contents have unrelated scales) and needs ~110 GMRES iterations on a
3-D cell of 4·10⁴ voxels. Why not the project's geometric multigrid (:mod:`.multigrid`): it
applies a voxel Laplacian given by face transmissibilities on the full grid, while ``S`` couples
two unknowns per reacting voxel pair through its interface faces — an algebraic hierarchy takes
the assembled matrix as is.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ConvergenceError

#: relative residual of each linear solve (inexact Newton: the Newton updates still fall to
#: PHI_TOL / X_TOL, the iterations of Newton are the same as with exact solves)
KRYLOV_RTOL = 1e-9
#: FGMRES iterations above which the multigrid hierarchies are rebuilt for the next Jacobian
REBUILD_ITERATIONS = 30
MAX_ITERATIONS = 300
RESTART = 60
#: pre- and post-smoother of every level (pyamg names)
SMOOTHER = (("gauss_seidel", {"sweep": "forward"}), ("gauss_seidel", {"sweep": "backward"}))


def _amg(matrix, weights):
    """Smoothed-aggregation hierarchy of one diagonal block; ``weights`` its near-null vector."""
    import pyamg

    ml = pyamg.smoothed_aggregation_solver(
        sp.csr_matrix(matrix), B=weights[:, None], strength="evolution", max_coarse=500,
        presmoother=SMOOTHER[0], postsmoother=SMOOTHER[1],
    )
    # one near-null vector: pyamg's 1 x 1 block (BSR) levels smooth three times slower than CSR
    for lvl in ml.levels:
        lvl.A = sp.csr_matrix(lvl.A)
        if hasattr(lvl, "P"):
            lvl.P, lvl.R = sp.csr_matrix(lvl.P), sp.csr_matrix(lvl.R)
    return ml


def _vcycle(ml, rhs):
    """One V-cycle of a pyamg hierarchy from a zero guess (no residual norms: pyamg's ``solve``
    computes three per call, a tenth of the cycle's time)."""
    levels = ml.levels
    b = [rhs]
    x = []
    for lvl in levels[:-1]:
        xi = np.zeros_like(b[-1])
        lvl.presmoother(lvl.A, xi, b[-1])
        x.append(xi)
        b.append(lvl.R @ (b[-1] - lvl.A @ xi))
    coarse = ml.coarse_solver(levels[-1].A, b[-1])
    for lvl, xi, bi in zip(reversed(levels[:-1]), reversed(x), reversed(b[:-1]), strict=True):
        xi += lvl.P @ coarse
        lvl.postsmoother(lvl.A, xi, bi)
        coarse = xi
    return coarse


def physical_jacobian(matrix, system):
    """``A P⁻¹``: the Jacobian with respect to the physical electronic potentials (floating
    clusters' anchor + offset unknowns undone), and ``P⁻¹`` (both sparse)."""
    n = matrix.shape[0]
    members = np.nonzero(system.anchor_of >= 0)[0]
    members = members[system.anchor_of[members] != members]
    e = sp.csr_matrix(
        (np.ones(members.size), (members, system.anchor_of[members])), shape=(n, n)
    )
    p_inv = sp.identity(n, format="csr") - e
    if members.size == 0:
        return sp.csr_matrix(matrix), p_inv
    phys = sp.csr_matrix(matrix @ p_inv)
    # the anchor columns of A are sums over the cluster; undoing them cancels to round-off
    d = np.sqrt(np.abs(phys.diagonal()) + 1e-300)
    rows = np.repeat(np.arange(n), np.diff(phys.indptr))
    phys.data[np.abs(phys.data) < 1e-13 * d[rows] * d[phys.indices]] = 0.0
    phys.eliminate_zeros()
    return phys, p_inv


class BlockPreconditioner:
    """The block preconditioner above for (scaled, physical) Jacobians of one run.

    matrix : (n, n) sparse, unknowns ordered φ_e (``ne``), φ_i (``ni``), then x.
    weights : (n,) the near-null vector of each block in these unknowns (1 / the scaling: a
        constant potential or content before scaling), handed to the aggregation.
    """

    def __init__(self, matrix, ne, ni, weights):
        self.ne, self.npot = ne, ne + ni
        self.set_matrix(matrix)
        p = self.npot
        self.ml_e = _amg(self.s_ee, weights[:ne])
        self.ml_i = _amg(self.s_ii, weights[ne:p])
        self.ml_x = _amg(self.a_xx, weights[p:]) if matrix.shape[0] > p else None
        self._use_blocks()

    def set_matrix(self, matrix):
        """Take the blocks of a new Jacobian (the coarse levels are kept)."""
        a = sp.csr_matrix(matrix)
        ne, p = self.ne, self.npot
        self.a_px, self.a_xp, self.a_xx = a[:p, p:], a[p:, :p], a[p:, p:]
        schur = a[:p, :p] - self.a_px @ sp.diags(1.0 / self.a_xx.diagonal()) @ self.a_xp
        schur = sp.csr_matrix(schur)
        self.s_ee, self.s_ei = schur[:ne, :ne], schur[:ne, ne:]
        self.s_ie, self.s_ii = schur[ne:, :ne], schur[ne:, ne:]
        if hasattr(self, "ml_e"):
            self._use_blocks()

    def _use_blocks(self):
        # the finest level smooths with the current blocks; coarse levels stay approximate
        self.ml_e.levels[0].A = self.s_ee
        self.ml_i.levels[0].A = self.s_ii
        if self.ml_x is not None:
            self.ml_x.levels[0].A = self.a_xx

    def _potentials(self, r):
        """Symmetric block Gauss–Seidel (φ_e, φ_i, φ_e) on the Schur complement."""
        ne = self.ne
        re, ri = r[:ne], r[ne:]
        ze = _vcycle(self.ml_e, re)
        zi = _vcycle(self.ml_i, ri - self.s_ie @ ze)
        ze += _vcycle(self.ml_e, re - self.s_ee @ ze - self.s_ei @ zi)
        return np.concatenate([ze, zi])

    def __call__(self, r):
        p = self.npot
        if self.ml_x is None:
            return self._potentials(r)
        rp, rx = r[:p], r[p:]
        yx = _vcycle(self.ml_x, rx)
        zp = self._potentials(rp - self.a_px @ yx)
        zx = _vcycle(self.ml_x, rx - self.a_xp @ zp)
        return np.concatenate([zp, zx])


def fgmres(matrix, rhs, precondition, *, rtol=KRYLOV_RTOL):
    """Right-preconditioned FGMRES from a zero guess; returns (solution, iterations)."""
    import pyamg.krylov
    import scipy.sparse.linalg as spla

    if not np.any(rhs):
        return np.zeros_like(rhs), 0
    m = spla.LinearOperator(matrix.shape, matvec=precondition, dtype=float)
    residuals: list[float] = []
    out, _ = pyamg.krylov.fgmres(matrix, rhs, tol=rtol, restart=RESTART,
                                 maxiter=MAX_ITERATIONS // RESTART, M=m, residuals=residuals)
    rel = np.linalg.norm(rhs - matrix @ out) / np.linalg.norm(rhs)
    if not np.isfinite(rel) or rel > 10 * rtol:
        raise ConvergenceError(
            f"block-preconditioned FGMRES: relative residual {rel:.2e} after "
            f"{len(residuals) - 1} iterations (rtol={rtol:.0e})"
        )
    return out, len(residuals) - 1


class BlockKrylov:
    """Bordered Newton solves ``[[A, b], [c, d]] (du, dV) = (R, R_V)`` of one charge run by
    block-preconditioned FGMRES, the hierarchies reused across Jacobians while they work.

    ``iterations`` lists the FGMRES iterations of every solve (for benchmarks).
    """

    def __init__(self):
        self.iterations: list[int] = []
        self._pre = None

    def solve(self, system, A, b, c, d, R, RV):
        """Newton update (du, dV) for the relative unknowns of ``system`` (see newton)."""
        phys, p_inv = physical_jacobian(A, system)
        reused = self._pre is not None and self._pre[1].size == phys.shape[0]
        try:
            du, dV, it = self._solve(system, phys, p_inv, b, c, d, R, RV, reused)
        except ConvergenceError:
            if not reused:
                raise
            # the Jacobian drifted too far from the one the hierarchies were built for
            du, dV, it = self._solve(system, phys, p_inv, b, c, d, R, RV, False)
        self.iterations.append(it)
        if it > REBUILD_ITERATIONS:
            self._pre = None  # the next Jacobian gets fresh hierarchies
        return du, dV

    def _solve(self, system, phys, p_inv, b, c, d, R, RV, reuse):
        n = phys.shape[0]
        if reuse:
            pre, scale = self._pre
        else:
            scale = 1.0 / np.sqrt(np.abs(phys.diagonal()) + 1e-300)
        scaled = sp.csr_matrix(sp.diags(scale) @ phys @ sp.diags(scale))
        if reuse:
            pre.set_matrix(scaled)
        else:
            pre = BlockPreconditioner(scaled, system.ne, system.ni, 1.0 / scale)
            self._pre = (pre, scale)
        # the bordered row of V: b, c in the scaled unknowns (b in physical columns: A = A_phys P)
        b_hat, c_hat = scale * b, (p_inv.T @ c) * scale
        zb = pre(b_hat)
        schur = d - c_hat @ zb
        v_scale = 1.0 / np.sqrt(abs(schur)) if schur != 0 else 1.0
        c_hat, b_hat, zb = v_scale * c_hat, v_scale * b_hat, v_scale * zb
        schur = schur * v_scale**2
        d_hat = d * v_scale**2

        def bordered(v):
            return np.append(scaled @ v[:n] + b_hat * v[n], c_hat @ v[:n] + d_hat * v[n])

        def precondition(r):
            zr = pre(r[:n])
            zv = (r[n] - c_hat @ zr) / schur
            return np.append(zr - zb * zv, zv)

        op = _Operator(n + 1, bordered)
        y, it = fgmres(op, np.append(scale * R, v_scale * RV), precondition)
        return p_inv @ (scale * y[:n]), v_scale * y[n], it


def _Operator(n, matvec):
    import scipy.sparse.linalg as spla

    return spla.LinearOperator((n, n), matvec=matvec, dtype=float)
