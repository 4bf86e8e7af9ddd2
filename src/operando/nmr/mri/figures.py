"""Figures of the Liu et al. 2025 MRI run (matplotlib, Agg): the cell and its deposits, MAS
spectra at two spinning rates, images with the metal's displacement, per-layer volumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...report.maps import length_unit, map_panel
from ...report.style import CMAP_GREY, DPI, PAGE_WIDTH, styled, subplots

__all__ = ["liu2025_figures"]

NL = 1e12  # nanolitres per m³



def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def _extent(da, a="x", b="y"):
    """(a0, a1, b0, b1) in m of a DataArray's pixel edges along coordinates ``a`` and ``b``."""
    u, v = da[a].values, da[b].values
    du, dv = (u[1] - u[0]) / 2 if u.size > 1 else 0.0, (v[1] - v[0]) / 2 if v.size > 1 else 0.0
    return (u[0] - du, u[-1] + du, v[0] - dv, v[-1] + dv)


def _axis_names(ax, extent, a="x", b="y"):
    name, _ = length_unit(abs(extent[1] - extent[0]))
    ax.set(xlabel=f"{a} ({name})", ylabel=f"{b} ({name})")


@styled
def liu2025_figures(out: Path, cell, deposit, mas_ds, flash, metal_map, img3, grown, protocol, nucleus_name) -> dict:
    from ...cell.plot import phase_codes

    figs = {}
    g = cell.grid
    fig, ax = subplots(1, 2, figsize=(PAGE_WIDTH * 1.3, 2.8))
    mid = g.ny // 2
    ext = (g.x[0] - g.dx / 2, g.x[-1] + g.dx / 2, g.z[0] - g.dz / 2, g.z[-1] + g.dz / 2)
    codes, categories = phase_codes(cell, cell.labels[:, mid, :])
    map_panel(ax[0], codes, ext, kind="categorical", categories=categories, legend="right", aspect="auto",
              ticks=True, scalebar=False, title="Cu | Li | LLZO | Li | Cu, section y = 0")
    _axis_names(ax[0], ext, "x", "z")
    map_panel(ax[1], deposit.fraction.sum(axis=1), ext, kind="positive", cmap="magma", aspect="auto",
              label="Li metal (voxels, summed over y)", scalebar=False, ticks=True,
              title="Li metal in the pellet")
    _axis_names(ax[1], ext, "x", "z")
    figs["cell"] = _save(fig, out / "cell_sections_and_li_deposits.png")

    fig, ax = subplots(figsize=(PAGE_WIDTH * 0.8, 2.8))
    for name in mas_ds.data_vars:
        ax.plot(mas_ds.ppm, mas_ds[name], label=f"{mas_ds[name].attrs['spinning_rate_hz'] / 1e3:.0f} kHz", lw=0.8)
    ax.axvline(264.5, color="k", ls=":", lw=0.8, label="Li metal, 264.5 ppm")
    ax.set(xlabel="shift (ppm)", ylabel="intensity", yscale="log", ylim=(1e-4, None),
           title=f"{nucleus_name} MAS at 322.57 MHz: LLZO sidebands and the Li-metal line")
    ax.invert_xaxis()
    ax.legend(title="spinning rate")
    figs["spectra"] = _save(fig, out / "mas_spectra_two_spinning_rates.png")

    fig, ax = subplots(1, 3, figsize=(PAGE_WIDTH * 1.4, 3.0))
    peak = float(np.abs(flash).max())
    f2 = np.log10(np.abs(flash.isel(z=0)) / peak + 1e-3)  # log: the metal is ~1 % of it
    e = _extent(flash)
    map_panel(ax[0], f2, e, kind="positive", cmap=CMAP_GREY, aspect="auto", label="log10(|image| / max)",
              scalebar=False,
              ticks=True, title="2-D FLASH, log |image|")
    _axis_names(ax[0], e)
    _, factor = length_unit(abs(e[1] - e[0]))
    d = protocol.displacement(264.5)
    ax[0].annotate("", xy=(0, d * factor), xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "#D55E00"})
    ax[0].text(0.02, 0.02, f"metal displaced {d * 1e3:.1f} mm along y (wraps)", transform=ax[0].transAxes,
               color="#D55E00", fontsize=6.5)
    e = _extent(metal_map)
    metal = np.abs(metal_map.isel(z=0))
    map_panel(ax[1], metal / float(metal.max()), e, kind="positive", cmap="magma", aspect="auto",
              label="|image| / max", scalebar=False, ticks=True, title="Li metal selected by its shift, moved back")
    _axis_names(ax[1], e)
    s3 = np.abs(img3).isel(x=img3.sizes["x"] // 2)
    e = _extent(img3, "y", "z")
    map_panel(ax[2], s3 / float(s3.max()), e, kind="positive", cmap=CMAP_GREY, aspect="auto", label="|image| / max",
              scalebar=False,
              ticks=True, title="3-D gradient echo, 11.75 T, mid-pellet")
    _axis_names(ax[2], e, "y", "z")
    figs["images"] = _save(fig, out / "mri_flash_metal_selective_and_3d.png")

    fig, ax = subplots(figsize=(PAGE_WIDTH * 0.8, 2.8))
    q = grown.charge_passed.values
    for i, layer in enumerate(grown.layer.values):
        c = f"C{i}"
        ax.errorbar(q, grown.volume.sel(layer=layer) * NL, yerr=grown.error.sel(layer=layer) * NL, color=c,
                    marker="o", ms=3, capsize=2, label=f"layer {layer}")
        ax.plot(q, grown.truth.sel(layer=layer) * NL, color=c, ls="--", lw=0.8)
    ax.plot([], [], "k--", lw=0.8, label="twin (truth)")
    ax.set(xlabel="charge passed (C)", ylabel="Li metal (nL = 10$^{-3}$ mm$^3$)",
           title="Li metal per layer from FLASH (points, SNR errors) and the twin (dashed)")
    ax.legend(ncols=2)
    figs["layers"] = _save(fig, out / "li_metal_volume_per_layer.png")
    return figs
