"""Import a segmented volume (NumPy array, .npy/.npz, or a TIFF stack) as a :class:`Cell`.

A label map assigns every integer label a material
(``{0: "void", 1: "Li", 2: "LLZO", 3: "LiCoO2"}``), a standard phase name (``"llzo_gb"``) or an
explicit ``(phase, material)`` pair. The labels keep their original integer values in the cell,
so import -> export -> import is lossless.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import ndimage

from .. import materials
from ..errors import DataFileError, InputError
from ..grid import Grid
from .cell import DEFAULT_MATERIALS, PHASES, Cell

#: Phase that a material takes by default when imported.
PHASE_OF_MATERIAL = {
    "void": "void",
    "Li": "li_metal",
    "LLZO": "llzo",
    "LLZO_GB": "llzo_gb",
    "LLZO_cubic": "llzo",
    "LLZO_cubic_GB": "llzo_gb",
    "LiCoO2": "lco",
    "Cu": "collector",
    "Al": "collector",
    "Au": "collector",
    "Pt": "collector",
}


def read_volume(source) -> np.ndarray:
    """Array from a NumPy array, a .npy/.npz file (first array) or a .tif/.tiff stack (z first)."""
    if isinstance(source, np.ndarray):
        return source
    path = Path(source)
    if not path.exists():
        raise DataFileError(f"labels: no such file {str(path)!r}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return z[z.files[0]]
        if suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(path) as tif:
                series = tif.series[0]
                shape, axes = series.shape, series.axes
                # colour samples last (YXS): that axis would be read as x. Planar samples first
                # (SYX) are how tifffile stores a stack of 3 or 4 slices: read as z, as they should be
                volume = None if axes.endswith("S") else series.asarray()
    except (OSError, ValueError) as exc:
        raise DataFileError(f"labels: cannot read {str(path)!r}: {exc}") from exc
    if suffix in (".tif", ".tiff"):
        if volume is None:
            raise DataFileError(
                f"labels: {str(path)!r} is a colour (RGB) image of shape {shape} (axes {axes}); save the "
                "segmentation with one label per voxel (a grayscale integer TIFF stack, z first)")
        return volume
    raise InputError(f"labels: unsupported file type {suffix!r}; use .npy, .npz, .tif or .tiff")


def _as_labels(arr) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise InputError(
            f"labels: expected a 2-D image or a 3-D (z, y, x) volume, got shape {a.shape}"
        )
    if a.dtype == bool:
        a = a.astype(np.int8)
    if not np.issubdtype(a.dtype, np.integer):
        if not np.issubdtype(a.dtype, np.floating):
            raise InputError(f"labels: expected integer labels, got dtype {a.dtype}")
        bad = ~np.isfinite(a) | (a != np.round(a))
        if bad.any():
            v = a[bad].flat[0]
            raise InputError(
                f"labels: must be integers; {int(bad.sum())} value(s) are not, e.g. {v!r}"
            )
    lo, hi = int(a.min()), int(a.max())
    if lo < np.iinfo(np.int16).min or hi > np.iinfo(np.int16).max:
        raise InputError(f"labels: values must fit int16 [-32768, 32767], got range [{lo}, {hi}]")
    return a.astype(np.int8 if (lo >= -128 and hi <= 127) else np.int16)


def _resolve(label, value) -> tuple[str, str]:
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise InputError(
                f"label_map: entry {label} must be a material, a phase or (phase, material)"
            )
        phase, mat = str(value[0]), materials.get(str(value[1])).name
        return phase, mat
    value = str(value)
    if value in PHASES:
        return value, DEFAULT_MATERIALS[value]
    mat = materials.get(value).name  # raises UnknownMaterialError listing the known names
    return PHASE_OF_MATERIAL.get(mat, mat.lower()), mat


def _checked_map(lab: np.ndarray, label_map, what: str = "the volume") -> dict:
    """``label_map`` with integer keys, after checking that it maps every label present in ``lab``."""
    if not isinstance(label_map, dict) or not label_map:
        raise InputError("label_map: expected a non-empty dict {label: material or phase}")
    try:
        keys = {int(k): v for k, v in label_map.items()}
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"label_map: keys must be integer labels, got {list(label_map)!r}"
        ) from exc
    missing = sorted(set(np.unique(lab).tolist()) - set(keys))
    if missing:
        raise InputError(
            f"label_map: labels {missing} occur in {what} but are not mapped; mapped: {sorted(keys)}"
        )
    return keys


def check_labels(source, label_map: dict, what: str = "labels") -> tuple[int, ...]:
    """Check that ``source`` (a path or an array) reads as a label volume and that ``label_map``
    maps every label in it, with one material per phase (what a charge model holds); returns the
    volume's (nz, ny, nx). Every failure is an :class:`InputError` naming ``what`` (an unreadable
    file, unmapped labels, unknown materials, two materials of one phase)."""
    try:
        lab = _as_labels(read_volume(source))
    except DataFileError as exc:
        raise InputError(f"{what}: {str(exc).removeprefix('labels: ')}") from None
    keys = _checked_map(lab, label_map, what=f"{what} {str(source)!r}" if not isinstance(source, np.ndarray) else what)
    first_of = {}  # phase -> (label, material) of its first label
    for k, v in keys.items():
        try:
            phase, mat = _resolve(k, v)
        except KeyError as exc:  # an unknown material: its message lists the known ones
            raise InputError(f"label_map: label {k}: {exc.args[0] if exc.args else exc}") from None
        other, other_mat = first_of.setdefault(phase, (k, mat))
        if other_mat != mat:
            raise InputError(
                f"label_map: labels {other} ({other_mat}) and {k} ({mat}) are both the phase {phase!r}; a "
                f"charged cell holds one material per phase: map both to one material, or give label {k} "
                f"a phase of its own as [phase, material] (phases: {', '.join(p for p in PHASES if p != 'void')}"
                f"; 'cap' is a second electrolyte, e.g. {k} = [\"cap\", \"{mat}\"])")
    return lab.shape


def from_labels(
    labels,
    label_map: dict,
    voxel=None,
    *,
    grid: Grid | None = None,
    x_init: float = 0.99,
    particles: bool = True,
) -> Cell:
    """A :class:`Cell` from a labelled volume.

    Parameters
    ----------
    labels : (nz, ny, nx) or (ny, nx) integer array, or a path to .npy/.npz/.tif(f).
    label_map : {label: material | phase | (phase, material)} covering every label present.
    voxel : voxel size in m (one or (dz, dy, dx)); or give ``grid``.
    particles : label connected LixCoO2 regions as particles (``particle_id``).
    """
    lab = _as_labels(read_volume(labels))
    keys = _checked_map(lab, label_map)
    phases, material_of = {}, {}
    for k, v in keys.items():
        phase, mat = _resolve(k, v)
        if material_of.get(phase, mat) != mat:
            phase = f"{phase}_{mat.lower()}"
        phases[k] = phase
        material_of[phase] = mat
    if grid is None:
        if voxel is None:
            raise InputError("voxel: give the voxel size in m (or a grid)")
        grid = Grid(lab.shape, voxel)
    elif grid.shape != lab.shape:
        raise InputError(f"grid: shape {grid.shape} does not match the labels {lab.shape}")
    cell = Cell(grid, lab, phases, material_of, x_init=x_init, attrs={"imported": True})
    if particles and "lco" in phases.values():
        ids, _ = ndimage.label(cell.mask("lco"), structure=ndimage.generate_binary_structure(3, 1))
        cell.particle_id = (ids - 1).astype(np.int32)
    return cell
