"""Compton kinematics and free-electron cross sections (vectorized closed forms).

- :func:`compton_energy` — Huang et al., J. Phys. Energy 2025, Eq. 4: λ' − λ = (h/mc)(1 − cos θ).
- :func:`momentum_pz` — Eq. 5 of the same paper: the electron momentum projected on the scattering
  vector, from the incident and scattered energies (impulse approximation), in atomic units.
- :func:`scattered_energy` — the exact inverse of Eq. 5 (a quadratic in E2, solved in closed form).
- :func:`klein_nishina` — the Klein–Nishina differential cross section, unpolarized or for a linearly
  polarized beam (synchrotron light) at azimuth φ between the scattering plane and the polarization.
- :func:`window_energies` — the energy edges of p_z windows (the EMR windows in keV).

Energies are in eV, angles in radians, cross sections in m² sr⁻¹ per electron. xraylib has the
Klein–Nishina formula (``DCS_KN``) for scalars only and has no p_z; these are one-line array forms,
checked against xraylib in the tests.
"""

from __future__ import annotations

import numpy as np
from scipy.constants import physical_constants

from .._checks import as_float_array
from ..errors import InputError

__all__ = [
    "MC2_EV",
    "PZ_AU_PER_MC",
    "R_E",
    "compton_energy",
    "klein_nishina",
    "momentum_pz",
    "scattered_energy",
    "thomson",
    "window_energies",
]

#: Electron rest energy m c² in eV.
MC2_EV = physical_constants["electron mass energy equivalent in MeV"][0] * 1e6
#: m c in atomic units of momentum (= 1/α ≈ 137.036).
PZ_AU_PER_MC = 1.0 / physical_constants["fine-structure constant"][0]
#: Classical electron radius in m.
R_E = physical_constants["classical electron radius"][0]


def _energy(name: str, value) -> np.ndarray:
    e = as_float_array(name, value)
    if np.any(e <= 0):
        raise InputError(f"{name}: photon energies must be > 0 eV; got min {e.min()!r}")
    return e


def _angle(theta) -> np.ndarray:
    t = as_float_array("theta", theta)
    if np.any((t <= 0) | (t > np.pi)):
        raise InputError(
            f"theta: scattering angle must lie in (0, π] rad (0–180°); got range [{t.min():g}, {t.max():g}] rad"
        )
    return t


def compton_energy(energy_eV, theta) -> np.ndarray:
    """Energy (eV) scattered by a free electron at rest: E1 / (1 + (E1/mc²)(1 − cos θ)) — Eq. 4."""
    e1, t = _energy("energy_eV", energy_eV), _angle(theta)
    return e1 / (1.0 + (e1 / MC2_EV) * (1.0 - np.cos(t)))


def momentum_pz(incident_eV, scattered_eV, theta) -> np.ndarray:
    """Projected electron momentum p_z (atomic units) of a photon scattered from E1 to E2 at θ — Eq. 5.

    p_z / mc = (E2 − E1 + E1 E2 (1 − cos θ)/mc²) / sqrt(E1² + E2² − 2 E1 E2 cos θ).
    """
    e1, e2, t = _energy("incident_eV", incident_eV), _energy("scattered_eV", scattered_eV), _angle(theta)
    c = np.cos(t)
    num = e2 - e1 + e1 * e2 * (1.0 - c) / MC2_EV
    return PZ_AU_PER_MC * num / np.sqrt(e1**2 + e2**2 - 2.0 * e1 * e2 * c)


def scattered_energy(incident_eV, pz_au, theta) -> np.ndarray:
    """Inverse of :func:`momentum_pz`: the scattered energy E2 (eV) for a given p_z (a.u.).

    With k = E/mc², q = p_z/mc, a = 1 + k1(1 − cos θ), Eq. 5 squared is the quadratic
    (a² − q²) k2² − 2 k1 (a − q² cos θ) k2 + k1² (1 − q²) = 0, whose root with the sign of q is
    k2 = k1 [a − q² cos θ + q sqrt(a² − 2a cos θ + 1 − q² sin² θ)] / (a² − q²).
    """
    e1, t = _energy("incident_eV", incident_eV), _angle(theta)
    q = as_float_array("pz_au", pz_au) / PZ_AU_PER_MC
    if np.any(np.abs(q) >= 1):
        worst = np.abs(q).max() * PZ_AU_PER_MC
        raise InputError(f"pz_au: |p_z| must be < mc = {PZ_AU_PER_MC:.3f} a.u.; got max {worst!r}")
    k1, c = e1 / MC2_EV, np.cos(t)
    a = 1.0 + k1 * (1.0 - c)
    disc = a**2 - 2.0 * a * c + 1.0 - q**2 * (1.0 - c**2)
    k2 = k1 * (a - q**2 * c + q * np.sqrt(disc)) / (a**2 - q**2)
    return k2 * MC2_EV


def window_energies(incident_eV, theta, pz_edges_au) -> np.ndarray:
    """Scattered energies (eV) of p_z window edges, e.g. ``[-5, -1, 1, 5]`` a.u. → four energies."""
    return scattered_energy(incident_eV, np.asarray(pz_edges_au, dtype=float), theta)


def thomson(theta, phi=None) -> np.ndarray:
    """Thomson cross section per electron (m² sr⁻¹): r_e² (1 + cos² θ)/2 unpolarized, or
    r_e² (1 − sin² θ cos² φ) for a beam linearly polarized at azimuth φ to the scattering plane."""
    t = _angle(theta)
    if phi is None:
        return R_E**2 * 0.5 * (1.0 + np.cos(t) ** 2)
    return R_E**2 * (1.0 - np.sin(t) ** 2 * np.cos(np.asarray(phi, dtype=float)) ** 2)


def klein_nishina(incident_eV, theta, scattered_eV=None, phi=None) -> np.ndarray:
    """Klein–Nishina cross section per electron (m² sr⁻¹).

    dσ/dΩ = (r_e²/2) (E2/E1)² (E2/E1 + E1/E2 − 2 sin² θ cos² φ); unpolarized (``phi=None``) averages
    cos² φ to 1/2. ``scattered_eV`` defaults to the Compton energy; giving it evaluates the
    impulse-approximation factor at a Doppler-shifted E2.
    """
    e1, t = _energy("incident_eV", incident_eV), _angle(theta)
    e2 = compton_energy(e1, t) if scattered_eV is None else _energy("scattered_eV", scattered_eV)
    r = e2 / e1
    cos2phi = 0.5 if phi is None else np.cos(np.asarray(phi, dtype=float)) ** 2
    return 0.5 * R_E**2 * r**2 * (r + 1.0 / r - 2.0 * np.sin(t) ** 2 * cos2phi)
