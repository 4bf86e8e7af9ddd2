"""The symmetric cell at MRI scale: partial-volume metal, skin-depth limits, Li conservation, growth."""

import numpy as np
import pytest

from operando.cell.plating import Faraday, grow_deposits, li_molar_volume, polarisation_history
from operando.cell.symmetric import MetalFraction, coarse_grain, liu2025_symmetric, metal_of_cell
from operando.errors import GeometryError, InputError
from operando.nmr import mri
from operando.nmr.feasibility import skin_fraction
from operando.nmr.skin import skin_depth_of


@pytest.fixture(scope="module")
def cell():
    return liu2025_symmetric(100e-6, margin=1)


def test_preset_geometry_and_li_volume(cell):
    # Liu et al., Nat. Mater. 2025 (seed 003 L35): pellet 4.8 mm x 1.0 mm; Li chips of 4 mm (L193)
    pellet = cell.mask("llzo").sum() * cell.grid.voxel_volume
    assert pellet == pytest.approx(np.pi * 2.4e-3**2 * 1e-3, rel=0.05)
    li = metal_of_cell(cell)
    assert li.total_volume == pytest.approx(2 * np.pi * 2e-3**2 * 100e-6, rel=0.05)
    with pytest.raises(GeometryError, match="electrode_diameter"):
        liu2025_symmetric(100e-6, electrode_diameter=6e-3)
    with pytest.raises(InputError, match="voxel"):
        liu2025_symmetric(1e-3)


def test_copper_strips_shield_the_outer_faces():
    bare = metal_of_cell(liu2025_symmetric(100e-6))
    bag = metal_of_cell(liu2025_symmetric(100e-6, copper=True))
    assert bag.total_volume == pytest.approx(bare.total_volume)
    assert bag.area.sum() < bare.area.sum()


def test_skin_weight_limits():
    delta = skin_depth_of("Li", "7Li", 21.1)
    # thin film (t << delta): weight 1, the signal counts the volume
    thin = mri.film_weight(2 / 0.01e-6, delta)
    assert abs(thin) == pytest.approx(1.0, abs=1e-3)
    # thick slab: signal = volume x |w| = area x delta / (2 sqrt 2), whatever its thickness
    for t in (200e-6, 1e-3):
        area = 1e-6
        w = mri.film_weight(2 / t, delta)
        assert area * t * abs(w) == pytest.approx(2 * area * delta / (2 * np.sqrt(2)), rel=1e-6)
    # in between it is the planner's skin fraction (small flip angles)
    for t in (1e-6, 10e-6, 30e-6):
        assert abs(mri.film_weight(2 / t, delta)) == pytest.approx(skin_fraction(t, delta), rel=1e-9)
    assert mri.film_weight(0.0, delta) == 0


def test_flip_angle_changes_the_skin_weight():
    delta = skin_depth_of("Li", "7Li", 21.1)
    p = mri.liu2025_flash()
    relax = mri.relaxation("Li_metal", p)
    w30 = mri.film_weight(2 / 50e-6, delta, p, relax)
    w90 = mri.film_weight(2 / 50e-6, delta, p.with_(flip_angle=np.pi / 2), relax)
    assert abs(w30) != pytest.approx(abs(w90), rel=1e-3)


def test_electrode_signal_counts_area_not_volume():
    p = mri.liu2025_flash()
    sig = []
    for thick in (100e-6, 300e-6):
        c = liu2025_symmetric(100e-6, li_thickness=thick, margin=1)
        m = mri.species_maps(c, metal_of_cell(c), p, susceptibility=False)["Li_metal"]["m"]
        sig.append(np.abs(m).sum())
    assert sig[1] == pytest.approx(sig[0], rel=0.15)  # 3x the volume, the same skin (plus rims)


def test_coarse_graining_conserves_li(cell):
    fine = liu2025_symmetric(20e-6, margin=0)
    li = metal_of_cell(fine)
    coarse = coarse_grain(li, 5)
    assert coarse.grid.spacing == pytest.approx((100e-6,) * 3)
    assert coarse.total_volume == pytest.approx(li.total_volume, rel=1e-12)
    assert coarse.area.sum() == pytest.approx(li.area.sum(), rel=1e-12)
    odd = coarse_grain(li, (3, 4, 7))  # blocks that do not divide the grid: padded, still conserved
    assert odd.total_volume == pytest.approx(li.total_volume, rel=1e-12)
    with pytest.raises(InputError, match="factor"):
        coarse_grain(li, 0)


def test_metal_fraction_checks():
    g = liu2025_symmetric(100e-6).grid
    with pytest.raises(InputError, match="fraction"):
        MetalFraction(g, np.full(g.shape, 1.5), np.zeros(g.shape))


def test_polarisation_history():
    # seed 003 L197: 0.1 mA/cm2 (1 A/m2), reversed every 30 min, 5 min idle
    h = polarisation_history(1.0, 1800, 4 * 2100, n_times=9, area=1e-5)
    assert h.charge_passed.values[-1] == pytest.approx(4 * 1800 * 1e-5)
    np.testing.assert_allclose(h.plated_low_x + h.plated_high_x, h.charge_passed, rtol=1e-12)
    assert np.all(np.diff(h.charge_passed.values) >= 0)
    with pytest.raises(InputError, match="current_density"):
        polarisation_history(-1.0)


def test_growth_conserves_charge_and_moves_inward(cell):
    h = polarisation_history(duration=6 * 86400, n_times=4)
    deposits = grow_deposits(cell, h, efficiency=0.01, seed=2)
    want = 0.01 * h.charge_passed.values * li_molar_volume() / Faraday
    got = [d.total_volume for d in deposits]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-25)
    # later deposits sit deeper: the bulk share of metal grows with charge (stages I -> III)
    x = cell.grid.x
    lo, hi = cell.attrs["pellet_x"]
    middle = (x > lo + 0.25e-3) & (x < hi - 0.25e-3)
    share = [d.volume[:, :, middle].sum() / d.total_volume for d in deposits[1:]]
    assert share[-1] > share[0]
    again = grow_deposits(cell, h, efficiency=0.01, seed=2)[-1]
    other = grow_deposits(cell, h, efficiency=0.01, seed=3)[-1]
    np.testing.assert_array_equal(again.fraction, deposits[-1].fraction)
    assert not np.array_equal(other.fraction, deposits[-1].fraction)
    assert grow_deposits(cell, h, efficiency=0.02, seed=2)[-1].total_volume == pytest.approx(2 * got[-1])


def test_nv_scale_cell_coarse_grains_to_mri_voxels():
    # the fine (NV-scale, 500 nm) cell of Pollok et al. 2025 onto 20 um MRI voxels: Li is conserved
    from operando.cell import presets

    fine = presets.pollok2025(nz=1)
    li = metal_of_cell(fine)
    assert li.total_volume == pytest.approx(fine.mask(fine.phases_of("Li")).sum() * fine.grid.voxel_volume)
    coarse = coarse_grain(li, (1, 40, 40))
    assert coarse.grid.dy == pytest.approx(20e-6)
    assert coarse.total_volume == pytest.approx(li.total_volume, rel=1e-12)
    assert coarse.area.sum() == pytest.approx(li.area.sum(), rel=1e-12)
    # sub-voxel metal keeps its surface: S/V of the coarse voxel is far above 1/voxel
    assert coarse.surface_to_volume.max() > 10 / 20e-6
