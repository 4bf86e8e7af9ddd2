"""operando: operando imaging of solid-state batteries.

A digital twin (cell → electrochemistry → magnetic fields → NV signal) and an analysis suite
(ODMR fitting → field maps → current, magnetization and state-of-charge reconstruction) that share
one code path, so every reconstruction can be checked against a simulated ground truth.
"""

from ._version import __version__
from .errors import (
    ConvergenceError,
    DataFileError,
    GeometryError,
    InputError,
    OperandoError,
    UnitError,
    UnknownMaterialError,
)
from .grid import Grid

__all__ = [
    "ConvergenceError",
    "DataFileError",
    "GeometryError",
    "Grid",
    "InputError",
    "OperandoError",
    "UnitError",
    "UnknownMaterialError",
    "__version__",
]
