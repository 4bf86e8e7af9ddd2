"""ODMR line shapes: normalization, FWHM, analytic Jacobians vs finite differences, hyperfine
lines."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.nv.lineshape import (
    gaussian_dip,
    gaussian_dip_with_jacobian,
    hyperfine_lines,
    lorentzian_dip,
    lorentzian_dip_with_jacobian,
    odmr_spectrum,
    odmr_spectrum_with_jacobian,
)

F = np.linspace(2.84e9, 2.90e9, 2001)


@pytest.mark.parametrize("dip", [lorentzian_dip, gaussian_dip])
def test_dip_depth_and_fwhm(dip):
    f0, width, contrast = 2.87e9, 6e6, 0.03
    y = dip(F, f0, width, contrast)
    assert y.min() == pytest.approx(1 - contrast, abs=1e-6)
    # half depth exactly at f0 ± width/2
    half = dip(np.array([f0 - width / 2, f0 + width / 2]), f0, width, contrast)
    np.testing.assert_allclose(half, 1 - contrast / 2, rtol=1e-12)


def test_lorentzian_area_is_pi_half_width():
    f = np.linspace(-5e9, 5e9, 2_000_001)
    depth = 1 - lorentzian_dip(f, 0.0, 2e6, 1.0)
    area = np.sum(depth) * (f[1] - f[0])
    assert area == pytest.approx(np.pi * 1e6, rel=1e-3)


@pytest.mark.parametrize("dip_jac", [lorentzian_dip_with_jacobian, gaussian_dip_with_jacobian])
def test_jacobian_matches_finite_differences(dip_jac):
    # pixel axis (4,) broadcasting over frequency
    params = np.array(
        [[2.869e9, 5e6, 0.02], [2.871e9, 8e6, 0.05], [2.86e9, 3e6, 0.1], [2.88e9, 1e7, 0.3]]
    )
    value, jac = dip_jac(F, *params.T)
    assert value.shape == (4, F.size) and jac.shape == (4, F.size, 3)
    steps = np.array([1.0, 1.0, 1e-7])
    for k in range(3):
        dp = np.zeros(3)
        dp[k] = steps[k]
        num = (dip_jac(F, *(params + dp).T)[0] - dip_jac(F, *(params - dp).T)[0]) / (2 * steps[k])
        np.testing.assert_allclose(jac[..., k], num, atol=1e-6 * np.abs(jac[..., k]).max())


def test_spectrum_sum_and_jacobian():
    centers = np.array([[2.80e9, 2.94e9], [2.85e9, 2.89e9]])
    widths = np.full_like(centers, 5e6)
    contrasts = np.array([[0.02, 0.03], [0.04, 0.01]])
    y = odmr_spectrum(F, centers, widths, contrasts)
    expected = 1 - sum(
        1 - lorentzian_dip(F, centers[:, i], widths[:, i], contrasts[:, i]) for i in range(2)
    )
    np.testing.assert_allclose(y, expected, rtol=1e-14)
    value, jac = odmr_spectrum_with_jacobian(F, centers, widths, contrasts, shape="gaussian")
    assert jac.shape == (2, F.size, 6)
    h = 10.0
    c2 = centers.copy()
    c2[:, 1] += h
    num = (odmr_spectrum(F, c2, widths, contrasts, "gaussian") - value) / h
    np.testing.assert_allclose(jac[..., 3], num, atol=1e-3 * np.abs(jac[..., 3]).max())


def test_hyperfine_multiplets():
    c, _, a = hyperfine_lines([[2.8e9, 2.9e9]], [[1e6, 1e6]], [[0.03, 0.03]], "14N")
    assert c.shape == (1, 6)
    np.testing.assert_allclose(np.diff(c[0, :3]), 2.16e6)
    np.testing.assert_allclose(a.sum(), 0.06)
    c, _, a = hyperfine_lines([2.8e9], [1e6], [0.03], "15N")
    np.testing.assert_allclose(np.diff(c), 3.03e6)
    with pytest.raises(InputError, match="isotope"):
        hyperfine_lines([2.8e9], [1e6], [0.03], "13C")
    with pytest.raises(InputError, match="shape"):
        odmr_spectrum(F, [2.8e9], [1e6], [0.03], shape="voigt")
