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

from .._checks import check_positive
from ..errors import ConvergenceError, InputError
from ..progress import progress, progress_enabled
from . import lm_compiled
from .dataset import SIGNAL, VALID, as_odmr_dataset
from .lm import levenberg_marquardt
from .models import DipModel
from .nvmodel import NVModel
from .quality import (
    CODES,
    MIN_SNR,
    judge_fits,
    noise_variance,
    satellite_shift,
    screen_spectra,
    variance_from_second_difference_mad,
)
from .result import fit_report, model_from_attrs, result_dataset  # noqa: F401 (re-exported)

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


#: samples (spectra × points) fitted together by default; measured in benchmarks/bench_odmr_fit.py:
#: the NumPy LM is fastest on batches that stay in cache, the compiled one (a parallel loop over
#: spectra) on batches large enough to pay for starting its threads: batches of 8k or 16k spectra
#: of 101 points fitted a 300 × 480 two-sided stack 10–15 % faster than 4k on a busy 2-core machine,
#: where each parallel loop waits for both cores; 8k keeps the batch's float64 copy at 6.6 MB
BATCH_SAMPLES = 25_600
BATCH_SAMPLES_COMPILED = 819_200
#: columns of :func:`fit_spectra` after the parameters and their standard errors
EXTRA_COLUMNS = ("reason", "residual_variance", "reduced_chi2", "n_iter", "converged")


def _least_squares(model, f, y, p0, lo, hi, weights, compiled, max_iter):
    if compiled and weights is None:  # the residual noise too, while each spectrum is in cache
        return lm_compiled.levenberg_marquardt_dips(model, f, y, p0, lo, hi, max_iter=max_iter,
                                                    residual_noise=True)
    return levenberg_marquardt(
        lambda q, index: model.evaluate(f, q),
        y,
        p0,
        weights=weights,
        lower=lo,
        upper=hi,
        max_iter=max_iter,
    )


def _residual_noise_variance(model, f, y, params, compiled) -> np.ndarray:
    """:func:`.quality.noise_variance` of the fit residuals ``y − model(params)`` (n,)."""
    if compiled:
        return variance_from_second_difference_mad(lm_compiled.residual_noise_mad(model, f, y, params))
    return noise_variance(y - model.simulate(f, params))


def _fit_batch(model, f, yb, lo, hi, compiled, max_iter, min_snr):
    """Fit one batch (k, m) and judge it: (params, stderr, reason, reduced χ², iterations, noise
    variance of the residual)."""
    fin = np.isfinite(yb)
    complete = fin.all(axis=1)
    if compiled and complete.any() and not complete.all():
        # only the rows with missing samples take the weighted NumPy path: a spectrum's fit does
        # not depend on which spectra share its batch (the batch size, a chunk's tile)
        parts = [_fit_batch(model, f, yb[rows], lo, hi, compiled, max_iter, min_snr) for rows in (complete, ~complete)]
        merged = []
        for a, b in zip(*parts, strict=True):
            out = np.empty((len(yb), *a.shape[1:]), dtype=np.result_type(a, b))
            out[complete], out[~complete] = a, b
            merged.append(out)
        return tuple(merged)
    measured = yb
    weights = None
    if not fin.all():
        weights = fin.astype(np.float64)
        yb = np.where(fin, yb, np.nanmean(np.where(fin, yb, np.nan), axis=1, keepdims=True))
    fused = compiled and weights is None  # the compiled fit computes each start in its own pass
    res = _least_squares(model, f, yb, None if fused else model.guess(f, yb), lo, hi, weights, compiled, max_iter)
    wrong = np.zeros(len(yb), bool)
    if getattr(model, "hyperfine", None) is not None:
        # rule 6 of .quality: a line locked onto a hyperfine satellite; refit those rows from the
        # better start, keep the refit where it lowers χ², and flag what still fails the test
        flagged, start = satellite_shift(model, f, yb, res.params, res.chi2, weights, res.shifted_chi2)
        if flagged.any():
            rows = np.flatnonzero(flagged)
            w_sub = None if weights is None else weights[rows]
            again = _least_squares(model, f, yb[rows], start[rows], lo, hi, w_sub, compiled, max_iter)
            better = np.isfinite(again.chi2) & (again.chi2 < res.chi2[rows])
            for name in ("params", "stderr", "chi2", "reduced_chi2", "n_iter", "converged", "shifted_chi2",
                         "residual_mad"):
                if getattr(res, name) is not None:
                    getattr(res, name)[rows[better]] = getattr(again, name)[better]
            wrong, _ = satellite_shift(model, f, yb, res.params, res.chi2, weights, res.shifted_chi2)
    reason = judge_fits(model, f, res.params, res.stderr, res.chi2, res.converged, min_snr=min_snr)
    reason[wrong & (reason == 0)] = CODES["wrong_line"]
    # the noise from the residual's second differences: the line's own curvature removed, a smooth
    # misfit left in the residual sum only, so it shows as χ²/ν > 1
    if res.residual_mad is not None:
        noise = variance_from_second_difference_mad(res.residual_mad)
    else:
        noise = _residual_noise_variance(model, f, measured, res.params, compiled)
    return res.params, res.stderr, reason, res.reduced_chi2, res.n_iter, noise


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
    min_snr: float = MIN_SNR,
) -> np.ndarray:
    """Fit spectra ``y`` (n, m) on frequencies ``f`` (m,) Hz; returns (n, 2p + 5) columns:
    parameters, their standard errors, then :data:`EXTRA_COLUMNS`: the reason code
    (:data:`operando.odmr.quality.REASONS`, 0 = converged), the residual variance RSS/ν (signal²),
    the reduced χ² (that over the spectrum's own noise variance,
    :func:`operando.odmr.quality.noise_variance`), iterations, converged (1/0).

    The rules of :mod:`operando.odmr.quality` decide which rows are fitted and which fits count
    as converged (``min_snr``: the least contrast / standard error of a dip). Unfitted rows are
    NaN. Missing (non-finite) samples of fitted rows get zero weight. Float32 input is fitted in
    float64 one batch at a time, so the working memory is set by ``batch_size`` (default 25600/m
    spectra for NumPy, about 6 MB of working arrays; 819200/m compiled, a 6.6 MB float64 copy of
    the batch and a few values per spectrum), not by ``n``.

    ``engine``: "numpy" (vectorised LM over each batch), "compiled" (:mod:`.lm_compiled`, numba;
    every dip model; spectra with missing samples use NumPy) or "auto" (compiled where numba is
    installed and the model allows it).
    """
    compiled = _use_compiled(engine, model)
    n, m = y.shape
    p = len(model.names)
    check_positive("min_snr", min_snr)
    _check_max_iter(max_iter)
    default = BATCH_SAMPLES_COMPILED if compiled else BATCH_SAMPLES
    batch_size = max(16, int(batch_size if batch_size else default // max(m, 1)))
    out = np.full((n, 2 * p + len(EXTRA_COLUMNS)), np.nan)
    out[:, -1] = 0.0
    valid = None if valid is None else np.asarray(valid, dtype=bool).ravel()
    step = 4096  # screen in slices: a float32 memory map is never copied whole
    out[:, 2 * p] = np.concatenate(
        [screen_spectra(y[s : s + step], p, None if valid is None else valid[s : s + step])
         for s in range(0, n, step)] or [np.zeros(0)]
    )
    rows = np.flatnonzero(out[:, 2 * p] == 0)
    lo, hi = model.bounds(f)
    n_batches = max(-(-rows.size // batch_size), 1)
    batch_size = max(-(-rows.size // n_batches), 1)  # equal batches: no small last one
    starts = range(0, rows.size, batch_size)
    if show_progress:
        starts = progress(starts, desc="fitting spectra", total=len(starts), unit="batch")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # noise-free spectra: χ² = inf
        for start in starts:  # batches of pixels, each fitted all at once
            idx = rows[start : start + batch_size]
            if idx[-1] - idx[0] + 1 == idx.size:  # consecutive rows (the usual case): views, not copies
                idx = slice(idx[0], idx[-1] + 1)
            params, stderr, reason, red, n_iter, noise = _fit_batch(
                model, f, y[idx].astype(np.float64), lo, hi, compiled, max_iter, min_snr
            )
            out[idx, :p] = params
            out[idx, p : 2 * p] = stderr
            out[idx, 2 * p] = reason
            out[idx, -4] = red
            out[idx, -3] = red / noise
            out[idx, -2] = n_iter
            out[idx, -1] = reason == 0
    return out


def _check_max_iter(max_iter) -> None:
    # no iteration leaves no Jacobian at the result: its standard errors would be undefined
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise InputError(f"max_iter: expected an integer >= 1, got {max_iter!r}")


ENGINES = ("auto", "numpy", "compiled")
#: seconds to wait for a dask.distributed scheduler before reporting it unreachable
SCHEDULER_TIMEOUT_S = 10


def _use_compiled(engine: str, model) -> bool:
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {ENGINES}, got {engine!r}")
    if engine == "numpy":
        return False
    ok = lm_compiled.available() and lm_compiled.supports(model)
    if engine == "compiled" and not ok:
        why = "numba is not installed (pip install 'operando[fast]')" if not lm_compiled.available() else (
            "it covers dip models (Lorentzian/Gaussian, with or without hyperfine lines) only")
        raise InputError(f"engine: 'compiled' cannot fit {type(model).__name__}: {why}")
    return ok


def _fit_block(block, valid_block, *, f, model, batch_size, max_iter, engine="auto", min_snr=MIN_SNR,
               show_progress=False):
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
        min_snr=min_snr,
    )
    return res.reshape(ny, nx, -1)


def check_chunks(chunks):
    """``chunks``: None, a positive pixel count per side, or a (y, x) pair of them."""
    if chunks is None:
        return None
    pair = (chunks, chunks) if np.isscalar(chunks) else tuple(chunks)
    if len(pair) != 2 or not all(
        isinstance(c, int | np.integer) and not isinstance(c, bool) and c >= 1 for c in pair
    ):
        raise InputError(
            f"chunks: expected a positive number of pixels per side (>= 1) or a (y, x) pair of "
            f"them, got {chunks!r}"
        )
    return tuple(int(c) for c in pair)


def fit_odmr(
    data,
    model="auto",
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
    side: str = "both",
    min_snr: float = MIN_SNR,
) -> xr.Dataset:
    """Fit the spectrum of every pixel of an ODMR stack.

    ``data``: a Dataset from :func:`operando.odmr.load_odmr` (or a (y, x, frequency) DataArray,
    or an array plus ``frequency`` in Hz). ``model``: "auto" (Lorentzian dips, alone or as ¹⁴N /
    ¹⁵N multiplets, chosen on a sample of pixels by :func:`operando.odmr.select.choose_model`),
    "lorentzian" / "gaussian" (``n_dips`` dips, ``shared_width``, ``hyperfine`` "14N"/"15N"), "nv"
    (global fit of the 8 resonances of the NV ``axes`` through the spin Hamiltonian; ``b_guess``
    (3,) T is the approximate bias field) or a model object. Data with separate sweeps (a
    ``sweep`` coordinate along frequency, as QDMlab's low/high stacks, or one gap in the axis) are
    fitted sweep by sweep, ``n_dips / 2`` dips each, and combined (:mod:`operando.odmr.sweeps`);
    ``side`` "low" / "high" fits one of them only. ``chunks`` (pixels per side) or a dask-backed
    input fits chunk by chunk; ``scheduler`` is a ``dask.distributed`` address; ``compute=False``
    returns a lazy dataset. ``engine`` and ``min_snr`` as in :func:`fit_spectra`.

    Returns a Dataset (y, x) with one variable per parameter (with units), ``<name>_err``
    standard errors (from (JᵀJ)⁻¹ scaled by the residual variance), ``reason`` (0 = converged, see
    :data:`operando.odmr.quality.REASONS`), ``residual_variance`` (signal²), ``reduced_chi2`` (that
    over the pixel's own noise variance: ≈ 1 for a good fit), ``n_iter``, ``converged`` and
    ``valid``; ``attrs["fit_report"]`` counts pixels per outcome.
    """
    from .sweeps import find_sweeps, fit_sweeps

    ds = as_odmr_dataset(data, frequency)
    chunks = check_chunks(chunks)
    check_positive("min_snr", min_snr)
    _check_max_iter(max_iter)
    options = dict(
        model=model, n_dips=n_dips, shared_width=shared_width, hyperfine=hyperfine, axes=axes,
        b_guess=b_guess, batch_size=batch_size, max_iter=max_iter, chunks=chunks,
        scheduler=scheduler, compute=compute, engine=engine, min_snr=min_snr,
    )
    sweeps = find_sweeps(ds)
    hamiltonian = model == "nv" or isinstance(model, NVModel)
    if len(sweeps) > 1 and not hamiltonian:
        return fit_sweeps(ds, sweeps, side, options)
    if side != "both" and hamiltonian:
        raise InputError(f"side: the NV-Hamiltonian model fits every sweep at once; got {side!r}, "
                         "use side='both'")
    if side != "both":
        raise InputError(
            f"side: {side!r} needs data with separate low- and high-frequency sweeps; this "
            f"stack has one sweep ({ds['frequency'].values[0] / 1e9:.4f}–"
            f"{ds['frequency'].values[-1] / 1e9:.4f} GHz); use side='both'"
        )
    return fit_one_sweep(ds, **options)


def fit_one_sweep(ds, *, model, n_dips, shared_width, hyperfine, axes, b_guess, batch_size,
                  max_iter, chunks, scheduler, compute, engine, min_snr, choice=None) -> xr.Dataset:
    """:func:`fit_odmr` on a stack with one sweep (``choice``: a model already chosen)."""
    from .select import choose_model

    f = ds["frequency"].values.astype(np.float64)
    sig = ds[SIGNAL]
    if choice is None and model == "auto":
        choice = choose_model([ds], n_dips=n_dips, shared_width=shared_width, hyperfine=hyperfine,
                              engine=engine)
    mdl = choice.model if choice is not None else make_model(
        model, n_dips=n_dips, shared_width=shared_width, hyperfine=hyperfine, axes=axes,
        b_guess=b_guess,
    )
    need = max(2 * len(mdl.names), len(mdl.names) + 2)
    if f.size < need:
        raise InputError(
            f"frequency: the sweep has {f.size} point(s); the {type(mdl).__name__} "
            f"({len(mdl.names)} parameters) needs at least {need}"
        )
    _use_compiled(engine, mdl)  # a bad engine fails before any work
    if isinstance(mdl, NVModel) and mdl.b_guess is None:
        mdl = _fix_nv_branch(mdl, f, sig)
    valid = ds[VALID] if VALID in ds else None
    lazy = chunks is not None or scheduler is not None or not isinstance(sig.data, np.ndarray)
    kw = {"f": f, "model": mdl, "batch_size": batch_size, "max_iter": max_iter, "engine": engine,
          "min_snr": min_snr}
    if lazy:
        arr = _fit_lazy(sig, valid, chunks, kw)
    else:
        arr = _fit_block(
            np.asarray(sig.values),
            None if valid is None else np.asarray(valid.values),
            show_progress=True,
            **kw,
        )
    out = result_dataset(arr, mdl, ds)
    out.attrs["min_snr"] = float(min_snr)
    if choice is not None:
        out.attrs["model_choice"] = choice.explanation
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
    try:
        with np.errstate(all="ignore"):
            b0 = model.global_field(f, mean)
    except ConvergenceError as exc:
        raise InputError(
            "bias: the NV-Hamiltonian model found no field that places its 8 lines on the dips "
            f"of the mean spectrum ({exc}); give the approximate bias field (b_guess / --bias, "
            "e.g. '1 mT,2 mT,3 mT', or '2 mT' along the sample normal), or fit the dips with "
            "--model lorentzian"
        ) from exc
    return dataclasses.replace(model, b_guess=tuple(float(v) for v in b0))


def _fit_lazy(sig, valid, chunks, kw):
    import dask.array as da

    arr = sig.data if not isinstance(sig.data, np.ndarray) else da.from_array(sig.data)
    arr = arr.rechunk((*chunks, -1)) if chunks is not None else arr.rechunk({2: -1})
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
        chunks=(arr.chunks[0], arr.chunks[1], (2 * p + len(EXTRA_COLUMNS),)),
        dtype=np.float64,
        meta=np.empty((0, 0, 0)),
    )


def _compute(out: xr.Dataset, scheduler: str | None) -> xr.Dataset:
    if scheduler is not None:
        from distributed import Client, progress

        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise InputError(
                f"scheduler: cannot reach a dask.distributed scheduler at {scheduler!r} within "
                f"{SCHEDULER_TIMEOUT_S} s ({type(exc).__name__}: {exc}); give a running scheduler's address, e.g. "
                "'tcp://127.0.0.1:8786', or leave --scheduler out to use local threads"
            ) from exc
        with client:
            fut = client.compute(out)
            if progress_enabled():
                progress(fut)
            return fut.result()
    from dask.diagnostics import ProgressBar

    if progress_enabled():
        with ProgressBar():
            return out.compute()
    return out.compute()


