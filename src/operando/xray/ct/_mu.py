"""Linear attenuation μ (1/m) of the phases a CT volume is made of.

Names that :mod:`operando.xray.attenuation` knows (its compounds, Li-content families, formulas) go
there; this adapter adds what a cell's phases are called in :mod:`operando.materials` (registry
formula with its doping note stripped, registry density; "void" attenuates nothing) and the coin-cell
phase names of Huang et al., J. Phys. Energy 2025 listed in :data:`COIN_CELL`.
"""

from __future__ import annotations

import re

import numpy as np

from ... import materials
from ...errors import InputError, UnknownMaterialError

#: formula, density (kg/m³), source — coin-cell phases absent from operando.materials
COIN_CELL = {
    "LixNMC622": ("LiNi0.6Mn0.2Co0.2O2", 2970.0,
                  "composite electrode density 2.97 g/cm³ (Huang et al., J. Phys. Energy 2025), "
                  "taken as NMC622 at that density (carbon, binder and PEO neglected: assumption)"),
    "PEO-LiTFSI": ("C40H80O20LiC2F6NO4S2", 1200.0,
                   "PEO:LiTFSI EO/Li = 20, density 1.2 g/cm³ (typical of PEO electrolytes: assumption)"),
    "steel": ("Fe0.7Cr0.18Ni0.1Mn0.02", 7900.0, "AISI 304 coin-cell casing, nominal composition"),
    "Kapton": ("C22H10N2O5", 1420.0, "polyimide film, nominal density"),
}


def _formula_and_density(name: str):
    if name in COIN_CELL:
        formula, rho, _ = COIN_CELL[name]
        return formula, rho
    try:
        mat = materials.get(name)
    except (KeyError, UnknownMaterialError):
        return name, None  # a chemical formula
    # "(grain boundary)" notes go; a "(Ga,Al)" dopant is taken as Ga, as the registry's molar mass is
    formula = re.sub(r"\s*\([a-z ]+\)$", "", mat.formula).replace("(Ga,Al)", "Ga").replace("Lix", "Li")
    if formula == "vacuum":
        return None, 0.0
    return formula, float(mat.value("density"))


def linear_attenuation(formula_or_material: str, energy_eV, density_kg_m3=None):
    """μ in 1/m of a material name or a chemical formula at photon energies ``energy_eV``."""
    import xraydb

    from .. import attenuation

    if str(formula_or_material) not in COIN_CELL:
        try:
            return attenuation.linear_attenuation(str(formula_or_material), energy_eV, density_kg_m3)
        except (ValueError, KeyError):  # InputError, UnknownMaterialError, xraydb's parser
            pass  # a registry phase name the compound parser does not read: formula + density below
    formula, rho = _formula_and_density(str(formula_or_material))
    if density_kg_m3 is not None:
        rho = float(density_kg_m3)
    if formula is None or rho == 0.0:
        return np.zeros_like(np.asarray(energy_eV, dtype=float))
    if rho is None:
        raise InputError(f"density_kg_m3: needed for the formula {formula_or_material!r} (no registry density)")
    return 100.0 * np.asarray(xraydb.material_mu(formula, energy_eV, rho / 1000.0))
