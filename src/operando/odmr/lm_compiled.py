"""Compiled Levenberg–Marquardt for Lorentzian dip spectra (optional, needs numba).

The same algorithm as :func:`operando.odmr.lm.levenberg_marquardt` — Marquardt-scaled damped
normal equations, steps clipped to the bounds, the same two stopping rules — run one spectrum at a
time in compiled code, so a spectrum's Jacobian stays in cache and no iteration waits for the
slowest pixel of a batch. It covers :class:`~operando.odmr.models.DipModel` with Lorentzian lines
and no hyperfine multiplets (the common case); every other model uses the vectorised NumPy path.
Both give the same fits (tests compare them).
"""

from __future__ import annotations

import threading

import numpy as np

from .. import _numba
from .lm import LMResult, covariance

# reassociation lets the sums over frequencies vectorise; NaN/inf semantics are kept (no
# 'nnan'/'ninf') because a diverging trial step must still be seen as one
_FAST = {"reassoc", "contract", "arcp", "nsz"}
_jit = _numba.jit(fastmath=_FAST)
_jit_parallel = _numba.jit(parallel=True, fastmath=_FAST)
_prange = _numba.prange


def available() -> bool:
    return _numba.available()


def supports(model) -> bool:
    """True when ``model`` is a Lorentzian DipModel without hyperfine lines."""
    from .models import DipModel

    return isinstance(model, DipModel) and model.shape == "lorentzian" and model.hyperfine is None


@_jit
def _evaluate(f, p, nd, shared, val, jac):
    """Model ``base·(1 − Σ c_i L_i)`` and its Jacobian (p, m) at parameters ``p``."""
    nw = 1 if shared else nd
    base = p[nd + nw + nd]
    jac[:, :] = 0.0
    for k in range(f.size):
        s = 1.0
        for i in range(nd):
            iw = nd if shared else nd + i
            det = f[k] - p[i]
            half = 0.5 * p[iw]
            c = p[nd + nw + i]
            h2 = half * half
            den = det * det + h2
            shape = h2 / den
            inv2 = 1.0 / (den * den)
            s -= c * shape
            jac[i, k] = -base * c * 2.0 * det * h2 * inv2
            jac[iw, k] += -base * c * half * det * det * inv2
            jac[nd + nw + i, k] = -base * shape
        jac[nd + nw + nd, k] = s
        val[k] = base * s


@_jit
def _fit_one(f, y, p, lo, hi, nd, shared, max_iter, step_tol, ftol, jtj_out):
    """Fit one spectrum in place; returns (iterations, converged, χ²); JᵀJ of the last iterate
    goes to ``jtj_out``."""
    m, npar = f.size, p.size
    val, val_t = np.empty(m), np.empty(m)
    jac, jac_t = np.empty((npar, m)), np.empty((npar, m))
    scaled, grad, d, p_try = np.empty((npar, npar)), np.empty(npar), np.empty(npar), np.empty(npar)
    _evaluate(f, p, nd, shared, val, jac)
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
        step = np.linalg.solve(scaled, grad / d)
        largest = 0.0
        for a in range(npar):
            p_try[a] = min(max(p[a] + step[a] / d[a], lo[a]), hi[a])
            largest = max(largest, abs((p_try[a] - p[a]) * d[a]))
        if largest / np.sqrt(chi2 / dof + 1e-300) <= step_tol and lam <= 1e-2:
            p[:] = p_try
            return it, True, chi2
        _evaluate(f, p_try, nd, shared, val_t, jac_t)
        chi2_t = 0.0
        for k in range(m):
            chi2_t += (y[k] - val_t[k]) ** 2
        if np.isfinite(chi2_t) and chi2_t <= chi2:
            drop = chi2 - chi2_t
            p[:] = p_try
            val[:] = val_t
            jac[:, :] = jac_t
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
def _fit_rows(f, y, p, lo, hi, nd, shared, max_iter, step_tol, ftol, jtj, n_iter, converged, chi2):
    for i in range(y.shape[0]):
        n_iter[i], converged[i], chi2[i] = _fit_one(f, y[i], p[i], lo[i], hi[i], nd, shared, max_iter,
                                                    step_tol, ftol, jtj[i])


@_jit_parallel
def _fit_rows_parallel(f, y, p, lo, hi, nd, shared, max_iter, step_tol, ftol, jtj, n_iter, converged, chi2):
    for i in _prange(y.shape[0]):
        n_iter[i], converged[i], chi2[i] = _fit_one(f, y[i], p[i], lo[i], hi[i], nd, shared, max_iter,
                                                    step_tol, ftol, jtj[i])


def levenberg_marquardt_lorentzian(model, f, y, p0, lower, upper, *, max_iter: int = 50,
                                   step_tol: float = 0.2, ftol: float = 1e-12) -> LMResult:
    """Fit rows of ``y`` (n, m) with the Lorentzian ``model`` from ``p0`` (n, p); as
    :func:`~operando.odmr.lm.levenberg_marquardt` without weights. Threads over rows when called
    from the main thread; from a worker thread (a dask chunk) it runs serially, the caller being
    parallel already."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    p = np.array(p0, dtype=np.float64, copy=True)
    n, npar = p.shape
    lo = np.ascontiguousarray(np.broadcast_to(lower, p.shape), dtype=np.float64)
    hi = np.ascontiguousarray(np.broadcast_to(np.minimum(upper, np.finfo(float).max), p.shape), dtype=np.float64)
    jtj = np.empty((n, npar, npar))
    n_iter, converged, chi2 = np.zeros(n, np.int32), np.zeros(n, np.bool_), np.zeros(n)
    main = threading.current_thread() is threading.main_thread()
    kernel = _fit_rows_parallel if main else _fit_rows
    kernel(np.asarray(f, dtype=np.float64), y, p, lo, hi, model.n_dips, model.shared_width, max_iter, step_tol,
           ftol, jtj, n_iter, converged, chi2)
    dof = np.maximum(y.shape[1] - npar, 1)
    red = chi2 / dof
    cov = covariance(jtj=jtj)
    stderr = np.sqrt(np.maximum(np.einsum("npp->np", cov), 0) * red[:, None])
    return LMResult(p, stderr, chi2, red, n_iter, converged)
