"""Shot-noise-limited magnetic sensitivity η (T Hz^-1/2) of CW and pulsed NV magnetometry.

Rates in counts/s, times in s, frequencies and linewidths in Hz, contrast as a fraction in (0, 1).
The formulas follow Dréau et al., Phys. Rev. B 84, 195204 (2011) (CW-ODMR) and Barry et al., Rev.
Mod. Phys. 92, 015004 (2020) (Ramsey, Hahn echo / dynamical decoupling), with γ_e in Hz/T so that a
field B shifts a line by γ_e B and a phase 2π γ_e B τ accumulates in a free precession time τ. Pollok et
al., Nat. Commun. 2025 quote ~1 µT Hz^-1/2 (CW) and ~50 nT at 1 s (pulsed) for scanning NV magnetometry.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_choice, check_positive, check_range
from ..errors import InputError
from .constants import GAMMA_E

# Peak slope of a unit-depth dip of FWHM Δν is k/Δν, with k = 3√3/4 (Lorentzian) and
# sqrt(8 ln2 / e) (Gaussian); the CW sensitivity carries the inverse P_F = 1/k (Dréau et al. 2011).
MAX_SLOPE = {
    "lorentzian": 3.0 * np.sqrt(3.0) / 4.0,
    "gaussian": float(np.sqrt(8 * np.log(2) / np.e)),
}


def check_odmr_parameters(count_rate=None, contrast=None, linewidth=None):
    """Validate the common ODMR parameters (any may be None) and return them as floats."""
    out = []
    if count_rate is not None:
        out.append(check_positive("count_rate", count_rate, unit="counts/s"))
    if contrast is not None:
        out.append(check_range("contrast", contrast, 0.0, 1.0, inclusive=(False, False)))
    if linewidth is not None:
        out.append(check_positive("linewidth", linewidth, unit="Hz"))
    return out


def cw_sensitivity(count_rate, contrast, linewidth, shape: str = "lorentzian") -> float:
    """η_CW = Δν / (k γ_e C sqrt(R)) in T Hz^-1/2: reading the fluorescence at the steepest point of
    the dip, photon shot noise sqrt(R t) against a slope R t C k/Δν (Dréau et al. 2011, eq. 3)."""
    check_choice("shape", shape, tuple(MAX_SLOPE))
    rate, c, width = check_odmr_parameters(count_rate, contrast, linewidth)
    return width / (MAX_SLOPE[shape] * GAMMA_E * c * np.sqrt(rate))


def power_broadened_line(rabi_frequency, intrinsic_linewidth, saturation_rabi, max_contrast):
    """CW line under microwave drive of Rabi frequency Ω (Hz): steady-state Bloch solution with
    saturation parameter s = (Ω/Ω_sat)², Ω_sat = 1/(2π sqrt(T1 T2)):
    FWHM Δν = Δν₀ sqrt(1 + s) and contrast C = C_max s / (1 + s). Returns (linewidth, contrast).

    η ∝ Δν / C ∝ (1 + s)^{3/2} / s is smallest at s = 2 (see :func:`optimal_rabi_frequency`).
    """
    omega = check_positive("rabi_frequency", rabi_frequency, allow_zero=True, unit="Hz")
    width0 = check_positive("intrinsic_linewidth", intrinsic_linewidth, unit="Hz")
    sat = check_positive("saturation_rabi", saturation_rabi, unit="Hz")
    cmax = check_range("max_contrast", max_contrast, 0.0, 1.0, inclusive=(False, False))
    s = (omega / sat) ** 2
    return width0 * np.sqrt(1.0 + s), cmax * s / (1.0 + s)


def optimal_rabi_frequency(saturation_rabi) -> float:
    """Rabi frequency (Hz) that minimises η_CW for :func:`power_broadened_line`: Ω = √2 Ω_sat."""
    return float(np.sqrt(2.0)) * check_positive("saturation_rabi", saturation_rabi, unit="Hz")


def readout_contrast_factor(photons_bright, photons_dark) -> float:
    """Spin-readout fidelity factor 𝒞 = (1 + 2(a₀ + a₁)/(a₀ - a₁)²)^{-1/2} from the mean photons per
    readout of m_s = 0 (a₀) and m_s = ±1 (a₁) (Barry et al. 2020, eq. 16); 𝒞 = 1 is perfect
    readout.
    """
    a0 = check_positive("photons_bright", photons_bright)
    a1 = check_positive("photons_dark", photons_dark, allow_zero=True)
    if a1 >= a0:
        raise InputError(f"photons_dark: must be < photons_bright ({a0!r}), got {a1!r}")
    return float(1.0 / np.sqrt(1.0 + 2.0 * (a0 + a1) / (a0 - a1) ** 2))


def ramsey_sensitivity(
    readout_factor, t2_star, free_precession=None, overhead=2e-6, stretch: float = 1.0
) -> float:
    """η_Ramsey = sqrt(τ + t_O) e^{(τ/T2*)^p} / (2π γ_e 𝒞 τ) in T Hz^-1/2 (Barry et al. 2020,
    eq. 27). τ defaults to T2*/2 (near optimal for p = 1); ``overhead`` t_O = initialisation +
    readout time per shot (s); ``stretch`` p is the decay exponent.
    """
    c = check_range("readout_factor", readout_factor, 0.0, 1.0, inclusive=(False, True))
    t2s = check_positive("t2_star", t2_star, unit="s")
    tau = (
        0.5 * t2s if free_precession is None else check_positive("free_precession", free_precession)
    )
    t_o = check_positive("overhead", overhead, allow_zero=True, unit="s")
    return float(
        np.sqrt(tau + t_o) * np.exp((tau / t2s) ** stretch) / (2 * np.pi * GAMMA_E * c * tau)
    )


def echo_sensitivity(
    readout_factor, t2, ac_frequency, n_pulses: int = 1, overhead=2e-6, stretch: float = 1.0
) -> float:
    """AC sensitivity (amplitude of a sinusoidal field at ``ac_frequency``, Hz) of Hahn echo
    (n_pulses = 1) or CPMG-n: the precession time τ = n/(2 f_ac) is locked to the signal and the
    sinusoid averages to 2/π of its amplitude, η_AC = (π/2) sqrt(τ + t_O) e^{(τ/T2)^p}/(2π γ_e 𝒞 τ)
    (Barry et al. 2020, eq. 35).
    """
    c = check_range("readout_factor", readout_factor, 0.0, 1.0, inclusive=(False, True))
    t2_ = check_positive("t2", t2, unit="s")
    f_ac = check_positive("ac_frequency", ac_frequency, unit="Hz")
    n = int(check_positive("n_pulses", n_pulses))
    t_o = check_positive("overhead", overhead, allow_zero=True, unit="s")
    tau = n / (2.0 * f_ac)
    return float(
        0.5
        * np.pi
        * np.sqrt(tau + t_o)
        * np.exp((tau / t2_) ** stretch)
        / (2 * np.pi * GAMMA_E * c * tau)
    )


def lockin_sensitivity(dc_sensitivity) -> float:
    """Amplitude sensitivity of a sinusoidal field detected by lock-in demodulation of a CW signal:
    the in-phase estimate (2/T)∫ s(t) sin(ωt) dt has noise √2 η/√T, so η_AC = √2 η_DC."""
    return float(np.sqrt(2.0)) * check_positive("dc_sensitivity", dc_sensitivity, unit="T/Hz^0.5")


def field_noise(sensitivity, integration_time):
    """Standard deviation (T) of a field measured for ``integration_time`` (s): η / sqrt(t)."""
    eta = check_positive("sensitivity", sensitivity, unit="T/Hz^0.5")
    t = np.asarray(integration_time, dtype=float)
    if np.any(~np.isfinite(t)) or np.any(t <= 0):
        raise InputError("integration_time: every value must be a finite time > 0 s")
    return eta / np.sqrt(t)


def integration_time(signal, sensitivity, target_snr=1.0):
    """Time (s) to reach SNR = |signal| / (η/√t) = target: t = (target η / signal)²."""
    eta = check_positive("sensitivity", sensitivity, unit="T/Hz^0.5")
    snr = check_positive("target_snr", target_snr)
    s = np.abs(np.asarray(signal, dtype=float))
    if np.any(~np.isfinite(s)) or np.any(s == 0):
        raise InputError("signal: every value must be a finite, non-zero field (T)")
    return (snr * eta / s) ** 2
