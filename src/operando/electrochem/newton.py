"""Damped Newton on the bordered charge system (V eliminated by a Schur complement)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ConvergenceError

#: Newton stops when the largest potential update is below this (V) and x's below X_TOL
PHI_TOL = 1e-10
X_TOL = 1e-12
RES_TOL = 1e-12  # residual currents relative to the cell current
MAX_PHI_STEP = 0.25  # V per iteration (damping of the exponential kinetics)
MAX_X_STEP = 0.05


#: "auto" reuses a sparse LU across Newton iterations and time steps (as the preconditioner of
#: GMRES on the new Jacobian) when its fill exceeds this many times the matrix's non-zeros: 3-D
#: cells (fill ~90x, factorization ~2 s at 2·10⁴ unknowns); 2-D sections (fill ~10x) refactor
REUSE_FILL = 30
#: GMRES iterations beyond which a reused factorization is refreshed before the next solve: the
#: iterations grow as the Jacobian drifts; refreshing near 10 balances one factorization
#: (~60 preconditioned iterations of a 3-D cell) against them (2.8x faster than an LU per Newton
#: iteration on a 10 x 38 x 52 cell, the same result to 1e-15)
STALE_ITERATIONS = 10
GMRES_RTOL = 1e-10  # the LU-preconditioned residual stagnates near 1e-11


#: "auto" solves the Jacobians of 3-D cells with more unknowns than this by block-preconditioned
#: FGMRES (:mod:`.block_krylov`) instead of a sparse LU: on a 10 x 38 x 95 cell at 400 nm charged
#: 60 s it takes 9x less CPU time (8 s against 74 s) and 6.6x less memory, the same result to
#: 1e-15, and the LU's fill grows as n^(4/3) in 3-D (``benchmarks/bench_charge.py --scaling``);
#: 2-D sections (fill ~10x) keep the LU (15 s against 43 s on 1 x 100 x 254) up to
#: :data:`KRYLOV_LIMIT`
KRYLOV_LIMIT_3D = 10_000
KRYLOV_LIMIT = 250_000


class JacobianSolver:
    """Linear solves with the successive Jacobians of one charge run.

    method : "direct" (a fresh sparse LU per Jacobian), "amg" (pyamg-preconditioned GMRES on the
    whole Jacobian), "krylov" (physics-block preconditioned FGMRES, no factorization; memory
    linear in the voxels, see :mod:`.block_krylov`) or "auto": sparse LU up to
    :data:`KRYLOV_LIMIT` unknowns (:data:`KRYLOV_LIMIT_3D` for 3-D cells), reused across
    Jacobians while it preconditions GMRES well where factorizing is expensive
    (:data:`REUSE_FILL`); "krylov" above.
    """

    def __init__(self, method: str = "auto"):
        self.method = method
        self._lu = None
        self._stale = True
        self._krylov = None

    @property
    def krylov_iterations(self) -> list[int]:
        """FGMRES iterations of each "krylov" solve so far (empty for the other methods)."""
        return [] if self._krylov is None else self._krylov.iterations

    def bordered(self, system, A, b, c, d, R, RV):
        """Newton update (du, dV) of ``[[A, b], [c, d]] (du, dV) = (R, RV)``."""
        volume = min(system.model.grid.shape) > 1
        limit = KRYLOV_LIMIT_3D if volume else KRYLOV_LIMIT
        if self.method == "krylov" or (self.method == "auto" and A.shape[0] > limit):
            if self._krylov is None:
                from .block_krylov import BlockKrylov

                self._krylov = BlockKrylov()
            return self._krylov.solve(system, A, b, c, d, R, RV)
        solve = self.update(A)
        y1 = solve(R)
        y2 = solve(b)
        dV = (RV - c @ y1) / (d - c @ y2)
        return y1 - y2 * dV, dV

    def update(self, matrix: sp.spmatrix):
        """A solve function ``rhs -> matrix⁻¹ rhs`` for this Newton iteration's Jacobian."""
        if self.method == "amg":
            return _amg_gmres(matrix)
        # symmetric diagonal scaling: metal conductances (~1 S) and electrolyte ones (~1e-9 S)
        # share the matrix; balancing them keeps the LU's round-off from leaking between blocks
        scale = 1.0 / np.sqrt(np.abs(matrix.diagonal()) + 1e-300)
        scaled = sp.csc_matrix(sp.diags(scale) @ matrix @ sp.diags(scale))
        reuse = self.method == "auto" and not self._stale and self._lu.shape == scaled.shape
        if not reuse:
            self._lu = spla.splu(scaled)
            fill = self._lu.L.nnz + self._lu.U.nnz
            # cheap to factorize: the next Jacobian gets its own exact LU
            self._stale = self.method != "auto" or fill < REUSE_FILL * scaled.nnz
            lu = self._lu
            return lambda rhs: scale * lu.solve(scale * rhs)

        def solve(rhs):
            y = self._preconditioned_gmres(scaled, scale * rhs)
            if y is None:  # the old factorization no longer preconditions: refactorize
                self._lu = spla.splu(scaled)
                self._stale = False
                y = self._lu.solve(scale * rhs)
            return scale * y

        return solve

    def _preconditioned_gmres(self, scaled, rhs):
        if not np.any(rhs):
            return np.zeros_like(rhs)
        count = [0]

        def tally(_):
            count[0] += 1

        precond = spla.LinearOperator(scaled.shape, matvec=self._lu.solve, dtype=float)
        y, info = spla.gmres(scaled, rhs, M=precond, rtol=GMRES_RTOL, atol=0.0, restart=20,
                             maxiter=3, callback=tally, callback_type="pr_norm")
        if info != 0:
            self._stale = True
            return None
        self._stale = count[0] > STALE_ITERATIONS
        return y


def _amg_gmres(matrix):
    """pyamg-preconditioned GMRES solve function for very large (3-D) Jacobians."""
    import pyamg

    ml = pyamg.smoothed_aggregation_solver(
        sp.csr_matrix(matrix), symmetry="nonsymmetric", max_coarse=500
    )
    precond = ml.aspreconditioner()

    def solve(rhs):
        if not np.any(rhs):
            return np.zeros_like(rhs)
        out, info = spla.gmres(matrix, rhs, M=precond, rtol=1e-12, atol=0.0, restart=60, maxiter=40)
        if info != 0:
            raise ConvergenceError(f"AMG-GMRES: linear solve did not converge (info={info})")
        return out

    return solve


def newton(system, u, V, x_old, mode, target, *, current_scale, max_iter=30, method="auto",
           linear: JacobianSolver | None = None):
    """Solve the step's nonlinear system; returns (u, V, face currents i, iterations).

    mode "cc": terminal current ``target`` (A); "cv": terminal voltage ``target`` (V).
    Converged when the updates fall below PHI_TOL / X_TOL, or when every residual (A) is below
    RES_TOL · ``current_scale`` (A) after an update smaller than 1 µV.
    linear : the run's :class:`JacobianSolver` (keeps a reusable factorization between calls);
        a new one for ``method`` when None.
    Raises ConvergenceError when it does not converge in ``max_iter`` iterations.
    """
    linear = JacobianSolver(method) if linear is None else linear
    u = u.copy()
    npot = system.ne + system.ni
    small_update = False
    for it in range(1, max_iter + 1):
        R, RV, A, b, c, d, _ = system.residual_jacobian(u, V, x_old, mode, target)
        res = max(float(np.abs(R).max(initial=0.0)), abs(RV) if mode == "cc" else 0.0)
        if small_update and res < RES_TOL * current_scale:
            i, _ = system.reaction(u, V)
            return u, V, i, it - 1
        du, dV = linear.bordered(system, A, b, c, d, R, RV)
        if not (np.all(np.isfinite(du)) and np.isfinite(dV)):
            raise ConvergenceError("Newton: non-finite update (singular Jacobian?)")
        dphi = max(float(np.abs(du[:npot]).max(initial=0.0)), abs(dV))
        dx = float(np.abs(du[npot:]).max(initial=0.0))
        scale = min(1.0, MAX_PHI_STEP / max(dphi, 1e-300), MAX_X_STEP / max(dx, 1e-300))
        u -= scale * du
        V -= scale * dV
        small_update = scale == 1.0 and dphi < 1e-6 and dx < 1e-8
        if scale == 1.0 and dphi < PHI_TOL and dx < X_TOL:
            i, _ = system.reaction(u, V)
            return u, V, i, it
    raise ConvergenceError(
        f"Newton: no convergence in {max_iter} iterations (last |Δφ| = {dphi:.2e} V, "
        f"|Δx| = {dx:.2e})"
    )
