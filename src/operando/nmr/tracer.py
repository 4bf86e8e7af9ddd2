"""⁶Li → ⁷Li tracer exchange between Li-metal electrodes and a garnet electrolyte, and the
growth-mechanism test of a dendrite from its ⁶Li abundance (Liu et al., Nat. Mater. 2025, Eq. 1–2).

One exchange round moves ``n`` mol of Li⁺ between the electrodes' pool (``m1`` mol, ⁶Li fraction
``x1``) and the electrolyte's pool (``m2``, ``x2``)::

    x1' = x1 - n m2 / (m1 (m2 + n)) (x1 - x2)          (Eq. 1)
    x2' = x2 + n / (m2 + n) (x1 - x2)                  (Eq. 2)

The ⁶Li inventory ``m1 x1 + m2 x2`` is conserved and the difference shrinks geometrically,
``x1 - x2 → r (x1 - x2)`` with ``r = 1 - n (m1 + m2) / (m1 (m2 + n))``, so after k rounds
(closed form, also for fractional k)::

    x̄ = (m1 x1 + m2 x2) / (m1 + m2),   x1_k = x̄ + m2/(m1+m2) d0 r^k,   x2_k = x̄ - m1/(m1+m2) d0 r^k

How many rounds a charge Q makes is not fixed by the paper ("the number of iterations equals the
number of electrochemical cycles"); here ``rounds = Q / charge_per_round``, a parameter, and by
default each round exchanges the Li⁺ carried by that charge (``n = charge_per_round / F``).
The paper's starting abundances (electrodes 95 % ⁶Li, LLZO 7.5 %) are defaults only: the
public reference implementation of these equations starts from other values.

Why by hand: two lines of algebra; the reference script is a loop without the closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.constants import N_A, elementary_charge

from .._checks import as_float_array, check_positive, check_range
from ..errors import InputError

Faraday = N_A * elementary_charge  # C/mol

__all__ = [
    "TracerExchange",
    "abundance_history",
    "charge_per_round",
    "classify_mechanism",
    "exchange_round",
    "lithium_amount",
]

#: ⁶Li fraction of the enriched metal electrodes and of natural-abundance LLZO (Liu et al. 2025).
ELECTRODE_6LI = 0.95
ELECTROLYTE_6LI = 0.075


def exchange_round(x1, x2, m1: float, m2: float, n: float):
    """One exchange round, Eq. 1–2: returns ``(x1', x2')`` (arrays broadcast)."""
    x1 = as_float_array("x1", x1)
    x2 = as_float_array("x2", x2)
    m1 = check_positive("m1", m1, unit="mol")
    m2 = check_positive("m2", m2, unit="mol")
    n = check_positive("n", n, allow_zero=True, unit="mol")
    d = x1 - x2
    return x1 - n * m2 / (m1 * (m2 + n)) * d, x2 + n / (m2 + n) * d


@dataclass(frozen=True)
class TracerExchange:
    """Tracer exchange between electrodes (``m1`` mol Li) and electrolyte (``m2`` mol Li⁺).

    ``charge_per_round`` (C): charge passed per exchange round; ``n`` (mol Li⁺ per round) defaults
    to ``charge_per_round / F``. ``x1``, ``x2``: starting ⁶Li fractions.
    """

    m1: float
    m2: float
    charge_per_round: float
    n: float | None = None
    x1: float = ELECTRODE_6LI
    x2: float = ELECTROLYTE_6LI

    def __post_init__(self):
        check_positive("m1", self.m1, unit="mol")
        check_positive("m2", self.m2, unit="mol")
        check_positive("charge_per_round", self.charge_per_round, unit="C")
        if self.n is not None:
            check_positive("n", self.n, unit="mol")
        check_range("x1", self.x1, 0, 1)
        check_range("x2", self.x2, 0, 1)

    @property
    def exchanged_per_round(self) -> float:
        """Li⁺ (mol) taking part in one round."""
        return self.charge_per_round / Faraday if self.n is None else float(self.n)

    @property
    def ratio(self) -> float:
        """Factor r by which x1 - x2 shrinks per round."""
        n = self.exchanged_per_round
        return 1.0 - n * (self.m1 + self.m2) / (self.m1 * (self.m2 + n))

    @property
    def equilibrium(self) -> float:
        """⁶Li fraction both pools approach: the conserved inventory over the total Li."""
        return (self.m1 * self.x1 + self.m2 * self.x2) / (self.m1 + self.m2)

    def rounds(self, charge) -> np.ndarray:
        """Exchange rounds made by a total charge (C, >= 0)."""
        q = as_float_array("charge", charge)
        if np.any(q < 0):
            raise InputError(f"charge: must be >= 0 C, got min {q.min()!r}")
        return q / self.charge_per_round

    def abundances(self, charge):
        """``(x1, x2)``: ⁶Li fractions of electrodes and electrolyte after ``charge`` (C), closed form."""
        k = self.rounds(charge)
        r = self.ratio
        if r < 0:  # more Li⁺ per round than the pools can swap: the iteration overshoots
            if not np.allclose(k, np.round(k)):
                raise InputError(
                    f"n: {self.exchanged_per_round!r} mol per round over-exchanges (ratio {r:.3g} < 0); "
                    "only whole rounds are defined, give charges that are multiples of charge_per_round"
                )
            decay = r ** np.round(k)
        else:
            decay = r**k
        d0 = self.x1 - self.x2
        total = self.m1 + self.m2
        return self.equilibrium + self.m2 / total * d0 * decay, self.equilibrium - self.m1 / total * d0 * decay

    def iterate(self, n_rounds: int):
        """``(x1, x2)`` arrays of length ``n_rounds + 1`` by iterating Eq. 1–2 (round 0 first)."""
        if int(n_rounds) != n_rounds or n_rounds < 0:
            raise InputError(f"n_rounds: expected a non-negative integer, got {n_rounds!r}")
        x1, x2 = np.empty(int(n_rounds) + 1), np.empty(int(n_rounds) + 1)
        x1[0], x2[0] = self.x1, self.x2
        for k in range(int(n_rounds)):  # a recurrence: each round needs the previous one
            x1[k + 1], x2[k + 1] = exchange_round(x1[k], x2[k], self.m1, self.m2, self.exchanged_per_round)
        return x1, x2


def charge_per_round(current_density: float, area: float, duration: float) -> float:
    """Charge (C) of one exchange round: current density (A/m²) × area (m²) × time per round (s),
    e.g. one half-cycle of Liu et al. 2025 (0.1 mA cm⁻², direction reversed every 30 min)."""
    j = check_positive("current_density", current_density, unit="A/m^2")
    a = check_positive("area", area, unit="m^2")
    t = check_positive("duration", duration, unit="s")
    return j * a * t


def lithium_amount(volume: float, material: str = "Li") -> float:
    """Lithium (mol) in ``volume`` (m³) of a material of the registry (``"Li"``: the metal,
    ``"LLZO"``: 7 Li per formula unit)."""
    from .. import materials
    from .spectra import MATERIAL_SPECIES, _molar_volume

    v = check_positive("volume", volume, unit="m^3")
    if material not in MATERIAL_SPECIES or "Li" not in MATERIAL_SPECIES[material][1]:
        raise InputError(f"material: {material!r} holds no lithium; known: {', '.join(MATERIAL_SPECIES)}")
    return v * MATERIAL_SPECIES[material][1]["Li"] / _molar_volume(materials.get(material))


def abundance_history(model: TracerExchange, state) -> xr.Dataset:
    """⁶Li fractions of both pools along a charge history: ``state`` is a dataset with
    ``charge_passed`` (C) over ``t`` (e.g. from :func:`operando.electrochem.charge`), or an array of
    charges. The charge counts in magnitude (a reversal still exchanges)."""
    q = state["charge_passed"] if isinstance(state, xr.Dataset) else xr.DataArray(as_float_array("state", state))
    x1, x2 = model.abundances(np.abs(q.values))
    ds = xr.Dataset({"electrode_6li": (q.dims, x1), "electrolyte_6li": (q.dims, x2),
                     "charge_passed": (q.dims, q.values)}, coords=q.coords)
    for name in ("electrode_6li", "electrolyte_6li"):
        ds[name].attrs["units"] = "atomic fraction"
    ds["charge_passed"].attrs["units"] = "C"
    return ds


def classify_mechanism(dendrite_6li, electrode_6li, electrolyte_6li, tolerance: float = 0.0) -> np.ndarray:
    """Growth mechanism from a dendrite's ⁶Li fraction (Liu et al. 2025):

    1 — plating at the electrode–electrolyte interface (abundance between the electrolyte's and
    the electrodes'); 2 — Li⁺ reduction at grain boundaries (below the electrolyte's, whose grain
    boundaries are ⁷Li-rich); 0 — neither (above the electrodes'). ``tolerance`` (fraction) widens
    the bounds by the measurement uncertainty. Arrays broadcast.
    """
    xd = as_float_array("dendrite_6li", dendrite_6li)
    x1 = as_float_array("electrode_6li", electrode_6li)
    x2 = as_float_array("electrolyte_6li", electrolyte_6li)
    tol = check_positive("tolerance", tolerance, allow_zero=True)
    lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
    out = np.where(xd < lo - tol, 2, np.where(xd <= hi + tol, 1, 0))
    return out.astype(np.int8)
