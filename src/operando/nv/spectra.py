"""CW-ODMR spectra of field maps with photon shot noise, frequency-grid checks and the Cramér–Rao
bound on a line position (the noise a fitted field map will show).

Shapes: fields (3, ...) in T, components first; frequency grid (nf,) in Hz; line parameters (..., n_lines); spectra
(..., nf), normalized to the off-resonant fluorescence.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._checks import as_float_array, check_choice, check_positive
from ..errors import InputError
from .constants import GAMMA_E
from .lineshape import SHAPES, hyperfine_lines, odmr_spectrum, odmr_spectrum_with_jacobian
from .sensitivity import check_odmr_parameters
from .spin import resonances


def line_parameters(B, axes, linewidth, contrast, D=None, E=0.0, temperature=None, isotope=None):
    """Centres, widths and contrasts (..., n_lines) of the CW-ODMR dips of fields ``B`` (3, ...) T.

    Every NV axis contributes its two lines with ``contrast`` (per line, for a single orientation;
    an ensemble with four equally populated orientations divides it by 4 — pass that value).
    ``isotope`` ("14N" / "15N") splits each line into its hyperfine multiplet.
    """
    c, w = check_odmr_parameters(None, contrast, linewidth)
    centers = resonances(B, axes, D=D, E=E, temperature=temperature)
    centers = centers.reshape(*centers.shape[:-2], -1)
    widths = np.full(centers.shape, w)
    contrasts = np.full(centers.shape, c)
    if isotope is not None:
        centers, widths, contrasts = hyperfine_lines(centers, widths, contrasts, isotope)
    return centers, widths, contrasts


def check_frequency_coverage(frequencies, centers, widths=None, name="frequencies", stacklevel=2):
    """Warn (RuntimeWarning naming the pixels) when a line centre lies outside the swept range.

    Returns the boolean mask (...) of pixels with at least one missed line.
    """
    f = as_float_array(name, frequencies, ndim=1)
    c = np.asarray(centers, dtype=float)
    margin = 0.0 if widths is None else 0.5 * np.asarray(widths, dtype=float)
    missed = np.any((c - margin < f.min()) | (c + margin > f.max()), axis=-1)
    if np.any(missed):
        idx = np.argwhere(missed)
        warnings.warn(
            f"{name}: the grid {f.min() / 1e9:.6g}–{f.max() / 1e9:.6g} GHz misses resonances in "
            f"{idx.shape[0]} pixel(s), e.g. pixel index {idx[:5].tolist()}; lines there span "
            f"{c[missed].min() / 1e9:.6g}–{c[missed].max() / 1e9:.6g} GHz",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    return missed


def noisy_spectra(
    frequencies, centers, widths, contrasts, counts_per_point, rng, shape="lorentzian"
):
    """Photon-counting spectra (..., nf): Poisson counts with mean N·S(f), divided by N, where N =
    ``counts_per_point`` (count rate × time per frequency point; scalar or (...)), S the model."""
    check_choice("shape", shape, SHAPES)
    n = as_float_array("counts_per_point", counts_per_point)
    if np.any(n <= 0):
        raise InputError(f"counts_per_point: must be > 0, got min {n.min()!r}")
    model = odmr_spectrum(frequencies, centers, widths, contrasts, shape)
    n = n[..., None]
    return rng.poisson(model * n) / n


def line_position_crb(frequencies, center, width, contrast, counts_per_point, shape="lorentzian"):
    """Cramér–Rao bound (Hz) on the centre of one dip fitted with free width, contrast and
    amplitude, for Poisson counts with ``counts_per_point`` off resonance at each grid point.

    Fisher matrix I = Σ_f (∂μ/∂θ)(∂μ/∂θ)ᵀ / μ with μ = N S(f); σ = sqrt((I⁻¹)₀₀). Broadcasts over
    leading axes of the parameters.
    """
    check_choice("shape", shape, SHAPES)
    f = as_float_array("frequencies", frequencies, ndim=1)
    n = check_positive("counts_per_point", counts_per_point)
    value, jac = odmr_spectrum_with_jacobian(
        f,
        np.asarray(center, float)[..., None],
        np.asarray(width, float)[..., None],
        np.asarray(contrast, float)[..., None],
        shape,
    )
    grads = np.concatenate([n * jac, n * value[..., None]], axis=-1)  # amplitude column: S(f)
    fisher = np.einsum("...fi,...fj->...ij", grads, grads / (n * value)[..., None])
    return np.sqrt(np.linalg.inv(fisher)[..., 0, 0])


def swept_sensitivity(frequencies, width, contrast, count_rate, shape="lorentzian", center=None):
    """η (T Hz^-1/2) of a field read from one dip by sweeping ``frequencies`` and fitting: the CRB
    on the centre at a total time of 1 s (spread evenly over the grid) divided by γ_e."""
    f = as_float_array("frequencies", frequencies, ndim=1)
    rate, c, w = check_odmr_parameters(count_rate, contrast, width)
    centre = 0.5 * (f.min() + f.max()) if center is None else center
    return float(line_position_crb(f, centre, w, c, rate / f.size, shape) / GAMMA_E)


def count_rate_for_sensitivity(frequencies, width, contrast, sensitivity, shape="lorentzian", center=None):
    """Detected count rate (counts/s) at which a line swept over ``frequencies`` and fitted reaches
    ``sensitivity`` η (T Hz^-1/2, :func:`swept_sensitivity`): η ∝ 1/√R, so R = (η₁/η)² with η₁
    the sensitivity at 1 count/s."""
    eta = check_positive("sensitivity", sensitivity, unit="T/Hz^0.5")
    return swept_sensitivity(frequencies, width, contrast, 1.0, shape, center) ** 2 / eta**2
