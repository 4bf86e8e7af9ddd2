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

The levels live in :mod:`._multigrid_levels`, their kernels in :mod:`._multigrid_grid` (finest
level), :mod:`._multigrid_csr` (coarse levels, CG vectors) and :mod:`._multigrid_numpy`. The
compiled kernels (numba, the optional ``fast`` extra; parallel over grid rows, the red and the
black half-sweeps fused into one pass over memory) are used when numba is importable; the NumPy
kernels run the same algorithm (same pieces, numbering and colouring), about five times slower
on large volumes. On a random 128³ volume at 70 % (2 cores) the solve to a 1e-6 residual takes
6 iterations and about 0.5 s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse.linalg as spla

from .. import _numba
from ..errors import ConvergenceError, InputError
from ._multigrid_csr import _cg_update, _dot, _new_direction
from ._multigrid_levels import PRECONDITIONER_DTYPE, _GridLevel

#: use the compiled kernels (tests switch this off to run the NumPy kernels)
COMPILED = _numba.available()
#: levels with at most this many unknowns are solved directly (sparse LU)
COARSE_SIZE = 1000
#: the K-cycle skips its second step when the first one reduced the residual below this factor
KCYCLE_REDUCTION = 0.25
#: Gauss–Seidel sweeps before and after the coarse correction: finest level, coarser levels
FINE_SWEEPS, COARSE_SWEEPS = 3, 2
#: an axis is coarsened when its effective spacing is at most this times the smallest one
SEMICOARSENING_RATIO = np.sqrt(2.0)


def available() -> bool:
    """True when the compiled kernels can be used (numba is installed)."""
    return _numba.available()


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
