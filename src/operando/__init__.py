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


def view(path_or_run, **kwargs):
    """Open a run folder, a run or a fit result in the interactive viewer: see :func:`operando.viewer.view`."""
    from .viewer import view as _view

    return _view(path_or_run, **kwargs)


def run(config, **kwargs):
    """Run an experiment from Python: see :func:`operando.pipeline.api.run`."""
    from .pipeline.api import run as _run

    return _run(config, **kwargs)


def sweep(config, over, **kwargs):
    """Run an experiment at every point of a grid of configuration values on dask.distributed: see
    :func:`operando.pipeline.sweep.sweep`."""
    from .pipeline.sweep import sweep as _sweep

    return _sweep(config, over, **kwargs)

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
    "run",
    "sweep",
    "view",
]
