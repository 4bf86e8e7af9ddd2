"""Exact order statistics of short rows in compiled code (optional, needs numba): the k-th
smallest value, medians as ``np.median`` defines them, and the median absolute deviation of a
row's second differences (the noise estimate of :func:`operando.odmr.quality.noise_variance`).

``np.partition`` / ``np.nanmedian`` work on whole arrays with Python-level set-up per call; the
guess and the fit need these statistics row by row inside their compiled loops, where a selection
that avoids mispredicted branches (values kept in a bracket, few values sorted) is several times
faster than a full one. Every function returns the exact order statistic, whatever its bracket.
"""

from __future__ import annotations

import numpy as np

from .. import _numba

_jit = _numba.jit(error_model="numpy")
_jit_parallel = _numba.jit(parallel=True, error_model="numpy")
#: rows per block of the parallel loop: one scratch array each
BLOCK = 64


@_jit
def kth_smallest(a, k):
    """The ``k``-th smallest value of ``a`` (reordered in place): Hoare's selection with a
    median-of-three pivot; the value ``np.partition`` gives, ten times faster in numba on 10²
    samples."""
    lo, hi = 0, a.size - 1
    while hi > lo:
        mid = (lo + hi) // 2
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        pivot = a[mid]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return a[k]
    return a[k]


#: largest count of top values :func:`kth_smallest_from_top` keeps sorted
TOP_MAX = 32


@_jit
def kth_smallest_from_top(a, k, top):
    """The ``k``-th smallest value of ``a`` (left unchanged) when it is among the few largest:
    the ``a.size − k`` largest values kept sorted (descending) in ``top`` by insertion. One pass,
    nearly free of mispredicted branches on a spectrum's baseline; the value of :func:`kth_smallest`."""
    t = a.size - k
    count = 0
    for v in a:
        if count < t:
            j = count
            count += 1
        elif v > top[t - 1]:
            j = t - 1
        else:
            continue
        while j > 0 and top[j - 1] < v:
            top[j] = top[j - 1]
            j -= 1
        top[j] = v
    return top[t - 1]


@_jit
def median_bracketed(a, n, low, high, sub):
    """Median of ``a[:n]`` (left unchanged), as ``np.median`` defines it, found among the values in
    [``low``, ``high``] only: they are copied to ``sub`` and the values below are counted, in one
    pass without branches. A bracket that misses the middle rank(s) moves to the side they lie on,
    four times wider, twice at most, then falls back to selection over all values: the result is
    exact for any bracket, and a good one makes it several times faster."""
    upper_rank = n // 2
    lower_rank = upper_rank if n % 2 else upper_rank - 1
    width = high - low
    for _ in range(3):
        below, inside = 0, 0
        for j in range(n):
            v = a[j]
            sub[inside] = v
            inside += (v >= low) & (v <= high)
            below += v < low
        if below <= lower_rank and upper_rank < below + inside:
            upper = kth_smallest(sub[:inside], upper_rank - below)
            if n % 2:
                return upper
            return 0.5 * (upper + kth_smallest(sub[: upper_rank - below], lower_rank - below))
        if not width > 0:  # a degenerate or non-finite bracket
            break
        width *= 4.0
        if below > lower_rank:
            low, high = low - width, low
        else:
            low, high = high, high + width
    for j in range(n):
        sub[j] = a[j]
    return median_in_place(sub, n)


@_jit
def median_in_place(a, n):
    """Median of the first ``n`` values of ``a`` (reordered), as ``np.median`` defines it."""
    upper = kth_smallest(a[:n], n // 2)
    if n % 2:
        return upper
    return 0.5 * (upper + kth_smallest(a[: n // 2], n // 2 - 1))


#: brackets of the two medians of :func:`second_difference_mad_row`, in units of the mean absolute
#: value. For Gaussian noise the median of n ≈ 100 second differences scatters by 0.126 σ about their
#: mean, and their MAD (0.6745 σ ≈ 0.845 × their mean absolute deviation, 0.798 σ) by 0.09 σ. The
#: half-widths below are about 3/4 of those scatters: a bracket that misses moves to the median's
#: side, and a narrow one leaves few values to select from; these were the fastest (0.63 µs a row of
#: 101 samples against 2.2 µs for two full selections); any bracket gives the same value
MEDIAN_HALF_WIDTH = 0.12
MAD_CENTRE, MAD_HALF_WIDTH = 0.845, 0.1


@_jit
def second_difference_mad_row(y, work):
    """Median absolute deviation of the second differences of one row ``y`` (NaN samples skipped;
    NaN when none is left); ``work`` holds at least 2 (len(y) − 2) values."""
    n = y.size - 2
    d, sub = work[:n], work[n:]
    k, total, total_abs = 0, 0.0, 0.0
    for j in range(n):
        v = y[j] - 2.0 * y[j + 1] + y[j + 2]
        if v == v:  # NaN samples drop out, as in np.nanmedian
            d[k] = v
            k += 1
            total += v
            total_abs += abs(v)
    if k == 0:
        return np.nan
    mean, half = total / k, MEDIAN_HALF_WIDTH * total_abs / k
    centre = median_bracketed(d, k, mean - half, mean + half, sub)
    total_abs = 0.0
    for j in range(k):
        d[j] = abs(d[j] - centre)
        total_abs += d[j]
    guess = MAD_CENTRE * total_abs / k
    return median_bracketed(d, k, guess * (1.0 - MAD_HALF_WIDTH), guess * (1.0 + MAD_HALF_WIDTH), sub)


@_jit_parallel
def _second_difference_mad_rows(y, out):
    n, m = y.shape
    for b in _numba.prange((n + BLOCK - 1) // BLOCK):
        work = np.empty(max(2 * (m - 2), 1))
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            out[i] = second_difference_mad_row(y[i], work)


def second_difference_mad(y) -> np.ndarray:
    """Median absolute deviation (n,) of each row's second differences y[i-1] − 2y[i] + y[i+1]
    (NaN samples skipped; NaN for a row without any), as ``np.nanmedian`` gives it."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    out = np.empty(y.shape[0])
    _second_difference_mad_rows(y, out)
    return out
