"""The galvanostatic charge protocol, validated when it is made (before any time is spent solving);
it runs as a one- or two-step :class:`~.experiment.Experiment` (:meth:`Galvanostatic.to_experiment`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError


def _positive(name: str, value, unit: str, allow_none: bool = False):
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a number in {unit}, got {value!r}") from exc
    if not np.isfinite(v) or v <= 0:
        raise InputError(f"{name}: must be a finite number > 0 {unit}, got {value!r}")
    return v


@dataclass(frozen=True)
class Galvanostatic:
    """Constant-current charge, optionally followed by a constant-voltage hold at ``v_max``.

    c_rate : charge rate in 1/h (1 C empties the capacity ``ChargeModel.delta_x_1c`` in 1 h), or
    current_density : A/m² over the nominal cross-section (Ly · Lz) — give exactly one.
    duration : s of charge (the run also stops at the cut-off ``v_max`` unless ``cv_hold`` is set).
    v_max, v_min : cut-off voltages (V), v_min < v_max.
    save_every : s between saved states after the pristine one at t = 0 (default: duration / 10).
    cv_hold : s of constant-voltage hold at v_max after the cut-off (None: stop at v_max).
    max_dx : target largest change of x per time step (adaptive step control).
    """

    c_rate: float | None = None
    current_density: float | None = None
    duration: float = 3600.0
    v_max: float = 4.3
    v_min: float = 3.0
    save_every: float | None = None
    cv_hold: float | None = None
    max_dx: float = 0.02

    def __post_init__(self):
        if (self.c_rate is None) == (self.current_density is None):
            raise InputError(
                f"c_rate / current_density: give exactly one, got c_rate={self.c_rate!r}, "
                f"current_density={self.current_density!r}"
            )
        _positive("c_rate", self.c_rate, "per hour", allow_none=True)
        _positive("current_density", self.current_density, "A/m²", allow_none=True)
        _positive("duration", self.duration, "s")
        _positive("v_max", self.v_max, "V")
        _positive("v_min", self.v_min, "V")
        if self.v_min >= self.v_max:
            raise InputError(
                f"v_min, v_max: cut-off voltages inverted or equal: v_min={self.v_min!r} V must be "
                f"below v_max={self.v_max!r} V"
            )
        _positive("save_every", self.save_every, "s", allow_none=True)
        _positive("cv_hold", self.cv_hold, "s", allow_none=True)
        if not 0 < self.max_dx <= 0.2:
            raise InputError(f"max_dx: must lie in (0, 0.2], got {self.max_dx!r}")

    def to_experiment(self):
        """The same charge as a one- (or, with ``cv_hold``, two-) step :class:`~.experiment.Experiment`:
        constant current until ``v_max`` (then the hold at ``v_max`` for ``cv_hold``), the whole run
        limited to ``duration``, snapshots every ``save_every``."""
        from .experiment import Condition, Experiment, Step

        value, unit = (self.c_rate, "C") if self.c_rate is not None else (self.current_density, "A/m^2")
        cut = Condition("voltage", self.v_max, "V")
        steps = [Step("current", value, unit, (cut,), f"charge at {value:g} {unit} until {self.v_max:g} V")]
        if self.cv_hold is not None:
            hold = Condition("time", self.cv_hold, "s")
            steps.append(Step("voltage", self.v_max, "V", (hold,), f"hold at {self.v_max:g} V for {self.cv_hold:g} s"))
        return Experiment(steps, output_interval=self.save_every or self.duration / 10,
                          max_time=self.duration, max_dx=self.max_dx)
