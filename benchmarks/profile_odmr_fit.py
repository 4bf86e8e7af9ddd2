"""Where the time of one default ``fit_odmr`` call goes, on the two-sided ¹⁴N-triplet stack of
``bench_odmr_fit.py --hyperfine`` (cProfile over a few calls, after a warm-up).

Prints the wall and CPU time of a call and, per call, the time in each compiled kernel, in the
spectrum screen, in model selection and in everything else (Python, xarray, copies). Run with
``NUMBA_NUM_THREADS=1`` for a CPU breakdown that a busy machine disturbs least.

    NUMBA_NUM_THREADS=1 python benchmarks/profile_odmr_fit.py --size 128 128
    NUMBA_NUM_THREADS=1 python benchmarks/profile_odmr_fit.py --size 300 480 --calls 2
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import numpy as np
import xarray as xr

from operando.odmr.fit import fit_odmr
from operando.odmr.synthetic import two_sided_hyperfine_stack

#: compiled entry points (by function name) and the stage each one times
KERNELS = {
    "_fit_rows_parallel": "compiled fit (start, LM, variances, satellite test, residual noise)",
    "_fit_range": "compiled fit (start, LM, variances, satellite test, residual noise)",  # serial
    "_residual_noise_rows": "residual-noise kernel",
    "_rows": "guess kernel",
    "_start_rows": "guess kernel",
}


def stack(ny: int, nx: int) -> xr.Dataset:
    low, high, fl, fh, _, _ = two_sided_hyperfine_stack(ny, nx, seed=5)
    scale = low[..., :10].mean()
    signal = np.concatenate([low, high], -1) / scale
    return xr.Dataset({"signal": (("y", "x", "frequency"), signal, {"units": "1"})},
                      coords={"frequency": np.r_[fl, fh]})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, nargs=2, default=(128, 128), help="rows, columns")
    ap.add_argument("--calls", type=int, default=5, help="fit_odmr calls timed and profiled")
    args = ap.parse_args()
    ds = stack(*args.size)
    fit_odmr(ds)  # warm-up: compilation caches, the width calibration
    wall, cpu = [], []
    for _ in range(args.calls):
        w0, c0 = time.perf_counter(), time.process_time()
        fit_odmr(ds)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.calls):
        fit_odmr(ds)
    profile.disable()
    stats = pstats.Stats(profile).stats
    stages: dict[str, float] = {}
    total = screen = choose = 0.0
    for (_, _, name), (_, _, own, cumulative, _) in stats.items():
        if name in KERNELS:
            stages[KERNELS[name]] = stages.get(KERNELS[name], 0.0) + own
        total += cumulative if name == "fit_odmr" else 0.0
        screen += cumulative if name == "screen_spectra" else 0.0
        choose += cumulative if name == "choose_model" else 0.0
    n = args.calls
    print(f"{args.size[0]} x {args.size[1]} pixels, two sweeps: wall {min(wall):.3f} s, CPU {min(cpu):.3f} s "
          f"per call (best of {n}); per call under the profiler, {total / n * 1e3:.1f} ms:")
    for stage, seconds in stages.items():
        print(f"  {stage:70s} {seconds / n * 1e3:8.1f} ms")
    print(f"  {'screen of unusable spectra':70s} {screen / n * 1e3:8.1f} ms")
    print(f"  {'everything else (Python, xarray, copies)':70s} "
          f"{(total - sum(stages.values()) - screen) / n * 1e3:8.1f} ms")
    print(f"  {'(of all the above: model selection on the sample pixels)':70s} {choose / n * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
