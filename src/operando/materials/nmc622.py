"""Composition-dependent properties of LixNi0.6Mn0.2Co0.2O2 (NMC622), as functions of x.

The interface of :mod:`operando.materials.lixcoo2` that the charge solver needs (pass this module
as ``ChargeModel(lco=nmc622)``): ``ocp(x)``, ``diffusivity(x)``, ``electronic_conductivity(x)``,
``max_concentration()``. Every value comes from ``materials/data/nmc622.toml`` with its source:

* open-circuit potential — a tabulated quasi-OCV shape of NMC622 (flagged assumption), interpolated
  with a monotone cubic (PCHIP), so U(x) decreases strictly with x, as the solver's Newton step expects;
* diffusivity and electronic conductivity — mid-range literature values, constant in x (assumptions;
  the paper, Huang et al., J. Phys. Energy 2025, gives none);
* molar volume — from the R-3m lattice, constant in x (< 3 % change);
* practical capacity — 171 mAh g⁻¹ charged at 0.1 C (Huang et al., J. Phys. Energy 2025)
  → Δx ≈ 0.62 of the theoretical 276.5 mAh g⁻¹.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.constants import physical_constants
from scipy.interpolate import PchipInterpolator

from .._checks import as_float_array
from ..errors import InputError
from .registry import get

__all__ = [
    "PRACTICAL_DELTA_X",
    "assumptions",
    "diffusivity",
    "electronic_conductivity",
    "max_concentration",
    "molar_mass",
    "molar_volume",
    "ocp",
    "ocp_range",
    "theoretical_capacity",
]

FARADAY = physical_constants["Faraday constant"][0]
#: 171 mAh/g charged at 0.1 C (Huang et al., J. Phys. Energy 2025) over the theoretical F/M (276.5 mAh/g).
PRACTICAL_DELTA_X = 171.0 * 3.6e3 / (FARADAY / 0.096928)  # mAh/g → C/kg


@lru_cache(maxsize=1)
def _ocp_table() -> PchipInterpolator:
    mat = get("NMC622")
    x = np.asarray(mat.info["ocp_x"], dtype=float)
    u = np.asarray(mat.info["ocp_V"], dtype=float)
    if np.any(np.diff(x) <= 0) or np.any(np.diff(u) >= 0):
        raise InputError("NMC622.ocp_x / ocp_V: x must increase and U must decrease strictly")
    return PchipInterpolator(x, u, extrapolate=False)


def ocp_range() -> tuple[float, float]:
    """(min, max) of x where the OCP table is defined."""
    x = get("NMC622").info["ocp_x"]
    return float(x[0]), float(x[-1])


def _x(x, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    arr = as_float_array("x", x)
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise InputError(
            f"x: lithium content of NMC622 must lie in [{lo:g}, {hi:g}], got [{arr.min():g}, {arr.max():g}]"
        )
    return arr


def ocp(x) -> np.ndarray:
    """Open-circuit potential, V vs Li/Li⁺ (tabulated shape, an assumption; see the data file)."""
    lo, hi = ocp_range()
    return _ocp_table()(_x(x, lo, hi))


def diffusivity(x) -> np.ndarray:
    """Li diffusivity, m²/s (constant in x; assumption with a literature range)."""
    return np.full(np.shape(_x(x)), get("NMC622").value("diffusivity"))


def electronic_conductivity(x) -> np.ndarray:
    """Electronic conductivity, S/m (constant in x; assumption with a literature range)."""
    return np.full(np.shape(_x(x)), get("NMC622").value("electronic_conductivity"))


def molar_volume() -> float:
    """m³ per mole of transition metal (constant in x)."""
    return get("NMC622").value("molar_volume")


def molar_mass() -> float:
    """kg/mol at x = 1."""
    return get("NMC622").value("molar_mass")


def max_concentration() -> float:
    """Li sites per m³ of NMC622, mol/m³ (1 / molar volume ≈ 49 200)."""
    return 1.0 / molar_volume()


def theoretical_capacity() -> float:
    """C/kg for x = 1 → 0 (F / M ≈ 276.5 mAh/g)."""
    return FARADAY / molar_mass()


def assumptions() -> list[str]:
    """The flagged modelling choices behind these properties, with their notes."""
    mat = get("NMC622")
    out = [f"{p.name}: {p.note or p.source}" for p in mat.properties.values() if p.assumption]
    return [*out, f"ocp: {mat.info.get('ocp_source', 'tabulated')}"]
