"""X-ray attenuation of the cell's materials: μ(E) in 1/m, vectorized over energy.

The elemental mass attenuation coefficients come from xraydb (Elam, Ravel & Sieber tables:
photo-absorption, coherent and incoherent scattering); a compound's coefficient is the mass-weighted
sum (the mixture rule), μ = ρ Σ_i w_i (μ/ρ)_i. xraydb's ``material_mu`` does the same for a formula
but knows none of the battery materials and no Li-content families; this module adds those through
:mod:`operando.xray.compounds` and the material registry.

>>> linear_attenuation("NMC622", 115e3)                     # 1/m at 115 keV
>>> linear_attenuation("Li0.5Ni0.6Mn0.2Co0.2O2", [93.9e3, 115e3])
>>> linear_attenuation("C2H4O", 115e3, density_kg_m3=1210)  # any formula with a density
"""

from __future__ import annotations

import numpy as np
import xraydb

from .._checks import as_float_array, check_choice
from ..errors import InputError
from .compounds import Compound, compound, compound_names, lithiated

__all__ = [
    "Compound",
    "compound",
    "compound_names",
    "linear_attenuation",
    "lithiated",
    "mass_attenuation",
    "transmission",
]

_KINDS = ("total", "photo", "coh", "incoh")
#: xraydb's Elam tables span 100 eV – 800 keV.
_E_MIN, _E_MAX = 100.0, 8.0e5


def _energies(energy_eV) -> np.ndarray:
    e = as_float_array("energy_eV", energy_eV)
    if np.any(e <= 0):
        raise InputError(f"energy_eV: photon energies must be > 0 eV; got min {e.min()!r}")
    if np.any((e < _E_MIN) | (e > _E_MAX)):
        raise InputError(
            f"energy_eV: must lie in [{_E_MIN:g}, {_E_MAX:g}] eV (xraydb Elam tables); "
            f"got range [{e.min():g}, {e.max():g}]"
        )
    return e


def mass_attenuation(formula_or_material, energy_eV, *, kind: str = "total", x: float | None = None) -> np.ndarray:
    """Mass attenuation coefficient μ/ρ in m² kg⁻¹, same shape as ``energy_eV``.

    ``kind``: 'total', 'photo' (photo-absorption), 'coh' (Rayleigh) or 'incoh' (Compton).
    """
    check_choice("kind", kind, _KINDS)
    e = _energies(energy_eV)
    try:
        c = compound(formula_or_material, x=x)
    except InputError as exc:  # μ/ρ needs no density: accept a bare formula
        if not str(exc).startswith("density_kg_m3"):
            raise
        c = compound(formula_or_material, 1.0, x=x)
    flat = e.ravel()
    total = np.zeros_like(flat)
    for el, w in c.mass_fractions.items():  # a few elements, each vectorized over energy
        total += w * np.asarray(xraydb.mu_elam(el, flat, kind=kind), dtype=float)
    return (0.1 * total).reshape(e.shape)  # cm²/g → m²/kg


def linear_attenuation(formula_or_material: str, energy_eV, density_kg_m3: float | None = None,
                       *, kind: str = "total", x: float | None = None) -> np.ndarray:
    """Linear attenuation coefficient μ(E) in 1/m, same shape as ``energy_eV`` (eV).

    ``formula_or_material``: a registered name (see :func:`compound_names`), a lithiated formula
    (``"Li0.26Ni0.6Mn0.2Co0.2O2"``) or any formula with ``density_kg_m3``. ``x`` sets the Li content
    of a registered host (``"NMC622"``, ``"LiCoO2"``).
    """
    c = compound(formula_or_material, density_kg_m3, x=x)
    return c.density * mass_attenuation(c, energy_eV, kind=kind)


def transmission(formula_or_material: str, thickness_m, energy_eV, density_kg_m3: float | None = None,
                 *, x: float | None = None) -> np.ndarray:
    """Beer–Lambert transmission exp(−μ t) through ``thickness_m`` (broadcast with ``energy_eV``)."""
    t = as_float_array("thickness_m", thickness_m)
    if np.any(t < 0):
        raise InputError(f"thickness_m: must be >= 0 m; got min {t.min()!r}")
    return np.exp(-linear_attenuation(formula_or_material, energy_eV, density_kg_m3, x=x) * t)
