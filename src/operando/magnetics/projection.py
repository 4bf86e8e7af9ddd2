"""Projection of vector fields on the NV-centre axis of the sensor."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._checks import as_float_array, check_choice, check_finite_scalar, unit_vector
from ..errors import InputError

__all__ = ["NV_AXES", "NV_TILT_111", "nv_axis", "project"]

NV_AXES = ("perpendicular", "parallel", "111")
# polar angle of a <111> bond from the [001] normal of a (100)-cut diamond: arccos(1/√3) = 54.7356°
NV_TILT_111 = float(np.arccos(1 / np.sqrt(3)))


def nv_axis(kind: str = "111", azimuth: float = 0.0) -> np.ndarray:
    """Unit vector (3,) of a named NV axis in the sample frame (x, y, z; z normal to the surface).

    ``kind``: "perpendicular" (ẑ), "parallel" (in the surface plane) or "111" (tilted by
    arccos(1/√3) ≈ 54.74° from the normal, the [111] axis of a (100)-cut diamond tip).
    ``azimuth``: angle of the in-plane part from +x towards +y, radians.
    """
    check_choice("kind", kind, NV_AXES)
    phi = check_finite_scalar("azimuth", azimuth)
    theta = {"perpendicular": 0.0, "parallel": np.pi / 2, "111": NV_TILT_111}[kind]
    return np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])


def project(B, axis):
    """Component of B along ``axis``: Σ_c B[c] axis[c] over the leading component axis.

    ``B``: array (3, ...) or DataArray with a ``component`` dimension; ``axis``: a 3-vector
    (normalised here) or the name of an NV axis (see :func:`nv_axis`, azimuth 0).
    Returns an array of shape ``B.shape[1:]`` (a DataArray without ``component`` for DataArrays).
    """
    n = nv_axis(axis) if isinstance(axis, str) else unit_vector("axis", axis)
    if isinstance(B, xr.DataArray):
        if "component" not in B.dims or B.sizes["component"] != 3:
            raise InputError(f"B: expected a 'component' dimension of size 3, got dims {B.dims}")
        out = xr.dot(B, xr.DataArray(n, dims="component"), dim="component")
        out.attrs = dict(B.attrs)
        return out
    B = as_float_array("B", B)
    if B.ndim == 0 or B.shape[0] != 3:
        raise InputError(f"B: expected shape (3, ...) with components x, y, z first, got {B.shape}")
    return np.tensordot(n, B, axes=(0, 0))
