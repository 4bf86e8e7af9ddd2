"""MRI speed: a 3-D 100 × 100 × 32 image (Liu et al., Nat. Mater. 2025 protocol at 11.75 T) of a
symmetric Li | LLZO | Li cell of ≥ 10⁶ fine voxels with dendrites, timed in full (species maps
with BMS shifts and skin weights, k-space, noise, FFT reconstruction), against the direct
(non-separable) Fourier sum over every voxel for each k-space sample — timed on a subsample of
samples and EXTRAPOLATED to the full matrix. Both are compared on the subsample.

    python benchmarks/bench_mri.py            # 25 um voxels (~2e6 fine voxels)
    python benchmarks/bench_mri.py --quick    # 50 um voxels
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from operando.cell.plating import grow_deposits, polarisation_history
from operando.cell.symmetric import liu2025_symmetric, metal_of_cell
from operando.nmr import mri
from operando.nmr.mri.kspace import _centred


def direct_sum(m, grid, protocol, idx):
    """s(k) = Σ m(r) exp(-2πi k·r) for the k-space samples ``idx`` (flat indices), no shifts."""
    kz, ky, kx = np.meshgrid(*mri.k_axes(protocol), indexing="ij")
    kz, ky, kx = kz.ravel()[idx], ky.ravel()[idx], kx.ravel()[idx]
    z, y, x = _centred(grid)
    live = np.nonzero(m)
    rz, ry, rx, mv = z[live[0]], y[live[1]], x[live[2]], m[live]
    out = np.empty(idx.size, complex)
    for n in range(idx.size):  # one sample at a time: O(voxels) memory
        out[n] = (mv * np.exp(-2j * np.pi * (kz[n] * rz + ky[n] * ry + kx[n] * rx))).sum()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--samples", type=int, default=20, help="k-space samples for the direct sum")
    args = ap.parse_args()
    voxel = 50e-6 if args.quick else 25e-6
    cell = liu2025_symmetric(voxel, copper=True)
    hist = polarisation_history(duration=4 * 86400, n_times=2)
    metal = metal_of_cell(cell) + grow_deposits(cell, hist)[-1]
    p = mri.liu2025_gre3d()
    n_fine = int(np.prod(cell.grid.shape))
    n_k = int(np.prod(p.matrix))
    print(f"cell {cell.grid.shape} = {n_fine:.3g} fine voxels of {voxel * 1e6:.0f} um; "
          f"image {p.matrix} = {n_k} samples")

    tracemalloc.start()
    t0 = time.perf_counter()
    maps = mri.species_maps(cell, metal, p)
    t1 = time.perf_counter()
    k = mri.sample_kspace(maps, cell.grid, p, readout_decay=False)
    t2 = time.perf_counter()
    img = mri.reconstruct(mri.add_noise(k, p, seed=0), p, mri.fov_centre(cell.grid))
    t3 = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"operando: species maps {t1 - t0:.2f} s, k-space {t2 - t1:.2f} s, noise + FFT {t3 - t2:.2f} s; "
          f"total {t3 - t0:.2f} s (target < 30 s)")
    print(f"  time per k-space sample {1e6 * (t2 - t1) / n_k:.2f} us (k-space only), "
          f"{1e6 * (t3 - t0) / n_k:.2f} us (whole image)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak traced memory {peak / 2**20:.0f} MiB; max RSS {rss:.0f} MiB")
    assert img.shape == tuple(p.matrix)

    # the peer: the direct Fourier sum per sample (the garnet, no shift, no box), extrapolated
    m = maps["LLZO"]["m"]
    rng = np.random.default_rng(1)
    idx = rng.choice(n_k, args.samples, replace=False)
    t4 = time.perf_counter()
    ref = direct_sum(m, cell.grid, p, idx)
    t5 = time.perf_counter()
    per = (t5 - t4) / args.samples
    ours = mri.sample_kspace({"g": {**maps["LLZO"], "shift": 0.0, "relaxation": None}}, cell.grid,
                             p.with_(receiver_ppm=0.0), box=False).ravel()[idx]
    err = np.abs(ours - ref).max() / np.abs(ref).max()
    print(f"direct sum: {per * 1e3:.1f} ms per sample -> {per * n_k / 3600:.2f} h for the matrix (extrapolated)")
    print(f"  ratio direct / operando k-space: {per * n_k / (t2 - t1):.0f}x; max relative difference {err:.1e}")


if __name__ == "__main__":
    main()
