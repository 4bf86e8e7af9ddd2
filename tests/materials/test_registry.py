"""Registry behaviour: lookup, SI conversion, derived properties, user TOML, errors."""

import math

import numpy as np
import pytest
from scipy.constants import N_A

from operando import materials
from operando.errors import DataFileError, InputError, UnknownMaterialError


@pytest.fixture
def clean_registry():
    yield
    materials.reset()


def test_lco_molar_to_volume_by_hand():
    # hexagonal O3-LiCoO2, a = 2.8156 Å, c = 14.0542 Å, Z = 3 (Reimers & Dahn 1992)
    a, c = 2.8156e-10, 14.0542e-10
    vm = N_A * (math.sqrt(3) / 2 * a * a * c) / 3  # m³/mol
    lco = materials.get("LiCoO2")
    assert lco.value("molar_volume") == pytest.approx(vm, rel=1e-5)
    assert lco.value("molar_volume") == pytest.approx(1.93691e-5, rel=1e-5)  # 19.37 cm³/mol
    # chi_v = chi_m / V_m = 1.3e-9 / 1.93691e-5 = 6.712e-5 (seed 000 Table 1 L102, x = 1)
    assert lco.value("chi_volume") == pytest.approx(6.712e-5, rel=1e-3)
    # X-ray density 97.871 g/mol / 19.3691 cm³/mol = 5.053 g/cm³
    assert lco.value("density") == pytest.approx(5053.0, rel=1e-3)
    assert "derived" in lco.property("chi_volume").source


def test_llzo_conversion_and_sign():
    llzo = materials.get("LLZO")
    # a = 13.134 Å, c = 12.663 Å, Z = 8 (Awaka 2009, seed 000 ref. 185)
    vm = N_A * (13.134e-10**2 * 12.663e-10) / 8
    assert llzo.value("molar_volume") == pytest.approx(vm, rel=1e-4)
    assert llzo.value("chi_volume") == pytest.approx(-1.2e-11 / vm, rel=1e-4)
    assert llzo.value("chi_volume") < 0  # diamagnet (seed 000 Table 1 L119)


def test_li_metal_pauli_and_conductor():
    li = materials.get("Li")
    # 14.2e-6 cm³/mol (CGS) × 4π·1e-6 = 1.784e-10 m³/mol; V_m = 6.94 / 0.534 cm³/mol
    assert li.value("chi_molar") == pytest.approx(14.2e-6 * 4 * math.pi * 1e-6)
    assert li.value("chi_volume") == pytest.approx(1.784e-10 / 12.996e-6, rel=1e-3)
    assert li.value("electronic_conductivity") == pytest.approx(1 / 92.8e-9)
    assert "CRC" in li.property("chi_molar").source


@pytest.mark.parametrize(
    ("name", "sigma", "sign"), [("Cu", 5.96e7, -1), ("Al", 3.77e7, 1), ("Au", 4.52e7, -1)]
)
def test_collectors(name, sigma, sign):
    m = materials.get(name)
    assert m.value("electronic_conductivity") == pytest.approx(sigma, rel=3e-3)
    assert np.sign(m.value("chi_volume")) == sign
    assert abs(m.value("chi_volume")) < 5e-5


def test_grain_boundary_is_labelled_assumption():
    gb, bulk = materials.get("LLZO_GB"), materials.get("LLZO")
    assert gb.value("ionic_conductivity") < bulk.value("ionic_conductivity")
    # no measured boundary value: the grains' (Pollok et al., Nat. Commun. 2025, Table 1,
    # seed 000 L119), a lower bound of the leakage (an enhanced 1e-5 S/cm shorted the cell)
    assert gb.value("electronic_conductivity") == bulk.value("electronic_conductivity")
    cubic_gb, cubic = materials.get("LLZO_cubic_GB"), materials.get("LLZO_cubic")
    lo, hi = cubic.property("electronic_conductivity").range  # Table 1 L120: 1e-8 (Al) - 1e-7 (Ga)
    assert lo * 0.999 <= cubic_gb.value("electronic_conductivity") <= hi * 1.001
    for prop in ("ionic_conductivity", "electronic_conductivity"):
        p = gb.property(prop)
        assert p.assumption and p.note and "ref." in p.source


def test_aliases_and_unknown():
    assert materials.get("LCO") is materials.get("LiCoO2")
    assert materials.get("llzo").name == "LLZO"
    with pytest.raises(UnknownMaterialError, match="LiCoO2") as err:
        materials.get("unobtainium")
    assert "unobtainium" in str(err.value)
    with pytest.raises(InputError, match="no property"):
        materials.get("Cu").value("ionic_conductivity")


def test_user_toml_adds_and_overrides(tmp_path, clean_registry):
    f = tmp_path / "mine.toml"
    f.write_text(
        '[MyLLZO]\nformula = "Li6.4La3Zr1.4Ta0.6O12"\n'
        'ionic_conductivity = { value = 1.0, unit = "mS/cm", source = "my lab" }\n'
        '[LLZO]\nionic_conductivity = { value = 5e-4, unit = "S/cm", source = "my sample" }\n'
        '[_interfaces."Li|MyLLZO"]\nexchange_current_density = 10.0\nsource = "my EIS"\n'
    )
    assert set(materials.load_toml(f)) == {"MyLLZO", "LLZO", "Li|MyLLZO"}
    assert materials.get("MyLLZO").value("ionic_conductivity") == pytest.approx(0.1)
    assert materials.get("LLZO").value("ionic_conductivity") == pytest.approx(0.05)
    assert materials.get("LLZO").value("chi_molar") == -1.2e-11  # other properties kept
    assert materials.exchange_current_density("MyLLZO|Li") == 10.0
    materials.reset()
    # a fresh registry: a user interface file overrides one interface and keeps the packaged others
    g = tmp_path / "i0.toml"
    g.write_text('[_interfaces."LiCoO2|LLZO"]\nexchange_current_density = 26.0\nsource = "mine"\n')
    materials.load_toml(g)
    assert materials.exchange_current_density("LLZO|LiCoO2") == 26.0
    assert materials.exchange_current_density("Li|LLZO") == 257.0
    materials.reset()
    assert materials.exchange_current_density("LiCoO2|LLZO") == 2.6
    assert materials.get("LLZO").value("ionic_conductivity") == pytest.approx(1e-4)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[X]\nk = { value = 1.0 }\n", "source"),
        ("[X]\nionic_conductivity = { value = 1.0, unit = 'm', source = 's' }\n", "cannot convert"),
        ("[X\n", "not valid TOML"),
    ],
)
def test_bad_user_toml(tmp_path, clean_registry, text, match):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(DataFileError, match=match):
        materials.load_toml(f)
    with pytest.raises(DataFileError, match="no such"):
        materials.load_toml(tmp_path / "missing.toml")


def test_exchange_current_densities():
    for name in ("LiCoO2|LLZO", "Li|LLZO"):
        kin = materials.interface(name)
        assert kin.exchange_current_density > 0 and kin.source
        assert materials.transfer_coefficient(name) == 0.5
    # i0 = RT / (F R_ct): R_ct = 1 Ohm cm² -> 257 A/m² (Li|LLZO)
    from scipy.constants import R, physical_constants

    F = physical_constants["Faraday constant"][0]
    assert materials.exchange_current_density("LLZO|Li") == pytest.approx(
        R * 298.15 / (F * 1e-4), rel=2e-3
    )
    assert materials.exchange_current_density("LCO|LLZO") == materials.exchange_current_density(
        "LiCoO2|LLZO"
    )
    with pytest.raises(UnknownMaterialError, match="Li\\|LLZO"):
        materials.exchange_current_density("Na|LLZO")
