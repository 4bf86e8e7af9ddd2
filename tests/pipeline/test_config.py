import tomllib

import pytest
from typer.testing import CliRunner

from operando.cli import app
from operando.pipeline.config import EXAMPLE_CONFIG, ConfigError, RunConfig


def test_example_config_is_valid_and_equals_the_defaults():
    cfg = RunConfig.from_mapping(tomllib.loads(EXAMPLE_CONFIG))
    assert cfg.imaging.standoff == pytest.approx(50e-9)
    assert cfg.imaging.B_ext == pytest.approx(0.1)
    default = RunConfig()
    assert cfg == default.model_copy(update={"out": cfg.out})


def test_default_steps_are_the_papers_current_densities():
    # Pollok et al., Nat. Commun. 2025, L137 (C/10, 1C, 5C) and L152 (25C): mA/cm² → A/m²
    paper = {"C/10": 0.9, "1C": 9.4, "5C": 47.0, "25C": 235.0}
    assert {s.name: s.nominal_current_density for s in RunConfig().charge} == pytest.approx(paper)
    # a C-rate in a configuration is the paper's: 1C = 0.94 mA/cm²
    step = RunConfig.from_mapping({"charge": [{"name": "x", "c_rate": 5, "duration": "1 s"}],
                                   "imaging": {"oersted_step": "x", "susceptometry_step": "x"}}).charge[0]
    assert step.nominal_current_density == pytest.approx(47.0)


def test_python_preset_and_configuration_share_their_defaults():
    from operando.cell import presets

    cell = presets.pollok2025()
    c = RunConfig().cell
    assert cell.grid.dz == pytest.approx(c.voxel) and cell.grid.nz == c.nz
    assert cell.material_of["llzo"] == c.electrolyte == "LLZO_cubic"


def test_loading_makes_one_c_the_papers_current_density():
    # the preset's LixCoO2 loading is chosen so that 1C = 0.94 mA/cm² (Pollok et al. 2025 L137)
    from operando.cell import metrics, presets

    for seed in (0, 1):
        assert metrics.c_rate_current_density(presets.pollok2025(seed=seed)) == pytest.approx(9.4, rel=0.03)


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({"imaging": {"standof": "50 nm"}}, "imaging.standof", "unknown key"),
        ({"imaging": {"standoff": "50"}}, "imaging.standoff", "no unit"),
        ({"imaging": {"B_ext": "5 s"}}, "imaging.B_ext", "not convertible to T"),
        ({"imaging": {"standoff": "-5 nm"}}, "imaging.standoff", "greater than 0"),
        ({"cell": {"voxel": "0 nm"}}, "cell.voxel", "greater than 0"),
        ({"charge": [{"name": "a", "duration": "1 s"}]}, "charge.0", "exactly one of c_rate"),
        ({"charge": [{"name": "a", "c_rate": -1, "duration": "1 s"}]}, "charge.0.c_rate", "greater than 0"),
        ({"imaging": {"oersted_step": "50C"}}, "oersted_step", "names no charge step"),
        ({"sensor": {"kind": "squid"}}, "sensor.kind", "scanning"),
        ({"imaging": {"B_ext_direction": "parallel"}}, "imaging.B_ext_direction", "unknown key"),
        ({"imaging": {"modes": []}}, "imaging.modes", "at least 1"),
        ({"imaging": {"nv_orientations": []}}, "imaging.nv_orientations", "at least 1"),
        ({"claims": "never"}, "claims", "auto"),
    ],
)
def test_bad_config_names_key_value_and_expectation(data, key, words):
    with pytest.raises(ConfigError) as err:
        RunConfig.from_mapping(data)
    msg = str(err.value)
    assert key in msg and words in msg


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        RunConfig.from_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = [unclosed")
    with pytest.raises(ConfigError, match="cannot parse"):
        RunConfig.from_file(bad)


def test_cli_config_example_and_check(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["config", "--example"])
    assert res.exit_code == 0 and "[imaging]" in res.output
    path = tmp_path / "run.toml"
    path.write_text(res.output)
    assert runner.invoke(app, ["config", "--check", str(path)]).exit_code == 0
    path.write_text('[imaging]\nstandoff = "50"\n')
    res = runner.invoke(app, ["config", "--check", str(path)])
    assert res.exit_code != 0
    assert "imaging.standoff" in str(res.exception)


def test_cli_version():
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("operando ")


def test_demo_configs(tmp_path):
    from operando.pipeline.demo import demo_config

    section, volume = demo_config(tmp_path), demo_config(tmp_path, volume=True)
    assert (section.cell.nz, section.cell.voxel) == (1, 250e-9)
    assert (volume.cell.nz, volume.cell.voxel) == (8, 500e-9)
    assert demo_config(tmp_path, full=True).cell.voxel == 100e-9
    fine = demo_config(tmp_path, full=True, volume=True).cell
    assert (fine.nz, fine.voxel) == (16, 250e-9)  # the volume's 4 µm depth kept
    assert (demo_config(tmp_path, voxel=1e-6, nz=5).cell.voxel, demo_config(tmp_path, nz=5).cell.nz) == (1e-6, 5)
    # everything but the cell is the paper's experiment, and the volume is the configuration's default
    assert volume.model_dump(exclude={"cell"}) == section.model_dump(exclude={"cell"})
    assert volume.cell == RunConfig().cell


def test_cli_demo_rejects_an_unknown_experiment(tmp_path):
    res = CliRunner().invoke(app, ["demo", "--experiment", "nope", "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "--experiment" in str(res.exception) and "huang2025" in str(res.exception)
