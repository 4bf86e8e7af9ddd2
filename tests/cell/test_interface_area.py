"""True interface area of voxelized surfaces: spheres, discs and planes at several voxel sizes."""

import numpy as np
import pytest

from operando.cell.interface_area import face_area_weights, interface_area
from operando.errors import InputError


def _sphere(radius, voxel, slab=False):
    n = int(np.ceil(2 * radius / voxel)) + 6
    c = (n - 1) / 2 + 0.3  # off the voxel grid: no symmetric special case
    z, y, x = np.mgrid[: (1 if slab else n), :n, :n]
    r2 = (x - c) ** 2 + (y - c) ** 2 + (0 if slab else (z - c) ** 2)
    return r2 * voxel**2 <= radius**2


@pytest.mark.parametrize("voxel", [0.5e-6, 0.33e-6, 0.25e-6, 0.125e-6])
def test_sphere_area_independent_of_voxel_size(voxel):
    radius = 1.5e-6  # 3 to 12 voxels
    true, faces = interface_area(_sphere(radius, voxel), (voxel,) * 3)
    exact = 4 * np.pi * radius**2
    print(f"voxel {voxel * 1e9:.0f} nm: faces/true {faces / exact:.3f}, weighted {true / exact:.3f}")
    assert faces / exact > 1.4  # the staircase alone overstates it ~1.5×
    assert true == pytest.approx(exact, rel=0.05)


@pytest.mark.parametrize("voxel", [0.5e-6, 0.25e-6, 0.125e-6])
def test_disc_in_a_slab(voxel):
    # a 2-D section is one voxel deep: its particles are discs (cylinders of the slab's depth)
    radius, depth = 1.5e-6, 0.4e-6
    true, faces = interface_area(_sphere(radius, voxel, slab=True), (depth, voxel, voxel))
    exact = 2 * np.pi * radius * depth
    assert faces / exact == pytest.approx(4 / np.pi, rel=0.03)
    assert true == pytest.approx(exact, rel=0.05)


def test_plane_along_an_axis_keeps_its_faces():
    mask = np.zeros((5, 6, 10), bool)
    mask[..., :4] = True
    w = face_area_weights(mask, (1e-7, 2e-7, 3e-7))
    np.testing.assert_allclose(w[2][..., 3], 1.0, rtol=1e-12)
    assert np.count_nonzero(w[0]) == np.count_nonzero(w[1]) == 0
    assert np.count_nonzero(w[2]) == 5 * 6


@pytest.mark.parametrize("slab", [True, False])
def test_staircase_at_45_degrees_is_root_two_smaller(slab):
    n = 40
    nz = 1 if slab else 6
    _, y, x = np.mgrid[:nz, :n, :n]
    mask = x + y < n
    w = face_area_weights(mask, (1e-7,) * 3)
    inner = [wi[:, 5:-5, 5:-5] for wi in w[1:]]  # away from the domain's edges
    vals = np.concatenate([wi[wi > 0] for wi in inner])
    np.testing.assert_allclose(vals, 1 / np.sqrt(2), rtol=1e-6)


def test_plane_along_the_body_diagonal_is_root_three_smaller():
    n = 24
    z, y, x = np.mgrid[:n, :n, :n]
    w = face_area_weights(x + y + z < 1.5 * n, (1e-7,) * 3)
    inner = np.concatenate([wi[5:-5, 5:-5, 5:-5].ravel() for wi in w])
    np.testing.assert_allclose(inner[inner > 0], 1 / np.sqrt(3), rtol=1e-6)


def test_anisotropic_spacing_gives_the_same_true_area():
    # an ellipse-shaped voxelization of one disc on a 2:1 grid
    radius, depth = 1.5e-6, 1e-6
    dy, dx = 0.1e-6, 0.2e-6
    y, x = np.mgrid[:40, :24]
    mask = (((y - 19.6) * dy) ** 2 + ((x - 11.7) * dx) ** 2 <= radius**2)[None]
    true, _ = interface_area(mask, (depth, dy, dx))
    assert true == pytest.approx(2 * np.pi * radius * depth, rel=0.05)


def test_bad_input():
    with pytest.raises(InputError, match="mask"):
        face_area_weights(np.zeros((4, 4), bool), (1, 1, 1))
    with pytest.raises(InputError, match="smoothing"):
        face_area_weights(np.zeros((2, 4, 4), bool), (1, 1, 1), smoothing=0)
