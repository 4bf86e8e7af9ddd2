"""NV axes in the lab frame: the four orientations of (100)- and (111)-cut diamond, NV frames."""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_choice
from ..errors import InputError
from .constants import CUTS


def nv_orientations(cut: str = "100", azimuth: float = 0.0) -> np.ndarray:
    """The four NV axes (4, 3) in the lab frame (z = sample normal) for a diamond of given ``cut``.

    (100): the cube axes lie along the lab axes (rotated by ``azimuth`` about z, radians); all four
    <111> axes make 54.7° with z. (111): the first axis is the normal z, the other three make
    109.47° with it; as the spectrum does not depend on the sign of an axis, each is flipped to n·z
    >= 0 (70.5° from z). Rows are unit vectors.
    """
    check_choice("cut", cut, CUTS)
    if cut == "100":
        axes = np.array([[1, 1, 1], [-1, -1, 1], [1, -1, 1], [-1, 1, 1]], dtype=float) / np.sqrt(
            3.0
        )
    else:
        # Rotate the tetrahedron so that [111] becomes z.
        tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float) / np.sqrt(
            3.0
        )
        z = tet[0]
        x = np.array([2.0, -1.0, -1.0]) / np.sqrt(6.0)
        y = np.cross(z, x)
        axes = tet @ np.stack([x, y, z]).T
        axes *= np.where(axes[:, 2:3] < 0, -1.0, 1.0)
    c, s = np.cos(azimuth), np.sin(azimuth)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return axes @ rot.T


def components_first(name: str, value) -> np.ndarray:
    """``value`` as a float array of vectors with the components (x, y, z) on the FIRST axis, (3, ...),
    the convention of the whole package (a (3, 3) array is three vectors side by side, components
    down the first axis). Raises InputError naming ``name`` for any other layout."""
    v = as_float_array(name, value)
    if v.ndim == 0 or v.shape[0] != 3:
        hint = f"; to convert from components last use np.moveaxis({name}, -1, 0)" if v.shape[-1:] == (3,) else ""
        raise InputError(f"{name}: vectors are components first: shape (3, ...) with (x, y, z) along the first "
                         f"axis, got shape {v.shape}{hint}")
    return v


def _unit_axes(axes) -> np.ndarray:
    a = as_float_array("axes", axes)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.shape[1] != 3:
        raise InputError(f"axes: expected shape (3,) or (n_axes, 3), got {np.shape(axes)}")
    norm = np.linalg.norm(a, axis=1, keepdims=True)
    if np.any(norm == 0):
        raise InputError("axes: every NV axis must be a non-zero vector")
    return a / norm


def nv_frames(axes) -> np.ndarray:
    """Rotation matrices (n_axes, 3, 3) whose rows are x', y', z' of each NV frame (z' = the axis).

    x' is the lab z direction projected perpendicular to the axis (lab x when the axis is along z),
    so transverse fields and the E term have a reproducible azimuth.
    """
    z = _unit_axes(axes)
    ref = np.where(np.abs(z[:, 2:3]) > 1 - 1e-12, [[1.0, 0.0, 0.0]], [[0.0, 0.0, 1.0]])
    x = ref - np.sum(ref * z, axis=1, keepdims=True) * z
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)
