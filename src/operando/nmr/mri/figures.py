"""Figures of the Liu et al. 2025 MRI run (matplotlib, Agg): the cell and its deposits, MAS
spectra at two spinning rates, images with the metal's displacement, per-layer volumes."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["liu2025_figures"]

MM = 1e3


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _extent(da, a="x", b="y"):
    return [da[a].values[0] * MM, da[a].values[-1] * MM, da[b].values[0] * MM, da[b].values[-1] * MM]


def liu2025_figures(out: Path, cell, deposit, mas_ds, flash, metal_map, img3, grown, protocol, nucleus_name) -> dict:
    figs = {}
    g = cell.grid
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    mid = g.ny // 2
    ext = [g.x[0] * MM, g.x[-1] * MM, g.z[0] * MM, g.z[-1] * MM]
    ax[0].imshow(cell.labels[:, mid, :], origin="lower", extent=ext, aspect="auto", cmap="tab10", vmax=9)
    ax[0].set(title="Cu | Li | LLZO | Li | Cu (section y = 0)", xlabel="x (mm)", ylabel="z (mm)")
    im = ax[1].imshow(deposit.fraction.sum(axis=1), origin="lower", extent=ext, aspect="auto", cmap="magma")
    ax[1].set(title="Li metal in the pellet (volume fraction summed over y)", xlabel="x (mm)")
    fig.colorbar(im, ax=ax[1])
    figs["cell"] = _save(fig, out / "cell_and_deposits.png")

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name in mas_ds.data_vars:
        ax.plot(mas_ds.ppm, mas_ds[name], label=f"{mas_ds[name].attrs['spinning_rate_hz'] / 1e3:.0f} kHz", lw=0.8)
    ax.axvline(264.5, color="k", ls=":", lw=0.8)
    ax.set(xlabel="shift (ppm)", ylabel="intensity", yscale="log", ylim=(1e-4, None),
           title=f"{nucleus_name} MAS at 322.57 MHz: LLZO sidebands vs the Li-metal line (dotted)")
    ax.invert_xaxis()
    ax.legend()
    figs["spectra"] = _save(fig, out / "spectra_mas.png")

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    f2 = np.log10(np.abs(flash.isel(z=0)) + 1e-3 * float(np.abs(flash).max()))  # log: the metal is ~1 % of it
    ax[0].imshow(f2, origin="lower", extent=_extent(flash), aspect="auto", cmap="gray")
    d = protocol.displacement(264.5) * MM
    ax[0].annotate("", xy=(0, d), xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "tab:red"})
    ax[0].set(title=f"2-D FLASH, log |image|\nmetal displaced {d:.1f} mm along y (wraps)", xlabel="x (mm)",
              ylabel="y (mm)")
    ax[1].imshow(np.abs(metal_map.isel(z=0)), origin="lower", extent=_extent(metal_map), aspect="auto",
                 cmap="magma")
    ax[1].set(title="Li metal selected by its shift\n(moved back by the displacement)", xlabel="x (mm)")
    s3 = np.abs(img3).isel(x=img3.sizes["x"] // 2)
    ax[2].imshow(s3, origin="lower", extent=_extent(img3, "y", "z"), aspect="auto", cmap="gray")
    ax[2].set(title="3-D gradient echo, 11.75 T\nmid-pellet slice", xlabel="y (mm)", ylabel="z (mm)")
    figs["images"] = _save(fig, out / "images.png")

    fig, ax = plt.subplots(figsize=(7, 3.8))
    q = grown.charge_passed.values
    for i, layer in enumerate(grown.layer.values):
        c = f"C{i}"
        ax.errorbar(q, grown.volume.sel(layer=layer) * 1e9, yerr=grown.error.sel(layer=layer) * 1e9, color=c,
                    marker="o", ms=3, capsize=2, label=f"layer {layer}")
        ax.plot(q, grown.truth.sel(layer=layer) * 1e9, color=c, ls="--", lw=0.8)
    ax.set(xlabel="charge passed (C)", ylabel="Li metal (mm$^3$)",
           title="Per-layer Li metal from FLASH (points, SNR errors) and the twin (dashed)")
    ax.legend(fontsize=8)
    figs["layers"] = _save(fig, out / "layers.png")
    return figs
