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


def plot_cell(
    cell: Cell, ax=None, *, layer: int | None = None, mark_buried: bool = True, legend: bool = True
):
    """Draw the phases of z-layer ``layer`` (default: the top, z = 0) of ``cell`` on ``ax``.

    Buried features (particles in ``attrs["buried_particles"]`` and a buried dendrite) are
    outlined with a dashed contour using the full-depth projection; axes are in µm.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 7 * cell.grid.ny / max(cell.grid.nx, 1) + 1))
    k = cell.grid.nz - 1 if layer is None else int(layer)
    names = cell.phase_names
    colours = [PHASE_COLOURS.get(n, f"C{i}") for i, n in enumerate(names)]
    index = {n: i for i, n in enumerate(names)}
    lut = np.zeros(max(cell.phases) + 1 - min(min(cell.phases), 0), int)
    off = -min(min(cell.phases), 0)
    for lab, name in cell.phases.items():
        lut[lab + off] = index[name]
    img = lut[cell.labels[k].astype(np.int64) + off]
    g = cell.grid
    um = 1e6
    extent = [
        (g.x[0] - g.dx / 2) * um,
        (g.x[-1] + g.dx / 2) * um,
        (g.y[0] - g.dy / 2) * um,
        (g.y[-1] + g.dy / 2) * um,
    ]
    ax.imshow(
        img,
        origin="lower",
        extent=extent,
        cmap=ListedColormap(colours),
        vmin=-0.5,
        vmax=len(names) - 0.5,
        interpolation="nearest",
    )
    handles = [
        Patch(color=PHASE_COLOURS.get(n, f"C{i}"), label=n)
        for i, n in enumerate(names)
        if (cell.labels == cell.labels_of(n)[0]).any()
    ]
    if mark_buried:
        buried = cell.buried_mask().any(axis=0)
        if buried.any():
            ax.contour(
                g.x * um,
                g.y * um,
                buried.astype(float),
                levels=[0.5],
                colors="k",
                linestyles="--",
                linewidths=1.2,
            )
            depth = cell.attrs.get("cap_thickness", 0.0) * 1e9
            handles.append(
                Patch(
                    facecolor="none",
                    edgecolor="k",
                    linestyle="--",
                    label=f"buried ({depth:.0f} nm below surface)",
                )
            )
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_aspect("equal")
    where = "top layer (z = 0)" if k == g.nz - 1 else f"layer {k}"
    ax.set_title(f"cell phases, {where}")
    if legend:
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
        )
    return ax
