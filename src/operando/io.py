"""Saving and loading datasets atomically, with provenance.

A result is first written next to its destination under a temporary name and then renamed, so a
killed run never leaves a half-written file where a good one is expected.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import xarray as xr

from ._version import __version__
from .errors import DataFileError, InputError

FORMATS = {".nc": "netcdf", ".zarr": "zarr"}


def provenance(config: dict | None = None, seed: int | None = None, **extra) -> dict:
    """Dataset attrs recording how a result was made (version, config as JSON, seed)."""
    out = {"operando_version": __version__}
    if config is not None:
        out["config"] = json.dumps(config, sort_keys=True, default=str)
    if seed is not None:
        out["seed"] = int(seed)
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _format_of(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError as exc:
        raise InputError(f"path: unsupported suffix {path.suffix!r} of {str(path)!r}; use .nc or .zarr") from exc


def _netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
    """NetCDF attrs may not hold bools, None or nested containers: store those as JSON strings."""
    def clean(attrs: dict) -> dict:
        out = {}
        for k, v in attrs.items():
            if isinstance(v, bool) or v is None or isinstance(v, dict) or (
                isinstance(v, list | tuple) and any(isinstance(e, list | tuple | dict | str) for e in v)
            ):
                out[k] = json.dumps(v, default=str)
            else:
                out[k] = v
        return out

    ds = ds.copy()
    ds.attrs = clean(ds.attrs)
    for name in ds.variables:
        ds[name].attrs = clean(ds[name].attrs)
    return ds


def _temporary_sibling(path: Path, *, directory: bool = False) -> Path:
    """A temporary file (or folder) beside ``path``, with the permissions a plain ``open`` would give:
    ``mkstemp`` makes it private (0600), and the rename would carry that over to the user's results."""
    make = tempfile.mkdtemp if directory else tempfile.mkstemp
    made = make(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    if not directory:
        os.close(made[0])
        made = made[1]
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(made, (0o777 if directory else 0o666) & ~umask)
    return Path(made)


def save_dataset(ds: xr.Dataset | xr.DataArray, path) -> Path:
    """Write ``ds`` to ``path`` (``.nc`` or ``.zarr``) atomically; returns the path."""
    path = Path(path)
    fmt = _format_of(path)
    if isinstance(ds, xr.DataArray):
        ds = ds.to_dataset(name=ds.name or "data")
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _netcdf_safe(ds)
    if fmt == "netcdf":
        tmp = _temporary_sibling(path)
        try:
            ds.to_netcdf(tmp, engine="h5netcdf")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    else:
        tmp = _temporary_sibling(path, directory=True)
        try:
            ds.to_zarr(tmp, mode="w")
            if path.exists():
                old = path.with_name(f".{path.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return path


def load_dataset(path) -> xr.Dataset:
    """Load a dataset written by :func:`save_dataset` fully into memory.

    Raises DataFileError naming the file when it is missing or unreadable.
    """
    path = Path(path)
    fmt = _format_of(path)
    if not path.exists():
        raise DataFileError(f"path: no such file {str(path)!r}")
    try:
        if fmt == "netcdf":
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                return ds.load()
        with xr.open_zarr(path) as ds:
            return ds.load()
    except (OSError, ValueError, KeyError) as exc:
        raise DataFileError(f"path: cannot read {str(path)!r} as {fmt}: {exc}") from exc


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write bytes atomically (temp file in the same folder + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_sibling(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
