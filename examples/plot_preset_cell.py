"""Figure of the cell preset after Pollok et al., Nat. Commun. 2025, Fig. 4a: surface phases, buried features.

    .venv/bin/python examples/plot_preset_cell.py preset_cell.png [--voxel 100e-9] [--nz 12]

Left: the 2-D cross-section (buried particles and dendrite outlined, 300 nm below the surface).
Right: a 3-D version seen from the top surface, where the LLZO capping layer hides them.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from operando.cell import metrics, plot_cell, presets


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="figure path (.png, .pdf, .svg)")
    parser.add_argument("--voxel", type=float, default=150e-9, help="voxel size in m")
    parser.add_argument("--nz", type=int, default=10, help="layers of the 3-D panel")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    flat = presets.pollok2025(voxel=args.voxel, seed=args.seed)
    deep = presets.pollok2025(voxel=args.voxel, nz=args.nz, seed=args.seed)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5), constrained_layout=True)
    plot_cell(flat, axes[0], legend=False)
    axes[0].set_title(f"2-D cross-section {flat.grid.ny}×{flat.grid.nx} voxels")
    plot_cell(deep, axes[1])
    axes[1].set_title(f"3-D cell, top surface ({deep.grid.nz} layers, LLZO cap on buried features)")
    fr = metrics.summary(flat)
    fig.suptitle(
        "Li | LLZO | LixCoO2 cell after Pollok et al. 2025, Fig. 4a — LixCoO2 "
        f"{fr['lco_fraction_in_composite'] * 100:.0f} % of the composite, grain boundaries "
        f"{fr['gb_fraction'] * 100:.0f} % of LLZO, dendrite "
        f"{flat.attrs['dendrite']['penetration'] * 1e6:.1f} µm"
    )
    fig.savefig(args.output, dpi=150)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
