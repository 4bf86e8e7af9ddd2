"""Stray field of voxelized magnetization: exact references, scaling laws and Fourier agreement."""

import magpylib as magpy
import numpy as np
import pytest
from scipy.constants import mu_0
from scipy.fft import fft2, ifft2

from operando import Grid
from operando.magnetics import (
    clear_kernel_cache,
    paramagnetic_magnetization,
    stray_field_from_magnetization,
)
from operando.magnetics.fourier import (
    crop2d,
    magnetization_to_field_transfer,
    pad2d,
    padded_shape,
    wavenumbers,
)


def magpylib_field(M, grid, heights):
    """Sum of magpylib Cuboid magnets (polarization μ0 M in T, SI lengths: magpylib >= 5)."""
    k, j, i = np.nonzero(np.any(M != 0, axis=0))
    magnets = [
        magpy.magnet.Cuboid(
            polarization=mu_0 * M[:, a, b, c],
            dimension=(grid.dx, grid.dy, grid.dz),
            position=(grid.x[c], grid.y[b], grid.z[a]),
        )
        for a, b, c in zip(k, j, i, strict=True)
    ]
    H, Y, X = np.meshgrid(heights, grid.y, grid.x, indexing="ij")
    obs = np.stack([X, Y, H], axis=-1).reshape(-1, 3)
    B = magpy.Collection(*magnets).getB(obs).reshape(*H.shape, 3)
    return np.moveaxis(B, -1, 0)


def dipole_field(m, r):
    """Point-dipole field (T) of moment m (A m²) at displacements r (3, ...) in m."""
    rn = np.linalg.norm(r, axis=0)
    m_dot_r = np.tensordot(m, r, axes=(0, 0))
    m = np.reshape(m, (3,) + (1,) * (r.ndim - 1))
    return mu_0 / (4 * np.pi) * (3 * r * m_dot_r / rn**5 - m / rn**3)


@pytest.mark.parametrize("origin", [None, (-130e-9, 1e-6, -2e-6)])
def test_random_voxels_match_magpylib(rng, origin, rel_l2):
    """Issue 2 exactness: random M, all components, several heights: rel. L2 < 1e-3 vs magpylib."""
    grid = Grid((4, 9, 11), (20e-9, 30e-9, 25e-9), origin)  # 396 voxels, anisotropic
    M = rng.normal(scale=3e5, size=(3, *grid.shape))
    M[:, rng.random(grid.shape) < 0.2] = 0.0
    heights = grid.top + np.array([5e-9, 30e-9, 120e-9])
    B = stray_field_from_magnetization(M, grid, heights)
    ref = magpylib_field(M, grid, heights)
    assert B.shape == (3, 3, 9, 11)
    for c in range(3):  # each component on its own, not just the total
        assert rel_l2(B[c], ref[c]) < 1e-3
    assert rel_l2(B, ref) < 1e-9  # in fact exact to rounding


def test_single_voxel_far_away_is_a_dipole(rel_l2):
    grid = Grid((1, 41, 41), 10e-9)
    M = np.zeros((3, *grid.shape))
    M[:, 0, 20, 20] = [2e5, -1e5, 3e5]
    h = 400e-9
    B = stray_field_from_magnetization(M, grid, h)[:, 0]
    Y, X = np.meshgrid(grid.y - grid.y[20], grid.x - grid.x[20], indexing="ij")
    r = np.stack([X, Y, np.full_like(X, h - grid.z[0])])
    ref = dipole_field(M[:, 0, 20, 20] * grid.voxel_volume, r)
    # a cube's quadrupole moment vanishes; the first correction is ~ (a/r)^4 ≈ 4e-7
    assert rel_l2(B, ref) < 1e-5
    assert B[2, 20, 20] > 0  # +Mz component dominates directly above: Bz > 0


def test_uniform_perpendicular_layer_has_no_field_far_from_its_edges():
    """Above an infinite uniformly magnetized layer B = 0 (its surface charges' fields cancel).

    A finite plate of side L is exactly its bound edge current M t circulating round a square, so
    at the centre B = (0, 0, ∫ μ0 M L² / (2π (s² + L²/4) √(s² + L²/2)) ds), which → 0 like t/L.
    """
    M0, d, t, h = 5e5, 10e-9, 10e-9, 50e-9
    fields = []
    for n in (101, 201):
        grid = Grid((1, n, n), (t, d, d))
        M = np.zeros((3, *grid.shape))
        M[2] = M0
        B = stray_field_from_magnetization(M, grid, h)[:, 0, n // 2, n // 2]
        L = n * d
        s, w = np.polynomial.legendre.leggauss(16)
        s = h + 0.5 * t * (s + 1)
        loop = mu_0 * M0 * L**2 / (2 * np.pi * (s**2 + L**2 / 4) * np.sqrt(s**2 + L**2 / 2))
        ref = 0.5 * t * (w * loop).sum()
        np.testing.assert_allclose(B[:2], 0, atol=1e-12 * mu_0 * M0)
        assert B[2] == pytest.approx(ref, rel=1e-8)
        assert abs(B[2]) < 2 * t / L * mu_0 * M0  # vanishes next to μ0 M as the layer grows
        fields.append(B[2])
    assert fields[1] / fields[0] == pytest.approx(101 / 201, rel=0.02)


def test_divergence_free(rng):
    """∇·B = 0 above the sample: 4th-order central differences converge to it as δ⁴.

    The source is fixed; the observation lattice (spacing δ laterally and in height) is refined
    by splitting each voxel 2 × 2 (the same physical source). For a dipole-like field at distance
    h the stencils' error is ~ (δ/h)⁴ · 7!/(3! · 30 · 3) ≈ 1e-3 at h = 12 δ, and must fall ~16×.
    """
    d, h0 = 10e-9, 120e-9
    M = np.zeros((3, 3, 48, 48))
    M[:, :, 20:28, 18:30] = rng.normal(scale=1e5, size=(3, 3, 8, 12))

    def d4(f, axis, step):
        f = np.moveaxis(f, axis, 0)
        return np.moveaxis((f[:-4] - 8 * f[1:-3] + 8 * f[3:-1] - f[4:]) / (12 * step), 0, axis)

    errors = []
    for split in (1, 2):
        delta = d / split
        grid = Grid((3, 48 * split, 48 * split), (d, delta, delta))
        Ms = M.repeat(split, axis=2).repeat(split, axis=3)
        B = stray_field_from_magnetization(Ms, grid, h0 + delta * np.arange(-2, 3))
        div = d4(B[0, 2], 1, delta)[2:-2, :] + d4(B[1, 2], 0, delta)[:, 2:-2]
        dbz = d4(B[2], 0, delta)[0][2:-2, 2:-2]
        errors.append(np.abs(div + dbz).max() / np.abs(dbz).max())
    assert errors[0] < 2e-3
    assert errors[1] < errors[0] / 10


def test_linear_in_magnetization_chi_and_applied_field(rng):
    grid = Grid((2, 12, 10), 20e-9)
    chi = rng.uniform(0, 1e-3, grid.shape)
    B1, B2 = np.array([0.1, 0.0, 0.3]), np.array([0.0, -0.2, 0.05])
    h = [30e-9, 60e-9]

    def field(c, b):
        return stray_field_from_magnetization(paramagnetic_magnetization(c, b), grid, h)

    ref = field(chi, B1)
    np.testing.assert_allclose(field(2.5 * chi, B1), 2.5 * ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(field(chi, 2.5 * B1), 2.5 * ref, rtol=1e-12, atol=0)
    both = field(chi, B1 + B2)
    np.testing.assert_allclose(both, ref + field(chi, B2), atol=1e-12 * abs(ref).max())
    M1 = rng.normal(size=(3, *grid.shape))
    M2 = rng.normal(size=(3, *grid.shape))
    lhs = stray_field_from_magnetization(2 * M1 - 3 * M2, grid, h)
    rhs = 2 * stray_field_from_magnetization(M1, grid, h)
    rhs -= 3 * stray_field_from_magnetization(M2, grid, h)
    np.testing.assert_allclose(lhs, rhs, atol=1e-12 * abs(rhs).max())


def test_kernel_cache_and_uncached_path_agree(rng, monkeypatch):
    """Cached spectra, fresh spectra, and the uncached path that skips empty layers agree."""
    from operando.magnetics import forward

    grid = Grid((4, 8, 8), 10e-9)
    M = rng.normal(size=(3, *grid.shape))
    M[:, [0, 2]] = 0.0  # empty layers: skipped when the spectra are not kept
    clear_kernel_cache()
    cold = stray_field_from_magnetization(M, grid, [20e-9, 40e-9])
    warm = stray_field_from_magnetization(M, grid, [20e-9, 40e-9])
    np.testing.assert_array_equal(cold, warm)
    monkeypatch.setattr(forward, "KERNEL_CACHE_BYTES", 0)
    clear_kernel_cache()
    uncached = stray_field_from_magnetization(M, grid, [20e-9, 40e-9])
    np.testing.assert_allclose(uncached, cold, rtol=0, atol=1e-14 * np.abs(cold).max())
    assert not forward._CACHE


@pytest.mark.slow
def test_larger_random_source_matches_magpylib(rng, rel_l2):
    grid = Grid((6, 24, 20), (15e-9, 20e-9, 25e-9))  # 2880 voxels
    M = rng.normal(scale=2e5, size=(3, *grid.shape))
    heights = np.array([3e-9, 25e-9, 60e-9, 250e-9])
    B = stray_field_from_magnetization(M, grid, heights)
    assert rel_l2(B, magpylib_field(M, grid, heights)) < 1e-9


@pytest.mark.parametrize("thickness", [30e-9, 1e-12])
def test_fourier_transfer_agrees_with_voxel_engine(thickness, rel_l2):
    """fourier.magnetization_to_field_transfer times the voxel form factor = the exact engine.

    A voxel layer is the pixel samples times a box of (dx, dy): its spectrum is the DFT times
    sinc(kx dx/2) sinc(ky dy/2). Aliased spectral copies are damped by e^{-2π h/d} ≈ 1e-14 at
    h = 5 d, so the two agree up to the FFT's periodic images — the wrap-around the voxel engine
    avoids — which fall as pad⁻³ (dipole images): 2.6e-3 at 4×, 3e-4 at 8×, ~4e-5 at 16× padding.
    Also covers the thin-sheet limit (thickness → 0, B ∝ thickness).
    """
    n, d = 48, 10e-9
    grid = Grid((1, n, n), (thickness, d, d))
    y = (np.arange(n) - n / 2) * d
    Y, X = np.meshgrid(y, y, indexing="ij")
    g = np.exp(-(X**2 + Y**2) / (2 * (40e-9) ** 2)) * (1 - X / 100e-9)
    M = np.stack([0.3 * g, -0.5 * g, g])[:, None] * 1e5
    h = 5 * d
    B = stray_field_from_magnetization(M, grid, h)[:, 0]
    shape = padded_shape(n, n, pad=16)
    ky, kx, _ = wavenumbers(shape, d, d)
    T = magnetization_to_field_transfer(ky, kx, h - grid.top, h - grid.top + thickness)
    form = np.sinc(kx * d / (2 * np.pi)) * np.sinc(ky * d / (2 * np.pi))
    Bf = np.einsum("ij...,j...->i...", T, fft2(pad2d(M[:, 0], shape)) * form)
    Bf = crop2d(np.real(ifft2(Bf)), n, n)
    assert rel_l2(B, Bf) < 2e-4
