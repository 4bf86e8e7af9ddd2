"""ODMR line shapes: normalized fluorescence dips and their analytic parameter derivatives.

Convention for every function here: the frequency axis is the LAST axis of ``f`` (shape ``(nf,)`` or
``(..., nf)``); dip parameters (``f0``, ``width``, ``contrast``) have shape ``(...)`` — one value
per pixel — and broadcast against the leading axes of ``f``. Results have shape ``(..., nf)``.
Frequencies and widths in Hz; ``width`` is the full width at half maximum (FWHM); ``contrast`` is
the fractional fluorescence drop at the dip centre.

The ``*_with_jacobian`` companions return ``(value, jac)`` with ``jac[..., nf, k]`` the derivative
with respect to parameter ``k`` in the order ``(f0, width, contrast)`` — what a Gauss–Newton or
Levenberg–Marquardt fitter needs for an analytic Jacobian.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_choice

LN2 = float(np.log(2.0))

# Nitrogen hyperfine splitting of each electron-spin line (secular part A_parallel, |value|):
# 14N (I = 1): three equally weighted lines 2.16 MHz apart (A_par = -2.16 MHz; Smeltzer et al.,
# Phys. Rev. A 80, 050302 (2009); Felton et al., Phys. Rev. B 79, 075203 (2009));
# 15N (I = 1/2): two lines 3.03 MHz apart (A_par = +3.03 MHz; Felton et al. 2009).
HYPERFINE_SPACING = {"14N": 2.16e6, "15N": 3.03e6}
HYPERFINE_OFFSETS = {
    "14N": np.array([-1.0, 0.0, 1.0]) * HYPERFINE_SPACING["14N"],
    "15N": np.array([-0.5, 0.5]) * HYPERFINE_SPACING["15N"],
}
SHAPES = ("lorentzian", "gaussian")


def _expand(f, *params):
    """f as float array; each parameter gains a trailing axis so it broadcasts over frequency."""
    f = np.asarray(f, dtype=float)
    return (f, *(np.asarray(p, dtype=float)[..., None] for p in params))


def _lorentzian_terms(f, f0, width):
    detuning = f - f0
    half = 0.5 * width
    denom = detuning * detuning + half * half
    shape = half * half / denom
    return detuning, half, denom, shape


def lorentzian_dip(f, f0, width, contrast):
    """Normalized fluorescence ``1 - contrast * L(f)`` with a unit-height Lorentzian L of FWHM
    ``width``."""
    f, f0, width, contrast = _expand(f, f0, width, contrast)
    return 1.0 - contrast * _lorentzian_terms(f, f0, width)[3]


def lorentzian_dip_with_jacobian(f, f0, width, contrast):
    """Value of :func:`lorentzian_dip` and its derivatives, ``jac[..., nf, (f0, width,
    contrast)]``."""
    f, f0, width, contrast = _expand(f, f0, width, contrast)
    detuning, half, denom, shape = _lorentzian_terms(f, f0, width)
    inv2 = 1.0 / (denom * denom)
    d_f0 = -contrast * 2.0 * detuning * half * half * inv2
    d_width = -contrast * half * detuning * detuning * inv2
    d_contrast = -shape
    value = 1.0 - contrast * shape
    return value, np.stack(np.broadcast_arrays(d_f0, d_width, d_contrast), axis=-1)


def gaussian_dip(f, f0, width, contrast):
    """Normalized fluorescence ``1 - contrast * G(f)`` with a unit-height Gaussian G of FWHM
    ``width``."""
    f, f0, width, contrast = _expand(f, f0, width, contrast)
    detuning = f - f0
    return 1.0 - contrast * np.exp(-4.0 * LN2 * detuning * detuning / (width * width))


def gaussian_dip_with_jacobian(f, f0, width, contrast):
    """Value of :func:`gaussian_dip` and its derivatives, ``jac[..., nf, (f0, width,
    contrast)]``."""
    f, f0, width, contrast = _expand(f, f0, width, contrast)
    detuning = f - f0
    inv_w2 = 1.0 / (width * width)
    shape = np.exp(-4.0 * LN2 * detuning * detuning * inv_w2)
    d_f0 = -contrast * shape * 8.0 * LN2 * detuning * inv_w2
    d_width = -contrast * shape * 8.0 * LN2 * detuning * detuning * inv_w2 / width
    d_contrast = -shape
    value = 1.0 - contrast * shape
    return value, np.stack(np.broadcast_arrays(d_f0, d_width, d_contrast), axis=-1)


_DIPS = {
    "lorentzian": (lorentzian_dip, lorentzian_dip_with_jacobian),
    "gaussian": (gaussian_dip, gaussian_dip_with_jacobian),
}


def odmr_spectrum(f, centers, widths, contrasts, shape: str = "lorentzian"):
    """Sum of N dips: ``1 - sum_i contrast_i * shape((f - center_i) / width_i)``.

    ``centers``, ``widths``, ``contrasts``: shape ``(..., N)`` (broadcastable to each other); ``f``:
    ``(nf,)`` or ``(..., nf)``. Returns ``(..., nf)``.
    """
    check_choice("shape", shape, SHAPES)
    dip = _DIPS[shape][0]
    centers, widths, contrasts = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (centers, widths, contrasts))
    )
    f = np.asarray(f, dtype=float)[..., None, :]  # (..., 1, nf): broadcast over the dip axis
    return 1.0 + np.sum(dip(f, centers, widths, contrasts) - 1.0, axis=-2)


def odmr_spectrum_with_jacobian(f, centers, widths, contrasts, shape: str = "lorentzian"):
    """Value of :func:`odmr_spectrum` and ``jac[..., nf, 3 N]`` ordered per dip as
    ``(f0_0, width_0, contrast_0, f0_1, ...)``."""
    check_choice("shape", shape, SHAPES)
    dip_jac = _DIPS[shape][1]
    centers, widths, contrasts = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (centers, widths, contrasts))
    )
    f = np.asarray(f, dtype=float)[..., None, :]
    value, jac = dip_jac(f, centers, widths, contrasts)  # (..., N, nf), (..., N, nf, 3)
    value = 1.0 + np.sum(value - 1.0, axis=-2)
    jac = np.moveaxis(jac, -3, -2)  # (..., nf, N, 3)
    return value, jac.reshape(*jac.shape[:-2], -1)


def hyperfine_lines(centers, widths, contrasts, isotope: str = "14N"):
    """Expand each electron-spin line into its nitrogen hyperfine multiplet.

    Each line (arrays of shape ``(..., N)``) becomes ``k`` lines (k = 3 for 14N, 2 for 15N) at
    ``center + offset`` with the same width and ``contrast / k`` (nuclear spin unpolarized, as at
    room temperature away from the level anticrossings). Returns ``(centers, widths, contrasts)`` of
    shape ``(..., N * k)``, ordered line by line.
    """
    check_choice("isotope", isotope, tuple(HYPERFINE_OFFSETS))
    offsets = HYPERFINE_OFFSETS[isotope]
    k = offsets.size
    centers, widths, contrasts = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (centers, widths, contrasts))
    )
    out_c = (centers[..., None] + offsets).reshape(*centers.shape[:-1], -1)
    out_w = np.repeat(widths, k, axis=-1)
    out_a = np.repeat(contrasts / k, k, axis=-1)
    return out_c, out_w, out_a
