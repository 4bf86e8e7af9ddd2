"""Validation of measured field maps: shape, pixel size, sensing axis, missing pixels.

A field map enters the inverse stage as a 2-D array ``(ny, nx)`` of the field along one axis, as a
vector map ``(3, ny, nx)`` (components x, y, z) from which one axis is taken, or as an xarray
DataArray carrying ``y``/``x`` coordinates (the pixel size is then read from them). Non-finite
pixels are filled by harmonic (Laplace) inpainting so that the FFT filters can run, and are
reported; DESIGN.md asks that non-finite data be masked and reported, never propagated silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import xarray as xr

from .._checks import as_float_array, check_choice, check_positive, unit_vector
from ..errors import InputError

AXES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}
NAN_POLICIES = ("inpaint", "mask", "raise")


@dataclass(frozen=True)
class FieldMap:
    """Validated maps of the field along one or more axes on a plane, ready for the FFT filters.

    values : (n_axes, ny, nx) float array, T, finite (missing pixels inpainted).
    missing : (ny, nx) bool, pixels that were non-finite in any input map.
    axes : (n_axes, 3) unit vectors (x, y, z) of the measured components.
    dy, dx : pixel size, m; y, x : pixel-centre coordinates, m.
    """

    values: np.ndarray
    missing: np.ndarray
    axes: np.ndarray
    dy: float
    dx: float
    y: np.ndarray
    x: np.ndarray

    @property
    def n_missing(self) -> int:
        return int(self.missing.sum())


def sensing_axis(component) -> np.ndarray:
    """``"x"``, ``"y"``, ``"z"`` or a 3-vector (x, y, z) → unit vector of the measured component."""
    if isinstance(component, str):
        check_choice("component", component, tuple(AXES))
        return np.array(AXES[component])
    return unit_vector("component", component)


def sensing_axes(component) -> np.ndarray:
    """One axis or a sequence of axes (e.g. ``("x", "y")``, NV axes) → (n_axes, 3) unit vectors."""
    if isinstance(component, str):
        return sensing_axis(component)[None]
    arr = np.asarray(component, dtype=object)
    if arr.ndim == 1 and arr.size == 3 and all(np.isscalar(c) and not isinstance(c, str)
                                               for c in arr):
        return sensing_axis(np.asarray(component, dtype=float))[None]
    axes = [sensing_axis(c) for c in component]
    if not axes:
        raise InputError("component: expected at least one sensing axis, got an empty sequence")
    return np.stack(axes)


def _project_vector(arr: np.ndarray, labels, axes: np.ndarray, component) -> np.ndarray:
    """Field along each axis from a (3, ny, nx) vector map; refuse a component not measured."""
    measured = [c for c, plane in zip(labels, arr, strict=True) if np.isfinite(plane).any()]
    idx = {c: i for i, c in enumerate(labels)}
    out = []
    for axis in axes:
        needed = [c for c, a in zip("xyz", axis, strict=True) if a != 0.0]
        missing = [c for c in needed if c not in measured]
        if missing:
            raise InputError(
                f"component: the field along {component!r} needs B_{'/B_'.join(missing)}, which "
                f"the map does not contain (measured components: {measured or 'none'})"
            )
        out.append(sum(a * arr[idx[c]] for c, a in zip("xyz", axis, strict=True) if a != 0.0))
    return np.stack(out)


def _spacing_from_coord(name: str, c) -> float | None:
    c = np.asarray(c, dtype=float)
    if c.size < 2:
        return None
    d = np.diff(c)
    if not np.allclose(d, d[0], rtol=1e-6) or d[0] <= 0:
        raise InputError(f"{name}: coordinates must be increasing and evenly spaced, "
                         f"got steps {d[:3]}")
    return float(d[0])


def field_map(B_map, dy=None, dx=None, component="z", nan_policy: str = "inpaint") -> FieldMap:
    """Validate field maps and return a :class:`FieldMap`.

    ``B_map``: (ny, nx) map along the single axis ``component``; (3, ny, nx) vector map (Bx, By,
    Bz) — or a DataArray with a ``component`` dimension — from which every axis in ``component``
    is projected (components that are absent or all-NaN count as not measured); or
    (n_axes, ny, nx) maps along the ``n_axes`` (≠ 3) axes listed in ``component``.
    """
    check_choice("nan_policy", nan_policy, NAN_POLICIES)
    axes = sensing_axes(component)
    y = x = None
    labels = ("x", "y", "z")
    if isinstance(B_map, xr.DataArray):
        if "height" in B_map.dims:
            if B_map.sizes["height"] != 1:
                raise InputError(f"B_map: expected one height, got {B_map.sizes['height']}")
            B_map = B_map.isel(height=0)
        if "component" in B_map.dims:
            labels = tuple(str(c) for c in B_map["component"].values)
            if not set(labels) <= set(AXES):
                raise InputError(f"B_map: component labels must be among x, y, z, got {labels}")
            B_map = B_map.transpose("component", "y", "x")
        if "y" in B_map.coords and "x" in B_map.coords:
            y, x = B_map["y"].values, B_map["x"].values
            dy = dy if dy is not None else _spacing_from_coord("B_map y", y)
            dx = dx if dx is not None else _spacing_from_coord("B_map x", x)
        B_map = B_map.values
    arr = as_float_array("B_map", B_map, finite=False)
    if arr.ndim == 3 and (arr.shape[0] == 3 or len(labels) != 3):
        arr = _project_vector(arr, labels, axes, component)
    elif arr.ndim == 2 and len(axes) == 1:
        arr = arr[None]
    elif not (arr.ndim == 3 and arr.shape[0] == len(axes)):
        raise InputError(f"B_map: expected (ny, nx), (3, ny, nx) or ({len(axes)}, ny, nx) for "
                         f"{len(axes)} sensing axis/axes, got shape {arr.shape}")
    if min(arr.shape[1:]) < 4:
        raise InputError(f"B_map: needs at least 4 x 4 pixels, got {arr.shape[1:]}")
    if dy is None or dx is None:
        raise InputError("dy, dx: the pixel size (m) is required when B_map has no y/x coords")
    dy = check_positive("dy", dy, unit="m")
    dx = check_positive("dx", dx, unit="m")
    missing = ~np.isfinite(arr).all(axis=0)
    if missing.all():
        raise InputError("B_map: every pixel is NaN or inf; nothing was measured")
    if missing.any():
        if nan_policy == "raise":
            raise InputError(f"B_map: contains {int(missing.sum())} non-finite pixel(s); "
                             "use nan_policy='inpaint' or 'mask' to fill them")
        arr = np.stack([inpaint_harmonic(a, missing) for a in arr])
    ny, nx = arr.shape[1:]
    y = np.arange(ny) * dy if y is None else np.asarray(y, dtype=float)
    x = np.arange(nx) * dx if x is None else np.asarray(x, dtype=float)
    return FieldMap(arr, missing, axes, dy, dx, y, x)


def inpaint_harmonic(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Fill ``missing`` pixels with the solution of Laplace's equation bounded by the known ones.

    The field above the sources is itself harmonic in 3-D, so a smooth 2-D harmonic fill is the
    least-biased guess for a small gap; it is one sparse solve over the missing pixels only.
    """
    ny, nx = values.shape

    def lap1d(n):
        main = np.full(n, -2.0)
        main[[0, -1]] = -1.0  # Neumann ends
        return sp.diags([np.ones(n - 1), main, np.ones(n - 1)], [-1, 0, 1])

    lap = sp.kron(sp.identity(ny), lap1d(nx)) + sp.kron(lap1d(ny), sp.identity(nx))
    lap = lap.tocsr()
    flat_missing = missing.ravel()
    unknown = np.flatnonzero(flat_missing)
    known = np.flatnonzero(~flat_missing)
    rhs = -lap[unknown][:, known] @ values.ravel()[known]
    filled = values.ravel().copy()
    filled[unknown] = spla.spsolve(lap[unknown][:, unknown].tocsc(), rhs)
    return filled.reshape(ny, nx)
