"""What a run folder (or one result file) holds: datasets, their image variables, dims and units.

Nothing is hard-coded per stage: every ``.nc``/``.zarr`` in the folder is opened lazily and each
variable is described from the file (dims, sizes, coordinates, ``units``, ``long_name``). A variable
is an *image* when it has both ``y`` and ``x`` dims (else its last two dims); every other dim becomes
a slider. Pairs ``X_true``/``X_reconstructed`` become comparisons, a ``frequency`` dim makes a
spectral stack, a ``labels`` variable with ``phases`` in its attrs is drawn categorically.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import DataFileError

SUFFIXES = (".nc", ".zarr")
SPECTRAL_DIM = "frequency"
#: coordinates longer than this are sent as (first, step, n) instead of every value
INLINE_COORD = 4096


class ViewerInputError(DataFileError):
    """A path cannot be viewed: not a run folder or result file, or a dataset lacks the dims an image needs."""


def _decode(value):
    """Attrs written by :func:`operando.io.save_dataset` may hold JSON strings; numpy scalars become Python."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def image_dims(dims: tuple[str, ...]) -> tuple[str, str] | None:
    """The (row, column) dims of a variable drawn as an image, or None when it has fewer than two."""
    if "y" in dims and "x" in dims:
        return ("y", "x")
    rest = [d for d in dims if d != SPECTRAL_DIM]
    return (rest[-2], rest[-1]) if len(rest) >= 2 else None


def phase_names(attrs: dict) -> list[list] | None:
    """``[[label, name], ...]`` of a label image from its attrs: a ``{label: name}`` or ``{name: label}``
    mapping, or a list of names indexed by label."""
    for key in ("phases", "phase_names", "flag_meanings"):
        if key not in attrs:
            continue
        value = _decode(attrs[key])
        if isinstance(value, str):
            value = value.split()
        if isinstance(value, dict):
            pairs = [(k, v) if str(k).lstrip("-").isdigit() else (v, k) for k, v in value.items()]
            return sorted([int(k), str(v)] for k, v in pairs)
        return [[i, str(v)] for i, v in enumerate(value)]
    return None


def _coord(ds: xr.Dataset, dim: str) -> dict:
    n = int(ds.sizes[dim])
    if dim not in ds.coords:
        return {"n": n, "units": "", "values": None}
    c = ds.coords[dim]
    units = str(c.attrs.get("units", ""))
    if not np.issubdtype(c.dtype, np.number):
        return {"n": n, "units": units, "labels": [str(v) for v in c.values[:INLINE_COORD]], "values": None}
    values = np.asarray(c.values, dtype=float)
    if n > INLINE_COORD:
        return {"n": n, "units": units, "values": None, "first": float(values[0]),
                "step": float(values[1] - values[0]) if n > 1 else 0.0}
    return {"n": n, "units": units, "values": [None if not np.isfinite(v) else float(v) for v in values]}


@dataclass
class Source:
    """One dataset of a run, opened lazily; reads are serialised because HDF5 handles are not thread-safe."""

    name: str
    path: Path
    ds: xr.Dataset
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, var: str, index: dict) -> np.ndarray:
        with self.lock:
            return np.asarray(self.ds[var].isel(index).values)


def open_source(path: Path) -> Source:
    """Open ``path`` lazily (no array is read until a slice is asked for)."""
    try:
        if path.suffix == ".zarr":
            ds = xr.open_zarr(path)
        else:
            ds = xr.open_dataset(path, engine="h5netcdf")
    except Exception as exc:  # any reader failure is a file problem the page should name
        raise ViewerInputError(f"path: cannot read {str(path)!r} as a dataset ({exc})") from exc
    return Source(path.stem, path, ds)


def describe_variable(ds: xr.Dataset, name: str) -> dict:
    """JSON-ready description of one variable: dims, sizes, units and how to draw it."""
    da = ds[name]
    dims = tuple(str(d) for d in da.dims)
    img = image_dims(dims)
    kind = "image"
    if img is None:
        kind = "other"
    elif da.dtype == bool:
        kind = "mask"
    labels = phase_names(da.attrs) if img else None
    if labels is None and img and name == "labels":
        labels = phase_names(ds.attrs)
    if labels is not None:
        kind = "labels"
    return {
        "name": name,
        "dims": list(dims),
        "shape": [int(s) for s in da.shape],
        "image_dims": list(img) if img else None,
        "slider_dims": [d for d in dims if img and d not in img],
        "units": str(da.attrs.get("units", "")),
        "long_name": str(da.attrs.get("long_name", da.attrs.get("description", ""))),
        "kind": kind,
        "phases": labels,
        "spectral": SPECTRAL_DIM in dims and img is not None,
    }


def describe_dataset(src: Source) -> dict:
    """Variables (image-like first), dims with coordinates, truth/reconstruction pairs, problems."""
    ds = src.ds
    variables = [describe_variable(ds, str(v)) for v in ds.data_vars]
    images = [v for v in variables if v["image_dims"]]
    problems = []
    if not images:
        found = ", ".join(f"{v['name']}{tuple(v['dims'])}" for v in variables) or "no variables"
        problems.append(f"{src.path.name}: no variable has two image dims (y, x); found {found}")
    names = {v["name"] for v in images}
    pairs = sorted(n[: -len("_true")] for n in names if n.endswith("_true") and
                   n[: -len("_true")] + "_reconstructed" in names)
    dims = sorted({d for v in images for d in v["dims"]})
    return {
        "name": src.name,
        "file": src.path.name,
        "variables": images,
        "other_variables": [v["name"] for v in variables if not v["image_dims"]],
        "dims": {d: _coord(ds, d) for d in dims},
        "pairs": pairs,
        "attrs": {k: _decode(v) for k, v in ds.attrs.items()
                  if k in ("model", "model_shape", "hyperfine", "title", "stage", "units")},
        "problems": problems,
    }


def find_sources(path) -> list[Path]:
    """The dataset files of a run folder, or the one file given; raises ViewerInputError otherwise."""
    path = Path(path)
    if not path.exists():
        raise ViewerInputError(f"path: no such file or folder {str(path)!r}")
    if path.suffix in SUFFIXES:
        return [path]
    if not path.is_dir():
        raise ViewerInputError(f"path: {str(path)!r} is neither a run folder nor a .nc/.zarr result file")
    files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and not p.name.startswith("."))
    if not files:
        raise ViewerInputError(
            f"path: {str(path)!r} is not an operando run folder: it holds no .nc or .zarr datasets "
            "(expected e.g. cell_*.nc, charge_*.nc, fields.nc, reconstruction.nc, or an 'operando fit' result)")
    return files


class Catalog:
    """All viewable datasets of one run, by name; built once when the viewer starts."""

    def __init__(self, path):
        self.path = Path(path)
        self.sources: dict[str, Source] = {}
        self.problems: list[str] = []
        for file in find_sources(self.path):
            try:
                src = open_source(file)
            except ViewerInputError as exc:
                self.problems.append(str(exc))
                continue
            self.sources[src.name] = src
        self.descriptions = {name: describe_dataset(s) for name, s in self.sources.items()}
        for d in self.descriptions.values():
            self.problems.extend(d["problems"])
        if not any(d["variables"] for d in self.descriptions.values()):
            raise ViewerInputError(
                f"path: nothing in {str(self.path)!r} can be drawn as an image: " + "; ".join(self.problems))

    def source(self, name: str) -> Source:
        if name not in self.sources:
            raise ViewerInputError(f"dataset: unknown {name!r}; available: {', '.join(self.sources)}")
        return self.sources[name]

    def manifest(self) -> dict:
        """Everything the page needs to build its menus (no array data)."""
        run = self.path if self.path.is_dir() else self.path.parent
        return {
            "path": str(self.path),
            "title": self.path.name,
            "datasets": list(self.descriptions.values()),
            "problems": self.problems,
            "report": (run / "report.html").exists() and self.path.is_dir(),
        }

    def close(self) -> None:
        for s in self.sources.values():
            s.ds.close()
