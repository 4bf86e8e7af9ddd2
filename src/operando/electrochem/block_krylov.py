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

* The Schur complement of the x block is taken with its diagonal,
  ``S = A_pp − A_px diag(A_xx)⁻¹ A_xp``: eliminating x this way only lowers the interface
  conductances (g A → g A (1 + g U'/a_xx), still positive since U' < 0), so ``S`` stays a pair of
  graph Laplacians joined at the reacting faces. With S and A_xx inverted exactly, FGMRES needs
  11 iterations on a 10 x 38 x 95 cell (400 nm) and 13 on 10 x 75 x 191 (200 nm).
* ``S̃⁻¹``: a symmetric block Gauss–Seidel sweep φ_e, φ_i, φ_e with one smoothed-aggregation
  V-cycle (pyamg) per block. Measured on the same two cells (first Jacobian of a 1C charge):
  18 and 18 iterations; one hierarchy on the whole of S instead: 16 and 35 (the Butler–Volmer
  conductances of the faces are far stronger than the electrolyte's own, and aggregation across
  them degrades as the faces multiply), classical Ruge–Stüben AMG: 25 and 88.
* ``Ã_xx⁻¹``: one V-cycle of a third hierarchy: the diffusion Laplacian outweighs the storage
  term at fine voxels (D/h² ~ 100/s against 1/Δt ~ 1/s), so Jacobi would not do.
* The unknowns are scaled symmetrically by the diagonal (metal conductances ~1 S and electrolyte
  ones ~1e-9 S share the matrix), which turns a block's near-null vector (a constant potential or
  content) into the square root of its diagonal: it is handed to the aggregation as such (with
  the default constant vector the potential hierarchy needs > 100 iterations).
* Smoothing: Gauss–Seidel, forward before and backward after the coarse correction, on every
  level: 19 iterations against 16 with symmetric sweeps but 25 % less time per solve.

Floating electronic clusters (isolated particles, Li inclusions) are stored as an anchor
potential plus offsets (see :class:`.system.ChargeSystem`), which makes the anchor columns of A
sums over the cluster. The preconditioner works on the physical potentials, ``A = A_phys P``, and
maps back with ``P⁻¹``. The terminal voltage V (the bordered row and column of Newton's system)
joins the Krylov unknowns, preconditioned by its own Schur complement ``d − c M b``: one solve
per Newton iteration instead of one for the residual and one for the voltage column.

The outer iteration is right-preconditioned flexible GMRES (pyamg's ``fgmres``) so the stopping
test is on the true residual; :data:`KRYLOV_RTOL` keeps Newton's iterations those of exact
solves (Newton stops on updates below PHI_TOL / X_TOL, which an inexact solve reaches as fast;
the same states as the sparse LU to ~1e-15 on the cells compared). The hierarchies are built once
and reused for the following Jacobians (Newton iterations and time steps: they differ in the
interface conductances and lagged coefficients) while a solve takes at most
:data:`REBUILD_FACTOR` times the iterations of the solve they were built for; a failed solve with
reused hierarchies is retried with fresh ones. The preset cell charged 600 s at 0.94 mA/cm² (55
solves) needs 9–14 iterations with fresh hierarchies for every Jacobian at 18 240 and at 76 200
voxels; reused with a fixed limit of 30 they drifted to 25 and 50, and a Galerkin refresh of the
coarse operators (R A P per Jacobian, the prolongators kept) slowed the drift (to 20) at about
twice the cost per solve. With the relative limit and the :data:`DIAGONAL_DRIFT` test the same
charge takes 11–19 iterations at 18 240 voxels and 12–23 at 1 143 000
(``benchmarks/bench_charge.py --scaling --duration 600``).
Memory and work per iteration are linear in the number of voxels.

Why not pyamg on the whole Jacobian (method "amg"): its nonsymmetric smoothed aggregation does not
see the block structure (potentials and contents have unrelated scales) and needs ~110 GMRES
iterations on a 3-D cell of 4·10⁴ voxels. Why not the project's geometric multigrid
(:mod:`.multigrid`): it applies one voxel Laplacian given by face transmissibilities on the full
grid, while the blocks here live on the voxels of one phase each, with interface and contact
terms — an algebraic hierarchy takes the assembled blocks as they are.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ConvergenceError

#: relative residual of each linear solve (inexact Newton). On an 8 x 30 x 76 cell charged 120 s:
#: 1e-6 takes the same 41 Newton iterations as 1e-9, with 29 % fewer FGMRES iterations and the
#: same states to 2e-15; 1e-4 adds a Newton iteration (and differs by 7e-13)
KRYLOV_RTOL = 1e-6
#: the hierarchies are rebuilt for the next Jacobian once a solve with reused ones takes more than
#: this many times the iterations of the solve they were built for
REBUILD_FACTOR = 1.5
#: ... and before a Jacobian whose potential diagonal moved by more than this factor in any voxel
#: since the build (the Butler–Volmer conductances grow exponentially with the overpotential, and
#: coarse levels built without them precondition poorly: on the preset at 500 nm a reused solve
#: took 45 iterations where φ_e's diagonal had grown 3.2x, 16 where it had grown 2x)
DIAGONAL_DRIFT = 2.0
MAX_ITERATIONS = 300
RESTART = 60
#: pre- and post-smoother of every level (pyamg names)
SMOOTHER = (("gauss_seidel", {"sweep": "forward"}), ("gauss_seidel", {"sweep": "backward"}))


def _amg(matrix, weights):
    """Smoothed-aggregation hierarchy of one diagonal block; ``weights`` its near-null vector
    (None for an empty block)."""
    import pyamg

    if matrix.shape[0] == 0:
        return None

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
    if ml is None:
        return np.zeros_like(rhs)
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
        self.ml_x = _amg(self.a_xx, weights[p:])
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
        for ml, block in ((self.ml_e, self.s_ee), (self.ml_i, self.s_ii), (self.ml_x, self.a_xx)):
            if ml is not None:
                ml.levels[0].A = block

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


def fgmres(matrix, rhs, precondition, *, rtol=None):
    """Right-preconditioned FGMRES from a zero guess to the relative residual ``rtol``
    (:data:`KRYLOV_RTOL` when None); returns (solution, iterations)."""
    import pyamg.krylov

    rtol = KRYLOV_RTOL if rtol is None else rtol
    if not np.any(rhs):
        return np.zeros_like(rhs), 0
    m = spla.LinearOperator(matrix.shape, matvec=precondition, dtype=float)
    residuals: list[float] = []
    restart = min(RESTART, rhs.size)
    out, _ = pyamg.krylov.fgmres(matrix, rhs, tol=rtol, restart=restart,
                                 maxiter=-(-MAX_ITERATIONS // restart), M=m, residuals=residuals)
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
        self._fresh_iterations = 0  # of the solve the kept hierarchies were built for

    def solve(self, system, A, b, c, d, R, RV):
        """Newton update (du, dV) for the relative unknowns of ``system`` (see newton)."""
        phys, p_inv = physical_jacobian(A, system)
        reused = self._pre is not None and self._reusable(phys, system.ne + system.ni)
        try:
            du, dV, it = self._solve(system, phys, p_inv, b, c, d, R, RV, reused)
        except ConvergenceError:
            if not reused:
                raise
            # the Jacobian drifted too far from the one the hierarchies were built for
            reused = False
            du, dV, it = self._solve(system, phys, p_inv, b, c, d, R, RV, reused)
        self.iterations.append(it)
        if not reused:
            self._fresh_iterations = it
        elif it > REBUILD_FACTOR * max(self._fresh_iterations, 1):
            self._pre = None  # the next Jacobian gets fresh hierarchies
        return du, dV

    def _reusable(self, phys, npot):
        """Whether the kept hierarchies can precondition ``phys``: same unknowns, and no potential
        diagonal moved beyond :data:`DIAGONAL_DRIFT` (the kept scaling maps it to 1 at the build)."""
        scale = self._pre[1]
        if scale.size != phys.shape[0]:
            return False
        drift = np.abs(phys.diagonal()[:npot]) * scale[:npot] ** 2
        return bool(np.all((drift <= DIAGONAL_DRIFT) & (drift >= 1.0 / DIAGONAL_DRIFT)))

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
        schur = schur * v_scale**2 or 1.0
        d_hat = d * v_scale**2

        def bordered(v):
            return np.append(scaled @ v[:n] + b_hat * v[n], c_hat @ v[:n] + d_hat * v[n])

        def precondition(r):
            zr = pre(r[:n])
            zv = (r[n] - c_hat @ zr) / schur
            return np.append(zr - zb * zv, zv)

        op = spla.LinearOperator((n + 1, n + 1), matvec=bordered, dtype=float)
        y, it = fgmres(op, np.append(scale * R, v_scale * RV), precondition)
        return p_inv @ (scale * y[:n]), v_scale * y[n], it
