"""File to file: read a measured stack, fit it, add field maps and write the result atomically."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import provenance, save_dataset
from ..nv.orientations import nv_orientations
from .fieldmaps import field_maps
from .fit import fit_odmr, fit_report
from .preprocess import bin_pixels, mask_pixels, normalise, select_roi
from .quality import MIN_SNR
from .readers import load_odmr


def check_distinct_paths(data, out) -> None:
    """Refuse to write a result over its own input (the measured data would be lost)."""
    src, dst = Path(data), Path(out)
    same = src.resolve() == dst.resolve()
    if not same and dst.exists() and src.exists():
        try:
            same = os.path.samefile(src, dst)
        except OSError:
            same = False
    if same:
        raise InputError(
            f"out: {str(dst)!r} is the input file {str(src)!r}; writing the fit there would "
            "destroy the measured data; choose another output path"
        )


def _check_magnitude(result, magnitude: float) -> None:
    """Warn when the fitted field's median magnitude is far from the bias the user gave."""
    if not {"Bx", "By", "Bz"} <= set(result.data_vars):
        return
    b = np.sqrt(sum(np.asarray(result[c].values, dtype=np.float64) ** 2 for c in ("Bx", "By", "Bz")))
    b = b[np.isfinite(b)]
    if b.size and not 0.5 * magnitude <= np.median(b) <= 1.5 * magnitude:
        warnings.warn(
            f"bias: the fitted field's median magnitude is {np.median(b) * 1e3:.4g} mT, not the "
            f"{magnitude * 1e3:.4g} mT given; check --bias or the frequency axis",
            RuntimeWarning,
            stacklevel=3,
        )


def stack_line(attrs: dict) -> dict | None:
    """The resonance an operando-simulated stack sweeps (attrs ``n_dips`` 1, ``odmr_line``, ``D``,
    ``B_ext``, ``nv_axis``: :func:`operando.pipeline.measurement.odmr_stack_dataset`), for B_nv =
    ±(f0 − D)/γ − B_ext; None when the file does not say."""
    if int(np.ravel(attrs.get("n_dips", 0))[0]) != 1 or attrs.get("odmr_line") not in ("upper", "lower"):
        return None
    if not {"D", "B_ext"} <= set(attrs):
        return None
    line = {"side": "high" if attrs["odmr_line"] == "upper" else "low", "D": float(attrs["D"]),
            "B_ext": float(attrs["B_ext"])}
    if "nv_axis" in attrs:
        line["nv_axis"] = [float(v) for v in np.ravel(attrs["nv_axis"])]
    return line


def resolve_n_dips(n_dips, attrs: dict, sample, model: str, hyperfine=None) -> tuple[int, str | None]:
    """The number of lines to fit: ``n_dips`` when given, else the file's ``n_dips`` attr, else the
    count the data favour (:func:`operando.odmr.select.count_lines` on the sample pixels
    ``sample``, over each sweep, times the sweeps); with the reason (None when given)."""
    from .select import count_lines
    from .sweeps import find_sweeps

    if n_dips is not None or model == "nv":
        return (2 if n_dips is None else int(n_dips)), None
    if "n_dips" in attrs:
        n = int(np.ravel(attrs["n_dips"])[0])
        return n, f"{n} line(s): from the file's n_dips attribute; --n-dips overrides"
    sweeps = find_sweeps(sample)
    per, why = count_lines([sample.isel(frequency=idx) for _, idx in sweeps], hyperfine=hyperfine)
    return per * len(sweeps), why


def fit_file(
    data,
    out,
    *,
    model: str = "auto",
    n_dips: int | None = None,
    hyperfine: str | None = None,
    binning: int = 1,
    normalisation: str | None = "baseline",
    chunks: int | None = None,
    scheduler: str | None = None,
    cut: str = "100",
    b_guess=None,
    side: str = "both",
    roi=None,
    min_snr: float = MIN_SNR,
    **load_options,
):
    """Fit every spectrum of the stack in ``data`` and write parameters and field maps to ``out``
    (.nc or .zarr). With ``chunks`` (and no ``scheduler``) the stack is read, fitted and written
    one ``chunks`` × ``chunks`` tile at a time (:mod:`.stream`: memory set by the tile, not the
    stack; a killed fit resumes from its finished tiles). ``b_guess`` (3,)
    T: approximate bias field selecting the branch of an "nv" fit. ``roi`` (y slice, x slice)
    crops before binning. A scalar ``b_guess`` is the field's magnitude: the "nv" fit then finds
    the field's direction from the mean spectrum and a warning says when the fitted magnitude
    disagrees. ``n_dips`` None: the file's ``n_dips`` attr, else the count the data favour
    (:func:`resolve_n_dips`). Returns (path written, result dataset, preprocessed input dataset)."""
    check_distinct_paths(data, out)
    from ..pipeline.lock import FolderLock

    out_path = Path(out)
    # one writer per output: a second fit into the same file (or its stream store) is refused
    with FolderLock(out_path.parent, name=f".{out_path.name}.lock", subject=f"the fit output {str(out)!r}"):
        magnitude = None
        if b_guess is not None and np.ndim(b_guess) == 0:
            magnitude, b_guess = float(b_guess), None
        config = {"model": model, "n_dips": n_dips, "hyperfine": hyperfine, "binning": binning,
                  "normalisation": normalisation, "side": side, "min_snr": min_snr}
        if chunks is not None and scheduler is None:
            return _fit_file_streamed(data, out, chunks=chunks, config=config, cut=cut, b_guess=b_guess, roi=roi,
                                      magnitude=magnitude, **load_options)
        lazy = chunks is not None or scheduler is not None
        ds = load_odmr(
            data,
            chunks={} if lazy and Path(data).suffix.lower() in (".zarr", ".nc") else None,
            **load_options,
        )
        if roi is not None:
            ds = select_roi(ds, *roi)
        if not lazy:  # saturation and dead-level masks need values; fit_spectra screens the rest
            ds = mask_pixels(ds)
        ds = bin_pixels(ds, binning)
        if normalisation is not None:
            ds = normalise(ds, method=normalisation)
        n_dips, count_why = resolve_n_dips(n_dips, ds.attrs, ds, model, hyperfine)
        config["n_dips"] = n_dips
        line = stack_line(ds.attrs)
        axes = nv_orientations(cut)
        result = fit_odmr(
            ds,
            model,
            n_dips=n_dips,
            hyperfine=hyperfine,
            axes=axes if model == "nv" else None,
            b_guess=b_guess,
            chunks=chunks,
            scheduler=scheduler,
            compute=not lazy or scheduler is not None,
            side=side,
            min_snr=min_snr,
        )
        if lazy and scheduler is None:
            from dask.diagnostics import ProgressBar

            from ..progress import progress_enabled

            if progress_enabled():
                with ProgressBar():
                    result = result.persist()
            else:
                result = result.persist()
            result.attrs["fit_report"] = fit_report(result)
        result = field_maps(result, axes=axes if n_dips == 8 and model != "nv" else None, b_guess=b_guess, line=line)
        _record_lines(result.attrs, count_why, line)
        if magnitude is not None:
            result.attrs["bias_magnitude_T"] = magnitude
            _check_magnitude(result, magnitude)
        result.attrs.update(provenance(config=config, source=str(data)))
        result.attrs["frequency_range_hz"] = [float(np.min(ds.frequency)), float(np.max(ds.frequency))]
        return save_dataset(result, out), result, ds


def _record_lines(attrs: dict, count_why, line) -> None:
    """Note in a result's ``attrs`` where the line count came from and the stack's NV axis and bias."""
    if count_why is not None:
        attrs["line_count"] = count_why
    if line is not None:
        attrs.update({k: v for k, v in line.items() if k != "side"}, odmr_line=line["side"])


def _fit_file_streamed(data, out, *, chunks, config, cut, b_guess, roi, magnitude, **load_options):
    """:func:`fit_file` with ``chunks`` (and no scheduler): tile by tile, results written as they
    come (:mod:`.stream`), the same preprocessing, fit and field maps as the eager path on each tile."""
    from .fit import check_chunks
    from .stream import fit_streamed, input_key, open_result, sample_block, sample_signal, whole_image_model

    tile = check_chunks(chunks)
    binning, normalisation, model = config["binning"], config["normalisation"], config["model"]
    lazy_formats = (".zarr", ".nc", ".h5", ".hdf5", ".hdf")  # .npy is memory-mapped
    ds = load_odmr(data, chunks={} if Path(data).suffix.lower() in lazy_formats else None, **load_options)
    if roi is not None:
        ds = select_roi(ds, *roi)
    axes = nv_orientations(cut)
    fit_axes = axes if model == "nv" else None

    def prepare(block):
        block = bin_pixels(mask_pixels(block), binning)
        return block if normalisation is None else normalise(block, method=normalisation)

    prepare_lazy = bin_pixels(sample_signal(ds), binning)  # the whole stack, lazily
    if normalisation is not None:
        prepare_lazy = normalise(prepare_lazy, method=normalisation)
    chooser = prepare_lazy if model == "nv" else sample_block(ds, binning, prepare)
    config["n_dips"], count_why = resolve_n_dips(config["n_dips"], ds.attrs, chooser, model,
                                                     config["hyperfine"])
    line = stack_line(ds.attrs)
    mdl, why = whole_image_model(chooser, model=model, n_dips=config["n_dips"], hyperfine=config["hyperfine"],
                                 axes=fit_axes, b_guess=b_guess, side=config["side"])
    attrs = {**provenance(config=config, source=str(data)),
             "frequency_range_hz": [float(np.min(ds.frequency)), float(np.max(ds.frequency))]}
    if why is not None:
        attrs["model_choice"] = why
    _record_lines(attrs, count_why, line)
    if magnitude is not None:
        attrs["bias_magnitude_T"] = magnitude
    key = input_key(data, {**config, "cut": cut, "b_guess": b_guess, "roi": str(roi), "chunks": tile,
                           "load": {k: str(v) for k, v in load_options.items()}})
    path = fit_streamed(
        ds, out, tile=tile, binning=binning, key=key, prepare=prepare,
        fit=lambda block: fit_odmr(block, mdl, n_dips=config["n_dips"], hyperfine=config["hyperfine"],
                                   axes=fit_axes, b_guess=b_guess, side=config["side"], min_snr=config["min_snr"]),
        finish=lambda res: field_maps(res, axes=axes if config["n_dips"] == 8 and model != "nv" else None,
                                      b_guess=b_guess, line=line),
        attrs=attrs,
    )
    result = open_result(path)
    if magnitude is not None:
        _check_magnitude(result, magnitude)
    return path, result, prepare_lazy
