"""A protocol step that cannot run says which step, what it asked and what would work."""

import importlib.util
import re
import warnings
from pathlib import Path

import pytest

from operando.electrochem import Experiment, charge
from operando.errors import ConvergenceError

_spec = importlib.util.spec_from_file_location("cells", Path(__file__).with_name("charge_cells.py"))
cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cells)


def small_cell():
    return cells.composite_cell(seed=0, ny=6, nx=20)


def test_a_step_that_cannot_start_names_step_current_and_density():
    m = small_cell()
    with pytest.raises(ConvergenceError) as err:
        charge(m, Experiment(["Rest for 1 s", "Charge at 2 mA until 4.3 V"]), progress=False)
    msg = str(err.value)
    assert "protocol step 2 'Charge at 2 mA until 4.3 V' cannot start" in msg
    area_cm2 = m.nominal_area() * 1e4
    density = float(re.search(r"is ([\d.e+-]+) A/cm²", msg).group(1))
    assert density == pytest.approx(2e-3 / area_cm2, rel=1e-2)  # 2 mA over the nominal area
    assert f"{area_cm2:.3g} cm²" in msg
    one_c = float(re.search(r"1C of this cell is ([\d.e+-]+) mA/cm²", msg).group(1))
    assert one_c == pytest.approx(m.one_c_current() / m.nominal_area() * 0.1, rel=1e-2)
    assert f"'Charge at {one_c:.2g} mA/cm^2'" in msg


def test_a_step_ending_on_a_condition_met_at_its_start_warns():
    m = small_cell()
    with pytest.warns(UserWarning, match=r"protocol step 1 'Charge at 1C until 2.0 V' ended after .* "
                                         r"'until 2 V' was already met when it started") as rec:
        ds = charge(m, Experiment(["Charge at 1C until 2.0 V"]), progress=False)
    assert rec[0].filename == __file__  # points at the caller's line
    assert ds.protocol_end_reason.values[0] == "until voltage"
    assert ds.protocol_end_time.values[0] < 1e-2


def test_a_step_that_runs_does_not_warn():
    m = small_cell()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = charge(m, Experiment(["Charge at 5C for 2 s"]), progress=False)
    assert ds.protocol_end_reason.values[0] == "until time"


def test_run_logs_one_line_per_protocol_step(caplog):
    from operando.pipeline.run import _log_protocol_steps

    steps = ["Charge at 5C for 2 s", "Rest for 1 s"]
    ds = charge(small_cell(), Experiment(steps), progress=False)
    with caplog.at_level("INFO", logger="operando.run"):
        _log_protocol_steps("5C", ds)
    lines = [r.getMessage() for r in caplog.records if r.name == "operando.run"]
    assert len(lines) == 2
    v_end = ds.protocol_end_voltage.values
    assert lines[0].startswith("  5C, protocol step 1 'Charge at 5C for 2 s': 0 s → 2 s")
    assert f"ends at {v_end[0]:.4g} V (until time)" in lines[0]
    assert lines[1].startswith("  5C, protocol step 2 'Rest for 1 s': 2 s → 3 s")
    caplog.clear()
    with caplog.at_level("INFO", logger="operando.run"):
        _log_protocol_steps("1C", ds.isel(protocol_step=[0]))  # a plain charge: its stage line says it all
    assert not caplog.records
