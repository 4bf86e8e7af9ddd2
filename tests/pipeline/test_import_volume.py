"""A segmented label volume (TIFF) in a run configuration: validated at config time, charged and
imaged like the preset, cached by the file's content."""

import numpy as np
import pytest
import tifffile

import operando
from operando.pipeline.config import ConfigError, RunConfig
from operando.verdicts import NOT_APPLICABLE

LABEL_MAP = {0: "void", 1: "Li", 2: "LLZO_cubic", 3: "LiCoO2"}  # the doped garnet (1e-4 S/cm)


def stack(ny: int = 12, nx: int = 20) -> np.ndarray:
    """(1, ny, nx) labels of a Li | LLZO | LiCoO2 cell: Li metal on the x = 0 face, a garnet
    separator, and a composite of LiCoO2 bars in garnet reaching the x = Lx face (the positive
    terminal when there is no collector)."""
    lab = np.full((1, ny, nx), 2, dtype=np.uint8)
    lab[..., :2] = 1
    lab[:, ::2, 10:] = 3  # bars along x, every other row, touching the x = Lx face
    return lab


def _config(tmp_path, labels="cell.tif", **cell):
    return {"out": str(tmp_path / "run"),
            "cell": {"labels": str(tmp_path / labels), "label_map": LABEL_MAP, "voxel": "500 nm", **cell},
            "charge": [{"name": "5C", "current_density": "4.70 mA/cm^2", "duration": "5 s"}],
            "imaging": {"nv_orientations": ["perpendicular"], "standoff_sweep": ["50 nm"],
                        "oersted_step": "5C", "susceptometry_step": "5C"},
            "sensor": {"simulate_spectra": False}}


@pytest.fixture
def tiff(tmp_path):
    tifffile.imwrite(tmp_path / "cell.tif", stack())
    return tmp_path


def test_imported_volume_charges_and_gives_fields(tiff):
    run = operando.run(_config(tiff), report=False)
    cell = run.cells()["pristine"]
    np.testing.assert_array_equal(cell.labels, stack())  # the volume, label for label
    ch = run.charges()["5C"]
    lco = cell.mask("lco")
    # charge delithiates the LiCoO2: its mean lithium content falls from the initial x
    assert float(np.nanmean(ch["x_li"].isel(t=-1).values[lco])) < cell.x_init
    fields = run.datasets["fields"]
    assert float(np.abs(fields["B_lco"]).max()) > 0
    assert float(np.abs(fields["B_oersted"]).max()) > 0
    judged = [c for c in run.claims if c.verdict != "by construction"]
    # the paper's claims read its cell's geometry: not applicable to an imported volume
    assert judged and all(c.verdict == NOT_APPLICABLE for c in judged)
    assert sum("imported volume" in c.note for c in judged) >= 5


def test_cached_by_content(tiff):
    first = operando.run(_config(tiff), report=False)
    assert "cell_pristine" in first.result.computed
    again = operando.run(_config(tiff), report=False)
    assert "cell_pristine" in again.result.reused and "charge_5C" in again.result.reused
    changed = stack()
    changed[0, 1, 10:] = 3  # one more LiCoO2 bar: the same path, another cell
    tifffile.imwrite(tiff / "cell.tif", changed)
    third = operando.run(_config(tiff), report=False)
    assert {"cell_pristine", "charge_5C"} <= set(third.result.computed)


def test_unmapped_labels_named_before_any_stage(tmp_path):
    lab = stack()
    lab[0, 0, 5] = 7
    lab[0, 1, 5] = 9
    tifffile.imwrite(tmp_path / "cell.tif", lab)
    with pytest.raises(ConfigError, match=r"labels \[7, 9\] occur in cell.labels .* not mapped"):
        RunConfig.from_mapping(_config(tmp_path))
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(("cell", "match"), [
    ({"labels": "missing.tif"}, "cell.labels: no such file"),
    ({"dendrite": False}, "cell.dendrite applies to the preset cell only"),
    ({"nz": 4}, "cell.nz applies to the preset cell only"),
    ({"voxel": None}, "cell.voxel: give the voxel edge"),
    ({"voxel": "500"}, "cell.voxel"),
    ({"label_map": {0: "void", 1: "Li", 2: "LLZO", 3: "Unobtainium"}}, "label 3"),
])
def test_bad_import_settings(tiff, cell, match):
    cfg = _config(tiff)
    labels = cell.pop("labels", None)
    if labels:
        cfg["cell"]["labels"] = str(tiff / labels)
    cfg["cell"].update(cell)
    cfg["cell"] = {k: v for k, v in cfg["cell"].items() if v is not None}
    with pytest.raises(ConfigError, match=match):
        RunConfig.from_mapping(cfg)


def test_volume_without_grounded_li_is_refused_at_the_cell_stage(tmp_path):
    lab = stack()
    lab[..., :2] = 2  # no Li metal on the x = 0 face
    tifffile.imwrite(tmp_path / "cell.tif", lab)
    with pytest.raises(operando.errors.InputError, match=r"cannot be charged: .*x = 0"):
        operando.run(_config(tmp_path), report=False)


def test_colour_tiff_is_refused_before_any_stage(tmp_path):
    """A segmentation saved as an RGB image reads as (ny, nx, 3): three voxels deep in x, not a label
    volume; it is named at config time, not charged as a 3-voxel-long cell."""
    rgb = np.repeat(stack()[0, ..., None], 3, axis=-1)
    tifffile.imwrite(tmp_path / "cell.tif", rgb, photometric="rgb")
    with pytest.raises(ConfigError, match=r"cell.labels: .*colour \(RGB\).*one label per voxel"):
        RunConfig.from_mapping(_config(tmp_path))
    assert not (tmp_path / "run").exists()


@pytest.mark.filterwarnings("ignore:.*stored as RGB:DeprecationWarning")  # tifffile's, the case tested
@pytest.mark.parametrize("nz", [3, 4])
def test_a_stack_of_three_or_four_slices_reads_as_a_volume(tmp_path, nz):
    """tifffile stores a (3 | 4, ny, nx) uint8 stack as planar colour samples: still z slices."""
    lab = np.repeat(stack(), nz, axis=0)
    lab[1, 0, 5] = 0  # the slices differ
    tifffile.imwrite(tmp_path / "cell.tif", lab)
    cfg = RunConfig.from_mapping(_config(tmp_path))
    assert cfg.cell.nz == nz
    from operando.cell.importer import read_volume

    np.testing.assert_array_equal(read_volume(tmp_path / "cell.tif"), lab)


def test_a_cell_shorter_than_the_reconstruction_margin_runs_to_the_end(tmp_path):
    """The reconstruction leaves 4 pixels at each edge out of its error metrics; a map 8 voxels
    long (a thin cell) keeps what it can instead of failing after the charge."""
    lab = stack(nx=8)
    lab[:, ::2, 4:] = 3
    tifffile.imwrite(tmp_path / "cell.tif", lab)
    run = operando.run(_config(tmp_path), report=False)
    rec = run.datasets["reconstruction"]
    assert rec.attrs["edge_margin_pixels"] == 3 and rec.attrs["interior_pixels"] == 2 * 6
    assert np.isfinite(rec.attrs["M_roundtrip_error"])


def test_ungrounded_volume_names_the_labels_on_the_x0_face_and_what_is_needed(tmp_path):
    lab = stack()
    lab[..., :2] = 2  # garnet on the x = 0 face, the Li metal moved inside
    lab[:, 4:6, 3] = 1
    tifffile.imwrite(tmp_path / "cell.tif", lab)
    with pytest.raises(operando.errors.InputError) as info:
        operando.run(_config(tmp_path), report=False)
    message = str(info.value)
    assert "phase:" not in message  # the model's internal name, not a setting of the run
    assert "x = 0 face holds labels [2] (LLZO_cubic)" in message
    assert "cell.label_map" in message and "'Li'" in message


def test_limiting_phase_of_particles_embedded_in_the_garnet():
    """Segmented LiCoO2 particles apart from each other in the garnet: no electronic network spans
    the composite, the ions cross its garnet to reach the particles wired at x = Lx. The diagnosis
    of a current the cell cannot carry names that ionic path, not an infinite electronic drop."""
    from operando.cell.importer import from_labels
    from operando.pipeline.stages import ohmic_drops

    lab = np.full((1, 12, 40), 2, dtype=np.uint8)
    lab[..., :2] = 1
    lab[:, 2:10:3, 15:36:4] = 3  # single-voxel particles, none touching another
    lab[:, :, 38:] = 3  # the particles wired at the x = Lx face
    cell = from_labels(lab, {1: "Li", 2: "LLZO", 3: "LiCoO2"}, 500e-9)
    drops = ohmic_drops(cell, 9.4)
    assert all(np.isfinite(v) for v in drops.values()), drops
    sigma = 1e-4  # S/m, LLZO tetragonal (1e-6 S/cm)
    # the separator is the 13 columns before the first particle, not the garnet between particles
    assert drops["ionic conduction in the separator"] == pytest.approx(9.4 * 13 * 500e-9 / sigma, rel=1e-6)
    across = drops["ionic conduction across the composite (no LixCoO2 network spans it)"]
    # the ions cross 23 columns of garnet around the unwired particles (obstacles) to the wired bar
    garnet_only = 9.4 * 23 * 500e-9 / sigma
    assert garnet_only < across < 1.5 * garnet_only


def test_two_materials_of_one_phase_are_named_before_any_stage(tmp_path):
    """Two garnets (the doped cubic one and the tetragonal one) as two labels: the charge model holds
    one material per phase, so the run says which labels clash and how to map them."""
    lab = stack()
    lab[:, :, 4:6] = 4
    tifffile.imwrite(tmp_path / "cell.tif", lab)
    cfg = _config(tmp_path)
    cfg["cell"]["label_map"] = {**LABEL_MAP, 4: "LLZO"}
    with pytest.raises(ConfigError, match=r"labels 2 \(LLZO_cubic\) and 4 \(LLZO\) are both the phase 'llzo'"):
        RunConfig.from_mapping(cfg)
    cfg["cell"]["label_map"] = {**LABEL_MAP, 4: ["cap", "LLZO"]}  # what the message suggests
    valid = RunConfig.from_mapping(cfg).cell
    from operando.cell.importer import from_labels
    from operando.electrochem.model import ChargeModel

    model = ChargeModel.from_cell(from_labels(valid.labels, dict(valid.label_map), valid.voxel))
    sigma = model.sigma_i[0, 0, [3, 4]]  # the cubic garnet, then the tetragonal band
    assert sigma[1] < 0.1 * sigma[0]


def test_a_relative_labels_path_is_found_beside_the_configuration_file(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    tifffile.imwrite(project / "volume.tif", stack())
    (project / "run.toml").write_text('[cell]\nlabels = "volume.tif"\nvoxel = "500 nm"\n'
                                      'label_map = {0 = "void", 1 = "Li", 2 = "LLZO_cubic", 3 = "LiCoO2"}\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = RunConfig.from_file(project / "run.toml")
    assert cfg.cell.labels.resolve() == (project / "volume.tif").resolve()
    assert str(cfg.out) == "operando-out"  # the output stays relative to the working folder
    # a path that exists only from the working folder keeps that meaning; a missing one is named
    # where it was looked for
    tifffile.imwrite(elsewhere / "here.tif", stack())
    (project / "run.toml").write_text((project / "run.toml").read_text().replace("volume.tif", "here.tif"))
    assert RunConfig.from_file(project / "run.toml").cell.labels.resolve() == (elsewhere / "here.tif").resolve()
    (project / "run.toml").write_text((project / "run.toml").read_text().replace("here.tif", "gone.tif"))
    with pytest.raises(ConfigError, match=r"project/gone\.tif"):
        RunConfig.from_file(project / "run.toml")
