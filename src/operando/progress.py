"""Progress reporting for long runs: one helper so every stage shows progress the same way."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress_enabled() -> bool:
    """Progress bars show on an interactive terminal unless OPERANDO_PROGRESS=0."""
    env = os.environ.get("OPERANDO_PROGRESS")
    if env is not None:
        return env not in ("0", "false", "no", "")
    return sys.stderr.isatty()


def progress(iterable: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """Wrap ``iterable`` in a progress bar (a no-op when progress is disabled)."""
    return iter(tqdm(iterable, desc=desc, total=total, unit=unit, disable=not progress_enabled(),
                     leave=False, dynamic_ncols=True))


def progress_bar(*, desc: str, total: float | None = None, unit: str = "it"):
    """A manual progress bar (use ``bar.update(n)``; close with a ``with`` block)."""
    return tqdm(desc=desc, total=total, unit=unit, disable=not progress_enabled(), leave=False,
                dynamic_ncols=True)
