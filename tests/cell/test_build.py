"""Generated cells: reproducibility, requested fractions, dendrite in grain boundaries, burial."""

import numpy as np
import pytest
from scipy import ndimage

from operando.cell import LABEL, build_cell, metrics, presets
from operando.errors import GeometryError, InputError, UnknownMaterialError

SMALL = dict(
    width=6e-6,
    li_thickness=1e-6,
    electrolyte_thickness=4e-6,
    cathode_thickness=5e-6,
    collector_thickness=0.4e-6,
    voxel=100e-9,
    grain_size=1.5e-6,
    particle_radius=0.8e-6,
)
FACE = ndimage.generate_binary_structure(3, 1)


def test_phases_of_a_material():
    cell = presets.pollok2025(voxel=300e-9)
    assert cell.phases_of("Li") == ["li_metal", "dendrite", "inclusion"]
    assert cell.phases_of("LiCoO2") == ["lco"]
    with pytest.raises(UnknownMaterialError, match="unobtainium"):
        cell.phases_of("unobtainium")


def test_preset_reproducible_bit_for_bit():
    a, b = presets.pollok2025(seed=7), presets.pollok2025(seed=7)
    for name in ("labels", "particle_id", "grain_id"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes()
    assert not np.array_equal(a.labels, presets.pollok2025(seed=8).labels)


def test_preset_layout_and_size():
    cell = presets.pollok2025(voxel=150e-9, nz=1)
    g = cell.grid
    assert g.nz == 1 and g.ny <= 120 and g.nx <= 260 and cell.labels.dtype == np.int8
    assert g.top == pytest.approx(0.0)
    # Li at low x, collector at high x, LixCoO2 only in the composite
    assert (cell.labels[..., 0] == LABEL["li_metal"]).all()
    assert (cell.labels[..., -1] == LABEL["collector"]).all()
    x_lco = g.x[np.nonzero(cell.mask("lco"))[2]]
    assert x_lco.min() >= cell.attrs["x_composite"][0]
    present = {p for p in cell.phase_names if cell.mask(p).any()}
    assert present >= {
        "li_metal",
        "llzo",
        "llzo_gb",
        "lco",
        "dendrite",
        "collector",
        "inclusion",
        "void",
    }
    assert cell.attrs["buried_particles"] and cell.attrs["dendrite_buried"]
    depth = cell.burial_depth()
    assert depth[cell.mask("dendrite")] == pytest.approx(0.3e-6)
    assert (depth[cell.mask("llzo")] == 0).all()
    # the LixCoO2 network is wired to the collector: every particle is reached (no carbon, L137)
    assert metrics.percolation_report(cell)["lco_to_collector"]["connected_fraction"] == 1.0


def test_preset_finer_voxels():
    cell = presets.pollok2025(voxel=100e-9, nz=1, dendrite=False)
    assert cell.grid.shape == (1, 150, 381)  # 15 µm × 38.1 µm
    assert not cell.mask("dendrite").any()


@pytest.mark.parametrize(("nz", "target"), [(1, 0.2), (1, 0.35), (1, 0.55), (12, 0.3), (12, 0.45)])
def test_volume_fraction_within_two_percent(nz, target):
    cell = build_cell(**SMALL, nz=nz, volume_fraction=target, seed=nz)
    comp = metrics.region_mask(cell, "composite")
    frac = (cell.mask("lco") & comp).sum() / comp.sum()
    assert abs(frac - target) < 0.02


def test_particles_touch_at_finite_contacts():
    cell = build_cell(**SMALL, volume_fraction=0.45, seed=2)
    pid = cell.particle_id
    n = pid.max() + 1
    touching = np.zeros(n, bool)
    for axis in (1, 2):  # face neighbours in the plane of a 2-D cell
        a, b = np.moveaxis(pid, axis, 0)[:-1], np.moveaxis(pid, axis, 0)[1:]
        contact = (a >= 0) & (b >= 0) & (a != b)
        touching[a[contact]] = True
        touching[b[contact]] = True
    coll = ndimage.binary_dilation(cell.mask("collector"), structure=FACE)
    touching[np.unique(pid[coll & (pid >= 0)])] = True
    assert touching.all()
    sizes = metrics.particle_sizes(cell)
    assert sizes["radius"].size == n and np.all(sizes["radius"] > 0)


def test_dendrite_connected_and_in_grain_boundaries():
    spec = dict(SMALL, volume_fraction=0.4, n_inclusions=0, seed=5)
    cell = build_cell(**spec, dendrite_fraction=0.7, dendrite_width=0.2e-6, dendrite_branches=2)
    twin = build_cell(**spec)  # same seed, no dendrite: the same grain boundaries
    dend = cell.mask("dendrite")
    assert dend.any()
    assert np.all(twin.mask("llzo_gb")[dend])  # the dendrite lies in grain boundaries
    lab, _ = ndimage.label(dend | cell.mask("li_metal"), structure=FACE)
    li_comp = np.unique(lab[cell.mask("li_metal")])
    assert np.isin(lab[dend], li_comp).all()  # every dendrite voxel is connected to the Li metal
    info = cell.attrs["dendrite"]
    assert info["penetration"] == pytest.approx(0.7 * 4e-6, abs=cell.grid.dx)
    x_tip = cell.grid.x[np.nonzero(dend)[2]].max()
    assert x_tip < cell.attrs["x_separator"][1]


def test_3d_dendrite_connected_in_grain_boundaries_and_reproducible():
    spec = dict(SMALL, nz=8, volume_fraction=0.35, n_inclusions=0, seed=11)
    cell = build_cell(**spec, dendrite_fraction=0.6, dendrite_branches=1)
    twin = build_cell(**spec)
    dend = cell.mask("dendrite")
    assert dend.any() and np.all(twin.mask("llzo_gb")[dend])
    lab, _ = ndimage.label(dend | cell.mask("li_metal"), structure=FACE)
    assert np.isin(lab[dend], np.unique(lab[cell.mask("li_metal")])).all()
    again = build_cell(**spec, dendrite_fraction=0.6, dendrite_branches=1)
    assert again.labels.tobytes() == cell.labels.tobytes()
    assert again.particle_id.tobytes() == cell.particle_id.tobytes()
    # a sheet: from the top of the upper half of the depth down, in every layer it reaches the tip
    # depth; it stops where the boundary no longer does near the root above (here above layer 4)
    k0, k1 = cell.attrs["dendrite"]["layers"]
    assert k1 == 8 and k0 <= 5
    assert np.array_equal(np.nonzero(dend.any(axis=(1, 2)))[0], np.arange(k0, k1))
    x_tip = cell.grid.x[np.nonzero(dend)[2]].max()
    for k in range(k0, k1):
        assert cell.grid.x[np.nonzero(dend[k])[1]].max() == pytest.approx(x_tip)
    # each layer's root lies within three voxels of the one above: the sheet follows one boundary
    x0 = cell.attrs["x_separator"][0]
    roots = [cell.grid.y[np.nonzero(dend[k][:, cell.grid.x < x0 + cell.grid.dx])[0]].mean() for k in range(k0, k1)]
    assert np.all(np.abs(np.diff(roots)) <= 3 * cell.grid.dy + 1e-12)


def test_3d_cap_buries_particles_and_dendrite():
    cell = build_cell(
        **SMALL,
        nz=10,
        volume_fraction=0.4,
        dendrite_fraction=0.5,
        cap_thickness=0.3e-6,
        buried_particles=2,
        bury_dendrite=True,
        seed=4,
    )
    n_cap = cell.attrs["cap_layers"]
    assert n_cap == 3
    top = slice(cell.grid.nz - n_cap, cell.grid.nz)
    buried = cell.attrs["buried_particles"]
    assert len(buried) == 2
    for pid in buried:
        assert not (cell.particle_id[top] == pid).any()
        assert (cell.particle_id == pid).any()  # still there, below the cap
    assert not cell.mask("dendrite")[top].any() and cell.mask("dendrite").any()
    assert cell.mask("cap")[top].any() and not cell.mask("cap")[: cell.grid.nz - n_cap].any()
    assert (cell.burial_depth() == 0).all()


def test_gb_thickness_and_grains():
    thin = build_cell(**SMALL, gb_thickness=0.0, seed=1)
    thick = build_cell(**SMALL, gb_thickness=0.4e-6, seed=1)
    assert metrics.gb_fraction(thick) > 1.5 * metrics.gb_fraction(thin)
    assert thick.attrs["gb_thickness_effective"] == pytest.approx(0.4e-6)
    assert thin.attrs["gb_thickness_effective"] == pytest.approx(100e-9 * np.sqrt(2))
    # the grain boundaries separate grains: no face contact between different grains
    gid = thin.grain_id
    for axis in (1, 2):
        a, b = np.moveaxis(gid, axis, 0)[:-1], np.moveaxis(gid, axis, 0)[1:]
        assert not np.any((a >= 0) & (b >= 0) & (a != b))


def test_voids_and_inclusions():
    cell = build_cell(**SMALL, void_fraction=0.02, n_inclusions=4, seed=3)
    llzo_region = cell.mask(["llzo", "llzo_gb", "void", "inclusion", "dendrite"])
    assert cell.mask("void").sum() / llzo_region.sum() == pytest.approx(0.02, abs=0.01)
    inc = cell.mask("inclusion")
    assert inc.any()
    near_li = ndimage.binary_dilation(cell.mask("li_metal"), structure=FACE)
    assert not (inc & near_li).any()  # isolated: not touching the Li electrode


def test_bad_inputs_name_the_parameter():
    with pytest.raises(InputError, match="volume_fraction"):
        build_cell(**SMALL, nz=8, volume_fraction=0.75)  # above random close packing in 3-D
    with pytest.raises(GeometryError, match="volume_fraction: could only pack"):
        build_cell(**SMALL, volume_fraction=0.78)  # allowed in 2-D, but not with these particles
    with pytest.raises(GeometryError, match="dendrite_length"):
        build_cell(**SMALL, dendrite_length=5e-6)  # electrolyte is 4 µm
    with pytest.raises(InputError, match="dendrite_fraction"):
        build_cell(**SMALL, dendrite_fraction=1.5)
    with pytest.raises(GeometryError, match="radius"):
        build_cell(**dict(SMALL, particle_radius=3e-6))
    with pytest.raises(InputError, match="material_of"):
        build_cell(**SMALL, material_of={"anode": "Li"})
    with pytest.raises(InputError, match="voxel"):
        build_cell(**dict(SMALL, voxel=-1.0))
    with pytest.raises(GeometryError, match="cap_thickness"):
        build_cell(**SMALL, nz=3, cap_thickness=1e-6, buried_particles=1)
