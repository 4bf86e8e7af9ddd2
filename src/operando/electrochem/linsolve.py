"""Sparse linear solves: a direct LU for small systems, AMG-preconditioned CG for large SPD ones."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ConvergenceError

#: systems up to this many unknowns are solved directly (sparse LU); larger SPD ones with AMG-CG
DIRECT_LIMIT = 60_000


def solve_spd(
    matrix: sp.spmatrix, rhs: np.ndarray, *, tol: float = 1e-10, method: str = "auto"
) -> np.ndarray:
    """Solve ``matrix @ u = rhs`` for a symmetric positive definite ``matrix``.

    method : "direct" (SuperLU), "amg" (pyamg Ruge–Stüben-AMG-preconditioned CG with
        relative residual ``tol``) or "auto" (direct below :data:`DIRECT_LIMIT` unknowns).
    """
    n = matrix.shape[0]
    if method == "auto":
        method = "direct" if n <= DIRECT_LIMIT else "amg"
    if method == "direct":
        return spla.spsolve(sp.csc_matrix(matrix), rhs)
    import pyamg

    # classical (Ruge–Stüben) AMG: on voxel Laplacians with holes it sets up and converges
    # faster than smoothed aggregation (measured on random 96³ two-phase volumes)
    ml = pyamg.ruge_stuben_solver(sp.csr_matrix(matrix), max_coarse=500)
    residuals: list[float] = []
    u = ml.solve(rhs, tol=tol, accel="cg", maxiter=500, residuals=residuals)
    rel = np.linalg.norm(rhs - matrix @ u) / max(np.linalg.norm(rhs), 1e-300)
    if not np.isfinite(rel) or rel > 10 * tol:
        raise ConvergenceError(
            f"AMG-CG: relative residual {rel:.3e} after {len(residuals)} iterations "
            f"exceeds tol={tol:.1e}"
        )
    return u
