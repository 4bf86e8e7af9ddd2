"""The in-memory form of an ODMR stack: an ``xarray.Dataset`` with dims (y, x, frequency).

Every reader ends in :func:`make_odmr_dataset`, which validates the frequency axis against the
spectra and masks pixels without usable data, so no reader can hand the fitter a silent mistake.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import check_positive
from ..errors import InputError

SIGNAL = "signal"
VALID = "valid"
FREQUENCY_UNITS = {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9}


def frequency_unit_factor(unit, name: str) -> tuple[str, float]:
    """The canonical spelling and factor to Hz of a frequency unit (case-insensitive)."""
    spelled = {k.lower(): k for k in FREQUENCY_UNITS}
    spelled.update({"hertz": "Hz", "kilohertz": "kHz", "megahertz": "MHz", "gigahertz": "GHz"})
    key = spelled.get(str(unit).strip().lower())
    if key is None:
        raise InputError(f"{name}: unknown unit {unit!r}; expected one of {list(FREQUENCY_UNITS)}")
    return key, FREQUENCY_UNITS[key]


#: NV ground-state resonances f± = |D ± γB∥| for |B| up to 3 T (beyond any ODMR magnet) lie below
#: D + γ·3 T ≈ 87 GHz; a sweep entirely below 10 MHz would need the field within 0.36 mT of the
#: level anticrossing at 102.4 mT, where the lower line loses its contrast. An axis outside
#: [10 MHz, 100 GHz] is therefore in another unit (a kHz axis read as Hz tops out near 3 MHz).
NV_FREQUENCY_RANGE = (10e6, 100e9)
_UNIT_GUESS = {"kHz": 1e3, "MHz": 1e6, "GHz": 1e9}


def check_nv_frequency_range(f, *, source: str = "frequency") -> None:
    """Raise InputError, suggesting the unit, when an axis (Hz) cannot hold NV resonances."""
    lo, hi = NV_FREQUENCY_RANGE
    if f.size and np.max(f) >= lo and np.min(f) >= 0 and np.max(f) <= hi:
        return
    centre = float(np.median(np.abs(f))) if f.size else 0.0
    hint = ""
    if centre > 0:  # the unit that puts the sweep's middle nearest the zero-field splitting
        unit = min(_UNIT_GUESS, key=lambda u: abs(np.log(centre * _UNIT_GUESS[u] / 2.87e9)))
        scaled = f * _UNIT_GUESS[unit]
        if np.min(scaled) >= 0 and lo <= np.max(scaled) <= hi:
            hint = (f"; the values look like {unit} (the sweep would be {scaled.min() / 1e9:.4g}–"
                    f"{scaled.max() / 1e9:.4g} GHz): pass frequency_unit='{unit}' "
                    f"(CLI: --frequency-unit {unit})")
    raise InputError(
        f"{source}: frequency axis spans {np.min(f):.6g}–{np.max(f):.6g} Hz, outside any "
        f"NV resonance sweep ({lo / 1e6:g} MHz – {hi / 1e9:g} GHz for fields up to 3 T){hint}"
    )


def check_frequency_axis(frequency, n_points: int, *, source: str = "frequency") -> np.ndarray:
    """Validate a frequency axis (Hz) for spectra of ``n_points`` samples.

    Raises InputError when the axis is empty, when the length differs, when values are not
    finite, when the axis is not strictly increasing (unsorted or duplicate frequencies), or when
    it lies outside :data:`NV_FREQUENCY_RANGE` (a unit mistake; the message suggests the unit).
    """
    f = np.asarray(frequency, dtype=np.float64).ravel()
    if n_points == 0 or f.size == 0:
        raise InputError(
            f"{source}: the frequency axis is empty ({f.size} values, spectra of {n_points} "
            "points); an ODMR spectrum needs at least a few points across each dip"
        )
    if f.size != n_points:
        raise InputError(
            f"{source}: frequency axis has {f.size} values but each spectrum has {n_points} "
            "points; "
            "they must be equal"
        )
    if not np.all(np.isfinite(f)):
        raise InputError(f"{source}: frequency axis contains non-finite values")
    step = np.diff(f)
    if np.any(step == 0):
        dup = np.unique(f[1:][step == 0])
        raise InputError(
            f"{source}: frequency axis has duplicate values {dup[:5].tolist()} Hz; "
            "frequencies must be strictly increasing"
        )
    if np.any(step < 0):
        i = int(np.argmax(step < 0))
        raise InputError(
            f"{source}: frequency axis is not sorted (f[{i + 1}] = {f[i + 1]:g} Hz < f[{i}] = "
            f"{f[i]:g} Hz); frequencies must be strictly increasing"
        )
    check_nv_frequency_range(f, source=source)
    return f


def make_odmr_dataset(
    signal,
    frequency,
    *,
    units: str = "counts",
    attrs: dict | None = None,
    source: str = "signal",
    pixel_size: float | tuple[float, float] | None = None,
) -> xr.Dataset:
    """Build the (y, x, frequency) dataset from a signal array and its frequency axis (Hz).
    A strictly decreasing axis (a sweep from high to low frequency) is read in increasing order,
    the spectra reversed with it (``attrs["frequency_reversed"]``); any other unsorted or
    duplicated axis is an error.

    ``signal`` may be (n_f,), (n_pix, n_f) or (ny, nx, n_f); numpy or dask. Pixel coordinates
    are in metres when ``pixel_size`` (m, or (dy, dx)) is given, else in pixels. Pixels whose spectrum
    is entirely non-finite are marked invalid (variable ``valid``) and counted in
    ``attrs["mask_report"]``.
    """
    ndim = getattr(signal, "ndim", None)
    if ndim is None:
        signal = np.asarray(signal)
        ndim = signal.ndim
    if ndim == 1:
        signal = signal[None, None, :]
    elif ndim == 2:
        signal = signal[None, :, :]
    elif ndim != 3:
        raise InputError(
            f"{source}: expected a spectrum (n_f,), spectra (n_pix, n_f) or a stack (ny, nx, n_f); "
            f"got shape {tuple(signal.shape)}"
        )
    if not np.issubdtype(signal.dtype, np.floating):
        signal = signal.astype(np.float32 if signal.dtype.itemsize <= 2 else np.float64)
    f_given = np.asarray(frequency, dtype=np.float64).ravel()
    if f_given.size == signal.shape[-1] > 1 and np.all(np.diff(f_given) < 0):
        # a sweep recorded from high to low frequency: the same spectra, read in increasing order
        frequency, signal = f_given[::-1], signal[..., ::-1]
        attrs = {**(attrs or {}), "frequency_reversed": 1}
    f = check_frequency_axis(frequency, signal.shape[-1], source=source)
    ny, nx = signal.shape[:2]
    if pixel_size is None:
        (dy, dx), unit = (1.0, 1.0), "pixel"
    else:
        pair = (pixel_size, pixel_size) if np.isscalar(pixel_size) else tuple(pixel_size)
        dy, dx = (check_positive("pixel_size", v, unit="m") for v in pair)
        unit = "m"
    ds = xr.Dataset(
        {SIGNAL: (("y", "x", "frequency"), signal, {"units": units})},
        coords={
            "frequency": ("frequency", f, {"units": "Hz"}),
            "y": ("y", np.arange(ny) * dy, {"units": unit}),
            "x": ("x", np.arange(nx) * dx, {"units": unit}),
        },
        attrs=dict(attrs or {}),
    )
    if isinstance(signal, np.ndarray):
        # by slices of rows: a memory-mapped stack (.npy) is never read into memory whole
        step = max(1, (1 << 26) // max(signal[:1].nbytes, 1))
        finite_any = np.concatenate([np.isfinite(signal[r : r + step]).any(axis=-1) for r in range(0, ny, step)]
                                    or [np.zeros((0, nx), bool)])
        n_dead = int(finite_any.size - np.count_nonzero(finite_any))
        ds[VALID] = (
            ("y", "x"),
            finite_any,
            {"units": "1", "meaning": "True where the pixel is fitted"},
        )
        ds.attrs["mask_report"] = {"all_nan": n_dead, "total_pixels": int(finite_any.size)}
    return ds


def as_odmr_dataset(data, frequency=None) -> xr.Dataset:
    """Accept a Dataset with ``signal``, a DataArray (y, x, frequency) or an array plus axis."""
    if isinstance(data, xr.Dataset):
        if SIGNAL not in data:
            raise InputError(
                f"data: dataset has no variable {SIGNAL!r}; found {list(data.data_vars)}"
            )
        if "frequency" not in data[SIGNAL].dims:
            raise InputError(
                f"data: variable {SIGNAL!r} has no 'frequency' dimension; dims {data[SIGNAL].dims}"
            )
        unit = data["frequency"].attrs.get("units", "Hz")
        if str(unit) != "Hz":  # an axis that says its unit is converted, not misread
            factor = frequency_unit_factor(unit, "data: frequency units")[1]
            data = data.assign_coords(
                frequency=("frequency", data["frequency"].values * factor, {"units": "Hz"})
            )
        check_frequency_axis(data["frequency"].values, data.sizes["frequency"], source="data")
        return data.transpose(..., "y", "x", "frequency") if {"y", "x"} <= set(data.dims) else data
    if isinstance(data, xr.DataArray):
        if "frequency" not in data.dims:
            raise InputError(f"data: DataArray has no 'frequency' dimension; dims {data.dims}")
        return as_odmr_dataset(data.to_dataset(name=SIGNAL))
    if frequency is None:
        raise InputError(
            "frequency: required (Hz, one value per spectral point) when data is a bare array"
        )
    return make_odmr_dataset(data, frequency, units="1", source="frequency")
