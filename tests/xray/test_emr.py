"""EMR as defined by Huang et al., J. Phys. Energy 2025 (seed 002 L170), calibration, decomposition."""

import numpy as np
import pytest

from operando.errors import DataFileError, InputError
from operando.xray.calibration import (
    EMRCalibration,
    default_calibration,
    first_principles_emr,
    load_calibration,
    sensitivity_report,
)
from operando.xray.decomposition import anode_fractions, decompose_regions
from operando.xray.emr import emr
from operando.xray.kinematics import scattered_energy

E1, TH = 115e3, np.pi / 2


def test_emr_counts_exactly_the_windows():
    pz = np.array([-6, -4.5, -2, -0.5, 0.0, 0.7, 1.5, 3.0, 4.9, 7.0])
    energies = scattered_energy(E1, pz, TH)
    counts = np.array([100, 1, 2, 10, 20, 30, 3, 4, 5, 100.0])
    r = emr(counts, energies)
    assert r.low_counts == 60 and r.high_counts == 15
    assert r.value == pytest.approx(4.0)
    assert r.sigma == pytest.approx(4.0 * np.sqrt(1 / 60 + 1 / 15))


def test_emr_poisson_error_matches_monte_carlo():
    rng = np.random.default_rng(1)
    energies = np.linspace(85e3, 102e3, 300)
    mean = 50 * np.exp(-0.5 * ((energies - 93.9e3) / 2e3) ** 2)
    draws = rng.poisson(mean, size=(4000, energies.size))
    r = emr(draws, energies)
    assert np.std(r.value) == pytest.approx(np.mean(r.sigma), rel=0.05)
    assert r.value.shape == (4000,)


def test_emr_bad_input():
    e = np.linspace(85e3, 100e3, 10)
    with pytest.raises(InputError, match="counts"):
        emr(-np.ones(10), e)
    with pytest.raises(InputError, match="energies_eV"):
        emr(np.ones((3, 10)), e[:7])
    with pytest.raises(InputError, match="theta"):
        emr(np.ones(10), e, theta=0.0)


def test_calibration_reproduces_table1():
    # Huang et al., J. Phys. Energy 2025, Table 1 (seed 002 L182-L186): EMR 1.21 → x 1.01, 0.31 → 0.26
    cal = default_calibration()
    x, _ = cal.to_x(cal.emr_points)
    np.testing.assert_allclose(x, cal.x_points, atol=0.03)
    assert cal.to_x(1.21)[0] == pytest.approx(1.01, abs=0.02)
    assert cal.to_x(0.31)[0] == pytest.approx(0.26, abs=0.02)
    assert cal.version == "huang2025-table1-v1"
    np.testing.assert_allclose(cal.to_emr(cal.to_x([0.5, 1.0])[0]), [0.5, 1.0])


def test_calibration_error_propagates_with_the_slope():
    cal = default_calibration()
    _, sx = cal.to_x(1.0, sigma=0.1)
    assert sx == pytest.approx(abs(cal.slope) * 0.1)


def test_user_calibration_file_and_monotonic_check(tmp_path):
    good = tmp_path / "cal.toml"
    good.write_text('version = "lab-2026-1"\nmodel = "table"\nemr = [0.4, 0.8, 1.2]\nx = [0.3, 0.6, 1.0]\n')
    cal = load_calibration(good)
    assert cal.version == "lab-2026-1" and cal.to_x(1.0)[0] == pytest.approx(0.8)
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "table"\nemr = [0.4, 0.8, 1.2]\nx = [0.3, 0.9, 0.6]\n')
    with pytest.raises(InputError, match="monoton"):
        load_calibration(bad)
    with pytest.raises(DataFileError, match="path"):
        load_calibration(tmp_path / "missing.toml")
    with pytest.raises(InputError, match=r"slope|EMR"):
        EMRCalibration(np.array([1.0, 1.0]), np.array([0.5, 0.6]))


def test_first_principles_sensitivity_is_far_below_the_calibration():
    # The honesty item: free-atom profiles change EMR with x much less than Table 1 implies.
    fp = first_principles_emr([0.5, 1.0])
    assert fp[1] > fp[0]  # Li's narrow 2s profile raises the low-|p_z| share
    rep = sensitivity_report()
    assert rep["dEMR_dx_calibration"] > 5 * rep["dEMR_dx_first_principles"] > 0


def test_decomposition_to_machine_precision():
    # Eq. 2–3 of Huang et al., J. Phys. Energy 2025 (seed 002 L120-L128) on synthetic spectra
    rng = np.random.default_rng(0)
    anode, spe, cathode = rng.uniform(1, 1e4, (3, 2048))
    alpha, beta = 0.62, 0.31
    r1, r2, r3 = cathode + spe + beta * anode, spe + alpha * anode, anode
    out = decompose_regions(r1, r2, r3, alpha, beta)
    np.testing.assert_allclose(out.spe, spe, rtol=1e-13)
    np.testing.assert_allclose(out.cathode, cathode, rtol=1e-12)
    np.testing.assert_allclose(out.cathode_variance, r1 + r2 + (alpha - beta) ** 2 * r3)


def test_anode_fractions_from_a_layer_stack():
    z = np.arange(0, 1000e-6, 5e-6) + 2.5e-6
    frac = (z > 95e-6).astype(float)  # cathode 0–65, SPE 65–95, anode above
    alpha, beta = anode_fractions(frac, z, [125e-6, 220e-6, 600e-6], 250e-6)
    assert beta == pytest.approx(155 / 250, abs=0.02)
    assert alpha == pytest.approx(1.0, abs=0.02)
    with pytest.raises(InputError, match="alpha"):
        decompose_regions(1.0, 1.0, 1.0, -0.1, 0.2)


def test_lithium_map_from_three_frames_recovers_a_synthetic_calibration():
    from operando.xray.lithium_map import lithium_map

    edges = np.linspace(80e3, 108e3, 257)
    centres = 0.5 * (edges[1:] + edges[:-1])
    rng = np.random.default_rng(2)

    def peak(width):  # a Compton-like peak whose width sets the EMR
        return 4e3 * np.exp(-0.5 * ((centres - 93.9e3) / width) ** 2)

    anode, spe, cathode = peak(2.5e3), 0.3 * peak(2.0e3), peak(1.6e3)
    alpha, beta = 0.88, 0.62
    shape = (80, 80, centres.size)
    frames = [rng.poisson(np.broadcast_to(m, shape)).astype(float)
              for m in (cathode + spe + beta * anode, spe + alpha * anode, anode)]
    truth = emr(cathode, edges, variance=np.zeros_like(cathode)).value
    cal = EMRCalibration(np.array([truth - 1, truth + 1]), np.array([0.0, 1.0]))  # truth ↦ x = 0.5
    ds = lithium_map(*frames, edges, alpha, beta, calibration=cal, superpixel=8)
    assert ds["x_li"].shape == (10, 10)
    pull = (ds["x_li"].values - 0.5) / ds["x_li_sigma"].values
    assert abs(pull.mean()) < 0.4 and 0.7 < pull.std() < 1.3  # unbiased, honest errors
    with pytest.raises(InputError, match="frame"):
        lithium_map(frames[0][:40], frames[1], frames[2], edges, alpha, beta)
