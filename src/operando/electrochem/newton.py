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


def _factor(matrix: sp.spmatrix, method: str):
    """A solve function for ``matrix`` (sparse LU, or pyamg-preconditioned GMRES for large 3-D)."""
    # symmetric diagonal scaling: metal conductances (~1 S) and electrolyte ones (~1e-9 S) share
    # the matrix; balancing them keeps the LU's round-off from leaking between the blocks
    scale = 1.0 / np.sqrt(np.abs(matrix.diagonal()) + 1e-300)
    S = sp.diags(scale)
    if method == "direct" or (method == "auto" and matrix.shape[0] <= 250_000):
        lu = spla.splu(sp.csc_matrix(S @ matrix @ S))
        return lambda rhs: scale * lu.solve(scale * rhs)
    import pyamg

    ml = pyamg.smoothed_aggregation_solver(
        sp.csr_matrix(matrix), symmetry="nonsymmetric", max_coarse=500
    )
    precond = ml.aspreconditioner()

    def solve(rhs):
        scale = np.linalg.norm(rhs)
        if scale == 0:
            return np.zeros_like(rhs)
        out, info = spla.gmres(matrix, rhs, M=precond, rtol=1e-12, atol=0.0, restart=60, maxiter=40)
        if info != 0:
            raise ConvergenceError(f"AMG-GMRES: linear solve did not converge (info={info})")
        return out

    return solve


def newton(system, u, V, x_old, mode, target, *, current_scale, max_iter=30, method="auto"):
    """Solve the step's nonlinear system; returns (u, V, face currents i, iterations).

    mode "cc": terminal current ``target`` (A); "cv": terminal voltage ``target`` (V).
    Converged when the updates fall below PHI_TOL / X_TOL, or when every residual (A) is below
    RES_TOL · ``current_scale`` (A) after an update smaller than 1 µV.
    Raises ConvergenceError when it does not converge in ``max_iter`` iterations.
    """
    u = u.copy()
    npot = system.ne + system.ni
    small_update = False
    for it in range(1, max_iter + 1):
        R, RV, A, b, c, d, _ = system.residual_jacobian(u, V, x_old, mode, target)
        res = max(float(np.abs(R).max(initial=0.0)), abs(RV) if mode == "cc" else 0.0)
        if small_update and res < RES_TOL * current_scale:
            i, _ = system.reaction(u, V)
            return u, V, i, it - 1
        solve = _factor(A, method)
        y1 = solve(R)
        y2 = solve(b)
        dV = (RV - c @ y1) / (d - c @ y2)
        du = y1 - y2 * dV
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
