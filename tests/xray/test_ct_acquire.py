"""Beer–Lambert acquisition, flat/dark fields, photon noise, blur, miscalibrated pixels."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.xray.ct import acquire, beer_lambert, blur, miscalibrated_gain, normalise, poisson


def test_beer_lambert_round_trip_with_flat_and_dark():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 3, (20, 30))
    flat = rng.uniform(900, 1100, 30)
    dark = rng.uniform(5, 15, 30)
    raw = beer_lambert(p, flat, dark)
    np.testing.assert_allclose(normalise(raw, flat, dark), p, rtol=1e-12)
    # transmitted counts: exp(-p) of the open beam above the dark level
    np.testing.assert_allclose((raw - dark) / (flat - dark), np.exp(-p))


def test_poisson_noise_follows_photon_budget():
    p = np.full((400, 50), 1.0)
    for photons in (1e3, 1e5):
        scan = acquire(p, photons=photons, dark=0.0, seed=3)
        est = scan.line_integrals()
        # var(p̂) = 1/N_transmitted = e^p / photons (delta method), flat noise is small (20 frames)
        expected = np.exp(1.0) / photons
        assert est.var() == pytest.approx(expected, rel=0.1)
        assert abs(est.mean() - 1.0) < 5 * np.sqrt(expected / est.size) + 2 * expected


def test_noise_free_scan_is_exact_and_seed_repeats():
    p = np.linspace(0, 2, 64).reshape(8, 8)
    assert np.allclose(acquire(p, noise=False).line_integrals(), p)
    a = acquire(p, seed=5).raw
    assert np.array_equal(a, acquire(p, seed=5).raw)
    assert not np.array_equal(a, acquire(p, seed=6).raw)


def test_blur_conserves_counts_and_widens():
    s = np.zeros((3, 41))
    s[:, 20] = 1.0
    b = blur(s, 2.0)
    np.testing.assert_allclose(b.sum(axis=1), 1.0)
    width = np.sqrt((b[0] * (np.arange(41) - 20) ** 2).sum())
    assert width == pytest.approx(2.0, rel=0.05)
    assert np.array_equal(blur(s, 0.0), s)


def test_miscalibrated_gain_makes_stripes():
    gain = miscalibrated_gain(100, 0.05, 0.1, 0)
    hit = gain != 1
    assert 1 <= hit.sum() <= 15
    assert np.all(np.abs(gain[hit] - 1) >= 0.05) and np.all(np.abs(gain[hit] - 1) <= 0.1)
    p = np.ones((50, 100))
    est = acquire(p, gain=gain, noise=False).line_integrals()
    stripe = est - p  # constant along angles in the hit columns: −ln(gain)
    np.testing.assert_allclose(stripe[:, hit], np.broadcast_to(-np.log(gain[hit]), (50, hit.sum())), atol=1e-12)
    np.testing.assert_allclose(stripe[:, ~hit], 0.0, atol=1e-12)


def test_poisson_is_seeded():
    assert np.array_equal(poisson(np.full(10, 50.0), 1), poisson(np.full(10, 50.0), 1))


def test_flat_field_must_be_positive():
    with pytest.raises(InputError, match="flat"):
        normalise(np.ones((3, 4)), np.array([1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(InputError, match="flat"):
        normalise(np.ones((3, 4)), -1.0)
    with pytest.raises(InputError, match="flat"):
        normalise(np.ones((3, 4)), 10.0, dark=20.0)
    with pytest.raises(InputError, match="photons"):
        acquire(np.ones((3, 4)), photons=0)
    with pytest.raises(InputError, match="gain"):
        acquire(np.ones((3, 4)), gain=np.ones(5))


def test_dead_pixels_are_refused_or_interpolated():
    p = np.tile(np.linspace(0.0, 1.0, 40), (30, 1))  # linear across the detector
    dead = np.zeros(40, bool)
    dead[[10, 11, 25]] = True
    scan = acquire(p, dead=dead, noise=False)
    with pytest.raises(InputError, match="flat"):
        scan.line_integrals()
    repaired = scan.line_integrals(dead="interpolate")
    np.testing.assert_allclose(repaired, p, atol=1e-12)  # exact for a linear profile
    with pytest.raises(InputError, match="dead"):
        acquire(p, dead=np.zeros(39, bool))
