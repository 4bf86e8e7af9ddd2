"""The figures of a run, each a function of plain arrays that returns a matplotlib Figure.

Maps are ``(ny, nx)`` arrays with an ``extent = (x0, x1, y0, y1)`` in metres; axes are labelled in µm.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

UM = 1e6


def _image(ax, data, extent, *, cmap="viridis", label="", symmetric=False, scale=1.0, unit=""):
    data = np.asarray(data, dtype=float) * scale
    kw = {}
    if symmetric:
        lim = float(np.nanmax(np.abs(data))) or 1.0
        kw = {"vmin": -lim, "vmax": lim}
    x0, x1, y0, y1 = (e * UM for e in extent)
    im = ax.imshow(data, origin="lower", extent=(x0, x1, y0, y1), cmap=cmap, interpolation="nearest", **kw)
    cb = ax.figure.colorbar(im, ax=ax, shrink=0.85, pad=0.02)
    cb.set_label(f"{label} ({unit})" if unit else label)
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    return im


def cell_state_panels(panels: list[dict], extent, title: str = "") -> plt.Figure:
    """A column of map panels, as in seed 000 Fig. 4a.

    Each panel is a dict with keys ``data`` (ny, nx), ``title``, and optional ``cmap``, ``label``,
    ``unit``, ``scale`` (multiplier for display) and ``symmetric``.
    """
    n = len(panels)
    Ly = extent[3] - extent[2]
    Lx = extent[1] - extent[0]
    height = max(1.6, 5.2 * Ly / Lx)
    fig, axes = plt.subplots(n, 1, figsize=(7.2, 0.6 + n * height), squeeze=False)
    for ax, p in zip(axes[:, 0], panels, strict=True):
        _image(ax, p["data"], extent, cmap=p.get("cmap", "viridis"), label=p.get("label", ""),
               symmetric=p.get("symmetric", False), scale=p.get("scale", 1.0), unit=p.get("unit", ""))
        ax.set_title(p["title"], fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def signal_vs_drive(
    b_ext: np.ndarray,
    signals_b: dict[str, np.ndarray],
    j_nominal: np.ndarray,
    signals_j: dict[str, np.ndarray],
    limits: dict[str, float],
) -> plt.Figure:
    """Seed 000 Fig. 4b: signal (T) vs applied field (T) and vs nominal current density (A/m²),
    with horizontal detection limits (T)."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for name, s in signals_b.items():
        a.loglog(np.asarray(b_ext) * 1e3, np.asarray(s), "o-", label=name)
    for name, s in signals_j.items():
        b.loglog(np.asarray(j_nominal) * 0.1, np.asarray(s), "s-", label=name)  # A/m² → mA/cm²
    for ax in (a, b):
        for k, (name, lim) in enumerate(limits.items()):
            ax.axhline(lim, ls="--", lw=1, color=f"C{k + 5}", label=name)
        ax.set_ylabel("signal max |B| (T)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    a.set_xlabel("applied field B_ext (mT)")
    b.set_xlabel("nominal current density (mA cm⁻²)")
    a.set_title("paramagnetic signals vs B_ext")
    b.set_title("Ørsted signal vs current")
    fig.tight_layout()
    return fig


def standoff_dependence(standoffs: np.ndarray, profiles: np.ndarray, x: np.ndarray,
                        peak: np.ndarray, resolution: np.ndarray | None = None) -> plt.Figure:
    """Seed 000 Fig. 4c: line profiles of the stray field at several standoffs (m), and the peak
    |B| vs standoff (with the edge width if given)."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    cmap = plt.get_cmap("plasma")
    for k, (h, prof) in enumerate(zip(standoffs, profiles, strict=True)):
        a.plot(np.asarray(x) * UM, np.asarray(prof) * 1e6, color=cmap(k / max(1, len(standoffs) - 1)),
               label=f"{h * 1e9:.0f} nm")
    a.set_xlabel("x (µm)")
    a.set_ylabel("B (µT)")
    a.set_title("line profile vs NV standoff")
    a.legend(fontsize=8)
    b.loglog(np.asarray(standoffs) * 1e9, np.asarray(peak) * 1e6, "o-", label="peak |B| (µT)")
    if resolution is not None:
        b2 = b.twinx()
        b2.loglog(np.asarray(standoffs) * 1e9, np.asarray(resolution) * 1e9, "s--", color="C3",
                  label="feature length (nm)")
        b2.set_ylabel("feature length (nm)")
        b2.legend(loc="lower left", fontsize=8)
    b.set_xlabel("standoff (nm)")
    b.set_ylabel("peak |B| (µT)")
    b.grid(True, which="both", alpha=0.3)
    b.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def truth_vs_reconstruction(truth, recon, extent, *, title: str, label: str, unit: str,
                            scale: float = 1.0, mask=None) -> plt.Figure:
    """Ground truth, reconstruction and their difference side by side."""
    truth = np.asarray(truth, dtype=float)
    recon = np.asarray(recon, dtype=float)
    if mask is not None:
        truth = np.where(mask, truth, np.nan)
        recon = np.where(mask, recon, np.nan)
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
    signed = np.nanmin(truth) < 0 < np.nanmax(truth)
    # a signed quantity (J) on a diverging map centred at zero; a positive one (x) on a sequential
    # map with the truth's range, so the reconstruction is read on the same scale
    lo, hi = ((-np.nanmax(np.abs(truth)), np.nanmax(np.abs(truth))) if signed
              else (np.nanmin(truth), np.nanmax(truth)))
    for ax, data, name in zip(axes[:2], (truth, recon), ("ground truth", "reconstruction"), strict=True):
        im = _image(ax, data, extent, cmap="RdBu_r" if signed else "viridis", label=label, scale=scale, unit=unit)
        if np.isfinite(lo) and np.isfinite(hi) and hi > lo:
            im.set_clim(lo * scale, hi * scale)
        ax.set_title(name, fontsize=10)
    _image(axes[2], recon - truth, extent, cmap="RdBu_r", label=f"Δ{label}", symmetric=True, scale=scale, unit=unit)
    axes[2].set_title("reconstruction − truth", fontsize=10)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
