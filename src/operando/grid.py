"""Voxel geometry and the xarray data model.

Conventions (DESIGN.md): arrays are ``(z, y, x)``; vector fields are ``(3, nz, ny, nx)`` with
components ordered x, y, z; z points out of the sample, whose top surface is the plane z = 0, so
every voxel of the sample has z < 0 and a sensor at standoff h sits at z = h > 0. Coordinates are
voxel centres in metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ._checks import as_float_array, check_positive
from .errors import InputError

COMPONENTS = ("x", "y", "z")


@dataclass(frozen=True)
class Grid:
    """A regular voxel grid.

    Parameters
    ----------
    shape : (nz, ny, nx)
        Number of voxels along z, y, x. A 2-D cross-section has ``nz == 1``.
    spacing : (dz, dy, dx) in m, or one float for cubic voxels.
    origin : (z0, y0, x0) in m, the centre of voxel ``[0, 0, 0]``. By default the top face of
        the top layer (index ``nz - 1``) lies at z = 0 and the sample starts at x = y = 0.
    """

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float] = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        shape = tuple(int(s) for s in np.atleast_1d(self.shape))
        if len(shape) != 3 or any(s < 1 for s in shape) or any(
            float(a) != int(a) for a in np.atleast_1d(self.shape)
        ):
            raise InputError(f"shape: expected three positive integers (nz, ny, nx), got {self.shape!r}")
        sp = np.atleast_1d(np.asarray(self.spacing, dtype=float))
        if sp.size == 1:
            sp = np.repeat(sp, 3)
        if sp.size != 3:
            raise InputError(f"spacing: expected one or three lengths in m, got {self.spacing!r}")
        for name, s in zip(("dz", "dy", "dx"), sp, strict=True):
            check_positive(f"spacing {name}", s, unit="m")
        if self.origin is None:
            nz = shape[0]
            origin = (-(nz - 0.5) * sp[0], 0.5 * sp[1], 0.5 * sp[2])
        else:
            origin = tuple(as_float_array("origin", self.origin, shape=(3,)).tolist())
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "spacing", tuple(float(s) for s in sp))
        object.__setattr__(self, "origin", tuple(float(o) for o in origin))

    # geometry ---------------------------------------------------------------------------------
    @property
    def nz(self) -> int:
        return self.shape[0]

    @property
    def ny(self) -> int:
        return self.shape[1]

    @property
    def nx(self) -> int:
        return self.shape[2]

    @property
    def dz(self) -> float:
        return self.spacing[0]

    @property
    def dy(self) -> float:
        return self.spacing[1]

    @property
    def dx(self) -> float:
        return self.spacing[2]

    @property
    def voxel_volume(self) -> float:
        """Volume of one voxel in m³."""
        return self.dz * self.dy * self.dx

    @property
    def z(self) -> np.ndarray:
        """Voxel-centre z coordinates, shape (nz,), m."""
        return self.origin[0] + self.dz * np.arange(self.nz)

    @property
    def y(self) -> np.ndarray:
        return self.origin[1] + self.dy * np.arange(self.ny)

    @property
    def x(self) -> np.ndarray:
        return self.origin[2] + self.dx * np.arange(self.nx)

    @property
    def top(self) -> float:
        """z of the top face of the top voxel layer, m (0 for the default origin)."""
        return float(self.z[-1] + 0.5 * self.dz)

    @property
    def extent(self) -> tuple[float, float, float]:
        """Physical size (Lz, Ly, Lx) in m."""
        return (self.nz * self.dz, self.ny * self.dy, self.nx * self.dx)

    @classmethod
    def from_size(cls, size, voxel) -> Grid:
        """Grid covering ``size = (Lz, Ly, Lx)`` m with voxels of ``voxel`` m (one or three).

        Sizes are rounded to a whole number of voxels (at least one).
        """
        size = as_float_array("size", size, shape=(3,))
        vox = np.broadcast_to(as_float_array("voxel", voxel), (3,))
        if np.any(size <= 0) or np.any(vox <= 0):
            raise InputError(f"size and voxel must be > 0 m, got size={size.tolist()}, voxel={vox.tolist()}")
        shape = tuple(max(1, int(round(s / v))) for s, v in zip(size, vox, strict=True))
        return cls(shape, tuple(vox))

    def check_array(self, name: str, value, *, vector: bool = False, finite: bool = True) -> np.ndarray:
        """Validate that ``value`` lives on this grid: shape (nz, ny, nx) or (3, nz, ny, nx)."""
        shape = ((3,) if vector else ()) + self.shape
        return as_float_array(name, value, shape=shape, finite=finite)

    # xarray helpers ---------------------------------------------------------------------------
    def coords(self) -> dict[str, xr.DataArray]:
        return {
            "z": xr.DataArray(self.z, dims="z", attrs={"units": "m", "long_name": "height"}),
            "y": xr.DataArray(self.y, dims="y", attrs={"units": "m"}),
            "x": xr.DataArray(self.x, dims="x", attrs={"units": "m"}),
        }

    def attrs(self) -> dict:
        return {
            "grid_shape": list(self.shape),
            "grid_spacing": list(self.spacing),
            "grid_origin": list(self.origin),
        }

    def to_dataarray(self, values, name: str, units: str, *, long_name: str | None = None) -> xr.DataArray:
        """Wrap a ``(nz, ny, nx)`` scalar or ``(3, nz, ny, nx)`` vector array as a DataArray."""
        arr = np.asarray(values)
        vector = arr.ndim == 4
        if arr.shape[-3:] != self.shape or (vector and arr.shape[0] != 3) or arr.ndim not in (3, 4):
            raise InputError(
                f"{name}: expected shape {self.shape} or (3, *{self.shape}) to match the grid, got {arr.shape}"
            )
        dims = (("component",) if vector else ()) + ("z", "y", "x")
        coords = self.coords()
        if vector:
            coords["component"] = list(COMPONENTS)
        attrs = {"units": units}
        if long_name:
            attrs["long_name"] = long_name
        return xr.DataArray(arr, dims=dims, coords=coords, name=name, attrs=attrs)

    def plane_coords(self, heights) -> dict[str, xr.DataArray]:
        """Coordinates for fields on planes z = h above the grid (dims ``height, y, x``)."""
        h = np.atleast_1d(np.asarray(heights, dtype=float))
        c = self.coords()
        return {
            "height": xr.DataArray(h, dims="height", attrs={"units": "m", "long_name": "sensor height z"}),
            "y": c["y"],
            "x": c["x"],
        }

    def field_on_planes(self, B, heights, name: str = "B", units: str = "T") -> xr.DataArray:
        """Wrap a field ``(3, nh, ny, nx)`` or scalar ``(nh, ny, nx)`` on planes as a DataArray."""
        arr = np.asarray(B)
        h = np.atleast_1d(np.asarray(heights, dtype=float))
        want = (h.size, self.ny, self.nx)
        if arr.shape[-3:] != want or arr.ndim not in (3, 4):
            raise InputError(f"{name}: expected shape (3, *{want}) or {want}, got {arr.shape}")
        coords = self.plane_coords(h)
        dims = ("height", "y", "x")
        if arr.ndim == 4:
            dims = ("component", *dims)
            coords["component"] = list(COMPONENTS)
        return xr.DataArray(arr, dims=dims, coords=coords, name=name, attrs={"units": units})

    @classmethod
    def from_dataset(cls, ds: xr.Dataset | xr.DataArray) -> Grid:
        """Recover the grid stored by :meth:`attrs` (or infer it from z, y, x coordinates)."""
        a = ds.attrs
        if "grid_shape" in a:
            return cls(tuple(a["grid_shape"]), tuple(a["grid_spacing"]), tuple(a["grid_origin"]))
        try:
            z, y, x = (np.asarray(ds[c].values, dtype=float) for c in ("z", "y", "x"))
        except KeyError as exc:
            raise InputError("dataset: has neither grid attrs nor z, y, x coordinates") from exc
        sp = [float(np.diff(c).mean()) if c.size > 1 else 1.0 for c in (z, y, x)]
        return cls((z.size, y.size, x.size), tuple(sp), (z[0], y[0], x[0]))
