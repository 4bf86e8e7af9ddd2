"""The labelled voxel cell: phase per voxel, material per phase, particle and grain ids.

Geometry (DESIGN.md): arrays ``(nz, ny, nx)``; the cross-section lies in the sample plane with the
Li negative electrode at low x, the LLZO electrolyte in the middle, the composite positive
electrode (LixCoO2 particles + LLZO) toward high x and an optional current collector at the far x
end; y is lateral and z depth (top surface at z = 0). A 2-D cell is one voxel deep (``nz == 1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from .. import materials
from ..errors import InputError
from ..grid import Grid
from ..io import load_dataset, provenance, save_dataset

#: Standard phase names. "inclusion" holds isolated Li-metal inclusions in the electrolyte.
PHASES = ("void", "li_metal", "llzo", "llzo_gb", "lco", "dendrite", "collector", "cap", "inclusion")
#: Label of each standard phase in generated cells.
LABEL = {name: i for i, name in enumerate(PHASES)}
#: Default material of each standard phase.
DEFAULT_MATERIALS = {
    "void": "void",
    "li_metal": "Li",
    "llzo": "LLZO",
    "llzo_gb": "LLZO_GB",
    "lco": "LiCoO2",
    "dendrite": "Li",
    "collector": "Au",
    "cap": "LLZO",
    "inclusion": "Li",
}
#: Properties that are zero for a material that lacks them (no such conduction path).
ZERO_IF_MISSING = ("ionic_conductivity", "electronic_conductivity", "diffusivity")
#: Properties of LixCoO2 that depend on the lithium content x (operando.materials.lixcoo2).
X_DEPENDENT = (
    "chi_molar",
    "chi_volume",
    "ionic_conductivity",
    "electronic_conductivity",
    "diffusivity",
)


@dataclass
class Cell:
    """A labelled voxel microstructure.

    Attributes
    ----------
    grid : Grid
    labels : (nz, ny, nx) int8/int16 array of phase labels.
    phases : dict label -> phase name (standard names in :data:`PHASES`; imports may add more).
    material_of : dict phase name -> material name in :mod:`operando.materials`.
    particle_id : (nz, ny, nx) int32, index of the LixCoO2 particle, -1 elsewhere.
    grain_id : (nz, ny, nx) int32, index of the LLZO grain, -1 elsewhere.
    x_init : initial lithium content of LixCoO2 (0.99 by default: the OCP fit diverges at x = 1).
    attrs : metadata (seed, sizes, buried particle ids, cap thickness, region bounds in m).
    """

    grid: Grid
    labels: np.ndarray
    phases: dict[int, str] = field(default_factory=lambda: dict(enumerate(PHASES)))
    material_of: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MATERIALS))
    particle_id: np.ndarray | None = None
    grain_id: np.ndarray | None = None
    x_init: float = 0.99
    attrs: dict = field(default_factory=dict)

    def __post_init__(self):
        lab = np.asarray(self.labels)
        if lab.shape != self.grid.shape:
            raise InputError(
                f"labels: expected shape {self.grid.shape} to match the grid, got {lab.shape}"
            )
        if not np.issubdtype(lab.dtype, np.integer):
            raise InputError(f"labels: expected an integer array, got dtype {lab.dtype}")
        self.labels = lab
        self.phases = {int(k): str(v) for k, v in self.phases.items()}
        missing = sorted(set(np.unique(lab).tolist()) - set(self.phases))
        if missing:
            raise InputError(f"phases: labels {missing} occur in the volume but have no phase name")
        for name in set(self.phases.values()) - set(self.material_of):
            if name in DEFAULT_MATERIALS:
                self.material_of[name] = DEFAULT_MATERIALS[name]
        for ids_name in ("particle_id", "grain_id"):
            ids = getattr(self, ids_name)
            ids = (
                np.full(self.grid.shape, -1, np.int32) if ids is None else np.asarray(ids, np.int32)
            )
            if ids.shape != self.grid.shape:
                raise InputError(f"{ids_name}: expected shape {self.grid.shape}, got {ids.shape}")
            setattr(self, ids_name, ids)
        if not 0.0 <= float(self.x_init) <= 1.0:
            raise InputError(f"x_init: lithium content must lie in [0, 1], got {self.x_init!r}")
        self.x_init = float(self.x_init)

    # --- queries ---------------------------------------------------------------------------------
    @property
    def phase_names(self) -> list[str]:
        return list(dict.fromkeys(self.phases.values()))

    def labels_of(self, phase: str) -> list[int]:
        return [k for k, v in self.phases.items() if v == phase]

    def mask(self, phase: str | tuple | list) -> np.ndarray:
        """Boolean (nz, ny, nx) mask of one phase name or a list of them."""
        names = [phase] if isinstance(phase, str) else list(phase)
        known = set(self.phases.values()) | set(PHASES)
        for n in names:
            if n not in known:
                raise InputError(
                    f"phase: unknown name {n!r}; this cell has {sorted(set(self.phases.values()))}"
                )
        labs = [k for n in names for k in self.labels_of(n)]
        return np.isin(self.labels, labs) if labs else np.zeros(self.grid.shape, bool)

    def phases_of(self, material: str) -> list[str]:
        """Names of this cell's phases made of ``material`` ("Li": electrode, dendrite, inclusions)."""
        name = materials.get(material).name
        return [p for p in self.phase_names
                if p in self.material_of and materials.get(self.material_of[p]).name == name]

    def material(self, phase: str) -> materials.Material:
        if phase not in self.material_of:
            raise InputError(f"phase: {phase!r} has no material; material_of = {self.material_of}")
        return materials.get(self.material_of[phase])

    def _x_dependent(self, phase: str, prop: str) -> bool:
        return self.material_of.get(phase) == "LiCoO2" and prop in X_DEPENDENT

    def phase_value(self, phase: str, prop: str, x=None):
        """Value of ``prop`` for ``phase``: a float, or for LixCoO2 its value at Li content ``x``
        (default ``x_init``; scalar or array)."""
        if self._x_dependent(phase, prop):
            return getattr(materials.lixcoo2, prop)(self.x_init if x is None else x)
        mat = self.material(phase)
        if prop in ZERO_IF_MISSING and not mat.has(prop):
            return 0.0
        return mat.value(prop)

    def grain_boundary_fill(self) -> float:
        """Fraction of a grain-boundary voxel's thickness that is physical boundary, in (0, 1].

        The digital boundary is widened to stay face-connected (:mod:`operando.cell.grains`):
        ``gb_thickness / gb_thickness_effective`` from ``attrs``; 1 when the cell does not record
        them (imported cells).
        """
        t_eff = float(self.attrs.get("gb_thickness_effective") or 0.0)
        t_phys = float((self.attrs.get("spec") or {}).get("gb_thickness") or 0.0)
        if t_eff <= 0 or t_phys <= 0:
            return 1.0
        return min(1.0, t_phys / t_eff)

    def _grain_boundary_transport(self, value: float, prop: str) -> float:
        """Transport coefficient of a widened grain-boundary voxel that keeps the physical
        boundary's resistance (Wiener bounds on the boundary + grain layers of the voxel).

        A boundary less conducting than its grains is a barrier crossed in series, so the voxel
        takes the harmonic mix; a more conducting one is a path along the boundary, so the
        arithmetic mix. Either way the voxel-size dependence of the widened layer cancels.
        """
        f = self.grain_boundary_fill()
        if f >= 1.0 or "llzo" not in self.material_of:
            return value
        grain = float(self.phase_value("llzo", prop))
        if value <= grain:
            return 0.0 if value == 0 else 1.0 / (f / value + (1 - f) / grain)
        return f * value + (1 - f) * grain

    def property_map(self, prop: str, x=None) -> np.ndarray:
        """Per-voxel SI value of ``prop``, (nz, ny, nx) float64.

        LixCoO2 voxels use the composition-dependent functions of ``materials.lixcoo2`` at ``x``
        (scalar or (nz, ny, nx) array; default ``x_init``). Conductivities and diffusivity are 0
        for materials without them (e.g. void); other missing properties raise InputError.
        Grain-boundary voxels carry the transport coefficients of the physical boundary spread over
        the widened digital one (:meth:`grain_boundary_fill`).
        """
        x_arr = None
        if x is not None and np.ndim(x) > 0:
            x_arr = self.grid.check_array("x", x, finite=False)
        out = np.zeros(self.grid.shape)
        for label, phase in self.phases.items():
            sel = self.labels == label
            if not sel.any():
                continue
            if x_arr is not None and self._x_dependent(phase, prop):
                out[sel] = getattr(materials.lixcoo2, prop)(x_arr[sel])
            else:
                value = self.phase_value(phase, prop, x if x_arr is None else None)
                if phase == "llzo_gb" and prop in ZERO_IF_MISSING:
                    value = self._grain_boundary_transport(float(value), prop)
                out[sel] = value
        return out

    def buried_mask(self) -> np.ndarray:
        """Voxels of the features listed as buried (particles in ``attrs["buried_particles"]`` and,
        if ``attrs["dendrite_buried"]``, the dendrite)."""
        out = np.isin(self.particle_id, list(self.attrs.get("buried_particles", [])))
        if self.attrs.get("dendrite_buried"):
            out |= self.mask("dendrite")
        return out

    def burial_depth(self) -> np.ndarray:
        """Depth (m) below the surface at which each voxel's feature starts, (nz, ny, nx).

        A 2-D cell cannot hold a capping layer, so buried features carry ``attrs["cap_thickness"]``
        here (0 elsewhere); in a 3-D cell the cap is part of the voxels and this is all zeros.
        """
        out = np.zeros(self.grid.shape)
        if self.grid.nz == 1:
            out[self.buried_mask()] = float(self.attrs.get("cap_thickness", 0.0))
        return out

    def x_map(self) -> np.ndarray:
        """Lithium content per voxel: ``x_init`` in LixCoO2, NaN elsewhere."""
        out = np.full(self.grid.shape, np.nan)
        out[self.mask("lco")] = self.x_init
        return out

    # --- exchange --------------------------------------------------------------------------------
    def to_dataset(self) -> xr.Dataset:
        g = self.grid
        ds = xr.Dataset(
            {
                "labels": g.to_dataarray(self.labels, "labels", "1", long_name="phase label"),
                "particle_id": g.to_dataarray(self.particle_id, "particle_id", "1"),
                "grain_id": g.to_dataarray(self.grain_id, "grain_id", "1"),
            }
        )
        ds.attrs.update(g.attrs())
        ds.attrs.update(provenance(seed=self.attrs.get("seed")))
        ds.attrs["phases"] = json.dumps({str(k): v for k, v in self.phases.items()})
        # CF categorical map: the label values and the phase each one means
        codes = sorted(self.phases)
        ds["labels"].attrs.update(flag_values=np.asarray(codes, dtype=self.labels.dtype),
                                  flag_meanings=" ".join(self.phases[k] for k in codes))
        ds.attrs["material_of"] = json.dumps(self.material_of)
        ds.attrs["x_init"] = self.x_init
        ds.attrs["cell_attrs"] = json.dumps(self.attrs, default=_jsonable)
        return ds

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> Cell:
        try:
            phases = {int(k): v for k, v in json.loads(ds.attrs["phases"]).items()}
            material_of = json.loads(ds.attrs["material_of"])
            labels = ds["labels"].values
        except KeyError as exc:
            raise InputError(f"ds: not a cell dataset (missing {exc})") from exc
        attrs = json.loads(ds.attrs.get("cell_attrs", "{}"))
        return cls(
            Grid.from_dataset(ds),
            labels,
            phases,
            material_of,
            ds["particle_id"].values if "particle_id" in ds else None,
            ds["grain_id"].values if "grain_id" in ds else None,
            float(ds.attrs.get("x_init", 0.99)),
            attrs,
        )

    def save(self, path) -> Path:
        """Write the cell to ``.nc`` or ``.zarr`` (atomic)."""
        return save_dataset(self.to_dataset(), path)

    @classmethod
    def load(cls, path) -> Cell:
        return cls.from_dataset(load_dataset(path))

    def to_vtk(self, path) -> Path:
        """Write a legacy binary VTK file for ParaView (labels, particle_id, grain_id)."""
        from .vtk import write_vtk

        return write_vtk(
            path,
            self.grid,
            {"labels": self.labels, "particle_id": self.particle_id, "grain_id": self.grain_id},
        )

    def summary(self) -> str:
        from .metrics import phase_fractions

        fr = phase_fractions(self)
        lines = [f"Cell {self.grid.shape} voxels of {tuple(s * 1e9 for s in self.grid.spacing)} nm"]
        lines += [
            f"  {k:<10s} {v * 100:6.2f} %  ({self.material_of.get(k, '?')})"
            for k, v in fr.items()
            if v > 0
        ]
        return "\n".join(lines)


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return str(v)
