"""Phantoms with exact Radon transforms (discs, ellipses) for testing projectors and reconstructions.

An ellipse of value μ, centre (x0, y0), semi-axes (a, b) and rotation φ has the parallel-beam
projection p(θ, t) = 2 μ a b √(s² − τ²) / s² for |τ| < s, with s² = a² cos²(θ−φ) + b² sin²(θ−φ)
and τ = t − x0 cos θ − y0 sin θ (Kak & Slaney, *Principles of Computerized Tomographic Imaging*,
1988, Eq. 3.8–3.10). A disc is an ellipse with a = b.
"""

from __future__ import annotations

import numpy as np

from ..._checks import as_float_array

#: Shepp–Logan head phantom, "modified" contrasts (Toft 1996): value, a, b, x0, y0, φ(deg),
#: on a square [-1, 1]²
SHEPP_LOGAN = (
    (1.0, 0.69, 0.92, 0.0, 0.0, 0.0),
    (-0.8, 0.6624, 0.874, 0.0, -0.0184, 0.0),
    (-0.2, 0.11, 0.31, 0.22, 0.0, -18.0),
    (-0.2, 0.16, 0.41, -0.22, 0.0, 18.0),
    (0.1, 0.21, 0.25, 0.0, 0.35, 0.0),
    (0.1, 0.046, 0.046, 0.0, 0.1, 0.0),
    (0.1, 0.046, 0.046, 0.0, -0.1, 0.0),
    (0.1, 0.046, 0.023, -0.08, -0.605, 0.0),
    (0.1, 0.023, 0.023, 0.0, -0.606, 0.0),
    (0.1, 0.023, 0.046, 0.06, -0.605, 0.0),
)


def _pixel_coords(shape, pixel):
    ny, nx = shape
    x = (np.arange(nx) - 0.5 * (nx - 1)) * pixel
    y = (np.arange(ny) - 0.5 * (ny - 1)) * pixel
    return np.meshgrid(y, x, indexing="ij")


def ellipses_image(ellipses, shape, pixel: float = 1.0, *, supersample: int = 4) -> np.ndarray:
    """Image (ny, nx) of summed ellipses (value, a, b, x0, y0, φ in degrees), area-averaged per pixel."""
    n = int(supersample)
    yy, xx = _pixel_coords((shape[0] * n, shape[1] * n), pixel / n)
    img = np.zeros(yy.shape)
    for val, a, b, x0, y0, phi in ellipses:
        c, s = np.cos(np.radians(phi)), np.sin(np.radians(phi))
        u = (xx - x0) * c + (yy - y0) * s
        v = -(xx - x0) * s + (yy - y0) * c
        img += val * ((u / a) ** 2 + (v / b) ** 2 <= 1.0)
    return img.reshape(shape[0], n, shape[1], n).mean(axis=(1, 3))


def ellipses_radon(ellipses, angles, t) -> np.ndarray:
    """Exact projections (n_angles, n_t) of summed ellipses at detector coordinates ``t``."""
    th = as_float_array("angles", angles, ndim=1)[:, None]
    t = as_float_array("t", t, ndim=1)[None, :]
    out = np.zeros((th.shape[0], t.shape[1]))
    for val, a, b, x0, y0, phi in ellipses:
        rel = th - np.radians(phi)
        s2 = (a * np.cos(rel)) ** 2 + (b * np.sin(rel)) ** 2
        tau = t - x0 * np.cos(th) - y0 * np.sin(th)
        out += 2 * val * a * b * np.sqrt(np.clip(s2 - tau**2, 0, None)) / s2
    return out


def shepp_logan(radius: float = 1.0):
    """Modified Shepp–Logan ellipses scaled so that the phantom's [-1, 1]² square spans ``radius``."""
    return tuple((v, a * radius, b * radius, x0 * radius, y0 * radius, p) for v, a, b, x0, y0, p in SHEPP_LOGAN)
