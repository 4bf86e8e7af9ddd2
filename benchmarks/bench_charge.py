"""Charge the 2-D preset cell (seed 000 Fig. 4a) at 5 C for 4 minutes and time it.

    .venv/bin/python benchmarks/bench_charge.py            # 150 nm voxels (the preset default)
    .venv/bin/python benchmarks/bench_charge.py --quick    # 300 nm voxels
    .venv/bin/python benchmarks/bench_charge.py --3d       # 3-D solver: reused LU vs an LU per step

Prints the wall time, the number of time steps and Newton solves, the spread of particle-mean x,
and the current density of 1 C on the preset against seed 000 L137 (0.94 mA/cm²). Target:
< 60 s on 2 cores. The electrolyte is cubic LLZO (see tests/electrochem/test_paper_claims.py).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from operando.cell.presets import pollok2025
from operando.electrochem import ChargeModel, Galvanostatic, charge

MATERIALS = {"llzo": "LLZO_cubic", "llzo_gb": "LLZO_cubic"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 nm voxels instead of 150 nm")
    parser.add_argument("--3d", dest="three_d", action="store_true",
                        help="time the 3-D linear solves instead (10 x 38 x 52 voxels, 1C for 120 s)")
    args = parser.parse_args(argv)
    if args.three_d:
        return compare_3d_solvers()
    voxel = 300e-9 if args.quick else 150e-9
    cell = pollok2025(voxel=voxel, nz=1, dendrite=False, material_of=MATERIALS)
    model = ChargeModel.from_cell(cell)
    one_c = model.one_c_current() / model.nominal_area() / 10.0  # A/m² → mA/cm²
    print(f"cell {cell.grid.shape} voxels of {voxel * 1e9:.0f} nm")
    print(
        f"1 C on the preset = {one_c:.3f} mA/cm² (seed 000 L137: 0.94 mA/cm²; "
        f"5 C = {5 * one_c:.2f} "
        f"vs 4.70); capacity Δx = {model.delta_x_1c} of LixCoO2 in 1 h"
    )
    t0 = time.perf_counter()
    ds = charge(model, Galvanostatic(c_rate=5.0, duration=240.0, v_max=4.6), progress=False)
    wall = time.perf_counter() - t0
    x = ds.x_li.isel(t=-1).values
    pid = cell.particle_id
    means = np.array([x[pid == p].mean() for p in np.unique(pid[pid >= 0])])
    within = max(np.ptp(x[pid == p]) for p in np.unique(pid[pid >= 0]))
    print(
        f"5 C for 240 s: wall {wall:.2f} s, {ds.sizes['step'] - 1} time steps, "
        f"end voltage {ds.cell_voltage.values[-1]:.3f} V ({ds.attrs['termination']})"
    )
    print(
        f"particle-mean x: {means.min():.3f} .. {means.max():.3f} (spread {np.ptp(means):.3f}); "
        f"largest within-particle spread {within:.3f}; min x {np.nanmin(x):.3f}"
    )


def compare_3d_solvers() -> None:
    """Reused LU as GMRES preconditioner ("auto") against a fresh LU per Newton iteration
    ("direct") on a 3-D volume of the preset, where factorizing dominates."""
    cell = pollok2025(voxel=400e-9, nz=10, dendrite=False, buried=False, material_of=MATERIALS)
    proto = Galvanostatic(c_rate=1.0, duration=120.0, v_max=4.6)
    print(f"cell {cell.grid.shape} voxels of 400 nm, 1C for 120 s")
    runs = {}
    for method in ("auto", "direct"):
        t0 = time.perf_counter()
        runs[method] = charge(cell, proto, progress=False, method=method)
        runs[method].attrs["wall"] = time.perf_counter() - t0
        print(f"{method:6s}: wall {runs[method].attrs['wall']:.1f} s")
    diff = float(np.nanmax(np.abs(runs["auto"].x_li - runs["direct"].x_li)))
    print(f"speed-up {runs['direct'].attrs['wall'] / runs['auto'].attrs['wall']:.2f}x; "
          f"max |Δx| between them {diff:.1e}")


if __name__ == "__main__":
    main()
