"""Tracer exchange (Liu et al., Nat. Mater. 2025, Eq. 1-2, seed 003 L43-L53)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from operando import nmr
from operando.errors import InputError


def model(**kw):
    base = dict(m1=2e-3, m2=5e-4, charge_per_round=0.5)
    base.update(kw)
    return nmr.TracerExchange(**base)


def test_defaults_are_the_papers_starting_abundances():
    # seed 003 L45: electrodes 95 % 6Li, LLZO natural 7.5 % 6Li.
    t = model()
    assert (t.x1, t.x2) == (0.95, 0.075)


@settings(max_examples=40, deadline=None)
@given(
    m1=st.floats(1e-5, 1.0), m2=st.floats(1e-5, 1.0), n=st.floats(0, 1e-2),
    x1=st.floats(0, 1), x2=st.floats(0, 1),
)
def test_round_conserves_6li(m1, m2, n, x1, x2):
    a, b = nmr.exchange_round(x1, x2, m1, m2, n)
    assert m1 * a + m2 * b == pytest.approx(m1 * x1 + m2 * x2, rel=1e-12, abs=1e-15)


def test_closed_form_equals_iteration_and_converges():
    t = model()
    x1, x2 = t.iterate(40)
    c1, c2 = t.abundances(np.arange(41) * t.charge_per_round)
    np.testing.assert_allclose(c1, x1, rtol=1e-12)
    np.testing.assert_allclose(c2, x2, rtol=1e-12)
    inventory = t.m1 * x1 + t.m2 * x2
    np.testing.assert_allclose(inventory, inventory[0], rtol=1e-13)
    # LLZO's 6Li abundance rises with charge passed (seed 003 L62), electrodes' falls, both to x̄
    assert np.all(np.diff(x2) > 0) and np.all(np.diff(x1) < 0)
    far1, far2 = t.abundances(1e6)
    assert far1 == pytest.approx(t.equilibrium) and far2 == pytest.approx(t.equilibrium)


def test_settings_change_what_they_name():
    base = model().abundances(10.0)[1]
    fixed = model(n=2e-6).abundances(10.0)[1]
    assert model(n=2e-6, charge_per_round=1.0).abundances(10.0)[1] < fixed  # fewer rounds
    assert model(n=1e-4).abundances(10.0)[1] != base
    assert model(x2=0.0759).abundances(0.0)[1] == pytest.approx(0.0759, rel=1e-12)
    assert model(x1=0.5).abundances(10.0)[1] < base


def test_classify_mechanism():
    # seed 003 L45: Mechanism 1 between the pools, Mechanism 2 below the electrolyte's abundance.
    got = nmr.classify_mechanism([0.5, 0.05, 0.99, 0.074], 0.9, 0.08, tolerance=0.0)
    assert got.tolist() == [1, 2, 0, 2]
    assert nmr.classify_mechanism(0.074, 0.9, 0.08, tolerance=0.01) == 1


def test_bad_input():
    with pytest.raises(InputError, match="m1: must be > 0"):
        model(m1=0)
    with pytest.raises(InputError, match="x1: must lie in"):
        model(x1=1.5)
    with pytest.raises(InputError, match="charge: must be >= 0"):
        model().abundances(-1.0)


def test_rounds_from_cycling_and_history():
    import xarray as xr

    # seed 003 L197: 0.1 mA/cm^2, reversed every 30 min; a 6.8 mm pellet
    area = np.pi * (3.4e-3) ** 2
    q = nmr.charge_per_round(1.0, area, 1800.0)  # 0.1 mA/cm^2 = 1 A/m^2
    assert q == pytest.approx(1.0 * area * 1800.0)
    m1 = nmr.lithium_amount(area * 2 * 100e-6, "Li")  # two 100 um electrodes
    m2 = nmr.lithium_amount(area * 1e-3 * 0.9, "LLZO")  # 1 mm pellet, 90 % dense
    assert m2 / m1 == pytest.approx(7 * 0.9 * 1e-3 / 2e-4 / 1.64434e-4 * (6.94e-3 / 534.0), rel=1e-3)
    model = nmr.TracerExchange(m1=m1, m2=m2, charge_per_round=q)
    t = np.linspace(0, 3600 * 24, 25)
    state = xr.Dataset({"charge_passed": ("t", t * area * 1.0)}, coords={"t": t})
    hist = nmr.abundance_history(model, state)
    assert hist["electrolyte_6li"].attrs["units"] == "atomic fraction"
    assert np.all(np.diff(hist["electrolyte_6li"].values) > 0)
    np.testing.assert_allclose(hist["electrode_6li"].values, model.abundances(state["charge_passed"].values)[0])
    with pytest.raises(InputError, match="material: 'LiCoO2' holds no lithium"):
        nmr.lithium_amount(1e-9, "LiCoO2")
