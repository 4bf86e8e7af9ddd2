"""Automatic regularisation weight: discrepancy principle and L-curve, plus a noise estimate.

Both criteria need the residual ‖A x_λ − b‖ and the penalty ‖L x_λ‖ for many λ. They are
evaluated in the circulant approximation of the operator (the crop to the field of view is
dropped and the zero-padded data taken as given), where the Tikhonov solution is diagonal in k
and every λ costs a few array operations: per wavenumber the (n_heights × n_layers) transfer
matrix G_k = U S Vᴴ gives the filter factors f_i = s_i² / (s_i² + λ ℓ(k)), with ℓ(k) the
penalty's symbol. The exact solver then refines the discrepancy weight with a few secant steps.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy.optimize import brentq

from ..errors import InputError


class CirculantTikhonov:
    """Residual and penalty norms of the Tikhonov solution in the circulant approximation.

    G : (n_heights, n_layers, nyp, nxp) transfer functions; ell : (nyp, nxp) penalty symbol;
    data_hat : (n_heights, nyp, nxp) unitary spectrum of the padded data; weights : how many
    wavenumbers each stored one stands for (2 for the mirrored half of an rfft layout).
    """

    def __init__(self, G: np.ndarray, ell: np.ndarray, data_hat: np.ndarray, weights=1.0):
        Gk = np.moveaxis(G, (0, 1), (-2, -1)).reshape(-1, G.shape[0], G.shape[1])
        bk = np.moveaxis(data_hat, 0, -1).reshape(-1, G.shape[0])
        if G.shape[:2] == (1, 1):  # the common case, no SVD needed
            self.s2 = np.abs(Gk[:, 0, :]) ** 2
            self.beta2 = np.abs(bk) ** 2
            self.rest = np.zeros(len(bk))
        else:
            U, s, _ = np.linalg.svd(Gk, full_matrices=False)
            beta = np.einsum("kji,kj->ki", np.conj(U), bk)
            self.s2 = s**2
            self.beta2 = np.abs(beta) ** 2
            self.rest = np.sum(np.abs(bk) ** 2, axis=1) - self.beta2.sum(axis=1)
        self.ell = np.broadcast_to(ell, G.shape[2:]).reshape(-1, 1)
        # half-spectrum (rfft) layout: each stored wavenumber stands for one or two
        self.beta2 = self.beta2 * np.broadcast_to(weights, G.shape[2:]).reshape(-1, 1)
        self.rest = self.rest * np.broadcast_to(weights, G.shape[2:]).reshape(-1)
        # data at wavenumbers no source can produce (e.g. the map's mean for B_z of a sheet) are
        # left out of both norms: no weight changes their residual
        self.dead = self.s2 <= 1e-18 * self.s2.max()
        self.dead_norm = float(np.sqrt(np.sum(self.beta2[self.dead]) + np.sum(self.rest)))
        self.beta2 = np.where(self.dead, 0.0, self.beta2)
        self.rest = np.zeros_like(self.rest)

    def norms(self, lam: float) -> tuple[float, float]:
        """(‖residual‖, ‖L x‖) of the circulant Tikhonov solution for weight ``lam``."""
        den = self.s2 + lam * self.ell
        with np.errstate(divide="ignore", invalid="ignore"):
            res = np.where(den > 0, lam * self.ell / den, 1.0)
            sol = np.where(den > 0, np.sqrt(self.s2 * self.ell) / den, 0.0)
        r2 = np.sum(res**2 * self.beta2) + np.sum(self.rest)
        p2 = np.sum(sol**2 * self.beta2)
        return float(np.sqrt(max(r2, 0.0))), float(np.sqrt(p2))

    def scale(self) -> float:
        """A natural weight scale: max s² / max ℓ."""
        return float(self.s2.max() / max(self.ell.max(), 1e-300))


def discrepancy_weight(model: CirculantTikhonov, target: float) -> float:
    """λ with ‖residual(λ)‖ = ``target`` (the residual grows monotonically with λ).

    The residual counts only wavenumbers some source can produce (see :class:`CirculantTikhonov`).
    """
    lo, hi = np.log(model.scale()) - 80, np.log(model.scale()) + 20
    goal = float(target)
    f = lambda t: model.norms(np.exp(t))[0] - goal  # noqa: E731
    if f(hi) < 0:
        raise InputError(f"noise_sigma: the data norm is below the noise level (target residual "
                         f"{target:.3g}); nothing to reconstruct")
    if f(lo) > 0:
        return float(np.exp(lo))
    return float(np.exp(brentq(f, lo, hi, xtol=1e-3)))


def lcurve_weight(model: CirculantTikhonov, n: int = 60) -> tuple[float, np.ndarray]:
    """λ at the corner (maximum curvature) of the L-curve; also returns (λ, ‖r‖, ‖Lx‖) rows."""
    # below λ_lo every wavenumber is already fully inverted: the curve only has a second,
    # spurious corner there (noise amplification saturates), so the search starts above it
    ratio = (model.s2 / model.ell)[model.s2 > 0]
    lam_lo = float(np.quantile(ratio, 0.01))
    lams = np.logspace(np.log10(lam_lo), np.log10(model.scale() * 1e2), n)
    rows = np.array([(lam, *model.norms(lam)) for lam in lams])
    rho, eta = np.log(rows[:, 1]), np.log(np.maximum(rows[:, 2], 1e-300))
    t = np.log(lams)
    d1r, d1e = np.gradient(rho, t), np.gradient(eta, t)
    d2r, d2e = np.gradient(d1r, t), np.gradient(d1e, t)
    speed2 = d1r**2 + d1e**2
    kappa = (d1r * d2e - d2r * d1e) / np.maximum(speed2**1.5, 1e-300)
    # flat ends of the curve (λ far too small or large) have no corner, only round-off
    kappa[(speed2 < 1e-2 * speed2.max()) | (np.arange(n) < 2) | (np.arange(n) >= n - 2)] = -np.inf
    # of the pronounced corners (local maxima above half the largest), take the one at the
    # largest λ: smaller-λ corners come from noise amplification saturating, not from the signal
    peaks = np.flatnonzero((kappa[1:-1] >= kappa[:-2]) & (kappa[1:-1] >= kappa[2:])) + 1
    peaks = peaks[kappa[peaks] >= 0.5 * kappa.max()]
    best = peaks.max() if peaks.size else int(np.argmax(kappa))
    return float(lams[best]), rows


def estimate_noise_sigma(values: np.ndarray, fraction: float = 0.5) -> float:
    """White-noise σ of a field map from the corners of its spectrum (k > ``fraction`` · k_Nyquist).

    The field of sources at a standoff h decays as e^{−k h}, so at high k a map holds only noise;
    for white noise the unitary spectrum's |b̂|² is exponentially distributed with mean σ², hence
    σ² = median / ln 2 (the median resists leftover signal). The map is Hann-tapered first so
    that its edges do not leak into high k.
    """
    values = np.asarray(values, dtype=float)
    ny, nx = values.shape
    taper = np.outer(np.hanning(ny), np.hanning(nx))
    spec = sfft.fft2((values - values.mean()) * taper, norm="ortho", workers=-1)
    spec /= np.sqrt(np.mean(taper**2))
    fy = np.abs(np.fft.fftfreq(ny))[:, None] / 0.5
    fx = np.abs(np.fft.fftfreq(nx))[None, :] / 0.5
    corner = np.hypot(fy, fx) > fraction * np.sqrt(2)
    return float(np.sqrt(np.median(np.abs(spec[corner]) ** 2) / np.log(2)))
