"""Exceptions raised by operando.

Every error names the parameter, the offending value and what would have been valid, so that a
user can fix the input without reading the source.
"""


class OperandoError(Exception):
    """Base class of all operando-specific errors."""


class InputError(OperandoError, ValueError):
    """A parameter has a wrong value, shape, unit or type of content."""


class UnitError(InputError):
    """A quantity has no unit, or a unit of the wrong dimension."""


class UnknownMaterialError(OperandoError, KeyError):
    """A material name is not in the registry."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class GeometryError(InputError):
    """A geometry cannot be built (impossible sizes, packing, overlaps)."""


class DataFileError(OperandoError, OSError):
    """A data file is missing, truncated, corrupted or lacks expected content."""


class ConvergenceError(OperandoError, RuntimeError):
    """An iterative solver did not converge."""


class OutputError(OperandoError, OSError):
    """A result cannot be written: read-only location, full disk, a file where a folder is needed,
    or a folder in use by another run. Earlier results at that place are left intact."""


class ResourceError(OperandoError, MemoryError):
    """A computation would need more memory than the machine has available."""
