"""Effective conductivity of a random two-phase volume: operando vs TauFactor (CPU), same run.

    .venv/bin/python benchmarks/bench_conduction.py            # 128³ volume
    .venv/bin/python benchmarks/bench_conduction.py --quick    # 48³ volume

Prints both times, the ratio (TauFactor / operando; > 1 means operando is faster) and the
tortuosity factors. TauFactor is solved to a 1e-3 flux-uniformity criterion, operando to a
1e-6 relative residual (both give tau to ~1e-5).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from operando.electrochem import steady_conductivity


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="48³ instead of 128³")
    parser.add_argument("--fraction", type=float, default=0.7, help="conducting volume fraction")
    args = parser.parse_args(argv)
    n = 48 if args.quick else 128
    rng = np.random.default_rng(0)
    volume = (rng.random((n, n, n)) < args.fraction).astype(np.int8)

    t0 = time.perf_counter()
    ours = steady_conductivity(volume, 1, axis="z", tol=1e-6)
    t_ours = time.perf_counter() - t0
    print(f"volume {n}³, fraction {args.fraction}")
    print(f"operando : tau = {ours.tortuosity_factor:.5f}  time {t_ours:.2f} s")
    try:
        import taufactor
        import torch
    except ImportError:
        print(
            "TauFactor not installed (pip install torch==2.13.0; pip install taufactor --no-deps)"
        )
        return
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    solver = taufactor.Solver(volume.astype(int), device="cpu")  # flux along the first axis (z)
    solver.solve(verbose=False, conv_crit=1e-3, iter_limit=100_000)
    t_tf = time.perf_counter() - t0
    tau_tf = float(np.asarray(solver.tau).ravel()[0])
    print(f"TauFactor: tau = {tau_tf:.5f}  time {t_tf:.2f} s  ({solver.iter} SOR iterations)")
    print(
        f"relative difference {abs(ours.tortuosity_factor - tau_tf) / tau_tf:.2e}; "
        f"speed ratio TauFactor/operando = {t_tf / t_ours:.2f}"
    )


if __name__ == "__main__":
    main()
