"""2-D Fourier toolkit for fields of thin source layers, shared by the forward and inverse stages.

Conventions
-----------
* Fourier transforms follow numpy/scipy: ``F(k) = Σ f(r) e^{-i k·r}``, so ``∂/∂x ↔ i kx``.
  Wavenumbers are angular (rad/m).
* Geometry (DESIGN.md): z points out of the sample and the sensor plane lies *above* every source.
  A source layer is described by the depths of its top (``d_near``) and bottom (``d_far``) faces
  below the sensor plane, ``0 <= d_near <= d_far``.
* Padding keeps the data in the **corner** ``[..., :ny, :nx]`` of the padded array (zeros after),
  which makes the FFT product a linear (non-periodic) convolution as long as the padded size is at
  least the data size plus the kernel's reach. ``crop2d`` takes the same corner back.

Transfer functions (derived from B = -μ0 ∇φ above magnetized sources and B = ∇ × A above currents;
outside the sources every field varies with height as e^{-k z}):

* magnetization M (A/m), uniform through the layer::

      B(k) = (μ0/2) D(k) u ⊗ w · M(k),   u = (-i kx/k, -i ky/k, 1),   w = (-i kx, -i ky, k)

* in-plane current density J = (Jx, Jy) (A/m²), uniform through the layer::

      Bx = (μ0/2) D Jy,   By = -(μ0/2) D Jx,   Bz = (μ0/2) D (i kx Jy - i ky Jx) / k

with ``D(k) = ∫_{d_near}^{d_far} e^{-k s} ds`` (:func:`layer_depth_factor`). A current in +x
therefore gives By < 0 above it (right-hand rule), and M along +z gives Bz > 0 directly above.

Values at k = 0: the magnetization transfer tends to 0 along every direction (an infinite uniform
sheet of magnetization has no external field), so 0 is used. For currents, Bx and By at k = 0 take
their continuous limit ±(μ0/2)(d_far - d_near) (the field of an infinite uniform current sheet);
Bz's factor ``i k_a / k`` has a direction-dependent limit and is set to 0, its average over
directions (a finite, divergence-free current carries no net flux through the plane).
"""

from __future__ import annotations

import numpy as np
from scipy.constants import mu_0
from scipy.fft import next_fast_len

from .._checks import as_float_array, check_positive
from ..errors import InputError

__all__ = [
    "crop2d",
    "current_to_field_transfer",
    "layer_depth_factor",
    "magnetization_to_field_transfer",
    "pad2d",
    "padded_shape",
    "wavenumbers",
]


def padded_shape(ny: int, nx: int, pad: float = 2) -> tuple[int, int]:
    """FFT-friendly shape (``scipy.fft.next_fast_len``) at least ``pad`` times ``(ny, nx)``.

    ``pad = 2`` makes the FFT product of two ``(ny, nx)`` arrays a linear convolution.
    """
    for name, n in (("ny", ny), ("nx", nx)):
        if int(n) != n or n < 1:
            raise InputError(f"{name}: expected a positive integer, got {n!r}")
    pad = check_positive("pad", pad)
    if pad < 1:
        raise InputError(f"pad: must be >= 1 (padding factor), got {pad!r}")
    return (
        next_fast_len(int(np.ceil(pad * ny)), real=True),
        next_fast_len(int(np.ceil(pad * nx)), real=True),
    )


def pad2d(a, shape: tuple[int, int]) -> np.ndarray:
    """Zero-pad ``a``'s last two axes to ``shape``; the data stay in the corner ``[:ny, :nx]``."""
    a = np.asarray(a)
    if a.ndim < 2:
        raise InputError(f"a: expected at least 2 dimensions (..., ny, nx), got shape {a.shape}")
    ny, nx = a.shape[-2:]
    py, px = (int(s) for s in shape)
    if py < ny or px < nx:
        raise InputError(f"shape: padded shape {(py, px)} is smaller than the data {(ny, nx)}")
    out = np.zeros((*a.shape[:-2], py, px), dtype=a.dtype)
    out[..., :ny, :nx] = a
    return out


def crop2d(a, ny: int, nx: int) -> np.ndarray:
    """Inverse of :func:`pad2d`: the corner ``[..., :ny, :nx]`` of the last two axes."""
    a = np.asarray(a)
    if a.ndim < 2 or a.shape[-2] < ny or a.shape[-1] < nx:
        raise InputError(f"a: shape {a.shape} cannot be cropped to (..., {ny}, {nx})")
    return a[..., :ny, :nx]


def wavenumbers(shape: tuple[int, int], dy: float, dx: float, *, rfft: bool = False):
    """Angular wavenumbers (rad/m) of a 2-D FFT grid.

    Returns ``(ky, kx, k)`` with ``ky`` of shape (ny, 1), ``kx`` of shape (1, nx) and
    ``k = hypot(ky, kx)`` of the full shape. Layout of ``scipy.fft.fft2`` (full spectrum); with
    ``rfft=True`` the layout of ``rfft2`` (kx only for the non-negative half, nx//2 + 1 columns).
    """
    ny, nx = (int(s) for s in shape)
    dy = check_positive("dy", dy, unit="m")
    dx = check_positive("dx", dx, unit="m")
    ky = 2 * np.pi * np.fft.fftfreq(ny, dy)[:, None]
    kx = 2 * np.pi * (np.fft.rfftfreq(nx, dx) if rfft else np.fft.fftfreq(nx, dx))[None, :]
    return ky, kx, np.hypot(ky, kx)


def _check_depths(d_near, d_far) -> tuple[float, float]:
    d_near = check_positive("d_near", d_near, allow_zero=True, unit="m")
    d_far = check_positive("d_far", d_far, allow_zero=True, unit="m")
    if d_far < d_near:
        raise InputError(f"d_far: must be >= d_near = {d_near!r} m, got {d_far!r}")
    return d_near, d_far


def layer_depth_factor(k, d_near: float, d_far: float) -> np.ndarray:
    """``∫_{d_near}^{d_far} e^{-k s} ds`` in m; stable at k → 0, where it is ``d_far - d_near``."""
    d_near, d_far = _check_depths(d_near, d_far)
    k = as_float_array("k", k)
    thickness = d_far - d_near
    # e^{-k d_near} (1 - e^{-k t}) / k, with expm1 so that small k t loses no digits
    kt = k * thickness
    small = kt < 1e-300
    ratio = np.where(small, thickness, -np.expm1(-kt) / np.where(small, 1.0, k))
    return np.exp(-k * d_near) * ratio


def _unit_directions(ky, kx):
    """(kx/k, ky/k, k) broadcast to a common shape, with kx/k = ky/k = 0 at k = 0."""
    ky, kx = np.broadcast_arrays(np.asarray(ky, dtype=float), np.asarray(kx, dtype=float))
    if not (np.all(np.isfinite(kx)) and np.all(np.isfinite(ky))):
        raise InputError("kx, ky: wavenumbers must be finite")
    k = np.hypot(ky, kx)
    safe = np.where(k > 0, k, 1.0)
    return np.where(k > 0, kx / safe, 0.0), np.where(k > 0, ky / safe, 0.0), k


def magnetization_to_field_transfer(ky, kx, d_near: float, d_far: float) -> np.ndarray:
    """Transfer tensor T (3, 3, *k.shape), complex, T/(A/m) → B(k) = Σ_j T[:, j] M_j(k).

    For a magnetization M (A/m) uniform between depths ``d_near`` and ``d_far`` (m) below the
    sensor plane; multiply the 2-D FFT of each M component and inverse-transform to get B in T.
    """
    ux, uy, k = _unit_directions(ky, kx)
    pref = 0.5 * mu_0 * layer_depth_factor(k, d_near, d_far)
    u = (-1j * ux, -1j * uy, np.ones_like(k))
    w = (-1j * ux * k, -1j * uy * k, k)
    return np.stack([np.stack([pref * uc * wj for wj in w]) for uc in u])


def current_to_field_transfer(ky, kx, d_near: float, d_far: float) -> np.ndarray:
    """Transfer tensor T (3, 2, *k.shape), complex, T·m²/A → B(k) = Σ_j T[:, j] J_j(k).

    For an in-plane current density J = (Jx, Jy) (A/m²) uniform between depths ``d_near`` and
    ``d_far`` (m) below the sensor plane (Biot–Savart field, any J).
    """
    ux, uy, k = _unit_directions(ky, kx)
    pref = 0.5 * mu_0 * layer_depth_factor(k, d_near, d_far) * np.ones(k.shape, dtype=complex)
    zero = np.zeros_like(pref)
    return np.stack(
        [
            np.stack([zero, pref]),
            np.stack([-pref, zero]),
            np.stack([-1j * uy * pref, 1j * ux * pref]),
        ]
    )
