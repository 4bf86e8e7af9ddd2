"""Out-of-core fits, file to file: read a tile of pixels, fit it, write its results, next tile.

``operando fit --chunks N`` on a stack larger than memory: the stack is opened lazily (NetCDF and
Zarr through dask, ``.npy`` memory-mapped), the line model is chosen once for the whole image
(:func:`operando.odmr.select.choose_model` on its sample pixels; an NV-Hamiltonian fit fixes its
field branch once), then every N × N tile goes through exactly the eager path — pixel masks,
binning, normalisation, :func:`~operando.odmr.fit.fit_odmr` with that model and the field maps —
and its results are written into their region of a Zarr store on disk. Memory is one tile's
spectra and results, whatever the stack's size; the fit report is summed tile by tile.

The store is built beside the output under a name derived from a key of the input (path, size,
modification time) and the options, and records the tiles it holds: a fit killed half-way resumes
from its finished tiles when run again with the same input and options; other partial stores of
the same output are removed. The output appears only when complete (a rename, or a NetCDF copy
written chunk by chunk to a temporary file and renamed), so a killed fit leaves the previous
output intact. Why not ``dask``'s own graph: its result (about 190 bytes a pixel) is assembled in
memory before anything is written, and a killed computation keeps nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from ..io import atomic_write_text, cf_attributes, writing
from .dataset import SIGNAL

PARTIAL = ".partial.zarr"
#: stored chunks are read one at a time: threads would hold several decompressed chunks at once,
#: and the fit, not the reading, is what takes the time (it runs on every core)
READ_SCHEDULER = "synchronous"


@contextlib.contextmanager
def _quiet_zarr():
    """Zarr 3 warns on every store that consolidated metadata is not in its specification yet."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata")
        yield


def _tiles(ny: int, nx: int, ty: int, tx: int):
    """(index, y slice, x slice) of the tiles of an (ny, nx) image, row-major."""
    k = 0
    for y0 in range(0, ny, ty):
        for x0 in range(0, nx, tx):
            yield k, slice(y0, min(ny, y0 + ty)), slice(x0, min(nx, x0 + tx))
            k += 1


def input_key(path, options: dict) -> str:
    """A key of the input file (resolved path, size, modification time) and the fit options."""
    from ..pipeline.cache import stage_key

    st = Path(path).stat()
    return stage_key("odmr streamed fit", str(Path(path).resolve()), st.st_size, st.st_mtime_ns, options)


def _add_counts(total: dict | None, part: dict) -> dict:
    """Sum two count dictionaries (nested dicts summed key by key)."""
    if total is None:
        return json.loads(json.dumps(part))
    for k, v in part.items():
        if isinstance(v, dict):
            total[k] = _add_counts(total.get(k), v)
        elif isinstance(v, int | np.integer) and not isinstance(v, bool):
            total[k] = int(total.get(k, 0)) + int(v)
    return total


def _template(first: xr.Dataset, y, x, ty: int, tx: int) -> xr.Dataset:
    """The whole result's layout: every (y, x) variable of the first tile's result at full size,
    lazily (never in memory), chunked as the tiles."""
    import dask.array as da

    coords = {"y": y, "x": x}
    out = xr.Dataset(coords=coords, attrs=first.attrs)
    for name, var in first.data_vars.items():
        if "y" not in var.dims or "x" not in var.dims:
            continue
        shape = tuple(coords[d].size if d in ("y", "x") else var.sizes[d] for d in var.dims)
        chunks = tuple(ty if d == "y" else tx if d == "x" else var.sizes[d] for d in var.dims)
        out[name] = (var.dims, da.zeros(shape, dtype=var.dtype, chunks=chunks), var.attrs)
    return out


def _region_write(result: xr.Dataset, store: Path, ys: slice, xs: slice) -> None:
    part = result.drop_vars([v for v in result.variables if not {"y", "x"} <= set(result[v].dims)])
    part = part.drop_vars(["y", "x"], errors="ignore")
    part.attrs = {}
    for v in part.variables:
        part[v].encoding = {}
    part.to_zarr(store, region={"y": ys, "x": xs}, mode="r+")


def fit_streamed(ds: xr.Dataset, out, *, tile: tuple[int, int], binning: int, key: str, prepare, fit, finish,
                 attrs: dict) -> Path:
    """Fit the lazily opened stack ``ds`` tile by tile into ``out`` (.zarr or .nc).

    ``tile``: (rows, columns) of fitted (binned) pixels; ``prepare(block)``: the eager
    preprocessing of a loaded block of raw pixels; ``fit(block)``: its fit result;
    ``finish(result)``: the field maps; ``attrs``: added to the result's. Returns the path."""
    import zarr

    from ..io import netcdf_safe

    out = Path(out)
    store = out.parent / f".{out.name}.{key}{PARTIAL}"
    done_path = store.with_suffix(".json")  # the tiles the store holds, with their reports
    with writing(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        for stale in out.parent.glob(f".{out.name}.*.partial.*"):
            if stale not in (store, done_path):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    ny, nx = ds.sizes["y"] // binning, ds.sizes["x"] // binning
    ty, tx = tile
    state = json.loads(done_path.read_text()) if done_path.exists() and store.exists() else None
    done = set(state["tiles"]) if state else set()
    report, masks = (state["fit_report"], state["mask_report"]) if state else (None, None)
    first_attrs = state["attrs"] if state else None
    for k, ys, xs in _tiles(ny, nx, ty, tx):
        if k in done:
            continue
        raw = ds.isel(y=slice(ys.start * binning, ys.stop * binning),
                      x=slice(xs.start * binning, xs.stop * binning)).compute(scheduler=READ_SCHEDULER)
        block = prepare(raw)
        result = finish(fit(block))
        with writing(store), _quiet_zarr():
            if first_attrs is None:
                y = _binned_coord(ds, "y", binning, ny)
                x = _binned_coord(ds, "x", binning, nx)
                shutil.rmtree(store, ignore_errors=True)
                _template(result, y, x, ty, tx).to_zarr(store, mode="w", compute=False)
                first_attrs = {a: v for a, v in result.attrs.items() if a not in ("fit_report", "mask_report")}
            _region_write(result, store, ys, xs)
            report = _add_counts(report, result.attrs.get("fit_report", {}))
            masks = _add_counts(masks, result.attrs.get("mask_report", {}))
            done.add(k)
            state = {"tiles": sorted(done), "fit_report": report, "mask_report": masks, "attrs": first_attrs}
            atomic_write_text(done_path, json.dumps(state, default=str))
    final = {**first_attrs, **attrs, "fit_report": report, "mask_report": masks,
             "out_of_core_tile": [ty, tx]}
    with writing(store), _quiet_zarr():
        group = zarr.open_group(str(store), mode="r+")
        group.attrs.update(netcdf_safe(cf_attributes(xr.Dataset(attrs=final))).attrs)
        zarr.consolidate_metadata(str(store))
        done_path.unlink()
    return _publish(store, out)


def _binned_coord(ds, dim: str, binning: int, n: int) -> xr.DataArray:
    """The coordinate of ``dim`` after :func:`~operando.odmr.preprocess.bin_pixels` (bin means)."""
    c = ds[dim].values[: n * binning].reshape(n, binning).mean(axis=1)
    return xr.DataArray(c, dims=dim, attrs=ds[dim].attrs)


def _publish(store: Path, out: Path) -> Path:
    """Put the finished store at ``out``: renamed for Zarr, copied chunk by chunk for NetCDF; the
    previous ``out`` stays until the new one is complete."""
    with writing(out):
        if out.suffix.lower() == ".zarr":
            old = out.with_name(f".{out.name}.old")
            if out.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(out, old)
            os.replace(store, out)
            shutil.rmtree(old, ignore_errors=True)
            return out
    tmp = out.with_name(f".{out.name}.{store.name}.tmp")
    with writing(out), _quiet_zarr(), xr.open_zarr(store) as lazy:
        # not save_dataset: it serialises in memory whatever fits the machine's free memory
        encoding = {name: {"_FillValue": None} for name in lazy.coords if lazy[name].dtype.kind == "f"}
        try:
            lazy.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)  # dask-backed: chunk by chunk
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
    shutil.rmtree(store, ignore_errors=True)
    return out


def sample_block(ds: xr.Dataset, binning: int, prepare) -> xr.Dataset:
    """The pixels :func:`~operando.odmr.select.sample_pixels` takes from the whole preprocessed
    image, read one row of bins at a time and preprocessed by ``prepare``: the data of the
    model choice, without reading the stack."""
    from .select import SAMPLE_SIDE

    def grid(n):
        return np.unique(np.linspace(0, n - 1, min(SAMPLE_SIDE, n)).round().astype(int))

    iy, ix = grid(ds.sizes["y"] // binning), grid(ds.sizes["x"] // binning)
    cols = (ix[:, None] * binning + np.arange(binning)).ravel()
    rows = [prepare(ds.isel(y=slice(j * binning, (j + 1) * binning), x=cols).compute(scheduler=READ_SCHEDULER))
            for j in iy]
    return xr.concat(rows, "y", data_vars="all", coords="minimal", compat="override")


def whole_image_model(ds: xr.Dataset, *, model, n_dips: int, hyperfine, axes, b_guess, side: str):
    """The model :func:`~operando.odmr.fit.fit_odmr` would fit the whole stack with — "auto"
    chosen on the sample pixels ``ds`` (:func:`sample_block`), an "nv" fit's field branch fixed from
    the mean spectrum of ``ds`` (the lazy, preprocessed stack) — and the choice's explanation (or None)."""
    from .fit import _fix_nv_branch, make_model
    from .nvmodel import NVModel
    from .select import choose_model
    from .sweeps import find_sweeps

    mdl = make_model(model if model != "auto" else "lorentzian", n_dips=n_dips, hyperfine=hyperfine, axes=axes,
                     b_guess=b_guess)
    if isinstance(mdl, NVModel):
        if mdl.b_guess is None:
            mdl = _fix_nv_branch(mdl, ds["frequency"].values.astype(np.float64), ds[SIGNAL])
        return mdl, None
    sweeps = find_sweeps(ds)
    if len(sweeps) > 1:
        picked = sweeps if side == "both" else [sweeps[0] if side == "low" else sweeps[-1]]
        parts, per = [ds.isel(frequency=idx) for _, idx in picked], max(1, n_dips // 2)
    else:
        parts, per = [ds], n_dips
    if model != "auto":
        return make_model(model, n_dips=per, hyperfine=hyperfine), None
    choice = choose_model(parts, n_dips=per, hyperfine=hyperfine)
    return choice.model, choice.explanation


def open_result(path) -> xr.Dataset:
    """The written result, opened lazily (maps are read when used), its reports as dictionaries."""
    path = Path(path)
    with _quiet_zarr():
        ds = xr.open_zarr(path) if path.suffix.lower() == ".zarr" else xr.open_dataset(
            path, engine="h5netcdf", chunks={})
    for name in ("fit_report", "mask_report"):
        if isinstance(ds.attrs.get(name), str):
            ds.attrs[name] = json.loads(ds.attrs[name])
    return ds


def sample_signal(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with a dask-backed signal (memory-mapped or in-memory stacks are wrapped, not read)."""
    if isinstance(ds[SIGNAL].data, np.ndarray):
        ds = ds.copy()
        ds[SIGNAL] = ds[SIGNAL].chunk({"y": 64, "x": -1, "frequency": -1})
    return ds
