"""One map panel for every image operando draws: ``imshow`` on an extent in physical units, the
colour map chosen by the kind of quantity (signed → diverging with a symmetric range ±max|v|,
positive → sequential, categorical → named colours with a legend instead of a colour bar), a scale
bar, and phase outlines (electrodes, dendrite) drawn as contours on top.

Maps are ``(ny, nx)`` arrays, row 0 at the bottom (``origin="lower"``), with an extent
``(x0, x1, y0, y1)`` in metres. ``matplotlib_scalebar`` would draw the bar but is not a dependency;
:class:`mpl_toolkits.axes_grid1.anchored_artists.AnchoredSizeBar` ships with matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._checks import as_float_array
from ..errors import InputError
from . import style

KINDS = ("auto", "signed", "positive", "categorical")


@dataclass(frozen=True)
class Outline:
    """A phase drawn as its boundary: ``mask`` (ny, nx) bool, its legend ``label``, line style."""

    mask: np.ndarray
    label: str
    color: str = "k"
    linestyle: str = "-"
    linewidth: float = 0.6
    extra: dict = field(default_factory=dict)

    def handle(self):
        from matplotlib.lines import Line2D

        return Line2D([], [], color=self.color, linestyle=self.linestyle, linewidth=self.linewidth,
                      label=self.label)


def length_unit(length: float) -> tuple[str, float]:
    """(name, factor from metres) of the unit in which a length (m) reads best: nm, µm or mm."""
    if length < 2e-6:
        return "nm", 1e9
    if length < 5e-3:
        return "µm", 1e6
    return "mm", 1e3


def nice_length(width: float, fraction: float = 0.2) -> float:
    """The 1-2-5 × 10^k length (m) nearest below ``fraction`` of ``width`` (m), for a scale bar."""
    target = float(width) * fraction
    if not target > 0:
        raise InputError(f"width: must be > 0 m, got {width!r}")
    decade = 10.0 ** np.floor(np.log10(target))
    return float(max(m for m in (1.0, 2.0, 5.0) if m * decade <= target * (1 + 1e-9)) * decade)


def symmetric_limits(*arrays) -> tuple[float, float]:
    """(−m, m) with m the largest finite |value| of all ``arrays`` (1 if none is non-zero)."""
    m = max((float(np.nanmax(np.abs(a))) for a in arrays if np.isfinite(a).any()), default=0.0)
    m = m if m > 0 else 1.0
    return -m, m


def kind_of(data) -> str:
    """"signed" when the finite values straddle zero, else "positive"."""
    finite = data[np.isfinite(data)]
    return "signed" if finite.size and finite.min() < 0 < finite.max() else "positive"


def field_unit(values) -> tuple[str, float]:
    """(name, factor from tesla) in which a field map (T) reads best: T, mT, µT, nT or pT."""
    finite = np.abs(np.asarray(values, dtype=float))
    m = float(np.nanmax(finite)) if np.isfinite(finite).any() else 1.0
    for name, factor in (("T", 1.0), ("mT", 1e3), ("µT", 1e6), ("nT", 1e9)):
        if m * factor >= 1.0:
            return name, factor
    return "pT", 1e12


def _extent_in(extent, factor):
    return tuple(float(e) * factor for e in extent)


def add_scale_bar(ax, extent, *, color="k", loc="lower right"):
    """Draw a 1-2-5 scale bar of about a fifth of the map width; returns its length (m)."""
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    width = abs(extent[1] - extent[0])
    length = nice_length(width)
    name, factor = length_unit(width)
    bar = AnchoredSizeBar(ax.transData, length * factor, f"{length * factor:g} {name}", loc, pad=0.15,
                          borderpad=0.3, sep=1.5, frameon=True, color=color, size_vertical=0,
                          fontproperties={"size": style.STYLE["xtick.labelsize"]})
    bar.patch.set(facecolor="white", alpha=0.75, edgecolor="none")  # readable on dark and light maps
    bar.length_m = length
    ax.add_artist(bar)
    return length


def map_panel(ax, data, extent, *, kind: str = "auto", label: str = "", unit: str = "", scale: float = 1.0,
              vlim: tuple[float, float] | None = None, cmap: str | None = None,
              categories: Mapping[str, str] | Sequence[tuple[str, str]] | None = None, named=None,
              outlines: Sequence[Outline] = (), colorbar: bool = True, legend: str | bool = "right",
              scalebar: bool = True, ticks: bool | None = None, title: str | None = None,
              aspect: str = "equal", origin: str = "lower"):
    """Draw one map on ``ax``; returns the AxesImage (its colour bar, if any, as ``image.colorbar``).

    ``data`` (ny, nx) in SI, shown times ``scale`` (e.g. 1e6 for µT) in ``unit``; ``extent``
    (x0, x1, y0, y1) in m, or None for axes in pixels (no scale bar); ``origin`` "lower" puts row 0
    at the bottom (maps), "upper" at the top (camera frames).
    ``kind``: "signed" (diverging, symmetric ±max|v| unless ``vlim``), "positive" (sequential),
    "categorical" (``data`` holds integer codes 0…n−1 of ``categories``, name → colour, NaN undrawn;
    a legend of the codes present, or of the codes ``named``, replaces the colour bar) or "auto"
    (signed when the values straddle zero). ``outlines`` are contoured over the map and named in the
    legend (``legend``: "right", "below" or False); with ``scalebar`` the axes carry a scale bar and,
    unless ``ticks``, no ticks.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    if kind not in KINDS:
        raise InputError(f"kind: expected one of {KINDS}, got {kind!r}")
    values = as_float_array("data", data, ndim=2, finite=False) * scale
    if extent is None:
        name, shown, scalebar = "pixel", None, False
        outlines = ()
    else:
        name, factor = length_unit(abs(extent[1] - extent[0]))
        shown = _extent_in(extent, factor)
    handles = []
    if kind == "auto":
        kind = kind_of(values)
    if kind == "categorical":
        if not categories:
            raise InputError("categories: a categorical map needs the names and colours of its codes")
        pairs = list(categories.items() if isinstance(categories, Mapping) else categories)
        codes = values[np.isfinite(values)]
        if codes.size and (codes.min() < 0 or codes.max() > len(pairs) - 1 or np.any(codes % 1)):
            raise InputError(f"data: a categorical map holds integer codes 0…{len(pairs) - 1}, "
                             f"got values in [{codes.min():g}, {codes.max():g}]")
        im = ax.imshow(values, extent=shown, origin=origin, interpolation="nearest", aspect=aspect,
                       cmap=ListedColormap([c for _, c in pairs]), vmin=-0.5, vmax=len(pairs) - 0.5)
        present = set(np.unique(codes if named is None else named).astype(int).tolist())
        handles = [Patch(facecolor=c, edgecolor="0.3", linewidth=0.4, label=n)
                   for k, (n, c) in enumerate(pairs) if k in present]
        colorbar = False
    else:
        if vlim is None:
            finite = values[np.isfinite(values)]
            vlim = (symmetric_limits(values) if kind == "signed"
                    else (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
        cmap = cmap or (style.CMAP_SIGNED if kind == "signed" else style.CMAP_POSITIVE)
        im = ax.imshow(values, extent=shown, origin=origin, interpolation="nearest", aspect=aspect,
                       cmap=cmap, vmin=vlim[0], vmax=vlim[1])
        if colorbar:
            # an inset keeps the bar exactly as tall as the map, whatever the map's aspect
            cb = ax.figure.colorbar(im, cax=ax.inset_axes([1.03, 0.0, 0.045, 1.0]))
            cb.set_label(f"{label} ({unit})" if unit else label)
            cb.outline.set_linewidth(0.4)
    for o in outlines:
        draw_outline(ax, o, extent, values.shape)
        handles.append(o.handle())
    if legend == "below" and handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), borderaxespad=0.0,
                  handlelength=1.2, ncols=len(handles), columnspacing=0.8)
    elif legend and handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                  handlelength=1.2)
    if scalebar:
        add_scale_bar(ax, extent)
    if ticks if ticks is not None else not scalebar:
        ax.set_xlabel(f"x ({name})")
        ax.set_ylabel(f"y ({name})")
        if extent is None:
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    for spine in ax.spines.values():  # a map is framed on all four sides
        spine.set_visible(True)
    if title is not None:
        ax.set_title(title)
    return im


def draw_outline(ax, outline: Outline, extent, shape) -> None:
    """Contour the boundary of ``outline.mask`` (shape ``shape``) on a map of ``extent`` (m)."""
    mask = np.asarray(outline.mask, dtype=float)
    if mask.shape != tuple(shape):
        raise InputError(f"outline {outline.label!r}: mask shape {mask.shape} differs from the map's {shape}")
    if not (mask.any() and not mask.all()):
        return
    _, factor = length_unit(abs(extent[1] - extent[0]))
    ny, nx = shape
    x0, x1, y0, y1 = _extent_in(extent, factor)
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx  # pixel centres
    ys = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    ax.contour(xs, ys, mask, levels=[0.5], colors=[outline.color], linestyles=[outline.linestyle],
               linewidths=[outline.linewidth], **outline.extra)
