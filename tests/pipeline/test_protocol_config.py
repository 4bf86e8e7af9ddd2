"""Charge protocols in the run configuration: the protocol form of ``[[charge]]``, its checks, and a run
whose imaged state is the end of a mixed protocol."""

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

import operando
from operando.electrochem import Experiment, Galvanostatic
from operando.pipeline.config import ConfigError, RunConfig
from operando.pipeline.stages import final_state

STEPS = ["Charge at 5C until 4.0 V", "Rest for 10 s", "Hold at 4.0 V for 10 s or until C/2", "Rest for 10 s",
         "Discharge at 2C until 3.65 V"]


def _config(**step):
    return {"charge": [{"name": "p", **step}], "imaging": {"oersted_step": "p", "susceptometry_step": "p"}}


def test_protocol_form_reads_as_an_experiment():
    step = RunConfig.from_mapping(_config(steps=STEPS, cycles=2, output_interval="20 s")).charge[0]
    exp = step.experiment()
    assert isinstance(exp, Experiment) and len(exp.flat) == 10 and exp.output_interval == 20.0
    assert exp.max_time is None and step.duration == float("inf")
    assert step.nominal_current_density == pytest.approx(47.0)  # 5C in the paper's sense: 4.70 mA/cm²
    assert exp.one_c == pytest.approx(9.4)
    limited = RunConfig.from_mapping(_config(steps=STEPS, duration="2 min")).charge[0].experiment()
    assert limited.max_time == 120.0


def test_simple_form_is_unchanged_and_takes_an_output_interval():
    # the paper's default steps (Pollok et al., Nat. Commun. 2025 L137, L152) stay galvanostatic
    defaults = RunConfig().charge
    assert [(s.name, s.duration, s.steps, s.output_interval) for s in defaults] == [
        ("C/10", 12000.0, None, None), ("1C", 1200.0, None, None), ("5C", 240.0, None, None),
        ("25C", 10.0, None, None)]
    assert defaults[2].experiment() == Galvanostatic(current_density=47.0, duration=240.0, save_every=60.0)
    step = RunConfig.from_mapping(_config(c_rate="5C", duration="4 min", output_interval="30 s")).charge[0]
    assert step.experiment().save_every == 30.0


@pytest.mark.parametrize(
    "step, match",
    [
        ({"steps": ["Charge at 5C until 4.0"]}, r"charge\.0.*until = '4\.0'.*'V'"),  # a bare number names the unit
        ({"steps": ["Rest for 10 s", "Hold at 4.0 V"]}, r"steps\[1\].*needs a current"),
        ({"steps": ["Rest for 10 s"], "c_rate": "5C"}, "c_rate: a protocol"),
        ({"steps": []}, "charge.0.steps"),
        ({"steps": ["Rest for 10 s"], "cycles": 0}, "charge.0.cycles"),
        ({"current_density": "4.7 mA/cm^2", "duration": "4 min", "cycles": 2}, "cycles: applies to a protocol"),
        ({"current_density": "4.7 mA/cm^2"}, "duration: required"),
        ({"steps": ["Rest for 10 s"], "output_interval": 5}, r"output_interval.*no unit"),
        ({"steps": ["Rest for 10 s"], "output_interval": "-5 s"}, "output_interval"),
    ],
)
def test_bad_protocols_name_the_key(step, match):
    with pytest.raises(ConfigError, match=match):
        RunConfig.from_mapping(_config(**step))


@pytest.fixture(scope="module")
def protocol_run(tmp_path_factory, small_run):
    config = small_run(tmp_path_factory.mktemp("protocol") / "out",
                       five_c={"current_density": None, "duration": None, "steps": STEPS, "cycles": 2,
                               "output_interval": "20 s"})
    return operando.run(config, progress=False, report=False)


def test_a_mixed_protocol_runs_and_logs_its_steps(protocol_run):
    ds = protocol_run.charges()["5C"]
    assert list(ds.protocol_kind.values) == ["current", "rest", "voltage", "rest", "current"] * 2
    reasons = list(ds.protocol_end_reason.values)
    assert reasons[0::5] == reasons[4::5] == ["until voltage"] * 2
    assert reasons[1::5] == reasons[3::5] == ["until time"] * 2
    assert set(reasons[2::5]) <= {"until time", "until current"}
    np.testing.assert_array_equal(ds.protocol_start_time.values[1:], ds.protocol_end_time.values[:-1])
    np.testing.assert_array_equal(ds.protocol_start_voltage.values[1:], ds.protocol_end_voltage.values[:-1])
    np.testing.assert_allclose(ds.protocol_end_voltage.values[0::5], 4.0, atol=1e-4)
    np.testing.assert_allclose(ds.protocol_end_voltage.values[4::5], 3.65, atol=1e-4)
    assert ds.t.values[0] == 0.0 and ds.time.values[0] == 0.0
    # the state imaged is the end of the protocol
    assert float(final_state(ds)["t"]) == ds.protocol_end_time.values[-1] == ds.time.values[-1]
    assert {"fields", "measurement", "reconstruction"} <= set(protocol_run.datasets)


def test_a_rerun_of_the_protocol_comes_from_the_cache(protocol_run, small_run):
    config = small_run(protocol_run.folder, five_c={"current_density": None, "duration": None, "steps": STEPS,
                                                    "cycles": 2, "output_interval": "20 s"})
    again = operando.run(config, progress=False, report=False)
    ds, first = again.charges()["5C"], protocol_run.charges()["5C"]
    np.testing.assert_array_equal(ds.time_voltage.values, first.time_voltage.values)
    assert list(ds.protocol_end_reason.values) == list(first.protocol_end_reason.values)


def test_the_report_describes_a_protocol_step_by_its_steps(protocol_run):
    from operando.pipeline.reporting import simulated_table

    run = protocol_run
    rows = {r["item"]: r["value"] for r in simulated_table(run.config, run.cells(), run.charges(), run.datasets, None)}
    row = rows["step 5C"]
    assert "protocol " + "; ".join(STEPS) + " (× 2)" in row
    assert "over 10 steps" in row and "inf" not in row


@pytest.fixture(scope="module")
def discharged(tmp_path_factory, small_run):
    """A run whose Ørsted and susceptometry step is the protocol, ending in a 2C discharge."""
    config = small_run(tmp_path_factory.mktemp("discharged") / "out",
                       five_c={"current_density": None, "duration": None, "steps": STEPS})
    config["charge"] = config["charge"][:1]
    config["imaging"].update(oersted_step="5C", susceptometry_step="5C")
    return operando.run(config, progress=False)


def test_the_imaged_state_of_a_protocol_is_named_with_its_signed_current(discharged):
    from html import unescape

    from operando.pipeline.reporting import fig4a

    run = discharged
    ds = run.charges()["5C"]
    j_end = float(final_state(ds)["current_density"])
    assert j_end == pytest.approx(-2 * 9.4, rel=1e-3)  # "Discharge at 2C": 1C = 0.94 mA/cm² (Pollok 2025 L137)
    fields = run.datasets["fields"]
    assert fields.attrs["oersted_nominal_current_density"] == pytest.approx(j_end)  # signed
    t_end = float(ds["t"].values[-1])
    state = f"end of the protocol, t = {t_end:.4g} s, after step '{STEPS[-1]}'"
    assert fields.attrs["oersted_imaged_state"] == state
    html = unescape(run.report_path.read_text())
    assert f"currents imaged: 5C, {state}, at {j_end / 10:+.3g} mA/cm²" in html
    assert f"state imaged in B_ext: 5C, {state}" in html
    fig = fig4a(run.config, run.cells(), run.charges(), fields)[0][1]
    titles = [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center")]
    assert f"|J|, 5C, at {j_end / 10:.3g} mA/cm²" in titles  # −1.88, not the first step's +4.7
