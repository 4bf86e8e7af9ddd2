"""Every user-facing setting of operando.nmr changes what it names."""

import numpy as np
import pytest

from operando import nmr
from operando.cell import presets
from operando.nmr import bms, feasibility, mas, measured


@pytest.fixture(scope="module")
def cell():
    return presets.pollok2025(voxel=0.5e-6, nz=4)


def test_receptivity_reference():
    r = nmr.receptivity("7Li", relative_to="13C")
    assert r == pytest.approx(nmr.receptivity("7Li") / nmr.receptivity("13C"))
    assert nmr.receptivity("7Li", relative_to="13C", absolute=True) > r  # 13C is 1 % abundant


def test_strip_settings():
    a = np.deg2rad([0.0, 90.0])
    base = bms.strip_shifts(a)
    thick = bms.strip_shifts(a, thickness=200e-6)
    assert thick[0] - thick[1] < base[0] - base[1]  # a thicker plate is less plate-like
    narrow = bms.strip_shifts(a, width=100e-6)
    assert not np.allclose(narrow, base)
    coarse = bms.strip_shifts(a, voxel=40e-6, thickness=40e-6)
    assert not np.allclose(coarse, base)
    n = bms.strip_shifts(a, weights=None)
    np.testing.assert_allclose(n, base)


def test_sideband_settings():
    peaks = [1.2, 264.5]
    assert nmr.clear_spinning_rates(peaks, 322.57e6, 14e3, min_separation=1.0)
    assert nmr.clear_spinning_rates(peaks, 322.57e6, 14e3, max_order=5)  # 6th order excluded
    t = np.random.default_rng(0).normal(0, 20, (6, 50))
    _, a = nmr.sideband_intensities(t, 300e6, 3e3, (1, 1, 1))
    _, b = nmr.sideband_intensities(t, 300e6, 3e3, (1, 1, 1), chunk=7)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    _, c = nmr.sideband_intensities(t, 300e6, 3e3, (1, 1, 1), n_steps=128)
    assert c.shape[1] == 128
    np.testing.assert_allclose(c.sum(axis=1), 1.0, rtol=1e-5)


def test_spectrum_settings(cell):
    kw = dict(spectrometer=600e6, rate=25e3)
    base = nmr.cell_spectrum(cell, "7Li", **kw)["spectrum_li_metal"].values
    for extra in (dict(rotor_axis=(1, 0, 0)), dict(powder=20), dict(chi={"li_metal": 1e-4}),
                  dict(skin=False, flip_angle=0.3)):
        other = nmr.cell_spectrum(cell, "7Li", **kw, **extra)["spectrum_li_metal"].values
        assert not np.allclose(other, base), extra
    static = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6)["spectrum_li_metal"].values
    small_flip = nmr.cell_spectrum(cell, "7Li", spectrometer=600e6, flip_angle=0.1)["spectrum_li_metal"].values
    # the Li electrode (2 um) is thin next to the skin depth: the flip angle matters little
    np.testing.assert_allclose(small_flip.real.max(), static.real.max(), rtol=0.05)
    field = nmr.cell_spectrum(cell, "7Li", field=9.4)
    assert field.attrs["larmor_frequency_hz"] == pytest.approx(nmr.larmor_frequency("7Li", 9.4))


def test_fit_baseline_switch(rng):
    x = np.linspace(-20, 20, 800)
    y = 5 * measured._line(x, "lorentzian", 1.0, 2.0) + 0.5 + rng.normal(0, 0.01, x.size)
    with_base = measured.fit_peaks((x, y), [1.0])
    without = measured.fit_peaks((x, y), [1.0], baseline=False)
    assert with_base.baseline == pytest.approx(0.5, abs=0.02) and without.baseline == 0.0
    assert without.area[0] > with_base.area[0]  # the offset is absorbed into the line


def test_plan_settings():
    base = feasibility.plan(1e-12, 1e-6, spectrometer=600e6)
    assert feasibility.plan(1e-12, 1e-6, spectrometer=600e6, linewidth=4.0).snr_per_scan == pytest.approx(
        base.snr_per_scan / 4)
    assert feasibility.plan(1e-12, 1e-6, spectrometer=600e6, reference_snr=200).snr_per_scan == pytest.approx(
        2 * base.snr_per_scan)
    thick = feasibility.plan(1e-12, 100e-6, spectrometer=600e6)
    assert feasibility.plan(1e-12, 100e-6, spectrometer=600e6, faces=1).skin_fraction < thick.skin_fraction
    assert feasibility.plan(1e-12, 1e-6, spectrometer=600e6, target_snr=20).averages > base.averages
    llzo = feasibility.plan(1e-12, 1e-6, spectrometer=600e6, material="LLZO")
    assert llzo.skin_fraction == 1.0 and llzo.spins != base.spins
    assert mas.MAGIC_ANGLE == pytest.approx(np.deg2rad(54.7356), rel=1e-5)
