"""Defects of the electrolyte: a Li-metal dendrite along grain boundaries, isolated Li inclusions,
voids, and a capping layer that buries chosen features below the surface.

The dendrite follows the grain-boundary network (seed 000 L43, seed 001 L108-L110: electronic
leakage along LLZO grain boundaries makes Li plate there): it is the shortest face-connected path
through grain-boundary voxels from the Li|LLZO interface to the requested penetration depth, plus
optional side branches, thickened to a given width but never leaving the grain boundaries.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.csgraph import dijkstra

from .._checks import check_positive
from ..errors import GeometryError
from ..grid import Grid
from .shapes import ball_window


def _face_graph(mask: np.ndarray, spacing) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Sparse graph of face neighbours within ``mask`` (weights = centre distance, m)."""
    idx = np.full(mask.shape, -1, np.int64)
    nodes = np.flatnonzero(mask)
    idx.flat[nodes] = np.arange(nodes.size)
    rows, cols, w = [], [], []
    for axis, h in enumerate(spacing):
        a = [slice(None)] * 3
        b = [slice(None)] * 3
        a[axis], b[axis] = slice(0, -1), slice(1, None)
        both = mask[tuple(a)] & mask[tuple(b)]
        rows.append(idx[tuple(a)][both])
        cols.append(idx[tuple(b)][both])
        w.append(np.full(rows[-1].size, h))
    r, c, ww = np.concatenate(rows), np.concatenate(cols), np.concatenate(w)
    g = sparse.coo_matrix((ww, (r, c)), shape=(nodes.size, nodes.size)).tocsr()
    return g + g.T, nodes


def check_dendrite_length(length: float, electrolyte_thickness: float) -> None:
    """GeometryError unless 0 < length <= electrolyte_thickness (the dendrite stays in the cell)."""
    check_positive("dendrite_length", length, unit="m")
    if length > electrolyte_thickness * (1 + 1e-9):
        raise GeometryError(
            f"dendrite_length: {length:.3g} m is longer than the electrolyte "
            f"({electrolyte_thickness:.3g} m); valid range (0, {electrolyte_thickness:.3g}] m"
        )


def grow_dendrite(
    grid: Grid,
    gb: np.ndarray,
    x_interface: float,
    length: float,
    electrolyte_thickness: float,
    rng: np.random.Generator,
    *,
    y_start: float | None = None,
    width: float = 0.0,
    branches: int = 0,
    layers: tuple[int, int] | None = None,
) -> tuple[np.ndarray, dict]:
    """Li dendrite grown from the negative electrode along grain boundaries.

    Parameters
    ----------
    gb : bool (nz, ny, nx) grain-boundary mask of the electrolyte.
    x_interface : x of the Li|LLZO interface, m (the Li metal occupies x < x_interface).
    length : penetration depth along x, m (0 < length <= electrolyte_thickness).
    y_start : lateral position of the root, m (default: random in the middle half).
    width : dendrite width, m (0: the one-voxel path); the dendrite stays inside ``gb``.
    branches : number of side branches ending at 40-90 % of ``length``.
    layers : z-layer range ``(k0, k1)`` the dendrite may occupy in a 3-D cell (default: all);
        the root sits in the upper third of that range, close to the surface.

    Returns
    -------
    dendrite : bool (nz, ny, nx) mask, face-connected to the Li|LLZO interface.
    info : dict with root and tip positions (m) and the path length (m).
    """
    check_dendrite_length(length, electrolyte_thickness)
    check_positive("width", width, allow_zero=True, unit="m")
    x = grid.x
    ix0 = int(np.searchsorted(x, x_interface))  # first electrolyte column
    ix_tip = int(np.searchsorted(x, x_interface + length, side="right")) - 1
    ix_tip = max(ix_tip, ix0)
    ly = grid.ny * grid.dy
    if y_start is None:
        y_start = grid.y[0] + ly * (0.25 + 0.5 * rng.random())
    k0, k1 = (
        (0, grid.nz) if layers is None else (max(0, int(layers[0])), min(grid.nz, int(layers[1])))
    )
    if k1 <= k0:
        raise GeometryError(
            f"layers: empty z-layer range {layers!r} for a cell of {grid.nz} layers"
        )
    # search a window around the root first (cheap); widen to the whole width, then to every
    # root on the interface, if the grain boundaries there do not reach the tip depth
    margin = 0.6 * length + 4 * grid.dy
    found = None
    for half_width, any_root in ((margin, False), (np.inf, False), (np.inf, True)):
        jy0 = int(np.searchsorted(grid.y, y_start - half_width))
        jy1 = max(int(np.searchsorted(grid.y, y_start + half_width, side="right")), jy0 + 1)
        box = (slice(k0, k1), slice(jy0, jy1), slice(ix0, ix_tip + 1))
        found = _shortest_paths(grid, gb[box], grid.y[jy0:jy1], y_start, any_root)
        if found is not None:
            break
    if found is None:
        raise GeometryError(
            f"dendrite_length: no grain-boundary path from the interface reaches {length:.3g} m; "
            "use a shorter dendrite or thicker/more grain boundaries"
        )
    graph, sub, nodes, (_kz, _ky, kx), yy, dist, pred, tips_ok = found
    path = np.zeros(nodes.size, bool)
    tip = int(np.argmin(np.where(tips_ok, dist, np.inf)))
    root = _trace(pred, tip, path)
    n_branches = 0
    if branches > 0:
        # side branches grow from the trunk: shortest paths from the trunk to points at 40-90 %
        # of the penetration depth, no longer than half the penetration
        d_b, pred_b, _ = dijkstra(
            graph, indices=np.nonzero(path)[0], min_only=True, return_predecessors=True
        )
        for _ in range(int(branches)):
            depth = rng.uniform(0.4, 0.9) * (sub.shape[2] - 1)
            near = (np.abs(kx - depth) < 1.0) & (d_b > 2 * grid.dx) & (d_b <= 0.5 * length)
            cand = np.nonzero(near & ~path)[0]
            if cand.size:
                _trace(pred_b, int(cand[rng.integers(0, cand.size)]), path)
                n_branches += 1
    mask_sub = np.zeros(sub.shape, bool)
    mask_sub.flat[nodes[path]] = True
    r_vox = width / 2 / min(grid.dy, grid.dx)
    if r_vox >= 1:
        st = _ball(int(np.floor(r_vox)), planar=grid.nz == 1)
        mask_sub = ndimage.binary_dilation(mask_sub, structure=st) & sub
    out = np.zeros(grid.shape, bool)
    out[box] = mask_sub
    info = {
        "root_y": float(yy[root]),
        "tip_x": float(x[ix0 + kx[tip]]),
        "tip_y": float(yy[tip]),
        "penetration": float(x[ix0 + kx[tip]] + grid.dx / 2 - x_interface),
        "path_length": float(dist[tip] + grid.dx),
        "branches": n_branches,
    }
    return out, info


def _shortest_paths(grid: Grid, sub: np.ndarray, y: np.ndarray, y_start: float, any_root: bool):
    """Dijkstra from the interface roots through the grain boundaries of ``sub``; None if no
    path reaches the last x column."""
    graph, nodes = _face_graph(sub, (grid.dz, grid.dy, grid.dx))
    if nodes.size == 0:
        return None
    kz, ky, kx = np.unravel_index(nodes, sub.shape)
    yy = y[ky]
    src_ok = kx == 0
    if grid.nz > 1:  # root in the upper third of the allowed layers (close to the surface)
        src_ok &= kz >= sub.shape[0] - max(1, sub.shape[0] // 3)
    if not src_ok.any():
        return None
    dist_y = np.abs(yy - y_start)
    near = dist_y <= dist_y[src_ok].min() + 2 * grid.dy
    roots = np.nonzero(src_ok & (True if any_root else near))[0]
    dist, pred, _ = dijkstra(graph, indices=roots, min_only=True, return_predecessors=True)
    tips_ok = (kx == sub.shape[2] - 1) & np.isfinite(dist)
    if not tips_ok.any():
        return None
    return graph, sub, nodes, (kz, ky, kx), yy, dist, pred, tips_ok


def _trace(pred: np.ndarray, node: int, path: np.ndarray) -> int:
    """Mark the predecessor chain of ``node`` in ``path``; returns the last node marked."""
    last = node
    while node >= 0 and not path[node]:
        path[node] = True
        last, node = node, int(pred[node])
    return last


def _ball(r: int, planar: bool) -> np.ndarray:
    g = np.arange(-r, r + 1)
    if planar:
        yy, xx = np.meshgrid(g, g, indexing="ij")
        return (yy**2 + xx**2 <= r * r)[None]
    zz, yy, xx = np.meshgrid(g, g, g, indexing="ij")
    return zz**2 + yy**2 + xx**2 <= r * r


def sphere_mask(grid: Grid, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Union of spheres (discs in a 2-D cell) with centres (n, 3) as (x, y, z), radii (n,) in m."""
    out = np.zeros(grid.shape, bool)
    for c, r in zip(np.atleast_2d(centres), np.atleast_1d(radii), strict=True):
        sl, ball = ball_window(grid.x, grid.y, grid.z, c, r, grid.nz == 1)
        out[sl] |= ball
    return out


def random_spheres(
    grid: Grid,
    allowed: np.ndarray,
    count: int | None,
    radius: float,
    rng: np.random.Generator,
    *,
    fraction: float | None = None,
    keep_away: np.ndarray | None = None,
    clearance: float = 0.0,
) -> np.ndarray:
    """Spheres centred on random ``allowed`` voxels: ``count`` of them, or until they fill
    ``fraction`` of ``allowed``. Centres lie farther than ``radius + clearance`` from ``keep_away``.

    Returns the bool mask of the spheres restricted to ``allowed``.
    """
    check_positive("radius", radius, unit="m")
    cand = allowed.copy()
    if keep_away is not None and keep_away.any():
        # distance to keep_away, computed only in the bounding box of the allowed voxels + margin
        sl = _bbox(allowed, int(np.ceil((radius + clearance) / min(grid.spacing))) + 1)
        dist = ndimage.distance_transform_edt(~keep_away[sl], sampling=grid.spacing)
        cand[sl] &= dist > radius + clearance
    flat = np.flatnonzero(cand)
    if flat.size == 0:
        raise GeometryError("radius: no room for the requested inclusions or voids")
    out = np.zeros(grid.shape, bool)
    goal = np.inf if fraction is None else fraction * int(allowed.sum())
    covered = 0
    for _ in range(count if count is not None else flat.size):
        if covered >= goal:
            break
        iz, iy, ix = np.unravel_index(flat[rng.integers(0, flat.size)], grid.shape)
        c = (grid.x[ix], grid.y[iy], grid.z[iz])
        sl, ball = ball_window(grid.x, grid.y, grid.z, c, radius, grid.nz == 1)
        new = ball & allowed[sl] & ~out[sl]
        covered += int(new.sum())
        out[sl] |= new
    return out


def _bbox(mask: np.ndarray, margin: int) -> tuple[slice, ...]:
    """Bounding box of the True voxels of ``mask`` grown by ``margin`` voxels."""
    out = []
    for axis in range(mask.ndim):
        hit = np.nonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))[0]
        lo, hi = (hit[0], hit[-1] + 1) if hit.size else (0, 0)
        out.append(slice(max(0, lo - margin), min(mask.shape[axis], hi + margin)))
    return tuple(out)


def cap_footprint(features: np.ndarray, grid: Grid, margin: float = 0.0) -> np.ndarray:
    """(ny, nx) footprint of a 3-D feature mask seen from above, grown by ``margin`` m."""
    foot = features.any(axis=0)
    r = int(np.ceil(margin / min(grid.dy, grid.dx)))
    if r > 0:
        foot = ndimage.binary_dilation(foot, structure=_ball(r, planar=True)[0])
    return foot


def cap_layers(grid: Grid, thickness: float) -> int:
    """Number of top voxel layers that make a capping layer of ``thickness`` m (at least one)."""
    check_positive("cap_thickness", thickness, unit="m")
    n = max(1, round(thickness / grid.dz))
    if n >= grid.nz:
        raise GeometryError(
            f"cap_thickness: {thickness:.3g} m needs {n} of the {grid.nz} voxel layers; "
            f"must be below the cell depth {grid.nz * grid.dz:.3g} m"
        )
    return n
