"""The scaling benchmark runs end to end on a small cell (it reads the solver's output by name, so a
renamed dataset axis must fail here, not in a long benchmark run)."""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_charge.py"


def test_scaling_benchmark_prints_its_table():
    out = subprocess.run([sys.executable, str(BENCH), "--scaling", "--sizes", "500:8", "--duration", "2",
                          "--new-only"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    row = [line for line in out.stdout.splitlines() if "krylov" in line]
    assert row and "18240" in row[0]
