"""How much memory the machine has free, and a guard that refuses a computation that would not fit.

``psutil`` gives the memory available to a new allocation (free plus reclaimable page cache) on every
platform; where it is missing, ``os.sysconf`` gives the free physical pages (an underestimate on
Linux, where the page cache is reclaimable), and without either the guard lets the computation run.
"""

from __future__ import annotations

import os

from .errors import ResourceError


def available_memory() -> float | None:
    """Bytes of memory a new allocation can get now, or None where it cannot be told."""
    try:
        import psutil

        return float(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def format_bytes(n: float) -> str:
    """``1.5e9`` → ``"1.4 GiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.3g} TiB"  # pragma: no cover


def require_memory(needed: float, what: str, suggestion: str, *, available: float | None = None) -> None:
    """Raise :class:`ResourceError` when ``needed`` bytes exceed the memory available.

    ``what`` names the computation and its parameters, ``suggestion`` how to make it fit."""
    free = available_memory() if available is None else available
    if free is not None and needed > free:
        raise ResourceError(f"{what} needs about {format_bytes(needed)} of memory, but {format_bytes(free)} "
                            f"is available; {suggestion}")
