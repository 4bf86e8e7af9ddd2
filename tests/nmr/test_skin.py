"""Skin depth (Zheng, Liu & Xiang, J. Phys. Chem. C 2024, Eq. 2 and Table 2) and hardware attenuation."""

import numpy as np
import pytest

from operando import nmr
from operando.errors import InputError
from operando.nmr import skin

# Table 2 (seed 004 L91-L102): skin depth (um) at the 1H frequencies 400 / 600 / 800 MHz.
TABLE2 = {
    ("Li", "6Li"): (19.99, 16.32, 14.14),
    ("Li", "7Li"): (12.31, 10.04, 8.70),
    ("Na", "23Na"): (10.69, 8.73, 7.56),
    ("Mg", "25Mg"): (21.32, 17.41, 15.07),
    ("Al", "27Al"): (8.03, 6.55, 5.68),
    ("K", "39K"): (31.27, 25.53, 22.11),
    ("Cu", "63Cu"): (6.34, 5.17, 4.48),
    ("Zn", "67Zn"): (24.45, 19.96, 17.28),
}


@pytest.mark.parametrize("row", list(TABLE2))
def test_skin_depth_table2(row):
    metal, nucleus = row
    for mhz, expected in zip((400, 600, 800), TABLE2[row], strict=True):
        d = nmr.skin_depth_of(metal, nucleus, spectrometer=mhz * 1e6)
        assert d * 1e6 == pytest.approx(expected, rel=0.005)


def test_skin_depth_scaling():
    d = nmr.skin_depth(1e-7, 1e8)
    assert nmr.skin_depth(4e-7, 1e8) == pytest.approx(2 * d)
    assert nmr.skin_depth(1e-7, 4e8) == pytest.approx(d / 2)
    assert nmr.skin_depth(1e-7, 1e8, mu_r=4.0) == pytest.approx(d / 2)
    # 6Li skin depth is ~1.6x that of 7Li (ratio of Larmor frequencies; "nearly double", L106).
    r = nmr.skin_depth_of("Li", "6Li", 14.1) / nmr.skin_depth_of("Li", "7Li", 14.1)
    assert r == pytest.approx(np.sqrt(nmr.nucleus("7Li").gamma / nmr.nucleus("6Li").gamma))


def test_al_bag_attenuation():
    # Zheng et al. 2024 L274: 10 um Al at 77 MHz attenuates the RF "by up to 70 %".
    a = nmr.foil_attenuation(10e-6, "Al", 77e6)
    assert 0.5 < a <= 0.70
    assert nmr.foil_attenuation(0.0, "Al", 77e6) == 0.0
    assert nmr.foil_attenuation(20e-6, "Al", 77e6) > a
    assert nmr.foil_attenuation(10e-6, "stainless_steel", 77e6) < a  # more resistive, deeper skin
    with pytest.raises(InputError, match="thickness: must be >= 0"):
        nmr.foil_attenuation(-1e-6, "Al", 77e6)
    with pytest.raises(InputError, match="metal: unknown metal 'Pb'"):
        nmr.foil_attenuation(1e-6, "Pb", 77e6)


def test_depth_below_surface_anisotropic():
    # along x only: a wide slab in y and z
    slab = np.zeros((1, 1, 40), bool)
    slab[..., 10:30] = True
    d = skin.depth_below_surface(np.broadcast_to(slab, (1, 1, 40)), (1e-6, 1e-6, 0.25e-6))
    # padded z/y neighbours are outside too, at 0.5 um: the nearest face is z or y, 0.5 um away
    assert d[0, 0, 20] == pytest.approx(0.5e-6)
    big = np.ones((21, 21, 40), bool)
    big[:, :, :10] = False
    dd = skin.depth_below_surface(big, (1e-6, 1e-6, 0.25e-6))
    # voxel centre k steps inside an x face: depth (k - 1/2) dx
    assert dd[10, 10, 10:14] == pytest.approx((np.arange(4) + 0.5) * 0.25e-6)
    assert np.all(dd[~big] == 0)


def slab_cell(nx, dx, lo, hi, label=1):
    from operando.cell.cell import Cell
    from operando.grid import Grid

    labels = np.full((1, 1, nx), 2, np.int8)  # LLZO around
    labels[..., lo:hi] = label  # Li metal
    return Cell(Grid((1, 1, nx), (1e-6, 1e-6, dx)), labels)


@pytest.mark.parametrize("flip", [1e-3, np.pi / 2])
def test_thick_metal_counts_by_area_times_skin_depth(flip):
    from scipy.integrate import quad

    delta = nmr.skin_depth_of("Li", "7Li", spectrometer=600e6)
    dx = delta / 40
    cell = slab_cell(1400, dx, 100, 1300)  # 1200 voxels = 30 delta thick: two faces
    w = skin.signal_weights(cell, "7Li", spectrometer=600e6, flip_angle=flip, open_edges=False)

    def weight(s, part):
        b = np.exp(-(1 + 1j) * s / delta)
        v = np.sin(flip * abs(b)) / np.sin(flip) * b * b / abs(b)
        return v.real if part == 0 else v.imag

    exact = sum(1j**p * quad(weight, 0, 40 * delta, args=(p,), limit=200)[0] for p in (0, 1))
    per_area = w[cell.mask("li_metal")].sum() * dx / 2  # per face
    assert per_area == pytest.approx(exact, rel=2e-3)
    if flip < 0.01:  # small flip: delta / (2 (1 + i)), |.| = delta / (2 sqrt 2)
        assert abs(per_area) == pytest.approx(delta / (2 * np.sqrt(2)), rel=2e-3)
    assert np.all(w[~cell.mask("li_metal")] == 1)


def test_thin_deposit_counts_by_volume_and_frequency_matters():
    delta = nmr.skin_depth_of("Li", "7Li", spectrometer=600e6)
    cell = slab_cell(200, 20e-9, 90, 110)  # 400 nm film, delta ~ 10 um
    w = skin.signal_weights(cell, "7Li", spectrometer=600e6, open_edges=False)
    assert np.abs(w[cell.mask("li_metal")]).min() > 0.95
    thick = slab_cell(400, delta / 10, 50, 350)
    w7 = skin.signal_weights(thick, "7Li", spectrometer=600e6, open_edges=False)
    w6 = skin.signal_weights(thick, "6Li", spectrometer=600e6, open_edges=False)
    m = thick.mask("li_metal")
    assert abs(w6[m].sum()) > 1.4 * abs(w7[m].sum())  # deeper 6Li skin: more metal seen
    w_flip = skin.signal_weights(thick, "7Li", spectrometer=600e6, flip_angle=0.2, open_edges=False)
    assert not np.allclose(w_flip[m], w7[m])
    with pytest.raises(InputError, match="flip_angle"):
        skin.signal_weights(thick, "7Li", spectrometer=600e6, flip_angle=0.0)
