"""Saving and loading datasets atomically, with provenance and a checksum of their data.

A result is first written next to its destination under a temporary name (``.<name>.<random>.tmp``)
and then renamed, so a killed run never leaves a half-written file where a good one is expected, and
a failed write (full disk, read-only place) leaves the previous result intact;
:func:`remove_temporaries` clears what a killed writer left behind.

NetCDF files are serialised by HDF5 in memory and written to disk by Python: when HDF5 itself writes
to a disk that fills up, closing the file fails, and the file object's finaliser closes it again at
garbage collection and crashes the interpreter (segmentation fault in h5py 3.16 / HDF5 2.0 via
h5netcdf). Written by Python, a full disk is a plain ``OSError``. Only a dataset too large to
serialise in memory is written by HDF5 directly, after checking the free disk space.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

from ._memory import available_memory, format_bytes
from ._version import __version__
from .errors import DataFileError, InputError, OperandoError, OutputError

FORMATS = {".nc": "netcdf", ".zarr": "zarr"}
#: attribute holding the SHA-256 of a dataset's data (see :func:`data_checksum`)
CHECKSUM_ATTR = "data_sha256"
#: fraction of the available memory a NetCDF file may take while serialised in memory
IN_MEMORY_FRACTION = 0.25


def provenance(config: dict | None = None, seed: int | None = None, **extra) -> dict:
    """Dataset attrs recording how a result was made (version, config as JSON, seed)."""
    out = {"operando_version": __version__}
    if config is not None:
        out["config"] = json.dumps(config, sort_keys=True, default=str)
    if seed is not None:
        out["seed"] = int(seed)
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


#: Conventions of every dataset operando writes
CONVENTIONS = "CF-1.10"
#: attributes of the axes (z points out of the sample, its top surface at z = 0)
_AXES = {"x": {"axis": "X"}, "y": {"axis": "Y"}, "z": {"axis": "Z", "positive": "up"}}
#: CF standard names (CF Standard Name Table) of the variables that have one, by variable name, with the
#: units the variable must carry for the name to apply: the elapsed time of a charge or scan, and the
#: microwave frequency swept by ODMR (NMR axes are chemical shifts in ppm and keep no standard name).
#: Positions in the cell, fields, currents and Li content have no CF standard name.
STANDARD_NAMES = {"t": ("time", "s"), "time": ("time", "s"), "frequency": ("radiation_frequency", "Hz")}


def cf_attributes(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with the CF global attributes (Conventions, title, source, history, references,
    date_created), axis attributes on x, y, z (``positive = "up"`` on z: out of the sample) and the
    ``standard_name`` of the variables that have one (:data:`STANDARD_NAMES`); what is already set is
    kept, and the history gains a line."""
    import datetime

    from .papers import POLLOK2025

    ds = ds.copy()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    a = ds.attrs
    a.setdefault("Conventions", CONVENTIONS)
    a.setdefault("title", f"operando {a.get('stage', 'dataset')}")
    a.setdefault("source", f"operando {__version__}")
    a.setdefault("references", POLLOK2025.citation)
    a.setdefault("date_created", now)
    line = f"{now}: written by operando {__version__}"
    a["history"] = f"{a['history']}\n{line}" if a.get("history") else line
    for name, extra in _AXES.items():
        if name in ds.coords:
            ds[name].attrs = {**ds[name].attrs, **extra}
    for name, (standard_name, units) in STANDARD_NAMES.items():
        if name in ds.variables and ds[name].attrs.get("units") == units:
            ds[name].attrs.setdefault("standard_name", standard_name)
    return ds


def read_toml(path, what: str = "file") -> dict:
    """The table of the TOML file ``path``; a missing file, bad UTF-8 or bad TOML is a DataFileError
    naming the file (``what`` says what kind of file was expected, e.g. "calibration file")."""
    import tomllib

    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"path: no such {what} {str(p)!r}")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataFileError(f"path: {str(p)!r} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(f"path: {str(p)!r} is not valid TOML: {exc}") from exc


def _format_of(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError as exc:
        raise InputError(f"path: unsupported suffix {path.suffix!r} of {str(path)!r}; use .nc or .zarr") from exc


def netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
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


def data_checksum(ds: xr.Dataset) -> str:
    """SHA-256 over every variable's name, dims, shape and values (text as text, numbers as their
    bytes), the same before writing and after reading back in either format."""
    h = hashlib.sha256()
    for name in sorted(map(str, ds.variables)):
        var = ds[name].variable
        values = np.asarray(var.values)
        h.update(json.dumps([name, list(map(str, var.dims)), list(values.shape)]).encode())
        if values.dtype.kind in "OUS":
            text = [v.decode() if isinstance(v, bytes) else str(v) for v in values.ravel().tolist()]
            h.update(json.dumps(text).encode())
        else:
            h.update(values.dtype.kind.encode() + str(values.dtype.itemsize).encode())
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


@contextlib.contextmanager
def writing(path, what: str = "path"):
    """Turn a failed write into :class:`OutputError` naming ``path`` and what to do about it."""
    try:
        yield
    except OperandoError:
        raise
    except OSError as exc:
        raise write_error(path, exc, what) from exc


def write_error(path, exc: OSError, what: str = "path") -> OutputError:
    """:class:`OutputError` saying why ``path`` could not be written (full disk, read-only, ...)."""
    reason = {
        errno.ENOSPC: "the disk is full; free some space or choose another location (earlier results there are "
                      "left intact)",
        errno.EDQUOT: "the disk quota is exceeded; free some space or choose another location",
        errno.EROFS: "the location is read-only; choose a writable location",
        errno.EACCES: "permission denied; choose a location you can write to",
        errno.EPERM: "permission denied; choose a location you can write to",
        errno.ENOTDIR: "a part of the path is a file, not a folder; choose another location",
        errno.EEXIST: "a part of the path is a file, not a folder; choose another location",
        errno.EISDIR: "a folder of that name exists; choose another name",
    }.get(exc.errno, f"{exc.strerror or exc}")
    return OutputError(f"{what}: cannot write {str(path)!r}: {reason}")


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


def remove_temporaries(folder) -> list[Path]:
    """Delete what interrupted writes left in ``folder`` (``.<name>.<random>.tmp`` files and folders,
    ``.<name>.old`` Zarr stores); returns what was removed. Call it only where no other writer is
    working (e.g. under :class:`operando.pipeline.lock.FolderLock`)."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for p in [*folder.glob(".*.tmp"), *folder.glob(".*.zarr.old")]:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def _prepare_parent(path: Path) -> None:
    with writing(path.parent, "path"):
        if path.parent.exists() and not path.parent.is_dir():
            raise OutputError(f"path: cannot write {str(path)!r}: {str(path.parent)!r} is a file, not a folder")
        path.parent.mkdir(parents=True, exist_ok=True)


def save_dataset(ds: xr.Dataset | xr.DataArray, path, *, checksum: bool = False) -> Path:
    """Write ``ds`` to ``path`` (``.nc`` or ``.zarr``) atomically; returns the path.

    ``checksum=True`` stores :func:`data_checksum` in the attrs, for ``load_dataset(verify=True)``.
    A failed write raises :class:`~operando.errors.OutputError` and leaves an earlier file intact."""
    path = Path(path)
    fmt = _format_of(path)
    if isinstance(ds, xr.DataArray):
        ds = ds.to_dataset(name=ds.name or "data")
    _prepare_parent(path)
    ds = netcdf_safe(cf_attributes(ds))
    if checksum:
        ds.attrs[CHECKSUM_ATTR] = data_checksum(ds)
    with writing(path):
        if fmt == "netcdf":
            _save_netcdf(ds, path)
        else:
            _save_zarr(ds, path)
    return path


def _save_netcdf(ds: xr.Dataset, path: Path) -> None:
    free = available_memory()
    # CF: coordinates carry no fill value
    encoding = {name: {"_FillValue": None} for name in ds.coords if ds[name].dtype.kind == "f"}
    if free is None or ds.nbytes <= IN_MEMORY_FRACTION * free:
        atomic_write_bytes(path, ds.to_netcdf(engine="h5netcdf", encoding=encoding))
        return
    # too large to serialise in memory: HDF5 writes, so make sure it will not run out of disk
    disk = shutil.disk_usage(path.parent).free
    if ds.nbytes * 1.05 + 2**20 > disk:
        raise OSError(errno.ENOSPC, f"needs {format_bytes(ds.nbytes)}, {format_bytes(disk)} free")
    tmp = _temporary_sibling(path)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_zarr(ds: xr.Dataset, path: Path) -> None:
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


def load_dataset(path, *, verify: bool = False) -> xr.Dataset:
    """Load a dataset written by :func:`save_dataset` fully into memory.

    ``verify=True``: the data must match the checksum stored when it was written.
    Raises DataFileError naming the file when it is missing, unreadable, or (verify) modified.
    """
    path = Path(path)
    fmt = _format_of(path)
    if not path.exists():
        raise DataFileError(f"path: no such file {str(path)!r}")
    try:
        if fmt == "netcdf":
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                ds = ds.load()
        else:
            with xr.open_zarr(path) as ds:
                ds = ds.load()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise DataFileError(f"path: cannot read {str(path)!r} as {fmt}: {exc}") from exc
    if verify:
        verify_checksum(ds, path)
    return ds


def verify_checksum(ds: xr.Dataset, path) -> None:
    """Raise DataFileError unless the data of ``ds`` (read from ``path``) match their stored checksum."""
    stored = ds.attrs.get(CHECKSUM_ATTR)
    if stored is None:
        raise DataFileError(f"path: {str(path)!r} carries no checksum of its data ({CHECKSUM_ATTR})")
    if data_checksum(ds) != stored:
        raise DataFileError(f"path: the data of {str(path)!r} do not match the checksum written with them "
                            "(modified or damaged after writing)")


def atomic_write_bytes(path, data) -> Path:
    """Write bytes atomically (temp file in the same folder, flushed to disk, then renamed).

    A failed write raises :class:`~operando.errors.OutputError` and leaves an earlier file intact."""
    path = Path(path)
    _prepare_parent(path)
    with writing(path):
        tmp = _temporary_sibling(path)
        try:
            _write_durably(tmp, data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def _write_durably(path: Path, data) -> None:
    """Write and flush to the disk (a rename after an unflushed write can leave an empty file after
    a power cut)."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def atomic_copy(source, path) -> Path:
    """Put the file ``source`` at ``path`` atomically: a hard link where the file system allows
    (no second copy on disk; the writers here only ever replace files, never edit them in place),
    else a copy. A failed write raises :class:`~operando.errors.OutputError`."""
    source, path = Path(source), Path(path)
    _prepare_parent(path)
    with writing(path):
        tmp = _temporary_sibling(path)
        try:
            tmp.unlink()
            try:
                os.link(source, tmp)
            except OSError:
                shutil.copy2(source, tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
