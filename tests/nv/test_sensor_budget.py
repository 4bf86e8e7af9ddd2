"""The photon budget that gives a sensor a chosen sensitivity, and the pixels a sensor records."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from operando.errors import InputError
from operando.nv.acquisition import (
    ScanningNV,
    WidefieldNV,
    camera_binning,
    recorded_maps,
    sensor_filter,
    simulate_odmr,
    swept_sensitivity_of,
    unbin,
    with_sensitivity,
)
from operando.nv.constants import D_ZERO_FIELD, GAMMA_E
from operando.nv.spectra import count_rate_for_sensitivity, swept_sensitivity
from operando.odmr.fit import fit_odmr

B_EXT = 0.1


def sweep(linewidth, half_span=5):
    f0 = D_ZERO_FIELD + GAMMA_E * B_EXT
    return np.linspace(f0 - half_span * linewidth, f0 + half_span * linewidth, 81)


def test_count_rate_for_sensitivity_inverts_the_swept_sensitivity():
    f = sweep(5e6)
    rate = count_rate_for_sensitivity(f, 5e6, 0.15, 1e-6)
    assert swept_sensitivity(f, 5e6, 0.15, rate) == pytest.approx(1e-6, rel=1e-10)
    # η ∝ 1/√R: half the sensitivity takes four times the photons
    assert count_rate_for_sensitivity(f, 5e6, 0.15, 0.5e-6) == pytest.approx(4 * rate, rel=1e-10)
    with pytest.raises(InputError, match="sensitivity"):
        count_rate_for_sensitivity(f, 5e6, 0.15, 0.0)


def test_with_sensitivity_sets_only_the_count_rate():
    sensor = ScanningNV(axis="perpendicular")
    f = sweep(sensor.linewidth)
    tuned = with_sensitivity(sensor, 2e-6, f)
    assert (tuned.contrast, tuned.linewidth) == (sensor.contrast, sensor.linewidth)
    assert swept_sensitivity_of(tuned, f) == pytest.approx(2e-6, rel=1e-10)
    # a sweep spends photons off the slope: worse than the steepest-slope η of the same sensor
    assert swept_sensitivity_of(tuned, f) > tuned.sensitivity()


@pytest.mark.parametrize("dwell", [1.0, 9.0])
def test_fitted_field_noise_is_the_set_sensitivity_over_root_time(dwell):
    sensor = with_sensitivity(ScanningNV(axis="perpendicular", dwell_time=dwell), 1e-6, sweep(5e6))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="frequencies: the grid")  # the lower line
        sim = simulate_odmr(sensor, np.zeros((3, 40, 50)), sweep(5e6), spacing=100e-9,
                            bias_field=(0, 0, B_EXT), seed=3)
    fit = fit_odmr(sim["odmr"], model="lorentzian", n_dips=1)
    B = (fit["f0_0"].values - D_ZERO_FIELD) / GAMMA_E - B_EXT
    assert np.std(B) == pytest.approx(1e-6 / np.sqrt(dwell), rel=0.15)


def test_unbin_repeats_camera_pixels_over_the_map():
    a = np.arange(6.0).reshape(2, 3)
    out = unbin(a, 2, (5, 7))
    assert out.shape == (5, 7)
    np.testing.assert_array_equal(out[:2, :2], a[0, 0])
    np.testing.assert_array_equal(out[4], out[3])  # the cropped remainder takes the edge value
    assert unbin(a, 1, (2, 3)) is a


def test_recorded_maps_of_each_sensor():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(2, 24, 30))
    assert camera_binning(ScanningNV(), 100e-9, 100e-9) == 1
    np.testing.assert_array_equal(recorded_maps(ScanningNV(), maps, 100e-9, 100e-9), maps)
    wide = WidefieldNV(layer_thickness=400e-9, optical_resolution=0.0, camera_pixel=100e-9)
    # the layer average is the mean of the maps continued to heights across the layer
    heights = (np.arange(400) + 0.5) / 400 * 400e-9
    mean = np.mean([sensor_filter(maps, 100e-9, 100e-9, lift=z) for z in heights], axis=0)
    np.testing.assert_allclose(recorded_maps(wide, maps, 100e-9, 100e-9), mean, atol=1e-5 * np.abs(maps).max())
    coarse = WidefieldNV(layer_thickness=0.0, optical_resolution=0.0, camera_pixel=300e-9)
    assert camera_binning(coarse, 100e-9, 100e-9) == 3
    binned = recorded_maps(coarse, maps, 100e-9, 100e-9)
    assert binned.shape == (2, 8, 10)
    np.testing.assert_allclose(binned[:, 0, 0], maps[:, :3, :3].mean(axis=(1, 2)), atol=1e-12)
