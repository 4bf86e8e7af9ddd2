"""The energy-to-momentum ratio (EMR) of a Compton spectrum, with its Poisson uncertainty.

Huang et al., J. Phys. Energy 2025 : EMR = counts with |p_z| < 1 a.u. over counts with
1 < |p_z| < 5 a.u., p_z from the scattered energy by their Eq. 5 (:func:`~.kinematics.momentum_pz`).
A bin belongs to a window when its centre's p_z does. Spectra carry energy on their last axis, so a
whole 80 × 80 × 2048 detector cube is one call. Errors propagate from the bin variances
(Poisson: variance = counts, unless a decomposed spectrum brings its own):
σ_EMR² = EMR² (var_low / N_low² + var_high / N_high²).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_float_array
from ..errors import InputError
from .kinematics import momentum_pz

__all__ = ["HIGH_WINDOW_AU", "LOW_WINDOW_AU", "EMRResult", "emr", "window_masks"]

#: |p_z| windows of the EMR, atomic units (Huang et al., J. Phys. Energy 2025).
LOW_WINDOW_AU = (0.0, 1.0)
HIGH_WINDOW_AU = (1.0, 5.0)


@dataclass(frozen=True)
class EMRResult:
    """EMR per spectrum (shape of the spectra without the energy axis) with its 1σ error."""

    value: np.ndarray
    sigma: np.ndarray
    low_counts: np.ndarray
    high_counts: np.ndarray


def _bin_centres(energies_eV, n_bins: int) -> np.ndarray:
    e = as_float_array("energies_eV", energies_eV, ndim=1)
    if e.size == n_bins + 1:
        e = 0.5 * (e[1:] + e[:-1])
    if e.size != n_bins:
        raise InputError(
            f"energies_eV: expected {n_bins} bin centres or {n_bins + 1} edges to match the spectra's "
            f"last axis, got {e.size}"
        )
    if np.any(np.diff(e) <= 0):
        raise InputError("energies_eV: must increase strictly")
    return e


def window_masks(energies_eV, incident_eV: float, theta, *, low=LOW_WINDOW_AU, high=HIGH_WINDOW_AU):
    """Boolean masks (low, high) over energy bins (broadcast with ``theta[..., None]``)."""
    if not (0 <= low[0] < low[1] <= high[0] < high[1]):
        raise InputError(f"low, high: windows must satisfy 0 ≤ low0 < low1 ≤ high0 < high1 a.u., got {low}, {high}")
    pz = np.abs(momentum_pz(incident_eV, energies_eV, np.asarray(theta, dtype=float)[..., None]))
    return (pz >= low[0]) & (pz < low[1]), (pz > high[0]) & (pz < high[1])


def emr(counts, energies_eV, incident_eV: float = 115e3, theta=np.pi / 2, *, variance=None,
        low=LOW_WINDOW_AU, high=HIGH_WINDOW_AU) -> EMRResult:
    """EMR of spectra ``counts`` (..., n_bins) on bins ``energies_eV`` (centres or edges, eV).

    ``theta`` (rad) may vary per spectrum (shape broadcast with ``counts.shape[:-1]``).
    ``variance``: per-bin variances (default: the counts, Poisson). Spectra with an empty window
    give NaN.
    """
    c = as_float_array("counts", counts)
    if c.ndim < 1:
        raise InputError("counts: expected spectra with energy on the last axis, got a scalar")
    if variance is None:
        if np.any(c < 0):
            raise InputError(f"counts: detector counts must be >= 0; got min {c.min()!r}")
        var = c
    else:
        var = as_float_array("variance", variance)
        if var.shape != c.shape or np.any(var < 0):
            raise InputError(f"variance: must be >= 0 with the shape of counts {c.shape}, got {var.shape}")
    centres = _bin_centres(energies_eV, c.shape[-1])
    lo_mask, hi_mask = window_masks(centres, incident_eV, theta, low=low, high=high)
    n_lo, n_hi = np.sum(c * lo_mask, axis=-1), np.sum(c * hi_mask, axis=-1)
    v_lo, v_hi = np.sum(var * lo_mask, axis=-1), np.sum(var * hi_mask, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((n_hi > 0) & (n_lo > 0), n_lo / n_hi, np.nan)
        sigma = np.abs(ratio) * np.sqrt(v_lo / n_lo**2 + v_hi / n_hi**2)
    return EMRResult(ratio, sigma, n_lo, n_hi)
