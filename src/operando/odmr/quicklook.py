"""Figures to inspect a fit: any pixel's spectrum with its fitted curve (:func:`plot_pixel`) and a
quick-look page (:func:`quicklook_figure`): the field map, its uncertainty, the reduced χ², the
converged mask, and the spectra of the best, median and worst pixels (ranked by reduced χ²)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .dataset import SIGNAL
from .models import DipModel
from .result import model_from_attrs
from .summary import field_variable


def _sweep_models(result: xr.Dataset):
    """(model, parameter names, (f_min, f_max) Hz or None) for each sweep of a fit result."""
    attrs = result.attrs
    sweeps = attrs.get("sweeps")
    if not sweeps:
        model = model_from_attrs(attrs)
        return [(model, list(model.names), None)]
    per = int(attrs["n_dips"]) // len(sweeps)
    hf = None if attrs.get("hyperfine", "None") == "None" else attrs["hyperfine"]
    shared = bool(attrs.get("shared_width", 0))
    out = []
    for k in range(len(sweeps)):
        lines = range(k * per, (k + 1) * per)
        widths = [f"width_{k}"] if shared else [f"width_{i}" for i in lines]
        names = [f"f0_{i}" for i in lines] + widths + [f"contrast_{i}" for i in lines] + [f"baseline_{k}"]
        span = tuple(attrs["sweep_ranges_hz"][k])
        out.append((DipModel(per, attrs.get("model_shape", "lorentzian"), shared, hf), names, span))
    return out


def pixel_curves(result: xr.Dataset, data: xr.Dataset, y: int, x: int):
    """[(frequency (m,) Hz, measured (m,), fitted (m,))] for each sweep at pixel index (y, x)."""
    spectrum = np.asarray(data[SIGNAL].isel(y=y, x=x).values, dtype=np.float64)
    f_all = data["frequency"].values
    out = []
    for model, names, sweep in _sweep_models(result):
        sel = np.ones(f_all.size, bool) if sweep is None else (f_all >= sweep[0]) & (f_all <= sweep[1])
        p = np.array([[float(result[n].values[y, x]) for n in names]])
        f = f_all[sel]
        fitted = model.simulate(f, p)[0] if np.all(np.isfinite(p)) else np.full(f.size, np.nan)
        out.append((f, spectrum[sel], fitted))
    return out


def plot_pixel(result: xr.Dataset, data: xr.Dataset, y: int, x: int, ax=None, *, title=None):
    """Plot pixel (y, x)'s spectrum (dots) and its fit (line), one axis per sweep; returns the axes."""
    import matplotlib.pyplot as plt

    curves = pixel_curves(result, data, y, x)
    if ax is None:
        _, ax = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3), squeeze=False)
        axes = list(ax[0])
    else:
        axes = [ax] if len(curves) == 1 else _split(ax, len(curves))
    reason = int(result["reason"].values[y, x])
    codes = result.attrs.get("reason_codes", {})
    label = title or f"pixel (y={y}, x={x}): {codes.get(str(reason), reason)}"
    for a, (f, meas, fitted) in zip(axes, curves, strict=True):
        a.plot(f / 1e9, meas, ".", ms=3, color="0.4", label="data")
        a.plot(f / 1e9, fitted, "-", color="C3", lw=1.2, label="fit")
        a.set_xlabel("frequency (GHz)")
    axes[0].set_ylabel(data[SIGNAL].attrs.get("units", "signal"))
    axes[0].set_title(label, fontsize=8, loc="left")
    axes[0].legend(fontsize=7, frameon=False)
    return axes


def _split(ax, n):
    fig = ax.figure
    spec = ax.get_subplotspec().subgridspec(1, n, wspace=0.05)
    ax.remove()
    axes = [fig.add_subplot(spec[0, k]) for k in range(n)]
    for a in axes[1:]:
        a.tick_params(labelleft=False)
    return axes


def ranked_pixels(result: xr.Dataset) -> dict[str, tuple[int, int]]:
    """Pixel indices of the best, median and worst fits by reduced χ² (fitted pixels only)."""
    chi2 = np.asarray(result["reduced_chi2"].values, dtype=np.float64)
    flat = np.flatnonzero(np.isfinite(chi2.ravel()))
    if flat.size == 0:
        return {}
    order = flat[np.argsort(chi2.ravel()[flat])]
    picks = {"best": order[0], "median": order[order.size // 2], "worst": order[-1]}
    return {k: tuple(int(i) for i in np.unravel_index(v, chi2.shape)) for k, v in picks.items()}


def quicklook_figure(result: xr.Dataset, data: xr.Dataset, path) -> str:
    """Write the quick-look PNG of a fit to ``path``; returns the path."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    name = field_variable(result)
    fig = plt.figure(figsize=(15, 7.5), layout="constrained")
    grid = fig.add_gridspec(2, 12)
    maps = [
        (name, "field (T)", "RdBu_r"),
        (f"{name}_err", "uncertainty (T)", "viridis"),
        ("reduced_chi2", "reduced chi2", "magma"),
        ("converged", "converged", "gray"),
    ]
    for k, (var, label, cmap) in enumerate(maps):
        ax = fig.add_subplot(grid[0, 3 * k : 3 * k + 3])
        if var is None or var not in result:
            ax.set_axis_off()
            continue
        img = np.asarray(result[var].values, dtype=np.float64)
        finite = img[np.isfinite(img)]
        lim = np.percentile(finite, [1, 99]) if finite.size else (0, 1)
        if var == "converged":
            lim = (0.0, 1.0)
        elif var == name and finite.size:  # diverging map centred on the median field
            mid = np.median(finite)
            half = max(abs(lim[1] - mid), abs(mid - lim[0]), 1e-12)
            lim = (mid - half, mid + half)
        im = ax.imshow(img, cmap=cmap, vmin=lim[0], vmax=lim[1], origin="upper", interpolation="nearest")
        ax.set_title(f"{var}: {label}", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    for k, (which, (iy, ix)) in enumerate(ranked_pixels(result).items()):
        ax = fig.add_subplot(grid[1, 4 * k : 4 * k + 4])
        chi2 = float(result["reduced_chi2"].values[iy, ix])
        plot_pixel(result, data, iy, ix, ax, title=f"{which} pixel (y={iy}, x={ix}), reduced chi2 {chi2:.3g}")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return str(path)
