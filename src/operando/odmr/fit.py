"""Fit every pixel's ODMR spectrum: :func:`fit_odmr`.

Spectra are fitted in batches by the vectorised Levenberg–Marquardt of :mod:`.lm`. A lazy
(dask-backed, e.g. Zarr) stack is fitted chunk by chunk with ``dask.array.map_blocks`` — each
chunk holds whole spectra — so memory stays bounded by the chunk size; a ``scheduler`` address
runs the same graph on a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from ..errors import InputError
from ..progress import progress, progress_enabled
from . import lm_compiled
from .dataset import SIGNAL, VALID, as_odmr_dataset
from .lm import levenberg_marquardt
from .models import DipModel
from .nvmodel import NVModel

MODELS = ("lorentzian", "gaussian", "nv")


def make_model(
    model="lorentzian",
    *,
    n_dips: int = 2,
    shared_width: bool = False,
    hyperfine=None,
    axes=None,
    b_guess=None,
):
    """A spectrum model from its name, or the model object itself."""
    if isinstance(model, DipModel | NVModel):
        return model
    if model in ("lorentzian", "gaussian"):
        return DipModel(n_dips, model, shared_width, hyperfine)
    if model == "nv":
        kw = {} if axes is None else {"axes": axes}
        return NVModel(hyperfine=hyperfine, b_guess=b_guess, **kw)
    raise InputError(f"model: unknown {model!r}; expected one of {MODELS} or a model object")


#: samples (spectra × points) fitted together by default; measured in benchmarks/bench_odmr_fit.py
BATCH_SAMPLES = 25_600


def fit_spectra(
    f,
    y,
    model,
    *,
    valid=None,
    batch_size: int | None = None,
    max_iter: int = 50,
    show_progress: bool = False,
    engine: str = "auto",
) -> np.ndarray:
    """Fit spectra ``y`` (n, m) on frequencies ``f`` (m,) Hz; returns (n, 2p + 3) columns:
    parameters, their standard errors, reduced χ², iterations, converged (1/0).

    Rows that are invalid or have fewer finite points than 2p are returned as NaN, not converged.
    Missing (non-finite) samples of other rows get zero weight. Float32 input is fitted in float64
    one batch at a time, so the working memory is set by ``batch_size`` (default ≈ 2.6·10⁴ samples
    per batch, i.e. 25600/m spectra: about 6 MB of working arrays, and on 101-point spectra faster
    than larger batches, which fall out of cache), not by ``n``.

    ``engine``: "numpy" (vectorised LM over each batch), "compiled" (:mod:`.lm_compiled`, numba;
    Lorentzian dips without hyperfine lines; batches with missing samples fall back to NumPy) or
    "auto" (compiled where numba is installed and the model allows it).
    """
    compiled = _use_compiled(engine, model)
    n, m = y.shape
    p = len(model.names)
    batch_size = max(16, int(batch_size if batch_size else BATCH_SAMPLES // m))
    out = np.full((n, 2 * p + 3), np.nan)
    out[:, -1] = 0.0
    n_finite = (
        np.concatenate([np.isfinite(y[s : s + 4096]).sum(axis=1) for s in range(0, n, 4096)])
        if n
        else np.zeros(0)
    )
    ok = n_finite >= max(2 * p, p + 2)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool).ravel()
    rows = np.flatnonzero(ok)
    lo, hi = model.bounds(f)
    starts = range(0, rows.size, batch_size)
    if show_progress:
        starts = progress(starts, desc="fitting spectra", total=len(starts), unit="batch")
    for start in starts:  # batches of pixels, each fitted all at once
        idx = rows[start : start + batch_size]
        yb = y[idx].astype(np.float64)
        fin = np.isfinite(yb)
        weights = None
        if not fin.all():
            weights = fin.astype(np.float64)
            yb = np.where(fin, yb, np.nanmean(yb, axis=1, keepdims=True))
        p0 = model.guess(f, yb)
        if compiled and weights is None:
            res = lm_compiled.levenberg_marquardt_lorentzian(model, f, yb, p0, lo, hi, max_iter=max_iter)
        else:
            res = levenberg_marquardt(
                lambda q, index: model.evaluate(f, q),
                yb,
                p0,
                weights=weights,
                lower=lo,
                upper=hi,
                max_iter=max_iter,
            )
        out[idx, :p] = res.params
        out[idx, p : 2 * p] = res.stderr
        out[idx, -3] = res.reduced_chi2
        out[idx, -2] = res.n_iter
        out[idx, -1] = res.converged
    return out


ENGINES = ("auto", "numpy", "compiled")


def _use_compiled(engine: str, model) -> bool:
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {ENGINES}, got {engine!r}")
    if engine == "numpy":
        return False
    ok = lm_compiled.available() and lm_compiled.supports(model)
    if engine == "compiled" and not ok:
        why = "numba is not installed (pip install 'operando[fast]')" if not lm_compiled.available() else (
            "it covers Lorentzian dips without hyperfine lines only")
        raise InputError(f"engine: 'compiled' cannot fit {type(model).__name__}: {why}")
    return ok


def _fit_block(block, valid_block, *, f, model, batch_size, max_iter, engine="auto", show_progress=False):
    ny, nx, m = block.shape
    valid = None if valid_block is None else valid_block.reshape(-1)
    res = fit_spectra(
        f,
        np.asarray(block).reshape(-1, m),
        model,
        valid=valid,
        batch_size=batch_size,
        max_iter=max_iter,
        show_progress=show_progress,
        engine=engine,
    )
    return res.reshape(ny, nx, -1)


def fit_odmr(
    data,
    model="lorentzian",
    *,
    frequency=None,
    n_dips: int = 2,
    shared_width: bool = False,
    hyperfine: str | None = None,
    axes=None,
    b_guess=None,
    batch_size: int | None = None,
    max_iter: int = 50,
    chunks: int | tuple[int, int] | None = None,
    scheduler: str | None = None,
    compute: bool = True,
    engine: str = "auto",
) -> xr.Dataset:
    """Fit the spectrum of every pixel of an ODMR stack.

    ``data``: a Dataset from :func:`operando.odmr.load_odmr` (or a (y, x, frequency) DataArray,
    or an array plus ``frequency`` in Hz). ``model``: "lorentzian" / "gaussian" (``n_dips`` dips,
    ``shared_width``, ``hyperfine`` "14N"/"15N"), "nv" (global fit of the 8 resonances of the NV
    ``axes`` through the spin Hamiltonian; ``b_guess`` (3,) T is the approximate bias field) or a
    model object. ``chunks`` (pixels per side) or a dask-backed input fits chunk by chunk;
    ``scheduler`` is a ``dask.distributed`` address; ``compute=False`` returns a lazy dataset
    (write it with :func:`operando.io.save_dataset` to stream chunks to disk). ``engine`` as in
    :func:`fit_spectra`.

    Returns a Dataset (y, x) with one variable per parameter (with units), ``<name>_err``
    standard errors (from (JᵀJ)⁻¹ scaled by the reduced χ²), ``reduced_chi2``, ``n_iter``,
    ``converged`` and ``valid``; ``attrs["fit_report"]`` counts fitted, failed and masked pixels.
    """
    ds = as_odmr_dataset(data, frequency)
    mdl = make_model(
        model,
        n_dips=n_dips,
        shared_width=shared_width,
        hyperfine=hyperfine,
        axes=axes,
        b_guess=b_guess,
    )
    f = ds["frequency"].values.astype(np.float64)
    sig = ds[SIGNAL]
    if isinstance(mdl, NVModel) and mdl.b_guess is None:
        mdl = _fix_nv_branch(mdl, f, sig)
    valid = ds[VALID] if VALID in ds else None
    lazy = chunks is not None or scheduler is not None or not isinstance(sig.data, np.ndarray)
    _use_compiled(engine, mdl)  # a bad engine fails before any work
    kw = {"f": f, "model": mdl, "batch_size": batch_size, "max_iter": max_iter, "engine": engine}
    if lazy:
        arr = _fit_lazy(sig, valid, chunks, kw)
    else:
        arr = _fit_block(
            np.asarray(sig.values),
            None if valid is None else np.asarray(valid.values),
            show_progress=True,
            **kw,
        )
    out = _result_dataset(arr, mdl, ds)
    if lazy and compute:
        out = _compute(out, scheduler)
    if not lazy or compute:
        out.attrs["fit_report"] = fit_report(out)
    return out


def _fix_nv_branch(model: NVModel, f, sig) -> NVModel:
    """Pick the field branch once, from the mean spectrum of the central 64 × 64 pixels, so
    every batch and chunk of the map is fitted on the same branch."""
    ny, nx = sig.sizes["y"], sig.sizes["x"]
    centre = sig.isel(
        y=slice(max(ny // 2 - 32, 0), ny // 2 + 32), x=slice(max(nx // 2 - 32, 0), nx // 2 + 32)
    )
    mean = np.asarray(centre.mean(("y", "x"), skipna=True).values, dtype=np.float64)
    b0 = model.global_field(f, mean)
    return dataclasses.replace(model, b_guess=tuple(float(v) for v in b0))


def _fit_lazy(sig, valid, chunks, kw):
    import dask.array as da

    arr = sig.data if not isinstance(sig.data, np.ndarray) else da.from_array(sig.data)
    if chunks is not None:
        cy, cx = (chunks, chunks) if np.isscalar(chunks) else chunks
        arr = arr.rechunk((cy, cx, -1))
    else:
        arr = arr.rechunk({2: -1})
    p = len(kw["model"].names)
    if valid is not None:
        vd = valid.data if not isinstance(valid.data, np.ndarray) else da.from_array(valid.data)
        vd = vd.rechunk(arr.chunks[:2])[..., None]
    else:
        vd = da.ones((*arr.shape[:2], 1), dtype=bool, chunks=(*arr.chunks[:2], (1,)))
    return da.map_blocks(
        lambda b, v: _fit_block(b, v[..., 0], **kw),
        arr,
        vd,
        chunks=(arr.chunks[0], arr.chunks[1], (2 * p + 3,)),
        dtype=np.float64,
        meta=np.empty((0, 0, 0)),
    )


def _result_dataset(arr, model, ds) -> xr.Dataset:
    p = len(model.names)
    sig_units = ds[SIGNAL].attrs.get("units", "1")
    out = xr.Dataset(coords={k: ds.coords[k] for k in ("y", "x") if k in ds.coords})
    for k, (name, unit) in enumerate(zip(model.names, model.units, strict=True)):
        unit = sig_units if unit == "signal" else unit
        out[name] = (("y", "x"), arr[..., k], {"units": unit})
        out[f"{name}_err"] = (
            ("y", "x"),
            arr[..., p + k],
            {"units": unit, "meaning": "standard error"},
        )
    out["reduced_chi2"] = (("y", "x"), arr[..., -3], {"units": f"({sig_units})^2"})
    out["n_iter"] = (("y", "x"), arr[..., -2], {"units": "1"})
    out["converged"] = (("y", "x"), arr[..., -1] > 0.5, {"units": "1"})
    if VALID in ds:
        out[VALID] = ds[VALID]
    out.attrs = {
        "model": type(model).__name__,
        "model_shape": model.shape,
        "hyperfine": str(model.hyperfine),
        "n_frequencies": int(ds.sizes["frequency"]),
        "mask_report": ds.attrs.get("mask_report", {}),
    }
    if isinstance(model, NVModel):
        out.attrs["nv_axes"] = model.axes.ravel().tolist()
        if model.b_guess is not None:
            out.attrs["nv_b_guess"] = [float(v) for v in model.b_guess]
    return out


def _compute(out: xr.Dataset, scheduler: str | None) -> xr.Dataset:
    if scheduler is not None:
        from distributed import Client, progress

        with Client(scheduler) as client:
            fut = client.compute(out)
            if progress_enabled():
                progress(fut)
            return fut.result()
    from dask.diagnostics import ProgressBar

    if progress_enabled():
        with ProgressBar():
            return out.compute()
    return out.compute()


def fit_report(out: xr.Dataset) -> dict:
    """Counts of fitted, converged, failed and masked pixels of a fit result."""
    conv = np.asarray(out["converged"].values)
    fitted = np.isfinite(np.asarray(out["reduced_chi2"].values))
    return {
        "pixels": int(conv.size),
        "fitted": int(fitted.sum()),
        "converged": int(conv.sum()),
        "not_converged": int((fitted & ~conv).sum()),
        "masked_or_empty": int((~fitted).sum()),
    }
