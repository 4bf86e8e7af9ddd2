"""Cell builder: labelled voxel microstructures of Li | LLZO | LixCoO2 cells.

>>> from operando.cell import presets
>>> cell = presets.pollok2025()            # Pollok et al., Nat. Commun. 2025, Fig. 4a cross-section, 2-D
>>> cell.mask("lco").mean(), cell.property_map("electronic_conductivity").max()
"""

from __future__ import annotations

from . import metrics, plating, presets, symmetric
from .build import CellSpec, build_cell
from .cell import DEFAULT_MATERIALS, LABEL, PHASES, Cell
from .importer import from_labels, read_volume
from .vtk import read_vtk, write_vtk


def plot_cell(cell, ax=None, **kwargs):
    """Plot the phases of a cell (top layer) with buried features marked; returns the axes."""
    from .plot import plot_cell as _plot

    return _plot(cell, ax=ax, **kwargs)


__all__ = [
    "DEFAULT_MATERIALS",
    "LABEL",
    "PHASES",
    "Cell",
    "CellSpec",
    "build_cell",
    "from_labels",
    "metrics",
    "plating",
    "plot_cell",
    "presets",
    "read_volume",
    "read_vtk",
    "symmetric",
    "write_vtk",
]
