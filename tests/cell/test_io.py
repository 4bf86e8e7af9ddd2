"""Import -> export -> import is lossless; NetCDF, Zarr and VTK; bad labelled volumes."""

import numpy as np
import pytest
import tifffile

from operando.cell import Cell, from_labels, presets, read_vtk
from operando.errors import DataFileError, InputError, UnknownMaterialError

MAP = {0: "void", 1: "Li", 2: "LLZO", 3: "LLZO_GB", 7: "LiCoO2", 9: "Au"}


def _volume(rng, shape=(4, 20, 30)):
    vol = rng.choice(np.array([0, 1, 2, 3, 7, 9], np.uint8), size=shape)
    vol[..., :3] = 1
    return vol


def _same(a: Cell, b: Cell):
    assert a.grid == b.grid
    assert np.array_equal(a.labels, b.labels) and a.labels.dtype == b.labels.dtype
    assert np.array_equal(a.particle_id, b.particle_id) and np.array_equal(a.grain_id, b.grain_id)
    assert a.phases == b.phases and a.material_of == b.material_of and a.x_init == b.x_init


@pytest.mark.filterwarnings("ignore:Consolidated metadata")
@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_preset_save_load_lossless(tmp_path, suffix):
    cell = presets.pollok2025(voxel=300e-9, seed=2)
    back = Cell.load(cell.save(tmp_path / f"cell{suffix}"))
    _same(cell, back)
    assert back.attrs["buried_particles"] == cell.attrs["buried_particles"]
    assert back.attrs["particle_radii"] == pytest.approx(list(cell.attrs["particle_radii"]))


def test_numpy_import_export_import_lossless(tmp_path, rng):
    vol = _volume(rng)
    np.save(tmp_path / "seg.npy", vol)
    a = from_labels(tmp_path / "seg.npy", MAP, voxel=(50e-9, 20e-9, 20e-9))
    assert np.array_equal(a.labels, vol)  # original label values are kept
    assert a.phases[7] == "lco" and a.material_of["lco"] == "LiCoO2" and a.phases[9] == "collector"
    b = Cell.load(a.save(tmp_path / "cell.nc"))
    _same(a, b)
    c = from_labels(b.labels, {int(k): b.material_of[v] for k, v in b.phases.items()}, grid=b.grid)
    _same(a, c)


def test_tiff_stack_import(tmp_path, rng):
    vol = _volume(rng).astype(np.uint16)
    tifffile.imwrite(tmp_path / "seg.tif", vol, photometric="minisblack")
    cell = from_labels(tmp_path / "seg.tif", MAP, voxel=20e-9)
    assert np.array_equal(cell.labels, vol)
    assert cell.property_map("electronic_conductivity")[vol == 9] == pytest.approx(1 / 22.14e-9)
    # LixCoO2 regions become particles (connected components)
    assert (cell.particle_id[vol == 7] >= 0).all() and (cell.particle_id[vol != 7] == -1).all()


def test_vtk_round_trip(tmp_path):
    cell = presets.pollok2025(voxel=300e-9, nz=3, buried=False)
    grid, arrays = read_vtk(cell.to_vtk(tmp_path / "cell.vtk"))
    assert grid.shape == cell.grid.shape
    assert np.allclose(grid.spacing, cell.grid.spacing) and np.allclose(
        grid.origin, cell.grid.origin
    )
    for name in ("labels", "particle_id", "grain_id"):
        assert np.array_equal(arrays[name], getattr(cell, name))


def test_phase_names_and_pairs_in_label_map():
    vol = np.array([[[0, 1, 2, 5]]], np.int8)
    cell = from_labels(
        vol, {0: "llzo", 1: "llzo_gb", 2: ("dendrite", "Li"), 5: "NMC811"}, voxel=1e-7
    )
    assert cell.phases == {0: "llzo", 1: "llzo_gb", 2: "dendrite", 5: "nmc811"}
    assert cell.material_of["nmc811"] == "NMC811"
    assert cell.property_map("chi_molar")[0, 0, 3] == pytest.approx(2.2e-8)


def test_bad_labelled_volumes(tmp_path):
    vol = np.array([[[0, 1], [2, 4]]], np.int16)
    with pytest.raises(InputError, match=r"label_map: labels \[4\]"):
        from_labels(vol, {0: "void", 1: "Li", 2: "LLZO"}, voxel=1e-7)
    with pytest.raises(InputError, match="labels: must be integers"):
        from_labels(vol + 0.5, {0: "void"}, voxel=1e-7)
    with pytest.raises(InputError, match="labels: expected integer"):
        from_labels(np.array([[["a"]]]), {0: "void"}, voxel=1e-7)
    with pytest.raises(UnknownMaterialError, match="unobtainium"):
        from_labels(vol, {0: "void", 1: "Li", 2: "LLZO", 4: "unobtainium"}, voxel=1e-7)
    with pytest.raises(InputError, match="int16"):
        from_labels(np.array([[[0, 70000]]]), {0: "void", 70000: "Li"}, voxel=1e-7)
    with pytest.raises(InputError, match="voxel"):
        from_labels(vol, {0: "void", 1: "Li", 2: "LLZO", 4: "Au"})
    with pytest.raises(DataFileError, match="no such file"):
        from_labels(tmp_path / "missing.tif", {0: "void"}, voxel=1e-7)
    with pytest.raises(InputError, match="suffix"):
        presets.pollok2025(voxel=400e-9).to_vtk(tmp_path / "cell.txt")
    assert (
        from_labels(
            vol.astype(float), {0: "void", 1: "Li", 2: "LLZO", 4: "Au"}, voxel=1e-7
        ).labels.dtype
        == np.int8
    )
