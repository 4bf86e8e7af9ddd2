"""Experiment protocols: sequences of constant-current, constant-voltage and rest steps, each ending
on "until" conditions, repeated over cycles, every step starting where the previous one ended.

The form follows PyBaMM's ``Experiment`` (Sulzer et al., J. Open Res. Softw. 2021), whose strings
users already write; PyBaMM itself is not used because its experiments drive its own
(DFN/SPM) models, not the microstructure-resolved finite-volume cell of :mod:`.solver`.

>>> Experiment(["Charge at 1C until 4.3 V", "Rest for 5 minutes", "Hold at 4.3 V until C/20",
...             "Discharge at 0.94 mA/cm^2 until 3.0 V"], cycles=2)            # doctest: +SKIP
>>> Experiment([Step.current("4.7 mA/cm^2", until=["4.3 V", "10 min"]), Step.rest("5 min")])  # doctest: +SKIP

Signs: a positive current charges the cell (lithium leaves LixCoO2, x falls); a discharge step
takes a positive magnitude in its string ("Discharge at 1C") or a negative current in
``Step.current``. Everything is checked when the experiment is made, with errors naming the step,
the key, the value and the valid range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, UnitError
from ..units import c_rate, to_si

KINDS = ("current", "voltage", "rest")
#: what each "until" condition measures (its SI unit) and the kinds of step it may end
CONDITIONS = {
    "voltage": ("V", ("current", "rest")),
    "time": ("s", KINDS),
    "charge": ("C", ("current", "voltage")),
    "current": ("A", ("voltage",)),
}
#: quantities a current or a charge may be written in, and the unit each is held in
_CURRENT_UNITS = (("A/m^2", "current_density"), ("A", "current"))
_CHARGE_UNITS = (("coulomb/m^2", "charge_density"), ("coulomb", "charge"))  # "C" is the C-rate
VOLTAGE_RANGE = (0.0, 10.0)  # V, open interval: a cut-off outside it is a typo
MAX_CYCLES = 100_000


def _fail(where: str, key: str, value, why: str):
    raise InputError(f"{where}: {key} = {value!r}: {why}")


def _quantity(value, candidates, where: str, key: str):
    """(SI value, the name of the first candidate unit that ``value`` converts to)."""
    if isinstance(value, bool | int | float | np.integer | np.floating) or _is_number(value):
        units = " or ".join(f"'{u}'" for u, _ in candidates)
        _fail(where, key, value, f"a bare number has no unit; write it in {units}")
    if isinstance(value, str):  # battery capacities are written "mAh", which pint reads as milli-Ah
        value = re.sub(r"(?<![A-Za-z])([mkuµ]?)Ah\b", r"\1A*hour", value)
    for unit, name in candidates:
        try:
            return to_si(value, unit, strict=True), name
        except UnitError:
            continue
    units = ", ".join(u for u, _ in candidates)
    _fail(where, key, value, f"expected a quantity in one of {units}")


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _current(value, where: str, key: str) -> tuple[float, str]:
    """A current as (value, unit): 'C' (a C-rate, 1/h), 'A/m^2' or 'A'."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\s*(\d*\.?\d+(?:[eE][-+]?\d+)?\s*C|C\s*/\s*\d*\.?\d+)\s*",
                                               value):
        text = value.replace(" ", "")
        sign = -1.0 if text.startswith("-") else 1.0
        return sign * c_rate(text.lstrip("+-"), name=f"{where}: {key}"), "C"
    v, unit = _quantity(value, _CURRENT_UNITS, where, key)
    return v, "A/m^2" if unit == "current_density" else "A"


@dataclass(frozen=True)
class Condition:
    """An "until" condition: ``quantity`` ("voltage", "time", "charge" or "current") reaching
    ``value`` in ``unit`` (V, s; a charge in C or C/m², a current in A, A/m² or a C-rate 'C')."""

    quantity: str
    value: float
    unit: str

    @classmethod
    def parse(cls, text, where: str = "step") -> Condition:
        """'4.3 V', '10 min', '0.05 mA/cm^2', 'C/20', '1 mA', '0.5 mAh/cm^2', '2 mAh'."""
        key = "until"
        if isinstance(text, Condition):
            return text
        if isinstance(text, str) and re.fullmatch(r"\s*(\d*\.?\d+(?:[eE][-+]?\d+)?\s*C|C\s*/\s*\d*\.?\d+)\s*", text):
            value, unit = _current(text, where, key)
            return cls._checked("current", abs(value), unit, where, text)
        candidates = (("V", "voltage"), ("s", "time"), *_CURRENT_UNITS, *_CHARGE_UNITS)
        value, name = _quantity(text, candidates, where, key)
        quantity, unit = {
            "voltage": ("voltage", "V"), "time": ("time", "s"),
            "current_density": ("current", "A/m^2"), "current": ("current", "A"),
            "charge_density": ("charge", "C/m^2"), "charge": ("charge", "C"),
        }[name]
        return cls._checked(quantity, value, unit, where, text)

    @classmethod
    def _checked(cls, quantity, value, unit, where, text) -> Condition:
        if quantity == "voltage":
            lo, hi = VOLTAGE_RANGE
            if not lo < value < hi:
                _fail(where, "until", text, f"a voltage condition must lie in ({lo:g}, {hi:g}) V")
        elif not value > 0:
            _fail(where, "until", text, f"a {quantity} condition must be > 0")
        return cls(quantity, float(value), unit)


@dataclass(frozen=True)
class Step:
    """One step of an :class:`Experiment`. Make it with :meth:`current`, :meth:`voltage`,
    :meth:`rest` or :meth:`parse`.

    kind : "current" (constant current), "voltage" (constant voltage) or "rest" (I = 0).
    value : the set current (signed, + = charge) in ``unit`` ('A/m^2' over the nominal cross-section,
        'A', or 'C' for a C-rate in 1/h), the set voltage (V), or None for a rest.
    until : the conditions that end the step (the first one met ends it), in the order of
        :data:`CONDITIONS`.
    description : the step as text (its string form, or one made from the values); two steps that
        differ only in it are equal.
    """

    kind: str
    value: float | None
    unit: str | None
    until: tuple[Condition, ...]
    description: str = field(default="", compare=False)

    @classmethod
    def current(cls, value, until, description: str = "") -> Step:
        """Constant current ``value`` ('4.7 mA/cm^2', '-0.94 mA/cm^2', '1C', '-C/10', '2 mA'), + = charge."""
        where = f"step {description or value!r}"
        v, unit = _current(value, where, "current")
        if v == 0:
            _fail(where, "current", value, "must be nonzero (use Step.rest for I = 0)")
        return cls._make("current", v, unit, until, description or f"current {value} until {until}")

    @classmethod
    def voltage(cls, value, until, description: str = "") -> Step:
        """Constant voltage ``value`` ('4.3 V') until a current ('C/20', '0.05 mA/cm^2') or a time."""
        where = f"step {description or value!r}"
        v, _ = _quantity(value, (("V", "voltage"),), where, "voltage")
        lo, hi = VOLTAGE_RANGE
        if not lo < v < hi:
            _fail(where, "voltage", value, f"must lie in ({lo:g}, {hi:g}) V")
        return cls._make("voltage", v, "V", until, description or f"hold at {value} until {until}")

    @classmethod
    def rest(cls, duration=None, until=(), description: str = "") -> Step:
        """Open circuit (I = 0) for ``duration`` ('5 min'), or until a voltage as well."""
        until = [until] if isinstance(until, str | Condition) else list(until)
        if duration is not None:
            until.insert(0, duration)
        return cls._make("rest", None, None, until, description or f"rest for {duration}")

    @classmethod
    def _make(cls, kind, value, unit, until, description) -> Step:
        where = f"step {description!r}"
        items = [until] if isinstance(until, str | Condition) else list(until or ())
        order = list(CONDITIONS)
        conds = tuple(sorted((Condition.parse(c, where) for c in items), key=lambda c: order.index(c.quantity)))
        for c in conds:
            if kind not in CONDITIONS[c.quantity][1]:
                allowed = [q for q, (_, kinds) in CONDITIONS.items() if kind in kinds]
                _fail(where, "until", c, f"a {kind} step cannot end on its {c.quantity}; valid: {allowed}")
        quantities = [c.quantity for c in conds]
        if len(set(quantities)) != len(quantities):
            _fail(where, "until", items, "give each kind of condition at most once")
        if kind == "rest" and "time" not in quantities:
            _fail(where, "until", items, "a rest needs a duration ('Rest for 5 minutes')")
        if kind == "voltage" and not {"time", "current"} & set(quantities):
            _fail(where, "until", items, "a voltage hold needs a current ('C/20') or a time to end")
        if not conds:
            _fail(where, "until", items, "give at least one condition (a voltage, a time or a charge)")
        return cls(kind, value, unit, conds, description)

    @classmethod
    def parse(cls, text: str) -> Step:
        """A PyBaMM-like string: 'Charge at 1C until 4.3 V', 'Discharge at 0.94 mA/cm^2 for 10 min or
        until 3.0 V', 'Rest for 5 minutes', 'Hold at 4.3 V until C/20'."""
        if isinstance(text, Step):
            return text
        if not isinstance(text, str):
            raise InputError(f"step: expected a string like 'Charge at 1C until 4.3 V' or a Step, got {text!r}")
        m = re.fullmatch(r"\s*(charge|discharge|hold|rest)(?:\s+at\s+(.+?))?(?:\s+for\s+(.+?))?"
                         r"(?:\s+(?:or\s+)?until\s+(.+?))?\s*", text, flags=re.IGNORECASE)
        if m is None:
            raise InputError(f"step {text!r}: cannot read it; write e.g. 'Charge at 1C until 4.3 V', 'Rest for "
                             "5 minutes', 'Hold at 4.3 V until C/20' or 'Discharge at 1 mA/cm^2 for 30 min'")
        verb, value, duration, until = m.group(1).lower(), m.group(2), m.group(3), m.group(4)
        conds = [duration] if duration else []
        conds += [c for c in re.split(r"\s+or\s+", until)] if until else []
        if verb == "rest":
            if value is not None:
                _fail(f"step {text!r}", "at", value, "a rest has no set value")
            return cls.rest(until=conds, description=text)
        if value is None:
            _fail(f"step {text!r}", "at", None, f"'{verb.capitalize()} at <value> ...' needs a value")
        if verb == "hold":
            return cls.voltage(value, conds, description=text)
        if value.strip().startswith("-"):
            _fail(f"step {text!r}", "at", value, f"give the magnitude; '{verb}' sets the sign")
        step = cls.current(value, conds, description=text)
        if verb == "discharge":
            step = cls(step.kind, -step.value, step.unit, step.until, text)
        return step

    def condition(self, quantity: str) -> Condition | None:
        return next((c for c in self.until if c.quantity == quantity), None)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "unit": self.unit, "description": self.description,
                "until": [[c.quantity, c.value, c.unit] for c in self.until]}


@dataclass(frozen=True)
class Experiment:
    """A protocol: ``steps`` (Step objects or strings) run in order, ``cycles`` times; each step
    starts from the state where the previous one ended.

    output_interval : s between saved snapshots (full fields) on the run's time axis; None saves
        t = 0 and the end of every step only (step ends are always saved).
    max_time : s, the whole run ends here ("max_time") even within a step; None: no limit.
    one_c : current density (A/m², or a string like '0.94 mA/cm^2') that a C-rate of 1 means; None
        means the cell's own capacity (``ChargeModel.one_c_current``) per hour.
    max_dx : target largest change of x per time step (adaptive step control).
    """

    steps: tuple = ()
    cycles: int = 1
    output_interval: float | None = None
    max_time: float | None = None
    one_c: float | None = None
    max_dx: float = 0.02
    _flat: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        steps = self.steps
        if isinstance(steps, str | Step):
            steps = [steps]
        if not steps:
            raise InputError("steps: an experiment needs at least one step")
        parsed = []
        for i, s in enumerate(steps):
            try:
                parsed.append(Step.parse(s))
            except InputError as exc:
                raise type(exc)(f"steps[{i}]: {exc}") from None
        object.__setattr__(self, "steps", tuple(parsed))
        if isinstance(self.cycles, bool) or not isinstance(self.cycles, int | np.integer) \
                or not 1 <= self.cycles <= MAX_CYCLES:
            raise InputError(f"cycles: expected an integer in [1, {MAX_CYCLES}], got {self.cycles!r}")
        for key in ("output_interval", "max_time"):
            value = getattr(self, key)
            if value is not None:
                v = to_si(value, "s", name=key)
                if not v > 0:
                    raise InputError(f"{key}: must be > 0 s, got {value!r}")
                object.__setattr__(self, key, v)
        if self.one_c is not None:
            v = to_si(self.one_c, "A/m^2", name="one_c")
            if not v > 0:
                raise InputError(f"one_c: must be > 0 A/m², got {self.one_c!r}")
            object.__setattr__(self, "one_c", v)
        if not 0 < self.max_dx <= 0.2:
            raise InputError(f"max_dx: must lie in (0, 0.2], got {self.max_dx!r}")
        object.__setattr__(self, "_flat", tuple(
            (c, i, s) for c in range(int(self.cycles)) for i, s in enumerate(self.steps)))

    @property
    def flat(self) -> tuple:
        """(cycle, index within the cycle, Step) of every step the experiment runs, in order."""
        return self._flat

    def to_dict(self) -> dict:
        return {"steps": [s.to_dict() for s in self.steps], "cycles": int(self.cycles),
                "output_interval": self.output_interval, "max_time": self.max_time, "one_c": self.one_c,
                "max_dx": self.max_dx}

    def amps(self, value: float, unit: str, model) -> float:
        """A current written as (value, unit) in A on ``model``."""
        if unit == "A":
            return value
        if unit == "A/m^2":
            return value * model.nominal_area()
        if self.one_c is not None:
            return value * self.one_c * model.nominal_area()
        if not model.cathode.any():
            raise InputError("c_rate: the cell has no LixCoO2, so it has no capacity; give a current density")
        return value * model.one_c_current()

    def coulombs(self, cond: Condition, model) -> float:
        return cond.value * (model.nominal_area() if cond.unit == "C/m^2" else 1.0)
