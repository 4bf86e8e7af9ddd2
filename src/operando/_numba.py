"""numba, where installed (the optional ``fast`` extra): compiling decorators that leave plain
Python functions where it is not, so every kernel also runs (slowly) without it."""

from __future__ import annotations

try:
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

#: numba.prange where compiled, range otherwise
prange = numba.prange if numba is not None else range


def available() -> bool:
    """True when numba can be imported."""
    return numba is not None


def jit(*, parallel: bool = False, inline: bool = False, fastmath=False, error_model: str = "python"):
    """``numba.njit(cache=True, nogil=True, ...)``, or the identity without numba.

    inline : inline into the calling kernels (helpers called per row or per block: passing
        arrays to them then costs no reference counting).
    error_model : "numpy" lets a division by zero give inf/NaN instead of raising, which drops the
        per-division check that keeps loops with divisions from running in SIMD lanes.
    """
    if numba is None:  # pragma: no cover
        return lambda fn: fn
    options = dict(cache=True, nogil=True, parallel=parallel, fastmath=fastmath, error_model=error_model)
    if inline:
        options["inline"] = "always"
    return numba.njit(**options)
