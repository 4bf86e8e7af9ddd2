"""End-to-end runs: validated configurations, cached stages, the claims of the papers, the report.

:func:`run` (also ``operando.run``) runs an experiment from Python and returns a :class:`Run`;
``operando run config.toml`` does the same from the command line.
"""

from .api import Run, run
from .config import ConfigError, RunConfig
from .run import RunResult, run_experiment

__all__ = ["ConfigError", "Run", "RunConfig", "RunResult", "run", "run_experiment"]
