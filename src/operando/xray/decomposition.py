"""Separating the cathode's and the electrolyte's Compton signal from three beam positions.

Huang et al., J. Phys. Energy 2025, Eq. 2–3: region 1 holds cathode + SPE + part
of the anode, region 2 SPE + part of the anode, region 3 anode only. With α and β the anode volumes
in regions 2 and 1 relative to region 3,

    I_s = I_R2 − α I_R3,        I_c = I_R1 − I_s − β I_R3.

The equations are linear, so they apply to counts, spectra (energy on the last axis) or maps alike;
variances propagate exactly: var I_s = v2 + α² v3, var I_c = v1 + v2 + (α − β)² v3. They assume the
SPE seen in region 1 equals that in region 2 (as the paper does). α and β come from the cell's
volume fractions (:func:`anode_fractions`), e.g. from CT.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_float_array, check_positive
from ..errors import InputError

__all__ = ["RegionSignals", "anode_fractions", "decompose_regions"]


@dataclass(frozen=True)
class RegionSignals:
    """Separated intensities (any common shape) and their variances."""

    spe: np.ndarray
    cathode: np.ndarray
    spe_variance: np.ndarray
    cathode_variance: np.ndarray


def decompose_regions(i_r1, i_r2, i_r3, alpha: float, beta: float, *, variances=None) -> RegionSignals:
    """Eq. 2–3. ``variances``: (v1, v2, v3) or None for Poisson counts (variance = counts)."""
    r1, r2, r3 = (as_float_array(n, v) for n, v in (("i_r1", i_r1), ("i_r2", i_r2), ("i_r3", i_r3)))
    if not (r1.shape == r2.shape == r3.shape):
        raise InputError(f"i_r1, i_r2, i_r3: need equal shapes, got {r1.shape}, {r2.shape}, {r3.shape}")
    a = check_positive("alpha", alpha, allow_zero=True)
    b = check_positive("beta", beta, allow_zero=True)
    if variances is None:
        if min(r1.min(), r2.min(), r3.min()) < 0:
            raise InputError("i_r1, i_r2, i_r3: counts must be >= 0 for Poisson variances (or pass variances)")
        v1, v2, v3 = r1, r2, r3
    else:
        v1, v2, v3 = (as_float_array("variances", v) for v in variances)
    spe = r2 - a * r3
    cathode = r1 - spe - b * r3
    return RegionSignals(spe, cathode, v2 + a**2 * v3, v1 + v2 + (a - b) ** 2 * v3)


def anode_fractions(anode_fraction_z, z_m, beam_centres_m, beam_height_m: float) -> tuple[float, float]:
    """(α, β) from the anode's volume fraction along z and the three beam centres (R1, R2, R3).

    ``anode_fraction_z``: mean anode volume fraction of each z slice (e.g. from a CT volume);
    the beam is a top-hat of ``beam_height_m`` centred at each of ``beam_centres_m``.
    """
    f = as_float_array("anode_fraction_z", anode_fraction_z, ndim=1)
    z = as_float_array("z_m", z_m, shape=(f.size,))
    centres = as_float_array("beam_centres_m", beam_centres_m, shape=(3,))
    h = check_positive("beam_height_m", beam_height_m, unit="m")
    dz = np.abs(np.gradient(z)) if z.size > 1 else np.array([h])
    lo, hi = z - dz / 2, z + dz / 2
    overlap = np.clip(np.minimum(hi, centres[:, None] + h / 2) - np.maximum(lo, centres[:, None] - h / 2), 0, None)
    volumes = overlap @ f
    if volumes[2] <= 0:
        raise InputError("beam_centres_m: region 3 (third centre) contains no anode; α and β are undefined")
    return float(volumes[1] / volumes[2]), float(volumes[0] / volumes[2])
