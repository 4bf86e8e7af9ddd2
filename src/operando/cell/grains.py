"""Polycrystalline LLZO: Voronoi grains and grain boundaries of a given thickness.

Grains are the Voronoi cells of random seed points; a voxel belongs to a grain boundary when its
centre lies within half the boundary thickness of the bisector plane between its nearest and
second-nearest seed, ``h = (d2² - d1²) / (2 |s2 - s1|)``. The digital boundary is kept at least
``spacing · sqrt(dim) / 2`` thick on each side so that it separates grains face-to-face and is
itself face-connected (a discrete plane of arithmetic thickness >= ||n||₁ is 6-connected).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .._checks import check_positive
from ..grid import Grid

_CHUNK = 2_000_000  # voxel centres per KD-tree query (bounds the memory of a 256³ build)


def voxel_centres(grid: Grid, sl: tuple[slice, slice, slice], planar: bool) -> np.ndarray:
    """(n, 2|3) array of voxel centres (x, y[, z]) in the box ``sl`` (C order of (z, y, x))."""
    z, y, x = grid.z[sl[0]], grid.y[sl[1]], grid.x[sl[2]]
    zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")
    cols = [xx.ravel(), yy.ravel()] + ([] if planar else [zz.ravel()])
    return np.stack(cols, axis=1)


def voronoi_grains(
    grid: Grid,
    box: tuple[slice, slice, slice],
    grain_size: float,
    gb_thickness: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Voronoi grains filling the sub-box ``box`` of ``grid``.

    Parameters
    ----------
    grain_size : mean grain diameter, m (seed density = 1 / volume of a sphere of that diameter,
        or of a disc in a 2-D cell).
    gb_thickness : grain-boundary thickness, m (widened to the digital minimum, see module doc).

    Returns
    -------
    grain_id : int32 array of the box shape, grain index (0..n-1) of every voxel.
    gb : bool array of the box shape, True on grain boundaries.
    info : dict with ``n_grains`` and ``gb_thickness_effective`` (m).
    """
    check_positive("grain_size", grain_size, unit="m")
    check_positive("gb_thickness", gb_thickness, allow_zero=True, unit="m")
    planar = grid.nz == 1
    shape = tuple(s.stop - s.start for s in box)
    lo = np.array([grid.x[box[2].start], grid.y[box[1].start], grid.z[box[0].start]])
    hi = np.array([grid.x[box[2].stop - 1], grid.y[box[1].stop - 1], grid.z[box[0].stop - 1]])
    sp = np.array([grid.dx, grid.dy, grid.dz])
    lo, hi = lo - sp / 2, hi + sp / 2
    dim = 2 if planar else 3
    extent = (hi - lo)[:dim]
    unit = np.pi / 4 * grain_size**2 if planar else np.pi / 6 * grain_size**3
    n = max(2, round(np.prod(extent) / unit))
    seeds = lo[:dim] + rng.random((n, dim)) * extent
    tree = cKDTree(seeds)
    half = max(gb_thickness / 2, 0.5 * float(np.max(sp[:dim])) * np.sqrt(dim))
    grain = np.empty(int(np.prod(shape)), np.int32)
    gb = np.empty(grain.size, bool)
    layer = shape[1] * shape[2]
    step = max(1, _CHUNK // layer)  # whole z layers per KD-tree query, bounding memory
    for k0 in range(0, shape[0], step):
        k1 = min(shape[0], k0 + step)
        sub = (slice(box[0].start + k0, box[0].start + k1), box[1], box[2])
        d, idx = tree.query(voxel_centres(grid, sub, planar), k=2, workers=-1)
        sep = np.linalg.norm(seeds[idx[:, 1]] - seeds[idx[:, 0]], axis=1)
        h = (d[:, 1] ** 2 - d[:, 0] ** 2) / (2 * sep)
        grain[k0 * layer : k1 * layer] = idx[:, 0]
        gb[k0 * layer : k1 * layer] = h <= half
    grain, gb = grain.reshape(shape), gb.reshape(shape)
    # near triple junctions the bisector to the second-nearest seed is not always the closest
    # one; mark any remaining face contact between different grains as boundary
    for axis in range(3):
        if shape[axis] < 2:
            continue
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[axis], b[axis] = slice(0, -1), slice(1, None)
        touch = (grain[tuple(a)] != grain[tuple(b)]) & ~gb[tuple(a)] & ~gb[tuple(b)]
        gb[tuple(b)] |= touch
    info = {"n_grains": n, "gb_thickness_effective": 2 * half, "grain_size": grain_size}
    return grain, gb, info
