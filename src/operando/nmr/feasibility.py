"""Is a metal deposit visible by NMR, and how long to average? SNR and time from receptivity ×
spins × skin-depth factor × hardware attenuation × averages.

Signal-to-noise of one scan::

    SNR_1 = SNR_ref · (N · R / N_ref) · (B0 / 14.1 T)^{3/2} · f_skin · (1 - a_foil) · (w_ref / w)

N nuclei of the isotope, R their receptivity per nucleus relative to ¹H, f_skin the fraction of
the deposit the RF reaches (small-flip reciprocity weight of a film of thickness t reached from
``faces`` sides: ``|δ/(2(1+i)) (1 - exp(-2(1+i) t_face/δ))| / t_face``), a_foil the amplitude lost
in hardware on the way out (the pulse is recalibrated, so only reception loses), w the line width
(the peak height falls as 1/w). SNR grows as √(averages); time = averages × recycle delay.

The reference ``SNR_ref`` (per scan, for ``N_ref`` = 1 µmol of ¹H-equivalent spins in a 1 ppm
line at 14.1 T) is an assumption of order a room-temperature solid-state probe; calibrate it with
one measured spectrum (``reference_snr=``) before trusting absolute times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.constants import N_A

from .. import materials
from .._checks import check_positive
from ..errors import InputError
from .nuclei import field_of_spectrometer, larmor_frequency, nucleus, receptivity
from .skin import foil_attenuation, metal_names, skin_depth_of
from .spectra import MATERIAL_SPECIES, _molar_volume

__all__ = ["NMRPlan", "plan", "skin_fraction"]

REFERENCE_SNR = 100.0  # per scan, 1 µmol ¹H-equivalent, 1 ppm line, 14.1 T (assumption)
REFERENCE_SPINS = 1e-6 * N_A
REFERENCE_FIELD = 14.1  # T


def skin_fraction(thickness: float, delta: float, faces: int = 2) -> float:
    """Fraction of a metal film's spins counted at full weight (small flip angle; see module)."""
    t = check_positive("thickness", thickness, unit="m")
    d = check_positive("delta", delta, unit="m")
    if faces not in (1, 2):
        raise InputError(f"faces: the RF reaches the film from 1 or 2 sides, got {faces!r}")
    tf = t / faces
    k = 2 * (1 + 1j) / d
    return float(abs(-np.expm1(-k * tf) / k) / tf)


@dataclass(frozen=True)
class NMRPlan:
    nucleus: str
    field: float
    larmor_frequency: float
    spins: float
    skin_depth: float
    skin_fraction: float
    foil_loss: float
    snr_per_scan: float
    averages: float
    time: float
    target_snr: float

    def report(self) -> str:
        return "\n".join([
            f"{self.nucleus} at {self.field:.2f} T ({self.larmor_frequency / 1e6:.2f} MHz)",
            f"  nuclei in the deposit     {self.spins:.3g}",
            f"  skin depth                {self.skin_depth * 1e6:.2f} um; fraction seen {self.skin_fraction:.3f}",
            f"  hardware loss             {100 * self.foil_loss:.1f} %",
            f"  SNR per scan              {self.snr_per_scan:.3g}",
            f"  scans for SNR {self.target_snr:g}        {self.averages:.3g}",
            f"  time                      {self.time:.3g} s ({self.time / 3600:.3g} h)",
        ])


def plan(volume: float, thickness: float, *, nucleus_name: str = "7Li", material: str = "Li", field=None,
         spectrometer=None, abundance: float | None = None, linewidth: float = 1.0, recycle_delay: float = 1.0,
         target_snr: float = 10.0, foil_thickness: float = 0.0, foil_metal: str = "Al", faces: int = 2,
         reference_snr: float = REFERENCE_SNR) -> NMRPlan:
    """SNR per scan, scans and time to reach ``target_snr`` for a metal deposit of ``volume`` (m³)
    made of films ``thickness`` (m) thick; see the module for the model and its reference."""
    v = check_positive("volume", volume, unit="m^3")
    n = nucleus(nucleus_name)
    b0 = field_of_spectrometer(spectrometer) if field is None else check_positive("field", field, unit="T")
    nu0 = larmor_frequency(n, b0)
    entry = MATERIAL_SPECIES.get(material)
    if entry is None or n.element not in entry[1]:
        raise InputError(f"material: {material!r} holds no {n.element}; known: {', '.join(MATERIAL_SPECIES)}")
    frac = n.abundance if abundance is None else check_positive("abundance", abundance)
    if frac > 1:
        raise InputError(f"abundance: isotope fraction must lie in [0, 1], got {abundance!r}")
    spins = v * entry[1][n.element] * N_A / _molar_volume(materials.get(material)) * frac
    delta = skin_depth_of(material, None, frequency=nu0) if material in metal_names() else np.inf
    f_skin = skin_fraction(thickness, delta, faces) if np.isfinite(delta) else 1.0
    loss = foil_attenuation(foil_thickness, foil_metal, nu0)
    w = check_positive("linewidth", linewidth, unit="ppm")
    snr1 = (check_positive("reference_snr", reference_snr) * spins * receptivity(n) / REFERENCE_SPINS
            * (b0 / REFERENCE_FIELD) ** 1.5 * f_skin * (1 - loss) / w)
    target = check_positive("target_snr", target_snr)
    scans = max(1.0, float(np.ceil((target / snr1) ** 2))) if snr1 > 0 else np.inf
    tr = check_positive("recycle_delay", recycle_delay, unit="s")
    return NMRPlan(n.name, b0, nu0, spins, delta, f_skin, loss, snr1, scans, scans * tr, target)
