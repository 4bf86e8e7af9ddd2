"""Compiled Levenberg–Marquardt for dip spectra (optional, needs numba).

The same algorithm as :func:`operando.odmr.lm.levenberg_marquardt` — Marquardt-scaled damped
normal equations, steps clipped to the bounds, the same two stopping rules — run one spectrum at a
time in compiled code, so a spectrum's Jacobian stays in cache and no iteration waits for the
slowest pixel of a batch. It covers every :class:`~operando.odmr.models.DipModel`: Lorentzian or
Gaussian lines, shared or free widths, each line alone or split into its ¹⁴N / ¹⁵N hyperfine
multiplet; the NV-Hamiltonian model uses the vectorised NumPy path. Both give the same fits (tests
compare them). The damped normal equations are solved by a Cholesky factorisation written here, so
a degenerate spectrum (a flat line, zeros) rejects the step instead of raising inside a parallel
loop (numba turns such an exception into a SystemError).
"""

from __future__ import annotations

import threading

import numpy as np

from .. import _numba
from ..nv.lineshape import HYPERFINE_OFFSETS, HYPERFINE_SPACING
from .guess_compiled import filter_taps, start_row
from .lm import LMResult
from .order_compiled import second_difference_mad_row

# reassociation lets the sums over frequencies vectorise; NaN/inf semantics are kept (no
# 'nnan'/'ninf') because a diverging trial step must still be seen as one; NumPy's error model
# (x/0 → inf, not an exception) lets the loops over frequencies with a division per sample (the
# Lorentzian) run in SIMD lanes, and a zero denominator then shows as a non-finite χ², a rejected step
_FAST = {"reassoc", "contract", "arcp", "nsz"}
_jit = _numba.jit(fastmath=_FAST, error_model="numpy")
_jit_parallel = _numba.jit(parallel=True, fastmath=_FAST, error_model="numpy")
_prange = _numba.prange
_FOUR_LN2 = 4.0 * np.log(2.0)


def available() -> bool:
    return _numba.available()


def supports(model) -> bool:
    """True when ``model`` is a DipModel (any line shape, width sharing or hyperfine multiplet)."""
    from .models import DipModel

    return isinstance(model, DipModel)


@_jit
def _evaluate(f, p, nd, shared, offsets, gaussian, val, jac, with_jac=True):
    """Model ``base·(1 − Σ_i Σ_j (c_i/k)·shape(f − f0_i − o_j))`` and its Jacobian (p, m); the k
    sub-lines at ``offsets`` share each line's centre, width and contrast. ``with_jac`` False:
    values only (``jac`` untouched). The loop over samples is innermost, over contiguous rows,
    so it runs in SIMD lanes."""
    nw = 1 if shared else nd
    k_sub = offsets.size
    m = f.size
    base = p[nd + nw + nd]
    val[:] = 1.0  # Σ shape terms subtracted here, scaled by the baseline at the end
    if with_jac:
        jac[:, :] = 0.0
    for i in range(nd):
        iw = nd if shared else nd + i
        c = p[nd + nw + i] / k_sub
        w = p[iw]
        d_f0, d_w, d_c = jac[i], jac[iw], jac[nd + nw + i]
        for j in range(k_sub):
            centre = p[i] + offsets[j]
            if gaussian:
                inv_w2 = 1.0 / (w * w)
                for k in range(m):
                    det = f[k] - centre
                    shape = np.exp(-_FOUR_LN2 * det * det * inv_w2)
                    val[k] -= c * shape
                    if with_jac:
                        d_f0[k] -= base * c * shape * 2.0 * _FOUR_LN2 * det * inv_w2
                        d_w[k] -= base * c * shape * 2.0 * _FOUR_LN2 * det * det * inv_w2 / w
                        d_c[k] -= base * shape / k_sub
            else:
                half = 0.5 * w
                h2 = half * half
                for k in range(m):
                    det = f[k] - centre
                    inv = 1.0 / (det * det + h2)  # one division per sample and line
                    shape = h2 * inv
                    val[k] -= c * shape
                    if with_jac:
                        inv2 = inv * inv
                        d_f0[k] -= base * c * 2.0 * det * h2 * inv2
                        d_w[k] -= base * c * half * det * det * inv2
                        d_c[k] -= base * shape / k_sub
    if with_jac:
        jac[nd + nw + nd, :] = val
    for k in range(m):
        val[k] *= base


@_jit
def _cholesky(a):
    """Factor symmetric positive definite ``a`` in place (lower triangle ← L); False when not SPD."""
    n = a.shape[0]
    for j in range(n):
        s = a[j, j]
        for q in range(j):
            s -= a[j, q] * a[j, q]
        if not s > 0.0:  # also catches NaN
            return False
        a[j, j] = np.sqrt(s)
        for i in range(j + 1, n):
            t = a[i, j]
            for q in range(j):
                t -= a[i, q] * a[j, q]
            a[i, j] = t / a[j, j]
    return True


@_jit
def _cho_solve(a, b, out):
    """Solve L·Lᵀ·x = b with the factor of :func:`_cholesky`."""
    n = b.size
    for i in range(n):
        t = b[i]
        for q in range(i):
            t -= a[i, q] * out[q]
        out[i] = t / a[i, i]
    for i in range(n - 1, -1, -1):
        t = out[i]
        for q in range(i + 1, n):
            t -= a[q, i] * out[q]
        out[i] = t / a[i, i]


@_jit
def _cholesky_solve(a, b, out):
    """Solve a·x = b for symmetric positive definite ``a`` (destroyed); False when not SPD."""
    if not _cholesky(a):
        return False
    _cho_solve(a, b, out)
    return True


@_jit
def _variances(jtj, scaled, col, out):
    """diag((JᵀJ)⁻¹) into ``out``, as :func:`operando.odmr.lm.covariance`: inverted at unit
    diagonal, NaN when rank deficient (not positive definite, or a variance inflation ≥ 1e12).
    With the factor L·Lᵀ of the scaled matrix, (L·Lᵀ)⁻¹ₐₐ is the sum of squares of column a of
    L⁻¹, found by forward substitution: no full solve per parameter."""
    n = out.size
    for a in range(n):
        out[a] = np.sqrt(jtj[a, a]) if jtj[a, a] > 0 else 1.0
    for a in range(n):
        for b in range(n):
            scaled[a, b] = jtj[a, b] / (out[a] * out[b])
    if not _cholesky(scaled):
        out[:] = np.nan
        return
    bad = False
    for a in range(n):
        inflation = 0.0
        for i in range(a, n):
            t = 1.0 if i == a else 0.0
            for q in range(a, i):
                t -= scaled[i, q] * col[q]
            col[i] = t / scaled[i, i]
            inflation += col[i] * col[i]
        bad = bad or not (np.isfinite(inflation) and 0.0 < inflation < 1e12)
        out[a] = inflation / (out[a] * out[a])
    if bad:
        out[:] = np.nan


@_jit
def _shifted_row(f, y, w, p, nd, shared, offsets, gaussian, shifts, out, val, q, no_jac):
    """χ² (nd · len(shifts),) of ``p`` with one line at a time moved by each of ``shifts`` (Hz),
    line-major; ``w`` (m,) weights, or empty for none; ``val`` (m,), ``q`` (p,): scratch."""
    for line in range(nd):
        for s in range(shifts.size):
            q[:] = p
            q[line] += shifts[s]
            _evaluate(f, q, nd, shared, offsets, gaussian, val, no_jac, False)
            c2 = 0.0
            for k in range(f.size):
                r = (y[k] - val[k]) * (w[k] if w.size else 1.0)
                c2 += r * r
            out[line * shifts.size + s] = c2


@_jit
def _workspace(m, npar):
    """Scratch arrays of :func:`_fit_one`, allocated once per block of spectra, not per spectrum."""
    return (np.empty(m), np.empty(m), np.empty((npar, m)), np.empty((npar, m)), np.empty((npar, npar)),
            np.empty(npar), np.empty(npar), np.empty(npar), np.empty(npar), np.empty(npar))


@_jit
def _fit_one(f, y, p, lo, hi, nd, shared, offsets, gaussian, max_iter, step_tol, ftol, jtj_out, ws):
    """Fit one spectrum in place; returns (iterations, converged, χ²); JᵀJ of the last iterate
    goes to ``jtj_out``; ``ws``: :func:`_workspace`."""
    m, npar = f.size, p.size
    val, val_t, jac, jac_t, scaled, grad, d, p_try, rhs, step = ws
    _evaluate(f, p, nd, shared, offsets, gaussian, val, jac)
    chi2 = 0.0
    for k in range(m):
        chi2 += (y[k] - val[k]) ** 2
    lam, dof = 1e-3, max(m - npar, 1)
    for it in range(1, max_iter + 1):
        for a in range(npar):
            g = 0.0
            for k in range(m):
                g += jac[a, k] * (y[k] - val[k])
            grad[a] = g
            for b in range(a, npar):
                s = 0.0
                for k in range(m):
                    s += jac[a, k] * jac[b, k]
                jtj_out[a, b] = s
                jtj_out[b, a] = s
        for a in range(npar):
            d[a] = np.sqrt(jtj_out[a, a]) if jtj_out[a, a] > 0 else 1.0
        for a in range(npar):
            for b in range(npar):
                scaled[a, b] = jtj_out[a, b] / (d[a] * d[b])
            scaled[a, a] += lam
        for a in range(npar):
            rhs[a] = grad[a] / d[a]
        if not _cholesky_solve(scaled, rhs, step):  # degenerate (flat, non-finite): damp more
            lam *= 10.0
            if lam > 1e12:
                return it, False, chi2
            continue
        largest = 0.0
        for a in range(npar):
            p_try[a] = min(max(p[a] + step[a] / d[a], lo[a]), hi[a])
            largest = max(largest, abs((p_try[a] - p[a]) * d[a]))
        if largest / np.sqrt(chi2 / dof + 1e-300) <= step_tol and lam <= 1e-2:
            p[:] = p_try
            return it, True, chi2
        _evaluate(f, p_try, nd, shared, offsets, gaussian, val_t, jac_t)
        chi2_t = 0.0
        for k in range(m):
            chi2_t += (y[k] - val_t[k]) ** 2
        if np.isfinite(chi2_t) and chi2_t <= chi2:
            drop = chi2 - chi2_t
            p[:] = p_try
            val, val_t = val_t, val  # adopt the trial point's arrays without copying
            jac, jac_t = jac_t, jac
            chi2 = chi2_t
            lam = max(lam * 0.3, 1e-9)
            if drop <= ftol * chi2:
                return it, True, chi2
        else:
            lam *= 10.0
            if lam > 1e12:
                return it, False, chi2
    return max_iter, False, chi2


@_jit
def _residual_mad_row(f, y, p, nd, shared, offsets, gaussian, val, resid, work, no_jac):
    """:func:`.order_compiled.second_difference_mad_row` of the residual ``y − model(p)``;
    ``val``, ``resid`` (m,), ``work`` (2 (m − 2),): scratch."""
    _evaluate(f, p, nd, shared, offsets, gaussian, val, no_jac, False)
    for k in range(f.size):
        resid[k] = y[k] - val[k]
    return second_difference_mad_row(resid, work)


@_jit
def _fit_range(start, stop, f, y, p, lo, hi, nd, shared, offsets, gaussian, max_iter, step_tol, ftol, shifts,
               var, trials, n_iter, converged, chi2, mad, guess):
    """Fit rows ``start:stop``, then, while each spectrum is in cache, the variances of its
    parameters, the χ² of its lines moved by ``shifts`` (the satellite test of :mod:`.quality`)
    and the noise of its residual (``mad``: :func:`residual_noise_mad`; empty: not computed).
    ``guess`` (start from the guess, its multiplet offsets in samples, then the three items of the
    ``multiplet`` of :func:`.guess_compiled.start_row`): with
    its first item True each row starts from :func:`.guess_compiled.start_row`, not from ``p``."""
    m, npar = f.size, p.shape[1]
    ws = _workspace(m, npar)
    jtj, scaled, col, q, no_jac = (np.empty((npar, npar)), np.empty((npar, npar)), np.empty(npar), np.empty(npar),
                                   np.empty((1, 1)))
    work = np.empty(max(2 * (m - 2), 1))
    from_guess, guess_offsets, spread, measured, factor = guess  # flat: a parallel loop takes no nested tuple
    multiplet = (spread, measured, factor)
    scratch = np.empty(4 * m + 4 * nd if from_guess else 0)
    taps = filter_taps(guess_offsets, m)
    for i in range(start, stop):
        if from_guess:
            start_row(f, y[i], taps, nd, int(0.9 * (m - 1)), multiplet, shared, lo[i], hi[i], p[i], scratch)
        n_iter[i], converged[i], chi2[i] = _fit_one(f, y[i], p[i], lo[i], hi[i], nd, shared, offsets, gaussian,
                                                    max_iter, step_tol, ftol, jtj, ws)
        _variances(jtj, scaled, col, var[i])
        if shifts.size:
            _shifted_row(f, y[i], f[:0], p[i], nd, shared, offsets, gaussian, shifts, trials[i], ws[0], q, no_jac)
        if mad.size:
            mad[i] = _residual_mad_row(f, y[i], p[i], nd, shared, offsets, gaussian, ws[0], ws[1], work, no_jac)


#: spectra per block of the parallel loop: one workspace each
BLOCK = 64
#: fewer spectra than this are fitted serially
MIN_PARALLEL_ROWS = 1024


@_jit_parallel
def _fit_rows_parallel(f, y, p, lo, hi, nd, shared, offsets, gaussian, max_iter, step_tol, ftol, shifts, var,
                       trials, n_iter, converged, chi2, mad, guess):
    n = y.shape[0]
    for b in _prange((n + BLOCK - 1) // BLOCK):
        _fit_range(b * BLOCK, min(n, (b + 1) * BLOCK), f, y, p, lo, hi, nd, shared, offsets, gaussian, max_iter,
                   step_tol, ftol, shifts, var, trials, n_iter, converged, chi2, mad, guess)


def _fit_rows(f, y, *args):
    _fit_range(0, y.shape[0], f, y, *args)


def _offsets(model) -> np.ndarray:
    return np.zeros(1) if model.hyperfine is None else np.ascontiguousarray(HYPERFINE_OFFSETS[model.hyperfine],
                                                                             dtype=np.float64)


def levenberg_marquardt_dips(model, f, y, p0, lower, upper, *, max_iter: int = 50,
                             step_tol: float = 0.2, ftol: float = 1e-12, residual_noise: bool = False) -> LMResult:
    """Fit rows of ``y`` (n, m) with the DipModel ``model`` from ``p0`` (n, p), or from
    ``model.guess`` computed row by row in the same pass when ``p0`` is None; as
    :func:`~operando.odmr.lm.levenberg_marquardt` without weights. Threads over rows when called
    from the main thread with at least :data:`MIN_PARALLEL_ROWS` rows; from a worker thread (a dask
    chunk) it runs serially, the caller being parallel already. For hyperfine models the result
    also holds the satellite test's χ² of every line moved by ± one hyperfine spacing
    (``shifted_chi2``, see :func:`shifted_chi2`), computed while each spectrum is still in cache;
    so is, with ``residual_noise``, the median absolute deviation of the second differences of
    each final residual (``residual_mad``, as :func:`residual_noise_mad` gives it)."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    if p0 is None:
        p = np.empty((y.shape[0], len(model.names)))
        df = float(f[-1] - f[0]) / max(f.size - 1, 1)
        offsets_hz = np.zeros(0) if model.hyperfine is None else _offsets(model)
        guess = (True, offsets_hz / df, *model.multiplet(f))
    else:
        p = np.array(p0, dtype=np.float64, copy=True)
        guess = (False, np.zeros(0), 0.0, np.zeros(0), np.zeros(0))
    n, npar = p.shape
    lo = np.ascontiguousarray(np.broadcast_to(lower, p.shape), dtype=np.float64)
    hi = np.ascontiguousarray(np.broadcast_to(np.minimum(upper, np.finfo(float).max), p.shape), dtype=np.float64)
    shifts = satellite_shifts(model)
    var, trials = np.empty((n, npar)), np.empty((n, model.n_dips * shifts.size))
    n_iter, converged, chi2 = np.zeros(n, np.int32), np.zeros(n, np.bool_), np.zeros(n)
    mad = np.empty(n if residual_noise else 0)
    # a few hundred spectra (a model-selection sample) take about a millisecond: not worth a parallel
    # loop, which on a busy machine waits for both cores
    main = threading.current_thread() is threading.main_thread()
    kernel = _fit_rows_parallel if main and n >= MIN_PARALLEL_ROWS else _fit_rows
    kernel(f, y, p, lo, hi, model.n_dips, model.shared_width, _offsets(model), model.shape == "gaussian",
           max_iter, step_tol, ftol, shifts, var, trials, n_iter, converged, chi2, mad, guess)
    dof = np.maximum(y.shape[1] - npar, 1)
    red = chi2 / dof
    stderr = np.sqrt(np.maximum(var, 0) * red[:, None])
    return LMResult(p, stderr, chi2, red, n_iter, converged, trials if shifts.size else None,
                    mad if residual_noise else None)


def satellite_shifts(model) -> np.ndarray:
    """The line shifts (Hz) of the satellite test: ± one hyperfine spacing, none without hyperfine lines."""
    if getattr(model, "hyperfine", None) is None:
        return np.zeros(0)
    spacing = HYPERFINE_SPACING[model.hyperfine]
    return np.array([-spacing, spacing])


@_jit_parallel
def _shifted_chi2(f, y, w, p, nd, shared, offsets, gaussian, shifts, out):
    m, npar = f.size, p.shape[1]
    for i in _prange(y.shape[0]):
        _shifted_row(f, y[i], w[i], p[i], nd, shared, offsets, gaussian, shifts, out[i], np.empty(m),
                     np.empty(npar), np.empty((1, 1)))


def shifted_chi2(model, f, y, params, weights, shifts) -> np.ndarray:
    """χ² (n, n_dips · len(shifts)) of ``params`` (n, p) with one line at a time moved by each
    of ``shifts`` (Hz): line-major, as the NumPy loop of :func:`.quality.satellite_shift`."""
    n = y.shape[0]
    out = np.empty((n, model.n_dips * len(shifts)))
    w = np.ones_like(y) if weights is None else weights
    _shifted_chi2(np.asarray(f, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                  np.ascontiguousarray(w, dtype=np.float64), np.ascontiguousarray(params, dtype=np.float64),
                  model.n_dips, model.shared_width, _offsets(model), model.shape == "gaussian",
                  np.asarray(shifts, dtype=np.float64), out)
    return out


@_jit_parallel
def _residual_noise_rows(f, y, p, nd, shared, offsets, gaussian, out):
    n, m = y.shape
    for b in _prange((n + BLOCK - 1) // BLOCK):
        val, resid, work, no_jac = np.empty(m), np.empty(m), np.empty(max(2 * (m - 2), 1)), np.empty((1, 1))
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            out[i] = _residual_mad_row(f, y[i], p[i], nd, shared, offsets, gaussian, val, resid, work, no_jac)


def residual_noise_mad(model, f, y, params) -> np.ndarray:
    """Median absolute deviation (n,) of the second differences of each row's fit residual
    ``y − model(params)``: :func:`.quality.noise_variance` of the residual without forming it
    (the model evaluated row by row, in cache)."""
    out = np.empty(y.shape[0])
    _residual_noise_rows(np.asarray(f, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                         np.ascontiguousarray(params, dtype=np.float64), model.n_dips, model.shared_width,
                         _offsets(model), model.shape == "gaussian", out)
    return out
