"""Magnetostatic forward fields: magnetization and current density → B on planes above the sample.

* :func:`stray_field_from_magnetization`, :func:`oersted_field_from_current` — exact fields of
  voxelized sources (cuboid kernels, zero-padded FFT convolution), shape (3, nh, ny, nx) in T;
  wrap them with ``grid.field_on_planes(B, heights)`` for an xarray DataArray.
* :func:`paramagnetic_magnetization`, :func:`molar_to_volume_susceptibility` — sources.
* :func:`nv_axis`, :func:`project` — the field along the NV axis.
* :func:`field_in_volume`, :func:`field_shift_in_volume` — the field inside the magnetized
  volume (Lorentz-corrected local field, susceptibility shifts); :mod:`.volume`.
* :mod:`.fourier` — 2-D Fourier transfer functions shared with the inverse stage.
"""

from . import fourier
from .forward import clear_kernel_cache, oersted_field_from_current, stray_field_from_magnetization
from .projection import NV_AXES, NV_TILT_111, nv_axis, project
from .sources import (
    molar_susceptibility_from_cgs,
    molar_to_volume_susceptibility,
    paramagnetic_magnetization,
)
from .volume import field_in_volume, field_shift_in_volume, shift_tensor_in_volume

__all__ = [
    "NV_AXES",
    "NV_TILT_111",
    "clear_kernel_cache",
    "field_in_volume",
    "field_shift_in_volume",
    "fourier",
    "molar_susceptibility_from_cgs",
    "molar_to_volume_susceptibility",
    "nv_axis",
    "oersted_field_from_current",
    "paramagnetic_magnetization",
    "project",
    "shift_tensor_in_volume",
    "stray_field_from_magnetization",
]
