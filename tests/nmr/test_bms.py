"""BMS shifts of metal shapes and cells (Zheng, Liu & Xiang, J. Phys. Chem. C 2024, L135)."""

import numpy as np
import pytest

from operando.cell import presets
from operando.errors import InputError
from operando.grid import Grid
from operando.nmr import bms

CHI_LI = 1.3730e-5  # CRC molar susceptibility of Li (operando.materials), SI volume


def test_strip_orientation_series():
    # seed 004 L135 (Trease et al.): 272 / 265 / 252 / 242 ppm at 0 / 30 / 45 / 90 deg.
    paper = np.array([272.0, 265.0, 252.0, 242.0])
    angles = np.deg2rad([0, 30, 45, 90])
    ours = bms.strip_shifts(angles)
    # same order: B0 in the strip's plane highest, along its normal lowest
    assert np.all(np.diff(ours) < 0) and np.all(np.diff(paper) < 0)
    # P2(cos) dependence: linear in sin^2 of the angle, exactly
    design = np.stack([np.ones(4), np.sin(angles) ** 2], 1)
    coef, *_ = np.linalg.lstsq(design, ours, rcond=None)
    assert np.abs(design @ coef - ours).max() < 1e-9
    # span ~ chi for a thin strip (CRC chi: ~14 ppm vs the paper's 30 ppm; see bms docstring)
    span = ours[0] - ours[-1]
    assert 0.9 * CHI_LI * 1e6 < span <= CHI_LI * 1e6
    assert paper[0] - paper[-1] == 30.0
    # the span scales with chi: the paper's 30 ppm needs chi ~ 2.2x the CRC value
    assert bms.strip_shifts(angles, chi=2 * CHI_LI)[0] == pytest.approx(2 * ours[0])


def test_dendrite_and_flat_metal_give_distinct_peaks():
    # a flat Li electrode (normal z) and a needle along z, B0 along z
    g = Grid((60, 40, 40), 2e-6)
    chi = np.zeros(g.shape)
    chi[:6] = CHI_LI  # electrode, 12 um thick, 80 um wide
    chi[6:50, 19:21, 19:21] = CHI_LI  # needle, 4 um thick, 88 um long, standing on it
    d = bms.bms_shift(chi, (0, 0, 1), grid=g)
    flat = np.median(d[1:5, 5:15, 5:15])
    needle = np.median(d[20:40, 19:21, 19:21])
    assert needle - flat > 0.6 * CHI_LI * 1e6  # needle ~ +chi/3, flat ~ -2chi/3 (thin film)
    assert needle > 0 > flat


def test_cell_bms_map_and_chi_parameter():
    cell = presets.pollok2025(voxel=0.5e-6, nz=4)
    d0 = bms.bms_shift(cell, bms.b0_direction(np.pi / 2, 0.0))
    assert d0.shape == cell.grid.shape and np.all(np.isfinite(d0))
    d1 = bms.bms_shift(cell, bms.b0_direction(np.pi / 2, 0.0), chi={"li_metal": 2 * CHI_LI})
    li = cell.mask("li_metal")
    assert not np.allclose(d0[li], d1[li])
    t = bms.bms_shift_tensor(cell)
    np.testing.assert_allclose(bms.project_tensor(t, bms.b0_direction(np.pi / 2, 0.0)), d0, atol=1e-9)
    np.testing.assert_allclose(t[0] + t[1] + t[2], 0, atol=1e-9)  # MAS removes the isotropic BMS
    with pytest.raises(InputError, match="chi\\['li_metal'\\]: must be finite"):
        bms.bms_shift(cell, chi={"li_metal": np.inf})
    with pytest.raises(InputError, match="chi: contains 1 non-finite"):
        chi = np.zeros(cell.grid.shape)
        chi[0, 0, 0] = np.nan
        bms.bms_shift(chi, grid=cell.grid)
