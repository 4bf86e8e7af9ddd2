"""The figures of a run, each a function of plain arrays that returns a matplotlib Figure built in the
shared style (:mod:`.style`), maps drawn by the shared panel (:func:`.maps.map_panel`).

Maps are ``(ny, nx)`` arrays with an ``extent = (x0, x1, y0, y1)`` in metres.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..errors import InputError
from .maps import map_panel, symmetric_limits
from .style import PAGE_WIDTH, plain_log_ticks, styled, subplots

UM = 1e6


def _map_grid(nrows: int, ncols: int, extent, *, extra_width: float = 1.1):
    """Figure and (nrows, ncols) axes sized so that each map keeps the aspect of ``extent``."""
    aspect = abs(extent[3] - extent[2]) / abs(extent[1] - extent[0])
    panel = (PAGE_WIDTH - extra_width) / ncols
    height = nrows * (panel * aspect + 0.32) + 0.5
    return subplots(nrows, ncols, figsize=(PAGE_WIDTH, height), squeeze=False)


@styled
def state_and_field_grid(rows: list[dict], extent, columns: list[str], *, outlines=(), title: str = ""):
    """Pollok et al., Nat. Commun. 2025, Fig. 4a as a grid: one row per imaging mode, its source map
    in the first column and the field it makes on the NV plane for each NV orientation in the others.

    Each row is a dict: ``name`` (row label), ``source`` (keyword arguments of :func:`map_panel` with
    ``data`` and a ``title``), ``fields`` (one (ny, nx) map in T per entry of ``columns``), ``label``,
    ``unit`` and ``scale`` of the fields. The fields of a row share one symmetric colour range and one
    colour bar; ``outlines`` (:class:`.maps.Outline`) are drawn on every field map and named once below.
    """
    if not rows:
        raise InputError("rows: the grid needs at least one imaging mode")
    fig, axes = _map_grid(len(rows), 1 + len(columns), extent)
    for r, row in enumerate(rows):
        src = dict(row["source"])
        data = src.pop("data")
        map_panel(axes[r, 0], data, extent, **src)
        axes[r, 0].set_ylabel(row["name"], fontweight="bold")
        fields = list(row["fields"])
        if len(fields) != len(columns):
            raise InputError(f"rows[{r}]['fields']: expected {len(columns)} maps (one per column), got {len(fields)}")
        scale = row.get("scale", 1.0)
        lim = symmetric_limits(*(np.asarray(f) * scale for f in fields))
        for c, f in enumerate(fields):
            im = map_panel(axes[r, c + 1], f, extent, kind="signed", vlim=lim, scale=scale, colorbar=False,
                           outlines=outlines, legend=False, scalebar=c == 0, ticks=False,
                           title=columns[c] if r == 0 else None)
        cb = fig.colorbar(im, ax=list(axes[r, 1:]), shrink=0.9, pad=0.02, fraction=0.05)
        cb.set_label(f"{row['label']} ({row['unit']})")
        cb.outline.set_linewidth(0.4)
    if outlines:
        fig.legend(handles=[o.handle() for o in outlines], loc="outside lower center", ncols=len(outlines))
    if title:
        fig.suptitle(title)
    return fig


@styled
def signal_vs_drive(
    b_ext: np.ndarray,
    signals_b: dict[str, np.ndarray],
    j_nominal: np.ndarray,
    signals_j: dict[str, np.ndarray],
    limits: dict[str, float],
) -> Figure:
    """Pollok et al. 2025 Fig. 4b: signal (T) vs applied field (T) and vs nominal current density
    (A/m²), with horizontal detection limits (T). A panel without signals (its mode not imaged) is
    marked so, with no axes: a log axis has nothing to scale."""
    fig, (a, b) = subplots(1, 2, figsize=(PAGE_WIDTH, 2.8))
    for name, s in signals_b.items():
        a.loglog(np.asarray(b_ext) * 1e3, np.asarray(s) * 1e6, "o-", label=name)
    for k, (name, s) in enumerate(signals_j.items()):
        b.loglog(np.asarray(j_nominal) * 0.1, np.asarray(s) * 1e9, "s-", color=f"C{k + 2}", label=name)
    for ax, signals, (unit, factor) in ((a, signals_b, ("µT", 1e6)), (b, signals_j, ("nT", 1e9))):
        if not signals:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "not imaged\n(imaging.modes)", ha="center", va="center", transform=ax.transAxes,
                    color="0.35")
            continue
        for k, (name, lim) in enumerate(limits.items()):
            ax.axhline(lim * factor, ls=("--", ":", "-.")[k % 3], lw=0.9, color="0.35", label=name)
        ax.set_ylabel(f"peak |B| at the NV ({unit})")
        plain_log_ticks(ax)
        ax.grid(True, which="major", alpha=0.25, lw=0.4)
        ax.legend(loc="best")
    a.set_xlabel("applied field $B_\\mathrm{ext}$ (mT)")
    b.set_xlabel("nominal current density (mA cm$^{-2}$)")
    a.set_title("paramagnetic signals")
    b.set_title("Ørsted signal")
    return fig


@styled
def standoff_dependence(standoffs: np.ndarray, profiles: np.ndarray, x: np.ndarray,
                        peak: np.ndarray, resolution: np.ndarray | None = None) -> Figure:
    """Pollok et al. 2025 Fig. 4c: line profiles of the stray field at several standoffs (m), and the
    peak |B| vs standoff (with the feature length if given)."""
    fig, (a, b) = subplots(1, 2, figsize=(PAGE_WIDTH, 2.8))
    cmap = matplotlib.colormaps["viridis"]
    n = len(standoffs)
    for k, (h, prof) in enumerate(zip(standoffs, profiles, strict=True)):
        a.plot(np.asarray(x) * UM, np.asarray(prof) * 1e6, color=cmap(0.9 * k / max(1, n - 1)),
               label=f"{h * 1e9:.0f} nm")
    a.axhline(0.0, color="0.6", lw=0.5)
    a.set_xlabel("x (µm)")
    a.set_ylabel("$B_z$ (µT)")
    a.set_title("line profile through the peak")
    a.legend(title="NV standoff", ncols=2 if n > 4 else 1)
    b.loglog(np.asarray(standoffs) * 1e9, np.asarray(peak) * 1e6, "o-", label="peak |B|")
    if resolution is not None:
        b2 = b.twinx()
        b2.spines["right"].set_visible(True)
        b2.loglog(np.asarray(standoffs) * 1e9, np.asarray(resolution) * 1e9, "s--", color="C1",
                  label="feature length")
        b2.set_ylabel("feature length ‖B‖/‖∇B‖ (nm)")
        plain_log_ticks(b2, "y")
        b.plot([], [], "s--", color="C1", label="feature length (right)")
    b.set_xlabel("standoff (nm)")
    b.set_ylabel("peak |B| (µT)")
    b.set_title("peak field vs standoff")
    plain_log_ticks(b)
    b.grid(True, which="major", alpha=0.25, lw=0.4)
    b.legend(loc="lower left")
    return fig


@styled
def truth_vs_reconstruction(truth, recon, extent, *, title: str, label: str, unit: str,
                            scale: float = 1.0, mask=None, outlines=()) -> Figure:
    """Ground truth, reconstruction and their difference side by side; the first two on the truth's
    colour range (symmetric if signed), the difference on its own symmetric range."""
    truth = np.asarray(truth, dtype=float)
    recon = np.asarray(recon, dtype=float)
    if mask is not None:
        truth = np.where(mask, truth, np.nan)
        recon = np.where(mask, recon, np.nan)
    fig, axes = _map_grid(1, 3, extent, extra_width=1.6)
    axes = axes[0]
    finite = truth[np.isfinite(truth)] * scale
    signed = finite.size and finite.min() < 0 < finite.max()
    lim = symmetric_limits(finite) if signed else ((finite.min(), finite.max()) if finite.size else None)
    kind = "signed" if signed else "positive"
    for k, (ax, data, name) in enumerate(zip(axes[:2], (truth, recon), ("ground truth", "reconstruction"),
                                             strict=True)):
        map_panel(ax, data, extent, kind=kind, vlim=lim, scale=scale, label=label, unit=unit, title=name,
                  colorbar=k == 1, outlines=outlines, legend=False, scalebar=k == 0, ticks=False)
    map_panel(axes[2], recon - truth, extent, kind="signed", scale=scale, label=f"Δ{label}", unit=unit,
              title="reconstruction − truth", outlines=outlines, legend=False, scalebar=False, ticks=False)
    if outlines:
        fig.legend(handles=[o.handle() for o in outlines], loc="outside lower center", ncols=len(outlines))
    fig.suptitle(title)
    return fig
