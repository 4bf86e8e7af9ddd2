"""Preprocessing of ODMR stacks: region of interest, binning, normalisation, pixel masks.

Each function takes and returns the (y, x, frequency) Dataset of :mod:`operando.odmr.dataset`.
Masking never deletes data: it sets ``valid`` to False and records counts and reasons in
``attrs["mask_report"]`` so the user sees what was left out of the maps.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .._checks import check_positive
from ..errors import InputError
from .dataset import SIGNAL, VALID, as_odmr_dataset


def select_roi(ds: xr.Dataset, y: slice | None = None, x: slice | None = None) -> xr.Dataset:
    """Crop to pixel ranges ``y`` and ``x`` (Python slices of pixel indices)."""
    ds = as_odmr_dataset(ds)
    out = ds.isel(y=y if y is not None else slice(None), x=x if x is not None else slice(None))
    if out.sizes["y"] == 0 or out.sizes["x"] == 0:
        raise InputError(
            f"roi: y={y}, x={x} selects no pixels of a {ds.sizes['y']}×{ds.sizes['x']} image"
        )
    return out


def bin_pixels(ds: xr.Dataset, factor: int) -> xr.Dataset:
    """Average ``factor`` × ``factor`` blocks of pixels (incomplete edge blocks are dropped).

    NaN samples are left out of each block mean; a binned pixel is valid when any of its pixels is.
    """
    ds = as_odmr_dataset(ds)
    if int(factor) != factor or factor < 1:
        raise InputError(f"factor: must be a positive integer, got {factor!r}")
    factor = int(factor)
    if factor > min(ds.sizes["y"], ds.sizes["x"]):
        raise InputError(f"factor: {factor} exceeds the image size {ds.sizes['y']}×{ds.sizes['x']}")
    if factor == 1:
        return ds
    sig = ds[SIGNAL]
    if VALID in ds:
        sig = sig.where(ds[VALID])
    binned = sig.coarsen(y=factor, x=factor, boundary="trim").mean()  # NaN-skipping for floats
    out = binned.to_dataset(name=SIGNAL)
    out[SIGNAL].attrs = dict(ds[SIGNAL].attrs)
    out.attrs = {**ds.attrs, "binning": factor}
    if isinstance(out[SIGNAL].data, np.ndarray):
        out[VALID] = np.isfinite(out[SIGNAL]).any("frequency")
    return out


def normalise(
    ds: xr.Dataset, *, method: str = "baseline", reference=None, n_edge: int | None = None
) -> xr.Dataset:
    """Divide each spectrum by its off-resonance level.

    ``method="baseline"``: the mean of the ``n_edge`` first and last points (default 10 % each);
    ``"reference"``: divide point by point by ``reference`` frames, an array (or Dataset variable
    name) of the same shape as the signal; ``"mean"``: the spectrum's mean (QDMlab's choice).
    """
    ds = as_odmr_dataset(ds)
    sig = ds[SIGNAL]
    nf = ds.sizes["frequency"]
    if method == "baseline":
        k = max(1, nf // 10) if n_edge is None else int(n_edge)
        if not 1 <= k <= nf // 2:
            raise InputError(
                f"n_edge: must lie in [1, {nf // 2}] for {nf} frequencies, got {n_edge!r}"
            )
        edges = xr.concat(
            [sig.isel(frequency=slice(0, k)), sig.isel(frequency=slice(nf - k, nf))], "frequency"
        )
        level = _finite_mean(edges)
    elif method == "mean":
        level = _finite_mean(sig)
    elif method == "reference":
        if reference is None:
            raise InputError(
                "reference: required for method='reference' (frames of the signal's shape)"
            )
        level = ds[reference] if isinstance(reference, str) else reference
        if np.shape(level) != sig.shape:
            raise InputError(
                f"reference: shape {np.shape(level)} differs from the signal's {sig.shape}"
            )
    else:
        raise InputError(f"method: unknown {method!r}; expected 'baseline', 'mean' or 'reference'")
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = sig / xr.where(level == 0, np.nan, level)
    out = ds.copy()
    out[SIGNAL] = norm.astype(sig.dtype)
    out[SIGNAL].attrs = {"units": "1", "normalisation": method}
    return out


def _finite_mean(sig: xr.DataArray) -> xr.DataArray:
    """Mean over frequency of the finite samples: an infinite sample (an overflow) is missing, as
    the fit treats it, rather than a level that zeroes the whole spectrum."""
    return sig.where(np.isfinite(sig)).mean("frequency", skipna=True)


def mask_pixels(
    ds: xr.Dataset,
    *,
    saturation: float | None = None,
    dead_level: float | None = None,
    max_nan_fraction: float = 0.5,
) -> xr.Dataset:
    """Mark unusable pixels invalid and report why.

    Reasons: ``nan`` (more than ``max_nan_fraction`` of the spectrum non-finite), ``saturated``
    (any sample ≥ ``saturation``, in signal units), ``dead`` (mean ≤ ``dead_level`` or a flat
    spectrum). ``attrs["mask_report"]`` gets a count per reason and the total.
    """
    ds = as_odmr_dataset(ds)
    sig = np.asarray(ds[SIGNAL].values)
    finite = np.isfinite(sig)
    nan_frac = 1.0 - finite.mean(axis=-1)
    reasons = {"nan": nan_frac > max_nan_fraction}
    safe = np.where(finite, sig, np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices are reported, not warned
        if saturation is not None:
            check_positive("saturation", saturation)
            reasons["saturated"] = np.nanmax(np.where(finite, sig, -np.inf), axis=-1) >= saturation
        spread = np.nanmax(safe, axis=-1) - np.nanmin(safe, axis=-1)
        dead = ~(spread > 0)
        if dead_level is not None:
            dead |= np.nanmean(safe, axis=-1) <= dead_level
        reasons["dead"] = dead & ~reasons["nan"]
    bad = np.zeros(sig.shape[:2], dtype=bool)
    for r in reasons.values():
        bad |= r
    valid = ~bad & (np.asarray(ds[VALID].values) if VALID in ds else True)
    out = ds.copy()
    out[VALID] = (("y", "x"), valid, {"units": "1", "meaning": "True where the pixel is fitted"})
    report = {name: int(np.count_nonzero(r)) for name, r in reasons.items()}
    report.update(masked=int(np.count_nonzero(~valid)), total_pixels=int(valid.size))
    out.attrs["mask_report"] = report
    return out
