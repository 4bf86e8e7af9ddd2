"""Every user-facing setting of the CT chain changes what it names."""

import numpy as np
import pytest

from operando.xray.ct import acquire, fbp, phantoms, project, remove_stripes
from operando.xray.ct.segment import interface_height, segment

ANGLES = np.linspace(0, np.pi, 60, endpoint=False)
DISC = ((1.0, 10.0, 10.0, 3.0, 0.0, 0.0),)


@pytest.fixture(scope="module")
def sino():
    return phantoms.ellipses_radon(DISC, ANGLES, np.arange(41) - 20.0)


def test_center_shifts_the_reconstruction(sino):
    a = fbp(sino, ANGLES, shape=(28, 28))
    b = fbp(sino, ANGLES, shape=(28, 28), center=21.0)  # axis one bin off: the disc smears
    assert np.abs(a - b).max() > 0.1
    assert a.max() > b.max()


def test_n_det_sets_detector_width():
    img = phantoms.ellipses_image(DISC, (20, 20))
    assert project(img, ANGLES, n_det=33).shape == (60, 33)


def test_blur_and_dark_change_the_scan(sino):
    p = sino * 0.05
    sharp = acquire(p, noise=False).line_integrals()
    blurred = acquire(p, noise=False, blur_px=2.0).line_integrals()
    assert np.abs(sharp - blurred).max() > 1e-3
    raw_low = acquire(p, noise=False, dark=0.0).raw
    raw_high = acquire(p, noise=False, dark=500.0).raw
    np.testing.assert_allclose(raw_high - raw_low, 500.0)


def test_snr_sets_stripe_detection():
    rng = np.random.default_rng(4)
    clean = 1.0 + rng.normal(0, 0.01, (64, 41))  # angle-averaged profile noise ≈ 0.00125
    s = clean.copy()
    s[:, 10] += 0.05  # ≈ 40 profile-noise units
    s[:, 30] += 0.5  # ≈ 400
    loose = remove_stripes(s, method="detect", snr=5.0)
    strict = remove_stripes(s, method="detect", snr=100.0)
    assert np.abs(loose[:, [10, 30]] - clean[:, [10, 30]]).mean() < 0.01
    assert np.allclose(strict[:, 10], s[:, 10]) and np.abs(strict[:, 30] - clean[:, 30]).mean() < 0.01


def test_smooth_px_and_window_matter():
    rng = np.random.default_rng(0)
    k = np.arange(30)[:, None, None] + np.zeros((30, 6, 6))
    vol = np.where(k < 12.4, 1.0, 3.0) + rng.normal(0, 0.6, k.shape)
    raw, _ = segment(vol, {"a": 1.0, "b": 3.0})
    smooth, _ = segment(vol, {"a": 1.0, "b": 3.0}, smooth_px=1.5)
    truth = (k >= 12.4).astype(int)
    assert np.mean(smooth == truth) > np.mean(raw == truth)
    lab = truth.astype(np.int16)
    clean = np.where(k < 12.4, 1.0, 3.0)
    clean[12] = 0.4 * 1.0 + 0.6 * 3.0  # voxel 12 holds 40 % of phase a (labelled a)
    z1 = interface_height(lab, 0, 1, 1.0, image=clean, mu_below=1.0, mu_above=3.0, window=1)
    z0 = interface_height(lab, 0, 1, 1.0)
    np.testing.assert_allclose(z1, 12.4)  # partial volume: 12 full voxels + 0.4
    np.testing.assert_allclose(z0, 13.0)  # voxel faces: the top of the highest voxel of a
