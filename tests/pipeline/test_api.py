"""``operando.run`` from Python: a mapping (as in TOML) in, datasets, claims and figures out; a rerun
resumes from the cache."""

import matplotlib

matplotlib.use("Agg")
import pytest

import operando
from operando.pipeline import ConfigError


@pytest.fixture(scope="module")
def run(tmp_path_factory, small_run):
    config = small_run(tmp_path_factory.mktemp("api") / "out", five_c={"c_rate": "5C", "current_density": None,
                                                                       "duration": "20 s"})
    return operando.run(config, progress=False, report=False)


def test_run_from_a_mapping(run):
    assert run.config.charge[0].nominal_current_density == pytest.approx(47.0)  # 5C = 4.70 mA/cm² (paper)
    assert {"fields", "measurement", "reconstruction", "charge_5C"} <= set(run.datasets)
    assert [c.id for c in run.claims][:2] == ["M1", "M2"]
    assert run.claims[0].verdict == "not applicable"  # no C/10 or 1C step in this run
    assert set(run.cells()) == {"pristine", "dendrite"} and set(run.charges()) == {"5C", "25C"}
    assert run.report_path is None and run.folder.name == "out"


def test_standard_figures(run):
    figs = run.figures()
    assert {"fig4a", "fig4b", "fig4c", "current", "state_of_charge"} <= set(figs)
    assert len(figs["fig4a"].axes) >= 6  # six panels (and their colour bars)


def test_the_same_run_from_a_toml_file_reuses_every_stage(run, tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(f"""out = "{run.folder}"
[cell]
voxel = "500 nm"
nz = 1
[[charge]]
name = "5C"
c_rate = "5C"
duration = "20 s"
[[charge]]
name = "25C"
current_density = "23.5 mA/cm^2"
duration = "0.5 s"
dendrite = true
[imaging]
nv_orientations = ["perpendicular"]
standoff_sweep = ["50 nm", "200 nm"]
[sensor]
simulate_spectra = false
""")
    again = operando.run(path, progress=False, report=False)
    assert again.result.computed == [] and "charge_5C" in again.result.reused
    with pytest.raises(ConfigError, match="no such file"):
        operando.run(tmp_path / "missing.toml")
