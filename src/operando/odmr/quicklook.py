"""Figures to inspect a fit: any pixel's spectrum with its fitted curve (:func:`plot_pixel`) and a
quick-look page (:func:`quicklook_figure`): the field map, its uncertainty, the reduced χ² (residual
variance over each spectrum's noise variance), the converged mask, and the spectra of the best,
median and worst pixels (ranked by reduced χ²)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..report.maps import field_unit, kind_of, map_panel
from ..report.style import DPI, PAGE_WIDTH, styled
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


@styled
def plot_pixel(result: xr.Dataset, data: xr.Dataset, y: int, x: int, ax=None, *, title=None):
    """Plot pixel (y, x)'s spectrum (dots) and its fit (line), one axis per sweep; returns the axes."""
    import matplotlib.pyplot as plt  # called by a user: the figure shows where pyplot figures show

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
        a.plot(f / 1e9, meas, ".", ms=2.5, color="0.45", label="data")
        a.plot(f / 1e9, fitted, "-", color="C3", lw=1.0, label="fit")
        a.set_xlabel("frequency (GHz)")
    unit = data[SIGNAL].attrs.get("units", "")
    axes[0].set_ylabel("signal (normalised)" if unit in ("", "1") else f"signal ({unit})")
    axes[0].set_title(label, loc="left")
    axes[0].legend()
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


#: colours of the converged mask (Okabe–Ito vermillion and bluish green)
CONVERGED_CATEGORIES = {"not converged": "#D55E00", "converged": "#009E73"}


def _robust_limits(img: np.ndarray, signed: bool) -> tuple[float, float] | None:
    """Colour limits that one hot pixel cannot stretch: ±(99th percentile of |v|) for a signed map,
    the 1st–99th percentiles otherwise."""
    finite = img[np.isfinite(img)]
    if not finite.size:
        return None
    if signed:
        m = float(np.percentile(np.abs(finite), 99)) or 1.0
        return -m, m
    lo, hi = np.percentile(finite, [1, 99])
    return float(lo), float(hi if hi > lo else lo + 1.0)


def _map_extent(result: xr.Dataset):
    """(x0, x1, y0, y1) in m when the map's coordinates are in metres, else None (pixels)."""
    if result["x"].attrs.get("units") != "m" or result.sizes["x"] < 2 or result.sizes["y"] < 2:
        return None
    x, y = result["x"].values, result["y"].values
    dx, dy = x[1] - x[0], y[1] - y[0]
    return (x[0] - dx / 2, x[-1] + dx / 2, y[0] - dy / 2, y[-1] + dy / 2)


def _map_or_note(ax, result: xr.Dataset, var: str, label: str, unit: str, signed_ok: bool, extent) -> None:
    """One map panel of the quick-look page, or a note where it holds no finite value (no pixel
    converged): a blank map with a meaningless 0–1 colour bar would say nothing."""
    img = np.asarray(result[var].values, dtype=np.float64)
    if not np.isfinite(img).any():
        ax.text(0.5, 0.5, "no pixel converged", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(f"{var}: {label}", loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_box_aspect(img.shape[0] / img.shape[1])  # the size the map would have
        return
    kind = kind_of(img) if signed_ok else "positive"
    factor = 1.0
    if unit == "T":
        unit, factor = field_unit(img)
    lim = _robust_limits(img * factor, kind == "signed")
    image = map_panel(ax, img, extent, kind=kind, vlim=lim, scale=factor, label=label, unit=unit,
                      title=f"{var}: {label}", origin="upper")
    bar = getattr(image, "colorbar", None)
    if bar is not None:  # an offset label ("1e−5") above a colour bar collides with the next title
        bar.formatter = _plain_formatter()
        bar.update_ticks()


def _plain_formatter():
    from matplotlib.ticker import ScalarFormatter

    fmt = ScalarFormatter(useOffset=False)
    fmt.set_scientific(False)
    return fmt


@styled
def quicklook_figure(result: xr.Dataset, data: xr.Dataset, path) -> str:
    """Write the quick-look PNG of a fit to ``path``; returns the path.

    Top: the field map (diverging and symmetric about zero when it changes sign), its uncertainty
    and the reduced χ² (sequential), and the converged mask (categorical, with a legend); camera
    orientation (row 0 at the top); only the maps the result holds, a note on a map no pixel
    converged in. Bottom: the best, median and worst pixels by reduced χ² (none when no pixel
    was fitted).
    """
    from ..report.style import figure

    name = field_variable(result)
    extent = _map_extent(result)
    maps = [(var, label, unit) for var, label, unit in
            ((name, "field", "T"), (f"{name}_err", "uncertainty", "T"), ("reduced_chi2", "reduced χ²", ""))
            if var is not None and var in result]
    picks = ranked_pixels(result)
    # the map row as tall as its maps (a wide map leaves no gap above the spectra), plus titles
    aspect = float(np.clip(result.sizes["y"] / max(result.sizes["x"], 1), 0.2, 2.0))
    heights = [PAGE_WIDTH * 1.6 / (len(maps) + 1) * aspect + 0.8] + ([PAGE_WIDTH * 0.4] if picks else [])
    fig = figure(figsize=(PAGE_WIDTH * 1.6, sum(heights)), layout="constrained")
    rows = fig.subfigures(len(heights), 1, squeeze=False, height_ratios=heights)[:, 0]
    top = rows[0].subplots(1, len(maps) + 1, squeeze=False)[0]
    for ax, (var, label, unit) in zip(top, maps, strict=False):
        _map_or_note(ax, result, var, label, unit, var == name, extent)
    converged = np.asarray(result["converged"].values, dtype=float)
    map_panel(top[-1], converged, extent, kind="categorical", categories=CONVERGED_CATEGORIES, legend="below",
              title=f"converged: {int(converged.sum())} of {converged.size} pixels", origin="upper")
    if picks:
        bottom = rows[1].subplots(1, len(picks), squeeze=False)[0]
        for ax, (which, (iy, ix)) in zip(bottom, picks.items(), strict=True):
            chi2 = float(result["reduced_chi2"].values[iy, ix])
            plot_pixel(result, data, iy, ix, ax, title=f"{which} pixel (y={iy}, x={ix}), reduced χ² {chi2:.3g}")
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return str(path)
