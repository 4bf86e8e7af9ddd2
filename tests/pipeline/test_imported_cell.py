"""What a run of an imported labelled volume reports: a current reconstruction that the noise makes
impossible is a result, the cell is named by its labels file and built once, its LixCoO2 voxels
without an electronic path are counted, and the paper's claims are summed up in one line."""

import numpy as np
import pytest

import operando
from operando.pipeline.reconstruction import reconstruction_dataset

LABEL_MAP = {0: "void", 1: "Li", 2: "LLZO_cubic", 3: "LiCoO2"}


def volume_with_isolated_particles(ny: int = 12, nx: int = 20) -> np.ndarray:
    """(1, ny, nx) labels: Li metal on the x = 0 face, garnet, one LiCoO2 bar reaching the x = Lx
    face (the positive terminal) and single-voxel LiCoO2 particles in the garnet, touching nothing
    that conducts electrons: 12 of the 22 LiCoO2 voxels are isolated."""
    lab = np.full((1, ny, nx), 2, dtype=np.uint8)
    lab[..., :2] = 1
    lab[:, 0, 10:] = 3
    lab[0, 3:ny:3, 8:nx - 2:3] = 3
    return lab


def config(tmp_path, **top) -> dict:
    labels = tmp_path / "isolated.npy"
    np.save(labels, volume_with_isolated_particles())
    return {"out": str(tmp_path / "run"), **top,
            "cell": {"labels": str(labels), "label_map": LABEL_MAP, "voxel": "500 nm"},
            "charge": [{"name": "1C", "c_rate": "1C", "duration": "5 s"}],
            "imaging": {"nv_orientations": ["perpendicular"], "standoff_sweep": ["50 nm"],
                        "oersted_step": "1C", "susceptometry_step": "1C"},
            "sensor": {"simulate_spectra": False}}


@pytest.fixture(scope="module")
def below_noise(tmp_path_factory):
    """1C through the one connected bar: an Ørsted field of ~0.01 nT under the default 50 nT pulsed
    noise; with seed 1 the noisy map's norm is below the discrepancy target."""
    return operando.run(config(tmp_path_factory.mktemp("isolated"), seed=1))


def test_current_below_the_noise_is_recorded_and_the_report_completes(below_noise):
    rec = below_noise.datasets["reconstruction"]
    assert below_noise.report_path.is_file()
    why = rec.attrs["J_unavailable"]
    assert "below the noise" in why and "no current reconstruction" in why
    assert np.isnan(rec["J_reconstructed"].values).all() and np.isnan(rec.attrs["J_relative_error"])
    assert np.isfinite(rec["J_true"].values).all()  # the truth is kept beside it
    assert why in below_noise.report_path.read_text()
    m12 = next(c for c in below_noise.claims if c.id == "M12")
    assert "below the noise" in m12.ours


def test_an_empty_orsted_map_gives_nan_currents_not_an_error(below_noise):
    r = below_noise
    meas = r.datasets["measurement"].copy()
    meas["B_oersted_measured"] = meas["B_oersted_measured"] * 0.0  # nothing but a map of zeros
    rec = reconstruction_dataset(r.config, r.cells(), r.charges(), r.datasets["fields"], meas)
    assert np.isnan(rec["J_reconstructed"].values).all() and "below the noise" in rec.attrs["J_unavailable"]
    assert np.isfinite(rec["J_noiseless"].values).all()  # the noiseless map is still inverted


def test_the_validated_config_describes_the_volume_not_the_preset(tmp_path):
    cfg = operando.pipeline.config.RunConfig.from_mapping(config(tmp_path))
    assert cfg.cell.preset is None and cfg.cell.nz == 1 and cfg.cell.dendrite is False
    lab = volume_with_isolated_particles()
    lab = np.concatenate([lab, lab])  # two layers, one label mapped to the dendrite phase
    lab[1, 5, 3:6] = 4
    np.save(tmp_path / "deep.npy", lab)
    data = config(tmp_path)
    data["cell"].update(labels=str(tmp_path / "deep.npy"), label_map={**LABEL_MAP, 4: "dendrite"})
    cfg = operando.pipeline.config.RunConfig.from_mapping(data)
    assert cfg.cell.preset is None and cfg.cell.nz == 2 and cfg.cell.dendrite is True


def test_one_cell_stage_and_the_report_names_the_labels_file(below_noise):
    r = below_noise
    assert "cell_pristine" in r.datasets and "cell_dendrite" not in r.datasets
    assert "cell_dendrite" not in r.result.computed + r.result.reused
    assert r.cells()["dendrite"] is r.cells()["pristine"] or np.array_equal(
        r.cells()["dendrite"].labels, r.cells()["pristine"].labels)
    html = r.report_path.read_text()
    assert "isolated.npy" in html and "pollok2025:" not in html
    # a one-layer cell: the report gives the depth its fields were computed for
    depth = r.datasets["fields"].attrs["source_thickness"]
    assert f"extruded {depth * 1e6:.3g} µm in depth" in html


def test_memory_estimate_reads_the_volume_shape(tmp_path):
    from operando.pipeline.resources import run_grid_shape

    cfg = operando.pipeline.config.RunConfig.from_mapping(config(tmp_path))
    assert run_grid_shape(cfg) == volume_with_isolated_particles().shape  # not the preset's grid


def test_isolated_lixcoo2_is_counted_warned_and_reported(below_noise):
    from operando.pipeline.stages import cathode_wiring, isolated_cathode_warnings

    cell = below_noise.cells()["pristine"]
    lab = volume_with_isolated_particles()
    assert cathode_wiring(cell) == (10, int((lab == 3).sum()))  # the bar alone reaches the x = Lx face
    notes = isolated_cathode_warnings(below_noise.cells())
    assert len(notes) == 1 and "12 of 22 LixCoO2 voxels" in notes[0]
    assert notes[0] in below_noise.result.warnings
    with pytest.warns(UserWarning, match="12 of 22 LixCoO2 voxels"):
        operando.run(below_noise.config, report=False)  # cached: warned again
    assert "10 of 22 voxels (45%); the other 12 have no electronic path" in below_noise.report_path.read_text()
    # the isolated particles never charge: their x stays where it started
    x = below_noise.charges()["1C"]["x_li"].isel(t=-1).values
    isolated = (lab == 3) & (np.arange(lab.shape[2]) < 18) & (np.arange(lab.shape[1])[:, None] > 0)
    np.testing.assert_allclose(x[isolated], cell.x_init, rtol=0, atol=1e-9)


def test_the_preset_section_has_its_lixcoo2_wired():
    from operando.cell import presets
    from operando.pipeline.stages import cathode_wiring, isolated_cathode_warnings

    cell = presets.pollok2025(voxel=5e-7, nz=1, seed=0)
    wired, total = cathode_wiring(cell)
    assert wired == total > 0 and isolated_cathode_warnings({"pristine": cell}) == []


def test_command_line_sums_up_the_claims_of_an_imported_cell_in_one_line(below_noise, tmp_path):
    from typer.testing import CliRunner

    from operando.cli import app

    c = below_noise.config
    lines = ["seed = 1", f'out = "{below_noise.folder}"', "[cell]", f'labels = "{c.cell.labels}"', 'voxel = "500 nm"',
             "label_map = {" + ", ".join(f'{k} = "{v}"' for k, v in LABEL_MAP.items()) + "}",
             "[[charge]]", 'name = "1C"', 'c_rate = "1C"', 'duration = "5 s"',
             "[imaging]", 'nv_orientations = ["perpendicular"]', 'standoff_sweep = ["50 nm"]',
             'oersted_step = "1C"', 'susceptometry_step = "1C"', "[sensor]", "simulate_spectra = false"]
    path = tmp_path / "imported.toml"
    path.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["run", str(path)])
    assert res.exit_code == 0, res.output
    assert "stages computed: none (all cached)" in res.output  # the fixture's run, read back
    assert ("claims of Pollok et al., Nat. Commun. 2025 are not applicable to an imported cell: its geometry is "
            "not the paper's") in res.output
    assert not any(f" M{k} " in res.output for k in range(1, 13))  # no table rows
    assert "M1" in below_noise.report_path.read_text()  # the report keeps the table
