"""Which fitted pixels to believe: one verdict per pixel, and the reason when it is "no".

A pixel is *converged* only when

1. its spectrum is usable: at most half of its samples missing, not flat, not user-masked;
2. Levenberg–Marquardt stopped by its own convergence rule;
3. every parameter, standard error and χ² is finite;
4. every line centre lies strictly inside the sweep and every width inside its bounds;
5. every dip stands above the noise: contrast / its standard error ≥ ``min_snr``
   (:data:`MIN_SNR` = 5 by default: a dip fitted to pure white noise on a 101-point sweep exceeds
   it in well under 1 % of pixels, see tests/odmr/test_quality.py);
6. for hyperfine models, no line is a satellite taken for the multiplet centre: moving any line by
   one hyperfine spacing does not lower χ².

Every other pixel gets NaN fields and the code of the first rule it breaks (:data:`REASONS`).
:func:`operando.odmr.fit.fit_spectra` applies these rules to every batch it fits, eager or lazy
(``--chunks``), so both paths mask identically through this one module.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _numba
from ..nv.lineshape import HYPERFINE_SPACING
from . import lm_compiled

#: reason codes stored in the ``reason`` map of a fit; 0 is the only "converged"
REASONS = {
    0: "converged",
    1: "masked",  # marked invalid before the fit (by the reader or mask_pixels)
    2: "missing_samples",  # more than MAX_MISSING of the spectrum non-finite
    3: "flat",  # no variation, or a non-positive off-resonance level: no dip to fit
    4: "not_converged",  # LM ran out of iterations or damping
    5: "non_finite",  # a parameter, standard error or χ² is NaN or infinite
    6: "at_bound",  # a line centre on/over the sweep edge, or a width at its limit
    7: "low_snr",  # a dip's contrast is below MIN_SNR standard errors
    8: "wrong_line",  # a hyperfine satellite was taken for the line centre
}
CODES = {name: code for code, name in REASONS.items()}
MIN_SNR = 5.0
MAX_MISSING = 0.5


def screen_spectra(y, n_params: int, valid=None) -> np.ndarray:
    """Reason codes (n,) of spectra ``y`` (n, m) that cannot be fitted (0 for those that can)."""
    n, m = y.shape
    code = np.zeros(n, dtype=np.int8)
    if n == 0:
        return code
    n_finite, top, low = _finite_extremes(y)
    flat = ~((top - low) > 0) | ~(top > 0)
    missing = (n_finite < (1.0 - MAX_MISSING) * m) | (n_finite < max(2 * n_params, n_params + 2))
    code[flat] = CODES["flat"]
    code[missing] = CODES["missing_samples"]
    if valid is not None:
        code[~np.asarray(valid, dtype=bool).ravel()] = CODES["masked"]
    return code


def _finite_extremes(y):
    """Count, largest and smallest of the finite samples of each row of ``y`` (n, m) (−inf and
    inf for a row without any): one compiled pass where numba is installed, NumPy otherwise."""
    if _numba.available():
        out = np.empty((3, y.shape[0]))
        _finite_extremes_rows(y, out)
        return out[0], out[1], out[2]
    finite = np.isfinite(y)
    with np.errstate(invalid="ignore"):
        return (finite.sum(axis=1), np.where(finite, y, -np.inf).max(axis=1),
                np.where(finite, y, np.inf).min(axis=1))


@_numba.jit()
def _finite_extremes_rows(y, out):  # serial: it reads the data once, and a parallel loop per slice of
    n, m = y.shape                  # 4096 rows waits for both cores, costly on a busy machine
    for i in range(n):
        count, top, low = 0, -np.inf, np.inf
        for k in range(m):
            v = np.float64(y[i, k])
            if np.isfinite(v):
                count += 1
                top = max(top, v)
                low = min(low, v)
        out[0, i], out[1, i], out[2, i] = count, top, low


def _dip_columns(model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    names = list(model.names)
    f0 = np.array([i for i, k in enumerate(names) if k.startswith("f0_")], dtype=int)
    width = np.array([i for i, k in enumerate(names) if k.startswith("width")], dtype=int)
    contrast = np.array([i for i, k in enumerate(names) if k.startswith("contrast")], dtype=int)
    return f0, width, contrast


def noise_variance(y) -> np.ndarray:
    """White-noise variance (n,) of each spectrum (or fit residual) ``y`` (n, m): from the second
    differences y[i-1] − 2y[i] + y[i+1] (variance 6σ² for white noise; a smooth curve adds
    little), by their median absolute deviation, so a few sharp samples do not count. Over a fit's
    residual it turns the residual variance into the reduced χ² = RSS / (σ² ν), ≈ 1 for a model
    that fits down to the noise, > 1 for a misfit broader than the sampling step."""
    y = np.asarray(y, dtype=np.float64)
    if _numba.available() and y.ndim == 2:  # np.nanmedian sorts masked arrays: slower than the fit
        from .order_compiled import second_difference_mad

        mad = second_difference_mad(y)
    else:
        d2 = np.diff(y, 2, axis=-1)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row (unfitted pixel) gives NaN
            mad = np.nanmedian(np.abs(d2 - np.nanmedian(d2, axis=-1, keepdims=True)), axis=-1)
    return variance_from_second_difference_mad(mad)


def variance_from_second_difference_mad(mad):
    """White-noise variance σ² from the median absolute deviation of second differences (whose
    variance is 6σ²; 1.4826 · MAD is the standard deviation of a Gaussian)."""
    return (1.4826 * np.asarray(mad)) ** 2 / 6.0


def judge_fits(model, f, params, stderr, chi2, lm_converged, *, min_snr: float = MIN_SNR):
    """Reason codes (n,) for fitted rows: rules 2–5 of the module docstring (0 = converged)."""
    n = params.shape[0]
    code = np.zeros(n, dtype=np.int8)
    i_f0, i_w, i_c = _dip_columns(model)
    lo, hi = model.bounds(f)
    with np.errstate(invalid="ignore", divide="ignore"):
        snr = params[:, i_c] / stderr[:, i_c]
        weak = np.any(~(snr >= min_snr), axis=1) if i_c.size else np.zeros(n, bool)
        df = (f[-1] - f[0]) / max(f.size - 1, 1)
        edge = np.zeros(n, bool)
        if i_f0.size:
            c = params[:, i_f0]
            edge |= np.any((c <= f[0] + 0.5 * df) | (c >= f[-1] - 0.5 * df), axis=1)
        if i_w.size:
            w = params[:, i_w]
            edge |= np.any((w <= lo[i_w] * (1 + 1e-6)) | (w >= hi[i_w] * (1 - 1e-6)), axis=1)
    bad_numbers = ~(
        np.all(np.isfinite(params), axis=1) & np.all(np.isfinite(stderr), axis=1) & np.isfinite(chi2)
    )
    # the first broken rule wins: assign from the last rule to the first
    code[weak] = CODES["low_snr"]
    code[edge] = CODES["at_bound"]
    code[~np.asarray(lm_converged, dtype=bool)] = CODES["not_converged"]
    code[bad_numbers] = CODES["non_finite"]
    return code


def satellite_shift(model, f, y, params, chi2, weights=None, trials=None) -> tuple[np.ndarray, np.ndarray]:
    """Rows (n,) whose fit improves when one line moves by one hyperfine spacing, and the best
    shifted parameters (n, p) (rule 6); ``weights`` (n, m) as in the fit (0 = missing sample).
    ``trials``: the shifted χ² where the fit computed them already (``LMResult.shifted_chi2``).
    Models without hyperfine multiplets never flag."""
    n = params.shape[0]
    hyperfine = getattr(model, "hyperfine", None)
    if hyperfine is None or not hasattr(model, "simulate") or n == 0:
        return np.zeros(n, bool), params
    spacing = HYPERFINE_SPACING[hyperfine]
    i_f0 = _dip_columns(model)[0]
    if i_f0.size == 0:  # lines not parametrised by their centres (the NV-Hamiltonian model)
        return np.zeros(n, bool), params
    shifts = (-spacing, spacing)
    if trials is None and lm_compiled.available() and lm_compiled.supports(model):
        trials = lm_compiled.shifted_chi2(model, f, y, params, weights, shifts)
    elif trials is None:
        trials = np.empty((n, i_f0.size * len(shifts)))
        with np.errstate(over="ignore", invalid="ignore"):
            for a, i in enumerate(i_f0):  # a few lines and two shifts: each call covers all rows
                for b, shift in enumerate(shifts):
                    trial = params.copy()
                    trial[:, i] += shift
                    r = y - model.simulate(f, trial)
                    if weights is not None:
                        r *= weights
                    trials[:, a * len(shifts) + b] = np.einsum("nm,nm->n", r, r)
    with np.errstate(invalid="ignore"):
        k = np.argmin(np.where(np.isfinite(trials), trials, np.inf), axis=1)
        best_chi2 = trials[np.arange(n), k]
        flagged = best_chi2 < np.asarray(chi2) * (1 - 1e-9)
    best = params.copy()
    rows = np.flatnonzero(flagged)
    best[rows, i_f0[k[rows] // len(shifts)]] += np.asarray(shifts)[k[rows] % len(shifts)]
    return flagged, best


def reason_counts(reason) -> dict[str, int]:
    """Number of pixels per reason name (all reasons listed, zeros included)."""
    r = np.asarray(reason).ravel()
    r = r[np.isfinite(r)].astype(int) if r.dtype.kind == "f" else r.astype(int)
    counts = np.bincount(r, minlength=len(REASONS))
    return {REASONS[k]: int(counts[k]) for k in REASONS}
