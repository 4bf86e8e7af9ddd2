"""The polarisation of a symmetric Li|LLZO|Li cell as an experiment protocol (operando.cell.plating)."""

import numpy as np
import pytest

from operando.cell.plating import polarisation_from_experiment, polarisation_history
from operando.electrochem import Experiment
from operando.errors import InputError

# Liu et al., Nat. Mater. 2025 (seed 003 L197): 0.1 mA/cm^2, current reversed every 30 min, 5 min idle
LIU2025 = ["Charge at 0.1 mA/cm^2 for 30 minutes", "Rest for 5 minutes",
           "Discharge at 0.1 mA/cm^2 for 30 minutes", "Rest for 5 minutes"]


def _closed_form(j, period, idle, t, a):
    """The reversal history in closed form (half-cycle k = t // (period + idle)): an independent reference."""
    k, phase = np.divmod(t, period + idle)
    on = np.minimum(phase, period)
    sign = np.where(k % 2 == 0, 1.0, -1.0)
    return {
        "current_density": np.where(phase < period, sign * j, 0.0),
        "charge": j * a * np.where(k % 2 == 0, on, period - on),
        "charge_passed": j * a * (k * period + on),
        "half_cycles": k,
        "plated_high_x": j * a * ((k + 1) // 2 * period + (k % 2 == 0) * on),
        "plated_low_x": j * a * (k // 2 * period + (k % 2 == 1) * on),
    }


@pytest.mark.parametrize("n_times", [9, 25, 97])
def test_the_papers_protocol_gives_the_reversal_history(n_times):
    a, cycles = 1.8e-5, 4
    h = polarisation_from_experiment(Experiment(LIU2025, cycles=cycles), area=a, n_times=n_times)
    assert h["t"].values[-1] == pytest.approx(cycles * 2 * 2100.0)
    want = _closed_form(1.0, 1800.0, 300.0, h["t"].values, a)
    for name, ref in want.items():
        # at the last instant the closed form starts another reversal; the protocol has ended
        end = -1 if name in ("current_density", "half_cycles") else None
        np.testing.assert_allclose(h[name].values[:end], ref[:end], rtol=1e-12, atol=1e-18, err_msg=name)
    assert h["current_density"].values[-1] == 0 and h["half_cycles"].values[-1] == 2 * cycles - 1
    # the shortcut builds the same protocol: one code path
    short = polarisation_history(1.0, 1800.0, cycles * 4200.0, idle=300.0, area=a, n_times=n_times)
    for name, ref in want.items():
        np.testing.assert_allclose(short[name].values, ref, rtol=1e-12, atol=1e-18, err_msg=name)


def test_the_shortcut_matches_the_closed_form_past_the_last_whole_cycle():
    t_end, a = 7.6 * 86400.0, np.pi * 2.4e-3**2  # the 7.6 days of Liu et al. 2025 (seed 003 L35), not whole cycles
    h = polarisation_history(1.0, 1800.0, t_end, idle=300.0, area=a, n_times=33)
    for name, ref in _closed_form(1.0, 1800.0, 300.0, h["t"].values, a).items():
        np.testing.assert_allclose(h[name].values, ref, rtol=1e-12, atol=1e-18, err_msg=name)
    assert h["protocol_end_time"].values[-1] == pytest.approx(t_end)  # the log stops where the history does


def test_charge_is_conserved_step_by_step():
    a = 2e-5
    exp = Experiment(["Charge at 0.2 mA/cm^2 for 20 minutes", "Rest for 3 minutes",
                      "Discharge at 0.05 mA/cm^2 for 1 hour", "Charge at 10 uA for 7 minutes",
                      "Discharge at 0.1 mA/cm^2 until 0.5 mAh/cm^2"], cycles=3)
    h = polarisation_from_experiment(exp, area=a, n_times=500)
    current = [2.0, 0.0, -0.5, 10e-6 / a, -1.0]  # A/m^2
    seconds = [1200.0, 180.0, 3600.0, 420.0, 18000.0]  # 0.5 mAh/cm^2 = 18000 C/m^2: 18000 s at 1 A/m^2
    net = 3 * a * sum(i * s for i, s in zip(current, seconds, strict=True))
    moved = 3 * a * sum(abs(i) * s for i, s in zip(current, seconds, strict=True))
    assert h["t"].values[-1] == pytest.approx(3 * sum(seconds))
    assert h["charge"].values[-1] == pytest.approx(net, rel=1e-12)
    assert h["charge_passed"].values[-1] == pytest.approx(moved, rel=1e-12)
    assert h["protocol_charge"].sum() == pytest.approx(net, rel=1e-12)
    np.testing.assert_allclose(h["plated_high_x"] - h["plated_low_x"], h["charge"], atol=1e-15)
    assert h.sizes["protocol_step"] == 15 and h["half_cycles"].values[-1] == 3 * 4 - 1


def test_settings_change_what_they_name():
    base = polarisation_from_experiment(Experiment(LIU2025, cycles=2), n_times=5)
    longer = polarisation_from_experiment(Experiment(LIU2025, cycles=2), duration=3 * 4200.0, n_times=5)
    assert longer["t"].values[-1] == 3 * 4200.0 and base["t"].values[-1] == 2 * 4200.0
    assert longer["current_density"].values[-1] == 0  # after the last step the cell rests
    assert longer["charge_passed"].values[-1] == pytest.approx(base["charge_passed"].values[-1])
    big = polarisation_from_experiment(Experiment(LIU2025, cycles=2), area=2 * base.attrs["area"], n_times=5)
    np.testing.assert_allclose(big["charge_passed"], 2 * base["charge_passed"])
    cut = polarisation_from_experiment(Experiment(LIU2025, cycles=2, max_time="1 hour"), n_times=5)
    assert cut["t"].values[-1] == 3600.0 and cut["protocol_end_time"].values[-1] == 3600.0
    rated = polarisation_from_experiment(Experiment(["Charge at C/2 for 1 hour"], one_c="2 mA/cm^2"), n_times=3)
    assert rated["current_density"].values[0] == pytest.approx(10.0)  # C/2 of 2 mA/cm^2 = 1 mA/cm^2 = 10 A/m^2


@pytest.mark.parametrize("step, match", [
    ("Charge at 0.1 mA/cm^2 until 4.3 V", "voltage"),
    ("Hold at 0.05 V for 10 minutes", "holds a voltage"),
    ("Rest for 5 minutes or until 0.1 V", "voltage"),
])
def test_conditions_on_a_voltage_are_refused_naming_the_step(step, match):
    exp = Experiment(["Charge at 0.1 mA/cm^2 for 30 minutes", step])
    with pytest.raises(InputError, match=match) as info:
        polarisation_from_experiment(exp)
    assert "steps[1]" in str(info.value) and step in str(info.value)


def test_bad_inputs_are_named():
    with pytest.raises(InputError, match="one_c"):
        polarisation_from_experiment(Experiment(["Charge at 1C for 1 hour"]))
    with pytest.raises(InputError, match="experiment"):
        polarisation_from_experiment(LIU2025)
    with pytest.raises(InputError, match="n_times"):
        polarisation_from_experiment(Experiment(LIU2025), n_times=1)
    with pytest.raises(InputError, match="current_density"):
        polarisation_history(-1.0)
