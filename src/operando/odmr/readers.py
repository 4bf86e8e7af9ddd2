"""Readers for measured ODMR stacks behind one :func:`load_odmr`.

A reader is one small function ``reader(path, **options) -> (signal, frequency, units, attrs)``
registered for its file suffixes with :func:`register_reader`. ``signal`` is (ny, nx, n_f),
(n_pix, n_f) or (n_f,); ``frequency`` is in Hz. :func:`load_odmr` wraps every failure of the
underlying library in a :class:`DataFileError` naming the file, and validates the result.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import DataFileError, InputError, OperandoError
from .dataset import FREQUENCY_UNITS, SIGNAL, frequency_unit_factor, make_odmr_dataset

Reader = Callable[..., tuple]
_READERS: dict[str, Reader] = {}


def register_reader(suffixes: str | Iterable[str], func: Reader | None = None):
    """Register ``func`` for file suffixes (e.g. ``".npz"``); usable as a decorator."""
    names = [suffixes] if isinstance(suffixes, str) else list(suffixes)

    def add(f: Reader) -> Reader:
        for s in names:
            _READERS[s.lower() if s.startswith(".") else "." + s.lower()] = f
        return f

    return add(func) if func is not None else add


def registered_suffixes() -> list[str]:
    return sorted(_READERS)


def load_odmr(
    path,
    *,
    frequency=None,
    frequency_unit: str | None = None,
    chunks=None,
    pixel_size: float | None = None,
    **options,
) -> xr.Dataset:
    """Read an ODMR stack into a Dataset with dims (y, x, frequency) and variable ``signal``.

    ``frequency`` overrides or supplies the axis for formats that do not store one (.npy, TIFF);
    it may also be a path to a text file with one value per line. ``frequency_unit`` ("Hz",
    "kHz", "MHz", "GHz") is the unit of the axis; by default the unit the file stores (the
    ``units`` attribute of a NetCDF/Zarr/HDF5 frequency variable), else Hz. Either way the axis
    must lie where NV resonances can (:func:`operando.odmr.dataset.check_nv_frequency_range`).
    Stacks with separate sweeps (QDMlab's low/high stacks; NetCDF/Zarr ``signal`` over
    (side, frequency, y, x) with a frequency variable over (side, frequency)) get a ``sweep``
    coordinate along frequency. ``chunks`` returns a dask-backed dataset: read lazily from
    NetCDF/Zarr (out-of-core fitting), other formats are read whole and then chunked.
    ``pixel_size`` (m) puts y, x in metres; without it, NetCDF/Zarr y and x coordinates that
    carry a length unit give the pixel size.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(f"path: no such file {str(path)!r}")
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise InputError(
            f"path: no ODMR reader for suffix {suffix!r}; registered: {registered_suffixes()}"
        )
    if frequency_unit is not None:
        frequency_unit = frequency_unit_factor(frequency_unit, "frequency_unit")[0]
    if isinstance(frequency, str | Path):
        frequency = _read_text_column(Path(frequency))
    lazy_reader = reader in (_read_xarray, read_hdf5)
    if chunks is not None and lazy_reader:
        options["chunks"] = chunks
    try:
        signal, freq, units, attrs = reader(path, frequency=frequency, **options)
    except OperandoError:
        raise
    except Exception as exc:  # each library raises its own types for damaged files
        raise DataFileError(
            f"{path}: cannot read as {suffix} ODMR data ({type(exc).__name__}: {exc})"
        ) from exc
    stored_unit = attrs.pop("frequency_units", None)
    if frequency is not None:
        freq, stored_unit = frequency, None
    if freq is None:
        raise InputError(
            f"frequency: {path.name} stores no frequency axis; pass frequency=[...] (Hz)"
        )
    unit = frequency_unit or (
        frequency_unit_factor(stored_unit, f"{path}: frequency units")[0] if stored_unit else "Hz")
    freq = np.asarray(freq, dtype=np.float64) * FREQUENCY_UNITS[unit]
    stored_size = attrs.pop("pixel_size_m", None)
    stored_coords = attrs.pop("pixel_coords", None)
    stored_coords = stored_coords if pixel_size is None else None
    if pixel_size is None and stored_size is not None:
        pixel_size = tuple(stored_size)
    sweeps = attrs.pop("sweep_sizes", None)
    names = attrs.pop("sweep_names", None)
    attrs = {"source_file": str(path), "frequency_unit_read": unit, **attrs}
    ds = make_odmr_dataset(
        signal, freq, units=units, attrs=attrs, source=str(path), pixel_size=pixel_size
    )
    if stored_coords is not None:  # the file's coordinates, not a grid from 0 (a given pixel_size wins)
        ds = ds.assign_coords({d: (d, v, {"units": u}) for d, (v, u) in stored_coords.items()})
    if sweeps is not None and len(sweeps) > 1:
        labels = np.repeat(np.asarray(names, dtype=str), sweeps)
        ds = ds.assign_coords(sweep=("frequency", labels))
    if chunks is not None and not lazy_reader:
        ds = ds.chunk(chunks or {"y": "auto", "x": "auto"})
    return ds


def _read_text_column(path: Path) -> np.ndarray:
    try:
        return np.loadtxt(path, ndmin=1, dtype=np.float64).ravel()
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot read a frequency list ({exc})") from exc


def _missing(path: Path, found: Iterable[str], wanted: Iterable[str]) -> DataFileError:
    return DataFileError(
        f"{path}: missing variable(s) {sorted(set(wanted))}; found {sorted(found)}"
    )


def _pick(keys, candidates: Iterable[str]):
    for name in candidates:
        if name in keys:
            return name
    return None


SIGNAL_KEYS = ("signal", "data", "stack", "odmr")
FREQUENCY_KEYS = ("frequency", "frequencies", "freq", "freqList")


@register_reader(".npy")
def read_npy(path: Path, frequency=None, mmap: bool = True):
    """A bare array (ny, nx, n_f); the frequency axis must be given."""
    arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    return arr, frequency, "counts", {"format": "npy"}


@register_reader(".npz")
def read_npz(path: Path, frequency=None, signal_key: str | None = None, units: str = "counts"):
    """``signal`` (or ``data``) and ``frequency`` arrays in one .npz archive."""
    with np.load(path, allow_pickle=False) as z:
        keys = list(z.keys())
        skey = signal_key or _pick(keys, SIGNAL_KEYS)
        fkey = _pick(keys, FREQUENCY_KEYS)
        if skey is None or skey not in keys or (fkey is None and frequency is None):
            raise _missing(
                path,
                keys,
                [signal_key or "signal"] + ([] if frequency is not None else ["frequency"]),
            )
        sig = z[skey]
        freq = z[fkey] if fkey is not None else None
    return sig, freq, units, {"format": "npz"}


def _h5_attrs(obj) -> dict:
    out = {}
    for k, v in obj.attrs.items():
        v = v.decode() if isinstance(v, bytes) else v
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if isinstance(v, str | int | float | list):
            out[str(k)] = v
    return out


@register_reader((".h5", ".hdf5", ".hdf"))
def read_hdf5(path: Path, frequency=None, signal_key: str | None = None, chunks=None):
    """Datasets ``signal`` (ny, nx, n_f) and ``frequency`` (Hz); file attrs become metadata.
    ``chunks``: the signal stays on disk, read through dask in blocks of rows (the file stays open
    while the dataset is used)."""
    import h5py

    h5 = h5py.File(path, "r")
    with contextlib.ExitStack() as closing:
        closing.callback(h5.close)
        keys = list(h5.keys())
        skey = signal_key or _pick(keys, SIGNAL_KEYS)
        fkey = _pick(keys, FREQUENCY_KEYS)
        if skey is None or skey not in keys or (fkey is None and frequency is None):
            raise _missing(path, keys, [signal_key or "signal", "frequency"])
        if chunks is not None and h5[skey].ndim == 3:
            import dask.array as da

            rows = max(1, (1 << 26) // max(h5[skey][:1].nbytes, 1))
            sig = da.from_array(h5[skey], chunks=(rows, -1, -1))
            closing.pop_all()  # dask reads from the open file
        else:
            sig = h5[skey][...]
        units = h5[skey].attrs.get("units", "counts")
        freq = h5[fkey][...] if fkey is not None else None
        attrs = {"format": "hdf5", **_h5_attrs(h5)}
        if fkey is not None and "units" in h5[fkey].attrs:
            attrs["frequency_units"] = _h5_attrs(h5[fkey])["units"]
    units = units.decode() if isinstance(units, bytes) else str(units)
    return sig, freq, units, attrs


def _metres_per_unit(ds, dim: str) -> float | None:
    """Metres per unit of coordinate ``dim`` when it carries a length unit, else None."""
    from ..units import to_si

    if dim not in ds.coords or "units" not in ds[dim].attrs:
        return None
    try:
        return float(to_si(f"1 {ds[dim].attrs['units']}", "m"))
    except OperandoError:
        return None  # pixels or another unit: not a length


def _spacing_m(ds, dim: str) -> float | None:
    """The even step (m) of coordinate ``dim`` when it carries a length unit, else None."""
    factor = _metres_per_unit(ds, dim)
    if factor is None or ds.sizes.get(dim, 0) < 2:
        return None
    step = np.diff(np.asarray(ds[dim].values, dtype=np.float64))
    if not (np.all(step > 0) and np.allclose(step, step[0], rtol=1e-6)):
        return None
    return float(step[0] * factor)


def _read_xarray(path: Path, frequency=None, chunks=None, engine=None):
    """NetCDF / Zarr with a variable ``signal`` over (y, x, frequency), in any order, or over
    (side, frequency, y, x) with ``frequency`` over (side, frequency); lazy when ``chunks``."""
    if path.suffix.lower() == ".zarr":
        ds = xr.open_zarr(path, chunks=chunks)
    else:
        ds = xr.open_dataset(path, engine=engine or "h5netcdf", chunks=chunks)
    try:
        if SIGNAL not in ds:
            raise _missing(path, list(ds.data_vars), [SIGNAL])
        da = ds[SIGNAL]
        if "frequency" not in da.dims:
            raise DataFileError(
                f"{path}: variable 'signal' has dims {da.dims}; expected (frequency, y, x) or "
                "(side, frequency, y, x), in any order"
            )
        image = {"y", "x"} <= set(da.dims)
        extra = [d for d in da.dims if d not in ("y", "x", "frequency")] if image else []
        freq = ds["frequency"] if "frequency" in ds.variables else None
        attrs = {k: v for k, v in ds.attrs.items() if k != "mask_report"}
        if freq is not None and "units" in freq.attrs:
            attrs["frequency_units"] = str(freq.attrs["units"])
        spacing = [_spacing_m(ds, d) for d in ("y", "x")]
        if None not in spacing:
            attrs["pixel_size_m"] = spacing
        if image and {"y", "x"} <= set(ds.coords):  # the file's pixel positions, kept as they are
            factors = {d: _metres_per_unit(ds, d) for d in ("y", "x")}
            attrs["pixel_coords"] = {
                d: (np.asarray(ds[d].values) * f, "m") if f is not None
                else (np.asarray(ds[d].values), ds[d].attrs.get("units", "pixel")) for d, f in factors.items()}
        if extra:  # separate sweeps: flatten (side, frequency) into one increasing axis
            if len(extra) != 1 or freq is None or extra[0] not in freq.dims:
                raise DataFileError(
                    f"{path}: signal dims {da.dims}: a stack of sweeps needs one extra dim "
                    f"(e.g. 'side') and a frequency variable over ({extra[0] if extra else 'side'}, "
                    "frequency)"
                )
            side = extra[0]
            fv = freq.transpose(side, "frequency").values
            order = np.argsort(fv[:, 0])  # low sweep first
            da = da.isel({side: order}).transpose("y", "x", side, "frequency")
            names = (ds[side].values[order].astype(str) if side in ds.coords
                     else np.array(["low", "high"] if len(order) == 2 else order.astype(str)))
            attrs.update(sweep_sizes=[fv.shape[1]] * fv.shape[0], sweep_names=names.tolist())
            data = da.data.reshape(*da.shape[:2], -1)
            sig = data if chunks is not None else np.asarray(data)
            freq = fv[order].ravel()
        else:
            da = da.transpose(*[d for d in ("y", "x") if d in da.dims], ..., "frequency")
            sig = da.data if chunks is not None else da.values
            freq = None if freq is None else freq.values
        units = da.attrs.get("units", "counts")
    finally:
        if chunks is None:
            ds.close()
    return sig, freq, units, {"format": path.suffix.lower()[1:], **attrs}


register_reader((".nc", ".netcdf", ".zarr"), _read_xarray)


@register_reader((".tif", ".tiff"))
def read_tiff(path: Path, frequency=None):
    """Multi-page TIFF, one page per frequency (n_f, ny, nx). The axis comes from ``frequency`` or a
    JSON image description with key ``"frequency"`` (as written by tifffile's ``metadata=``)."""
    import tifffile

    size = path.stat().st_size
    with tifffile.TiffFile(path) as tif:
        ends = [
            max(o + c for o, c in zip(pg.dataoffsets, pg.databytecounts, strict=True))
            for pg in tif.pages
            if pg.dataoffsets
        ]
        if any(e > size for e in ends):  # tifffile would fill the missing bytes with zeros
            raise DataFileError(
                f"{path}: truncated TIFF ({size} bytes, page data reach {max(ends)})"
            )
        pages = tif.asarray()
        freq = None
        meta = tif.shaped_metadata[0] if tif.shaped_metadata else None
        if meta is None and tif.pages[0].description.startswith("{"):
            meta = json.loads(tif.pages[0].description)
        if meta and "frequency" in meta:
            freq = np.asarray(meta["frequency"], dtype=np.float64)
    if pages.ndim == 2:
        pages = pages[None]
    return np.moveaxis(pages, 0, -1), freq, "counts", {"format": "tiff"}


@register_reader((".txt", ".csv", ".dat", ".tsv"))
def read_text(path: Path, frequency=None, delimiter: str | None = None):
    """A plain sweep: first column frequency (Hz), next column(s) signal (one spectrum each)."""
    if delimiter is None and path.suffix.lower() == ".csv":
        delimiter = ","
    table = np.loadtxt(path, delimiter=delimiter, ndmin=2, comments="#")
    if table.shape[1] < 2:
        raise DataFileError(
            f"{path}: expected columns 'frequency, signal[, signal ...]'; got {table.shape[1]}"
        )
    return table[:, 1:].T, table[:, 0], "counts", {"format": "text"}


from . import matlab as _matlab  # noqa: E402  (registers .mat after the registry exists)

register_reader(".mat", _matlab.read_mat)
