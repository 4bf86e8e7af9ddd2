"""Segmentation of a reconstructed μ volume into phases, and interfaces as height maps Z(x, y).

Phases are told apart by their attenuation: each voxel goes to the phase whose expected μ is
nearest (thresholds half-way between neighbouring μ's), after an optional Gaussian denoising; or,
with the expected μ's unknown, to the classes of scikit-image's multi-Otsu thresholds. An
interface between a phase *below* and a phase *above* (along the stacking axis, z by default) is
the top face of the highest voxel of *below* that has *above* directly over it; its height is then
refined to sub-voxel precision from the grey values, by the partial-volume fraction of *below* in a
window around it (the local mean of μ between the two phases' values).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from ..._checks import as_float_array, check_positive
from ...errors import InputError


def segment(volume, mu_of_phase: Mapping[str, float], *, smooth_px: float = 0.0):
    """Labels (nz, ny, nx) int and the label → phase mapping, by nearest expected μ (1/m)."""
    vol = as_float_array("volume", volume)
    if len(mu_of_phase) < 2:
        raise InputError(f"mu_of_phase: need at least two phases, got {list(mu_of_phase)}")
    names = sorted(mu_of_phase, key=mu_of_phase.get)
    levels = np.array([float(mu_of_phase[n]) for n in names])
    if np.any(np.diff(levels) <= 0):
        raise InputError(f"mu_of_phase: phases need distinct μ to be told apart, got {dict(mu_of_phase)}")
    if check_positive("smooth_px", smooth_px, allow_zero=True) > 0:
        vol = ndimage.gaussian_filter(vol, smooth_px)
    labels = np.digitize(vol, 0.5 * (levels[1:] + levels[:-1])).astype(np.int16)
    return labels, dict(enumerate(names))


def segment_otsu(volume, n_classes: int = 3, *, smooth_px: float = 0.0):
    """Labels 0..n_classes-1 by increasing μ from multi-Otsu thresholds (scikit-image)."""
    from skimage.filters import threshold_multiotsu

    vol = as_float_array("volume", volume)
    if check_positive("smooth_px", smooth_px, allow_zero=True) > 0:
        vol = ndimage.gaussian_filter(vol, smooth_px)
    thresholds = threshold_multiotsu(vol, classes=int(n_classes))
    return np.digitize(vol, thresholds).astype(np.int16), thresholds


def interface_height(labels, below: int, above: int, spacing: float, *, axis: int = 0, origin: float = 0.0,
                     image=None, mu_below: float | None = None, mu_above: float | None = None,
                     window: int = 3) -> np.ndarray:
    """Height map Z (m) of the interface between labels ``below`` and ``above``.

    labels : (nz, ny, nx) segmented volume; ``axis`` is the stacking axis (0 = z).
    spacing : voxel size along the stacking axis, m; ``origin`` the coordinate of the lower face
        of voxel 0 along it.
    image, mu_below, mu_above : grey-value volume and the two phases' μ, for sub-voxel
        refinement over ±``window`` voxels; without them Z is on voxel faces.

    Returns the map over the two other axes. Raises InputError naming ``below``/``above`` when a
    phase is absent, and ``labels`` when a column has no such interface.
    """
    lab = np.moveaxis(np.asarray(labels), axis, -1)
    dz = check_positive("spacing", spacing, unit="m")
    for name, value in (("below", below), ("above", above)):
        if not np.any(lab == value):
            raise InputError(f"{name}: phase label {value!r} is absent from the volume; cannot find the interface")
    contact = (lab[..., :-1] == below) & (lab[..., 1:] == above)
    found = contact.any(axis=-1)
    if not found.all():
        raise InputError(
            f"labels: no voxel of phase {below!r} lies directly under phase {above!r} in "
            f"{int((~found).sum())} of {found.size} columns; the interface cannot be found there"
        )
    n = lab.shape[-1]
    top = n - 2 - np.argmax(contact[..., ::-1], axis=-1)  # index of the highest contact's lower voxel
    height = top + 1.0
    if image is not None:
        if mu_below is None or mu_above is None:
            raise InputError("mu_below, mu_above: both are needed to refine the interface from image")
        img = np.moveaxis(as_float_array("image", image, shape=np.shape(labels)), axis, -1)
        w = int(window)
        offs = np.arange(-w, w)
        idx = np.clip(top[..., None] + 1 + offs, 0, n - 1)
        frac = (np.take_along_axis(img, idx, axis=-1) - mu_above) / (mu_below - mu_above)
        height = top + 1.0 - w + np.clip(frac, 0.0, 1.0).sum(axis=-1)
    return origin + dz * height
