"""The cell, charge and field stages of a run (the measurement and reconstruction stages are in
:mod:`.measurement` and :mod:`.reconstruction`); each returns one xarray.Dataset.

Stages read the validated :class:`~operando.pipeline.config.RunConfig` and the upstream datasets and
call one library function per physical step, so that the physics lives in the stage packages.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..cell import Cell, presets
from ..electrochem.protocol import Galvanostatic
from ..electrochem.solver import charge
from ..errors import InputError
from ..magnetics import nv_axis, oersted_field_from_current, project, stray_field_from_magnetization
from .sources import (
    SOURCES,
    current_density,
    magnetization,
    other_susceptibilities,
    source_volume,
    susceptibility_maps,
)

#: depth (m) to which a 2-D cross-section is extruded for its magnetic field: the particles of the
#: preset are ~3 µm across (Pollok et al., Nat. Commun. 2025, Fig. 4a), so a
#: slab of that order carries their full moment.
SOURCE_THICKNESS = 2e-6
#: fields swept for the linearity of the paramagnetic signal (Pollok et al., Nat. Commun. 2025, Fig. 4b), T
B_EXT_SWEEP = (0.01, 0.03, 0.1, 0.3, 1.0)


# --- cells and charge -------------------------------------------------------------------------
def build_cell_dataset(cfg, variant: str) -> xr.Dataset:
    """The cell of ``variant`` ("pristine" or "dendrite"); ``cell.dendrite = false`` leaves the
    dendrite out of both."""
    c = cfg.cell
    if c.file is not None:
        cell = Cell.load(c.file)
    elif c.labels is not None:
        cell = imported_cell(c)
    else:
        cell = presets.pollok2025(voxel=c.voxel, nz=c.nz, seed=cfg.seed,
                                  dendrite=variant == "dendrite" and c.dendrite, buried=c.buried,
                                  electrolyte=c.electrolyte)
    return cell.to_dataset()


def imported_cell(c) -> Cell:
    """The cell of a segmented volume (``cell.labels``, ``cell.label_map``, ``cell.voxel``), checked
    here, before any charging, to have what a charge needs: Li metal on the x = 0 face (the grounded
    electrode), a positive terminal (a collector, or an electronic conductor on the x = Lx face)
    and an electrolyte path between them."""
    from ..cell.importer import from_labels
    from ..electrochem.model import ChargeModel

    cell = from_labels(c.labels, dict(c.label_map), c.voxel)
    try:
        ChargeModel.from_cell(cell)  # validates on construction
    except InputError as exc:
        why = str(exc).removeprefix("phase: ")  # the model's name for the phase map, not a setting
        if not cell.mask("li_metal")[:, :, 0].any():
            face = np.unique(cell.labels[:, :, 0]).tolist()
            mapped = ", ".join(v if isinstance(v := c.label_map[k], str) else " as ".join(v) for k in face)
            why += (f"; the x = 0 face holds labels {face} ({mapped}): map the label of the Li metal touching "
                    "it to 'Li' (or 'li_metal') in cell.label_map, or turn the volume so that x = 0 is its "
                    "negative electrode")
        raise InputError(f"cell.labels {str(c.labels)!r} cannot be charged: {why}") from None
    return cell


def cathode_wiring(cell: Cell) -> tuple[int, int]:
    """(LixCoO2 voxels with an electronic path to the positive terminal, all LixCoO2 voxels) of the
    cell as the charge model sees it (:meth:`~operando.electrochem.model.ChargeModel.cathode_wiring`)."""
    from ..electrochem.model import ChargeModel

    return ChargeModel.from_cell(cell).cathode_wiring()


def isolated_cathode_warnings(cells: dict) -> list[str]:
    """A warning per cell whose LixCoO2 is in part electronically isolated from the positive terminal:
    those voxels never charge, yet the cell's 1C counts them."""
    counts: dict[tuple[int, int], list[str]] = {}  # the variants of one cell count alike: one warning
    wiring = {id(c): cathode_wiring(c) for c in cells.values()}  # an imported cell serves both variants
    for name, cell in cells.items():
        counts.setdefault(wiring[id(cell)], []).append(repr(name))
    out = []
    for (wired, total), names in counts.items():
        if wired < total:
            out.append(f"cell {' and '.join(names)}: {total - wired} of {total} LixCoO2 voxels "
                       f"({100 * (total - wired) / total:.2g} %) have no electronic path to the positive terminal "
                       "(collector or x = Lx face) and never charge; the cell's 1C counts them")
    return out


def cell_from_dataset(ds: xr.Dataset) -> Cell:
    return Cell.from_dataset(ds)


def step_named(cfg, name: str):
    return next(s for s in cfg.charge if s.name == name)


def cell_for_step(cfg, cells: dict, step) -> Cell:
    """The cell a charge step runs on (the dendrite variant for steps marked ``dendrite``)."""
    return cells["dendrite" if step.dendrite else "pristine"]


def charge_dataset(cell: Cell, step, checkpoint, progress: bool) -> xr.Dataset:
    """The charge run of ``step`` on ``cell`` from the pristine state: its galvanostatic charge at the
    nominal current density, or its protocol (:meth:`~.config.ChargeStep.experiment`), whose last
    state is the one imaged.

    A step that cannot carry its current — the solver finds no state at t = 0, or a galvanostatic
    step reaches the voltage cut-off in its first time step — is reported with the part of the cell that
    would take the most voltage (:func:`ohmic_drops`): an error in the first case, a warning in the second."""
    from ..errors import ConvergenceError

    j = step.nominal_current_density
    protocol = step.experiment()
    try:
        ds = charge(cell, protocol, checkpoint=checkpoint, progress=progress)
    except ConvergenceError as exc:
        if getattr(exc, "time", None) != 0.0:
            raise
        raise InputError(f"charge step {step.name!r}: {j / 10:.3g} mA/cm² cannot be carried by this cell: the "
                         f"solver finds no state at t = 0 ({exc}); {_limiting(cell, j)}") from None
    ds.attrs["step_name"] = step.name
    t_end = float(ds["t"].values[-1]) if ds.sizes["t"] else 0.0
    if step.steps is None and ds.attrs.get("termination") == "v_max" and t_end < 0.99 * step.duration:
        # the run warns on the console and in the report, cached or not
        first = ds.sizes.get("time", 0) <= 2 or t_end <= 1e-3 * step.duration
        ds.attrs["warning"] = (
            f"charge step {step.name!r}: {j / 10:.3g} mA/cm² stopped at the {protocol.v_max} V cut-off after "
            f"{t_end:.3g} s of the {step.duration:.3g} s asked; the state at that time is the one used"
            + (f"; it cannot be carried (cut-off in the first time step): {_limiting(cell, j)}" if first else ""))
    return ds


def ohmic_drops(cell: Cell, current_density: float) -> dict[str, float]:
    """Voltage (V) that ``current_density`` (A/m²) would take across each conductor of the cell in
    series, from steady conduction on its voxels: ions through the separator and electrons through the
    composite electrode's LixCoO2 network (at the pristine x). (Ions need not cross the whole composite:
    the particles take them up on the way, so its garnet is left out.) Where no LixCoO2 network spans
    the composite (particles apart in the garnet, as a segmented volume may have them), the ions
    cross its garnet to the particles wired to the positive terminal: the composite then counts as
    its garnet and those particles, each with its own conductivity (the others are obstacles)."""
    from .. import materials
    from ..electrochem import steady_conductivity

    g = cell.grid
    garnet = cell.mask(["llzo", "llzo_gb"])
    lco = cell.mask("lco")
    electrodes = lco | cell.mask(["li_metal", "dendrite", "collector"])
    free = np.nonzero(~electrodes.any(axis=(0, 1)))[0]
    breaks = np.nonzero(np.diff(free) > 1)[0]
    sep = np.zeros(g.shape[2], dtype=bool)  # the columns between the Li metal and the first particle,
    sep[free[: breaks[0] + 1] if breaks.size else free] = True  # not the gaps between particles
    comp = lco.any(axis=(0, 1))
    sigma_i = np.nan_to_num(np.asarray(cell.property_map("ionic_conductivity"), dtype=float))
    sigma_e = np.where(lco, float(materials.lixcoo2.electronic_conductivity(cell.x_init)), 0.0)
    out = {}
    for name, cols, mask, sigma in (("ionic conduction in the separator", sep, garnet, sigma_i),
                                    ("electronic conduction in the LixCoO2 network", comp, lco, sigma_e)):
        if not cols.any():
            continue
        idx = np.nonzero(cols)[0]
        sl, length = np.s_[..., idx[0]:idx[-1] + 1], int(idx[-1] + 1 - idx[0])  # the first column to the last
        eff = steady_conductivity(mask[sl], axis="x", conductivity=sigma[sl],
                                  spacing=g.spacing).effective_conductivity
        if eff == 0 and mask is lco:  # no electronic path across: the ions cross the composite's garnet
            from ..electrochem.model import ChargeModel

            labels, _, terminal = ChargeModel.from_cell(cell).electronic_clusters()
            wired = lco & np.isin(labels, np.unique(labels[terminal]))  # the particles that can charge
            name, mask, sigma = ("ionic conduction across the composite (no LixCoO2 network spans it)",
                                 garnet | wired, np.where(wired, sigma_e, sigma_i))
            eff = steady_conductivity(mask[sl], axis="x", conductivity=sigma[sl],
                                      spacing=g.spacing).effective_conductivity
        out[name] = current_density * length * g.dx / eff if eff > 0 else np.inf
    return out


def _limiting(cell: Cell, current_density: float) -> str:
    drops = ohmic_drops(cell, current_density)
    name = max(drops, key=drops.get)
    listed = ", ".join(f"{k} {v:.3g} V" for k, v in drops.items())
    return (f"the limiting phase is {name} ({listed} at this current; the cut-off allows ~1.3 V above open "
            "circuit): choose a more conducting material or a lower current density")


def final_state(ds: xr.Dataset) -> xr.Dataset:
    """The last saved time of a charge dataset."""
    return ds.isel(t=-1)


def imaged_state(step, ds: xr.Dataset) -> tuple[float, str]:
    """The state a charge step is imaged at — its last snapshot: the signed current density there
    (A/m² over the nominal area, + = charge, − = discharge, 0 at rest) and which state it is, in words."""
    st = final_state(ds)
    where = f"t = {float(st['t']):.4g} s"
    if step.steps is not None and ds.sizes.get("protocol_step", 0):
        cycle = f" of cycle {int(ds['protocol_cycle'].values[-1]) + 1}" if step.cycles > 1 else ""
        where = f"end of the protocol, {where}, after step '{ds['protocol_description'].values[-1]}'{cycle}"
    else:
        where = f"end of the step, {where}"
    return float(st["current_density"]), where


# --- fields -----------------------------------------------------------------------------------
def _plane(B: np.ndarray) -> np.ndarray:
    """(3, 1, ny, nx) → (3, ny, nx)."""
    return B[:, 0]


def paramagnetic_fields(cell: Cell, x_li: np.ndarray, B_ext: float, orientation: str, heights,
                        thickness: float = SOURCE_THICKNESS, sources=SOURCES) -> dict[str, np.ndarray]:
    """Stray field (3, nh, ny, nx) T of each magnetic source of the cell in ``B_ext`` (T) applied
    along the NV axis ``orientation`` (Pollok et al., Nat. Commun. 2025: field and NV axis share the
    orientation): ``"lco"`` (LixCoO2 at ``x_li``), ``"li"`` (Li metal), ``"other"`` (the Au
    collector, LLZO grains, boundaries and cap: every other phase with a tabulated χ; see
    :func:`~operando.pipeline.sources.susceptibility_maps`) — those named in ``sources`` — and, when
    all three are computed, ``"total"``, their sum: the field a sensor sees."""
    vol = source_volume(cell, thickness)
    chi = susceptibility_maps(cell, x_li)
    b = B_ext * nv_axis(orientation)
    out = {k: stray_field_from_magnetization(magnetization(vol, chi[k], b), vol.grid, heights)
           for k in sources}
    if set(SOURCES) <= set(out):
        out["total"] = sum(out[k] for k in SOURCES)
    return out


def oersted_field(cell: Cell, J: np.ndarray, heights, thickness: float = SOURCE_THICKNESS) -> np.ndarray:
    """Ørsted field (3, nh, ny, nx) T of the cell's total current density J (3, nz, ny, nx) A/m²."""
    vol = source_volume(cell, thickness)
    return oersted_field_from_current(current_density(vol, J), vol.grid, heights)


def fields_dataset(cfg, cells: dict, charges: dict) -> xr.Dataset:
    """Fields on the NV plane of the modes in ``imaging.modes``: the LixCoO2 field of the
    susceptometry step's state (per NV orientation, vs standoff and vs B_ext), the Li metal's field,
    and the Ørsted field of the Ørsted step's currents."""
    im = cfg.imaging
    h = im.standoff
    modes = set(im.modes)
    li_cell = cells["dendrite"]
    if "susceptometry" in modes:
        sus_cell = cell_for_step(cfg, cells, step_named(cfg, im.susceptometry_step))
        x_li = final_state(charges[im.susceptometry_step])["x_li"].values
    else:  # no susceptometry step to read (imaging.susceptometry_step may name none)
        sus_cell, x_li = li_cell, None
    x_pristine = np.full(li_cell.grid.shape, sus_cell.x_init)
    g = sus_cell.grid
    out, coords = {}, {"y": ("y", g.y, {"units": "m"}), "x": ("x", g.x, {"units": "m"}),
                       "orientation": list(im.nv_orientations), "component": ["x", "y", "z"]}
    # modes 1 and 3: LixCoO2, Li metal, the other phases (Au collector, LLZO) and their total in
    # B_ext, for each field / NV orientation; the total is what the sensor sees
    maps = {"lco": [], "li": [], "other": [], "total": []}
    for o in im.nv_orientations:
        n = nv_axis(o)
        if "susceptometry" in modes:
            fl = paramagnetic_fields(sus_cell, x_li, im.B_ext, o, [h])
            for k in ("lco", "other", "total"):
                maps[k].append(project(fl[k], n)[0])
            if o == "perpendicular" or (o == im.nv_orientations[0] and "perpendicular" not in im.nv_orientations):
                out["B_lco_vector"] = (("component", "y", "x"), _plane(fl["lco"]), {"units": "T"})
                out["B_total_vector"] = (("component", "y", "x"), _plane(fl["total"]),
                                         {"units": "T", "long_name": "stray field of all sources (the sensor's)"})
                out["B_lco_axis"] = (("component",), n, {"units": "1"})
        if "lithium" in modes:
            fli = paramagnetic_fields(li_cell, x_pristine, im.B_ext, o, [h], sources=("li",))
            maps["li"].append(project(fli["li"], n)[0])
    names = {"lco": "LixCoO2 stray field", "li": "Li-metal stray field",
             "other": "stray field of the collector and electrolyte", "total": "stray field of all sources"}
    for k, v in maps.items():
        if v:
            out[f"B_{k}"] = (("orientation", "y", "x"), np.stack(v),
                             {"units": "T", "long_name": f"{names[k]} along the NV axis"})
    if "susceptometry" in modes:
        # standoff dependence (Fig. 4c), perpendicular geometry
        sweep = np.asarray(sorted(set(im.standoff_sweep) | {h}))
        fs = paramagnetic_fields(sus_cell, x_li, im.B_ext, "perpendicular", sweep, sources=("lco",))
        out["B_lco_standoff"] = (("standoff", "y", "x"), fs["lco"][2], {"units": "T"})
        out["peak_lco_vs_standoff"] = (("standoff",), np.abs(fs["lco"][2]).max(axis=(1, 2)), {"units": "T"})
        out["feature_length_vs_standoff"] = (("standoff",), feature_length(fs["lco"][2], g.dy, g.dx),
                                             {"units": "m", "long_name": "‖B‖ / ‖∇B‖"})
        coords["standoff"] = ("standoff", sweep, {"units": "m"})
    # linearity in B_ext (Fig. 4b)
    sweeps = [(k, c, x) for k, c, x, m in (("lco", sus_cell, x_li, "susceptometry"),
                                           ("li", li_cell, x_pristine, "lithium")) if m in modes]
    for k, cell, x in sweeps:
        peaks = [np.abs(paramagnetic_fields(cell, x, b, "perpendicular", [h], sources=(k,))[k][2]).max()
                 for b in B_EXT_SWEEP]
        out[f"peak_{k}_vs_B_ext"] = (("B_ext",), np.array(peaks), {"units": "T"})
        coords["B_ext"] = ("B_ext", np.asarray(B_EXT_SWEEP), {"units": "T"})
    # depth of the sources: a 3-D cell's own, or the slab a 2-D section is extruded to
    depth = g.nz * g.dz if g.nz > 1 else SOURCE_THICKNESS
    ds_attrs = dict(standoff=h, B_ext=im.B_ext, source_thickness=depth, spacing=[g.dy, g.dx],
                    other_sources=[f"{p} ({sus_cell.material_of[p]}, chi = {c:.3g})"
                                   for p, c in other_susceptibilities(sus_cell).items()])
    # mode 2: Ørsted field of the currents
    if "oersted" in modes:
        oe_cell = cell_for_step(cfg, cells, step_named(cfg, im.oersted_step))
        B_oe = oersted_field(oe_cell, total_current(final_state(charges[im.oersted_step])), [h])
        out["B_oersted"] = (("component", "y", "x"), _plane(B_oe), {"units": "T"})
        # the current at the imaged state, signed (a protocol may end discharging, or at rest)
        ds_attrs["oersted_nominal_current_density"], ds_attrs["oersted_imaged_state"] = imaged_state(
            step_named(cfg, im.oersted_step), charges[im.oersted_step])
    ds = xr.Dataset(out, coords=coords)
    ds.attrs.update(ds_attrs)
    return ds


def total_current(state: xr.Dataset) -> np.ndarray:
    """Ionic plus electronic current density (3, nz, ny, nx), A/m²."""
    return state["J_ion"].values + state["J_e"].values


#: nominal current densities (A/m²) at which the Ørsted step is re-solved for the linearity of its
#: field: the paper's 1C, 5C and 25C (Pollok et al. 2025)
OERSTED_SWEEP = (9.4, 47.0, 235.0)
#: s of charge at each current of the sweep: the current distribution is set by conduction and
#: kinetics within the first second, before the state of charge moves
OERSTED_SWEEP_DURATION = 1.0


def oersted_sweep_dataset(cfg, cells: dict, progress: bool = False) -> xr.Dataset:
    """Peak |Bz| of the Ørsted field at the standoff after re-solving the Ørsted step's cell at each
    current density of :data:`OERSTED_SWEEP` (the electrochemistry is nonlinear, so the field's
    linearity in the current is a result, not an assumption)."""
    step = step_named(cfg, cfg.imaging.oersted_step)
    cell = cell_for_step(cfg, cells, step)
    peaks = []
    for j in OERSTED_SWEEP:
        protocol = Galvanostatic(current_density=j, duration=OERSTED_SWEEP_DURATION,
                                 save_every=OERSTED_SWEEP_DURATION)
        st = final_state(charge(cell, protocol, progress=progress))
        B = oersted_field(cell, total_current(st), [cfg.imaging.standoff])
        peaks.append(float(np.abs(B[2]).max()))
    return xr.Dataset({"peak_oersted": (("J_nominal",), np.array(peaks), {"units": "T"})},
                      coords={"J_nominal": ("J_nominal", np.asarray(OERSTED_SWEEP), {"units": "A/m^2"})},
                      attrs={"duration": OERSTED_SWEEP_DURATION, "standoff": cfg.imaging.standoff})


def electronic_only_field(cfg, cells: dict, charges: dict) -> dict:
    """Ørsted field when the cell's polarisation drives current through the LixCoO2 network alone.

    Same cell and state as the Ørsted image: the voltage V − OCV(x̄) of that state is applied across
    the LixCoO2 voxels from the separator side of the electrode to the collector side (steady
    conduction with the per-voxel σ_e(x)); returns the field's peak |Bz| (T) at the standoff, the
    voltage (V) and the network's effective conductivity (S/m)."""
    from .. import materials
    from ..electrochem import steady_conductivity

    step = step_named(cfg, cfg.imaging.oersted_step)
    cell = cell_for_step(cfg, cells, step)
    st = final_state(charges[step.name])
    lco = cell.mask("lco")
    x = np.where(lco, st["x_li"].values, np.nan)
    x_mean = float(np.nanmean(x))
    voltage = float(st["cell_voltage"]) - float(materials.lixcoo2.ocp(x_mean))
    cols = np.nonzero(lco.any(axis=(0, 1)))[0]
    sl = np.s_[..., cols[0]:cols[-1] + 1]
    sigma = np.where(lco, materials.lixcoo2.electronic_conductivity(np.clip(np.nan_to_num(x, nan=1.0), 0, 1)), 0.0)
    g = cell.grid
    res = steady_conductivity(lco[sl], axis="x", conductivity=sigma[sl], spacing=g.spacing)
    u = np.full(g.shape, np.nan)
    u[sl] = res.potential * voltage
    J = centre_current(u, sigma, g.spacing)
    B = oersted_field(cell, J, [cfg.imaging.standoff])
    return {"peak": float(np.abs(B[2]).max()), "voltage": voltage, "sigma_eff": res.effective_conductivity}


def centre_current(u: np.ndarray, sigma: np.ndarray, spacing) -> np.ndarray:
    """Current density −σ∇u (3, nz, ny, nx) at voxel centres from a potential u (V, NaN outside the
    conductor): face currents between conducting neighbours (harmonic-mean σ), averaged to centres."""
    J = np.zeros((3, *u.shape))
    for comp, ax in ((0, 2), (1, 1), (2, 0)):  # x, y, z components ↔ array axes
        if u.shape[ax] < 2:
            continue
        lo, hi = [slice(None)] * 3, [slice(None)] * 3
        lo[ax], hi[ax] = slice(None, -1), slice(1, None)
        s0, s1 = sigma[tuple(lo)], sigma[tuple(hi)]
        k = np.where((s0 > 0) & (s1 > 0), 2 * s0 * s1 / np.where(s0 + s1 > 0, s0 + s1, 1.0), 0.0)
        face = np.nan_to_num(-k * (u[tuple(hi)] - u[tuple(lo)]) / spacing[ax])
        J[comp][tuple(lo)] += 0.5 * face
        J[comp][tuple(hi)] += 0.5 * face
    return J


def feature_length(B: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Length ‖B‖ / ‖∇B‖ (m) of each map in B (..., ny, nx): the size of the finest features a map
    shows. Upward continuation damps each Fourier mode by e^{-kh}, the fine ones most, so this grows
    with the standoff; it measures the blur of Pollok et al., Nat. Commun. 2025, Fig. 4c."""
    gy, gx = np.gradient(B, dy, dx, axis=(-2, -1))
    return np.sqrt(np.sum(B**2, axis=(-2, -1)) / np.sum(gy**2 + gx**2, axis=(-2, -1)))
