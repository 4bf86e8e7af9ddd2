"""A run says what it is doing through the standard logging module: stage starts, ends and durations
at INFO (printed by the command line even when piped), silenced by --quiet."""

import logging

import pytest

from operando.cli import configure_logging
from operando.pipeline.config import RunConfig
from operando.pipeline.run import run_experiment


def _cfg(out):
    return RunConfig.from_mapping({
        "out": str(out), "cell": {"voxel": "500 nm", "nz": 1},
        "charge": [{"name": "5C", "current_density": "4.70 mA/cm^2", "duration": "5 s"},
                   {"name": "25C", "current_density": "23.5 mA/cm^2", "duration": "0.1 s", "dendrite": True}],
        "imaging": {"nv_orientations": ["perpendicular"], "standoff_sweep": ["50 nm"]},
        "sensor": {"simulate_spectra": False}})


def test_stages_are_logged_with_their_durations(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="operando"):
        run_experiment(_cfg(tmp_path / "a"), progress=False, report=False)
    text = caplog.text
    assert "charge_5C …" in text and "charge_5C computed in" in text
    with caplog.at_level(logging.INFO, logger="operando"):
        caplog.clear()
        run_experiment(_cfg(tmp_path / "a"), progress=False, report=False)
    assert "charge_5C reused in" in caplog.text


@pytest.mark.parametrize(("level", "shown"), [(logging.INFO, True), (logging.WARNING, False)])
def test_command_line_handler_prints_stages_unless_quiet(tmp_path, capsys, level, shown):
    configure_logging(level)
    try:
        run_experiment(_cfg(tmp_path / "b"), progress=False, report=False)
    finally:
        configure_logging(logging.WARNING)
    err = capsys.readouterr().err
    assert ("[operando] fields computed in" in err) is shown
