"""Compton kinematics (Huang et al., J. Phys. Energy 2025, Eq. 4–5) and Klein–Nishina."""

import numpy as np
import pytest
import xraylib
from hypothesis import given, settings
from hypothesis import strategies as st

from operando.errors import InputError
from operando.xray.kinematics import (
    R_E,
    compton_energy,
    klein_nishina,
    momentum_pz,
    scattered_energy,
    thomson,
    window_energies,
)


def test_compton_peak_at_93p9_keV():
    # Huang et al., J. Phys. Energy 2025 (seed 002 L132, L159): 115 keV at 90° → 93.9 keV (Eq. 4)
    assert compton_energy(115e3, np.pi / 2) / 1e3 == pytest.approx(93.9, abs=0.05)


def test_eq4_in_wavelength_form():
    # λ' − λ = (h/mc)(1 − cos θ) with h/mc = 2.426 pm (Compton wavelength)
    hc = 1239.84198e-9  # eV·m
    theta = np.linspace(0.1, np.pi, 7)
    dl = hc / compton_energy(60e3, theta) - hc / 60e3
    np.testing.assert_allclose(dl, 2.42631024e-12 * (1 - np.cos(theta)), rtol=1e-7)


def test_pz_zero_at_compton_energy_and_sign():
    e1, th = 115e3, np.pi / 2
    ec = compton_energy(e1, th)
    assert abs(momentum_pz(e1, ec, th)) < 1e-9
    assert momentum_pz(e1, ec + 500, th) > 0 > momentum_pz(e1, ec - 500, th)


@settings(max_examples=60, deadline=None)
@given(st.floats(20e3, 300e3), st.floats(0.2, np.pi), st.floats(-30, 30))
def test_pz_inverse_round_trip(e1, theta, pz):
    e2 = scattered_energy(e1, pz, theta)
    assert momentum_pz(e1, e2, theta) == pytest.approx(pz, abs=1e-8)


def test_emr_window_edges_in_keV():
    # seed 002 L170 windows |p_z| < 1 and 1 < |p_z| < 5 a.u. at 115 keV, 90°: edges from Eq. 5's inverse
    edges = window_energies(115e3, np.pi / 2, [-5, -1, 1, 5]) / 1e3
    assert np.all(np.diff(edges) > 0)
    assert edges[1] < 93.9 < edges[2]
    # non-relativistic estimate: dE2/dp_z ≈ E·|k|/(mc·α⁻¹)... checked directly through Eq. 5
    np.testing.assert_allclose(momentum_pz(115e3, edges * 1e3, np.pi / 2), [-5, -1, 1, 5], atol=1e-9)
    assert edges == pytest.approx([89.53, 92.99, 94.76, 98.38], abs=0.01)


def test_klein_nishina_matches_xraylib_and_thomson_limit():
    theta = np.linspace(0.2, np.pi, 9)
    ours = klein_nishina(115e3, theta)
    ref = np.array([xraylib.DCS_KN(115.0, t) for t in theta]) * 1e-28  # barn/sr → m²/sr
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    np.testing.assert_allclose(klein_nishina(1.0, theta), thomson(theta), rtol=1e-5)


def test_polarization_changes_the_cross_section():
    # scattering perpendicular to the polarization (φ = 90°) keeps the full r_e² at 90°; in plane vanishes
    assert thomson(np.pi / 2, phi=np.pi / 2) == pytest.approx(R_E**2)
    assert thomson(np.pi / 2, phi=0.0) == pytest.approx(0.0, abs=1e-40)
    assert klein_nishina(115e3, np.pi / 2, phi=np.pi / 2) > klein_nishina(115e3, np.pi / 2)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: compton_energy(0.0, 1.0), "energy_eV"),
        (lambda: compton_energy(-1e3, 1.0), "energy_eV"),
        (lambda: compton_energy(1e5, 0.0), "theta"),
        (lambda: compton_energy(1e5, 3.5), "theta"),
        (lambda: momentum_pz(1e5, -1.0, 1.0), "scattered_eV"),
        (lambda: scattered_energy(1e5, 200.0, 1.0), "pz_au"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(InputError, match=match):
        call()
