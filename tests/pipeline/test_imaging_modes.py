"""A run that images some of the three modes: its configuration needs only the steps of the modes it
images, and every stage and the report complete, the absent modes marked as not imaged."""

import pytest

from operando.pipeline.config import ConfigError, RunConfig
from operando.pipeline.run import run_experiment
from operando.report import NOT_APPLICABLE


@pytest.mark.parametrize(("modes", "steps", "absent"), [
    (["susceptometry"], ["5C"], "oersted"),  # the default oersted_step '25C' names no step
    (["oersted"], ["25C"], "susceptometry"),  # the default susceptometry_step '5C' names no step
])
def test_run_without_a_mode_reports(tmp_path, small_run, modes, steps, absent):
    data = small_run(tmp_path / "run")
    data["imaging"]["modes"] = modes
    data["charge"] = [s for s in data["charge"] if s["name"] in steps]
    cfg = RunConfig.from_mapping(data)
    result = run_experiment(cfg)
    assert result.report is not None and result.report.is_file()
    # Fig. 4b is drawn with the absent mode's panel marked, not on an empty log axis
    assert (tmp_path / "run" / "figures" / "fig4b_signal_vs_field_and_current.png").is_file()
    html = result.report.read_text()
    assert "not imaged" in html
    # a 2-D section of the preset: the report gives the depth its fields were computed for
    assert "preset pollok2025" in html
    assert f"extruded {result.datasets['fields'].attrs['source_thickness'] * 1e6:.3g} µm in depth" in html
    # the claims that need the absent mode say so
    needs = {"oersted": ("M6", "M7", "M11"), "susceptometry": ("M3", "M5", "M9")}[absent]
    for c in result.claims:
        if c.id in needs:
            assert c.verdict == NOT_APPLICABLE and "not imaged" in c.note, c


def test_imaged_mode_still_needs_its_step(small_run, tmp_path):
    data = small_run(tmp_path)
    data["imaging"]["modes"] = ["susceptometry"]
    data["imaging"]["susceptometry_step"] = "50C"
    with pytest.raises(ConfigError, match="susceptometry_step = '50C' names no charge step"):
        RunConfig.from_mapping(data)


def test_signal_panel_without_signals_is_marked():
    import numpy as np

    from operando.report.figures import signal_vs_drive

    fig = signal_vs_drive(np.array([0.01, 0.1]), {"LixCoO2": np.array([1e-6, 1e-5])}, np.array([1.0]), {},
                          {"CW": 1e-6})
    fig.canvas.draw()  # a log axis with nothing on it fails here
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert any("not imaged" in t for t in texts)
