"""Composition-dependent LixCoO2 properties (seed 000 Fig. 3b / Table 1 L102, L137)."""

import numpy as np
import pytest

from operando import materials
from operando.errors import InputError
from operando.materials import lixcoo2


def test_chi_anchors_fig3b():
    # seed 000 Table 1 L102 / Fig. 3b: 1.3e-9 at x = 1, 7.2e-9 at x = 0.6, ~6.0e-9 for x < 0.6
    assert lixcoo2.chi_molar(1.0) == pytest.approx(1.3e-9)
    assert lixcoo2.chi_molar(0.6) == pytest.approx(7.2e-9)
    assert lixcoo2.chi_molar([0.5, 0.4, 0.2]) == pytest.approx([6.0e-9] * 3)
    assert lixcoo2.chi_molar(1.0) == materials.get("LiCoO2").value("chi_molar")
    x = np.linspace(0.6, 1.0, 41)
    assert np.all(np.diff(lixcoo2.chi_molar(x)) < 0)  # rises monotonically on delithiation (L135)


def test_chi_volume_and_inverse_round_trip():
    x = np.linspace(0.6, 1.0, 17).reshape(1, 17)
    chi = lixcoo2.chi_volume(x)
    assert chi.shape == x.shape
    assert chi[0, -1] == pytest.approx(1.3e-9 / 1.93691e-5, rel=1e-5)
    back, ok = lixcoo2.x_from_chi_volume(chi, return_flag=True)
    assert ok.all() and np.allclose(back, x, atol=1e-12)
    out, ok = lixcoo2.x_from_chi_volume([0.0, 1e-3, np.nan], return_flag=True)
    assert np.isnan(out).all() and not ok.any()


def test_ocp_ramadass_fit():
    x = np.linspace(0.5, 0.99, 50)
    u = lixcoo2.ocp(x)
    assert np.all(np.diff(u) < 0)  # potential rises on delithiation
    assert 4.1 < lixcoo2.ocp(0.55) < 4.2 and 3.8 < lixcoo2.ocp(0.9) < 3.9
    with pytest.raises(InputError, match=r"x: .*\[0.45, 1\]"):
        lixcoo2.ocp(0.3)


def test_ionic_conductivity_non_monotonic_over_order_of_magnitude():
    # seed 000 L137: non-monotonic, more than an order of magnitude over the operating range
    x = np.linspace(0.5, 1.0, 201)
    s = lixcoo2.ionic_conductivity(x)
    assert s.max() / s.min() > 10
    d = np.sign(np.diff(s))
    assert np.count_nonzero(d[1:] != d[:-1]) >= 2
    assert lixcoo2.ionic_conductivity(1.0) == pytest.approx(1e-5)  # Table 1: 1e-7 S/cm


def test_electronic_conductivity_insulator_to_metal():
    assert lixcoo2.electronic_conductivity(1.0) == pytest.approx(0.1)  # Table 1: 1e-3 S/cm
    s = lixcoo2.electronic_conductivity(np.linspace(0.5, 1.0, 101))
    assert np.all(np.diff(s) <= 0) and s[0] / s[-1] >= 1e3


def test_diffusivity_and_capacity():
    assert lixcoo2.diffusivity(1.0) == pytest.approx(1e-13)  # Table 1: 1e-9 cm²/s
    assert lixcoo2.max_concentration() == pytest.approx(1 / 1.93691e-5)
    # F / M = 96485.33 / 0.097871 C/kg = 273.8 mAh/g
    assert lixcoo2.theoretical_capacity() / 3.6 == pytest.approx(273.8e3, rel=1e-3)
    i = lixcoo2.c_rate_to_current(1.0, 1e-12)  # 1 C for 1e-12 m³ over Δx = 0.5
    assert i == pytest.approx(96485.33 * 51630 * 0.5 * 1e-12 / 3600, rel=1e-3)


@pytest.mark.parametrize(
    "fn",
    ["chi_molar", "chi_volume", "diffusivity", "ionic_conductivity", "electronic_conductivity"],
)
def test_x_validated(fn):
    f = getattr(lixcoo2, fn)
    assert f(np.full((2, 3), 0.8)).shape == (2, 3)
    with pytest.raises(InputError, match="x:"):
        f([0.5, 1.2])
    with pytest.raises(InputError, match="non-finite"):
        f([np.nan])
