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
