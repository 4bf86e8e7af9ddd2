"""Surface roughness of interface height maps: ISO 4287 profile parameters and ISO 25178 areal ones.

Heights Z(y, x) are measured from a reference: the mean plane (``level="mean"``) or the least-
squares plane (``level="plane"``, removing a tilt of the sample). Then

- Ra = mean |Z| along each profile (rows along x), averaged over profiles — ISO 4287;
  Huang et al., J. Phys. Energy 2025 (Huang et al., J. Phys. Energy 2025, Eq. 6) write it over the area,
  Ra = (1/A) ∬ |Z| dA, which is Sa of ISO 25178 and what :func:`roughness` reports as "Ra_area";
- Rq = root mean square of Z per profile; Rz = mean over ``n_sampling`` sampling lengths of the
  highest peak plus the deepest valley (ISO 4287, five sampling lengths by default);
- Sa = (1/A) ∬ |Z| dA, Sq = √((1/A) ∬ Z² dA) over the whole map.

No roughness library is a dependency; these are a few numpy reductions.
"""

from __future__ import annotations

import numpy as np

from ..._checks import as_float_array, check_choice
from ...errors import InputError

LEVELS = ("mean", "plane", "profile")


def level(z, how: str = "mean") -> np.ndarray:
    """Heights from the reference: the map's mean, its least-squares plane, or each profile's mean."""
    check_choice("level", how, LEVELS)
    z = as_float_array("z", z)
    if how == "profile":
        return z - z.mean(axis=-1, keepdims=True)
    if how == "mean":
        return z - z.mean()
    if z.ndim == 1:
        x = np.arange(z.size, dtype=float)
        return z - np.polyval(np.polyfit(x, z, 1), x)
    yy, xx = np.indices(z.shape, dtype=float)
    a = np.column_stack([np.ones(z.size), yy.ravel(), xx.ravel()])
    coef, *_ = np.linalg.lstsq(a, z.ravel(), rcond=None)
    return z - (a @ coef).reshape(z.shape)


def ra(z, *, how: str = "profile") -> float:
    """Ra (units of z): mean |Z| per profile (last axis), averaged over profiles (ISO 4287)."""
    return float(np.mean(np.abs(level(z, how))))


def rq(z, *, how: str = "profile") -> float:
    """Rq: root-mean-square height per profile, averaged over profiles."""
    zz = level(z, how)
    return float(np.mean(np.sqrt(np.mean(zz**2, axis=-1))))


def rz(z, *, n_sampling: int = 5, how: str = "profile") -> float:
    """Rz: mean over sampling lengths (and profiles) of max peak height + max valley depth."""
    zz = level(z, how)
    n = int(n_sampling)
    if n < 1 or zz.shape[-1] < n:
        raise InputError(f"n_sampling: need 1 <= n_sampling <= {zz.shape[-1]} points per profile, got {n_sampling!r}")
    m = zz.shape[-1] // n
    seg = zz[..., : n * m].reshape(*zz.shape[:-1], n, m)
    return float(np.mean(seg.max(axis=-1) - seg.min(axis=-1)))


def sa(z, *, how: str = "mean") -> float:
    """Sa = (1/A) ∬ |Z| dA (ISO 25178), equal to the areal Ra of Huang et al. Eq. 6."""
    return float(np.mean(np.abs(level(z, how))))


def sq(z, *, how: str = "mean") -> float:
    """Sq = √((1/A) ∬ Z² dA) (ISO 25178)."""
    return float(np.sqrt(np.mean(level(z, how) ** 2)))


def roughness(z, *, how: str = "mean") -> dict:
    """All parameters of one height map (units of z): Ra, Rq, Rz (per profile), Sa, Sq, and Ra_area."""
    z = as_float_array("z", z, ndim=2)
    return {"Ra": ra(z), "Rq": rq(z), "Rz": rz(z), "Sa": sa(z, how=how), "Sq": sq(z, how=how),
            "Ra_area": sa(z, how=how)}


def ra_map(z, tile: int) -> np.ndarray:
    """Local Ra (areal, Eq. 6) on square tiles of ``tile`` × ``tile`` pixels → (ny//tile, nx//tile)."""
    z = as_float_array("z", z, ndim=2)
    t = int(tile)
    if t < 2 or t > min(z.shape):
        raise InputError(f"tile: must lie in [2, {min(z.shape)}] pixels, got {tile!r}")
    ny, nx = z.shape[0] // t, z.shape[1] // t
    blocks = z[: ny * t, : nx * t].reshape(ny, t, nx, t)
    return np.abs(blocks - blocks.mean(axis=(1, 3), keepdims=True)).mean(axis=(1, 3))
