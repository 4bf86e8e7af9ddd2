"""Units at the boundary: parse strings such as ``"50 nm"`` or ``"23.5 mA/cm^2"`` to SI floats.

Kernels never see pint objects; configs and the CLI call :func:`to_si` once and pass plain floats.
Magnetometrists' units are accepted where a field is asked for: gauss (``"1000 G"``, ``"5 mG"``) and
oersted (the field H of 1 Oe in vacuum is 10⁻⁴ T of B) — pint gives these the CGS-Gaussian
dimension, not the tesla's, so they are converted here — and ``sqrt(Hz)`` in sensitivities
(``"1 uT/sqrt(Hz)"``). C-rates are written ``"2C"``, ``"C/10"`` (:func:`c_rate`).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pint

from .errors import UnitError

#: tesla per gauss, and the B in vacuum (T) of one oersted of H
TESLA_PER_GAUSS = 1e-4


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    ureg = pint.UnitRegistry()
    ureg.define("C_rate = 1 / hour = C")  # a C-rate is a charge per hour, relative to capacity
    return ureg


def _normalise(text: str) -> str:
    """``sqrt(X)`` → ``(X)**0.5`` (pint has no sqrt in its expression grammar)."""
    return re.sub(r"sqrt\(([^()]*)\)", r"(\1)**0.5", text.strip())


def _gaussian_to_si(q: pint.Quantity, target: pint.Unit) -> pint.Quantity | None:
    """A field in gauss or oersted as tesla (``target`` of the tesla's dimension), else None."""
    ureg = registry()
    if target.dimensionality != ureg.tesla.dimensionality:
        return None
    for unit in (ureg.gauss, ureg.oersted):
        if q.dimensionality == unit.dimensionality:
            return q.to(unit).magnitude * TESLA_PER_GAUSS * ureg.tesla
    return None


#: units people write for a quantity of each dimension (SI target unit → the kind and its usual units);
#: error messages suggest these, with the user's own number, rather than the bare SI unit ("500 m")
USUAL_UNITS = {
    "m": ("length", ("nm", "um")),
    "s": ("time", ("s", "min")),
    "T": ("field", ("mT", "G")),
    "A/m^2": ("current density", ("mA/cm^2",)),
    "T/Hz^0.5": ("sensitivity", ("uT/sqrt(Hz)", "nT/sqrt(Hz)")),
    "A": ("current", ("mA", "uA")),
    "V": ("voltage", ("V", "mV")),
    "Hz": ("frequency", ("MHz", "kHz")),
    "K": ("temperature", ("K",)),
    "m^2/s": ("diffusivity", ("cm^2/s",)),
    "S/m": ("conductivity", ("S/cm",)),
}


def unit_hint(number, unit: str) -> str:
    """``"as a length, e.g. '500 nm' or '500 um'"``: how to write ``number`` as a quantity of
    ``unit``'s dimension, in the units a user would write (the SI unit for dimensions not listed,
    and also for a number below 1, which may be SI already)."""
    ureg = registry()
    target = ureg.Unit(unit)
    number = float(number)
    for si, (kind, usual) in USUAL_UNITS.items():
        if ureg.Unit(si).dimensionality == target.dimensionality:
            units = (*usual, unit) if 0 < abs(number) < 1 and unit not in usual else usual
            return f"as a {kind}, e.g. " + " or ".join(f"'{number:g} {u}'" for u in units)
    return f"with its unit, e.g. '{number:g} {unit}'"


def to_si(value, unit: str, *, name: str | None = None, strict: bool = False) -> float:
    """Convert ``value`` (a string with unit, a pint quantity or a bare number already in SI) to
    a float in the SI unit ``unit`` (e.g. ``"m"``, ``"T"``, ``"A/m^2"``).

    A bare number is taken as already being in ``unit`` unless ``strict`` (configs, the command
    line): there a bare number for a dimensional quantity is an error naming the expected unit, and
    so is a string without a unit, because silently guessing units is how experiments go wrong.
    """
    ureg = registry()
    target = ureg.Unit(unit)
    name = f"{name}: " if name else ""
    if isinstance(value, bool):
        raise UnitError(f"{name}expected a quantity in {unit}, got {value!r}")
    if isinstance(value, int | float | np.floating | np.integer):
        if strict and not target.dimensionless:
            raise UnitError(f"{name}{value!r} has no unit; write it {unit_hint(value, unit)}")
        return float(value)
    if isinstance(value, str):
        try:
            q = ureg.Quantity(_normalise(value))
        except Exception as exc:  # pint raises several unrelated types
            raise UnitError(f"{name}cannot parse {value!r} as a quantity; write it {unit_hint(1, unit)}") from exc
    elif isinstance(value, pint.Quantity):
        q = value
    else:
        raise UnitError(f"{name}expected a string like '1 {unit}', got {type(value).__name__}")
    if not isinstance(q, pint.Quantity) or (q.dimensionless and not target.dimensionless):
        raise UnitError(f"{name}{value!r} has no unit; write it {unit_hint(q.magnitude, unit)}")
    tesla = _gaussian_to_si(q, target)
    q = q if tesla is None else tesla
    if q.dimensionality != target.dimensionality:
        raise UnitError(
            f"{name}{value!r} is not convertible to {unit}; write it {unit_hint(1, unit)}"
        )
    # 15 significant digits: "50 nm" and 50e-9 are the same number (and the same cache key)
    out = float(f"{float(q.to(target).magnitude):.15g}")
    if not np.isfinite(out):
        raise UnitError(f"{name}{value!r} is not finite")
    return out


def c_rate(value, *, name: str = "c_rate") -> float:
    """A C-rate in 1/h from ``"2C"``, ``"C/10"``, ``"0.5 C"`` or a number (``5`` = 5C)."""
    if isinstance(value, bool):
        raise UnitError(f"{name}: expected a C-rate such as '2C' or 'C/10', got {value!r}")
    if isinstance(value, int | float | np.floating | np.integer):
        return float(value)
    text = str(value).replace(" ", "")
    m = re.fullmatch(r"(?:(\d*\.?\d+(?:[eE][-+]?\d+)?)C|C/(\d*\.?\d+))", text)
    if m is None:
        raise UnitError(f"{name}: cannot read {value!r} as a C-rate; write e.g. '2C', '0.5C' or 'C/10'")
    return float(m.group(1)) if m.group(1) is not None else 1.0 / float(m.group(2))
