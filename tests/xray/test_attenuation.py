"""Attenuation of the cell's materials: mixture rule against xraydb, Li-content families, bad input."""

import numpy as np
import pytest
import xraydb

from operando.errors import InputError
from operando.xray.attenuation import compound, compound_names, linear_attenuation, mass_attenuation, transmission

E = np.array([22.9e3, 60e3, 93.9e3, 115e3])


@pytest.mark.parametrize("formula,rho", [("LiNi0.6Mn0.2Co0.2O2", 4.7), ("C22H10N2O5", 1.42), ("Li7La3Zr2O12", 5.1)])
def test_formula_matches_xraydb_material_mu(formula, rho):
    # independent library path: xraydb.material_mu (1/cm, density g/cm³)
    ref = 100 * xraydb.material_mu(formula, E, density=rho)
    np.testing.assert_allclose(linear_attenuation(formula, E, density_kg_m3=rho * 1e3), ref, rtol=1e-10)


def test_every_registered_material_has_positive_mu_falling_above_the_edges():
    for name in compound_names():
        mu = linear_attenuation(name, [60e3, 115e3])
        assert mu.shape == (2,) and np.all(mu > 0), name
        assert mu[1] < mu[0] or name in ("Au",), name  # Au's K edge (80.7 keV) lies between


def test_li_content_changes_nmc_attenuation_and_density():
    lo, hi = linear_attenuation("NMC622", 115e3, x=0.26), linear_attenuation("NMC622", 115e3, x=1.0)
    assert lo < hi  # removing Li lowers the density (fixed lattice) and hence μ
    # the formula spelling of the same composition gives the same answer
    assert linear_attenuation("Li0.26Ni0.6Mn0.2Co0.2O2", 115e3) == pytest.approx(lo, rel=1e-12)
    assert compound("NMC622", x=0.5).density < compound("NMC622").density


def test_li_electron_fraction_of_nmc622():
    # Huang et al., J. Phys. Energy 2025 (seed 002 L189): ~47 electrons per NMC622 formula unit; Li carries 3
    f = compound("NMC622").electron_fractions()["Li"]
    assert f == pytest.approx(0.065, abs=0.001)
    n_e = compound("NMC622").electron_density() / (compound("NMC622").density / 0.096928 * 6.02214076e23)
    assert n_e == pytest.approx(46.2, abs=0.05)


def test_mixture_rule_for_the_composite_cathode():
    mix = 0.9 * mass_attenuation("NMC622", E) + 0.05 * mass_attenuation("C", E) + 0.05 * mass_attenuation("C2H2F2", E)
    np.testing.assert_allclose(mass_attenuation("NMC622_composite", E), mix, rtol=1e-10)
    assert compound("NMC622_composite").density == pytest.approx(2970.0)  # seed 002 L105


def test_density_override_and_transmission():
    assert linear_attenuation("Li", 115e3, density_kg_m3=1068) == pytest.approx(2 * linear_attenuation("Li", 115e3))
    t = transmission("Li", [0.0, 600e-6], 115e3)
    assert t[0] == 1.0 and t[1] == pytest.approx(np.exp(-600e-6 * linear_attenuation("Li", 115e3)))


@pytest.mark.parametrize(
    "args,kw,match",
    [
        (("Li", 0.0), {}, "energy_eV"),
        (("Li", -5.0), {}, "energy_eV"),
        (("Xx2O", 1e5, 1000.0), {}, "formula"),
        (("Li(", 1e5, 1000.0), {}, "formula"),
        (("LiF", 1e5), {}, "density_kg_m3"),
        (("LiF", 1e5, -1.0), {}, "density_kg_m3"),
        (("NMC622", 1e5), {"x": 1.5}, "x"),
        (("Li", 1e5), {"kind": "bogus"}, "kind"),
    ],
)
def test_bad_input_names_the_parameter(args, kw, match):
    with pytest.raises(InputError, match=match):
        linear_attenuation(*args, **kw)


def test_composite_cathode_at_any_li_content():
    full, half = compound("NMC622_composite"), compound("NMC622_composite", x=0.5)
    assert half.density < full.density
    assert half.mass_fractions["Li"] < full.mass_fractions["Li"]
    assert compound("NMC622_composite", x=1.0).density == pytest.approx(full.density, rel=1e-9)
    assert linear_attenuation("NMC622_composite", 115e3, x=0.5) < linear_attenuation("NMC622_composite", 115e3)
