"""Stray-field speed: operando's exact voxel engine against magpylib's Cuboid sum, same source.

The full problem (default: a 256 × 256 × 32-voxel random magnetization, field on 4 planes) is
timed for operando. magpylib is timed on a random subsample of the source voxels and observer
points; its cost per source–observer pair is then EXTRAPOLATED to the full problem (running it
in full would take hours). Both codes are evaluated on the same subsample and must agree.

    python benchmarks/bench_fields.py           # full problem
    python benchmarks/bench_fields.py --quick   # 64 × 64 × 8 voxels, smaller subsample
"""

from __future__ import annotations

import argparse
import os
import time

import magpylib as magpy
import numpy as np
from scipy.constants import mu_0

from operando import Grid
from operando.magnetics import clear_kernel_cache, stray_field_from_magnetization


def magpylib_field(M, grid, voxels, points):
    """B (T) at ``points`` (n, 3) of the voxels ``voxels`` (k, j, i index arrays), via magpylib."""
    k, j, i = voxels
    cuboids = [
        magpy.magnet.Cuboid(
            polarization=mu_0 * M[:, a, b, c],
            dimension=(grid.dx, grid.dy, grid.dz),
            position=(grid.x[c], grid.y[b], grid.z[a]),
        )
        for a, b, c in zip(k, j, i, strict=True)
    ]
    return magpy.getB(cuboids, points, sumup=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problem for a fast check")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    shape, n_src, n_obs = ((8, 64, 64), 100, 1000) if args.quick else ((32, 256, 256), 300, 3000)
    heights = np.array([20e-9, 50e-9, 100e-9, 200e-9])
    grid = Grid(shape, 10e-9)
    rng = np.random.default_rng(args.seed)
    M = rng.normal(scale=1e5, size=(3, *shape))
    n_vox, n_points = M[0].size, heights.size * grid.ny * grid.nx
    print(f"source {shape} voxels ({n_vox} cuboids), field on {heights.size} planes "
          f"of {grid.ny} x {grid.nx} ({n_points} points); {os.cpu_count()} CPU cores")

    clear_kernel_cache()
    t0 = time.perf_counter()
    stray_field_from_magnetization(M, grid, heights)
    t_op = time.perf_counter() - t0
    t0 = time.perf_counter()
    stray_field_from_magnetization(M, grid, heights)
    t_op_again = time.perf_counter() - t0
    print(f"operando: {t_op:.2f} s (kernels built), {t_op_again:.2f} s second call "
          f"(kernels {'cached' if t_op_again < 0.7 * t_op else 'rebuilt: above the cache budget'})")

    # subsample: random source voxels and random observer points of the same problem
    flat = rng.choice(n_vox, size=n_src, replace=False)
    voxels = np.unravel_index(flat, shape)
    obs = rng.choice(n_points, size=n_obs, replace=False)
    ih, iy, ix = np.unravel_index(obs, (heights.size, grid.ny, grid.nx))
    points = np.stack([grid.x[ix], grid.y[iy], heights[ih]], axis=1)
    t0 = time.perf_counter()
    ref = magpylib_field(M, grid, voxels, points)
    t_mp = time.perf_counter() - t0
    per_pair = t_mp / (n_src * n_obs)
    t_mp_full = per_pair * n_vox * n_points

    sub = np.zeros_like(M)
    sub[:, voxels[0], voxels[1], voxels[2]] = M[:, voxels[0], voxels[1], voxels[2]]
    B_sub = stray_field_from_magnetization(sub, grid, heights)[:, ih, iy, ix].T
    err = np.linalg.norm(B_sub - ref) / np.linalg.norm(ref)

    print(f"magpylib: {t_mp:.2f} s for {n_src} cuboids x {n_obs} points "
          f"= {per_pair * 1e9:.1f} ns per source-observer pair")
    print(f"magpylib, EXTRAPOLATED to the full problem ({n_vox} x {n_points} pairs): "
          f"{t_mp_full:.3g} s = {t_mp_full / 3600:.3g} h")
    print(f"agreement on the subsample: relative L2 difference {err:.2e} (target < 1e-3)")
    print(f"throughput ratio operando / magpylib: {t_mp_full / t_op:.3g}x "
          f"(target >= 1000x; time target < 5 s on 2 cores: operando {t_op:.2f} s)")
    if err > 1e-3:
        raise SystemExit("operando and magpylib disagree on the subsample")


if __name__ == "__main__":
    main()
