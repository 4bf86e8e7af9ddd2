"""Roughness parameters (ISO 4287 / 25178) and the arithmetic of Table 2 of Huang et al.,
J. Phys. Energy 2025 (seed 002)."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.xray.ct import huang2025 as paper
from operando.xray.ct.roughness import ra, ra_map, roughness, rq, rz, sa, sq


def _sinusoid(amplitude=2.5e-6, periods=8, n=4096, rows=4):
    x = np.arange(n) / n
    return np.tile(amplitude * np.sin(2 * np.pi * periods * x), (rows, 1))


def test_ra_of_sinusoid_is_2a_over_pi():
    a = 2.5e-6
    z = _sinusoid(a)
    # 512 samples per period: the discrete mean of |sin| is 2/π to O(1/512²)
    assert ra(z) == pytest.approx(2 * a / np.pi, rel=1e-4)
    assert sa(z) == pytest.approx(2 * a / np.pi, rel=1e-4)  # Eq. 6 (seed 002 L142)
    assert rq(z) == pytest.approx(a / np.sqrt(2), rel=1e-6)
    assert sq(z) == pytest.approx(a / np.sqrt(2), rel=1e-6)
    assert rz(z) == pytest.approx(2 * a, rel=1e-3)  # each sampling length holds whole periods


def test_flat_and_tilted_planes_have_zero_roughness():
    assert ra(np.full((5, 50), 3.0e-6)) < 1e-20  # round-off of the mean only
    assert sa(np.zeros((5, 5))) == 0.0
    yy, xx = np.indices((30, 40))
    tilted = 1e-7 * xx + 2e-7 * yy
    assert sa(tilted, how="plane") < 1e-18
    assert sa(tilted) > 1e-6  # without levelling, a tilt reads as roughness: the setting matters


def test_offsets_do_not_change_roughness():
    z = _sinusoid()
    assert ra(z + 1e-3) == pytest.approx(ra(z), rel=1e-9)
    assert roughness(z + 1.0)["Sa"] == pytest.approx(roughness(z)["Sa"], rel=1e-6)


def test_ra_map_tiles():
    z = np.zeros((40, 40))
    z[20:, 20:] = _sinusoid(1e-6, 2, 20, 20)
    m = ra_map(z, 20)
    assert m.shape == (2, 2)
    assert m[0, 0] == 0.0 and m[1, 1] == pytest.approx(2e-6 / np.pi, rel=0.05)


def test_table2_changes_match_the_papers_percentages():
    # Huang et al., J. Phys. Energy 2025, seed 002 L201: anode Ra +6.1 % on plating and
    # +13.4 % on stripping at 0.1C, computed here from Table 2's Ra values (L215–L219)
    change = paper.table2_changes("0.1C", "anode")
    assert round(100 * change["plating"], 1) == 6.1
    assert round(100 * change["stripping"], 1) == 13.4


def test_table2_anode_to_cathode_ratio_is_1p7_to_2p5():
    # seed 002 L223: Ra 1.7–2.5 times higher at the anode than at the cathode, all states, both rates
    for rate in paper.RATES:
        ratio = np.asarray(paper.RA_TABLE2_UM[rate]["anode"]) / np.asarray(paper.RA_TABLE2_UM[rate]["cathode"])
        assert np.all(np.round(ratio, 1) >= 1.7) and np.all(np.round(ratio, 1) <= 2.5)


def test_table2_roughness_rises_monotonically():
    # seed 002 L201: Ra increased from pristine to end of charge and on to end of discharge
    for rate in paper.RATES:
        for side in ("anode", "cathode"):
            assert np.all(np.diff(paper.RA_TABLE2_UM[rate][side]) > 0)


def test_bad_input():
    with pytest.raises(InputError, match="n_sampling"):
        rz(np.ones((2, 3)), n_sampling=5)
    with pytest.raises(InputError, match="tile"):
        ra_map(np.ones((4, 4)), 10)
    with pytest.raises(InputError, match="level"):
        ra(np.ones(5), how="median")
