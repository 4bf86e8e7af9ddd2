"""Metrics on hand-made cells with known answers, and per-voxel property maps."""

import numpy as np
import pytest

from operando import materials
from operando.cell import LABEL, Cell, metrics, presets
from operando.errors import InputError
from operando.grid import Grid


def _strip_cell(bridge: bool) -> Cell:
    """Li | LLZO with an LCO bar | Au, 1 x 4 x 8 voxels of 1 µm; the bar spans x when ``bridge``."""
    lab = np.full((1, 4, 8), LABEL["llzo"], np.int8)
    lab[..., 0] = LABEL["li_metal"]
    lab[..., -1] = LABEL["collector"]
    lab[0, 1, 1 : 7 if bridge else 5] = LABEL["lco"]
    return Cell(Grid(lab.shape, 1e-6), lab)


def test_percolation_and_connection():
    assert metrics.percolation(_strip_cell(True), "lco")["percolates"]
    res = metrics.percolation(_strip_cell(False), "lco")
    assert not res["percolates"] and res["connected_fraction"] == 0.0
    assert metrics.percolation(_strip_cell(False), "llzo")["percolates"]
    assert metrics.connected_to(_strip_cell(True), "lco", "collector").sum() == 6
    assert metrics.connected_to(_strip_cell(False), "lco", "collector").sum() == 0


def test_interface_areas_by_hand():
    cell = _strip_cell(False)  # lco bar x = 1..4 in row y = 1
    areas = metrics.interface_areas(cell)
    face = 1e-12  # 1 µm × 1 µm
    # bar: 2 long sides of 4 faces each + 1 end face against LLZO, 1 face against Li
    assert areas[("lco", "llzo")] == pytest.approx(9 * face)
    assert areas[("lco", "li_metal")] == pytest.approx(1 * face)
    assert areas[("li_metal", "llzo")] == pytest.approx(3 * face)
    assert areas[("collector", "llzo")] == pytest.approx(4 * face)


def test_fractions_and_particle_sizes():
    cell = presets.pollok2025(voxel=200e-9, nz=1, electrolyte="LLZO")
    fr = metrics.phase_fractions(cell)
    assert sum(fr.values()) == pytest.approx(1.0)
    s = metrics.particle_sizes(cell)
    # equivalent disc radii: total area equals the LixCoO2 area
    assert np.sum(np.pi * s["radius"] ** 2) == pytest.approx(cell.mask("lco").sum() * 0.04e-12)
    edges, counts = metrics.particle_size_distribution(cell, bins=5)
    assert counts.sum() == s["radius"].size and edges[0] == s["radius"].min()
    assert 0.0 < metrics.gb_fraction(cell) < 0.5
    rep = metrics.summary(cell)
    assert rep["percolation"]["ionic"]["percolates"]
    assert not rep["percolation"]["electronic"][
        "percolates"
    ]  # the dendrite has not shorted the cell
    assert abs(rep["lco_fraction_in_composite"] - 0.5) < 0.02
    with pytest.raises(InputError, match="region"):
        metrics.region_mask(cell, "anode")


def test_c_rate_current_density_by_hand():
    cell = _strip_cell(False)  # 4 LixCoO2 voxels of 1 µm³ on a 4 µm × 1 µm electrode face
    # 1 C: F · c_max · 0.5 · 4e-18 m³ / 3600 s / 4e-12 m²
    want = 96485.33 * (1 / 1.93691e-5) * 0.5 * 4e-18 / 3600 / 4e-12
    assert metrics.c_rate_current_density(cell, 1.0) == pytest.approx(want, rel=1e-5)
    assert metrics.c_rate_current_density(cell, 25.0) == pytest.approx(25 * want, rel=1e-5)


def test_shorted_cell_percolates_electronically():
    cell = presets.pollok2025(voxel=200e-9, nz=1, dendrite_fraction=1.0, seed=1)
    assert cell.attrs["dendrite"]["penetration"] == pytest.approx(8e-6, abs=0.2e-6)
    # a dendrite through the whole separator touches the composite; whether it meets a particle
    # depends on the microstructure, so check the dendrite spans the separator instead
    x = cell.grid.x[np.nonzero(cell.mask("dendrite"))[2]]
    assert (
        x.min() < cell.attrs["x_separator"][0] + 0.2e-6
        and x.max() > cell.attrs["x_separator"][1] - 0.2e-6
    )


def test_material_override_changes_property_map():
    cell = presets.pollok2025(voxel=300e-9, nz=1, material_of={"llzo": "LLZO_cubic", "collector": "Cu"})
    sig = cell.property_map("ionic_conductivity")
    assert sig[cell.mask("llzo")] == pytest.approx(1e-2)  # 1e-4 S/cm, seed 000 Table 1 L120
    assert cell.property_map("chi_volume")[cell.mask("collector")] == pytest.approx(
        materials.get("Cu").value("chi_volume")
    )


def test_property_map_uses_materials_and_x():
    cell = presets.pollok2025(voxel=300e-9, nz=1, electrolyte="LLZO")
    sig = cell.property_map("electronic_conductivity")
    assert sig[cell.mask("li_metal")] == pytest.approx(
        materials.get("Li").value("electronic_conductivity")
    )
    # the widened boundary voxel carries the physical boundary's conductance (a path along it:
    # arithmetic mix of boundary and grain over the voxel)
    f = cell.grain_boundary_fill()
    gb, grain = (materials.get(m).value("electronic_conductivity") for m in ("LLZO_GB", "LLZO"))
    assert 0 < f < 1
    assert sig[cell.mask("llzo_gb")] == pytest.approx(f * gb + (1 - f) * grain)
    assert (cell.property_map("ionic_conductivity")[cell.mask("void")] == 0).all()
    chi = cell.property_map("chi_volume", x=0.6)
    assert chi[cell.mask("lco")] == pytest.approx(materials.lixcoo2.chi_volume(0.6))
    xs = np.where(cell.mask("lco"), 0.7, 0.9)
    chi = cell.property_map("chi_volume", x=xs)
    assert chi[cell.mask("lco")] == pytest.approx(materials.lixcoo2.chi_volume(0.7))
    assert chi[cell.mask("li_metal")] == pytest.approx(materials.get("Li").value("chi_volume"))
    with pytest.raises(InputError, match="no property"):
        cell.property_map("molar_mass")  # void has none
    with pytest.raises(InputError, match="phase"):
        cell.mask("anode")


def test_separator_conductivity_does_not_depend_on_voxel_size():
    """The digital grain boundary is widened to whole voxels (3x the physical 50 nm at 150 nm,
    6x at 300 nm); its voxels carry the physical boundary's resistance, so the separator's
    effective ionic conductivity stays put (uncorrected it falls by ~30 % from 150 to 300 nm)."""
    from operando.electrochem import steady_conductivity

    def separator_sigma(voxel):
        cell = presets.pollok2025(voxel=voxel, nz=1, dendrite=False, buried=False, electrolyte="LLZO")
        cols = metrics.region_mask(cell, "separator")[0, 0]
        return steady_conductivity(
            cell.mask(["llzo", "llzo_gb"])[..., cols], axis="x", spacing=cell.grid.spacing,
            conductivity=cell.property_map("ionic_conductivity")[..., cols],
        ).effective_conductivity

    fine, coarse = separator_sigma(150e-9), separator_sigma(300e-9)
    assert coarse == pytest.approx(fine, rel=0.03)
    grain = materials.get("LLZO").value("ionic_conductivity")
    assert 0.2 * grain < fine < grain  # boundaries in series lower it, but not to the boundary value
