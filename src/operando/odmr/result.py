"""A fit's result as a Dataset (one map per parameter, its standard error, the verdict and its
reason), the model it was made with (read back from its attrs) and its report of counts."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .dataset import SIGNAL, VALID
from .models import DipModel
from .nvmodel import NVModel
from .quality import REASONS, reason_counts


def result_dataset(arr, model, ds) -> xr.Dataset:
    p = len(model.names)
    sig_units = ds[SIGNAL].attrs.get("units", "1")
    out = {}  # every variable first, one Dataset at the end: each assignment would merge
    for k, (name, unit) in enumerate(zip(model.names, model.units, strict=True)):
        unit = sig_units if unit == "signal" else unit
        out[name] = (("y", "x"), arr[..., k], {"units": unit})
        out[f"{name}_err"] = (
            ("y", "x"),
            arr[..., p + k],
            {"units": unit, "meaning": "standard error"},
        )
    out["reason"] = (("y", "x"), arr[..., 2 * p].astype(np.int8),
                     {"units": "1", "meaning": "0 converged; codes in attrs['reason_codes']"})
    out["residual_variance"] = (("y", "x"), arr[..., -4], {
        "units": f"({sig_units})^2", "long_name": "residual sum of squares / (points - parameters)"})
    out["reduced_chi2"] = (("y", "x"), arr[..., -3], {
        "units": "1", "long_name": "reduced chi-squared: residual variance / the spectrum's noise variance"})
    out["n_iter"] = (("y", "x"), arr[..., -2], {"units": "1"})
    out["converged"] = (("y", "x"), arr[..., -1] > 0.5, {"units": "1"})
    if VALID in ds:
        out[VALID] = ds[VALID].variable
    out = xr.Dataset(out, coords={k: ds.coords[k] for k in ("y", "x") if k in ds.coords})
    out.attrs = {
        "model": type(model).__name__,
        "model_shape": model.shape,
        "hyperfine": str(model.hyperfine),
        "n_frequencies": int(ds.sizes["frequency"]),
        "mask_report": ds.attrs.get("mask_report", {}),
        "reason_codes": {str(k): v for k, v in REASONS.items()},
    }
    if isinstance(model, DipModel):
        out.attrs.update(n_dips=int(model.n_dips), shared_width=int(model.shared_width))
    if isinstance(model, NVModel):
        out.attrs["nv_axes"] = model.axes.ravel().tolist()
        if model.b_guess is not None:
            out.attrs["nv_b_guess"] = [float(v) for v in model.b_guess]
    return out


def model_from_attrs(attrs: dict):
    """The spectrum model a fit result was made with (from its attrs)."""
    hyperfine = None if attrs.get("hyperfine", "None") == "None" else attrs["hyperfine"]
    if attrs.get("model") == "NVModel":
        axes = np.asarray(attrs["nv_axes"], dtype=np.float64).reshape(-1, 3)
        b = attrs.get("nv_b_guess")
        return NVModel(axes=axes, shape=attrs["model_shape"], hyperfine=hyperfine,
                       b_guess=None if b is None else tuple(b))
    return DipModel(int(attrs.get("n_dips", 2)), attrs.get("model_shape", "lorentzian"),
                    bool(attrs.get("shared_width", 0)), hyperfine)


def fit_report(out: xr.Dataset) -> dict:
    """Counts of pixels per outcome of a fit result, read from its ``reason`` and ``converged``
    maps: ``fitted`` (the fitter ran), ``converged``, ``not_converged`` (fitted, then rejected)
    and one count per reason."""
    conv = np.asarray(out["converged"].values)
    reasons = reason_counts(out["reason"].values)
    unfitted = reasons["masked"] + reasons["missing_samples"] + reasons["flat"]
    return {
        "pixels": int(conv.size),
        "fitted": int(conv.size - unfitted),
        "converged": int(conv.sum()),
        "not_converged": int(conv.size - unfitted - conv.sum()),
        "masked_or_empty": int(unfitted),
        "reasons": reasons,
    }
