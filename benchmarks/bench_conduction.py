"""Effective conductivity of a random two-phase volume: operando vs TauFactor (CPU), same run.

    .venv/bin/python benchmarks/bench_conduction.py               # 128³ volume
    .venv/bin/python benchmarks/bench_conduction.py --quick       # 48³ volume
    .venv/bin/python benchmarks/bench_conduction.py --reference   # also τ solved to 1e-12
    .venv/bin/python benchmarks/bench_conduction.py --numpy       # NumPy kernels, as without numba

operando (``steady_conductivity``, multigrid CG to a 1e-6 relative residual) is timed twice: the
first call in this process — it includes loading numba's cached compiled kernels and starting its
threads (about 0.2–0.4 s; the very first run after installing compiles them, about 10 s) — and a
second, warm call. Nothing is warmed up before the first call. The multigrid breakdown (hierarchy
set-up, CG iterations and their number) is that of the warm call; the rest of the time goes to the
percolation analysis, the transmissibilities and the dissipation. TauFactor (solved to its 1e-3
flux-uniformity criterion) is timed the same way, after operando. Prints the times, the ratios
TauFactor / operando (> 1: operando is faster) of the first and of the warm calls, and the
agreement of the tortuosity factors.
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

import numpy as np

from operando.electrochem import multigrid, steady_conductivity


@contextmanager
def recorded_solves():
    """Collect the :class:`~operando.electrochem.multigrid.GridSolveInfo` of each multigrid solve."""
    infos = []
    original = multigrid.solve_grid

    def record(*args, **kwargs):
        u, info = original(*args, **kwargs)
        infos.append(info)
        return u, info

    multigrid.solve_grid = record
    try:
        yield infos
    finally:
        multigrid.solve_grid = original


def timed_conduction(volume, tol):
    with recorded_solves() as infos:
        t0 = time.perf_counter()
        result = steady_conductivity(volume, 1, axis="z", tol=tol)
        elapsed = time.perf_counter() - t0
    return result, elapsed, infos[-1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="48³ instead of 128³")
    parser.add_argument("--fraction", type=float, default=0.7, help="conducting volume fraction")
    parser.add_argument("--reference", action="store_true", help="also solve to a 1e-12 residual")
    parser.add_argument("--numpy", action="store_true", help="NumPy kernels even with numba")
    args = parser.parse_args(argv)
    if args.numpy:
        multigrid.COMPILED = False
    n = 48 if args.quick else 128
    rng = np.random.default_rng(0)
    volume = (rng.random((n, n, n)) < args.fraction).astype(np.int8)
    if multigrid.COMPILED:
        kernels = f"numba, {multigrid._numba.numba.get_num_threads()} threads"
    else:
        kernels = "NumPy" + ("" if multigrid.available() else " (numba is not installed)")
    print(f"volume {n}³, fraction {args.fraction}, kernels: {kernels}")

    ours, t_first, _ = timed_conduction(volume, 1e-6)
    ours, t_warm, info = timed_conduction(volume, 1e-6)
    tau = ours.tortuosity_factor
    print(f"operando : tau = {tau:.6f}  first call {t_first:.2f} s, warm call {t_warm:.2f} s")
    print(
        f"           warm call: multigrid set-up {info.setup_s:.2f} s, {info.iterations} CG "
        f"iterations {info.solve_s:.2f} s, the rest {t_warm - info.setup_s - info.solve_s:.2f} s; "
        f"unknowns per level {info.unknowns}"
    )
    if args.reference:
        exact, _, _ = timed_conduction(volume, 1e-12)
        print(
            f"           tau at a 1e-12 residual {exact.tortuosity_factor:.9f}: relative "
            f"difference {abs(tau - exact.tortuosity_factor) / exact.tortuosity_factor:.1e}"
        )
    try:
        import taufactor
        import torch
    except ImportError:
        print(
            "TauFactor not installed (pip install torch==2.13.0; pip install taufactor --no-deps)"
        )
        return
    torch.set_num_threads(2)
    times = []
    for _ in range(2):  # a first and a warm call, like operando's
        t0 = time.perf_counter()
        solver = taufactor.Solver(volume.astype(int), device="cpu")  # flux along z (first axis)
        solver.solve(verbose=False, conv_crit=1e-3, iter_limit=100_000)
        times.append(time.perf_counter() - t0)
    tau_tf = float(np.asarray(solver.tau).ravel()[0])
    print(
        f"TauFactor: tau = {tau_tf:.6f}  first call {times[0]:.2f} s, warm call {times[1]:.2f} s "
        f"({solver.iter} SOR iterations)"
    )
    print(
        f"tau relative difference {abs(tau - tau_tf) / tau_tf:.2e}; speed ratio "
        f"TauFactor/operando = {times[0] / t_first:.2f} (first calls), "
        f"{times[1] / t_warm:.2f} (warm calls)"
    )

if __name__ == "__main__":
    main()
