"""Compiled starting values for dip models (optional, needs numba): the same rules as
:meth:`operando.odmr.models.DipModel.guess`, run spectrum by spectrum.

The vectorised NumPy guess builds several (spectra × points) integer arrays per dip to find the
half-depth points around each minimum; on 10⁵ spectra that costs more than the compiled fit
itself. Here each spectrum is walked outwards from its minimum once. Tests check that both give
the same starts.
"""

from __future__ import annotations

import numpy as np

from .. import _numba
from .order_compiled import TOP_MAX, kth_smallest, kth_smallest_from_top, median_in_place

# NumPy's error model: a division by zero gives inf/NaN (a zero baseline), never an exception
_jit = _numba.jit(error_model="numpy")
_jit_parallel = _numba.jit(parallel=True, error_model="numpy")
_FOUR_LN2 = 4.0 * np.log(2.0)


@_jit
def _crossing(depth, i_out, i_in, level, fallback):
    m = depth.size
    if i_out < 0 or i_out >= m:
        return fallback
    a = depth[i_out]
    b = depth[min(max(i_in, 0), m - 1)]
    t = (level - a) / (b - a if b - a > 0 else 1.0)
    t = min(max(t, 0.0), 1.0)
    return i_out + t * (i_in - i_out)


@_jit
def filter_taps(offsets, m):
    """The matched filter's samples for spectra of ``m`` points: for each multiplet offset
    (samples) and point, the two neighbours (k, m) int and their linear-interpolation weights (k, m),
    the same for every spectrum of a sweep, so computed once per block of spectra."""
    k_sub = offsets.size
    i0s, i1s = np.empty((k_sub, m), np.int64), np.empty((k_sub, m), np.int64)
    w0s, w1s = np.empty((k_sub, m)), np.empty((k_sub, m))
    for a in range(k_sub):
        for k in range(m):
            pos = min(max(k + offsets[a], 0.0), m - 1.0)
            i0 = min(int(np.floor(pos)), m - 2) if m > 1 else 0
            frac = pos - i0
            i0s[a, k], i1s[a, k], w0s[a, k], w1s[a, k] = i0, min(i0 + 1, m - 1), 1 - frac, frac
    return i0s, i1s, w0s, w1s


@_jit
def _row(f, y, taps, n_dips, k90, f0, width, contrast, ys, raw, filtered, work):
    """Starts of one spectrum; returns the baseline level. ``taps``: :func:`filter_taps` (none
    without a multiplet). ``ys``, ``raw``, ``filtered``, ``work`` (m,): scratch."""
    m = y.size
    ys[0] = 0.25 * y[0] + 0.5 * y[0] + 0.25 * y[min(1, m - 1)]
    for k in range(1, m - 1):  # light smoothing [1/4, 1/2, 1/4], edges repeated ("nearest")
        ys[k] = 0.25 * y[k - 1] + 0.5 * y[k] + 0.25 * y[k + 1]
    if m > 1:
        ys[m - 1] = 0.25 * y[m - 2] + 0.5 * y[m - 1] + 0.25 * y[m - 1]
    if m - k90 <= TOP_MAX:
        base = kth_smallest_from_top(ys, k90, work)
    else:
        work[:] = ys
        base = kth_smallest(work, k90)
    for k in range(m):  # a zero baseline gives inf/NaN, not an exception (NumPy's error model)
        raw[k] = 1.0 - ys[k] / base
    i0s, i1s, w0s, w1s = taps
    k_sub = i0s.shape[0]
    if k_sub > 0:  # matched filter: a multiplet becomes one dip at its centre
        depth = filtered
        depth[:] = 0.0
        for a in range(k_sub):
            for k in range(m):
                depth[k] += raw[i0s[a, k]] * w0s[a, k] + raw[i1s[a, k]] * w1s[a, k]
        for k in range(m):
            depth[k] /= k_sub
    else:
        depth = raw
    work[:] = depth
    df = (f[m - 1] - f[0]) / max(m - 1, 1)
    for j in range(n_dips):
        i0 = int(np.argmax(work))
        d_m, d_0, d_p = depth[max(i0 - 1, 0)], depth[i0], depth[min(i0 + 1, m - 1)]
        curv = d_m - 2 * d_0 + d_p
        shift = 0.5 * (d_m - d_p) / curv if curv < 0 else 0.0
        shift = min(max(shift, -0.5), 0.5)
        c = max(d_0 - 0.5 * curv * shift * shift, 1e-4)
        half = 0.5 * c
        left = m
        for q in range(i0 - 1, -1, -1):  # nearest point below half depth on each side
            if not depth[q] > half:
                left = i0 - q
                break
        right = m
        for q in range(i0 + 1, m):
            if not depth[q] > half:
                right = q - i0
                break
        n_half = min(left, i0 + 1) + min(right, m - i0) - 1
        x_left = _crossing(depth, i0 - left, i0 - left + 1, half, i0 - n_half / 2)
        x_right = _crossing(depth, i0 + right, i0 + right - 1, half, i0 + n_half / 2)
        w_s = max(x_right - x_left, 1.0)
        w_true = np.sqrt(max(w_s * w_s - _FOUR_LN2, 0.25))
        contrast[j] = c * w_s / w_true
        width[j] = w_true * df
        reach = max(1.5 * n_half, 2.0)
        for q in range(m if j < n_dips - 1 else 0):  # hide this dip from the search for the next
            if abs(q - i0) <= reach:
                work[q] = -np.inf
        x = min(max(i0 + shift, 0.0), m - 1.0)
        lo = min(int(np.floor(x)), m - 2) if m > 1 else 0
        t = x - lo
        f0[j] = f[lo] * (1 - t) + f[min(lo + 1, m - 1)] * t
    return base


@_jit
def start_row(f, y, taps, n_dips, k90, multiplet, shared, lo, hi, p, scratch):
    """The start ``p`` (n_params,) of :meth:`operando.odmr.models.DipModel.guess` for one spectrum:
    :func:`_row`'s lines ordered by centre, a multiplet's width and contrast turned into one
    line's, the median width when ``shared``, clipped to [``lo``, ``hi``]. ``multiplet``: the
    distance (Hz) of its outer lines, and the width calibration of
    :meth:`operando.odmr.models.DipModel.width_calibration` (measured widths, Hz, and the factors
    that turn them into line widths; empty: none). ``taps``: :func:`filter_taps`; ``scratch``:
    4 m + 4 n_dips values."""
    m = y.size
    spread, measured, factor = multiplet
    found = scratch[4 * m:]
    f0, width, contrast = found[:n_dips], found[n_dips: 2 * n_dips], found[2 * n_dips: 3 * n_dips]
    order = found[3 * n_dips: 4 * n_dips]
    base = _row(f, y, taps, n_dips, k90, f0, width, contrast, scratch[:m], scratch[m: 2 * m],
                scratch[2 * m: 3 * m], scratch[3 * m: 4 * m])
    df = (f[m - 1] - f[0]) / max(m - 1, 1)
    for j in range(n_dips):  # stable insertion sort by centre, NaN last: np.argsort on a few lines
        i = j
        while i > 0 and _after(f0[int(order[i - 1])], f0[j]):
            order[i] = order[i - 1]
            i -= 1
        order[i] = j
    n_w = 1 if shared else n_dips
    widths = scratch[:n_dips]  # _row's scratch is free again
    for j in range(n_dips):
        k = int(order[j])
        w, c = width[k], contrast[k]
        if taps[0].shape[0] > 0:
            # after the matched filter a resolved multiplet keeps about one line's width (the
            # calibration removes what the neighbours' tails add); broader lines merge with the
            # filter's side lobes, which widen the dip by about the multiplet's spread
            if w > spread:
                w = max(w - spread, df)
            elif measured.size:  # NaN stays NaN
                w = w * _interp(w, measured, factor)
            c = c * taps[0].shape[0]
        p[j] = f0[k]
        widths[j] = w
        p[n_dips + n_w + j] = c
    if shared:
        p[n_dips] = median_in_place(widths, n_dips) if not np.isnan(widths[:n_dips].sum()) else np.nan
    else:
        for j in range(n_dips):
            p[n_dips + j] = widths[j]
    p[n_dips + n_w + n_dips] = base
    for a in range(p.size):  # np.clip: NaN stays NaN
        if p[a] < lo[a]:
            p[a] = lo[a]
        if p[a] > hi[a]:
            p[a] = hi[a]


@_jit
def _interp(x, xp, fp):
    """``np.interp`` of one value (its formula and its clamping at both ends), without the
    array set-up that numba's version costs per call."""
    n = xp.size
    if not x > xp[0]:
        return fp[0] if x == x else x
    if x >= xp[n - 1]:
        return fp[n - 1]
    j = 0
    while xp[j + 1] <= x:  # a few dozen entries: a scan
        j += 1
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    return slope * (x - xp[j]) + fp[j]


@_jit
def _after(a, b):
    """True when ``a`` sorts after ``b`` (NaN after every number)."""
    return a > b or (a != a and b == b)


#: spectra per block of the parallel loop: one set of scratch arrays each
BLOCK = 64


@_jit_parallel
def _rows(f, y, offsets, n_dips, k90, f0, width, contrast, base):
    n, m = y.shape
    for b in _numba.prange((n + BLOCK - 1) // BLOCK):
        ys, raw, filtered, work = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
        taps = filter_taps(offsets, m)
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            base[i] = _row(f, y[i], taps, n_dips, k90, f0[i], width[i], contrast[i], ys, raw, filtered, work)


def dip_starts(f, y, offsets_in_samples, n_dips):
    """(f0, width, contrast) (n, n_dips) in the order found, and the baseline (n,)."""
    n, m = y.shape
    out = [np.empty((n, n_dips)) for _ in range(3)]
    base = np.empty(n)
    _rows(np.ascontiguousarray(f, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
          np.asarray(offsets_in_samples, dtype=np.float64), n_dips, int(0.9 * (m - 1)), *out, base)
    return (*out, base)


@_jit_parallel
def _start_rows(f, y, offsets, n_dips, k90, multiplet, shared, lo, hi, p):
    n, m = y.shape
    for b in _numba.prange((n + BLOCK - 1) // BLOCK):
        scratch = np.empty(4 * m + 4 * n_dips)
        taps = filter_taps(offsets, m)
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            start_row(f, y[i], taps, n_dips, k90, multiplet, shared, lo, hi, p[i], scratch)


def model_starts(f, y, offsets_in_samples, n_dips, multiplet, shared, lo, hi):
    """Starts (n, p) of :meth:`operando.odmr.models.DipModel.guess` for spectra ``y`` (n, m);
    ``multiplet`` as in :func:`start_row`."""
    n, m = y.shape
    p = np.empty((n, lo.size))
    _start_rows(np.ascontiguousarray(f, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64),
                np.asarray(offsets_in_samples, dtype=np.float64), n_dips, int(0.9 * (m - 1)), multiplet,
                bool(shared), np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64), p)
    return p
