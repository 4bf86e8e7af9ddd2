"""The symmetric Li | LLZO | Li cell at MRI scale, and lithium metal as a partial volume.

At 20–100 µm voxels a dendrite (µm filaments along grain boundaries) fills a small fraction of a
voxel. :class:`MetalFraction` carries, per voxel, the Li-metal volume fraction and its surface
area per metal volume (S/V, m⁻¹): the RF reaches a metal through its surface, so S/V sets the
skin-depth weight of the voxel (:func:`operando.nmr.mri.signal.film_weight`). A resolved
electrode is the same description: its face voxels are metal with S/V = exposed area / volume,
its interior voxels have S/V = 0.

Coarse-graining sums metal volume and metal surface over blocks, so lithium is conserved exactly
and a fine (NV-scale) cell maps onto MRI voxels without losing or inventing metal.

Stacking along x as in every operando cell (DESIGN.md): Cu | Li | LLZO pellet | Li | Cu, the
pellet a disc in the (z, y) plane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_positive
from ..errors import GeometryError, InputError
from ..grid import Grid
from .cell import LABEL, Cell

__all__ = ["MetalFraction", "coarse_grain", "liu2025_symmetric", "metal_of_cell", "pellet_mask"]


@dataclass
class MetalFraction:
    """Li metal per voxel: ``fraction`` (0–1) and ``surface_to_volume`` (m⁻¹; 0 where no metal),
    both (nz, ny, nx) on ``grid``."""

    grid: Grid
    fraction: np.ndarray
    surface_to_volume: np.ndarray

    def __post_init__(self):
        self.fraction = self.grid.check_array("fraction", self.fraction)
        self.surface_to_volume = self.grid.check_array("surface_to_volume", self.surface_to_volume)
        if np.any(self.fraction < 0) or np.any(self.fraction > 1 + 1e-12):
            raise InputError(f"fraction: metal volume fractions must lie in [0, 1], got "
                             f"[{self.fraction.min():.3g}, {self.fraction.max():.3g}]")
        if np.any(self.surface_to_volume < 0):
            raise InputError("surface_to_volume: must be >= 0 m^-1")

    @property
    def volume(self) -> np.ndarray:
        """Metal volume per voxel (m³)."""
        return self.fraction * self.grid.voxel_volume

    @property
    def area(self) -> np.ndarray:
        """Metal surface area per voxel (m²)."""
        return self.surface_to_volume * self.volume

    @property
    def total_volume(self) -> float:
        return float(self.volume.sum())

    def __add__(self, other: MetalFraction) -> MetalFraction:
        if other.grid != self.grid:
            raise InputError("other: metal fractions must share one grid to be added")
        return _from_volume_area(self.grid, self.volume + other.volume, self.area + other.area)


def _from_volume_area(grid: Grid, volume, area) -> MetalFraction:
    vol = np.asarray(volume, float)
    sv = np.divide(area, vol, out=np.zeros_like(vol), where=vol > 0)
    return MetalFraction(grid, np.minimum(vol / grid.voxel_volume, 1.0), sv)


def metal_of_cell(cell: Cell, phases=None, *, shield=("collector",)) -> MetalFraction:
    """Li metal of a labelled cell: fraction 1 in the Li phases (``phases``, default every phase
    made of Li), S/V from the voxel faces they expose to non-metal, non-``shield`` neighbours (a Li
    face on a Cu collector is no surface for the RF). Outside the array counts as exposed."""
    names = cell.phases_of("Li") if phases is None else list(phases)
    metal = cell.mask(names) if names else np.zeros(cell.grid.shape, bool)
    blocked = metal | cell.mask([p for p in shield if p in cell.phase_names]) if shield else metal
    area = np.zeros(cell.grid.shape)
    face = {0: cell.grid.dy * cell.grid.dx, 1: cell.grid.dz * cell.grid.dx, 2: cell.grid.dz * cell.grid.dy}
    for axis in range(3):
        padded = np.pad(blocked, [(1, 1) if a == axis else (0, 0) for a in range(3)], constant_values=False)
        n = blocked.shape[axis]
        for lo in (0, 2):  # the neighbour before and after along this axis
            neighbour = np.take(padded, np.arange(lo, lo + n), axis=axis)
            area += face[axis] * (metal & ~neighbour)
    return _from_volume_area(cell.grid, metal * cell.grid.voxel_volume, area)


def coarse_grain(metal: MetalFraction, factor) -> MetalFraction:
    """Metal on voxels ``factor`` (one int or (fz, fy, fx)) times larger: volumes and areas summed
    over each block (the array is padded with empty voxels to whole blocks), so Li is conserved."""
    f = np.broadcast_to(np.asarray(factor), (3,))
    if np.any(f < 1) or np.any(f != np.round(f)):
        raise InputError(f"factor: expected positive integers, got {np.asarray(factor).tolist()}")
    f = tuple(int(v) for v in f)
    g = metal.grid
    shape = tuple(-(-n // k) for n, k in zip(g.shape, f, strict=True))
    pad = [(0, s * k - n) for s, k, n in zip(shape, f, g.shape, strict=True)]

    def block_sum(a):
        a = np.pad(a, pad)
        return a.reshape(shape[0], f[0], shape[1], f[1], shape[2], f[2]).sum(axis=(1, 3, 5))

    spacing = tuple(s * k for s, k in zip(g.spacing, f, strict=True))
    origin = tuple(o - 0.5 * s + 0.5 * c for o, s, c in zip(g.origin, g.spacing, spacing, strict=True))
    coarse = Grid(shape, spacing, origin)
    return _from_volume_area(coarse, block_sum(metal.volume), block_sum(metal.area))


def pellet_mask(cell: Cell) -> np.ndarray:
    """The garnet pellet's voxels (grains and boundaries)."""
    return cell.mask([p for p in ("llzo", "llzo_gb") if p in cell.phase_names])


def liu2025_symmetric(voxel: float = 50e-6, *, pellet_diameter: float = 4.8e-3, pellet_thickness: float = 1.0e-3,
                      electrode_diameter: float = 4.0e-3, li_thickness: float = 100e-6, copper: bool = False,
                      copper_thickness: float = 20e-6, copper_width: float = 3e-3, margin: float = 2,
                      electrolyte: str = "LLZO") -> Cell:
    """Symmetric Li | LLZO | Li cell of Liu et al., Nat. Mater. 2025 on voxels of ``voxel`` m.

    From the paper: the pellet Ø 4.8 mm × 1.0 mm, cubic LLZO, Li chips punched at
    Ø 4 mm for the small pellet, Cu strips 3 mm wide on the Li of the operando bag cell
    (``copper=True``, the strips' 60 mm length cut at the array's edge). Assumed: the Li
    thickness (100 µm; "reduced" by pressing, not given) and the Cu thickness (20 µm); the garnet
    as ``"LLZO"`` (the material with tabulated ⁷Li shift and spin density). The
    polyester bag holds no Li and no conductor and is left out. ``margin``: empty voxels around.
    """
    v = check_positive("voxel", voxel, unit="m")
    if not 1e-6 <= v <= 200e-6:
        raise InputError(f"voxel: expected an MRI-scale voxel in [1, 200] um, got {v * 1e6:.3g} um")
    d = check_positive("pellet_diameter", pellet_diameter, unit="m")
    t = check_positive("pellet_thickness", pellet_thickness, unit="m")
    de = check_positive("electrode_diameter", electrode_diameter, unit="m")
    tl = check_positive("li_thickness", li_thickness, unit="m")
    tc = check_positive("copper_thickness", copper_thickness, unit="m") if copper else 0.0
    if de > d:
        raise GeometryError(f"electrode_diameter: {de * 1e3:.3g} mm exceeds the pellet's {d * 1e3:.3g} mm")
    m = int(margin)
    n_lat = int(np.ceil(d / v)) + 2 * m
    layers = [tc, tl, t, tl, tc]
    n_layers = [max(1, int(round(L / v))) if L > 0 else 0 for L in layers]
    if min(n_layers[1:4]) < 1:
        raise GeometryError(f"voxel: {v * 1e6:.3g} um is thicker than a Li electrode or the pellet")
    nx = sum(n_layers) + 2 * m
    grid = Grid((n_lat, n_lat, nx), v, origin=(-(n_lat - 1) * v / 2, -(n_lat - 1) * v / 2, v / 2))
    zz, yy = grid.z[:, None], grid.y[None, :]
    r = np.hypot(zz, yy)
    labels = np.zeros(grid.shape, np.int8)
    bounds = np.cumsum([m, *n_layers])
    discs = [np.abs(zz) <= copper_width / 2 + 0 * yy, r <= de / 2, r <= d / 2, r <= de / 2,
             np.abs(zz) <= copper_width / 2 + 0 * yy]
    names = ["collector", "li_metal", "llzo", "li_metal", "collector"]
    for lo, hi, disc, name in zip(bounds[:-1], bounds[1:], discs, names, strict=True):
        if hi > lo:
            labels[:, :, lo:hi] = np.where(disc[:, :, None], LABEL[name], labels[:, :, lo:hi])
    cell = Cell(grid, labels, material_of={"llzo": electrolyte, "llzo_gb": f"{electrolyte}_GB", "collector": "Cu",
                                           "li_metal": "Li", "void": "void", "dendrite": "Li", "inclusion": "Li"},
                attrs={"preset": "liu2025_symmetric", "pellet_diameter": d, "pellet_thickness": t,
                       "electrode_diameter": de, "li_thickness": tl, "copper": bool(copper),
                       "pellet_x": [float(bounds[2] * v), float(bounds[3] * v)],
                       "assumed": ["li_thickness", "copper_thickness"]})
    return cell
