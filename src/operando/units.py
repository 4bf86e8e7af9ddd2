"""Units at the boundary: parse strings such as ``"50 nm"`` or ``"23.5 mA/cm^2"`` to SI floats.

Kernels never see pint objects; configs and the CLI call :func:`to_si` once and pass plain floats.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pint

from .errors import UnitError


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    ureg = pint.UnitRegistry()
    ureg.define("C_rate = 1 / hour = C")  # a C-rate is a charge per hour, relative to capacity
    return ureg


def to_si(value, unit: str, *, name: str | None = None) -> float:
    """Convert ``value`` (a string with unit, a pint quantity or a bare number already in SI) to
    a float in the SI unit ``unit`` (e.g. ``"m"``, ``"T"``, ``"A/m^2"``).

    A bare number is taken as already being in ``unit``; a string without a unit is rejected when
    ``unit`` is not dimensionless, because silently guessing units is how experiments go wrong.
    """
    ureg = registry()
    target = ureg.Unit(unit)
    name = f"{name}: " if name else ""
    if isinstance(value, bool):
        raise UnitError(f"{name}expected a quantity in {unit}, got {value!r}")
    if isinstance(value, int | float | np.floating | np.integer):
        return float(value)
    if isinstance(value, str):
        try:
            q = ureg.Quantity(value.strip())
        except Exception as exc:  # pint raises several unrelated types
            raise UnitError(f"{name}cannot parse {value!r} as a quantity (e.g. '50 nm')") from exc
    elif isinstance(value, pint.Quantity):
        q = value
    else:
        raise UnitError(f"{name}expected a string like '1 {unit}', got {type(value).__name__}")
    if not isinstance(q, pint.Quantity) or (q.dimensionless and not target.dimensionless):
        raise UnitError(f"{name}{value!r} has no unit; write it with one, e.g. '{q.magnitude} {unit}'")
    if q.dimensionality != target.dimensionality:
        raise UnitError(
            f"{name}{value!r} is not convertible to {unit} (a quantity like '1 {unit}' is expected)"
        )
    out = float(q.to(target).magnitude)
    if not np.isfinite(out):
        raise UnitError(f"{name}{value!r} is not finite")
    return out
