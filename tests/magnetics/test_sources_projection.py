"""Induced magnetization, susceptibility units and NV-axis projection."""

import numpy as np
import pytest
import xarray as xr
from scipy.constants import mu_0

from operando import Grid
from operando.magnetics import (
    NV_TILT_111,
    molar_susceptibility_from_cgs,
    molar_to_volume_susceptibility,
    nv_axis,
    paramagnetic_magnetization,
    project,
    stray_field_from_magnetization,
)


def test_paramagnetic_magnetization_values_and_direction(rng):
    chi = rng.uniform(-1e-5, 1e-3, (2, 3, 4))
    B = np.array([0.0, 0.6, 0.8])
    M = paramagnetic_magnetization(chi, B)
    assert M.shape == (3, 2, 3, 4)
    np.testing.assert_allclose(M[1], chi * 0.6 / mu_0)
    np.testing.assert_array_equal(M[0], 0)
    # χ = 1e-3 in 1 T: M = 1e-3 / (4π·1e-7) ≈ 795.8 A/m
    assert paramagnetic_magnetization(np.full((1, 1, 1), 1e-3), [0, 0, 1])[2, 0, 0, 0] == (
        pytest.approx(795.7747, rel=1e-6)
    )


def test_molar_to_volume_susceptibility():
    # 1e-9 m³/mol over a molar volume of 2e-5 m³/mol → χ = 5e-5
    assert molar_to_volume_susceptibility(1e-9, 2e-5) == pytest.approx(5e-5)
    np.testing.assert_allclose(
        molar_to_volume_susceptibility(np.array([1e-9, -2e-9]), 1e-5), [1e-4, -2e-4]
    )
    # CGS: 1e-3 emu/mol = 4π·1e-9 m³/mol
    assert molar_susceptibility_from_cgs(1e-3) == pytest.approx(4 * np.pi * 1e-9)


def test_nv_axes():
    np.testing.assert_allclose(nv_axis("perpendicular"), [0, 0, 1])
    np.testing.assert_allclose(nv_axis("parallel", np.pi / 2), [0, 1, 0], atol=1e-16)
    a = nv_axis("111", np.pi / 4)
    assert np.linalg.norm(a) == pytest.approx(1)
    assert np.degrees(np.arccos(a[2])) == pytest.approx(54.7356, abs=1e-4)
    # azimuth 45°: the [111] body diagonal of the cube, (1, 1, 1)/√3
    np.testing.assert_allclose(a, np.ones(3) / np.sqrt(3))
    assert NV_TILT_111 == pytest.approx(np.arccos(1 / np.sqrt(3)))


def test_project_arrays_and_dataarrays(rng):
    B = rng.normal(size=(3, 2, 4, 5))
    axis = nv_axis("111", 0.3)
    got = project(B, axis)
    assert got.shape == (2, 4, 5)
    np.testing.assert_allclose(got, B[0] * axis[0] + B[1] * axis[1] + B[2] * axis[2])
    np.testing.assert_allclose(project(B, [0, 0, 2.0]), B[2])  # axis is normalised
    np.testing.assert_allclose(project(B, "perpendicular"), B[2])
    grid = Grid((1, 4, 5), 10e-9)
    da = grid.field_on_planes(B, [1e-8, 2e-8])
    out = project(da, axis)
    assert isinstance(out, xr.DataArray) and "component" not in out.dims
    assert out.attrs["units"] == "T"
    np.testing.assert_allclose(out.values, got)


def test_projected_field_of_perpendicular_magnet_along_111():
    """Above a +z magnetized voxel the [111]-axis field is Bz cos 54.74° + in-plane parts."""
    grid = Grid((1, 9, 9), 10e-9)
    M = np.zeros((3, *grid.shape))
    M[2, 0, 4, 4] = 1e5
    B = stray_field_from_magnetization(M, grid, 30e-9)
    b111 = project(B, nv_axis("111"))
    # directly above, Bx = By = 0 by symmetry, so B_NV = Bz / √3
    assert b111[0, 4, 4] == pytest.approx(B[2, 0, 4, 4] / np.sqrt(3), rel=1e-12)
    assert b111[0, 4, 4] > 0
