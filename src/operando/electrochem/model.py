"""The charge model's inputs: phase codes, conductivities, kinetics and the LixCoO2 laws.

:class:`ChargeModel` holds everything the solver needs as plain arrays and callables, so a cell
can come from ``operando.cell`` (:meth:`ChargeModel.from_cell`) or be built by hand (tests).
All inputs are validated here, before any time is spent solving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from ..errors import InputError
from ..grid import Grid

# phase codes of the charge model
VOID, NEGATIVE, DENDRITE, ELECTROLYTE, CATHODE, COLLECTOR = 0, 1, 2, 3, 4, 5
CODE_NAMES = {
    VOID: "inert",
    NEGATIVE: "li_metal",
    DENDRITE: "dendrite",
    ELECTROLYTE: "electrolyte",
    CATHODE: "lco",
    COLLECTOR: "collector",
}
#: phase names of ``operando.cell`` → model codes ("void" is inert; the capping layer is LLZO and
#: conducts Li+ like the electrolyte it is — the magnetic model takes it as LLZO too; Li-metal
#: inclusions react like a floating dendrite)
CELL_PHASES = {
    "void": VOID,
    "cap": ELECTROLYTE,
    "li_metal": NEGATIVE,
    "dendrite": DENDRITE,
    "llzo": ELECTROLYTE,
    "llzo_gb": ELECTROLYTE,
    "lco": CATHODE,
    "collector": COLLECTOR,
    "inclusion": DENDRITE,
}
ELECTRONIC = (NEGATIVE, DENDRITE, CATHODE, COLLECTOR)
#: electrolyte phases of ``operando.cell`` whose electronic conductivity is a leakage path: the
#: grain boundaries. The grains' own (Table 1 of Pollok et al.: 1e-8–1e-7 S/cm in the cubic
#: garnet) is left out: at that value the bulk of a 20 µm cell would shunt ~80 % of a C/10 current
LEAKY_PHASES = ("llzo_gb",)
REACTIVE = (NEGATIVE, DENDRITE, CATHODE)


@dataclass
class ChargeModel:
    """Inputs of :func:`operando.electrochem.charge`.

    grid : the voxel grid; arrays below have shape ``grid.shape`` (nz, ny, nx).
    phase : int codes (VOID, NEGATIVE, DENDRITE, ELECTROLYTE, CATHODE, COLLECTOR).
    sigma_e : electronic conductivity (S/m) of Li metal, dendrite and collector voxels (the
        LixCoO2 value comes from ``lco.electronic_conductivity(x)``) and, where > 0 on
        electrolyte voxels, their electronic leakage (``electrochem.leakage``; 0: none).
    sigma_i : ionic conductivity (S/m) of the electrolyte voxels (LLZO grains and boundaries).
    x_init : initial lithium content of the LixCoO2 voxels (ignored elsewhere).
    particle_id : LixCoO2 particle of each voxel (−1 outside); lithium diffuses only inside a
        particle. ``None``: all LixCoO2 voxels form one body.
    lco : object with ``ocp(x)`` (V vs Li/Li+), ``diffusivity(x)`` (m²/s),
        ``electronic_conductivity(x)`` (S/m), ``max_concentration()`` (mol/m³) — by default
        ``operando.materials.lixcoo2``.
    i0_cathode, i0_anode : exchange current densities (A/m²) of LixCoO2|LLZO and Li|LLZO
        (also used for dendrite|LLZO); alpha : anodic transfer coefficient (cathodic 1 − alpha).
    delta_x_1c : change of x that 1 C delivers in one hour (capacity definition).
    true_interface_area : weight every reaction face by the true area of the surface it stands
        for (``operando.cell.interface_area``; a staircase overstates a sphere's area 1.5×); False
        takes the voxel faces at face value.
    """

    grid: Grid
    phase: np.ndarray
    sigma_e: np.ndarray
    sigma_i: np.ndarray
    x_init: np.ndarray
    particle_id: np.ndarray | None = None
    lco: Any = None
    i0_cathode: float = 2.6
    i0_anode: float = 257.0
    alpha: float = 0.5
    temperature: float = 298.15
    delta_x_1c: float = 0.5
    source: dict = field(default_factory=dict)
    true_interface_area: bool = True

    def __post_init__(self):
        if self.lco is None:
            from ..materials import lixcoo2

            self.lco = lixcoo2
        g = self.grid
        self.phase = np.asarray(self.phase).astype(np.int8)
        if self.phase.shape != g.shape:
            raise InputError(
                f"phase: expected shape {g.shape} to match the grid, got {self.phase.shape}"
            )
        if not np.isin(self.phase, list(CODE_NAMES)).all():
            raise InputError(
                f"phase: codes must be in {sorted(CODE_NAMES)}, "
                f"got {np.unique(self.phase).tolist()}"
            )
        self.sigma_e = g.check_array("sigma_e", self.sigma_e)
        self.sigma_i = g.check_array("sigma_i", self.sigma_i)
        self.x_init = g.check_array("x_init", self.x_init, finite=False)
        if self.particle_id is not None:
            self.particle_id = np.asarray(self.particle_id).astype(np.int64)
        self.validate()

    # ------------------------------------------------------------------------------------------
    @property
    def cathode(self) -> np.ndarray:
        return self.phase == CATHODE

    @property
    def electrolyte(self) -> np.ndarray:
        return self.phase == ELECTROLYTE

    def max_concentration(self) -> float:
        c = self.lco.max_concentration
        return float(c() if callable(c) else c)

    def one_c_current(self) -> float:
        """Current (A) of 1 C: F c_max Δx_1C V_LixCoO2 / 3600 s."""
        from .kinetics import FARADAY

        volume = self.cathode.sum() * self.grid.voxel_volume
        return FARADAY * self.max_concentration() * self.delta_x_1c * volume / 3600.0

    def nominal_area(self) -> float:
        """Cross-section normal to x (m²): Ly · Lz (a 2-D slab is one voxel deep)."""
        return self.grid.ny * self.grid.dy * self.grid.nz * self.grid.dz

    # ------------------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise InputError for out-of-range properties or a cell that cannot carry current."""
        ph = self.phase
        for name, arr, where in (
            ("sigma_e", self.sigma_e, np.isin(ph, (NEGATIVE, DENDRITE, COLLECTOR))),
            ("sigma_i", self.sigma_i, ph == ELECTROLYTE),
        ):
            vals = arr[where]
            if vals.size and (vals.min() <= 0 or vals.max() > 1e9):
                raise InputError(
                    f"{name}: conductivity of the conducting voxels must lie in (0, 1e9] S/m, "
                    f"got range [{vals.min():.3g}, {vals.max():.3g}]"
                )
        for name, val, lo, hi in (
            ("i0_cathode", self.i0_cathode, 0, 1e6),
            ("i0_anode", self.i0_anode, 0, 1e6),
            ("alpha", self.alpha, 0, 1),
            ("temperature", self.temperature, 0, 2000),
            ("delta_x_1c", self.delta_x_1c, 0, 1),
        ):
            if not (np.isfinite(val) and lo < val <= hi) or (name == "alpha" and val >= 1):
                raise InputError(
                    f"{name}: must lie in ({lo}, {hi}{')' if name == 'alpha' else ']'}, got {val!r}"
                )
        x = self.x_init[self.cathode]
        if x.size and (not np.all(np.isfinite(x)) or x.min() <= 0 or x.max() > 1):
            raise InputError(
                f"x_init: lithium content in LixCoO2 must lie in (0, 1], got range "
                f"[{np.nanmin(x):.3g}, {np.nanmax(x):.3g}]"
            )
        if self.max_concentration() <= 0:
            raise InputError(
                f"lco.max_concentration: must be > 0 mol/m³, got {self.max_concentration()!r}"
            )
        leak = self.sigma_e[ph == ELECTROLYTE]
        if leak.size and (leak.min() < 0 or leak.max() > 1e2):
            raise InputError(
                f"sigma_e: electronic leakage conductivity of the electrolyte must lie in "
                f"[0, 100] S/m, got range [{leak.min():.3g}, {leak.max():.3g}]"
            )
        if not (ph[:, :, 0] == NEGATIVE).any():
            raise InputError(
                "phase: no Li metal (negative electrode) on the low-x face x = 0 "
                "to serve as contact"
            )
        self._check_ionic_path()

    def electronic_clusters(self):
        """6-connected electronic clusters: (labels, ids grounded at x = 0, positive-terminal mask).

        The positive terminal is the current collector if there is one, else the electronic voxels
        on the x = Lx face that are not connected to the grounded Li metal.
        """
        labels, _ = ndimage.label(np.isin(self.phase, ELECTRONIC))
        neg_ids = np.unique(labels[:, :, 0][self.phase[:, :, 0] == NEGATIVE])
        coll = self.phase == COLLECTOR
        if coll.any():
            terminal = coll
        else:
            terminal = np.zeros(self.phase.shape, dtype=bool)
            last = labels[:, :, -1]
            terminal[:, :, -1] = (last > 0) & ~np.isin(last, neg_ids)
        return labels, neg_ids, terminal

    def cathode_wiring(self) -> tuple[int, int]:
        """(LixCoO2 voxels electronically connected to the positive terminal, all LixCoO2 voxels).

        Particles with no electronic path to the terminal (through LixCoO2 or the collector) never
        charge: no electron can leave them."""
        labels, _, terminal = self.electronic_clusters()
        wired = np.isin(labels, np.unique(labels[terminal])) & self.cathode
        return int(wired.sum()), int(self.cathode.sum())

    def _check_ionic_path(self) -> None:
        """The positive terminal must reach an electrode that an electrolyte cluster links to the
        grounded negative electrode."""
        labels, neg_ids, terminal = self.electronic_clusters()
        if not terminal.any():
            raise InputError(
                "phase: no positive contact: no current collector and no electronic conductor "
                "on the x = Lx face apart from the grounded Li metal"
            )
        pos_ids = np.unique(labels[terminal])
        if np.intersect1d(pos_ids, neg_ids).size:
            raise InputError(
                "phase: the positive terminal is electronically connected to the Li metal "
                "(short circuit)"
            )
        reactive = np.isin(self.phase, REACTIVE)
        neg_side = reactive & np.isin(labels, neg_ids)
        pos_side = reactive & np.isin(labels, pos_ids)
        ion_labels, n = ndimage.label(self.electrolyte)
        near_neg = np.unique(ion_labels[ndimage.binary_dilation(neg_side) & (ion_labels > 0)])
        near_pos = np.unique(ion_labels[ndimage.binary_dilation(pos_side) & (ion_labels > 0)])
        if n == 0 or np.intersect1d(near_neg, near_pos).size == 0:
            raise InputError(
                "phase: no ionic path: no electrolyte cluster connects the grounded Li metal to "
                "an electrode wired to the positive terminal"
            )

    # ------------------------------------------------------------------------------------------
    @classmethod
    def from_cell(cls, cell, **overrides) -> ChargeModel:
        """Model of an ``operando.cell.Cell`` with properties from ``operando.materials``."""
        from .. import materials

        codes = np.full(cell.labels.shape, VOID, dtype=np.int8)
        for label, name in cell.phases.items():
            if name not in CELL_PHASES:
                raise InputError(
                    f"cell.phases: unknown phase {name!r} (known: {sorted(CELL_PHASES)})"
                )
            codes[cell.labels == label] = CELL_PHASES[name]
        sig_e = np.nan_to_num(np.asarray(cell.property_map("electronic_conductivity"), dtype=float))
        sig_i = np.nan_to_num(np.asarray(cell.property_map("ionic_conductivity"), dtype=float))
        sig_e = np.where(np.isin(codes, (NEGATIVE, DENDRITE, COLLECTOR)), sig_e, 0.0)
        for label, name in cell.phases.items():
            if name in LEAKY_PHASES:
                # the physical boundary's own sheet conductance spread over the widened voxel
                # (grain_boundary_fill, as for its ionic conductance); the grain layers of the
                # voxel add nothing: the model's grains do not conduct electrons
                sig_e[cell.labels == label] = cell.grain_boundary_fill() * float(
                    cell.phase_value(name, "electronic_conductivity")
                )
        sig_i = np.where(codes == ELECTROLYTE, sig_i, 0.0)
        kwargs = dict(
            grid=cell.grid,
            phase=codes,
            sigma_e=sig_e,
            sigma_i=sig_i,
            x_init=np.where(codes == CATHODE, np.asarray(cell.x_init, dtype=float), np.nan),
            particle_id=getattr(cell, "particle_id", None),
            i0_cathode=materials.exchange_current_density("LiCoO2|LLZO"),
            i0_anode=materials.exchange_current_density("Li|LLZO"),
            alpha=materials.transfer_coefficient("LiCoO2|LLZO"),
            delta_x_1c=materials.lixcoo2.PRACTICAL_DELTA_X,
            source={"cell": type(cell).__name__},
        )
        kwargs.update(overrides)
        return cls(**kwargs)
