"""Composition-dependent properties of the positive electrode LixCoO2, as functions of x.

Every function takes the lithium content ``x`` (scalar or array, 0 <= x <= 1 unless stated) and
returns an array of the same shape in SI units. Anchors and sources:

* magnetic susceptibility - Pollok et al., Nat. Commun. 2025, Table 1 and Fig. 3b: 1.3e-9 m³/mol at x = 1,
  7.2e-9 at x = 0.6, a plateau of ~6.0e-9 below. Interpolation: linear in x between the anchors
  (1, 1.3e-9) and (0.6, 7.2e-9) - the "monotonously increasing" branch of Pollok et al., Nat. Commun. 2025; linear from
  7.2e-9 at x = 0.6 down to the plateau at x = 0.5; constant 6.0e-9 for x <= 0.5. Only the branch
  0.6 <= x <= 1 is invertible (``x_from_chi_volume``).
* open-circuit potential - the rational-polynomial fit of Ramadass et al., J. Electrochem. Soc.
  151, A196 (2004) (without the electrode "stretch" factor some codes add); valid for
  0.45 <= x <= 1 (a pole lies at x ≈ 0.42).
* diffusivity and ionic conductivity - Table 1 values at x = 1 (1e-9 cm²/s, ref. 134; 1e-7 S/cm,
  ref. 135). The x dependence is an assumed shape (log-linear between anchor points): slow
  diffusion in the two-phase region 0.75 < x < 0.94 of the insulator-metal transition and at the
  x = 1/2 Li/vacancy ordering (Reimers & Dahn, J. Electrochem. Soc. 139, 2091 (1992)), fast in the
  single-phase metallic region near x ≈ 0.65. The ionic conductivity follows the Nernst-Einstein
  proportionality sigma ∝ x·D(x), scaled to the Table 1 value at x = 1; it varies non-monotonically
  by ~65x over 0.5 <= x <= 1, as Pollok et al., Nat. Commun. 2025 states (more than an order of magnitude).
* electronic conductivity - 1e-3 S/cm at x = 1 (Table 1, refs. 136-137); metallic (assumed
  1 S/cm) below x = 0.75, log-linear through the two-phase region 0.75-0.94 of the
  insulator-metal transition (Ménétrier et al., J. Mater. Chem. 9, 1135 (1999)).
* molar volume, maximum concentration, capacity - from the O3-LiCoO2 lattice (Reimers & Dahn
  1992) via the material registry; the molar volume is taken constant in x (< 3 % change).
"""

from __future__ import annotations

import numpy as np
from scipy.constants import R, physical_constants

from .._checks import as_float_array
from ..errors import InputError
from .registry import get

FARADAY = physical_constants["Faraday constant"][0]  # C/mol
T_REF = 298.15  # K, temperature of the room-temperature data

#: (x, chi_molar m³/mol) anchors of Pollok et al., Nat. Commun. 2025, Table 1 / Fig. 3b, with x increasing.
CHI_ANCHORS_X = np.array([0.0, 0.5, 0.6, 1.0])
CHI_ANCHORS = np.array([6.0e-9, 6.0e-9, 7.2e-9, 1.3e-9])
#: Branch on which chi(x) is monotonic and can be inverted.
INVERTIBLE_X = (0.6, 1.0)
#: Range in which the OCP fit is valid.
OCP_X_RANGE = (0.45, 1.0)
#: Reversible window used for the practical capacity (irreversible below x = 1/2, Pollok et al., Nat. Commun. 2025).
PRACTICAL_DELTA_X = 0.5

# assumed log-linear shape of D(x), m²/s; value at x = 1 from Table 1 (1e-9 cm²/s)
_D_X = np.array([0.0, 0.45, 0.50, 0.55, 0.65, 0.75, 0.85, 0.94, 1.0])
_D_LOG = np.log10([3e-14, 3e-14, 1e-14, 1e-13, 5e-13, 1e-13, 1e-14, 1e-13, 1e-13])
# electronic conductivity, S/m: insulating (Table 1, 1e-3 S/cm) -> metallic (assumed 1 S/cm)
_SE_X = np.array([0.0, 0.75, 0.94, 1.0])
_SE_LOG = np.log10([1e2, 1e2, 1e-1, 1e-1])


def _x(x, lo: float = 0.0, hi: float = 1.0, name: str = "x") -> np.ndarray:
    arr = as_float_array(name, x)
    if arr.size and (arr.min() < lo or arr.max() > hi):
        bad = arr[(arr < lo) | (arr > hi)]
        raise InputError(
            f"{name}: lithium content of LixCoO2 must lie in [{lo:g}, {hi:g}], got {bad.size} "
            f"value(s) outside, e.g. {float(bad.flat[0])!r}"
        )
    return arr


def molar_volume() -> float:
    """Molar volume of LiCoO2, m³ per mole of Co (constant in x)."""
    return get("LiCoO2").value("molar_volume")


def molar_mass() -> float:
    """Molar mass of LiCoO2, kg/mol."""
    return get("LiCoO2").value("molar_mass")


def max_concentration() -> float:
    """Concentration of Li sites in LiCoO2, mol/m³ (= 1 / molar volume ≈ 51 630)."""
    return 1.0 / molar_volume()


def theoretical_capacity() -> float:
    """Gravimetric capacity for x = 1 -> 0, C/kg (F / M ≈ 9.86e5 C/kg = 273.8 mAh/g)."""
    return FARADAY / molar_mass()


def volumetric_capacity(delta_x: float = PRACTICAL_DELTA_X) -> float:
    """Charge stored per m³ of LixCoO2 over a change ``delta_x`` of x, C/m³ (F · c_max · Δx).

    The default Δx = 0.5 is the reversible window x = 1 -> 1/2 (Pollok et al., Nat. Commun. 2025).
    """
    if not 0 < delta_x <= 1:
        raise InputError(f"delta_x: must lie in (0, 1], got {delta_x!r}")
    return FARADAY * max_concentration() * delta_x


def c_rate_to_current(
    c_rate: float, lco_volume: float, delta_x: float = PRACTICAL_DELTA_X
) -> float:
    """Current (A) that (dis)charges ``lco_volume`` m³ of LixCoO2 by ``delta_x`` in 1/``c_rate`` h.

    1 C means the capacity ``volumetric_capacity(delta_x) * lco_volume`` in one hour. Divide by the
    electrode area for a nominal current density (Pollok et al., Nat. Commun. 2025: 1 C ≈ 0.94 mA/cm²).
    """
    if not np.isfinite(c_rate) or c_rate < 0:
        raise InputError(f"c_rate: must be >= 0 (per hour), got {c_rate!r}")
    if not np.isfinite(lco_volume) or lco_volume <= 0:
        raise InputError(f"lco_volume: must be > 0 m³, got {lco_volume!r}")
    return c_rate * volumetric_capacity(delta_x) * lco_volume / 3600.0


def chi_molar(x) -> np.ndarray:
    """Molar susceptibility of LixCoO2, m³/mol (SI), piecewise linear through Fig. 3b anchors."""
    return np.interp(_x(x), CHI_ANCHORS_X, CHI_ANCHORS)


def chi_volume(x) -> np.ndarray:
    """SI volume susceptibility (dimensionless) = chi_molar(x) / molar volume."""
    return chi_molar(x) / molar_volume()


def x_from_chi_volume(chi, *, return_flag: bool = False):
    """Invert ``chi_volume`` on its monotonic branch 0.6 <= x <= 1.

    Values outside [chi_volume(1), chi_volume(0.6)] (or non-finite) give NaN. With
    ``return_flag=True`` also returns a bool array, True where the value was invertible.
    Values at or above the plateau (chi_molar >= 6.0e-9 m³/mol) are also reached for x < 0.6;
    the result assumes the reversible window x >= 0.6 (Pollok et al., Nat. Commun. 2025, Fig. 3b).
    """
    c = as_float_array("chi", chi, finite=False)
    vm = molar_volume()
    lo, hi = CHI_ANCHORS[-1] / vm, CHI_ANCHORS[-2] / vm  # chi at x = 1 and x = 0.6
    ok = np.isfinite(c) & (c >= lo) & (c <= hi)
    x = np.full(c.shape, np.nan)
    x[ok] = 1.0 + (c[ok] - lo) * (INVERTIBLE_X[0] - 1.0) / (hi - lo)
    return (x, ok) if return_flag else x


def ocp(x) -> np.ndarray:
    """Open-circuit potential of LixCoO2, V vs Li/Li+ (Ramadass et al. 2004), 0.45 <= x <= 1."""
    y2 = _x(x, *OCP_X_RANGE) ** 2
    num = np.polynomial.polynomial.polyval(
        y2, [-4.656, 88.669, -401.119, 342.909, -462.471, 433.434]
    )
    den = np.polynomial.polynomial.polyval(y2, [-1.0, 18.933, -79.532, 37.311, -73.083, 95.96])
    return num / den


def diffusivity(x) -> np.ndarray:
    """Li diffusivity in LixCoO2, m²/s (Table 1 at x = 1; assumed x shape, see module doc)."""
    return 10.0 ** np.interp(_x(x), _D_X, _D_LOG)


def ionic_conductivity(x) -> np.ndarray:
    """Li-ion conductivity of LixCoO2, S/m: Table 1 value at x = 1 scaled by x·D(x) / D(1)."""
    xx = _x(x)
    sigma1 = get("LiCoO2").value("ionic_conductivity")
    return sigma1 * xx * diffusivity(xx) / float(diffusivity(1.0))


def electronic_conductivity(x) -> np.ndarray:
    """Electronic conductivity of LixCoO2, S/m: insulating at x = 1, metallic below x = 0.75."""
    return 10.0 ** np.interp(_x(x), _SE_X, _SE_LOG)


def nernst_einstein_factor(temperature: float = T_REF) -> float:
    """F² c_max / (R T), S·s/m³: sigma = factor · x · D for ideal Li-ion conduction (reference)."""
    return FARADAY**2 * max_concentration() / (R * temperature)
