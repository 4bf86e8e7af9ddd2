"""Rasterising balls (spheres, or discs through the slab of a 2-D cell) on a voxel grid."""

from __future__ import annotations

import numpy as np


def ball_window(x, y, z, centre, radius: float, planar: bool):
    """Voxels of the coordinate axes ``x, y, z`` (centres, m) inside the ball ``|p - c| <= r``.

    Only the bounding window is computed. ``planar`` ignores z (a disc through every layer).
    Returns ``(slices, inside)``: slices (z, y, x) into the axes and the bool mask of that window.
    """
    c = centre

    def span(coords, lo, hi):
        i0 = int(np.searchsorted(coords, lo))
        return slice(i0, int(np.searchsorted(coords, hi, side="right")))

    sx, sy = span(x, c[0] - radius, c[0] + radius), span(y, c[1] - radius, c[1] + radius)
    sz = slice(0, len(z)) if planar else span(z, c[2] - radius, c[2] + radius)
    d2 = (x[sx] - c[0])[None, None, :] ** 2 + (y[sy] - c[1])[None, :, None] ** 2
    if not planar:
        d2 = d2 + (z[sz] - c[2])[:, None, None] ** 2
    inside = np.broadcast_to(d2 <= radius * radius, (sz.stop - sz.start, d2.shape[1], d2.shape[2]))
    return (sz, sy, sx), inside
