"""Butler–Volmer kinetics on interface faces, with the half-voxel ohmic drops solved in series.

A reaction face joins an electrode voxel (potential φ_e) and an electrolyte voxel (φ_i). The face
current density (A/m², positive = anodic, i.e. from the electrode into the electrolyte) obeys

    i = i0 [exp(α_a f η) - exp(-α_c f η)],   η = φ_e - φ_i - U - i r,   f = F / (R T),

where ``r = d/(2σ_e) + d/(2σ_i)`` (Ω m²) is the resistance of the two half voxels between the
centres and the interface — the same half-voxel resistors the ohmic faces use, so the
discretisation is consistent. The implicit equation is solved per face (vectorised Newton).
"""

from __future__ import annotations

import numpy as np
from scipy.constants import R, physical_constants

FARADAY = physical_constants["Faraday constant"][0]


def butler_volmer(eta, i0, f, alpha_a=0.5, alpha_c=0.5):
    """Current density (A/m²) and its derivative d i / d η for overpotential ``eta`` (V)."""
    ea = np.exp(np.clip(alpha_a * f * eta, -700, 700))
    ec = np.exp(np.clip(-alpha_c * f * eta, -700, 700))
    return i0 * (ea - ec), i0 * f * (alpha_a * ea + alpha_c * ec)


def face_current(drive, i0, r, f, alpha_a=0.5, alpha_c=0.5, iterations=60):
    """Solve ``η + r·BV(η) = drive`` for each face; returns (i, d i / d drive).

    drive = φ_e - φ_i - U (V); i0 (A/m²) and r (Ω m²) broadcast against it. The root lies
    between 0 and ``drive``; starting from the linearised root (which lies beyond it) Newton
    on this monotone convex/concave function converges without overshoot.
    """
    drive = np.asarray(drive, dtype=float)
    slope0 = i0 * f * (alpha_a + alpha_c)
    eta = drive / (1.0 + r * slope0)
    for _ in range(iterations):
        i, di = butler_volmer(eta, i0, f, alpha_a, alpha_c)
        h = eta + r * i - drive
        step = h / (1.0 + r * di)
        eta = eta - step
        lo, hi = np.minimum(0.0, drive), np.maximum(0.0, drive)
        eta = np.clip(eta, lo, hi)
        if np.all(np.abs(step) <= 1e-13 + 1e-12 * np.abs(eta)):
            break
    i, di = butler_volmer(eta, i0, f, alpha_a, alpha_c)
    return i, di / (1.0 + r * di)


def thermal_factor(temperature: float) -> float:
    """f = F / (R T) in 1/V."""
    return FARADAY / (R * temperature)
