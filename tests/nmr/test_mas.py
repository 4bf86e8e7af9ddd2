"""MAS sidebands and the spinning-rate planner (Liu et al., Nat. Mater. 2025, L211)."""

import numpy as np
import pytest

from operando import nmr
from operando.errors import InputError
from operando.nmr import mas


def test_sideband_planner_liu2025():
    # seed 003 L211: 7Li at 322.57 MHz, LLZO 1.2 ppm vs Li metal 264.5 ppm (L62): spinning at
    # 13 kHz keeps the LLZO sidebands off the metal peak, 14 kHz does not.
    peaks = [nmr.shift("LLZO").value, nmr.shift("Li_metal").value]
    ok = nmr.clear_spinning_rates(peaks, 322.57e6, [13e3, 14e3])
    assert ok.tolist() == [True, False]
    gap = nmr.sideband_clearance(peaks, 322.57e6, [13e3, 14e3])
    assert gap[0] > 15 and gap[1] < 3.5  # ppm
    # the 6Li spectrum at 122.14 MHz spun at 14 kHz (L211) is clear
    assert nmr.clear_spinning_rates(peaks, 122.14e6, 14e3)
    with pytest.raises(InputError, match="rates: spinning rates must be > 0"):
        nmr.sideband_clearance(peaks, 322.57e6, [0.0])
    with pytest.raises(InputError, match="rate"):
        nmr.sideband_intensities(np.zeros((6, 1)), 1e8, -5.0)


def test_isotropic_tensor_has_no_sidebands_and_intensities_sum_to_one():
    t = np.stack([mas.tensor_from_principal(5.0, 0.0, 0.0), mas.tensor_from_principal(0.0, 80.0, 0.3)], 1)
    k, inten = nmr.sideband_intensities(t, 300e6, 5e3, mas.powder_axes(200), n_steps=64)
    np.testing.assert_allclose(inten.sum(axis=1), 1.0, rtol=1e-6)
    assert inten[0, k == 0] == pytest.approx(1.0)
    assert inten[1, k == 0] < 0.9 and inten[1, k != 0].sum() > 0.1
    # faster spinning: fewer sidebands
    _, fast = nmr.sideband_intensities(t, 300e6, 50e3, mas.powder_axes(200), n_steps=64)
    assert fast[1, k == 0] > inten[1, k == 0]


def test_single_orientation_along_rotor_axis():
    # tensor symmetric about the rotor axis: b(t)ᵀ σ b(t) is constant -> no sidebands
    t = mas.tensor_from_principal(0.0, 100.0, 0.0)[:, None]
    k, inten = nmr.sideband_intensities(t, 300e6, 2e3, (0, 0, 1))
    assert inten[0, k == 0] == pytest.approx(1.0)
    k, tilted = nmr.sideband_intensities(t, 300e6, 2e3, (1, 0, 1))
    assert tilted[0, k == 0] < 0.9


def test_against_mrsimulator():
    pytest.importorskip("mrsimulator")
    from mrsimulator import Simulator, Site, SpinSystem
    from mrsimulator.method.lib import BlochDecaySpectrum
    from mrsimulator.spin_system.tensors import SymmetricTensor

    b0, rate, zeta, eta = 9.4, 3000.0, 50.0, 0.4
    # mrsimulator's tensor is a shielding (frequency ∝ -σ): a shift anisotropy ζ is -ζ there
    site = Site(isotope="13C", isotropic_chemical_shift=0.0, shielding_symmetric=SymmetricTensor(zeta=-zeta, eta=eta))
    method = BlochDecaySpectrum(channels=["13C"], magnetic_flux_density=b0, rotor_frequency=rate,
                                spectral_dimensions=[dict(count=8192, spectral_width=60000.0)])
    sim = Simulator(spin_systems=[SpinSystem(sites=[site])], methods=[method])
    sim.config.integration_density = 120
    sim.config.number_of_sidebands = 64
    sim.run()
    nu0 = nmr.larmor_frequency("13C", b0)
    ds = sim.methods[0].simulation
    hz = ds.x[0].coordinates.value * 1e-6 * nu0
    y = ds.y[0].components[0].real
    orders = np.arange(-6, 7)
    ref = np.array([y[np.abs(hz - q * rate) < rate / 2].sum() for q in orders])
    ref /= ref.sum()
    k, ours = nmr.sideband_intensities(mas.tensor_from_principal(0.0, zeta, eta)[:, None], nu0, rate,
                                       mas.powder_axes(3000))
    ours = np.array([ours[0, k == q].sum() for q in orders])
    ours /= ours.sum()
    np.testing.assert_allclose(ours, ref, atol=5e-3)


def test_random_grain_tensors_average_to_the_powder_pattern():
    t = mas.random_tensors(60.0, 0.5, 20000, seed=1)
    np.testing.assert_allclose(t[0] + t[1] + t[2], 0, atol=1e-12)
    ev = np.linalg.eigvalsh(np.array([[t[0], t[3], t[4]], [t[3], t[1], t[5]], [t[4], t[5], t[2]]]).transpose(2, 0, 1))
    np.testing.assert_allclose(ev[0], [-45.0, -15.0, 60.0], atol=1e-9)  # zeta 60, eta 0.5
    _, grains = nmr.sideband_intensities(t, 100e6, 2e3, (0, 0, 1), n_steps=64)
    _, powder = nmr.sideband_intensities(mas.tensor_from_principal(0, 60.0, 0.5)[:, None], 100e6, 2e3,
                                         mas.powder_axes(4000), n_steps=64)
    np.testing.assert_allclose(grains.mean(axis=0), powder[0], atol=4e-3)
    assert not np.allclose(mas.random_tensors(60.0, 0.5, 10, seed=2), mas.random_tensors(60.0, 0.5, 10, seed=1))
