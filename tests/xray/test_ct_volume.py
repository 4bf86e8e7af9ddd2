"""Attenuation volumes from labelled cells, x-dependent cathodes, resampling."""

import numpy as np
import pytest
import xraydb

from operando.cell import presets
from operando.errors import InputError
from operando.xray.ct import volume
from operando.xray.ct._mu import linear_attenuation


def test_mu_per_phase_from_mapping_and_callable():
    lab = np.array([[[0, 1, 2, 2]]])
    phases = {0: "void", 1: "li", 2: "cathode"}
    mu = {"void": 0.0, "li": 6.6, "cathode": lambda x: 100.0 + 10.0 * x}
    x = np.array([[[0, 0, 0.5, 1.0]]])
    out = volume.attenuation_volume(lab, phases, mu, x_map=x)
    np.testing.assert_allclose(out, [[[0.0, 6.6, 105.0, 110.0]]])
    out2 = volume.attenuation_volume(lab, phases, lambda name: {"void": 0, "li": 1, "cathode": 2}[name])
    np.testing.assert_allclose(out2, [[[0, 1, 2, 2]]])


def test_mu_from_xraydb_matches_direct_call():
    # xraydb.material_mu returns 1/cm; operando works in 1/m
    expected = 100 * xraydb.material_mu("LiNi0.6Mn0.2Co0.2O2", 115e3, 2.97)
    assert linear_attenuation("LixNMC622", 115e3) == pytest.approx(expected, rel=1e-12)
    assert linear_attenuation("Li", 115e3) == pytest.approx(100 * xraydb.material_mu("Li", 115e3, 0.534))
    assert linear_attenuation("void", 115e3) == 0.0
    # energy matters: μ falls with energy at 115 keV (Compton-dominated)
    assert linear_attenuation("Li", 50e3) > linear_attenuation("Li", 115e3)


def test_cell_attenuation_uses_each_phase_and_x():
    cell = presets.pollok2025()
    mu = volume.cell_attenuation(cell)
    assert mu.shape == cell.grid.shape
    assert np.all(mu[cell.mask("void")] == 0)
    li = mu[cell.mask("li_metal")]
    assert np.allclose(li, linear_attenuation("Li", 115e3))
    # delithiated LixCoO2 is lighter: lower μ
    assert volume.lixcoo2_mu(np.array([0.5]), 115e3)[0] < volume.lixcoo2_mu(np.array([1.0]), 115e3)[0]


def test_resample_preserves_integral():
    rng = np.random.default_rng(0)
    vol = rng.random((8, 12, 16))
    coarse = volume.resample(vol, 1e-6, 2e-6)
    assert coarse.shape == (4, 6, 8)
    assert coarse.sum() * 8 == pytest.approx(vol.sum(), rel=0.02)


def test_bad_input():
    lab = np.array([[[0, 1]]])
    with pytest.raises(InputError, match="mu"):
        volume.attenuation_volume(lab, {0: "a", 1: "b"}, {"a": 1.0})
    with pytest.raises(InputError, match="phases"):
        volume.attenuation_volume(lab, {0: "a"}, {"a": 1.0})
    with pytest.raises(InputError, match="x_map"):
        volume.attenuation_volume(lab, {0: "a", 1: "b"}, {"a": 1.0, "b": lambda x: x})
    with pytest.raises(InputError, match="new_spacing"):
        volume.resample(np.ones((2, 2, 2)), 1e-6, 0)


def test_x_dependent_cathode_mu():
    # at x = 1 the NMC622 electrode has the registry's μ; delithiation lowers the mass and μ
    full = volume.nmc622_mu(1.0, 115e3)
    assert full == pytest.approx(linear_attenuation("LixNMC622", 115e3), rel=1e-9)
    assert volume.nmc622_mu(0.26, 115e3) < full  # Table 1 end of charge at 0.1C (seed 002 L184)
    # xraydb's material_mu and operando.xray.attenuation's element sum: the same mixture rule
    assert volume.lixcoo2_mu(1.0, 115e3) == pytest.approx(linear_attenuation("LiCoO2", 115e3), rel=1e-5)
