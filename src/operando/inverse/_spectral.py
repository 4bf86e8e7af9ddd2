"""The padded Fourier grid and the layer transfer functions seen from a sensing axis.

Every inversion in this package is built from the forward transfer functions of
:mod:`operando.magnetics.fourier` (exact in the continuum for sources uniform through each layer):
``B_c(k) = Σ_j T[c, j](k) S_j(k)``. Projected on the sensing axis ``n`` and on the source
parametrisation they reduce to one complex map ``G(k)`` per (sensor height, source layer):

- current: the in-plane current is written through a stream function g, ``J = ∇ × (g ẑ)``, i.e.
  ``Jx = i ky g``, ``Jy = −i kx g``; this imposes continuity k·J = 0, the condition that makes a 2-D
  current unique (Roth, Sepulveda & Wikswo 1989; Pollok et al., Nat. Commun. 2025). ``G = n·T·(i ky, −i kx)``.
- magnetization along a known unit direction m (paramagnetic moments are unidirectional, along the
  applied field; Pollok et al., Nat. Commun. 2025): ``G = n·T_M·m``.

Depths: a layer spans ``depth_top``..``depth_bottom`` (≥ 0, m) below the sample surface; the sensor
is at height h, so the layer spans ``d_near = h + depth_top`` .. ``d_far = h + depth_bottom`` below
the sensor. A layer of zero thickness is a sheet: its source is a sheet density (A/m for current,
A for magnetization = moment per area) and its transfer function is the thin-layer limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft

from ..magnetics import fourier as mf

# relative thickness used to take the thin-sheet limit T(d, d + ε) / ε of the layer transfer
_SHEET_EPS = 1e-6
_BLOCK_ROWS = 128


@dataclass(frozen=True)
class SpectralGrid:
    """Zero-padded real-FFT grid for maps of ``shape = (ny, nx)`` with pixels ``dy``, ``dx`` (m).

    Spectra use the ``rfft2`` layout (``nxp // 2 + 1`` columns): maps and sources are real, so the
    other half is the complex conjugate. ``weights`` counts each stored column once or twice so
    that sums over the stored half equal sums over the full spectrum (Parseval).
    """

    shape: tuple[int, int]
    padded: tuple[int, int]
    dy: float
    dx: float
    ky: np.ndarray
    kx: np.ndarray
    k: np.ndarray
    weights: np.ndarray

    @classmethod
    def for_map(cls, shape, dy: float, dx: float, pad: float = 2) -> SpectralGrid:
        ny, nx = (int(s) for s in shape)
        padded = tuple(int(s) for s in mf.padded_shape(ny, nx, pad=pad))
        ky, kx, k = mf.wavenumbers(padded, dy, dx, rfft=True)
        weights = np.full((1, kx.shape[1]), 2.0)
        weights[0, 0] = 1.0
        if padded[1] % 2 == 0:
            weights[0, -1] = 1.0  # the Nyquist column has no conjugate partner
        return cls((ny, nx), padded, float(dy), float(dx), ky, kx, k, weights)

    def fft(self, a: np.ndarray, taper: int = 0) -> np.ndarray:
        """Unitary 2-D FFT of ``(..., ny, nx)`` data zero-padded to the padded grid.

        ``taper > 0`` continues the edge rows/columns into the padding with a raised-cosine decay to
        zero over ``taper`` pixels, so a map whose field has not died out at the border has no step
        there (a step holds all wavenumbers, which an inverse filter amplifies as e^{k h}).
        """
        out = mf.pad2d(a, self.padded)
        if taper > 0:
            ny, nx = self.shape
            taper = int(min(taper, (self.padded[0] - ny) // 2, (self.padded[1] - nx) // 2))
            ramp = 0.5 * (1 + np.cos(np.pi * np.arange(1, taper + 1) / (taper + 1)))
            out[..., :ny, nx : nx + taper] = out[..., :ny, nx - 1 : nx] * ramp
            out[..., :ny, -taper:] = out[..., :ny, :1] * ramp[::-1]
            out[..., ny : ny + taper, :] = out[..., ny - 1 : ny, :] * ramp[:, None]
            out[..., -taper:, :] = out[..., :1, :] * ramp[::-1, None]
        return sfft.rfft2(out, norm="ortho", workers=-1)

    def fft_full(self, a: np.ndarray) -> np.ndarray:
        """Unitary 2-D FFT of a real array already on the padded grid."""
        return sfft.rfft2(a, norm="ortho", workers=-1)

    def ifft(self, a: np.ndarray, crop: bool = True) -> np.ndarray:
        """Unitary inverse FFT (real), cropped back to the map unless ``crop=False``."""
        out = sfft.irfft2(a, s=self.padded, norm="ortho", workers=-1)
        return mf.crop2d(out, *self.shape) if crop else out

    def curl_filters(self) -> tuple[np.ndarray, np.ndarray]:
        """Spectral factors taking the stream function g to (Jx, Jy) = (∂g/∂y, −∂g/∂x)."""
        return 1j * self.ky, -1j * self.kx


def _layer_transfer(kind: str, ky, kx, d_near: float, d_far: float, thin: float) -> np.ndarray:
    fn = mf.current_to_field_transfer if kind == "current" else mf.magnetization_to_field_transfer
    if d_far > d_near:
        return fn(ky, kx, d_near, d_far)
    eps = _SHEET_EPS * max(d_near, thin)
    return fn(ky, kx, d_near, d_near + eps) / eps


def axis_transfer(
    kind: str,
    spec: SpectralGrid,
    axis: np.ndarray,
    height: float,
    depth_top: float,
    depth_bottom: float,
    direction: np.ndarray | None = None,
) -> np.ndarray:
    """Complex ``G(k)`` on the padded grid: field along ``axis`` per unit source (see module doc).

    ``kind`` is ``"current"`` (source = stream function g: A for a sheet, A/m for a layer) or
    ``"magnetization"`` (source = magnitude along ``direction``: A for a sheet, A/m for a layer).
    Evaluated in blocks of rows so that the full transfer tensor never sits in memory at once.
    """
    axis = np.asarray(axis, dtype=float)
    thin = float(np.hypot(spec.dy, spec.dx))
    G = np.empty(spec.k.shape, dtype=complex)
    kx = spec.kx[:1]
    for start in range(0, spec.k.shape[0], _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        ky = spec.ky[rows, :1]
        T = _layer_transfer(kind, ky, kx, height + depth_top, height + depth_bottom, thin)
        field = np.tensordot(axis, T, axes=(0, 0))  # (n_src, rows, nxr)
        if kind == "current":
            G[rows] = field[0] * (1j * ky) + field[1] * (-1j * kx)
        else:
            G[rows] = np.tensordot(np.asarray(direction, dtype=float), field, axes=(0, 0))
    return G


def lowpass_window(spec: SpectralGrid, cutoff_wavelength: float | None, kind: str = "hann"):
    """Low-pass window W(k) on the padded grid.

    ``"hann"``: W = ½(1 + cos(π k / k_c)) for k < k_c and 0 beyond, with k_c = 2π / cutoff
    wavelength (a raised cosine, no ringing from a sharp edge). ``"none"`` or a None cutoff: W = 1.
    """
    if kind == "none" or cutoff_wavelength is None:
        return np.ones(spec.k.shape)
    kc = 2 * np.pi / cutoff_wavelength
    return np.where(spec.k < kc, 0.5 * (1 + np.cos(np.pi * np.minimum(spec.k / kc, 1.0))), 0.0)


def guarded_inverse(G: np.ndarray, window: np.ndarray, guard: float) -> np.ndarray:
    """Least-squares inverse filters of one or more field maps of the same source.

    ``G``: (n_axes, nyp, nxp) transfer functions. Returns H (n_axes, nyp, nxp) with
    ``H_c = W · conj(G_c) / Σ_a |G_a|²`` where ``Σ|G|² > (guard · max|G|)²``, 0 elsewhere — for one
    axis the plain inverse W / G, with no division by ~0.
    """
    G = np.asarray(G)
    mag2 = np.sum(np.abs(G) ** 2, axis=0)
    ok = mag2 > guard**2 * mag2.max()
    H = np.zeros_like(G)
    H[:, ok] = window[ok] * np.conj(G[:, ok]) / mag2[ok]
    return H
