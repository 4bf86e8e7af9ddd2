"""Magic-angle spinning: spinning sidebands of shift tensors, and a planner for spinning rates.

A nucleus with shift tensor σ (ppm, cell frame) spinning at ν_r about the rotor axis p, with B0
at the magic angle θm to p, sees ``δ(φ) = bᵀ(φ) σ b(φ)``, ``b = cos θm p + sin θm (cos φ e1 + sin φ
e2)``, φ = 2π ν_r t. Its isotropic part ``tr σ / 3`` is the centre band; the rest is a Fourier
series in φ whose integral is the phase ``Φ(φ)``. With the rotor phase at the pulse random (the
usual non-synchronized acquisition), the k-th sideband at ``δ_iso + k ν_r / ν0`` has intensity
``|F_k|²``, F_k the Fourier coefficients of ``exp(i Φ)`` (Levitt, J. Magn. Reson. 82, 427 (1989));
a powder adds an average over rotor-axis directions in the crystal frame.

Why by hand: mrsimulator computes powder sideband patterns of a few sites, not 10⁶ voxels each with
its own tensor in a common cell frame; it is the cross-check in the tests and benchmark.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from .._checks import as_float_array, check_positive, unit_vector
from ..errors import InputError

__all__ = [
    "MAGIC_ANGLE",
    "clear_spinning_rates",
    "powder_axes",
    "random_tensors",
    "sideband_clearance",
    "sideband_intensities",
    "tensor_from_principal",
]

MAGIC_ANGLE = float(np.arccos(1 / np.sqrt(3)))


def tensor_from_principal(iso: float, zeta: float, eta: float) -> np.ndarray:
    """Shift tensor (6,) (xx, yy, zz, xy, xz, yz; ppm) from the Haeberlen parameters: isotropic
    shift, anisotropy ζ = δzz - δiso and asymmetry η = (δyy - δxx)/ζ in [0, 1], principal axes
    along x, y, z (mrsimulator's convention)."""
    if not 0 <= eta <= 1:
        raise InputError(f"eta: asymmetry must lie in [0, 1], got {eta!r}")
    xx = iso - zeta * (1 + eta) / 2
    yy = iso - zeta * (1 - eta) / 2
    return np.array([xx, yy, iso + zeta, 0.0, 0.0, 0.0])


def random_tensors(zeta: float, eta: float, n: int, seed=0) -> np.ndarray:
    """``n`` traceless shift tensors (6, n) of anisotropy ζ (ppm) and asymmetry η with uniformly
    random principal frames (one per grain or voxel), from a seeded ``numpy`` Generator."""
    if int(n) != n or n < 0:
        raise InputError(f"n: expected a non-negative number of tensors, got {n!r}")
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(4, int(n)))
    w, x, y, z = q / np.linalg.norm(q, axis=0)
    R = np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])  # (3, 3, n)
    d = tensor_from_principal(0.0, zeta, eta)[:3]
    full = np.einsum("ian,a,jan->ijn", R, d, R)
    return np.stack([full[0, 0], full[1, 1], full[2, 2], full[0, 1], full[0, 2], full[1, 2]])


def powder_axes(n: int) -> np.ndarray:
    """``n`` quasi-uniform unit vectors on the sphere (Fibonacci lattice), (n, 3)."""
    if int(n) != n or n < 1:
        raise InputError(f"n: expected a positive number of orientations, got {n!r}")
    i = np.arange(int(n)) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z * z)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def _frame(axis):
    p = unit_vector("rotor_axis", axis)
    helper = np.array([1.0, 0, 0]) if abs(p[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(p, helper)
    e1 /= np.linalg.norm(e1)
    return p, e1, np.cross(p, e1)


def _bilinear(t, u, v):
    """uᵀ σ v for tensors t (6, n)."""
    return (u[0] * v[0] * t[0] + u[1] * v[1] * t[1] + u[2] * v[2] * t[2]
            + (u[0] * v[1] + u[1] * v[0]) * t[3] + (u[0] * v[2] + u[2] * v[0]) * t[4]
            + (u[1] * v[2] + u[2] * v[1]) * t[5])


def _steps_needed(t, larmor, rate) -> int:
    span = np.abs(t).max() * 1e-6 * larmor / rate if t.size else 0.0  # anisotropy in rotor units
    n = 16
    while n < 4 * span + 12 and n < 1024:  # orders beyond ~2x the phase amplitude are negligible
        n *= 2
    return n


def sideband_intensities(tensor, larmor: float, rate: float, rotor_axis=(0.0, 0.0, 1.0), *,
                         n_steps: int | None = None, chunk: int = 200_000):
    """Sideband orders and intensities of shift tensors spinning at the magic angle.

    ``tensor``: (6, n) ppm in the cell frame (order xx, yy, zz, xy, xz, yz); ``larmor``: ν0 (Hz);
    ``rate``: spinning rate ν_r (Hz); ``rotor_axis``: one axis (3,) — the intact sample in its
    rotor — or (m, 3) axes averaged with equal weights (a powder, :func:`powder_axes`).
    Returns ``(k, I)``: orders (K,) and intensities (n, K) summing to 1 per tensor; the isotropic
    shift of each tensor is ``(σxx + σyy + σzz)/3``.
    """
    t = as_float_array("tensor", tensor)
    if t.ndim != 2 or t.shape[0] != 6:
        raise InputError(f"tensor: expected shape (6, n), got {t.shape}")
    larmor = check_positive("larmor", larmor, unit="Hz")
    rate = check_positive("rate", rate, unit="Hz (spinning rate)")
    axes = as_float_array("rotor_axis", rotor_axis)
    axes = axes.reshape(-1, 3) if axes.ndim == 2 else axes.reshape(1, 3)
    aniso = t.copy()
    aniso[:3] -= t[:3].mean(axis=0)
    n = n_steps or _steps_needed(aniso, larmor, rate)
    phi = 2 * np.pi * np.arange(n) / n
    # single precision: the phase needs ~1e-6 relative accuracy, and halves the cost of exp and FFT
    basis = np.stack([np.sin(phi), 1 - np.cos(phi), np.sin(2 * phi) / 2, (1 - np.cos(2 * phi)) / 2]).astype(np.float32)
    c, s = np.cos(MAGIC_ANGLE), np.sin(MAGIC_ANGLE)
    scale = 1e-6 * larmor / rate  # ppm → radians of phase per radian of rotor angle
    out = np.zeros((t.shape[1], n))
    for axis in axes:
        p, e1, e2 = _frame(axis)
        for lo in range(0, t.shape[1], chunk):
            a = aniso[:, lo: lo + chunk]
            coeff = np.stack([
                2 * c * s * _bilinear(a, p, e1),
                2 * c * s * _bilinear(a, p, e2),
                s * s * (_bilinear(a, e1, e1) - _bilinear(a, e2, e2)) / 2,
                s * s * _bilinear(a, e1, e2),
            ], axis=1)
            phase = (scale * coeff).astype(np.float32) @ basis  # (chunk, n)
            rotor = np.empty(phase.shape, np.complex64)  # exp(iΦ) by cos + i sin: numpy's complex exp is slow
            rotor.real, rotor.imag = np.cos(phase), np.sin(phase)
            F = sfft.fft(rotor, axis=1, workers=-1, overwrite_x=True) / n
            out[lo: lo + chunk] += np.abs(F) ** 2
    k = np.fft.fftfreq(n, 1.0 / n).astype(int)
    order = np.argsort(k)
    return k[order], out[:, order] / len(axes)


def sideband_clearance(peaks, larmor: float, rates, *, max_order: int = 30) -> np.ndarray:
    """Smallest distance (ppm) between any spinning sideband (orders 1..max_order either side)
    of one peak and the centre of another, for each spinning rate (Hz). ``peaks`` in ppm."""
    p = as_float_array("peaks", peaks).ravel()
    if p.size < 2:
        raise InputError(f"peaks: need at least two peak positions (ppm), got {p.size}")
    larmor = check_positive("larmor", larmor, unit="Hz")
    r = as_float_array("rates", rates)
    if np.any(r <= 0):
        raise InputError(f"rates: spinning rates must be > 0 Hz, got min {r.min()!r}")
    k = np.concatenate([-np.arange(1, max_order + 1), np.arange(1, max_order + 1)])
    step = np.atleast_1d(r)[:, None, None, None] / larmor * 1e6 * k  # (R, 1, 1, K) ppm
    dist = np.abs(p[None, :, None, None] + step - p[None, None, :, None])
    off_diag = ~np.eye(p.size, dtype=bool)[None, :, :, None]
    best = np.where(off_diag, dist, np.inf).min(axis=(1, 2, 3))
    return best.reshape(np.shape(r))


def clear_spinning_rates(peaks, larmor: float, rates, *, min_separation: float = 10.0, max_order: int = 30):
    """Whether each spinning rate keeps every sideband at least ``min_separation`` ppm from the
    other peaks (e.g. Liu et al., Nat. Mater. 2025: ⁷Li of LLZO at 1.2 ppm and Li metal at
    264.5 ppm at 322.57 MHz — 13 kHz is clear, 14 kHz puts the 6th LLZO sideband on the metal)."""
    sep = check_positive("min_separation", min_separation, unit="ppm")
    return sideband_clearance(peaks, larmor, rates, max_order=max_order) >= sep
