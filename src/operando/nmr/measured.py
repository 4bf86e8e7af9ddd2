"""Measured 1-D spectra: read Bruker folders (nmrglue, optional) and plain text/NumPy; fit peaks
with uncertainties; turn areas into isotope fractions and phase amounts.

Peaks are fitted jointly (Lorentzian, Gaussian or Voigt, plus a constant baseline) with
``scipy.optimize.curve_fit``; a spectrum has a handful of peaks, so one least-squares problem per
spectrum is the right size (the batched ODMR fitter is for 10⁵ spectra of the same model).
Uncertainties are the square roots of the covariance diagonal, scaled by the residual variance.

⁶Li fraction from ⁶Li and ⁷Li peak areas (Liu et al., Nat. Mater. 2025): the ⁷Li/⁶Li
per-nucleus sensitivity ratio ``c`` (their calibration factor 28.45, from natural-abundance LiCl)
gives ``x6 = c A6 / (c A6 + A7)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.optimize import curve_fit
from scipy.special import voigt_profile

from .._checks import as_float_array, check_choice, check_positive
from ..errors import DataFileError, InputError

__all__ = [
    "CALIBRATION_6LI_7LI",
    "PeakFit",
    "fit_peaks",
    "isotope_fraction",
    "read_bruker",
    "read_spectrum",
]

#: ⁷Li/⁶Li sensitivity per nucleus measured on natural-abundance LiCl (Liu et al. 2025).
CALIBRATION_6LI_7LI = 28.45
SHAPES = ("lorentzian", "gaussian", "voigt")
_FWHM_TO_SIGMA = 1 / (2 * np.sqrt(2 * np.log(2)))


def _spectrum(ppm, intensity, source: str) -> xr.DataArray:
    order = np.argsort(ppm)
    da = xr.DataArray(np.asarray(intensity)[order], coords={"ppm": np.asarray(ppm, float)[order]}, dims="ppm",
                      name="intensity", attrs={"units": "arbitrary", "source": source})
    da.ppm.attrs["units"] = "ppm"
    return da


def read_bruker(path, *, procno: int = 1, phase: str = "auto") -> xr.DataArray:
    """Real 1-D spectrum (increasing ppm) of a Bruker experiment folder.

    Uses the processed spectrum ``pdata/<procno>/1r`` when present, else Fourier-transforms the
    ``fid`` (digital filter removed) and phases it: ``phase="auto"`` (nmrglue's ACME automatic
    phasing, absorption mode — areas are quantitative), ``"magnitude"`` (no phasing; broader
    tails bias areas) or ``"none"`` (the real part as recorded).
    Needs ``nmrglue`` (``pip install operando[nmr]``).
    """
    try:
        import nmrglue as ng
    except ImportError as exc:  # optional extra
        raise ImportError("read_bruker needs nmrglue: pip install 'operando[nmr]'") from exc
    phase = check_choice("phase", phase, ("auto", "magnitude", "none"))
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"path: {str(folder)!r} is not a folder (expected a Bruker experiment folder)")
    pdata = folder / "pdata" / str(procno)
    has_fid = (folder / "fid").is_file() and (folder / "acqus").is_file()
    if not (pdata / "1r").is_file() and not has_fid:
        raise DataFileError(
            f"path: {str(folder)!r} holds no Bruker data (expected acqus + fid, or pdata/{procno}/1r)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # nmrglue warns on every missing optional file
        return _read_bruker_data(ng, folder, pdata, phase)


def _read_bruker_data(ng, folder, pdata, phase):
    try:
        if (pdata / "1r").is_file():
            dic, data = ng.bruker.read_pdata(str(pdata))
            udic = ng.bruker.guess_udic(dic, data)
            spec = np.asarray(data, float)
        else:
            dic, data = ng.bruker.read(str(folder))
            if data.ndim != 1:
                raise DataFileError(f"path: {str(folder)!r} is a {data.ndim}-D experiment; expected 1-D")
            if "GRPDLY" in dic.get("acqus", {}) or "DECIM" in dic.get("acqus", {}):
                data = ng.bruker.remove_digital_filter(dic, data)
            udic = ng.bruker.guess_udic(dic, data)
            spec = ng.proc_base.rev(ng.proc_base.fft(data))
            if phase == "auto":
                spec = ng.proc_autophase.autops(spec, "acme", disp=False)
            spec = np.abs(spec) if phase == "magnitude" else spec.real
        ppm = ng.fileiobase.uc_from_udic(udic).ppm_scale()
    except DataFileError:
        raise
    except Exception as exc:  # nmrglue raises many types on damaged files
        raise DataFileError(f"path: cannot read Bruker data in {str(folder)!r} ({exc})") from exc
    if not np.all(np.isfinite(spec)) or spec.size != ppm.size:
        raise DataFileError(f"path: Bruker data in {str(folder)!r} are damaged (non-finite or mis-sized)")
    return _spectrum(ppm, spec, str(folder))


def read_spectrum(path) -> xr.DataArray:
    """Spectrum from a text file (two columns: ppm, intensity; ``#`` comments) or a ``.npy`` array
    of shape (2, n) or (n, 2); a folder is read as Bruker data."""
    p = Path(path)
    if p.is_dir():
        return read_bruker(p)
    if not p.is_file():
        raise InputError(f"path: no such file {str(p)!r}")
    try:
        arr = np.load(p) if p.suffix == ".npy" else np.loadtxt(p, comments="#", delimiter=None)
    except Exception as exc:
        raise DataFileError(f"path: cannot read {str(p)!r} as a spectrum ({exc})") from exc
    arr = np.asarray(arr, float)
    if arr.ndim == 2 and arr.shape[0] == 2 and arr.shape[1] != 2:
        arr = arr.T
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] < 8:
        raise DataFileError(f"path: {str(p)!r} must hold two columns (ppm, intensity), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataFileError(f"path: {str(p)!r} contains non-finite values")
    return _spectrum(arr[:, 0], arr[:, 1], str(p))


def _line(x, shape, centre, *widths):
    if shape == "lorentzian":
        g = widths[0] / 2
        return g / np.pi / ((x - centre) ** 2 + g * g)
    if shape == "gaussian":
        s = widths[0] * _FWHM_TO_SIGMA
        return np.exp(-0.5 * ((x - centre) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    return voigt_profile(x - centre, widths[0] * _FWHM_TO_SIGMA, widths[1] / 2)


@dataclass(frozen=True)
class PeakFit:
    """Fitted peaks: ``centre`` (ppm), ``fwhm`` (ppm; Voigt: Gaussian and Lorentzian parts,
    shape (n, 2)), ``area`` (intensity × ppm) and their standard errors; ``baseline``."""

    shape: str
    centre: np.ndarray
    centre_err: np.ndarray
    fwhm: np.ndarray
    fwhm_err: np.ndarray
    area: np.ndarray
    area_err: np.ndarray
    baseline: float
    model: np.ndarray

    def fractions(self):
        """Area fraction of each peak and its standard error (e.g. Li metal vs garnet)."""
        total = self.area.sum()
        frac = self.area / total
        # d frac_i / d A_j = (δij - frac_i) / total
        err = np.sqrt((1 - 2 * frac) * self.area_err**2 + frac**2 * (self.area_err**2).sum()) / total
        return frac, err


def fit_peaks(spectrum, centres, *, shape: str = "lorentzian", fwhm: float = 2.0, baseline: bool = True) -> PeakFit:
    """Fit peaks near ``centres`` (ppm) to ``spectrum`` (a DataArray on ``ppm``, or ``(ppm,
    intensity)``); ``fwhm`` (ppm) is the starting width."""
    shape = check_choice("shape", shape, SHAPES)
    if isinstance(spectrum, xr.DataArray):
        x, y = spectrum["ppm"].values, np.real(spectrum.values)
    else:
        x, y = spectrum
    x = as_float_array("ppm", x, ndim=1)
    y = as_float_array("intensity", np.real(y), shape=(x.size,))
    c0 = as_float_array("centres", centres).ravel()
    w0 = check_positive("fwhm", fwhm, unit="ppm")
    nw = 2 if shape == "voigt" else 1
    per = 2 + nw

    def model(xx, *p):
        out = np.full_like(xx, p[-1] if baseline else 0.0)
        for i in range(c0.size):
            c, *w, a = p[i * per: (i + 1) * per]
            out += a * _line(xx, shape, c, *w)
        return out

    step = np.abs(np.diff(x)).mean()
    guess, lo, hi = [], [], []
    for c in c0:
        near = np.abs(x - c) <= 2 * w0  # start from the highest point near each given centre
        if near.any():
            c = x[near][np.argmax(y[near])]
        height = y[np.argmin(np.abs(x - c))] - (np.median(y) if baseline else 0.0)
        guess += [c, *([w0] * nw), max(height, 0.0) * w0 * np.pi / 2 + 1e-30]
        lo += [x.min(), *([step / 4] * nw), -np.inf]
        hi += [x.max(), *([np.ptp(x)] * nw), np.inf]
    if baseline:
        guess, lo, hi = [*guess, float(np.median(y))], [*lo, -np.inf], [*hi, np.inf]
    try:
        p, cov = curve_fit(model, x, y, p0=guess, bounds=(lo, hi), maxfev=20000)
    except RuntimeError as exc:
        raise InputError(f"centres: the peak fit did not converge from {c0.tolist()} ppm ({exc})") from exc
    err = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(p.size, np.nan)
    body, body_err = p[: c0.size * per].reshape(c0.size, per), err[: c0.size * per].reshape(c0.size, per)
    widths = body[:, 1:1 + nw] if nw > 1 else body[:, 1]
    widths_err = body_err[:, 1:1 + nw] if nw > 1 else body_err[:, 1]
    return PeakFit(shape, body[:, 0], body_err[:, 0], widths, widths_err, body[:, -1], body_err[:, -1],
                   float(p[-1]) if baseline else 0.0, model(x, *p))


def isotope_fraction(area_6li, area_7li, *, calibration: float = CALIBRATION_6LI_7LI, area_6li_err=0.0,
                     area_7li_err=0.0):
    """⁶Li atomic fraction ``c A6 / (c A6 + A7)`` and its standard error (arrays broadcast)."""
    a6 = as_float_array("area_6li", area_6li)
    a7 = as_float_array("area_7li", area_7li)
    c = check_positive("calibration", calibration)
    if np.any(a6 < 0) or np.any(a7 < 0) or np.any(a6 + a7 <= 0):
        raise InputError("area_6li, area_7li: areas must be >= 0 and not both 0")
    total = c * a6 + a7
    x6 = c * a6 / total
    d6, d7 = c * a7 / total**2, c * a6 / total**2  # ∂x6/∂A6, -∂x6/∂A7
    err = np.hypot(d6 * np.asarray(area_6li_err), d7 * np.asarray(area_7li_err))
    return x6, err
