"""Ring-artefact removal: the sorting-based stripe filter of Vo, Atwood & Drakopoulos,
Opt. Express 26, 28396 (2018), algorithm 3.

A miscalibrated pixel adds an offset to one detector column of the sinogram (a stripe). Sorting
each column along the angles turns the sample's signal into smooth monotonic curves while the
stripe stays a step between neighbouring columns; a median filter across columns of the sorted
sinogram removes the step, and un-sorting puts every value back at its angle. Implemented here
in a few vectorized lines (all slices at once); ``method="algotom"`` calls the authors' own
implementation (``algotom.prep.removal.remove_stripe_based_sorting``) where algotom is installed.

The median across columns is biased where the sample's projections change steeply from column to
column (it returns a neighbour's value, off by about one column's change), which limits what
algorithm 3 removes from a small stripe on a steep profile (≈ 3× on a disc in our tests).
``method="detect"`` instead detects full stripes as outliers of the angle-averaged profile from a
robust quadratic trend (:func:`stripe_offsets`) and subtracts their offsets from those columns
only — unbiased on steep profiles, and the rest of the sinogram is left untouched.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..._checks import as_float_array, check_choice, check_positive
from ...errors import InputError

METHODS = ("sorting", "detect", "algotom")


def remove_stripes(sinogram, size: int = 21, *, method: str = "sorting", snr: float = 3.0) -> np.ndarray:
    """Remove stripes (ring sources) from a sinogram (n_angles, n_det) or (nz, n_angles, n_det).

    size : width, in detector bins, of the median filter across columns (odd, ≥ 3); wider
        filters remove wider stripes and smooth the sorted profiles more.
    method : ``"sorting"`` (Vo et al. algorithm 3), ``"detect"`` (detect full stripes and
        subtract their offsets) or ``"algotom"`` (algorithm 3 by the authors' package).
    snr : detection threshold of ``"detect"``, in robust standard deviations.
    """
    s = as_float_array("sinogram", sinogram)
    if s.ndim not in (2, 3):
        raise InputError(f"sinogram: expected (n_angles, n_det) or (nz, n_angles, n_det), got {s.shape}")
    check_choice("method", method, METHODS)
    size = int(size)
    if size < 3:
        raise InputError(f"size: median window must be >= 3 detector bins, got {size}")
    if method == "algotom":
        from algotom.prep.removal import remove_stripe_based_sorting

        stack = s[None] if s.ndim == 2 else s
        out = np.stack([remove_stripe_based_sorting(sl, size=size, dim=1) for sl in stack])
        return out[0] if s.ndim == 2 else out
    order = np.argsort(s, axis=-2, kind="stable")
    sorted_ = np.take_along_axis(s, order, axis=-2)
    filt = (1,) * (s.ndim - 1) + (size,)
    if method == "sorting":
        smoothed = ndimage.median_filter(sorted_, size=filt, mode="reflect")
    else:
        return s - stripe_offsets(s, size, check_positive("snr", snr))[..., None, :]
    out = np.empty_like(s)
    np.put_along_axis(out, order, smoothed, axis=-2)
    return out


def algotom_available() -> bool:
    """True when algotom can be imported (the optional ``ct`` extra)."""
    try:
        import algotom.prep.removal  # noqa: F401
    except ImportError:
        return False
    return True


def stripe_offsets(sinogram, size: int = 21, snr: float = 3.0, n_iter: int = 4, max_width: int = 4) -> np.ndarray:
    """Offset of every detector column (…, n_det) that is a stripe, 0 elsewhere.

    The angle-averaged profile of a sample is smooth (the projection of its rotational average);
    a column offset by a miscalibrated pixel is an outlier from it. The trend is a local
    quadratic least-squares fit over ``size`` columns that leaves out the columns flagged in the
    previous pass (``n_iter`` passes); columns deviating by more than ``snr`` robust standard
    deviations
    (median absolute deviation × 1.4826, set by the first two passes) are stripes if they come in
    runs of at most ``max_width`` columns that step away from both neighbouring columns by more
    than the threshold (a sample's edges deviate from any quadratic over wide, smooth runs; a
    stripe on such an edge is missed).
    """
    profile = np.asarray(sinogram, dtype=float).mean(axis=-2)
    win = max(5, size | 1)

    def robust_scale(dev, good):
        centred = np.where(good, dev, np.nan)
        med = np.nanmedian(centred, axis=-1, keepdims=True)
        return 1.4826 * np.nanmedian(np.abs(centred - med), axis=-1, keepdims=True)

    # the scale is estimated twice: on the first fit, then on a refit without the columns that
    # fit flags (a large stripe drags the fits of its neighbours and inflates the first scale);
    # then it stays fixed, as later passes fit the sample better and a scale re-estimated from
    # them would shrink until the sample's own curvature is flagged
    dev = profile - _local_quadratic(profile, np.ones_like(profile), win)
    flagged = np.abs(dev) > 3.0 * robust_scale(dev, np.ones(dev.shape, bool))
    dev = profile - _local_quadratic(profile, (~flagged).astype(float), win)
    threshold = snr * robust_scale(dev, ~flagged)
    for _ in range(n_iter):
        flagged = np.abs(dev) > threshold
        dev = profile - _local_quadratic(profile, (~flagged).astype(float), win)
    flagged = np.abs(dev) > threshold
    flat = flagged.reshape(-1, flagged.shape[-1])
    dflat = dev.reshape(flat.shape)
    thr = np.broadcast_to(threshold, flagged.shape).reshape(flat.shape)
    runs, _ = ndimage.label(flat, structure=[[0, 0, 0], [1, 1, 1], [0, 0, 0]])
    keep = np.zeros(flat.shape, bool)
    n = flat.shape[1]
    for label, (rows, cols) in enumerate(ndimage.find_objects(runs), start=1):  # one per run, not per pixel
        row, lo, hi = rows.start, cols.start, cols.stop
        if hi - lo > max_width:
            continue
        # a stripe is a step against both flanks; a fit's misses near a sample's edge are smooth
        flanks = dflat[row, [max(lo - 1, 0), min(hi, n - 1)]]
        if np.abs(dflat[row, lo:hi].mean() - flanks.mean()) > thr[row, lo]:
            keep[row, lo:hi] = runs[row, lo:hi] == label
    return np.where(keep.reshape(flagged.shape), dev, 0.0)


def _local_quadratic(y, w, size):
    """Weighted local quadratic regression of y (…, n) over windows of ``size``, value at the centre."""
    half = size // 2
    off = np.arange(-half, half + 1, dtype=float)
    kernels = [off**k for k in range(5)]

    def corr(a, k):  # Σ_m a[i+m] · m^k over the window, zero outside
        return ndimage.correlate1d(a, kernels[k], axis=-1, mode="constant")

    moments = [corr(w, k) for k in range(5)]
    rhs = np.stack([corr(w * y, k) for k in range(3)], axis=-1)
    normal = np.stack([np.stack([moments[i + j] for j in range(3)], axis=-1) for i in range(3)], axis=-2)
    normal += 1e-12 * np.eye(3)
    return np.linalg.solve(normal, rhs[..., None])[..., 0, 0]
