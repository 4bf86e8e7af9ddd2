"""Reading what the page asks for: one 2-D frame, one pixel's spectrum (and fit), phase outlines.

Only the requested frame is read from disk (xarray indexing of a lazily opened file), so a
512 × 512 × 64 × 50 variable costs one 1 MiB read per slider move, whatever its total size.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .catalog import SPECTRAL_DIM, Catalog, Source, image_dims

#: points on which a fitted line model is drawn
FIT_SAMPLES = 400


def _index(src: Source, var: str, sel: dict, free: tuple[str, ...]) -> dict:
    """Integer index of every dim of ``var`` except ``free``; missing dims default to 0."""
    if var not in src.ds.data_vars:
        held = ", ".join(map(str, src.ds.data_vars))
        raise InputError(f"variable: {var!r} is not in {src.path.name}; it holds {held}")
    da = src.ds[var]
    index = {}
    for dim in da.dims:
        if dim in free:
            continue
        n = int(da.sizes[dim])
        try:
            i = int(sel.get(dim, 0))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{dim}: index must be an integer, got {sel.get(dim)!r}") from exc
        if not 0 <= i < n:
            raise InputError(f"{dim}: index {i} of {var!r} is outside [0, {n - 1}]")
        index[dim] = i
    return index


def frame(src: Source, var: str, sel: dict) -> np.ndarray:
    """The (rows, columns) float32 image of ``var`` at the slider indices ``sel`` (NaN stays NaN)."""
    dims = image_dims(tuple(map(str, src.ds[var].dims))) if var in src.ds.data_vars else None
    if dims is None:
        _index(src, var, sel, ())  # names the variable if it does not exist
        raise InputError(f"variable: {var!r} of {src.path.name} has dims {tuple(src.ds[var].dims)}; "
                         "an image needs two (y, x)")
    values = src.read(var, _index(src, var, sel, dims))
    order = [d for d in src.ds[var].isel(_index(src, var, sel, dims)).dims]
    values = np.transpose(values, [order.index(d) for d in dims])
    return np.ascontiguousarray(values, dtype=np.float32)


def _pixel(src: Source, row: int, col: int, dims: tuple[str, str]) -> dict:
    index = {}
    for dim, i in zip(dims, (row, col), strict=True):
        n = int(src.ds.sizes[dim])
        if not 0 <= int(i) < n:
            raise InputError(f"{dim}: pixel index {i} is outside [0, {n - 1}]")
        index[dim] = int(i)
    return index


def pixel_values(src: Source, row: int, col: int, sel: dict) -> list[dict]:
    """Every image variable of ``src`` at one pixel (at the slider indices ``sel``): the numbers panel."""
    out = []
    for name in src.ds.data_vars:
        da = src.ds[name]
        dims = image_dims(tuple(map(str, da.dims)))
        if dims is None or SPECTRAL_DIM in da.dims:
            continue
        index = {**_index(src, str(name), sel, dims), **_pixel(src, row, col, dims)}
        value = src.read(str(name), index)
        if value.size == 1:
            out.append({"name": str(name), "value": float(value), "units": str(da.attrs.get("units", ""))})
    return out


def _same_pixels(a: Source, b: Source) -> bool:
    for dim in ("y", "x"):
        if dim not in a.ds.dims or dim not in b.ds.dims or a.ds.sizes[dim] != b.ds.sizes[dim]:
            return False
        if dim in a.ds.coords and dim in b.ds.coords and not np.allclose(a.ds[dim].values, b.ds[dim].values):
            return False
    return True


def _fit_curve(fit: Source, f: np.ndarray, row: int, col: int) -> dict | None:
    """The fitted line model of ``fit`` evaluated on ``f`` at one pixel, with its parameters."""
    from ..odmr.models import DipModel

    ds = fit.ds
    if str(ds.attrs.get("model", "")) != "DipModel" or "f0_0" not in ds:
        return None
    n = sum(1 for v in ds.data_vars if str(v).startswith("f0_") and not str(v).endswith("_err"))
    hyperfine = ds.attrs.get("hyperfine")
    hyperfine = None if hyperfine in (None, "None", "") else str(hyperfine)
    model = DipModel(n, str(ds.attrs.get("model_shape", "lorentzian")), "width" in ds, hyperfine)
    at = {"y": row, "x": col}
    params = np.array([[float(fit.read(p, at)) for p in model.names]])
    numbers = [{"name": p, "value": float(params[0, k]), "units": str(ds[p].attrs.get("units", "")),
                "error": float(fit.read(f"{p}_err", at)) if f"{p}_err" in ds else None}
               for k, p in enumerate(model.names)]
    for extra in ("reduced_chi2", "converged"):
        if extra in ds:
            numbers.append({"name": extra, "value": float(fit.read(extra, at)), "units": "", "error": None})
    fine = np.linspace(f.min(), f.max(), FIT_SAMPLES)  # the curve between the measured points too
    return {"source": fit.name, "frequency": fine.tolist(), "values": model.simulate(fine, params)[0].tolist(),
            "at_data": model.simulate(f, params)[0].tolist(), "numbers": numbers}


def spectrum(catalog: Catalog, name: str, var: str, row: int, col: int, sel: dict) -> dict:
    """One pixel's values along ``frequency`` (Hz), with the fit when a fit of the same pixels is present."""
    src = catalog.source(name)
    if var not in src.ds.data_vars or SPECTRAL_DIM not in src.ds[var].dims:
        raise InputError(f"variable: {var!r} of {src.path.name} has no {SPECTRAL_DIM!r} dim; no spectrum to show")
    dims = image_dims(tuple(map(str, src.ds[var].dims)))
    index = {**_index(src, var, sel, (*dims, SPECTRAL_DIM)), **_pixel(src, row, col, dims)}
    values = src.read(var, index).astype(float)
    f = np.asarray(src.ds[SPECTRAL_DIM].values if SPECTRAL_DIM in src.ds.coords
                   else np.arange(values.size), dtype=float)
    out = {"dataset": name, "variable": var, "row": row, "col": col, "frequency": f.tolist(),
           "values": [None if not np.isfinite(v) else float(v) for v in values],
           "units": str(src.ds[var].attrs.get("units", "")), "fits": []}
    for other in catalog.sources.values():
        for stored in other.ds.data_vars:  # fitted-model values stored beside the data
            if other is src and stored == var:
                continue
            if SPECTRAL_DIM in other.ds[stored].dims and ("fit" in str(stored) or "model" in str(stored)) \
                    and _same_pixels(other, src) and other.ds.sizes[SPECTRAL_DIM] == f.size:
                at = {**_index(other, str(stored), sel, (*dims, SPECTRAL_DIM)), **_pixel(other, row, col, dims)}
                stored_values = other.read(str(stored), at).astype(float).tolist()
                out["fits"].append({"source": f"{other.name}/{stored}", "frequency": f.tolist(),
                                    "values": stored_values, "at_data": stored_values, "numbers": []})
        if other is not src and _same_pixels(other, src):
            curve = _fit_curve(other, f, row, col)
            if curve is not None:
                out["fits"].append(curve)
    return out


def outline(catalog: Catalog, name: str, var: str, labels_name: str, z: int) -> np.ndarray:
    """int16 phase labels of ``labels_name``/labels at depth index ``z``, resampled (nearest) onto the
    (y, x) grid of ``var`` in ``name`` (-1 outside the cell); the page draws their boundaries as lines."""
    target, cell = catalog.source(name), catalog.source(labels_name)
    if "labels" not in cell.ds:
        raise InputError(f"labels: dataset {labels_name!r} has no 'labels' variable")
    lab = frame(cell, "labels", {"z": z})
    rows, cols = image_dims(tuple(map(str, target.ds[var].dims)))
    picks = []
    for dim, n in ((rows, lab.shape[0]), (cols, lab.shape[1])):
        if dim in target.ds.coords and dim in cell.ds.coords:
            src_c, dst_c = np.asarray(cell.ds[dim].values, float), np.asarray(target.ds[dim].values, float)
            idx = np.clip(np.searchsorted(src_c, dst_c), 1, max(n - 1, 1))
            nearer_left = np.abs(dst_c - src_c[idx - 1]) <= np.abs(src_c[np.minimum(idx, n - 1)] - dst_c)
            pick = np.where(nearer_left, idx - 1, idx)
            # outside the cell: no outline there
            inside = (dst_c >= src_c[0] - 0.5 * np.ptp(src_c) / max(n - 1, 1)) & \
                     (dst_c <= src_c[-1] + 0.5 * np.ptp(src_c) / max(n - 1, 1))
            picks.append((np.clip(pick, 0, n - 1), inside))
        elif target.ds.sizes[dim] == n:
            picks.append((np.arange(n), np.ones(n, bool)))
        else:
            raise InputError(f"{dim}: the cell grid ({n}) and {name}/{var} ({target.ds.sizes[dim]}) differ "
                             "and carry no coordinates to match them")
    (ri, rin), (ci, cin) = picks
    resampled = lab[np.ix_(ri, ci)].astype(np.int16)
    resampled[~(rin[:, None] & cin[None, :])] = -1  # outside the cell: no phase, no boundary
    return resampled
