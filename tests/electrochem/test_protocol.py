"""Experiment protocols: step logs, continuity, exact step ends, charge balance, string form."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import physical_constants

from operando.electrochem import Condition, Experiment, Galvanostatic, Step, charge
from operando.errors import InputError, UnitError

_spec = importlib.util.spec_from_file_location("cells", Path(__file__).with_name("charge_cells.py"))
cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cells)

F = physical_constants["Faraday constant"][0]
V_TOP, V_LOW = 4.05, 3.9
MIXED = ["Charge at 2C until 4.05 V", "Rest for 5 minutes", "Hold at 4.05 V until C/10",
         "Discharge at 2C until 3.9 V"]
REASONS = ["until voltage", "until time", "until current", "until voltage"]


def small_cell():
    return cells.composite_cell(seed=0, ny=6, nx=20)


@pytest.fixture(scope="module")
def mixed():
    m = small_cell()
    return m, charge(m, Experiment(MIXED, cycles=2, output_interval=600), progress=False)


def _lithium_charge(m, ds, t):
    """Charge (C) that left LixCoO2 between t = 0 and ``t`` by its lithium inventory."""
    x = ds.x_li.sel(t=t).values
    return float(np.nansum(m.x_init[m.cathode][0] - x)) * m.max_concentration() * m.grid.voxel_volume * F


def test_step_log_order_reasons_and_continuity(mixed):
    _, ds = mixed
    assert ds.sizes["protocol_step"] == 8
    assert list(ds.protocol_kind.values) == ["current", "rest", "voltage", "current"] * 2
    assert list(ds.protocol_cycle.values) == [0] * 4 + [1] * 4
    assert list(ds.protocol_end_reason.values) == REASONS * 2
    assert list(ds.protocol_description.values) == MIXED * 2
    t0, t1 = ds.protocol_start_time.values, ds.protocol_end_time.values
    v0, v1 = ds.protocol_start_voltage.values, ds.protocol_end_voltage.values
    # each step starts exactly where the previous ended, the first from the pristine state at t = 0
    assert t0[0] == 0.0 and v0[0] == ds.time_voltage.values[0]
    np.testing.assert_array_equal(t0[1:], t1[:-1])
    np.testing.assert_array_equal(v0[1:], v1[:-1])
    assert np.all(t1 > t0)
    # step ends land on their conditions (voltage within the event tolerance, the rest's 5 min exactly)
    np.testing.assert_allclose(v1[0::4], V_TOP, atol=1e-4)
    np.testing.assert_allclose(v1[3::4], V_LOW, atol=1e-4)
    np.testing.assert_allclose((t1 - t0)[1::4], 300.0, rtol=1e-12)
    # the state at every step end is saved, and the run ends at the end of the protocol
    assert set(t1) <= set(ds.t.values) and ds.t.values[-1] == t1[-1] == ds.time.values[-1]
    assert ds.attrs["termination"] == "v_min"


def test_each_step_holds_its_set_point(mixed):
    m, ds = mixed
    k, current, voltage = ds.time_protocol_step.values, ds.time_current.values, ds.time_voltage.values
    one_c = m.one_c_current()
    for i in range(8):
        sel = (k == i) & (ds.time.values > ds.protocol_start_time.values[i])  # the solver steps of step i
        if i % 4 in (0, 3):  # constant current, ± 2C
            np.testing.assert_allclose(current[sel], (1 if i % 4 == 0 else -1) * 2 * one_c, rtol=1e-9)
        elif i % 4 == 1:  # rest: no current, the voltage relaxes toward the open circuit
            assert np.abs(current[sel]).max() < 1e-9 * one_c
            assert np.all(np.diff(voltage[sel]) < 0)
        else:  # voltage hold: the current decays to C/10
            np.testing.assert_allclose(voltage[sel], V_TOP, rtol=1e-12)
            assert np.all(np.diff(current[sel]) < 0)
            assert current[sel][-1] == pytest.approx(0.1 * one_c, rel=1e-3)
    # the rest relaxes toward the open-circuit voltage of the mean content (slowly: solid diffusion)
    for i in (1, 5):
        end = ds.protocol_end_time.values[i]
        ocv = float(m.lco.ocp(np.nanmean(ds.x_li.sel(t=end).values)))
        assert ocv < ds.protocol_end_voltage.values[i] < ds.protocol_start_voltage.values[i]


def test_charge_balance_of_every_step(mixed):
    m, ds = mixed
    # Σ I dt of the solver steps = the charge passed
    dq = np.diff(ds.time.values) * ds.time_current.values[1:]  # backward Euler: I at the step's end
    np.testing.assert_allclose(np.cumsum(dq), ds.time_charge.values[1:], rtol=1e-12, atol=1e-25)
    # ... = the lithium that left LixCoO2 × F, step by step, to the solver's tolerance
    ends = np.concatenate([[0.0], ds.protocol_end_time.values])
    li = np.array([_lithium_charge(m, ds, t) for t in ends])
    scale = 2 * m.one_c_current() * 3600
    np.testing.assert_allclose(np.diff(li), ds.protocol_charge.values, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(li[1:], ds.time_charge.values[np.searchsorted(ds.time.values, ends[1:])],
                               rtol=0, atol=1e-9 * scale)
    assert np.all(ds.protocol_charge.values[0::4] > 0) and np.all(ds.protocol_charge.values[3::4] < 0)
    assert np.all(ds.protocol_charge.values[1::4] == 0)


def test_t_zero_is_the_pristine_state(mixed):
    m, ds = mixed
    assert ds.t.values[0] == 0.0 and ds.time.values[0] == 0.0
    first = ds.isel(t=0)
    np.testing.assert_array_equal(first.x_li.values[m.cathode], m.x_init[m.cathode])
    assert float(first.current) == 0.0 and float(first.charge_passed) == 0.0
    assert float(first.cell_voltage) == pytest.approx(float(m.lco.ocp(m.x_init[m.cathode][0])), abs=1e-12)
    # snapshots: t = 0, every 600 s and every step end
    grid = 600.0 * np.arange(1, int(ds.time.values[-1] // 600) + 1)
    want = np.union1d(np.union1d([0.0], grid), ds.protocol_end_time.values)
    np.testing.assert_allclose(ds.t.values, want, rtol=1e-12)


def test_output_interval_sets_the_snapshots():
    m = small_cell()
    counts = {}
    for interval in (60.0, 300.0, None):
        ds = charge(m, Experiment(["Charge at 2C for 10 minutes"], output_interval=interval), progress=False)
        counts[interval] = ds.sizes["t"]
        assert ds.t.values[-1] == pytest.approx(600.0, rel=1e-12)
    assert counts == {60.0: 11, 300.0: 3, None: 2}


def test_resume_within_a_protocol_matches_uninterrupted(tmp_path, mixed):
    m, full = mixed
    path = tmp_path / "run.nc"

    class Stop(Exception):
        pass

    def interrupt(ds):
        if ds.sizes["protocol_step"] == 2 and ds.sizes["t"] > 4:  # within the voltage hold of cycle 0
            raise Stop

    exp = Experiment(MIXED, cycles=2, output_interval=600)
    with pytest.raises(Stop):
        charge(m, exp, checkpoint=path, callback=interrupt, progress=False)
    resumed = charge(m, exp, checkpoint=path, progress=False)
    np.testing.assert_allclose(resumed.protocol_end_time.values, full.protocol_end_time.values, rtol=1e-9)
    assert list(resumed.protocol_end_reason.values) == list(full.protocol_end_reason.values)
    np.testing.assert_allclose(resumed.t.values, full.t.values, rtol=1e-9)
    np.testing.assert_allclose(resumed.x_li.values, full.x_li.values, rtol=0, atol=1e-9)


def test_discharge_past_full_ends_the_step_and_the_next_one_goes_on():
    m = small_cell()
    ds = charge(m, Experiment(["Discharge at 2C for 1 hour", "Rest for 1 minute"]), progress=False)
    assert list(ds.protocol_end_reason.values) == ["max_x", "until time"]
    end = ds.protocol_end_time.values
    assert end[1] - end[0] == pytest.approx(60.0)
    at_full = int(np.argmin(np.abs(ds.t.values - end[0])))
    assert np.nanmax(ds.x_li.isel(t=at_full).values) == pytest.approx(1.0, abs=1e-4)
    assert abs(float(ds.time_current.values[-1])) < 1e-20  # the rest


def test_a_single_discharge_past_full_ends_the_run_there():
    ds = charge(small_cell(), Experiment(["Discharge at 2C for 1 hour"]), progress=False)
    assert ds.attrs["termination"] == "max_x" and float(ds.t[-1]) < 3600.0


def test_galvanostatic_is_a_one_step_experiment():
    m = small_cell()
    proto = Galvanostatic(c_rate=2.0, duration=300.0, save_every=100.0)
    exp = proto.to_experiment()
    assert exp.steps == (Step.current("2C", until=[Condition("voltage", 4.3, "V")]),)
    a, b = charge(m, proto, progress=False), charge(m, exp, progress=False)
    np.testing.assert_array_equal(a.time_voltage.values, b.time_voltage.values)
    assert a.attrs["termination"] == b.attrs["termination"] == "duration"
    assert list(a.protocol_end_reason.values) == ["max_time"]


def test_string_form_equals_object_form():
    pairs = [
        ("Charge at 1C until 4.3 V", Step.current("1C", until="4.3 V")),
        ("Discharge at 0.94 mA/cm^2 until 3.0 V", Step.current("-0.94 mA/cm^2", until="3.0 V")),
        ("Rest for 5 minutes", Step.rest("5 min")),
        ("Hold at 4.3 V until C/20", Step.voltage("4.3 V", until="C/20")),
        ("Charge at 4.7 mA/cm^2 for 10 min or until 4.3 V", Step.current("4.7 mA/cm^2", until=["4.3 V", "600 s"])),
        ("hold at 4.2 V for 1 hour or until 0.05 mA/cm^2", Step.voltage("4.2 V", until=["0.5 A/m^2", "60 min"])),
        ("Charge at C/10 until 1 mAh/cm^2", Step.current("0.1C", until="36000 coulomb/m^2")),
    ]
    for text, step in pairs:
        assert Step.parse(text) == step, text
    assert Experiment([t for t, _ in pairs], cycles=3) == Experiment([s for _, s in pairs], cycles=3)
    assert Experiment(["Rest for 1 s"], cycles=3) != Experiment(["Rest for 1 s"], cycles=2)
    objects = Experiment([Step.current("4.7 mA/cm^2", until=["4.3 V", "10 min"]), Step.rest("5 min"),
                          Step.voltage("4.3 V", until="0.05 mA/cm^2"), Step.current("-0.94 mA/cm^2", until="3.0 V")],
                         cycles=2)
    strings = Experiment(["Charge at 4.7 mA/cm^2 for 10 minutes or until 4.3 V", "Rest for 5 minutes",
                          "Hold at 4.3 V until 0.05 mA/cm^2", "Discharge at 0.94 mA/cm^2 until 3.0 V"], cycles=2)
    assert objects == strings and objects.to_dict()["steps"][0]["until"] == strings.to_dict()["steps"][0]["until"]
    assert len(Experiment(MIXED, cycles=3).flat) == 12


@pytest.mark.parametrize(
    "steps, kwargs, match",
    [
        (["Charge at 1C until 4.3"], {}, r"steps\[0\].*until.*'V'"),  # bare number: the unit is named
        (["Charge at 1 until 4.3 V"], {}, r"current.*'A/m\^2'"),
        (["Charge at 0C until 4.3 V"], {}, "current.*nonzero"),
        (["Charge at 1C for 1 h", "Rest for 5 minutes until C/20"], {},
         r"steps\[1\].*rest step cannot end on its current"),
        (["Hold at 4.3 V until 4.2 V"], {}, "voltage step cannot end on its voltage"),
        (["Charge at 1C until 0.1 mA/cm^2"], {}, "current step cannot end on its current"),
        (["Charge at 1C until 12 V"], {}, r"\(0, 10\) V"),
        (["Rest"], {}, "rest needs a duration"),
        (["Hold at 4.3 V"], {}, "needs a current"),
        (["Charge at 1C"], {}, "at least one condition"),
        (["Charge at 1 kg until 4.3 V"], {}, "current"),
        (["Discharge at -1C until 3 V"], {}, "magnitude"),
        (["Charge at 1C until 4.3 V or 4.1 V"], {}, "at most once"),
        (["Cycle at 1C until 4.3 V"], {}, "cannot read"),
        (["Rest for -5 s"], {}, "time condition must be > 0"),
        ([], {}, "at least one step"),
        (["Rest for 1 s"], {"cycles": 0}, r"cycles.*\[1, "),
        (["Rest for 1 s"], {"cycles": 1.5}, "cycles"),
        (["Rest for 1 s"], {"output_interval": "0 s"}, "output_interval.*> 0"),
        (["Rest for 1 s"], {"output_interval": "3 V"}, "output_interval"),
        (["Rest for 1 s"], {"max_time": "-1 h"}, "max_time"),
        (["Rest for 1 s"], {"one_c": "1 mA"}, "one_c"),
        (["Rest for 1 s"], {"max_dx": 0.5}, r"max_dx.*\(0, 0.2\]"),
        ([3.0], {}, "step"),
    ],
)
def test_bad_steps_are_rejected_naming_the_parameter(steps, kwargs, match):
    with pytest.raises((InputError, UnitError), match=match):
        Experiment(steps, **kwargs)


def test_c_rates_follow_one_c():
    m = small_cell()
    own = Experiment(["Charge at 2C for 1 s"])
    paper = Experiment(["Charge at 2C for 1 s"], one_c="0.94 mA/cm^2")
    assert own.amps(2.0, "C", m) == pytest.approx(2 * m.one_c_current(), rel=1e-12)
    assert paper.amps(2.0, "C", m) == pytest.approx(2 * 9.4 * m.nominal_area(), rel=1e-12)


def test_current_reversed_every_interval_until_the_time_limit():
    m = small_cell()
    exp = Experiment(["Charge at 2C for 5 minutes", "Discharge at 2C for 5 minutes"], cycles=3, max_time="17 min")
    ds = charge(m, exp, progress=False)
    np.testing.assert_allclose(ds.protocol_end_time.values, [300.0, 600.0, 900.0, 1020.0], rtol=1e-12)
    assert list(ds.protocol_end_reason.values) == ["until time"] * 3 + ["max_time"]
    assert ds.attrs["termination"] == "duration"
    q = ds.protocol_charge.values
    np.testing.assert_allclose(q, 2 * m.one_c_current() * np.array([300.0, -300.0, 300.0, -120.0]), rtol=1e-9)
    # the charge passed returns to zero after each full cycle, and so does the lithium
    assert abs(ds.time_charge.sel(time=600.0, method="nearest")) < 1e-9 * q[0]
    np.testing.assert_allclose(_lithium_charge(m, ds, 600.0), 0.0, atol=1e-9 * q[0])
