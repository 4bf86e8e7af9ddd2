"""Noise: fields fitted from many simulated shot-noise spectra scatter as the predicted sensitivity
(Cramér–Rao bound of the swept spectrum, and η_CW for slope detection) within 10 %."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.nv.constants import GAMMA_E
from operando.nv.lineshape import odmr_spectrum_with_jacobian
from operando.nv.sensitivity import MAX_SLOPE, cw_sensitivity, field_noise
from operando.nv.spectra import line_position_crb, noisy_spectra, swept_sensitivity


def _fit_dips(f, data, start, n_steps=8):
    """Minimal vectorised Gauss–Newton fit of (centre, width, contrast, amplitude) per spectrum."""
    theta = np.array(start, dtype=float)
    for _ in range(n_steps):
        model, jac = odmr_spectrum_with_jacobian(f, theta[:, :1], theta[:, 1:2], theta[:, 2:3])
        amp = theta[:, 3:4]
        full_jac = np.concatenate([amp[..., None] * jac, model[..., None]], axis=-1)
        resid = data - amp * model
        jtj = np.einsum("pfi,pfj->pij", full_jac, full_jac)
        jtr = np.einsum("pfi,pf->pi", full_jac, resid)
        theta = theta + np.linalg.solve(jtj, jtr[..., None])[..., 0]
    return theta


def test_fitted_field_scatter_matches_crb(rng):
    f = np.linspace(2.85e9, 2.89e9, 81)
    f0, width, contrast, rate, t_total = 2.8712e9, 8e6, 0.03, 1e6, 1.0
    n_point = rate * t_total / f.size
    spectra = noisy_spectra(f, np.full((3000, 1), f0), width, contrast, n_point, rng)
    start = np.tile([f0 + 2e5, width * 1.1, contrast * 0.9, 1.0], (3000, 1))
    fit = _fit_dips(f, spectra, start)
    scatter_b = np.std(fit[:, 0]) / GAMMA_E
    predicted = swept_sensitivity(f, width, contrast, rate, center=f0) / np.sqrt(t_total)
    assert predicted == pytest.approx(line_position_crb(f, f0, width, contrast, n_point) / GAMMA_E)
    assert scatter_b == pytest.approx(predicted, rel=0.10)


def test_slope_detection_scatter_matches_cw_sensitivity(rng):
    # read at the steepest point of the dip: δB = δcounts / (slope γ)
    width, contrast, rate, t = 6e6, 0.05, 1e6, 0.01
    eta = cw_sensitivity(rate, contrast, width)
    detuning = width / (2 * np.sqrt(3))  # steepest point of a Lorentzian
    mean = rate * t * (1 - contrast / (1 + (2 * detuning / width) ** 2))
    counts = rng.poisson(mean, size=20000)
    slope = rate * t * contrast * MAX_SLOPE["lorentzian"] / width  # counts per Hz
    scatter_b = np.std(counts / slope) / GAMMA_E
    assert scatter_b == pytest.approx(float(field_noise(eta, t)), rel=0.10)
    # seed 000 L139: a CW sensitivity ~1 µT Hz^-1/2 follows from typical single-NV numbers
    assert 0.3e-6 < cw_sensitivity(5e5, 0.15, 5e6) < 3e-6


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"count_rate": -1.0, "contrast": 0.1, "linewidth": 1e6}, "count_rate"),
        ({"count_rate": 1e5, "contrast": 0.1, "linewidth": -1e6}, "linewidth"),
        ({"count_rate": 1e5, "contrast": 1.2, "linewidth": 1e6}, "contrast"),
        ({"count_rate": 1e5, "contrast": 0.0, "linewidth": 1e6}, "contrast"),
    ],
)
def test_bad_odmr_parameters(kwargs, name):
    with pytest.raises(InputError, match=name):
        cw_sensitivity(**kwargs)


def test_power_broadening_optimum_and_pulsed_formulas():
    from operando.nv.sensitivity import (
        echo_sensitivity,
        lockin_sensitivity,
        optimal_rabi_frequency,
        power_broadened_line,
        ramsey_sensitivity,
        readout_contrast_factor,
    )

    rabi = np.linspace(0.2e6, 5e6, 2000)
    lines = [power_broadened_line(r, 1e6, 1e6, 0.3) for r in rabi]
    eta = np.array([cw_sensitivity(1e5, c, w) for w, c in lines])
    assert rabi[np.argmin(eta)] == pytest.approx(optimal_rabi_frequency(1e6), rel=0.01)
    width, contrast = power_broadened_line(optimal_rabi_frequency(1e6), 1e6, 1e6, 0.3)
    assert width == pytest.approx(np.sqrt(3) * 1e6) and contrast == pytest.approx(0.2)
    # Ramsey at τ = T2*/2 without overhead: η ∝ 1/sqrt(T2*); a Hahn echo (T2 ≫ T2*) beats Ramsey
    assert ramsey_sensitivity(0.04, 4e-6, overhead=0) == pytest.approx(
        ramsey_sensitivity(0.04, 1e-6, overhead=0) / 2, rel=1e-9
    )
    assert echo_sensitivity(0.04, 100e-6, 10e3) < ramsey_sensitivity(0.04, 2e-6)
    assert lockin_sensitivity(1e-6) == pytest.approx(np.sqrt(2) * 1e-6)
    assert readout_contrast_factor(1e6, 0.0) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(InputError, match="photons_dark"):
        readout_contrast_factor(0.03, 0.05)
