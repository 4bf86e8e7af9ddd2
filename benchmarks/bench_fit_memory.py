"""Peak memory of ``operando fit --chunks`` against the size of the stack it fits.

Writes two-dip float32 Zarr stacks (101 frequencies, 256 × 256 Zarr chunks) of the given sizes
to a temporary folder beside this machine's /tmp (it checks the free disk first), then runs
``operando fit STACK -o FIT.zarr --chunks 256 --no-figure`` on each in a fresh subprocess and
prints that process's peak resident memory (``ru_maxrss``) next to the stack's size and a memory
cap. The cap stands for the machine's RAM: the largest stack is 4× the cap, the fit must stay
under it, and the peak must not grow with the stack. The smallest stack is also fitted without
``--chunks`` (the eager path) for comparison. The subprocesses may be capped for real with
``--enforce`` (``RLIMIT_AS`` at the cap plus the address space an idle operando process reserves,
measured first: numba, dask and thread stacks reserve far more address space than they use).

    python benchmarks/bench_fit_memory.py                    # cap 1 GB; stacks 1, 2, 4 GB
    python benchmarks/bench_fit_memory.py --cap 0.25 --sizes 0.25 0.5 1   # a quicker, smaller run
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from operando.odmr.synthetic import write_zarr_stack

N_FREQ, CHUNK = 101, 256

CHILD = """
import json, resource, sys, time
limit = float(sys.argv[1])
if limit > 0:
    resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
t0 = time.perf_counter()
rc = 0
if len(sys.argv) > 2:
    from operando.cli import app
    try:
        app(sys.argv[2:], standalone_mode=False)
    except BaseException as exc:
        print(f"failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        rc = 1
else:  # idle: the imports a fit makes, no fit
    import operando.cli, operando.odmr.workflow, dask.array, zarr  # noqa: F401
status = {l.split(":")[0]: l.split(":")[1].strip() for l in open("/proc/self/status") if ":" in l}
print(json.dumps({"maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "rc": rc,
                  "vmpeak": int(status.get("VmPeak", "0 kB").split()[0]) * 1024,
                  "seconds": time.perf_counter() - t0}))
"""


def run_child(args, limit=0.0):
    out = subprocess.run([sys.executable, "-c", CHILD, str(limit), *map(str, args)], capture_output=True,
                         text=True, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(f"the fit process died (exit {out.returncode}): {out.stderr[-2000:]}")
    res = json.loads(lines[-1])
    res["summary"] = [ln for ln in out.stdout.splitlines() if "converged" in ln][:1]
    res["stderr"] = out.stderr[-500:]
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cap", type=float, default=1.0, help="memory cap (GB) standing for the machine's RAM")
    ap.add_argument("--sizes", type=float, nargs="+", default=(1.0, 2.0, 4.0), help="stack sizes (GB)")
    ap.add_argument("--enforce", action="store_true", help="cap the fit processes' address space (RLIMIT_AS)")
    ap.add_argument("--keep", action="store_true", help="keep the stacks (printed folder)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="odmr-memory-"))
    need = sum(args.sizes) * 1.3e9
    free = shutil.disk_usage(tmp).free
    if need > 0.5 * free:
        sys.exit(f"the stacks need {need / 1e9:.1f} GB, more than half of the {free / 1e9:.0f} GB free in {tmp}: "
                 "choose smaller --sizes (and --cap)")
    f = np.linspace(2.80e9, 2.94e9, N_FREQ)
    idle = run_child([])
    limit = idle["vmpeak"] + args.cap * 1e9 if args.enforce else 0.0
    print(f"memory cap {args.cap:.2f} GB (standing for RAM); idle operando process: peak RSS "
          f"{idle['maxrss'] / 1e9:.2f} GB, address space {idle['vmpeak'] / 1e9:.2f} GB"
          + (f"; fits run under RLIMIT_AS = {limit / 1e9:.2f} GB" if limit else ""))
    print(f"{'stack':>8} {'pixels':>10} {'x cap':>6} {'path':>8} {'peak RSS':>9} {'time':>7}  fit summary")
    try:
        for k, size in enumerate(sorted(args.sizes)):
            side = int(np.sqrt(size * 1e9 / (4 * N_FREQ)))
            stack = tmp / f"stack_{size:g}GB.zarr"
            t0 = time.perf_counter()
            write_zarr_stack(stack, side, side, f, chunk=CHUNK)
            written = time.perf_counter() - t0
            runs = [("chunked", ["fit", stack, "-o", tmp / "fit.zarr", "--chunks", CHUNK, "--no-figure"])]
            if k == 0:
                runs.append(("eager", ["fit", stack, "-o", tmp / "fit_eager.zarr", "--no-figure"]))
            for label, cmd in runs:
                res = run_child(cmd, limit)
                state = "" if res["rc"] == 0 else f"  FAILED: {res['stderr'].strip().splitlines()[-1:]}"
                print(f"{side * side * N_FREQ * 4 / 1e9:7.2f}G {side * side:>10,} {size / args.cap:6.1f} {label:>8} "
                      f"{res['maxrss'] / 1e9:8.2f}G {res['seconds']:6.0f}s  "
                      f"{(res['summary'] or [''])[0].strip()[:70]}{state}")
            shutil.rmtree(stack, ignore_errors=True)
            shutil.rmtree(tmp / "fit.zarr", ignore_errors=True)
            print(f"{'':>8} (stack written in {written:.0f} s)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
