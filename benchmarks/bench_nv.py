"""NV resonances of a 1024 × 1024 field map (4 NV orientations of a (100) diamond).

operando's closed-form batched diagonalisation vs (a) a naive per-pixel ``numpy.linalg.eigvalsh``
loop on a subsample, extrapolated to the full map, and (b) stacked ``eigvalsh`` on all matrices at
once (on a subsample, extrapolated). Prints times, ratios and the largest difference in Hz.
Run: .venv/bin/python benchmarks/bench_nv.py [--size 1024] [--sample 2000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from operando.nv.orientations import nv_orientations
from operando.nv.spin import resonances, spin_hamiltonian


def _lines_from_eigenvalues(ev):
    """Lines from sorted eigenvalues, m_s = 0 taken as the lowest state (weak fields)."""
    return ev[..., 1:] - ev[..., :1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    axes = nv_orientations("100")
    B = rng.normal(size=(3, args.size, args.size)) * 2e-3  # mT-scale fields, all directions, components first
    B[2] += 10e-3  # a 10 mT bias field

    resonances(B[:, :8, :8], axes)  # warm-up
    t0 = time.perf_counter()
    resonances(B, axes)
    t_op = time.perf_counter() - t0
    n_pix = args.size * args.size

    sample = B.reshape(3, -1)[:, rng.choice(n_pix, args.sample, replace=False)]  # (3, sample)
    mats = np.stack([spin_hamiltonian(sample, a) for a in axes], axis=1)  # (sample, 4, 3, 3)
    t0 = time.perf_counter()
    naive = np.empty((args.sample, 4, 2))
    for i in range(args.sample):
        for a in range(4):
            naive[i, a] = _lines_from_eigenvalues(np.linalg.eigvalsh(mats[i, a]))
    t_naive = (time.perf_counter() - t0) * n_pix / args.sample

    big = min(n_pix, 100_000)
    mats_big = np.stack([spin_hamiltonian(B.reshape(3, -1)[:, :big], a) for a in axes], axis=1)
    t0 = time.perf_counter()
    np.linalg.eigvalsh(mats_big)
    t_stacked = (time.perf_counter() - t0) * n_pix / big

    ours = resonances(sample, axes)
    print(f"field map {args.size} x {args.size} x 4 NV axes ({4 * n_pix:,} Hamiltonians)")
    print(f"operando closed form (threads over blocks)   {t_op:8.3f} s")
    print(f"stacked numpy eigvalsh (from {big:,} px)       {t_stacked:8.3f} s", end="")
    print(f"   ratio {t_stacked / t_op:6.1f}x")
    print(f"naive per-pixel eigvalsh (from {args.sample:,} px)      {t_naive:8.1f} s", end="")
    print(f"   ratio {t_naive / t_op:6.0f}x")
    print(f"max |difference| vs eigvalsh: {np.abs(ours - naive).max():.2e} Hz")
    print("note: shared 2-core machine; timings vary with load")


if __name__ == "__main__":
    main()
