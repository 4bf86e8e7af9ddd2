"""Filtered back-projection (FBP) of parallel-beam sinograms, with ramp and apodised filters.

f(x, y) = ∫₀^π (p_θ ∗ h)(x cos θ + y sin θ) dθ, with h the ramp filter |ν| built from its
band-limited spatial kernel (h(0) = 1/4, h(n odd) = −1/(πn)², Kak & Slaney 1988 Eq. 3.61 — no DC
offset, unlike a sampled |ν|), optionally apodised by a Shepp–Logan, cosine, Hann or Hamming window;
the θ integral uses per-angle weights (:func:`.geometry.angular_weights`), so 360° scans and
uneven angle sets are weighted correctly. Filtering runs on all sinograms at once with
``scipy.fft``; back-projection is the compiled pixel-driven kernel of :mod:`._kernels`
(scikit-image's ``iradon`` back-projects one slice on one core in Python; it is the peer in
``benchmarks/bench_ct.py``).
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from ..._checks import check_choice, check_positive
from . import _kernels
from .geometry import angular_weights, check_angles, check_sinogram
from .projector import detector_center

FILTERS = ("ramp", "shepp-logan", "cosine", "hann", "hamming")


def ramp_filter(n_det: int, filter: str = "ramp") -> np.ndarray:
    """Frequency response (real, length of the zero-padded FFT) of the apodised ramp filter.

    Frequencies in cycles per detector bin (Nyquist 0.5, where the ramp is 0.5); the pad is the
    next fast length ≥ 2·n_det, which keeps the circular convolution from wrapping.
    """
    check_choice("filter", filter, FILTERS)
    size = sfft.next_fast_len(2 * int(n_det))
    n = np.rint(np.fft.fftfreq(size) * size).astype(np.int64)  # signed integer offsets
    h = np.zeros(size)
    h[0] = 0.25
    odd = (np.abs(n) % 2) == 1
    h[odd] = -1.0 / (np.pi * n[odd].astype(float)) ** 2
    response = np.real(sfft.fft(h))
    nu = np.fft.fftfreq(size)
    window = {
        "ramp": np.ones(size),
        "shepp-logan": np.sinc(nu),
        "cosine": np.cos(np.pi * nu),
        "hann": 0.5 * (1 + np.cos(2 * np.pi * nu)),
        "hamming": 0.54 + 0.46 * np.cos(2 * np.pi * nu),
    }[filter]
    return response * window


def filter_sinogram(sinogram, filter: str = "ramp") -> np.ndarray:
    """Convolve every projection (last axis) with the ramp filter; same shape, per detector bin."""
    s = np.asarray(sinogram, dtype=float)
    nd = s.shape[-1]
    response = ramp_filter(nd, filter)
    spec = sfft.rfft(s, n=response.size, axis=-1, workers=-1)
    spec *= response[: spec.shape[-1]]
    return sfft.irfft(spec, n=response.size, axis=-1, workers=-1)[..., :nd]


def fbp(sinogram, angles, pixel: float = 1.0, *, filter: str = "ramp", shape=None, center=None,
        circle: bool = False) -> np.ndarray:
    """Reconstruct μ from line integrals.

    Parameters
    ----------
    sinogram : (n_angles, n_det) or (nz, n_angles, n_det), dimensionless ∫ μ dl.
    angles : (n_angles,) rad, covering a half turn (InputError otherwise).
    pixel : detector bin = reconstructed pixel size, m; μ comes back in 1/m.
    filter : one of :data:`FILTERS`.
    shape : (ny, nx) of the slice; by default the largest square inside the detector's reach.
    center : detector index of the rotation axis (default the middle).
    circle : zero outside the circle seen at every angle.

    Returns
    -------
    (ny, nx) or (nz, ny, nx), 1/m.
    """
    th = check_angles(angles)
    s = check_sinogram(sinogram, th)
    d = check_positive("pixel", pixel, unit="m")
    single = s.ndim == 2
    s3 = s[None] if single else s
    nd = s3.shape[-1]
    if shape is None:
        side = max(1, int(np.floor((nd - 1) / np.sqrt(2))))
        shape = (side, side)
    q = filter_sinogram(s3, filter)
    img = _kernels.backproject(q, np.cos(th), np.sin(th), angular_weights(th),
                               detector_center(nd, center), shape) / d
    if circle:
        img *= circle_mask(shape, nd)
    return img[0] if single else img


def circle_mask(shape, n_det: int) -> np.ndarray:
    """Pixels (ny, nx) whose every projection falls on the detector."""
    ny, nx = shape[-2:]
    y = np.arange(ny) - 0.5 * (ny - 1)
    x = np.arange(nx) - 0.5 * (nx - 1)
    return np.hypot(y[:, None], x[None, :]) <= 0.5 * (n_det - 1)
