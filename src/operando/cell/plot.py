"""Figure of a cell: phase map of the top voxel layer with buried features outlined."""

from __future__ import annotations

import numpy as np

from .cell import Cell

#: Colour of each standard phase.
PHASE_COLOURS = {
    "void": "#ffffff",
    "li_metal": "#9e9e9e",
    "llzo": "#cfe3f5",
    "llzo_gb": "#5b8db8",
    "lco": "#2e6b3a",
    "dendrite": "#e0301e",
    "collector": "#d4a017",
    "cap": "#f3e6c8",
    "inclusion": "#ff8c1a",
}


def phase_codes(cell: Cell, labels) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Categorical codes of ``labels`` (any shape): the index of each voxel's phase in
    ``cell.phase_names``, and the (name, colour) of each code, for :func:`operando.report.maps.map_panel`."""
    names = cell.phase_names
    index = {n: i for i, n in enumerate(names)}
    off = -min(min(cell.phases), 0)
    lut = np.zeros(max(cell.phases) + 1 + off, int)
    for lab, name in cell.phases.items():
        lut[lab + off] = index[name]
    codes = lut[np.asarray(labels).astype(np.int64) + off]
    return codes, [(n, PHASE_COLOURS.get(n, f"C{i}")) for i, n in enumerate(names)]


def plot_cell(
    cell: Cell, ax=None, *, layer: int | None = None, mark_buried: bool = True, legend: bool = True
):
    """Draw the phases of z-layer ``layer`` (default: the top, z = 0) of ``cell`` on ``ax``.

    A categorical map (one colour per phase, a legend naming the phases present instead of a colour
    bar, a scale bar in µm); buried features (particles in ``attrs["buried_particles"]`` and a buried
    dendrite) are outlined with a dashed contour of the full-depth projection.
    """
    from ..report.maps import Outline, map_panel
    from ..report.style import paper_style, subplots

    with paper_style():
        if ax is None:
            _, ax = subplots(figsize=(5.5, 5.5 * cell.grid.ny / max(cell.grid.nx, 1) + 0.6))
        k = cell.grid.nz - 1 if layer is None else int(layer)
        g = cell.grid
        extent = (g.x[0] - g.dx / 2, g.x[-1] + g.dx / 2, g.y[0] - g.dy / 2, g.y[-1] + g.dy / 2)
        outlines = []
        if mark_buried:
            depth = cell.attrs.get("cap_thickness", 0.0) * 1e9
            outlines.append(Outline(cell.buried_mask().any(axis=0), f"buried ({depth:.0f} nm below surface)",
                                    linestyle="--", linewidth=1.0))
        codes, categories = phase_codes(cell, cell.labels[k])
        # the legend names every phase of the volume, also those only below this layer
        everywhere = np.unique(phase_codes(cell, np.unique(cell.labels))[0])
        map_panel(ax, codes, extent, kind="categorical", outlines=[o for o in outlines if o.mask.any()],
                  categories=categories, named=everywhere, legend="right" if legend else False, ticks=True)
        where = "top layer (z = 0)" if k == g.nz - 1 else f"layer {k}"
        ax.set_title(f"cell phases, {where}")
    return ax

