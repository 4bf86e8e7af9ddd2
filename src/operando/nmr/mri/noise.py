"""Thermal noise of an MRI acquisition, on the scale of the NMR planner
(:mod:`operando.nmr.feasibility`).

The planner's reference: one scan of ``REFERENCE_SPINS`` ¹H-equivalent spins in a 1 ppm line at
14.1 T has a peak SNR of ``REFERENCE_SNR``; noise per point of that spectrum is the noise of a
1-ppm bandwidth. A k-space sample taken with the receiver bandwidth BW (Hz) then carries complex
Gaussian noise of standard deviation::

    σ_k = REFERENCE_SPINS / SNR_ref · (14.1 T / B0)^{3/2} · sqrt(BW / (1 ppm · ν0))

per average (÷ √averages). After the FFT (normalised so a voxel reads its spins) the image noise
is ``σ_k / sqrt(N_samples · averages)``: SNR ∝ spins per voxel × √(total sampling time), the usual
MRI scaling. Calibrate ``reference_snr`` with one measured spectrum before trusting absolute SNRs.
"""

from __future__ import annotations

import numpy as np

from ..._checks import check_positive
from ..feasibility import REFERENCE_FIELD, REFERENCE_SNR, REFERENCE_SPINS
from .protocol import Protocol

__all__ = ["add_noise", "image_noise", "sample_noise"]


def _bandwidth(protocol: Protocol) -> float:
    return 1.0 / protocol.dwell if protocol.sequence == "csi" else protocol.bandwidth


def sample_noise(protocol: Protocol, reference_snr: float = REFERENCE_SNR) -> float:
    """σ of one k-space sample after all averages (¹H-equivalent spins)."""
    snr = check_positive("reference_snr", reference_snr)
    ppm_hz = 1e-6 * protocol.larmor
    sigma = (REFERENCE_SPINS / snr * (REFERENCE_FIELD / protocol.field) ** 1.5
             * np.sqrt(_bandwidth(protocol) / ppm_hz))
    return float(sigma / np.sqrt(protocol.averages))


def image_noise(protocol: Protocol, reference_snr: float = REFERENCE_SNR) -> float:
    """Complex σ of one image voxel (¹H-equivalent spins; E|n|² = σ², each part σ/√2)."""
    n = int(np.prod(protocol.matrix)) * (protocol.spectral_points if protocol.sequence == "csi" else 1)
    return sample_noise(protocol, reference_snr) / np.sqrt(n)


def add_noise(data, protocol: Protocol, *, reference_snr: float = REFERENCE_SNR, seed=0) -> np.ndarray:
    """``data`` plus complex Gaussian noise of :func:`sample_noise` σ per sample (each part σ/√2),
    drawn from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    sigma = sample_noise(protocol, reference_snr)
    d = np.asarray(data, complex)
    return d + sigma * (rng.standard_normal(d.shape) + 1j * rng.standard_normal(d.shape)) / np.sqrt(2)
