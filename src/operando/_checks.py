"""Input validation shared by every stage.

Each helper raises :class:`operando.errors.InputError` with a message that names the parameter,
shows the value and states the valid range, so kernels can stay free of ad-hoc checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import InputError


def _show(value) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(value)
    return f"array of shape {arr.shape}"


def as_float_array(
    name: str,
    value,
    *,
    shape: Sequence[int | None] | None = None,
    ndim: int | None = None,
    finite: bool = True,
    dtype=np.float64,
) -> np.ndarray:
    """Return ``value`` as a float array after checking its shape and finiteness.

    ``shape`` may contain ``None`` for a free axis. Raises InputError naming ``name``.
    """
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a numeric array, got {type(value).__name__}") from exc
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            s is None or s == a for s, a in zip(shape, arr.shape, strict=False)
        )
        if not ok:
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise InputError(f"{name}: expected shape {want}, got {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise InputError(f"{name}: contains {bad} non-finite value(s) (NaN or inf); all must be finite")
    return arr


def check_finite_scalar(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a number, got {value!r}") from exc
    if not np.isfinite(v):
        raise InputError(f"{name}: must be finite, got {value!r}")
    return v


def check_positive(name: str, value, *, allow_zero: bool = False, unit: str = "") -> float:
    """Check a finite scalar is > 0 (or >= 0) and return it as float."""
    v = check_finite_scalar(name, value)
    if v < 0 or (v == 0 and not allow_zero):
        rel = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name}: must be {rel}{' ' + unit if unit else ''}, got {value!r}")
    return v


def check_range(
    name: str,
    value,
    lo: float | None = None,
    hi: float | None = None,
    *,
    inclusive: tuple[bool, bool] = (True, True),
    unit: str = "",
) -> float:
    """Check a finite scalar lies in [lo, hi] (open ends where ``inclusive`` says) and return it."""
    v = check_finite_scalar(name, value)
    lo_ok = lo is None or (v >= lo if inclusive[0] else v > lo)
    hi_ok = hi is None or (v <= hi if inclusive[1] else v < hi)
    if not (lo_ok and hi_ok):
        left = "[" if inclusive[0] else "("
        right = "]" if inclusive[1] else ")"
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        u = f" {unit}" if unit else ""
        raise InputError(f"{name}: must lie in {left}{lo_s}, {hi_s}{right}{u}, got {value!r}")
    return v


def check_positive_array(name: str, value, *, allow_zero: bool = False, **kw) -> np.ndarray:
    arr = as_float_array(name, value, **kw)
    bad = arr < 0 if allow_zero else arr <= 0
    if np.any(bad):
        rel = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name}: every value must be {rel}; got min {arr.min()!r}")
    return arr


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InputError(f"{name}: unknown value {value!r}; expected one of {', '.join(map(repr, choices))}")
    return value


def unit_vector(name: str, value) -> np.ndarray:
    """A 3-vector normalised to length 1 (error if zero or not finite)."""
    v = as_float_array(name, value, shape=(3,))
    n = float(np.linalg.norm(v))
    if n == 0:
        raise InputError(f"{name}: direction vector must be non-zero, got {v.tolist()}")
    return v / n
