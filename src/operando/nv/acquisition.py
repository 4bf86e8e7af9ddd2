"""What an NV microscope records from a field map: scanning single-NV and widefield ensemble modes.

The input is the stray field on one plane above all sources, ``(3, ny, nx)`` in T (components x, y,
z), as an array with its pixel ``spacing`` (dy, dx) in m or as a DataArray with dims
``(component, y, x)`` and coordinates in m. Above the sources the field continues upward exactly as
B(k, h + s) = B(k, h) e^{-|k| s}, which gives the field at any larger standoff and its average over
the thickness of an NV layer; a Gaussian PSF models the optical resolution of a widefield camera.

Outputs are ``xarray.Dataset`` objects with the simulated measurement and the true field beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import scipy.fft as sfft
import xarray as xr

from .._checks import as_float_array, check_choice, check_positive, unit_vector
from ..errors import InputError
from .constants import CUTS, D_ZERO_FIELD
from .lineshape import SHAPES
from .orientations import nv_orientations
from .sensitivity import check_odmr_parameters, cw_sensitivity, power_broadened_line
from .spectra import (
    check_frequency_coverage,
    count_rate_for_sensitivity,
    line_parameters,
    noisy_spectra,
    swept_sensitivity,
)
from .spin import resonances


@dataclass(frozen=True)
class ScanningNV:
    """Single NV in a scanning tip. Default numbers: 50 nm standoff (Pollok et al., Nat. Commun. 2025), a CW-ODMR
    sensitivity near the ~1 µT Hz^-1/2 of Pollok et al., Nat. Commun. 2025 from 500 kcounts/s, 15 % contrast, 5 MHz."""

    standoff: float = 50e-9  # m, NV–surface distance
    dwell_time: float = 1.0  # s per pixel
    count_rate: float = 5e5  # photons/s detected
    contrast: float = 0.15
    linewidth: float = 5e6  # Hz FWHM
    axis: str | tuple = "111"  # "perpendicular", "parallel", "111" or a 3-vector
    azimuth: float = 0.0  # rad, in-plane direction of a named axis
    move_time: float = 0.0  # s per pixel spent moving
    D: float = D_ZERO_FIELD
    E: float = 0.0

    def __post_init__(self):
        check_odmr_parameters(self.count_rate, self.contrast, self.linewidth)
        check_positive("standoff", self.standoff, allow_zero=True, unit="m")
        check_positive("dwell_time", self.dwell_time, unit="s")
        check_positive("move_time", self.move_time, allow_zero=True, unit="s")

    def axes(self) -> np.ndarray:
        """The NV axis as (1, 3)."""
        if isinstance(self.axis, str):
            from ..magnetics import nv_axis

            return nv_axis(self.axis, self.azimuth)[None, :]
        return unit_vector("axis", self.axis)[None, :]

    def sensitivity(self) -> float:
        """Shot-noise-limited CW sensitivity η in T Hz^-1/2."""
        return cw_sensitivity(self.count_rate, self.contrast, self.linewidth)

    def time_per_pixel(self) -> float:
        return self.dwell_time

    def scan_time(self, n_pixels: int) -> float:
        """Total time (s) of a raster scan of ``n_pixels``."""
        return int(check_positive("n_pixels", n_pixels)) * (self.dwell_time + self.move_time)


@dataclass(frozen=True)
class WidefieldNV:
    """NV-ensemble layer imaged on a camera. ``contrast`` is per line of one of the four
    orientations; ``count_rate`` is per camera pixel. Pollok et al., Nat. Commun.
    2025: micrometre resolution."""

    standoff: float = 0.0  # m, gap between sample surface and the top of the NV layer
    layer_thickness: float = 1e-6  # m
    camera_pixel: float = 0.5e-6  # m, pixel size referred to the sample
    optical_resolution: float = 0.6e-6  # m, FWHM of the point-spread function
    frame_time: float = 10e-3  # s
    n_frames: int = 100
    count_rate: float = 1e8  # photons/s per camera pixel
    contrast: float = 0.01
    linewidth: float = 1e6  # Hz FWHM
    cut: str = "100"
    azimuth: float = 0.0
    D: float = D_ZERO_FIELD
    E: float = 0.0

    def __post_init__(self):
        check_odmr_parameters(self.count_rate, self.contrast, self.linewidth)
        check_choice("cut", self.cut, CUTS)
        check_positive("standoff", self.standoff, allow_zero=True, unit="m")
        check_positive("layer_thickness", self.layer_thickness, allow_zero=True, unit="m")
        check_positive("camera_pixel", self.camera_pixel, unit="m")
        check_positive("optical_resolution", self.optical_resolution, allow_zero=True, unit="m")
        check_positive("frame_time", self.frame_time, unit="s")
        check_positive("n_frames", self.n_frames)

    def axes(self) -> np.ndarray:
        return nv_orientations(self.cut, self.azimuth)

    def sensitivity(self) -> float:
        """CW sensitivity per camera pixel, T Hz^-1/2."""
        return cw_sensitivity(self.count_rate, self.contrast, self.linewidth)

    def time_per_pixel(self) -> float:
        return self.frame_time * self.n_frames  # every pixel integrates for the whole acquisition

    def scan_time(self, n_pixels: int = 1) -> float:
        return self.time_per_pixel()


def _select_plane(field: xr.DataArray, below):
    """From a DataArray (component, height, y, x) (``Grid.field_on_planes``), the highest plane at
    or below the height ``below`` (m); returns (plane, its height)."""
    h = np.asarray(field.height, float)
    ok = np.flatnonzero(h <= below * (1 + 1e-12))
    if ok.size == 0:
        raise InputError(
            f"field: every plane ({h.min():g} m and up) lies above the sensor ({below:g} m)"
        )
    i = ok[np.argmax(h[ok])]
    return field.isel(height=i), float(h[i])


def with_microwave_drive(
    sensor, rabi_frequency, intrinsic_linewidth, saturation_rabi, max_contrast
):
    """Copy of ``sensor`` whose linewidth and contrast follow from the microwave drive (power
    broadening, :func:`operando.nv.sensitivity.power_broadened_line`); frequencies in Hz."""
    width, contrast = power_broadened_line(
        rabi_frequency, intrinsic_linewidth, saturation_rabi, max_contrast
    )
    return replace(sensor, linewidth=width, contrast=contrast)


def swept_sensitivity_of(sensor, frequencies, shape: str = "lorentzian") -> float:
    """η (T Hz^-1/2) of the field fitted from one line of ``sensor`` swept over ``frequencies``
    (Hz): the Cramér–Rao bound of :func:`operando.nv.spectra.swept_sensitivity`. It exceeds the
    steepest-slope :meth:`sensitivity`, as a sweep spends most photons off the slope."""
    return swept_sensitivity(frequencies, sensor.linewidth, sensor.contrast, sensor.count_rate, shape)


def with_sensitivity(sensor, sensitivity, frequencies, shape: str = "lorentzian"):
    """Copy of ``sensor`` whose detected count rate makes the swept-and-fitted sensitivity over
    ``frequencies`` (Hz) equal ``sensitivity`` (T Hz^-1/2); contrast and linewidth are kept, so the
    photon budget (count rate × time per pixel) carries the configured sensitivity."""
    rate = count_rate_for_sensitivity(frequencies, sensor.linewidth, sensor.contrast, sensitivity, shape)
    return replace(sensor, count_rate=rate)


def camera_binning(sensor, dy, dx) -> int:
    """Map pixels (of size dy × dx, m) per sensor pixel along each side: 1 for a scanning NV (one
    reading per map pixel), the camera pixel over the map pixel (rounded, >= 1) for a widefield."""
    if isinstance(sensor, ScanningNV):
        return 1
    return max(1, round(sensor.camera_pixel / min(dy, dx)))


def unbin(a, factor: int, shape) -> np.ndarray:
    """Sensor pixels (..., my, mx) back on the map grid ``shape`` (ny, nx): each value repeated over
    the ``factor`` × ``factor`` map pixels it covers; the cropped remainder takes the edge value."""
    a = np.asarray(a)
    if factor == 1:
        return a
    rep = np.repeat(np.repeat(a, factor, axis=-2), factor, axis=-1)
    pad = [(0, 0)] * (a.ndim - 2) + [(0, shape[0] - rep.shape[-2]), (0, shape[1] - rep.shape[-1])]
    return np.pad(rep, pad, mode="edge")


def _field_plane(field, spacing):
    """(B (3, ny, nx), dy, dx, y, x) from an array + spacing or a DataArray (component, y, x)."""
    if isinstance(field, xr.DataArray):
        if set(field.dims) != {"component", "y", "x"}:
            raise InputError(f"field: expected dims (component, [height,] y, x), got {field.dims}")
        field = field.transpose("component", "y", "x")
        y, x = np.asarray(field.y, float), np.asarray(field.x, float)
        if y.size < 2 or x.size < 2:
            raise InputError("field: needs at least 2 pixels along y and x")
        B = as_float_array("field", field.values, shape=(3, None, None))
        return B, float(y[1] - y[0]), float(x[1] - x[0]), y, x
    B = as_float_array("field", field, shape=(3, None, None))
    if spacing is None:
        raise InputError("spacing: required (dy, dx) in m when field is a plain array")
    dy, dx = (float(spacing), float(spacing)) if np.ndim(spacing) == 0 else map(float, spacing)
    check_positive("spacing", min(dy, dx), unit="m")
    ny, nx = B.shape[1:]
    return B, dy, dx, (np.arange(ny) - (ny - 1) / 2) * dy, (np.arange(nx) - (nx - 1) / 2) * dx


def sensor_filter(B, dy, dx, lift=0.0, layer_thickness=0.0, psf_fwhm=0.0):
    """Field (3, ny, nx) seen by the sensor: continued up by ``lift`` (m), averaged over a uniform
    NV layer of ``layer_thickness`` (m) and blurred by a Gaussian PSF of ``psf_fwhm`` (m).

    Exact in Fourier space above the sources: e^{-k lift} · (1 - e^{-k t})/(k t) · e^{-k² σ²/2};
    the map is zero-padded against wrap-around.
    """
    from ..magnetics.fourier import crop2d, layer_depth_factor, pad2d, padded_shape, wavenumbers

    if lift < 0:
        raise InputError(f"lift: the sensor must lie above the field plane, got {lift!r} m")
    ny, nx = B.shape[-2:]
    shape = padded_shape(ny, nx)
    k = wavenumbers(shape, dy, dx, rfft=True)[2]
    if layer_thickness > 0:
        filt = layer_depth_factor(k, lift, lift + layer_thickness) / layer_thickness
    else:
        filt = np.exp(-k * lift)
    if psf_fwhm > 0:
        sigma = psf_fwhm / (2 * np.sqrt(2 * np.log(2)))
        filt = filt * np.exp(-0.5 * (k * sigma) ** 2)
    spec = sfft.rfft2(pad2d(B, shape), workers=-1)
    return crop2d(sfft.irfft2(spec * filt, s=shape, workers=-1), ny, nx)


def _bin(a, factor):
    """Block mean over ``factor`` × ``factor`` pixels of the last two axes (remainder cropped)."""
    if factor == 1:
        return a
    ny, nx = (a.shape[-2] // factor) * factor, (a.shape[-1] // factor) * factor
    a = a[..., :ny, :nx]
    return a.reshape(*a.shape[:-2], ny // factor, factor, nx // factor, factor).mean(axis=(-3, -1))


def recorded_maps(sensor, maps, dy, dx) -> np.ndarray:
    """Noiseless sensor pixels (..., my, mx) of maps (..., ny, nx) given at the sensor's standoff on
    a dy × dx (m) grid: the maps themselves for a scanning NV; for a widefield, averaged over the
    NV layer, blurred by the PSF and binned into camera pixels (:func:`unbin` maps them back)."""
    maps = np.asarray(maps, dtype=float)
    if isinstance(sensor, ScanningNV):
        return maps
    seen = sensor_filter(maps, dy, dx, 0.0, sensor.layer_thickness, sensor.optical_resolution)
    return _bin(seen, camera_binning(sensor, dy, dx))


def seen_field(sensor, field, spacing=None, field_height=None):
    """True field (3, my, mx) at the sensor pixels and their coordinates (y, x), m: continued up to
    the sensor; for a widefield, also averaged over the NV layer, blurred by the optical PSF and
    binned into camera pixels (:func:`camera_binning`)."""
    if isinstance(field, xr.DataArray) and "height" in field.dims and field_height is None:
        field, field_height = _select_plane(field, sensor.standoff)
    elif isinstance(field, xr.DataArray) and "height" in field.dims:
        field = field.sel(height=field_height, method="nearest")
    B, dy, dx, y, x = _field_plane(
        field.drop_vars("height", errors="ignore") if isinstance(field, xr.DataArray) else field,
        spacing,
    )
    h0 = sensor.standoff if field_height is None else float(field_height)
    if isinstance(sensor, ScanningNV):
        B = sensor_filter(B, dy, dx, lift=sensor.standoff - h0)
        return B, y, x
    B = sensor_filter(
        B, dy, dx, sensor.standoff - h0, sensor.layer_thickness, sensor.optical_resolution
    )
    factor = camera_binning(sensor, dy, dx)
    ny, nx = (y.size // factor) * factor, (x.size // factor) * factor
    y_cam, x_cam = (c[:n].reshape(-1, factor).mean(axis=1) for c, n in ((y, ny), (x, nx)))
    return _bin(B, factor), y_cam, x_cam


def _base_dataset(sensor, B, y, x, rng_seed):
    axes = sensor.axes()
    ds = xr.Dataset(
        {
            "B_true": (
                ("component", "y", "x"),
                B,
                {"units": "T", "long_name": "field at the sensor"},
            ),
            "nv_axis": (("component", "axis"), axes.T, {"units": "1", "long_name": "unit vector of each NV axis"}),
        },
        coords={
            "component": ["x", "y", "z"],
            "y": ("y", y, {"units": "m"}),
            "x": ("x", x, {"units": "m"}),
        },
    )
    ds.attrs.update({f"sensor_{k}": str(v) for k, v in asdict(sensor).items()})
    ds.attrs.update(
        sensor=type(sensor).__name__,
        sensitivity_T_per_rtHz=sensor.sensitivity(),
        time_per_pixel_s=sensor.time_per_pixel(),
        total_time_s=sensor.scan_time(y.size * x.size),
        seed=-1 if rng_seed is None else rng_seed,
    )
    return ds


def simulate_field_map(sensor, field, spacing=None, field_height=None, seed=0) -> xr.Dataset:
    """Noisy projections of the field on each NV axis, ``B_nv`` (axis, y, x) in T, with Gaussian
    noise of standard deviation η / sqrt(time per pixel); ``B_nv_true`` and ``B_true`` alongside.

    ``field_height`` (m): height of the given field plane (default: already at the standoff; for a
    DataArray with a ``height`` dimension, the highest plane at or below the standoff).
    """
    rng = np.random.default_rng(seed)
    B, y, x = seen_field(sensor, field, spacing, field_height)
    ds = _base_dataset(sensor, B, y, x, seed)
    proj = np.einsum("ai,iyx->ayx", sensor.axes(), B)
    sigma = sensor.sensitivity() / np.sqrt(sensor.time_per_pixel())
    ds["B_nv_true"] = (("axis", "y", "x"), proj, {"units": "T"})
    ds["B_nv"] = (("axis", "y", "x"), proj + rng.normal(0.0, sigma, proj.shape), {"units": "T"})
    ds.attrs["noise_std_T"] = sigma
    return ds


def simulate_odmr(
    sensor,
    field,
    frequencies,
    spacing=None,
    field_height=None,
    bias_field=(0.0, 0.0, 0.0),
    isotope=None,
    shape: str = "lorentzian",
    seed=0,
) -> xr.Dataset:
    """CW-ODMR image stack ``odmr`` (y, x, frequency), normalized fluorescence with photon shot
    noise (count rate × time per pixel spread evenly over the frequency points), plus the true field
    and the true resonances ``resonances_true`` (y, x, axis, line) in Hz.

    ``bias_field`` (3,) T is added to the sample field (a uniform applied field). A warning names
    the pixels whose lines fall outside ``frequencies``.
    """
    check_choice("shape", shape, SHAPES)
    f = as_float_array("frequencies", frequencies, ndim=1)
    if f.size < 2 or np.any(np.diff(f) <= 0):
        raise InputError("frequencies: need >= 2 strictly increasing values in Hz")
    rng = np.random.default_rng(seed)
    B, y, x = seen_field(sensor, field, spacing, field_height)
    ds = _base_dataset(sensor, B, y, x, seed)
    B_total = B + as_float_array("bias_field", bias_field, shape=(3,))[:, None, None]
    axes = sensor.axes()
    lines = resonances(B_total, axes, D=sensor.D, E=sensor.E)
    centers, widths, contrasts = line_parameters(
        B_total, axes, sensor.linewidth, sensor.contrast, D=sensor.D, E=sensor.E, isotope=isotope
    )
    check_frequency_coverage(f, centers, widths, stacklevel=3)
    counts = sensor.count_rate * sensor.time_per_pixel() / f.size
    ds = ds.assign_coords(frequency=("frequency", f, {"units": "Hz"}))
    ds["odmr"] = (
        ("y", "x", "frequency"),
        noisy_spectra(f, centers, widths, contrasts, counts, rng, shape),
        {"units": "1", "long_name": "normalized fluorescence"},
    )
    ds["resonances_true"] = (("y", "x", "axis", "line"), lines, {"units": "Hz"})
    ds.attrs.update(
        counts_per_point=counts, bias_field_T=list(map(float, bias_field)), lineshape=shape
    )
    return ds
