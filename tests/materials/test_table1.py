"""Every number of seed 000 Table 1 (L100-L123) is in the registry, in SI, with unit and source."""

import numpy as np
import pytest

from operando import materials
from operando.papers import POLLOK2025

TABLE1 = f"{POLLOK2025.short}, Table 1"

# (material, property, value as printed, factor to SI, line of seed 000)
S_CM = 100.0  # S/cm -> S/m
CM2_S = 1e-4  # cm²/s -> m²/s
ROWS = [
    ("LiFePO4", "diffusivity", 1e-14, CM2_S, 100),
    ("LiFePO4", "ionic_conductivity", 1e-4, S_CM, 100),
    ("LiFePO4", "electronic_conductivity", 1e-9, S_CM, 100),
    ("LiFePO4", "chi_molar", 4.5e-8, 1, 100),
    ("LiFePO4", "chi_molar_delithiated", 4.1e-8, 1, 100),
    ("LiFe0_8Mn0_2PO4", "diffusivity", 1e-12, CM2_S, 101),
    ("LiFe0_8Mn0_2PO4", "electronic_conductivity", 1e-6, S_CM, 101),
    ("LiFe0_8Mn0_2PO4", "chi_molar", 1.3e-7, 1, 101),
    ("LiFe0_8Mn0_2PO4", "chi_molar_delithiated", 8.2e-8, 1, 101),
    ("LiCoO2", "diffusivity", 1e-9, CM2_S, 102),
    ("LiCoO2", "ionic_conductivity", 1e-7, S_CM, 102),
    ("LiCoO2", "electronic_conductivity", 1e-3, S_CM, 102),
    ("LiCoO2", "chi_molar", 1.3e-9, 1, 102),
    ("LiCoO2", "chi_molar_delithiated", 7.2e-9, 1, 102),
    ("LiCoO2", "chi_molar_plateau", 6.0e-9, 1, 102),
    ("NCA", "diffusivity", 1e-10, CM2_S, 103),
    ("NCA", "ionic_conductivity", 1e-10, S_CM, 103),
    ("NCA", "electronic_conductivity", 1e-4, S_CM, 103),
    ("NCA", "chi_molar", 3.8e-8, 1, 103),
    ("NCA", "chi_molar_delithiated", 1.5e-8, 1, 103),
    ("LiMnO2", "diffusivity", 1e-9, CM2_S, 104),
    ("LiMnO2", "electronic_conductivity", 1e-8, S_CM, 104),
    ("LiMnO2", "chi_molar", 2.7e-8, 1, 104),
    ("LiMnO2", "chi_molar_delithiated", 6.1e-8, 1, 104),
    ("LiNiO2", "diffusivity", 1e-9, CM2_S, 105),
    ("LiNiO2", "electronic_conductivity", 1e0, S_CM, 105),
    ("LiNiO2", "chi_molar", 2.3e-8, 1, 105),
    ("LiNiO2", "chi_molar_delithiated", 2.8e-8, 1, 105),
    ("NMC111", "ionic_conductivity", 1e-6, S_CM, 106),
    ("NMC111", "electronic_conductivity", 1e-7, S_CM, 106),
    ("NMC111", "chi_molar", 3.1e-8, 1, 106),
    ("NMC532", "ionic_conductivity", 1e-3, S_CM, 107),
    ("NMC532", "electronic_conductivity", 1e-3, S_CM, 107),
    ("NMC532", "chi_molar", 1.6e-8, 1, 107),
    ("NMC532", "chi_molar_delithiated", 2.2e-8, 1, 107),
    ("NMC811", "diffusivity", 1e-11, CM2_S, 108),
    ("NMC811", "ionic_conductivity", 1e-2, S_CM, 108),
    ("NMC811", "electronic_conductivity", 1e-3, S_CM, 108),
    ("NMC811", "chi_molar", 2.2e-8, 1, 108),
    ("LiMn2O4", "diffusivity", 1e-8, CM2_S, 109),
    ("LiMn2O4", "chi_molar", 1.0e-7, 1, 109),
    ("LNMO", "diffusivity", 1e-9, CM2_S, 110),
    ("LNMO", "ionic_conductivity", 1e-9, S_CM, 110),
    ("LNMO", "electronic_conductivity", 1e-6, S_CM, 110),
    ("LNMO", "chi_molar", 1.4e-7, 1, 110),
    ("LTO", "diffusivity", 1e-11, CM2_S, 111),
    ("LTO", "ionic_conductivity", 1e-5, S_CM, 111),
    ("LTO", "electronic_conductivity", 1e-6, S_CM, 111),
    ("LTO", "chi_molar", 4.1e-10, 1, 111),
    ("LTO", "chi_molar_lithiated", 1.3e-8, 1, 111),
    ("graphite", "diffusivity", 1e-5, CM2_S, 112),
    ("graphite", "electronic_conductivity", 1e4, S_CM, 112),
    ("graphite", "chi_molar", -5.0e-9, 1, 112),
    ("graphite", "chi_molar_lithiated", 1.2e-9, 1, 112),
    ("Si", "diffusivity", 1e-9, CM2_S, 113),
    ("Si", "ionic_conductivity", 1e-4, S_CM, 113),
    ("Si", "electronic_conductivity", 1e-4, S_CM, 113),
    ("Si", "chi_molar", -4.2e-11, 1, 113),
    ("SnO2", "diffusivity", 1e-14, CM2_S, 114),
    ("SnO2", "electronic_conductivity", 1e0, S_CM, 114),
    ("SnO2", "chi_molar", -7.3e-10, 1, 114),
    ("Co3O4", "diffusivity", 1e-9, CM2_S, 115),
    ("Co3O4", "electronic_conductivity", 1e-3, S_CM, 115),
    ("Co3O4", "chi_molar", 7.8e-8, 1, 115),
    ("LLTO", "diffusivity", 1e-8, CM2_S, 116),
    ("LLTO", "ionic_conductivity", 1e-3, S_CM, 116),
    ("LLTO", "electronic_conductivity", 1e-9, S_CM, 116),
    ("LATP", "diffusivity", 1e-10, CM2_S, 117),
    ("LATP", "ionic_conductivity", 1e-3, S_CM, 117),
    ("LATP", "electronic_conductivity", 1e-8, S_CM, 117),
    ("LAGP", "diffusivity", 1e-9, CM2_S, 118),
    ("LAGP", "ionic_conductivity", 1e-4, S_CM, 118),
    ("LAGP", "electronic_conductivity", 1e-8, S_CM, 118),
    ("LLZO", "diffusivity", 1e-14, CM2_S, 119),
    ("LLZO", "ionic_conductivity", 1e-6, S_CM, 119),
    ("LLZO", "electronic_conductivity", 1e-7, S_CM, 119),
    ("LLZO", "chi_molar", -1.2e-11, 1, 119),
    ("LLZO_cubic", "ionic_conductivity", 1e-4, S_CM, 120),
    ("LLZO_Fe", "ionic_conductivity", 1e-5, S_CM, 121),
    ("LLZO_Fe", "electronic_conductivity", 1e-6, S_CM, 121),
    ("Li3PO4", "diffusivity", 1e-12, CM2_S, 122),
    ("Li3PO4", "ionic_conductivity", 1e-8, S_CM, 122),
    ("Li3PO4", "electronic_conductivity", 1e-10, S_CM, 122),
    ("LiPON", "diffusivity", 1e-9, CM2_S, 123),
    ("LiPON", "ionic_conductivity", 1e-6, S_CM, 123),
    ("LiPON", "electronic_conductivity", 1e-13, S_CM, 123),
]
# printed ranges "a-b" (seed 000 Table 1): stored as range with the geometric mean as value
RANGES = [
    ("NMC111", "diffusivity", (1e-13, 1e-10), CM2_S, 106),
    ("NMC532", "diffusivity", (1e-10, 1e-9), CM2_S, 107),
    ("LiMn2O4", "ionic_conductivity", (1e-6, 1e-4), S_CM, 109),
    ("LiMn2O4", "electronic_conductivity", (1e-7, 1e-5), S_CM, 109),
    ("LLZO_cubic", "diffusivity", (1e-9, 1e-8), CM2_S, 120),
    ("LLZO_cubic", "electronic_conductivity", (1e-8, 1e-7), S_CM, 120),
]
MAGNETIC_STATE = [
    ("LiFePO4", "paramagnet"),
    ("LiCoO2", "paramagnet"),
    ("NCA", "paramagnet"),
    ("LiNiO2", "paramagnet"),
    ("graphite", "diamagnet"),
    ("Si", "diamagnet"),
    ("LLZO", "diamagnet"),
    ("LLZO_cubic", "diamagnet"),
    ("LLZO_Fe", "paramagnet"),
    ("LLTO", "paramagnet"),
]
GROUND_STATE = [
    ("LiFePO4", "antiferromagnet"),
    ("LiNiO2", "ferromagnet"),
    ("LNMO", "ferromagnet"),
    ("LiCoO2", "paramagnet"),
    ("Co3O4", "antiferromagnet"),
]


@pytest.mark.parametrize(("name", "prop", "printed", "factor", "line"), ROWS)
def test_table1_value_unit_source(name, prop, printed, factor, line):
    p = materials.get(name).property(prop)
    assert p.value == pytest.approx(printed * factor, rel=1e-12)
    assert p.unit == materials.PROPERTY_UNITS[prop]
    assert p.raw_value == pytest.approx(printed)
    assert TABLE1 in p.source  # row of seed 000 line `line`
    assert "ref." in p.source or "measured" in p.source  # a citation of seed 000


@pytest.mark.parametrize(("name", "prop", "bounds", "factor", "line"), RANGES)
def test_table1_ranges(name, prop, bounds, factor, line):
    p = materials.get(name).property(prop)
    assert p.range == pytest.approx((bounds[0] * factor, bounds[1] * factor))
    assert p.value == pytest.approx(np.sqrt(bounds[0] * bounds[1]) * factor)
    assert TABLE1 in p.source  # row of seed 000 line `line`


@pytest.mark.parametrize(("name", "state"), MAGNETIC_STATE)
def test_table1_magnetic_state(name, state):
    p = materials.get(name).property("magnetic_state")
    assert p.value == state and "Table 1" in p.source
    with pytest.raises(ValueError, match="qualitative"):
        materials.get(name).value("magnetic_state")


@pytest.mark.parametrize(("name", "state"), GROUND_STATE)
def test_table1_ground_state(name, state):
    assert materials.get(name).property("magnetic_ground_state").value == state


def test_table1_every_row_present():
    # 24 material rows, seed 000 L100-L123
    rows = {
        "LiFePO4",
        "LiFe0_8Mn0_2PO4",
        "LiCoO2",
        "NCA",
        "LiMnO2",
        "LiNiO2",
        "NMC111",
        "NMC532",
        "NMC811",
        "LiMn2O4",
        "LNMO",
        "LTO",
        "graphite",
        "Si",
        "SnO2",
        "Co3O4",
        "LLTO",
        "LATP",
        "LAGP",
        "LLZO",
        "LLZO_cubic",
        "LLZO_Fe",
        "Li3PO4",
        "LiPON",
    }
    assert len(rows) == 24
    assert rows <= set(materials.names())
    cited = {n for n in rows if any(TABLE1 in p.source for p in materials.get(n).properties.values())}
    assert cited == rows


def test_delithiation_compositions():
    # seed 000 Table 1: the (de)lithiated values refer to stated lithium contents
    assert materials.get("LiCoO2").property("chi_molar_delithiated").at_x == 0.6  # L102
    assert materials.get("LiMnO2").property("chi_molar_delithiated").at_x == 0.39  # L104
    assert materials.get("LiNiO2").property("chi_molar_delithiated").at_x == 0.94  # L105
    assert materials.get("LTO").property("chi_molar_lithiated").at_x == 0.95  # L111
