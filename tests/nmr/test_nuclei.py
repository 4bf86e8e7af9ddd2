"""Nuclei, Larmor frequencies, receptivities and tabulated shifts against the papers."""

import numpy as np
import pytest

from operando import nmr
from operando.errors import InputError

# Zheng, Liu & Xiang, J. Phys. Chem. C 2024, Table 1 (seed 004 L53-L73): relative and absolute
# receptivity (relative to 1H).
TABLE1 = {
    "6Li": (8.50e-3, 6.31e-4),
    "7Li": (0.29, 0.27),
    "23Na": (9.25e-2, 9.25e-2),
    "25Mg": (2.67e-3, 2.71e-4),
    "27Al": (0.21, 0.21),
    "39K": (5.08e-4, 4.73e-4),
    "41K": (8.40e-5, 5.78e-6),
    "67Zn": (2.85e-3, 1.17e-4),
}
SPINS = {"6Li": 1, "7Li": 1.5, "23Na": 1.5, "25Mg": 2.5, "27Al": 2.5, "39K": 1.5, "41K": 1.5, "67Zn": 2.5}


@pytest.mark.parametrize("name", list(TABLE1))
def test_receptivity_table1(name):
    relative, absolute = TABLE1[name]
    assert nmr.receptivity(name) == pytest.approx(relative, rel=0.015)
    assert nmr.receptivity(name, absolute=True) == pytest.approx(absolute, rel=0.015)
    assert nmr.nucleus(name).spin == SPINS[name]


def test_nucleus_set_and_names():
    for name in ("1H", "6Li", "7Li", "23Na", "25Mg", "27Al", "39K", "41K", "63Cu", "67Zn"):
        n = nmr.nucleus(name)
        assert n.spin > 0 and 0 < n.abundance <= 1
        assert (n.quadrupole_moment != 0) == (n.spin > 0.5)
    assert nmr.nucleus("Li7") is nmr.nucleus("7Li")
    with pytest.raises(InputError, match="nucleus: unknown nucleus 'Li8'"):
        nmr.nucleus("Li8")


def test_larmor_frequencies_of_liu2025():
    # Liu et al., Nat. Mater. 2025: DRX-830 (L209, L211) 322.57 MHz 7Li, 122.14 MHz 6Li.
    assert nmr.larmor_frequency("7Li", spectrometer=830e6) == pytest.approx(322.57e6, rel=2e-4)
    assert nmr.larmor_frequency("6Li", spectrometer=830e6) == pytest.approx(122.14e6, rel=2e-4)
    # L203: 11.75 T, 194.4 MHz for 7Li.
    assert nmr.larmor_frequency("7Li", 11.75) == pytest.approx(194.4e6, rel=1e-3)
    # L205 prints 394.7 MHz for 7Li at 21.1 T: a typo, gamma gives 349.2 MHz (not tested as printed).
    assert nmr.larmor_frequency("7Li", 21.1) == pytest.approx(349.2e6, rel=1e-3)


def test_larmor_scales_with_field_and_spectrometer():
    f1 = nmr.larmor_frequency("7Li", 9.4)
    assert nmr.larmor_frequency("7Li", 18.8) == pytest.approx(2 * f1)
    b = nmr.field_of_spectrometer(600e6)
    assert b == pytest.approx(14.092, abs=1e-3)
    assert nmr.larmor_frequency("1H", b) == pytest.approx(600e6)
    assert nmr.larmor_frequency("25Mg", 1.0) > 0  # negative gamma: |gamma|


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_field(bad):
    with pytest.raises(InputError, match="field"):
        nmr.larmor_frequency("7Li", bad)
    with pytest.raises(InputError, match="spectrometer"):
        nmr.larmor_frequency("7Li", spectrometer=bad)
    with pytest.raises(InputError, match="exactly one"):
        nmr.larmor_frequency("7Li")


def test_shifts_as_data():
    # Liu et al. 2025 L62/L79: Li metal 264.5 ppm, LLZO 1.2 ppm; L209: LiCl at -1.1 ppm.
    assert nmr.shift("Li_metal", "7Li").value == 264.5
    assert nmr.shift("Li_metal", "6Li").value == 264.5
    assert nmr.shift("Li_metal", "7Li").kind == "knight"
    assert nmr.shift("LLZO").value == 1.2
    assert nmr.shift("LiCl").value == -1.1
    # Zheng et al. 2024 Table 3 (L200-L209) and Na metal 1130 ppm (L161).
    table3 = {"Li2O": 2.8, "LiF": -1.0, "Li2S": 2.2, "Li3N": 7.45, "Li2O2": 1.33}
    for species, value in table3.items():
        assert nmr.shift(species, "7Li").value == value
    assert nmr.shift("NaH", "23Na").value == 18.8
    assert nmr.shift("Na2O", "23Na").value == 55.1
    assert nmr.shift("Na2CO3", "23Na").values == (7.0, 7.5, -4.0)
    assert nmr.shift("Na_metal", "23Na").value == 1130.0
    assert len(nmr.shift_names("Li")) >= 12 and len(nmr.shift_names("Na")) >= 10
    with pytest.raises(InputError, match="species"):
        nmr.shift("Li_metal", "23Na")
