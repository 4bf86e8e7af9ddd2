"""Noise propagated to a reconstruction: exact for linear Fourier filters, sampled for solvers.

Fourier filters: for white noise of standard deviation σ on each measured pixel, the output
r = h ⊛ n has variance Var r(p) = σ² Σ_q∈map |h(p − q)|², i.e. the filter's power |h|² convolved
with the indicator of the measured pixels (equal to σ² · mean_k |H(k)|² away from the edges;
lower near the edges, where the zero padding carries no noise). This is one FFT convolution.

Iterative solvers are not linear in general (and their weight depends on the data), so their
uncertainty is the spread over Monte-Carlo noise realisations added to the model prediction.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft as sfft

from .._checks import check_positive
from ..errors import InputError
from ._spectral import SpectralGrid


def filter_noise_std(spec: SpectralGrid, H: np.ndarray, noise_sigma: float) -> np.ndarray:
    """Std map ``(ny, nx)`` of the output of filter(s) ``H`` for white noise σ (T) on each map.

    ``H``: (nyp, nxp) for one input map or (n_maps, nyp, nxp) for several maps with independent
    noise of the same σ (their variances add).
    """
    noise_sigma = check_positive("noise_sigma", noise_sigma, allow_zero=True, unit="T")
    H = np.asarray(H)
    H = H[None] if H.ndim == 2 else H
    # r = ifft_u(H · fft_u(b)) = ifft(H · fft(b)): the impulse response is the plain ifft(H)
    power = np.sum(sfft.irfft2(H, s=spec.padded, workers=-1) ** 2, axis=0)
    indicator = np.zeros(spec.padded)
    indicator[: spec.shape[0], : spec.shape[1]] = 1.0
    var = sfft.irfft2(sfft.rfft2(power, workers=-1) * sfft.rfft2(indicator, workers=-1),
                      s=spec.padded, workers=-1)
    var = np.clip(var[: spec.shape[0], : spec.shape[1]], 0.0, None)
    return noise_sigma * np.sqrt(var)


def monte_carlo_std(
    solve: Callable[[np.ndarray], np.ndarray],
    prediction: np.ndarray,
    noise_sigma: float,
    n_samples: int = 8,
    seed: int = 0,
) -> np.ndarray:
    """Pixel-wise standard deviation of ``solve(prediction + noise)`` over ``n_samples`` draws.

    ``prediction`` is the noise-free data the model explains (the forward operator applied to the
    solution); ``solve`` maps data to a reconstruction of any shape.
    """
    noise_sigma = check_positive("noise_sigma", noise_sigma, unit="T")
    if int(n_samples) < 2:
        raise InputError(f"n_samples: must be >= 2 to estimate a spread, got {n_samples}")
    rng = np.random.default_rng(seed)
    draws = np.stack([solve(prediction + rng.normal(0.0, noise_sigma, prediction.shape))
                      for _ in range(n_samples)])
    return draws.std(axis=0, ddof=1)
