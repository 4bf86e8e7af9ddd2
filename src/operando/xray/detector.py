"""Response of a pixelated CdZnTe spectroscopic detector (HEXITEC), vectorized over pixels.

What an incident spectrum becomes in one pixel, in order:

1. absorption efficiency 1 − exp(−μ(E) t) of the sensor (xraydb via :mod:`.attenuation`);
2. K escape: a photon absorbed on a Cd or Te K shell emits a K line that leaves the pixel with the
   probability ``escape_probability``; the event is recorded at E − E_line. The K-shell share of the
   photo-absorption is (w μ_el / μ) (1 − 1/J_K) with the jump ratio J_K and fluorescence yield ω_K
   from xraydb. Under uniform illumination each pixel receives from its neighbours as many of those
   photons as it loses, so the escaped counts reappear as Cd and Te lines (22.9–31.0 keV);
3. W and Pb K lines of the pinhole plate and shielding (50–85 keV) as fractions of all counts;
4. a Gaussian of ``fwhm_eV`` with a low-energy exponential tail (charge sharing, hole trapping),
   applied as one FFT convolution along the energy axis.

The parameters are data (``xray/data/hexitec.toml``, each with its source); any can be overridden by
keyword or from a user TOML file. No library models a CdZnTe pixel's response; the pieces are
standard (e.g. Veale et al., Sensors 2020), the line energies and yields come from xraydb.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from importlib import resources

import numpy as np
import xraydb
from scipy import fft

from .._checks import as_float_array, check_positive, check_range
from ..errors import DataFileError, InputError
from ..io import read_toml
from .attenuation import linear_attenuation, mass_attenuation

__all__ = ["CdZnTeDetector", "detector_from_file", "hexitec"]

_SENSOR_LINES = {"Cd": ("Ka1", "Ka2", "Kb1", "Kb3"), "Te": ("Ka1", "Ka2", "Kb1", "Kb3")}
_SHIELD_LINES = ("Ka1", "Ka2", "Kb1", "Kb3", "Kb2")


@dataclass(frozen=True)
class CdZnTeDetector:
    """Parameters of the pixel response (SI; energies in eV). ``sources`` names where each came from."""

    fwhm_eV: float = 800.0
    n_pixels: int = 80
    pixel_pitch_m: float = 250e-6
    thickness_m: float = 1e-3
    material: str = "Cd0.9Zn0.1Te"
    density_kg_m3: float = 5780.0
    tail_fraction: float = 0.06
    tail_slope_eV: float = 2500.0
    escape_probability: float = 0.3
    shielding_W_fraction: float = 0.01
    shielding_Pb_fraction: float = 0.005
    sources: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        check_positive("fwhm_eV", self.fwhm_eV, unit="eV")
        check_positive("pixel_pitch_m", self.pixel_pitch_m, unit="m")
        check_positive("thickness_m", self.thickness_m, unit="m")
        check_positive("tail_slope_eV", self.tail_slope_eV, unit="eV")
        for name in ("tail_fraction", "escape_probability", "shielding_W_fraction", "shielding_Pb_fraction"):
            check_range(name, getattr(self, name), 0.0, 1.0)
        if int(self.n_pixels) != self.n_pixels or self.n_pixels < 1:
            raise InputError(f"n_pixels: must be a positive integer, got {self.n_pixels!r}")

    def with_(self, **overrides) -> CdZnTeDetector:
        """A copy with some parameters replaced (each override is validated)."""
        known = {f.name for f in fields(self)}
        bad = set(overrides) - known
        if bad:
            raise InputError(f"overrides: unknown detector parameter(s) {sorted(bad)}; known: {sorted(known)}")
        return replace(self, **overrides)

    # --- pieces of the response ---------------------------------------------------------------
    def efficiency(self, energies_eV) -> np.ndarray:
        """Fraction of photons absorbed in the sensor."""
        e = np.maximum(as_float_array("energies_eV", energies_eV), 1e3)  # below 1 keV all is absorbed anyway
        mu = linear_attenuation(self.material, e, self.density_kg_m3)
        return 1.0 - np.exp(-mu * self.thickness_m)

    def escape_lines(self, energies_eV) -> list[tuple[str, float, np.ndarray]]:
        """(label, line energy eV, probability per absorbed photon of energy E) for each K escape."""
        e = np.maximum(as_float_array("energies_eV", energies_eV, ndim=1), 1e3)  # no K escape below 1 keV
        from .compounds import compound

        comp = compound(self.material, self.density_kg_m3)
        mu_photo = mass_attenuation(comp, e, kind="photo")
        out = []
        for el, lines in _SENSOR_LINES.items():
            edge = xraydb.xray_edge(el, "K")
            share = comp.mass_fractions[el] * np.asarray(xraydb.mu_elam(el, e, kind="photo")) * 0.1 / mu_photo
            k_share = np.where(e > edge.energy, share * (1.0 - 1.0 / edge.jump_ratio), 0.0)
            table = xraydb.xray_lines(el, "K")
            total_int = sum(table[name].intensity for name in lines)
            for name in lines:
                line = table[name]
                p = k_share * edge.fyield * self.escape_probability * line.intensity / total_int
                out.append((f"{el} {name}", float(line.energy), p))
        return out

    def kernel(self, bin_width_eV: float, n: int) -> np.ndarray:
        """Normalised line shape on offsets (k − m) Δ, k in [0, 2m]: Gaussian + low-energy tail.

        The half-width m covers 6σ of the Gaussian and 12 e-folds of the tail (at most n − 1 bins).
        """
        sigma = self.fwhm_eV / (2.0 * np.sqrt(2.0 * np.log(2.0)))
        m = min(n - 1, int(np.ceil((6 * sigma + 12 * self.tail_slope_eV) / bin_width_eV)))
        off = (np.arange(2 * m + 1) - m) * bin_width_eV
        gauss = np.exp(-0.5 * (off / sigma) ** 2)
        tail = np.where(off < 0, np.exp(off / self.tail_slope_eV), 0.0)
        tail = np.convolve(tail, gauss / gauss.sum(), mode="same")
        return (1 - self.tail_fraction) * gauss / gauss.sum() + self.tail_fraction * tail / max(tail.sum(), 1e-300)

    # --- the whole response ---------------------------------------------------------------------
    def respond(self, spectra, edges_eV, *, block: int = 1024) -> np.ndarray:
        """Expected detected spectra (same shape) from incident photon spectra on uniform bins.

        The escape peaks are copies of the K-absorbed part of the spectrum shifted down by the line
        energy (linear split between two bins); the line shape is one FFT convolution per block of
        ``block`` spectra.
        """
        s = np.asarray(spectra)
        s = as_float_array("spectra", s, dtype=s.dtype if s.dtype in (np.float32, np.float64) else np.float64)
        edges = as_float_array("edges_eV", edges_eV, ndim=1)
        if s.shape[-1] != edges.size - 1:
            raise InputError(f"edges_eV: need {s.shape[-1] + 1} edges for spectra with {s.shape[-1]} bins")
        width = np.diff(edges)
        if np.any(width <= 0) or np.ptp(width) > 1e-6 * width.mean():
            raise InputError("edges_eV: the detector response needs uniform, increasing energy bins")
        n, d = s.shape[-1], float(width.mean())
        centres = 0.5 * (edges[1:] + edges[:-1])
        eff = self.efficiency(centres).astype(s.dtype)
        kernel = self.kernel(d, n)
        m = kernel.size // 2
        size = fft.next_fast_len(n + 2 * m, real=True)  # linear, not circular, convolution
        kernel_f = fft.rfft(kernel.astype(s.dtype), size)
        escapes = self._escape_weights(centres, s.dtype)  # [(P_el(E), [(line energy, share)])]
        keep = 1.0 - sum(p for p, _ in escapes)
        flat = s.reshape(-1, n)
        out = np.empty_like(flat)
        for lo in range(0, flat.shape[0], block):  # blocks of spectra bound the memory
            a = flat[lo : lo + block] * eff
            main = a * keep
            for p, lines in escapes:
                escaping = a * p
                k_abs = escaping.sum(axis=-1)
                for e_line, share in lines:
                    _add_shifted_down(main, escaping, share, e_line / d)  # escape peak at E − E_line
                    _add_line(main, k_abs * share, e_line, edges)  # the line, from the neighbours
            self._add_shielding(main, edges)
            res = fft.irfft(fft.rfft(main, size, axis=-1, workers=-1) * kernel_f, size, axis=-1, workers=-1)
            out[lo : lo + block] = res[:, m : m + n]
        return out.reshape(s.shape)

    def _escape_weights(self, centres, dtype=np.float64):
        """Per sensor element: escape probability per absorbed photon P(E), and its lines' (E, share).

        All K lines of one element share P(E)'s shape (they differ by relative intensity only)."""
        lines = self.escape_lines(centres)
        out = []
        for el in _SENSOR_LINES:
            mine = [(e_line, p) for label, e_line, p in lines if label.split()[0] == el]
            total = sum(p for _, p in mine)
            ref = float(np.max(total)) or 1.0
            out.append((total.astype(dtype), [(e_line, float(np.max(p)) / ref) for e_line, p in mine]))
        return out

    def _add_shielding(self, main: np.ndarray, edges: np.ndarray) -> None:
        total = main.sum(axis=-1)
        for el, frac in (("W", self.shielding_W_fraction), ("Pb", self.shielding_Pb_fraction)):
            table = xraydb.xray_lines(el, "K")
            norm = sum(table[n].intensity for n in _SHIELD_LINES)
            for name in _SHIELD_LINES:
                _add_line(main, total * frac * table[name].intensity / norm, table[name].energy, edges)

    def check_frame(self, frame, n_bins: int | None = None) -> np.ndarray:
        """A detector frame (n_pixels, n_pixels, n_bins) of counts ≥ 0, or InputError naming ``frame``."""
        f = as_float_array("frame", frame)
        want = (self.n_pixels, self.n_pixels)
        if f.ndim != 3 or f.shape[:2] != want or (n_bins is not None and f.shape[2] != n_bins):
            raise InputError(
                f"frame: expected shape ({want[0]}, {want[1]}, {n_bins or 'n_bins'}) for this detector, got {f.shape}"
            )
        if np.any(f < 0):
            raise InputError(f"frame: counts must be >= 0; got min {f.min()!r}")
        return f


def _add_shifted_down(out: np.ndarray, spec: np.ndarray, weight: float, shift_bins: float) -> None:
    """out += weight · spec moved down by a fractional number of bins (linear split; what falls
    below the first bin is lost, as below the detector threshold)."""
    k = int(np.floor(shift_bins))
    frac = shift_bins - k
    n = spec.shape[-1]
    if k < n:
        out[..., : n - k] += (weight * (1 - frac)) * spec[..., k:]
    if k + 1 < n:
        out[..., : n - k - 1] += (weight * frac) * spec[..., k + 1 :]


def _add_line(spec: np.ndarray, amount: np.ndarray, energy: float, edges: np.ndarray) -> None:
    """Add a line of ``amount`` counts per spectrum at ``energy`` (in place)."""
    i = np.searchsorted(edges, energy, side="right") - 1
    if 0 <= i < edges.size - 1:
        spec[..., i] += amount


def detector_from_file(path=None, **overrides) -> CdZnTeDetector:
    """Detector parameters from a TOML file (default: the packaged HEXITEC data) plus overrides."""
    if path is None:
        text = resources.files("operando.xray").joinpath("data", "hexitec.toml").read_text(encoding="utf-8")
        data, where = tomllib.loads(text), "xray/data/hexitec.toml"
    else:
        data, where = read_toml(path, "detector file"), str(path)
    known = {f.name for f in fields(CdZnTeDetector)}
    kwargs, sources = {}, []
    for key, entry in data.items():
        if key not in known or not isinstance(entry, dict) or "value" not in entry:
            raise DataFileError(f"{where}: [{key}] is not a detector parameter with a 'value' (known: {sorted(known)})")
        kwargs[key] = entry["value"]
        if key == "material" and "density_kg_m3" in entry:
            kwargs["density_kg_m3"] = float(entry["density_kg_m3"])
        sources.append((key, str(entry.get("source", where))))
    return CdZnTeDetector(**kwargs, sources=tuple(sources)).with_(**overrides)


def hexitec(**overrides) -> CdZnTeDetector:
    """The packaged HEXITEC CdZnTe parameters (Huang et al., J. Phys. Energy 2025 set-up)."""
    return detector_from_file(None, **overrides)
