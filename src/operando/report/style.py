"""One matplotlib style for every figure operando draws: journal-sized fonts, thin lines, inward
ticks, a colour-blind-safe colour cycle (Okabe & Ito, "Color Universal Design", 2008), PNG at a
fixed dpi with a tight bounding box so that no legend or colour bar is cut off.

Figure functions are wrapped in :func:`styled` (or use ``with paper_style():``), which applies the
style while the figure is built and leaves the caller's rcParams untouched. A matplotlib style
sheet (``.mplstyle``) would need a data file and a path lookup; a dict of rcParams is the same thing
in code.
"""

from __future__ import annotations

import functools

import matplotlib as mpl
import numpy as np
from matplotlib import cycler  # re-exported by matplotlib, its dependency

#: Okabe–Ito palette, ordered so that the first colours are distinguishable by every common form of
#: colour-vision deficiency and in grey scale
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

#: colour maps by kind of quantity: signed (zero is white), positive (perceptually uniform,
#: monotonic in lightness), grey (attenuation, MR magnitude)
CMAP_SIGNED = "RdBu_r"
CMAP_POSITIVE = "viridis"
CMAP_GREY = "gray"

#: resolution of saved PNGs (dots per inch); figure sizes below are in inches for a 180 mm page
DPI = 150
PAGE_WIDTH = 7.1

STYLE = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs on every machine
    "font.size": 8.0,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 7.0,
    "legend.frameon": False,
    "figure.titlesize": 9.5,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "axes.prop_cycle": cycler(color=list(OKABE_ITO)),
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": CMAP_POSITIVE,
    "image.interpolation": "nearest",
    "image.origin": "lower",
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,  # TrueType in PDF: editable text in the journal's tools
}


def paper_style():
    """Context manager applying :data:`STYLE` (restores the previous rcParams on exit)."""
    return mpl.rc_context(STYLE)


def apply_style() -> None:
    """Apply :data:`STYLE` for the rest of the session (e.g. at the top of a notebook)."""
    mpl.rcParams.update(STYLE)


def styled(make):
    """Decorator: build the figure of ``make`` under :func:`paper_style`."""

    @functools.wraps(make)
    def wrapper(*args, **kwargs):
        with paper_style():
            return make(*args, **kwargs)

    return wrapper



def figure(**kwargs):
    """A matplotlib Figure that pyplot does not manage: drawing it never needs a GUI backend, is safe
    in worker threads, and leaves the user's backend (Jupyter's inline one) as it is; it closes when
    its last reference goes. ``kwargs`` as for ``matplotlib.figure.Figure``."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, layout=None, dpi=None, **kwargs):
    """``(figure, axes)`` as ``pyplot.subplots`` gives them, on a :func:`figure`."""
    fig = figure(figsize=figsize, layout=layout, dpi=dpi)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def plain_log_ticks(ax, axis: str = "both") -> None:
    """Log-axis ticks labelled as plain numbers (50, 200 instead of 5×10¹), no minor labels; at
    1, 2, 5 × 10^k when the axis spans up to two and a half decades, at 10^k beyond."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for a in ((ax.xaxis, ax.yaxis) if axis == "both" else (getattr(ax, f"{axis}axis"),)):
        lo, hi = sorted(a.get_view_interval())
        narrow = lo > 0 and np.log10(hi / lo) <= 2.5
        a.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if narrow else (1.0,)))
        a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        a.set_minor_formatter(NullFormatter())
