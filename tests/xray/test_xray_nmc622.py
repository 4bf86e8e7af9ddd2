"""NMC622 laws for the charge solver and the PEO|NMC622|Li section charged with it."""

import numpy as np
import pytest

from operando import materials
from operando.errors import InputError
from operando.materials import nmc622
from operando.xray.charge import (
    cathode_profile,
    charge_huang2025,
    huang2025_charge_model,
    huang2025_protocol,
    step_end_profiles,
)


def test_interface_the_solver_needs():
    x = np.linspace(0.3, 1.0, 15)
    u = nmc622.ocp(x)
    assert np.all(np.diff(u) < 0)  # the OCP falls as Li is inserted
    assert nmc622.ocp(0.35) == pytest.approx(4.3, abs=0.05)  # 4.3 V cut-off near x = 0.35 (data-file table)
    assert nmc622.diffusivity(x).shape == x.shape and np.all(nmc622.diffusivity(x) > 0)
    assert nmc622.electronic_conductivity(0.5) > 0
    assert nmc622.max_concentration() == pytest.approx(1 / materials.get("NMC622").value("molar_volume"))
    with pytest.raises(InputError, match="x"):
        nmc622.ocp(1.5)


def test_capacity_and_assumptions_are_explicit():
    # Huang et al., J. Phys. Energy 2025 (seed 002 L151): 171 mAh/g charged at 0.1 C; theoretical 276.5 mAh/g
    assert nmc622.theoretical_capacity() / 3.6e3 == pytest.approx(276.5, abs=0.5)
    assert nmc622.PRACTICAL_DELTA_X == pytest.approx(171 / 276.5, abs=0.002)
    notes = " ".join(nmc622.assumptions())
    assert "diffusivity" in notes and "ocp" in notes


def test_a_1c_charge_delithiates_the_spe_side_first():
    model = huang2025_charge_model(voxel_um=2.5, particle_um=5.0, n_rows=2)
    ds = charge_huang2025(1.0, model=model, discharge=False)
    fast = step_end_profiles(ds)[-1]
    assert fast[0] < fast[-1] - 0.05  # ionic transport through the composite limits the rate
    assert ds.attrs["termination"] == "v_max" and ds["cell_voltage"].values[-1] == pytest.approx(4.3, abs=0.01)
    assert ds.sizes["protocol_step"] == 2


def test_the_papers_protocol_is_the_step_log():
    # Huang et al., J. Phys. Energy 2025 (seed 002 L116): galvanostatic charge to 4.3 V, discharge to 3 V
    model = huang2025_charge_model(voxel_um=2.5, particle_um=5.0, n_rows=2)
    ds = charge_huang2025(1.0, model=model)
    assert list(ds["protocol_kind"].values) == ["current"] * 3
    assert list(ds["protocol_end_reason"].values) == ["until voltage"] * 3
    np.testing.assert_allclose(ds["protocol_end_voltage"], [4.0, 4.3, 3.0], atol=2e-3)
    current = ds["protocol_charge"] / (ds["protocol_end_time"] - ds["protocol_start_time"])  # constant in a step
    np.testing.assert_allclose(current, np.array([1, 1, -1]) * ds.attrs["one_c_current"], rtol=1e-9)
    # every step end is a saved snapshot, the state it names
    t = ds["t"].values
    for t_end, v_end in zip(ds["protocol_end_time"].values, ds["protocol_end_voltage"].values, strict=True):
        k = int(np.argmin(np.abs(t - t_end)))
        assert t[k] == pytest.approx(t_end) and ds["cell_voltage"].values[k] == pytest.approx(v_end)
    ends = step_end_profiles(ds)
    assert ends.shape[0] == 3 and ends[1].mean() < ends[0].mean() < ends[2].mean()  # out, then back in
    assert cathode_profile(ds)[0] == pytest.approx(0.99)  # t = 0: the pristine section


def test_a_charge_ended_by_the_ocp_range_is_followed_by_the_discharge():
    # 0.1 C: the OCP (clamped at x >= 0.45 by the solver) keeps V near 4.2 V; the run meets min_x first
    model = huang2025_charge_model(voxel_um=2.5, particle_um=5.0, n_rows=2)
    ds = charge_huang2025(0.1, model=model)
    assert list(ds["protocol_end_reason"].values) == ["until voltage", "min_x", "until voltage"]
    assert ds.attrs["termination"] == "v_min" and ds["cell_voltage"].values[-1] == pytest.approx(3.0, abs=2e-3)
    for axis in ("t", "time"):
        assert np.all(np.diff(ds[axis].values) > 0)
    start, end = ds["protocol_start_time"].values, ds["protocol_end_time"].values
    np.testing.assert_allclose(start[1:], end[:-1])
    assert ds["protocol_start_voltage"].values[2] == ds["protocol_end_voltage"].values[1]
    np.testing.assert_array_equal(np.unique(ds["time_protocol_step"]), [0, 1, 2])
    # charge conservation across the step ends: the running charge is the sum of the steps' charges
    assert float(ds["time_charge"][-1]) == pytest.approx(float(ds["protocol_charge"].sum()), rel=1e-9)
    assert float(ds["charge_passed"][-1]) == pytest.approx(float(ds["time_charge"][-1]))
    q = np.abs(ds["time_current"].values[1:]) * np.diff(ds["time"].values)  # backward Euler: I over each step
    assert q.sum() == pytest.approx(float(np.abs(ds["protocol_charge"]).sum()), rel=1e-6)


def test_states_are_t0_and_step_ends():
    from operando.xray.experiment import STATE_STEPS, STATES, _state_profiles

    model = huang2025_charge_model(voxel_um=2.5, particle_um=5.0, n_rows=2)
    ds = charge_huang2025(1.0, model=model)
    states = _state_profiles(ds)
    assert list(states) == list(STATES)
    np.testing.assert_array_equal(states[STATES[0]], cathode_profile(ds)[0])
    for state, k in STATE_STEPS.items():
        np.testing.assert_array_equal(states[state], step_end_profiles(ds)[k])
    short = _state_profiles(charge_huang2025(1.0, model=model, discharge=False))
    assert list(short) == list(STATES[:3])


def test_protocol_settings():
    exp = huang2025_protocol(0.5, v_charging=3.9)
    assert [s.condition("voltage").value for s in exp.steps] == [3.9, 4.3, 3.0]
    assert exp.output_interval == pytest.approx(720.0) and exp.steps[2].value == -0.5
    with pytest.raises(InputError, match="v_charging"):
        huang2025_protocol(0.1, v_charging=4.5)
    with pytest.raises(InputError, match="c_rate"):
        huang2025_protocol(-1.0)


@pytest.mark.slow
def test_0p1c_charges_deeper_than_1c():
    # Huang et al., J. Phys. Energy 2025 Table 1 (seed 002 L182-L186): end of charge x = 0.26 at 0.1 C, 0.66 at 1 C
    slow = step_end_profiles(charge_huang2025(0.1, discharge=False))[-1].mean()
    fast = step_end_profiles(charge_huang2025(1.0, discharge=False))[-1].mean()
    assert slow < fast - 0.2


@pytest.mark.slow
def test_the_experiment_runs_end_to_end(tmp_path):
    from operando.xray.experiment import run_huang2025

    out = run_huang2025(tmp_path, voxel_xy=1e-3, voxel_z=25e-6, rates=(1.0,))
    assert {c["id"] for c in out["claims"]} == {"X1", "X2", "X3"}
    assert all(c["verdict"] in ("reproduced", "differs", "by construction") for c in out["claims"])
    assert (tmp_path / "claims.json").exists() and (tmp_path / "spectra_windows.png").exists()
