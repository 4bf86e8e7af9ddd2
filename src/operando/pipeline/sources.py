"""From a cell state to the magnetic sources the field engine takes.

A 2-D cell (one voxel deep) is an in-plane cross-section; for the field calculation it is extruded
to a slab of finite depth, with buried features (``cell.burial_depth()``) starting below the surface.
A 3-D cell is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import materials
from ..grid import Grid
from ..magnetics import paramagnetic_magnetization


@dataclass(frozen=True)
class SourceVolume:
    """The voxel volume that carries the magnetic sources of a cell.

    grid : field-engine grid (nl, ny, nx), top surface at z = 0.
    present : (nl, ny, nx) bool — which source voxels exist (False above buried features).
    column : index into the cell's z axis for each source layer (nl,).
    """

    grid: Grid
    present: np.ndarray
    column: np.ndarray

    def expand(self, values: np.ndarray) -> np.ndarray:
        """Map cell arrays (..., nz, ny, nx) onto the source grid (..., nl, ny, nx); 0 where absent."""
        values = np.asarray(values, dtype=float)
        out = np.take(values, self.column, axis=-3)
        return np.where(self.present, np.nan_to_num(out), 0.0)


def source_volume(cell, thickness: float) -> SourceVolume:
    """Extrude a 2-D cell to ``thickness`` (m) in layers of the in-plane voxel size; a 3-D cell is
    returned as it is. Buried features begin at their burial depth."""
    g = cell.grid
    if g.nz > 1:
        return SourceVolume(g, np.ones(g.shape, bool), np.arange(g.nz))
    dz = min(g.dy, g.dx)
    nl = max(1, int(round(thickness / dz)))
    grid = Grid((nl, g.ny, g.nx), (dz, g.dy, g.dx), (-(nl - 0.5) * dz, g.origin[1], g.origin[2]))
    depth_top = (nl - 1 - np.arange(nl)) * dz  # depth of each layer's top face below z = 0
    burial = cell.burial_depth()[0]
    present = depth_top[:, None, None] >= burial[None] - 1e-3 * dz
    return SourceVolume(grid, present, np.zeros(nl, dtype=int))


#: the magnetic sources of a cell, kept apart as Pollok et al., Nat. Commun. 2025, Fig. 4a plots them (plus the rest)
SOURCES = ("lco", "li", "other")


def susceptibility_maps(cell, x_li: np.ndarray) -> dict[str, np.ndarray]:
    """SI volume susceptibility (nz, ny, nx) of the cell's magnetic sources, kept apart:

    - ``"lco"``: the LixCoO2 electrode at lithium content ``x_li`` (paramagnetic, Table 1 of
      Pollok et al., Nat. Commun. 2025);
    - ``"li"``: the Li metal (electrode, dendrite, inclusions; Pauli paramagnet);
    - ``"other"``: every other phase whose material has a tabulated χ — the Au current collector
      (diamagnet, χ ≈ -3.4e-5), LLZO grains, grain boundaries and capping layer (diamagnets,
      χ ≈ -7e-8) and any phase of an imported cell. Phases whose material has no χ (void: 0 by
      definition) add nothing.

    Their sum is what the sensor sees.
    """
    lco = cell.mask("lco")
    chi_lco = np.zeros(cell.grid.shape)
    chi_lco[lco] = materials.lixcoo2.chi_volume(np.clip(x_li[lco], 0.0, 1.0))
    li_phases = cell.phases_of("Li")
    chi_li = np.where(cell.mask(li_phases), materials.get("Li").value("chi_volume"), 0.0)
    chi_other = np.zeros(cell.grid.shape)
    for phase, chi in other_susceptibilities(cell).items():
        chi_other[cell.mask(phase)] = chi
    return {"lco": chi_lco, "li": chi_li, "other": chi_other}


def other_susceptibilities(cell) -> dict[str, float]:
    """Non-zero χ (SI) of each phase of the cell other than LixCoO2 and Li metal whose material
    tabulates one (directly or from its molar χ and volume), by phase name."""
    skip = {"lco", *cell.phases_of("Li")}
    out = {}
    for phase in cell.phase_names:
        if phase in skip or phase not in cell.material_of:
            continue
        mat = cell.material(phase)
        if mat.has("chi_volume") and mat.value("chi_volume") != 0:
            out[phase] = mat.value("chi_volume")
    return out


def magnetization(volume: SourceVolume, chi: np.ndarray, B_ext: np.ndarray) -> np.ndarray:
    """M (3, nl, ny, nx) in A/m of the cell susceptibility ``chi`` (nz, ny, nx) in field ``B_ext`` (T)."""
    return paramagnetic_magnetization(volume.expand(chi), B_ext)


def current_density(volume: SourceVolume, J: np.ndarray) -> np.ndarray:
    """Current density (3, nl, ny, nx) in A/m² on the source grid from the cell's (3, nz, ny, nx)."""
    return volume.expand(J)
