"""Fourier transfer functions: limits, Maxwell's equations, signs and analytic fields."""

import numpy as np
import pytest
from scipy.constants import mu_0
from scipy.fft import fft2, ifft2
from scipy.special import wofz

from operando.errors import InputError
from operando.magnetics.fourier import (
    crop2d,
    current_to_field_transfer,
    layer_depth_factor,
    magnetization_to_field_transfer,
    pad2d,
    padded_shape,
    wavenumbers,
)


def test_padded_shape_pad_crop_roundtrip(rng):
    py, px = padded_shape(37, 50)
    assert py >= 74 and px >= 100
    a = rng.normal(size=(3, 37, 50))
    p = pad2d(a, (py, px))
    assert p.shape == (3, py, px)
    assert np.all(p[..., 37:, :] == 0) and np.all(p[..., :, 50:] == 0)
    np.testing.assert_array_equal(crop2d(p, 37, 50), a)


def test_wavenumbers_layouts():
    ky, kx, k = wavenumbers((6, 8), 2.0, 0.5)
    assert ky.shape == (6, 1) and kx.shape == (1, 8) and k.shape == (6, 8)
    np.testing.assert_allclose(kx[0, 1], 2 * np.pi / (8 * 0.5))
    np.testing.assert_allclose(ky[0, 1] if ky.shape[1] > 1 else ky[1, 0], 2 * np.pi / 12)
    _, kxr, kr = wavenumbers((6, 8), 2.0, 0.5, rfft=True)
    assert kxr.shape == (1, 5) and kr.shape == (6, 5)


def test_layer_depth_factor_limits_and_quadrature():
    k = np.array([0.0, 1e-12, 1e3, 1e7, 1e9])
    d1, d2 = 20e-9, 70e-9
    got = layer_depth_factor(k, d1, d2)
    s, w = np.polynomial.legendre.leggauss(40)
    s = 0.5 * (d2 - d1) * s + 0.5 * (d1 + d2)
    ref = (0.5 * (d2 - d1) * w * np.exp(-k[:, None] * s)).sum(axis=1)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert got[0] == pytest.approx(d2 - d1, rel=1e-15)
    # thin-sheet limit: D / t -> e^{-k d}
    t = 1e-15
    np.testing.assert_allclose(layer_depth_factor(k, d1, d1 + t) / t, np.exp(-k * d1), rtol=1e-6)


@pytest.mark.parametrize("which", ["magnetization", "current"])
def test_transfer_is_divergence_and_curl_free(which):
    """Above the sources ∇·B = 0 and ∇×B = 0 (for currents: when the current is divergence-free)."""
    ky, kx, k = wavenumbers((16, 12), 30e-9, 20e-9)
    if which == "magnetization":
        T = magnetization_to_field_transfer(ky, kx, 40e-9, 90e-9)
    else:  # J = ∇×(ψ ẑ) = (i ky, -i kx) ψ has ∇·J = 0; Biot–Savart is curl-free above it
        T_J = current_to_field_transfer(ky, kx, 40e-9, 90e-9)
        T = (T_J[:, 0] * 1j * ky - T_J[:, 1] * 1j * kx)[:, None]
    # above all sources the field varies as e^{-k z}: d/dz -> -k
    div = 1j * kx * T[0] + 1j * ky * T[1] - k * T[2]
    curl_z = 1j * kx * T[1] - 1j * ky * T[0]
    scale = np.abs(T).max() * k.max()
    assert np.abs(div).max() < 1e-12 * scale
    assert np.abs(curl_z).max() < 1e-12 * scale


def test_magnetization_transfer_reciprocity_and_k0():
    ky, kx, _ = wavenumbers((10, 14), 10e-9, 10e-9)
    T = magnetization_to_field_transfer(ky, kx, 10e-9, 30e-9)
    np.testing.assert_allclose(T, np.swapaxes(T, 0, 1), atol=1e-30)
    assert np.all(T[..., 0, 0] == 0)  # infinite uniform magnetized sheet: no external field


def test_perpendicular_magnetization_equals_its_bound_current(rng):
    """A layer with M = Mz(x, y) ẑ is its bound current J = ∇×M = (∂y Mz, -∂x Mz)."""
    ky, kx, _ = wavenumbers((16, 16), 25e-9, 25e-9)
    mz = fft2(rng.normal(size=(16, 16)))
    b_mag = magnetization_to_field_transfer(ky, kx, 30e-9, 80e-9)[:, 2] * mz
    T_J = current_to_field_transfer(ky, kx, 30e-9, 80e-9)
    b_cur = T_J[:, 0] * (1j * ky * mz) + T_J[:, 1] * (-1j * kx * mz)
    np.testing.assert_allclose(b_cur, b_mag, atol=1e-12 * np.abs(b_mag).max())


@pytest.mark.parametrize("direction", ["x", "y"])
def test_gaussian_current_ribbon_matches_faddeeva(direction, rel_l2):
    """Infinitely long layer carrying J ∝ exp(-u²/2σ²) along x (or y), u the cross coordinate.

    A line current I along +x at the origin gives at (y, s): By = -μ0 I s/2πr², Bz = μ0 I y/2πr²
    (right-hand rule: the field *above* a +x current points along -y). Convolved with a Gaussian the
    line kernel becomes the Faddeeva function: By + i(-Bz) = -(μ0 K0/2) w((y + i s)/(σ√2)).
    """
    d = 10e-9
    n, sigma, J0 = 1024, 50e-9, 1e9
    d1, d2 = 150e-9, 210e-9
    u = (np.arange(n) - n // 2) * d
    profile = J0 * np.exp(-(u**2) / (2 * sigma**2))
    big = 32 * n  # padding: periodic images ~ 300 μm away shift B by ~ μ0 I s / L² ≈ 1e-5 relative
    if direction == "x":
        J = np.zeros((2, big, 1))
        J[0, :n, 0] = profile
        ky, kx, _ = wavenumbers((big, 1), d, d)
    else:
        J = np.zeros((2, 1, big))
        J[1, 0, :n] = profile
        ky, kx, _ = wavenumbers((1, big), d, d)
    T = current_to_field_transfer(ky, kx, d1, d2)
    B = np.real(ifft2((T * fft2(J)[None]).sum(axis=1))).reshape(3, -1)[:, :n]
    s, wts = np.polynomial.legendre.leggauss(24)
    s = 0.5 * (d2 - d1) * s + 0.5 * (d1 + d2)
    wz = (0.5 * (d2 - d1) * wts * wofz((u[:, None] + 1j * s) / (sigma * np.sqrt(2)))).sum(axis=1)
    along = -0.5 * mu_0 * J0 * wz.real  # component along ẑ × (current direction), i.e. -y for +x
    vertical = 0.5 * mu_0 * J0 * wz.imag
    window = np.abs(u) < 1.5e-6
    if direction == "x":  # current +x: By = along < 0 above the centre, Bz odd in y
        np.testing.assert_allclose(B[0], 0, atol=1e-15)
        assert rel_l2(B[1][window], along[window]) < 2e-5
        assert rel_l2(B[2][window], vertical[window]) < 2e-5
        assert B[1][n // 2] < 0
    else:  # current +y: rotating by 90° gives Bx = -along > 0, Bz = -vertical(x)
        np.testing.assert_allclose(B[1], 0, atol=1e-15)
        assert rel_l2(B[0][window], -along[window]) < 2e-5
        assert rel_l2(B[2][window], -vertical[window]) < 2e-5
        assert B[0][n // 2] > 0


@pytest.mark.parametrize("comp", [0, 1, 2])
def test_small_gaussian_blob_is_a_dipole(comp, rel_l2):
    """A magnetized blob much smaller than the stand-off is a point dipole (error ~ σ²/s²)."""
    d, n, sigma, s, t = 5e-9, 256, 5e-9, 150e-9, 1e-9
    y = (np.arange(n) - n // 2) * d
    Y, X = np.meshgrid(y, y, indexing="ij")
    g = np.exp(-(X**2 + Y**2) / (2 * sigma**2))
    M0 = 1e5
    shape = padded_shape(n, n)
    ky, kx, _ = wavenumbers(shape, d, d)
    Mhat = fft2(pad2d(M0 * g, shape))
    T = magnetization_to_field_transfer(ky, kx, s, s + t)
    B = crop2d(np.real(ifft2(T[:, comp] * Mhat)), n, n)
    m = np.zeros(3)
    m[comp] = M0 * g.sum() * d * d * t
    r = np.stack([X, Y, np.full_like(X, s + t / 2)])
    rn = np.linalg.norm(r, axis=0)
    m_dot_r = np.einsum("i,i...->...", m, r)
    ref = mu_0 / (4 * np.pi) * (3 * r * m_dot_r / rn**5 - m[:, None, None] / rn**3)
    win = np.s_[:, n // 2 - 80 : n // 2 + 80, n // 2 - 80 : n // 2 + 80]
    assert rel_l2(B[win], ref[win]) < 1e-2
    if comp == 2:
        assert B[2, n // 2, n // 2] > 0  # +Mz: Bz > 0 directly above


def test_bad_inputs_name_the_parameter():
    ky, kx, _ = wavenumbers((4, 4), 1.0, 1.0)
    with pytest.raises(InputError, match="d_far"):
        layer_depth_factor(np.ones(3), 2.0, 1.0)
    with pytest.raises(InputError, match="d_near"):
        magnetization_to_field_transfer(ky, kx, -1.0, 1.0)
    with pytest.raises(InputError, match="dx"):
        wavenumbers((4, 4), 1.0, 0.0)
    with pytest.raises(InputError, match="pad"):
        padded_shape(4, 4, pad=0.5)
    with pytest.raises(InputError, match="shape"):
        pad2d(np.ones((4, 4)), (2, 8))
