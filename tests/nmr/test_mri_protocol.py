"""MRI protocol arithmetic against Liu et al., Nat. Mater. 2025 (seed 003 L203, L205), and bad input."""

import numpy as np
import pytest

from operando.errors import GeometryError, InputError
from operando.nmr import mri


def test_3d_voxel_and_time():
    # Liu et al., Nat. Mater. 2025 (seed 003 L203): FOV 10 x 10 x 3.2 mm, matrix 100 x 100 x 32 -> 100 um voxels
    p = mri.liu2025_gre3d()
    np.testing.assert_allclose(p.voxel, 100e-6, rtol=1e-12)
    # TR 0.25 s x 100 x 32 phase encodes x 128 averages = 28.4 h (the paper prints 26.4 h)
    assert p.phase_encodes == 100 * 32
    assert p.acquisition_time / 3600 == pytest.approx(28.44, abs=0.01)
    assert abs(p.acquisition_time / 3600 - 26.4) > 1.5
    # seed 003 L203: 194.4 MHz for 7Li at 11.75 T
    assert p.larmor / 1e6 == pytest.approx(194.4, abs=0.1)


def test_flash_time_and_larmor():
    # seed 003 L205: TR 0.3 s x 52 phase encodes x 1024 averages = 4.4 h (printed "4.5 h")
    p = mri.liu2025_flash()
    assert p.phase_encodes == 52
    assert p.acquisition_time / 3600 == pytest.approx(4.44, abs=0.01)
    assert mri.acquisition_time(0.3, 52, 1024) == pytest.approx(0.3 * 52 * 1024)
    # seed 003 L205 prints 394.7 MHz for 7Li at 21.1 T; gamma gives 349.2 MHz (typo in the paper)
    assert p.larmor / 1e6 == pytest.approx(349.2, abs=0.1)
    # 17 mm / 81 and 11 mm / 52
    np.testing.assert_allclose(p.voxel[1:], [17e-3 / 81, 11e-3 / 52])


def test_displacement_at_60_gauss_per_cm():
    # seed 003 L205: 60 G/cm gradients; Li metal at 264.5 ppm (L62) at 21.1 T -> delta B0 / G = 9.30 mm
    p = mri.liu2025_flash()
    assert p.displacement(264.5) == pytest.approx(264.5e-6 * 21.1 / 0.6, rel=1e-12)
    assert p.displacement(264.5) * 1e3 == pytest.approx(9.30, abs=0.01)
    assert p.with_(read_gradient=0.3).displacement(264.5) == pytest.approx(2 * p.displacement(264.5))
    assert p.with_(receiver_ppm=264.5).displacement(264.5) == 0.0


@pytest.mark.parametrize("changes, name", [
    (dict(matrix=(1, 0, 52)), "matrix"),
    (dict(matrix=(1, -3, 52)), "matrix"),
    (dict(tr=0.5e-3), "tr"),
    (dict(flip_angle=0.0), "flip_angle"),
    (dict(flip_angle=np.pi * 1.01), "flip_angle"),
    (dict(sequence="epi"), "sequence"),
    (dict(nucleus="8Li"), "nucleus"),
    (dict(read_axis="w"), "read_axis"),
    (dict(averages=0), "averages"),
])
def test_bad_protocols_name_the_parameter(changes, name):
    with pytest.raises(InputError, match=name):
        mri.liu2025_flash(**changes)


def test_flip_angle_180_is_allowed():
    assert mri.liu2025_flash(flip_angle=np.pi).flip_angle == np.pi


def test_fov_smaller_than_cell():
    p = mri.liu2025_gre3d()
    mri.check_covers(p, (5e-3, 5e-3, 1.2e-3))
    with pytest.raises(GeometryError, match="fov"):
        mri.check_covers(p, (5e-3, 5e-3, 4e-3))


def test_image_geometry_must_match():
    p = mri.liu2025_flash()
    mri.check_image(np.zeros((81, 52)), p)
    with pytest.raises(GeometryError, match="image"):
        mri.check_image(np.zeros((52, 81)), p)
    with pytest.raises(GeometryError, match="spacing"):
        mri.check_image(np.zeros((1, 81, 52)), p, spacing=(1.0, 1e-4, 1e-4))


def test_voxel_size_errors():
    with pytest.raises(InputError, match="matrix"):
        mri.voxel_size([1e-3], [0])
    with pytest.raises(InputError, match="fov"):
        mri.voxel_size([-1e-3], [10])
