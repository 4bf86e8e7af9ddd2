"""The computations behind each stage of a run; each returns one xarray.Dataset.

Stages read the validated :class:`~operando.pipeline.config.RunConfig` and the upstream datasets and
call one library function per physical step, so that the physics lives in the stage packages.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr
from scipy import ndimage

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
#: preset are ~3 µm across (seed 000 Fig. 4a), so a slab of that order carries their full moment.
SOURCE_THICKNESS = 2e-6
#: fields swept for the linearity of the paramagnetic signal (seed 000 Fig. 4b), T
B_EXT_SWEEP = (0.01, 0.03, 0.1, 0.3, 1.0)
#: nominal current densities swept for the Ørsted signal (seed 000 Fig. 4b), A/m² (0.1–100 mA/cm²)
J_SWEEP = (1.0, 10.0, 100.0, 235.0, 1000.0)


# --- cells and charge -------------------------------------------------------------------------
def build_cell_dataset(cfg, variant: str) -> xr.Dataset:
    """The cell of ``variant`` ("pristine" or "dendrite"); ``cell.dendrite = false`` leaves the
    dendrite out of both."""
    c = cfg.cell
    if c.file is not None:
        cell = Cell.load(c.file)
    else:
        cell = presets.pollok2025(voxel=c.voxel, nz=c.nz, seed=cfg.seed,
                                  dendrite=variant == "dendrite" and c.dendrite, buried=c.buried,
                                  electrolyte=c.electrolyte)
    return cell.to_dataset()


def cell_from_dataset(ds: xr.Dataset) -> Cell:
    return Cell.from_dataset(ds)


def step_named(cfg, name: str):
    return next(s for s in cfg.charge if s.name == name)


def cell_for_step(cfg, cells: dict, step) -> Cell:
    """The cell a charge step runs on (the dendrite variant for steps marked ``dendrite``)."""
    return cells["dendrite" if step.dendrite else "pristine"]


def charge_dataset(cell: Cell, step, checkpoint, progress: bool) -> xr.Dataset:
    """Galvanostatic charge of ``cell`` at the step's nominal current density from the pristine state.

    A step that cannot carry its current — the solver finds no state at t = 0, or the cell reaches
    the voltage cut-off in its first time step — is reported with the part of the cell that would take
    the most voltage (:func:`ohmic_drops`): an error in the first case, a warning in the second."""
    from ..errors import ConvergenceError, InputError

    j = step.nominal_current_density
    protocol = Galvanostatic(current_density=j, duration=step.duration, save_every=step.duration / 4)
    try:
        ds = charge(cell, protocol, checkpoint=checkpoint, progress=progress)
    except ConvergenceError as exc:
        if "at t = 0 s" not in str(exc):
            raise
        raise InputError(f"charge step {step.name!r}: {j / 10:.3g} mA/cm² cannot be carried by this cell: the "
                         f"solver finds no state at t = 0 ({exc}); {_limiting(cell, j)}") from None
    ds.attrs["step_name"] = step.name
    t_end = float(ds["t"].values[-1]) if ds.sizes["t"] else 0.0
    if ds.attrs.get("termination") == "v_max" and t_end < 0.99 * step.duration:
        # the run warns on the console and in the report, cached or not
        first = ds.sizes.get("step", 0) <= 2 or t_end <= 1e-3 * step.duration
        ds.attrs["warning"] = (
            f"charge step {step.name!r}: {j / 10:.3g} mA/cm² stopped at the {protocol.v_max} V cut-off after "
            f"{t_end:.3g} s of the {step.duration:.3g} s asked; the state at that time is the one used"
            + (f"; it cannot be carried (cut-off in the first time step): {_limiting(cell, j)}" if first else ""))
    return ds


def ohmic_drops(cell: Cell, current_density: float) -> dict[str, float]:
    """Voltage (V) that ``current_density`` (A/m²) would take across each conductor of the cell in
    series, from steady conduction on its voxels: ions through the separator and electrons through the
    composite electrode's LixCoO2 network (at the pristine x). (Ions need not cross the whole composite:
    the particles take them up on the way, so its garnet is left out.)"""
    from .. import materials
    from ..electrochem import steady_conductivity

    g = cell.grid
    garnet = cell.mask(["llzo", "llzo_gb"])
    lco = cell.mask("lco")
    electrodes = lco | cell.mask(["li_metal", "dendrite", "collector"])
    sep = ~electrodes.any(axis=(0, 1))  # columns between the Li metal and the first particle
    comp = lco.any(axis=(0, 1))
    sigma_i = np.nan_to_num(np.asarray(cell.property_map("ionic_conductivity"), dtype=float))
    sigma_e = np.where(lco, float(materials.lixcoo2.electronic_conductivity(cell.x_init)), 0.0)
    out = {}
    for name, cols, mask, sigma in (("ionic conduction in the separator", sep, garnet, sigma_i),
                                    ("electronic conduction in the LixCoO2 network", comp, lco, sigma_e)):
        if not cols.any():
            continue
        idx = np.nonzero(cols)[0]
        sl = np.s_[..., idx[0]:idx[-1] + 1]
        eff = steady_conductivity(mask[sl], axis="x", conductivity=sigma[sl],
                                  spacing=g.spacing).effective_conductivity
        out[name] = current_density * len(idx) * g.dx / eff if eff > 0 else np.inf
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
    sus_cell = cell_for_step(cfg, cells, step_named(cfg, im.susceptometry_step))
    x_li = final_state(charges[im.susceptometry_step])["x_li"].values
    li_cell = cells["dendrite"]
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
        ds_attrs["oersted_nominal_current_density"] = float(charges[im.oersted_step].attrs["nominal_current_density"])
    ds = xr.Dataset(out, coords=coords)
    ds.attrs.update(ds_attrs)
    return ds


def total_current(state: xr.Dataset) -> np.ndarray:
    """Ionic plus electronic current density (3, nz, ny, nx), A/m²."""
    return state["J_ion"].values + state["J_e"].values


#: nominal current densities (A/m²) at which the Ørsted step is re-solved for the linearity of its
#: field: the paper's 1C, 5C and 25C (Pollok et al. 2025 L137, L152)
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
    with the standoff; it measures the blur of seed 000 Fig. 4c."""
    gy, gx = np.gradient(B, dy, dx, axis=(-2, -1))
    return np.sqrt(np.sum(B**2, axis=(-2, -1)) / np.sum(gy**2 + gx**2, axis=(-2, -1)))


# --- measurement ------------------------------------------------------------------------------
#: half-width of the ODMR sweep around the upper resonance, in linewidths of the sensor
ODMR_HALF_SPAN_LINEWIDTHS = 5.0
ODMR_POINTS = 81


def _widefield_cut(axis: np.ndarray) -> tuple[str, float]:
    """Diamond cut and azimuth (rad) that put one NV family of an ensemble along ``axis`` (3,):
    a (111) cut for the surface normal, a (100) cut for the 54.7° [111] tilt."""
    from ..magnetics.projection import NV_TILT_111

    tilt = float(np.arccos(min(1.0, abs(axis[2]))))
    if tilt < 1e-9:
        return "111", 0.0
    if abs(tilt - NV_TILT_111) < 1e-9:
        up = axis if axis[2] > 0 else -axis  # a line does not depend on the axis' sign
        # the (100) cut's first family points at azimuth 45° + its rotation
        return "100", float(np.arctan2(up[1], up[0]) - np.pi / 4)
    raise InputError(f"imaging.nv_orientations: a widefield diamond ((100) or (111) cut) has no NV family "
                     f"{np.degrees(tilt):.1f}° from the normal, the axis measured here; put 'perpendicular' "
                     "or '111' first")


def _sensor(cfg, axis: np.ndarray):
    """The configured NV sensor (``sensor.kind``) reading the field along ``axis`` (3,) at the
    imaging standoff, with its default photon budget (:func:`odmr_stack_dataset` sets it from
    ``sensor.cw_sensitivity``). Scanning: one NV, one reading per map pixel for
    ``integration_time``. Widefield: an NV layer ``layer_thickness`` thick starting at the standoff,
    imaged through a PSF of FWHM ``optical_resolution`` on ``camera_pixel`` pixels, every pixel
    integrating for ``integration_time``."""
    from ..nv.acquisition import ScanningNV, WidefieldNV

    s, standoff = cfg.sensor, cfg.imaging.standoff
    if s.kind == "scanning":
        return ScanningNV(standoff=standoff, dwell_time=s.integration_time, axis=tuple(map(float, axis)))
    cut, azimuth = _widefield_cut(axis)
    return WidefieldNV(standoff=standoff, layer_thickness=s.layer_thickness, camera_pixel=s.camera_pixel,
                       optical_resolution=s.optical_resolution, frame_time=s.integration_time, n_frames=1,
                       cut=cut, azimuth=azimuth)


def odmr_stack_dataset(cfg, fields: xr.Dataset) -> xr.Dataset:
    """The simulated CW-ODMR stack ``signal`` (frequency, y, x) of the TOTAL stray field (LixCoO2, Li
    metal, Au collector, LLZO: ``B_total_vector``) in B_ext, around the upper line f+ = D + γB
    near 5.67 GHz (far from the ground-state anticrossing near 102 mT), readable by
    ``operando fit``; the true field at the sensor beside it (``B_true``, ``B_axis_true``).

    The photon budget (count rate × time per pixel, at the sensor's contrast and linewidth) is set
    so that the line fitted over this sweep has the configured ``sensor.cw_sensitivity``
    (attrs ``sensor_sensitivity_cw``, from the Cramér–Rao bound; ``count_rate``)."""
    from ..nv.acquisition import camera_binning, simulate_odmr, swept_sensitivity_of, with_sensitivity
    from ..nv.constants import D_ZERO_FIELD, GAMMA_E

    axis = fields["B_lco_axis"].values
    dy, dx = fields.attrs["spacing"]
    base = _sensor(cfg, axis)
    f_centre = D_ZERO_FIELD + GAMMA_E * cfg.imaging.B_ext
    half = ODMR_HALF_SPAN_LINEWIDTHS * base.linewidth
    freqs = np.linspace(f_centre - half, f_centre + half, ODMR_POINTS)
    sensor = with_sensitivity(base, cfg.sensor.cw_sensitivity, freqs)
    B_field = fields["B_total_vector"]
    with warnings.catch_warnings():
        # the lower line (near the anticrossing) and the other families of an ensemble lie
        # outside the sweep by design
        warnings.filterwarnings("ignore", message="frequencies: the grid")
        sim = simulate_odmr(sensor, B_field, freqs, field_height=fields.attrs["standoff"],
                            bias_field=cfg.imaging.B_ext * axis, seed=cfg.seed)
    upper = sim["resonances_true"].values[..., 0, 1]
    missed = int(np.count_nonzero((upper < freqs[0]) | (upper > freqs[-1])))
    if missed:
        warnings.warn(f"ODMR sweep {freqs[0] / 1e9:.4f}–{freqs[-1] / 1e9:.4f} GHz misses the upper "
                      f"line in {missed} pixel(s); their fitted field is unreliable", stacklevel=2)
    B_seen = sim["B_true"].values
    ds = xr.Dataset(
        {
            "signal": (("frequency", "y", "x"), np.moveaxis(sim["odmr"].values, -1, 0),
                       {"units": "1", "long_name": "normalized fluorescence"}),
            "B_true": (("component", "y", "x"), B_seen,
                       {"units": "T", "long_name": "stray field at the sensor pixels (all sources; B_ext apart)"}),
            "B_axis_true": (("y", "x"), project(B_seen, axis), {"units": "T", "long_name": "B_true along the NV axis"}),
        },
        coords={"frequency": ("frequency", freqs, {"units": "Hz"}), "y": sim["y"], "x": sim["x"],
                "component": ["x", "y", "z"]},
    )
    ds.attrs.update({k: v for k, v in sim.attrs.items() if k.startswith("sensor")})
    ds.attrs.update(
        sensor_kind=cfg.sensor.kind, count_rate=sensor.count_rate, contrast=sensor.contrast,
        linewidth=sensor.linewidth, time_per_pixel=sensor.time_per_pixel(),
        sensor_sensitivity_cw=swept_sensitivity_of(sensor, freqs),
        sensor_sensitivity_slope=sensor.sensitivity(), nv_axis=list(map(float, axis)),
        B_ext=cfg.imaging.B_ext, D=D_ZERO_FIELD, gamma_e=GAMMA_E, missed_pixels=missed,
        camera_binning=camera_binning(sensor, dy, dx), map_shape=[fields.sizes["y"], fields.sizes["x"]],
        field_from_f0="B along the NV axis = (f0 - D)/gamma_e - B_ext",
    )
    return ds


def measurement_dataset(cfg, fields: xr.Dataset, stack: xr.Dataset | None = None) -> xr.Dataset:
    """Simulated NV data of the configured sensor (``sensor.kind``), on the map grid (a widefield
    camera pixel is repeated over the map pixels it covers):

    - ``B_lco_measured``: the TOTAL field along the NV axis (every source: LixCoO2, Li metal, Au
      collector, LLZO), fitted pixel by pixel from the ODMR ``stack`` (:func:`odmr_stack_dataset`,
      simulated here when not given) — or, without spectra, with Gaussian noise of
      ``cw_sensitivity``/√t. attrs ``noise_cw``: the measured rms error of the fitted map;
      ``sensor_sensitivity_cw``: the simulated sensor's η (equal to the configured one).
    - ``B_oersted_measured``, ``B_li_measured``: the Ørsted Bz and the Li-metal field alone (as a
      difference of two maps would isolate them), with noise of ``pulsed_sensitivity``/√t.
    """
    from ..nv.acquisition import camera_binning, recorded_maps, unbin
    from ..nv.sensitivity import field_noise
    from ..odmr.fit import fit_odmr

    rng = np.random.default_rng(cfg.seed)
    dy, dx = fields.attrs["spacing"]
    shape = (fields.sizes["y"], fields.sizes["x"])
    modes = set(cfg.imaging.modes)
    axis = fields["B_lco_axis"].values if "B_lco_axis" in fields else nv_axis(cfg.imaging.nv_orientations[0])
    sensor = _sensor(cfg, axis)
    factor = camera_binning(sensor, dy, dx)
    out, freq_coord, noise_cw, eta_cw, B_pix = {}, {}, float("nan"), cfg.sensor.cw_sensitivity, None
    if "susceptometry" not in modes:
        pass  # no LixCoO2 map: only the Ørsted and Li-metal maps below
    elif cfg.sensor.simulate_spectra:
        stack = odmr_stack_dataset(cfg, fields) if stack is None else stack
        # one line per spectrum: the lower line lies far outside the sweep
        fit = fit_odmr(stack["signal"], model="lorentzian", n_dips=1)
        B_pix = (fit["f0_0"].values - stack.attrs["D"]) / stack.attrs["gamma_e"] - stack.attrs["B_ext"]
        noise_cw = float(np.nanstd(B_pix - stack["B_axis_true"].values))
        eta_cw = float(stack.attrs["sensor_sensitivity_cw"])
        out["odmr_example"] = (("frequency",), stack["signal"].values[:, stack.sizes["y"] // 2, stack.sizes["x"] // 2],
                               {"units": "1"})
        out["fit_converged"] = (("y", "x"), unbin(fit["converged"].values.astype(bool), factor, shape))
        if not fit["converged"].values.any():
            from ..errors import InputError

            raise InputError(f"sensor.integration_time: no pixel of the simulated ODMR stack could be fitted at "
                             f"{cfg.sensor.integration_time:.3g} s per pixel (too few photons); use ≳ 1 ms")
        freq_coord = {"frequency": stack["frequency"]}
    else:
        noise_cw = float(field_noise(eta_cw, cfg.sensor.integration_time))
        B_seen = recorded_maps(sensor, project(fields["B_total_vector"].values, axis), dy, dx)
        B_pix = B_seen + rng.normal(0.0, noise_cw, B_seen.shape)
    if B_pix is not None:
        out["B_lco_measured"] = (("y", "x"), unbin(B_pix, factor, shape),
                                 {"units": "T", "long_name": "measured total field along the NV axis"})
    sigma = field_noise(cfg.sensor.pulsed_sensitivity, cfg.sensor.integration_time)
    for name, mode, var in (("B_oersted_measured", "oersted", "B_oersted"), ("B_li_measured", "lithium", "B_li")):
        if mode not in modes:
            continue
        truth = fields[var].sel(component="z").values if var == "B_oersted" else fields[var].isel(orientation=0).values
        seen = recorded_maps(sensor, truth, dy, dx)
        out[name] = (("y", "x"), unbin(seen + rng.normal(0.0, sigma, seen.shape), factor, shape), {"units": "T"})
    ds = xr.Dataset(out, coords={"y": fields["y"], "x": fields["x"], **freq_coord})
    ds.attrs.update(noise_cw=noise_cw, noise_pulsed=sigma, sensor_sensitivity_cw=eta_cw, sensor_kind=cfg.sensor.kind,
                    integration_time=cfg.sensor.integration_time, n_pixels=int(shape[0] * shape[1]),
                    camera_binning=factor)
    return ds


# --- reconstruction ---------------------------------------------------------------------------
def _depth_mean_current(cell: Cell, J: np.ndarray, thickness: float) -> np.ndarray:
    """(2, ny, nx) in-plane current density averaged over the source slab (the quantity a
    uniform-layer inversion recovers), A/m²."""
    vol = source_volume(cell, thickness)
    return current_density(vol, J)[:2].mean(axis=1)


def particle_means(values: np.ndarray, particle_id: np.ndarray, select=None) -> dict[int, float]:
    """Mean of ``values`` over each particle id ≥ 0 (restricted to ``select`` where given)."""
    ok = (particle_id >= 0) & np.isfinite(values)
    if select is not None:
        ok &= select
    ids = particle_id[ok]
    if ids.size == 0:
        return {}
    sums = np.bincount(ids, weights=values[ok])
    counts = np.bincount(ids)
    return {int(i): float(sums[i] / counts[i]) for i in np.nonzero(counts)[0]}


def current_from_map(Bz: np.ndarray, dy: float, dx: float, *, standoff: float, thickness: float, rcfg,
                     noise_sigma: float) -> tuple[np.ndarray, str]:
    """In-plane current density (2, ny, nx) A/m² of one uniform layer from a Bz map, by the
    configured reconstruction: Tikhonov with its weight by the discrepancy principle or the L-curve,
    or the Hann-windowed inverse filter (``regularisation = "none"``); and a description."""
    from ..inverse import sheet_current_from_field
    from ..inverse.operators import FieldOperator
    from ..inverse.regularised import solve_tikhonov

    if rcfg.regularisation == "none":
        cut = rcfg.window_cutoff * standoff
        rec = sheet_current_from_field(Bz, dy, dx, standoff=standoff, thickness=thickness, cutoff_wavelength=cut)
        return np.stack([rec["Jx"].values, rec["Jy"].values]), f"inverse filter, Hann cut-off {cut * 1e9:.0f} nm"
    op = FieldOperator(Bz.shape, dy, dx, [standoff], layers=[(0.0, thickness)], source="current")
    r = solve_tikhonov(op, Bz[None], noise_sigma=noise_sigma, weight=rcfg.regularisation)
    return r.sources()[0], f"Tikhonov, weight by {rcfg.regularisation}"


def reconstruction_dataset(cfg, cells: dict, charges: dict, fields: xr.Dataset, meas: xr.Dataset) -> xr.Dataset:
    """Current density from the measured (noisy) Ørsted map and the state-of-charge map from the
    measured LixCoO2 map, each beside its ground truth, the same current inversion of the noiseless
    map (its model error), and exact round trips of the 2-D inverse filters (Pollok et al. 2025
    L139, L154)."""
    from ..grid import Grid
    from ..inverse import (
        current_from_stream_function,
        interior_mask,
        magnetization_from_field,
        relative_l2_error,
        sheet_current_from_field,
    )

    im, rcfg = cfg.imaging, cfg.reconstruction
    h, T = im.standoff, fields.attrs["source_thickness"]
    dy, dx = fields.attrs["spacing"]
    margin = 4
    shape = (fields.sizes["y"], fields.sizes["x"])
    data, attrs = {}, {"edge_margin_pixels": margin, "interior_pixels": int(interior_mask(shape, margin).sum())}
    # --- currents (mode 2): from the measured map, and from the noiseless one (model error alone)
    if "oersted" in im.modes:
        oe_cell = cell_for_step(cfg, cells, step_named(cfg, im.oersted_step))
        J_true = _depth_mean_current(oe_cell, total_current(final_state(charges[im.oersted_step])), T)
        sigma = float(meas.attrs["noise_pulsed"])
        J_rec, method = current_from_map(meas["B_oersted_measured"].values, dy, dx, standoff=h, thickness=T,
                                         rcfg=rcfg, noise_sigma=sigma)
        Bz = fields["B_oersted"].sel(component="z").values
        J_model, _ = current_from_map(Bz, dy, dx, standoff=h, thickness=T, rcfg=rcfg,
                                      noise_sigma=max(1e-3 * float(np.sqrt(np.mean(Bz**2))), 1e-18))
        data.update(J_true=(("component2", "y", "x"), J_true, {"units": "A/m^2"}),
                    J_reconstructed=(("component2", "y", "x"), J_rec, {"units": "A/m^2"}),
                    J_noiseless=(("component2", "y", "x"), J_model,
                                 {"units": "A/m^2", "long_name": "the same inversion of the noiseless map"}))
        attrs.update(J_relative_error=relative_l2_error(J_rec, J_true, margin=margin),
                     J_model_error=relative_l2_error(J_model, J_true, margin=margin), J_method=method)
    # exact round trip (voxel inversion): a divergence-free current shaped like the cathode, one
    # uniform layer on the map's lattice, must come back to round-off
    g1 = Grid((1, *shape), (T, dy, dx))
    lco_top = cells["pristine"].mask("lco")[-1].astype(float)
    psi = ndimage.gaussian_filter(lco_top, 1.5) * 1e-2
    psi[:2], psi[-2:], psi[:, :2], psi[:, -2:] = 0, 0, 0, 0
    J_top = current_from_stream_function(psi, dy, dx)
    J_layer = np.zeros((3, 1, *shape))
    J_layer[:2, 0] = J_top
    Bz_layer = oersted_field_from_current(J_layer, g1, [h])[2, 0]
    rt = sheet_current_from_field(Bz_layer, dy, dx, standoff=h, thickness=T, window="none", method="voxel")
    attrs["J_roundtrip_error"] = relative_l2_error(np.stack([rt["Jx"].values, rt["Jy"].values]), J_top,
                                                   margin=margin)
    # magnetization round trip, noiseless and exact in the voxel engine
    pristine = cells["pristine"]
    chi_top = susceptibility_maps(pristine, np.full(pristine.grid.shape, pristine.x_init))["lco"][-1]
    M_layer = np.zeros((3, 1, *shape))
    M_layer[2, 0] = chi_top * im.B_ext / (4e-7 * np.pi)
    Bz_m = stray_field_from_magnetization(M_layer, g1, [h])[2, 0]
    reference = pristine.mask(["llzo", "llzo_gb"])[-1]
    rm = magnetization_from_field(Bz_m, dy, dx, standoff=h, thickness=T, window="none",
                                  reference_mask=reference, method="voxel")
    attrs["M_roundtrip_error"] = relative_l2_error(rm["M"].values, M_layer[2, 0], margin=margin)
    # --- state of charge (mode 1)
    if "susceptometry" in im.modes:
        data_soc, attrs_soc = _state_of_charge(cfg, cells, charges, fields, meas)
        data.update(data_soc)
        attrs.update(attrs_soc)
    ds = xr.Dataset(data, coords={"y": fields["y"], "x": fields["x"], "component2": ["x", "y"]})
    ds.attrs.update(attrs)
    return ds


def _state_of_charge(cfg, cells, charges, fields, meas) -> tuple[dict, dict]:
    """The pixel state-of-charge map (surface particles) and one x per particle (microstructure known in
    depth), each beside the truth."""
    from ..inverse import (
        region_unit_fields,
        state_of_charge_map,
        state_of_charge_of_regions,
        susceptibility_by_region,
        susceptibility_from_field,
    )

    im = cfg.imaging
    h, T = im.standoff, fields.attrs["source_thickness"]
    dy, dx = fields.attrs["spacing"]
    sus_cell = cell_for_step(cfg, cells, step_named(cfg, im.susceptometry_step))
    x_cell = final_state(charges[im.susceptometry_step])["x_li"].values
    lco = sus_cell.mask("lco")[-1]
    surface = lco & ~sus_cell.buried_mask()[-1]
    non_magnetic = sus_cell.mask(["llzo", "llzo_gb"])[-1] & ~sus_cell.mask(["li_metal", "dendrite"])[-1]
    axis = fields["B_lco_axis"].values
    noise = float(meas.attrs["noise_cw"])
    sus = susceptibility_from_field(meas["B_lco_measured"].values, dy, dx, B_ext=im.B_ext * axis, standoff=h,
                                    thickness=T, component=axis, reference_mask=non_magnetic, noise_sigma=noise,
                                    cutoff_wavelength=cfg.reconstruction.window_cutoff * h)
    soc = state_of_charge_map(sus["chi"].values, mask=surface)
    x_true = np.where(lco, x_cell[-1], np.nan)
    err = np.abs(soc["x_li"].values - x_true)[surface]
    # per particle: one χ each, fitted with the microstructure known in depth (as a tomogram of the
    # same cell would give it), buried particles included; the truth is each particle's mean x
    vol = source_volume(sus_cell, T)
    regions = np.where(vol.present, np.take(sus_cell.particle_id, vol.column, axis=0), -1)
    truth = particle_means(x_cell, sus_cell.particle_id)
    G = region_unit_fields(regions, vol.grid, B_ext=im.B_ext * axis, standoff=h, component=axis)
    by_particle = state_of_charge_of_regions(susceptibility_by_region(meas["B_lco_measured"].values, G,
                                                                      noise_sigma=noise))
    # the same fit of the noiseless field: what the model alone gets wrong (x not uniform inside a
    # particle), apart from the measurement noise
    B_clean = np.einsum("c,cyx->yx", axis, fields["B_lco_vector"].values)
    clean = state_of_charge_of_regions(susceptibility_by_region(B_clean, G, noise_sigma=0.0))
    # reported: the particles the sensor sees, those at the surface and those under the cap; the
    # interior of a 3-D cell is in the fit, but its field is too weak and alike to tell them apart
    seen = set(np.unique(sus_cell.particle_id[-1][lco])) | set(sus_cell.attrs.get("buried_particles", []))
    ids = [int(i) for i in by_particle["region"].values if int(i) in seen]
    by_particle, clean = by_particle.sel(region=ids), clean.sel(region=ids)
    data = {
        "x_true": (("y", "x"), x_true, {"units": "1"}),
        "x_reconstructed": (("y", "x"), soc["x_li"].values, {"units": "1"}),
        "chi_reconstructed": (("y", "x"), sus["chi"].values, {"units": "1"}),
        "particle": (("particle",), np.array(ids, dtype=int)),
        "particle_x_true": (("particle",), np.array([truth[i] for i in ids])),
        "particle_x_reconstructed": (("particle",), by_particle["x_li"].values),
        "particle_x_sem": (("particle",), by_particle["x_sem"].values, {"units": "1"}),
        "particle_x_noiseless": (("particle",), clean["x_li"].values,
                                 {"long_name": "x from the same inversion of the noiseless field"}),
        "particle_reason": (("particle",), by_particle["reason"].values,
                            {"codes": by_particle["reason"].attrs["codes"]}),
        "particle_chi": (("particle",), by_particle["chi"].values, {"units": "1"}),
        "particle_chi_sem": (("particle",), by_particle["chi_sem"].values, {"units": "1"}),
        "particle_pixels": (("particle",), by_particle["n_pixels"].values),
    }
    attrs = {"buried_particles": [i for i in ids if i in sus_cell.attrs.get("buried_particles", [])],
             "x_map_median_error": float(np.nanmedian(err)) if np.isfinite(err).any() else float("nan"),
             "x_map_recovered_fraction": float(np.isfinite(err).mean()) if err.size else 0.0}
    return data, attrs
