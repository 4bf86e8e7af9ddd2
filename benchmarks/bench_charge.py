"""Charge the 2-D preset cell (Pollok et al., Nat. Commun. 2025, Fig. 4a) at 5 C for 4 minutes and time it.

    .venv/bin/python benchmarks/bench_charge.py            # 150 nm voxels (the preset default)
    .venv/bin/python benchmarks/bench_charge.py --quick    # 300 nm voxels
    .venv/bin/python benchmarks/bench_charge.py --3d       # 3-D solver: "auto" vs an LU per step
    .venv/bin/python benchmarks/bench_charge.py --scaling  # 3-D cells of 10⁴..10⁶ voxels: the
        # block-preconditioned FGMRES ("krylov") beside the reused sparse LU where it fits
    .venv/bin/python benchmarks/bench_charge.py --scaling --sizes 100:20 --duration 600 --new-only
        # the 100 nm cell (1.1·10⁶ voxels) at 0.94 mA/cm² for 10 min

--scaling --duration 600 --lu-limit 20000 (every size charged 600 s at 0.94 mA/cm², the same 13 time
steps and ~55 Newton solves; a 2-core machine shared with another job, CPU seconds the fairer measure):

    voxels     CPU s (wall)   FGMRES its min/median/max   peak GB
    18 240       5.1 (5.9)        11/13/19                 0.23   (reused LU: 39.3 CPU s, 0.92 GB)
    36 100      12.9             14/18/25                  0.32
    76 200      18.7             9/14/19                   0.48
   228 000      54.6             10/14/21                  1.12
   406 400     148               18/23/32                  1.90
 1 143 000     365 (370)         12/17/23                  4.49   (the 100 nm cell: 6.2 min < 15 min, < 8 GB)

Iterations within 1.8x of each other across the sizes (the most at 406 400 voxels, not at the
largest cell); CPU time ~3.2·10⁻⁴ s per voxel for the 10-minute charge.

--demo-grid (the four charge steps of the demo's 3-D cell, same shared machine): 500 nm x 8
33 CPU s, 375 nm x 11 68 s, 250 nm x 16 193 s (0.70 GB).

Prints the wall time, the number of time steps and Newton solves, the spread of particle-mean x,
and the current density of 1 C on the preset against the paper's (0.94 mA/cm², L137). Target:
< 60 s on 2 cores. The electrolyte is cubic LLZO (see tests/electrochem/test_paper_claims.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
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
    parser.add_argument("--scaling", action="store_true",
                        help="time per step, Krylov iterations and peak memory against voxels")
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help="voxel_nm:nz pairs of --scaling (default %(default)s)")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="s of charge at 0.94 mA/cm² per --scaling size (default 60)")
    parser.add_argument("--new-only", action="store_true", help="--scaling without the LU path")
    parser.add_argument("--lu-limit", type=int, default=40_000,
                        help="largest cell (voxels) the LU path of --scaling runs on")
    parser.add_argument("--demo-grid", metavar="SIZES",
                        help="time the charge steps of the default run configuration (the demo) on "
                             "3-D grids voxel_nm:nz,... (e.g. 500:8,250:16)")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)  # voxel_nm nz method duration
    parser.add_argument("--one-demo", nargs=2, help=argparse.SUPPRESS)  # voxel_nm nz
    args = parser.parse_args(argv)
    if args.one:
        return run_one(*args.one)
    if args.one_demo:
        return run_demo_charges(*args.one_demo)
    if args.demo_grid:
        return demo_grid(args.demo_grid)
    if args.scaling:
        return scaling(args)
    if args.three_d:
        return compare_3d_solvers()
    voxel = 300e-9 if args.quick else 150e-9
    cell = pollok2025(voxel=voxel, nz=1, dendrite=False, material_of=MATERIALS)
    model = ChargeModel.from_cell(cell)
    one_c = model.one_c_current() / model.nominal_area() / 10.0  # A/m² → mA/cm²
    print(f"cell {cell.grid.shape} voxels of {voxel * 1e9:.0f} nm")
    print(
        f"1 C on the preset = {one_c:.3f} mA/cm² (Pollok et al. 2025: 0.94 mA/cm²; "
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
    """What "auto" picks on a 3-D volume of the preset (the block-preconditioned FGMRES) against
    a fresh LU per Newton iteration ("direct"), where factorizing dominates."""
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


#: (voxel nm, nz) of the --scaling cells: 2·10⁴ .. 1.1·10⁶ voxels, 4 to 2 µm deep
SIZES = ("500:8", "400:10", "300:12", "200:16", "150:16", "100:20")
#: 1 C of the preset (Pollok et al., Nat. Commun. 2025: 0.94 mA/cm²), A/m²
ONE_C = 9.4


def run_one(voxel_nm, nz, method, duration):
    """Charge one cell in this process; print a JSON line (wall, steps, iterations, peak RSS)."""
    from operando.electrochem import newton, solver

    if method == "lu":  # the path before the Krylov solver: reused sparse LU at any size
        newton.KRYLOV_LIMIT_3D = newton.KRYLOV_LIMIT = 10**12
        method = "auto"
    solvers = []

    class Recording(newton.JacobianSolver):
        def __init__(self, method):
            super().__init__(method)
            solvers.append(self)

    solver.JacobianSolver = Recording
    t0 = time.perf_counter()
    cell = pollok2025(voxel=float(voxel_nm) * 1e-9, nz=int(nz), material_of=MATERIALS)
    model = ChargeModel.from_cell(cell)
    setup = time.perf_counter() - t0
    proto = Galvanostatic(current_density=ONE_C, duration=float(duration), v_max=4.6)
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    ds = charge(model, proto, progress=False, method=method)
    wall = time.perf_counter() - t0
    its = solvers[0].krylov_iterations
    print(json.dumps({
        "voxels": int(np.prod(cell.grid.shape)), "shape": list(cell.grid.shape), "setup": setup,
        "wall": wall, "steps": int(ds.sizes["time"]) - 1, "solves": len(its),
        "iterations": [min(its, default=0), int(np.median(its)) if its else 0, max(its, default=0)],
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "cpu": _cpu_seconds() - cpu0, "V": float(ds.cell_voltage.values[-1]),
    }))


def scaling(args):
    """One subprocess per (size, method): peak memory is that run's alone."""
    print(f"3-D preset cells charged at {ONE_C / 10:.2f} mA/cm² for {args.duration:g} s")
    print(f"{'voxel':>6} {'shape':>16} {'voxels':>9} {'method':>7} {'wall s':>8} {'steps':>5} "
          f"{'s/step':>7} {'cpu s':>8} {'solves':>6} {'iters min/med/max':>17} {'peak GB':>7}")
    runs = []
    for size in args.sizes.split(","):
        voxel_nm, nz = size.split(":")
        krylov = None
        for method in ("krylov", "lu"):
            if method == "lu" and args.new_only:
                continue
            r = _subprocess_json(["--one", voxel_nm, nz, method, str(args.duration)])
            if r is None:
                continue
            shape = "x".join(map(str, r["shape"]))
            its = "{}/{}/{}".format(*r["iterations"]) if r["solves"] else "-"
            print(f"{voxel_nm:>4}nm {shape:>16} {r['voxels']:>9} {method:>7} {r['wall']:>8.1f} "
                  f"{r['steps']:>5} {r['wall'] / r['steps']:>7.2f} {r['cpu']:>8.1f} "
                  f"{r['solves'] or '-':>6} {its:>17} {r['peak_gb']:>7.2f}", flush=True)
            if method == "lu" and krylov is not None:
                print(f"{'':>6} krylov against the reused LU: {r['cpu'] / krylov['cpu']:.1f}x less "
                      f"CPU time, {r['peak_gb'] / krylov['peak_gb']:.1f}x less memory, "
                      f"end voltages differ by {abs(r['V'] - krylov['V']):.1e} V")
            krylov = r
            if method == "krylov":
                runs.append(r)
                if r["voxels"] > args.lu_limit:
                    break
    runs = [r for r in runs if r["solves"]]
    if len(runs) > 1:  # the target: iteration counts flat within a factor 2 across sizes
        lo, hi = runs[0], runs[-1]
        med, top = hi["iterations"][1] / lo["iterations"][1], hi["iterations"][2] / lo["iterations"][2]
        worst = max(r["iterations"][2] for r in runs) / min(r["iterations"][2] for r in runs)
        print(f"Krylov iterations from {lo['voxels']} to {hi['voxels']} voxels: median x{med:.2f}, "
              f"largest x{top:.2f}; largest across all sizes within x{worst:.2f} "
              f"({'flat within 2x' if max(med, top, worst) <= 2 else 'NOT flat within 2x'})")


def _cpu_seconds():
    """CPU time of this process (s): on a shared machine the wall time also counts waiting."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


#: sizes whose child process failed: the benchmark then exits with status 1
FAILED: list[str] = []


def _subprocess_json(args):
    """Run this script with ``args`` in a fresh process; its last stdout line as JSON (None when
    it failed: the error is printed)."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # BLAS threads thrash on a shared machine
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        print(f"{' '.join(args)}: failed\n{out.stderr[-2000:]}")
        FAILED.append(" ".join(args))
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_demo_charges(voxel_nm, nz):
    """The charge steps of the default run configuration on one grid; print a JSON line."""
    from operando.cell import presets
    from operando.pipeline.config import RunConfig

    cfg = RunConfig()
    c = cfg.cell
    times, shape, cpu0 = {}, None, _cpu_seconds()
    for step in cfg.charge:
        cell = presets.pollok2025(voxel=float(voxel_nm) * 1e-9, nz=int(nz), seed=cfg.seed,
                                  dendrite=step.dendrite and c.dendrite, buried=c.buried,
                                  electrolyte=c.electrolyte)
        shape = list(cell.grid.shape)
        proto = Galvanostatic(current_density=step.nominal_current_density,
                              duration=step.duration, save_every=step.duration / 4)
        t0 = time.perf_counter()
        charge(cell, proto, progress=False)
        times[step.name] = time.perf_counter() - t0
    print(json.dumps({"shape": shape, "times": times, "cpu": _cpu_seconds() - cpu0,
                      "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}))


def demo_grid(sizes):
    """Wall time of the demo's charge steps (solver "auto") against the 3-D grid."""
    print("charge steps of the default run configuration (solver 'auto'), one process per grid")
    for size in sizes.split(","):
        r = _subprocess_json(["--one-demo", *size.split(":")])
        if r is not None:
            steps = ", ".join(f"{k} {v:.0f} s" for k, v in r["times"].items())
            print(f"{size.split(':')[0]:>4} nm {'x'.join(map(str, r['shape'])):>12}: "
                  f"{sum(r['times'].values()):7.1f} s ({steps}); CPU {r['cpu']:.0f} s; "
                  f"peak {r['peak_gb']:.2f} GB",
                  flush=True)


if __name__ == "__main__":
    main()
    if FAILED:
        sys.exit(f"failed: {', '.join(FAILED)}")
