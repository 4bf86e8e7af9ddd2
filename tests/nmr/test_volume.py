"""Field inside a voxelized magnetization (operando.magnetics.volume) against exact references."""

import magpylib as magpy
import numpy as np
import pytest
from scipy.constants import mu_0

from operando.errors import InputError
from operando.grid import Grid
from operando.magnetics import volume


def centres(grid):
    Z, Y, X = np.meshgrid(grid.z, grid.y, grid.x, indexing="ij")
    return np.stack([X.ravel(), Y.ravel(), Z.ravel()], -1)


def test_uniform_cuboid_matches_magpylib_inside():
    g = Grid((6, 7, 9), (1e-6, 0.7e-6, 0.5e-6))
    Mv = np.array([3e5, -1e5, 2e5])
    M = np.broadcast_to(Mv[:, None, None, None], (3, *g.shape)).copy()
    B = volume.field_in_volume(M, g)
    Lz, Ly, Lx = g.extent
    cub = magpy.magnet.Cuboid(magnetization=Mv, dimension=(Lx, Ly, Lz),
                              position=(g.x.mean(), g.y.mean(), g.z.mean()))
    ref = cub.getB(centres(g)).T.reshape(3, *g.shape)
    np.testing.assert_allclose(B, ref, atol=1e-12 * np.abs(ref).max())
    # Lorentz correction removes (2/3) mu0 M everywhere inside
    np.testing.assert_allclose(volume.field_in_volume(M, g, lorentz=True), ref - 2 / 3 * mu_0 * M,
                               atol=1e-12 * np.abs(ref).max())


def test_far_voxel_is_a_dipole():
    g = Grid((1, 1, 60), 1e-6)
    M = np.zeros((3, *g.shape))
    M[:, 0, 0, 0] = [1e5, 0, 2e5]
    B = volume.field_in_volume(M, g)[:, 0, 0, -1]
    r = np.array([59e-6, 0, 0])
    m = M[:, 0, 0, 0] * g.voxel_volume
    rn = np.linalg.norm(r)
    dip = mu_0 / (4 * np.pi) * (3 * r * (m @ r) / rn**5 - m / rn**3)
    np.testing.assert_allclose(B, dip, rtol=1e-3)


def test_sphere_has_no_shift_inside_after_lorentz():
    n = 41
    g = Grid((n, n, n), 1e-6)
    Z, Y, X = np.indices(g.shape) - (n - 1) / 2
    r = np.sqrt(X**2 + Y**2 + Z**2)
    chi = np.where(r <= 18, 1e-5, 0.0)
    d = volume.field_shift_in_volume(chi, g, (0, 0, 1))
    core = r < 12
    # staircase sphere: the interior shift is a small fraction of chi (exact sphere: 0)
    assert np.abs(d[core]).max() < 0.03 * 1e-5
    # without the Lorentz correction the macroscopic field is (1 - N) chi = (2/3) chi
    d_macro = volume.field_shift_in_volume(chi, g, (0, 0, 1), lorentz=False)
    assert np.median(d_macro[core]) == pytest.approx(2 / 3 * 1e-5, rel=0.03)


def test_plate_demagnetising_factors():
    # a wide thin plate: normal along B0 -> N ~ 1, shift -2chi/3; in-plane -> N ~ 0, +chi/3
    g = Grid((2, 160, 160), 1e-6)
    chi = np.full(g.shape, 1e-5)
    normal = volume.field_shift_in_volume(chi, g, (0, 0, 1))[:, 70:90, 70:90]
    inplane = volume.field_shift_in_volume(chi, g, (1, 0, 0))[:, 70:90, 70:90]
    assert normal.mean() == pytest.approx(-2 / 3 * 1e-5, rel=0.03)
    assert inplane.mean() == pytest.approx(1 / 3 * 1e-5, rel=0.05)


def test_cylinder_demagnetising_factors():
    n, L = 24, 96
    g = Grid((L, n, n), 1e-6)
    _, Y, X = np.indices(g.shape)
    inside = (X - (n - 1) / 2) ** 2 + (Y - (n - 1) / 2) ** 2 <= (n / 2) ** 2
    R = np.sqrt(inside[0].sum() / np.pi)  # radius of the round cylinder of the same section
    chi = np.where(inside, 1e-5, 0.0)
    c = (n - 1) / 2 * 1e-6
    centre = (g.x[0] + c, g.y[0] + c, g.z[L // 2])
    # across the axis: N from magpylib's exact finite cylinder (-> 1/2 when long)
    cyl = magpy.magnet.Cylinder(magnetization=(1.0, 0, 0), dimension=(2 * R * 1e-6, L * 1e-6),
                                position=(centre[0], centre[1], g.z.mean()))
    n_trans = 1 - cyl.getB(centre)[0] / mu_0
    assert 0.45 < n_trans < 0.5
    d = volume.field_shift_in_volume(chi, g, (1, 0, 0))
    assert d[L // 2, n // 2, n // 2] == pytest.approx(1e-5 * (1 / 3 - n_trans), rel=0.05)
    # along the axis: N_axial(centre) = 1 - (L/2)/sqrt((L/2)^2 + R^2) for a round cylinder
    n_axial = 1 - (L / 2) / np.hypot(L / 2, R)
    d = volume.field_shift_in_volume(chi, g, (0, 0, 1))
    assert d[L // 2, n // 2, n // 2] == pytest.approx(1e-5 * (1 / 3 - n_axial), rel=0.03)


def test_tensor_is_consistent_and_traceless():
    rng = np.random.default_rng(3)
    g = Grid((8, 9, 10), (1e-6, 2e-6, 1.5e-6))
    chi = rng.normal(0, 1e-5, g.shape)
    t = volume.shift_tensor_in_volume(chi, g)
    np.testing.assert_allclose(t[0] + t[1] + t[2], 0, atol=1e-18)
    b = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
    proj = (b[0] ** 2 * t[0] + b[1] ** 2 * t[1] + b[2] ** 2 * t[2]
            + 2 * (b[0] * b[1] * t[3] + b[0] * b[2] * t[4] + b[1] * b[2] * t[5]))
    np.testing.assert_allclose(volume.field_shift_in_volume(chi, g, b), proj, atol=1e-17)
    # linear in chi, and the full-vector field agrees with the projected shift
    M = chi[None] * b[:, None, None, None] / mu_0
    Bloc = volume.field_in_volume(M, g, lorentz=True)
    np.testing.assert_allclose(np.einsum("i...,i", Bloc, b) - 0, proj, atol=1e-17)


def test_bad_input():
    g = Grid((2, 3, 4), 1e-6)
    with pytest.raises(InputError, match="chi: expected shape"):
        volume.field_shift_in_volume(np.zeros((2, 3)), g)
    with pytest.raises(InputError, match="non-finite"):
        volume.field_shift_in_volume(np.full(g.shape, np.nan), g)
    with pytest.raises(InputError, match="direction"):
        volume.field_shift_in_volume(np.zeros(g.shape), g, (0, 0, 0))
