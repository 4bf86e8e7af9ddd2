"""File to file: read a measured stack, fit it, add field maps and write the result atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import provenance, save_dataset
from ..nv.orientations import nv_orientations
from .fieldmaps import field_maps
from .fit import fit_odmr, fit_report
from .preprocess import bin_pixels, mask_pixels, normalise
from .readers import load_odmr


def fit_file(
    data,
    out,
    *,
    model: str = "lorentzian",
    n_dips: int = 2,
    hyperfine: str | None = None,
    binning: int = 1,
    normalisation: str | None = "baseline",
    chunks: int | None = None,
    scheduler: str | None = None,
    cut: str = "100",
    b_guess=None,
    **load_options,
) -> Path:
    """Fit every spectrum of the stack in ``data`` and write parameters and field maps to ``out``
    (.nc or .zarr). A chunked (lazy) fit streams chunk by chunk to a Zarr output. ``b_guess`` (3,)
    T: approximate bias field selecting the branch of an "nv" fit."""
    lazy = chunks is not None or scheduler is not None
    ds = load_odmr(
        data,
        chunks={} if lazy and Path(data).suffix.lower() in (".zarr", ".nc") else None,
        **load_options,
    )
    if not lazy:  # masks need the values; a lazy stack keeps its NaN pixels out in fit_spectra
        ds = mask_pixels(ds)
    ds = bin_pixels(ds, binning)
    if normalisation is not None:
        ds = normalise(ds, method=normalisation)
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
    if model != "nv":
        result = field_maps(result, axes=axes if n_dips == 8 else None, b_guess=b_guess)
    result.attrs.update(
        provenance(
            config={
                "model": model,
                "n_dips": n_dips,
                "hyperfine": hyperfine,
                "binning": binning,
                "normalisation": normalisation,
            },
            source=str(data),
        )
    )
    result.attrs["frequency_range_hz"] = [float(np.min(ds.frequency)), float(np.max(ds.frequency))]
    return save_dataset(result, out)
