"""Segmentation, interface height maps and the CT of a layered cell against its ground truth."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.xray.ct import cell_ct
from operando.xray.ct.roughness import sa
from operando.xray.ct.segment import interface_height, segment, segment_otsu

PIXEL = 3.25e-6
MU = {"li": 6.6, "spe": 18.9, "cathode": 73.5}


def _layers(za_vox, zc_vox, shape=(30, 6, 7)):
    k = np.arange(shape[0])[:, None, None] + np.zeros(shape)
    return np.where(k < za_vox, 0, np.where(k < zc_vox, 1, 2)).astype(np.int16)


def test_interface_of_flat_and_stepped_layers():
    za = np.full((6, 7), 8)
    za[:, 4:] = 11
    lab = _layers(za[None], 20)
    z = interface_height(lab, 0, 1, PIXEL)
    np.testing.assert_allclose(z, za * PIXEL)
    np.testing.assert_allclose(interface_height(lab, 1, 2, PIXEL, origin=1e-3), 1e-3 + 20 * PIXEL)


def test_sub_voxel_height_from_partial_volumes():
    rng = np.random.default_rng(0)
    za = 10 * PIXEL + rng.uniform(-3, 3, (8, 9)) * PIXEL
    zc = za + 30e-6
    vol, za_true, _zc_true = cell_ct.layered_volume(za, zc, 40, PIXEL, MU, anode_level=15 * PIXEL)
    labels, names = segment(vol, MU)
    lab = {n: k for k, n in names.items()}
    z = interface_height(labels, lab["li"], lab["spe"], PIXEL, image=vol, mu_below=MU["li"], mu_above=MU["spe"])
    np.testing.assert_allclose(z, za_true, atol=1e-3 * PIXEL)
    z_vox = interface_height(labels, lab["li"], lab["spe"], PIXEL)
    assert np.abs(z_vox - za_true).max() <= PIXEL  # without refinement: within a voxel


def test_segmentation_by_mu_and_otsu_agree_on_clean_layers():
    lab_true = _layers(10, 20)
    vol = np.choose(lab_true, [MU["li"], MU["spe"], MU["cathode"]]).astype(float)
    labels, names = segment(vol, MU)
    assert [names[k] for k in range(3)] == ["li", "spe", "cathode"]
    assert np.array_equal(labels, lab_true)
    otsu, thresholds = segment_otsu(vol + np.random.default_rng(1).normal(0, 1, vol.shape), 3)
    assert np.mean(otsu == lab_true) > 0.99 and thresholds[0] < thresholds[1]


def test_missing_phase_names_parameter():
    lab = _layers(10, 20)
    with pytest.raises(InputError, match="below"):
        interface_height(lab, 5, 1, PIXEL)
    with pytest.raises(InputError, match="above"):
        interface_height(lab, 0, 7, PIXEL)
    # Li everywhere under the cathode in one column: no Li|SPE contact there
    lab[:, 0, 0] = np.where(np.arange(30) < 20, 0, 2)
    with pytest.raises(InputError, match=r"labels.*1 of 42"):
        interface_height(lab, 0, 1, PIXEL)
    with pytest.raises(InputError, match="mu_of_phase"):
        segment(np.ones((3, 3)), {"li": 1.0})


def test_ct_of_a_rough_cell_recovers_ra():
    rng = np.random.default_rng(2)
    from operando.xray.ct.evolution import gaussian_surface

    za = gaussian_surface((40, 40), PIXEL, 5.07e-6, 30e-6, rng)  # Table 2 pristine Ra (seed 002 L215)
    zc = gaussian_surface((40, 40), PIXEL, 2.12e-6, 30e-6, rng)
    mu = cell_ct.phase_mu()
    vol, za_t, zc_t = cell_ct.layered_volume(za, zc, 40, PIXEL, mu)
    rec = cell_ct.scan_and_reconstruct(vol, PIXEL, n_angles=240, photons=1e7, seed=0)
    got = cell_ct.measure_interfaces(rec, PIXEL, mu, margin=4)
    inner = (slice(4, -4), slice(4, -4))
    assert got["ra_anode"] == pytest.approx(sa(za_t[inner]), rel=0.05)
    assert got["ra_cathode"] == pytest.approx(sa(zc_t[inner]), rel=0.05)
    assert np.sqrt(np.mean((got["anode"] - za_t[inner]) ** 2)) < 0.5 * PIXEL


def test_phase_contrast_at_115_kev_from_xraydb():
    mu = cell_ct.phase_mu(115e3)
    assert mu["li"] < mu["spe"] < mu["cathode"]
    assert mu["li"] == pytest.approx(0.534e3 * 0.01245, rel=0.05)  # μ/ρ(Li, 115 keV) ≈ 0.124 cm²/g


def test_layered_volume_bad_input():
    z = np.zeros((4, 4))
    with pytest.raises(InputError, match="nz"):
        cell_ct.layered_volume(z, z, 5, PIXEL, MU)
    with pytest.raises(InputError, match="anode, cathode"):
        cell_ct.layered_volume(z, z, 40, PIXEL, MU, spe_thickness=0.5 * PIXEL)
