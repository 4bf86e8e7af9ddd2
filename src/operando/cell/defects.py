"""Defects of the electrolyte: a Li-metal dendrite along grain boundaries, isolated Li inclusions,
voids, and a capping layer that buries chosen features below the surface.

The dendrite follows the grain-boundary network (Pollok et al., Nat. Commun. 2025; Khoshkalam et al.,
Nanoscale Horiz. 2025: electronic leakage along LLZO grain boundaries makes Li plate there):
it is the shortest face-connected path through grain-boundary voxels from the Li|LLZO interface to
the requested penetration depth, plus optional side branches, thickened to a given width but never
leaving the grain boundaries. In a 3-D cell it is a sheet: the path is grown in each layer of a depth
range, next to the one above.
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

    In a 3-D cell the dendrite is a sheet of Li filling a grain boundary over the z layers
    ``layers``: each layer holds a path grown as in a 2-D cell, rooted next to the root of the
    layer above and branching at the same depths, so the sheet follows the boundary surface down.
    It stops at the first layer whose grain boundaries do not reach the tip depth.

    Parameters
    ----------
    gb : bool (nz, ny, nx) grain-boundary mask of the electrolyte.
    x_interface : x of the Li|LLZO interface, m (the Li metal occupies x < x_interface).
    length : penetration depth along x, m (0 < length <= electrolyte_thickness).
    y_start : lateral position of the root in the top layer, m (default: random in the middle half).
    width : dendrite width in the (y, x) plane, m (0: the one-voxel path); it stays inside ``gb``.
    branches : number of side branches ending at 40-90 % of ``length``.
    layers : z-layer range ``(k0, k1)`` of a 3-D dendrite (default: all); it grows from layer
        ``k1 - 1``, the one closest to the surface, down to ``k0``.

    Returns
    -------
    dendrite : bool (nz, ny, nx) mask, face-connected to the Li|LLZO interface in every layer.
    info : dict with root and tip positions (m) and the path length (m) in the top layer, the
        layers filled and the number of branches.
    """
    check_dendrite_length(length, electrolyte_thickness)
    check_positive("width", width, allow_zero=True, unit="m")
    x = grid.x
    ix0 = int(np.searchsorted(x, x_interface))  # first electrolyte column
    ix_tip = max(int(np.searchsorted(x, x_interface + length, side="right")) - 1, ix0)
    if y_start is None:
        y_start = grid.y[0] + grid.ny * grid.dy * (0.25 + 0.5 * rng.random())
    k0, k1 = (
        (0, grid.nz) if layers is None else (max(0, int(layers[0])), min(grid.nz, int(layers[1])))
    )
    if k1 <= k0:
        raise GeometryError(
            f"layers: empty z-layer range {layers!r} for a cell of {grid.nz} layers"
        )
    out = np.zeros(grid.shape, bool)
    info, ends = None, None
    for k in range(k1 - 1, k0 - 1, -1):
        # below the first layer the root may move by a few voxels only: the same boundary, inclined
        max_shift = None if info is None else 3 * max(grid.dy, grid.dz)
        layer = _grow_layer(grid, gb, k, ix0, ix_tip, y_start, length, rng, branches, ends, max_shift)
        if layer is None:
            if info is None:
                raise GeometryError(
                    f"dendrite_length: no grain-boundary path from the interface reaches {length:.3g} m; "
                    "use a shorter dendrite or thicker/more grain boundaries"
                )
            break
        mask, layer_info, ends = layer
        out[k] = mask
        y_start = layer_info["root_y"]
        info = info or dict(layer_info, penetration=layer_info["tip_x"] + grid.dx / 2 - x_interface)
        info["layers"] = [k, k1]
    r_vox = int(np.floor(width / 2 / min(grid.dy, grid.dx)))
    if r_vox >= 1:
        out = ndimage.binary_dilation(out, structure=_ball(r_vox, planar=True)) & gb
        out[..., :ix0] = False
        out[..., ix_tip + 1 :] = False
    return out, info


def _grow_layer(grid, gb, k, ix0, ix_tip, y_start, length, rng, branches, ends, max_shift=None):
    """One z layer of a dendrite: the shortest grain-boundary path from the interface near
    ``y_start`` to the tip column, plus side branches. ``ends`` (the branch ends of the layer
    above, or None) places each branch next to the one above instead of at random.

    Returns (ny, nx) mask, info dict, branch ends as (depth column, y); None if no path exists
    or its root lies farther than ``max_shift`` (m) from ``y_start``.
    """
    # search a window around the root first (cheap); widen to the whole width, then to every
    # root on the interface, if the grain boundaries there do not reach the tip depth
    margin = 0.6 * length + 4 * grid.dy
    for half_width, any_root in ((margin, False), (np.inf, False), (np.inf, True)):
        jy0 = int(np.searchsorted(grid.y, y_start - half_width))
        jy1 = max(int(np.searchsorted(grid.y, y_start + half_width, side="right")), jy0 + 1)
        sub = gb[k, jy0:jy1, ix0 : ix_tip + 1]
        found = _shortest_paths(grid, sub, grid.y[jy0:jy1], y_start, any_root)
        if found is not None:
            break
    else:
        return None
    graph, nodes, (_ky, kx), yy, dist, pred, tips_ok = found
    path = np.zeros(nodes.size, bool)
    tip = int(np.argmin(np.where(tips_ok, dist, np.inf)))
    root = _trace(pred, tip, path)
    if max_shift is not None and abs(yy[root] - y_start) > max_shift:
        return None
    new_ends = []
    if branches > 0:
        # side branches grow from the trunk: shortest paths from the trunk to points at 40-90 %
        # of the penetration depth, no longer than half the penetration
        d_b, pred_b, _ = dijkstra(
            graph, indices=np.nonzero(path)[0], min_only=True, return_predecessors=True
        )
        for b in range(int(branches)):
            if ends is None:
                depth = rng.uniform(0.4, 0.9) * (sub.shape[1] - 1)
            elif b < len(ends):
                depth = ends[b][0]
            else:
                break
            near = (np.abs(kx - depth) < 1.0) & (d_b > 2 * grid.dx) & (d_b <= 0.5 * length)
            cand = np.nonzero(near & ~path)[0]
            if cand.size:
                pick = (
                    cand[rng.integers(0, cand.size)] if ends is None
                    else cand[np.argmin(np.abs(yy[cand] - ends[b][1]))]
                )
                _trace(pred_b, int(pick), path)
                new_ends.append((depth, float(yy[pick])))
    mask = np.zeros(gb.shape[1:], bool)
    mask[jy0:jy1, ix0 : ix_tip + 1].flat[nodes[path]] = True
    info = {
        "root_y": float(yy[root]),
        "tip_x": float(grid.x[ix0 + kx[tip]]),
        "tip_y": float(yy[tip]),
        "path_length": float(dist[tip] + grid.dx),
        "branches": len(new_ends),
    }
    return mask, info, new_ends


def _shortest_paths(grid: Grid, sub: np.ndarray, y: np.ndarray, y_start: float, any_root: bool):
    """Dijkstra from the interface roots through the grain boundaries of the (ny, nx) layer
    ``sub``; None if no path reaches the last x column."""
    graph, nodes = _face_graph(sub[None], (grid.dz, grid.dy, grid.dx))
    if nodes.size == 0:
        return None
    ky, kx = np.unravel_index(nodes, sub.shape)
    yy = y[ky]
    src_ok = kx == 0
    if not src_ok.any():
        return None
    dist_y = np.abs(yy - y_start)
    near = dist_y <= dist_y[src_ok].min() + 2 * grid.dy
    roots = np.nonzero(src_ok & (True if any_root else near))[0]
    dist, pred, _ = dijkstra(graph, indices=roots, min_only=True, return_predecessors=True)
    tips_ok = (kx == sub.shape[1] - 1) & np.isfinite(dist)
    if not tips_ok.any():
        return None
    return graph, nodes, (ky, kx), yy, dist, pred, tips_ok


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
