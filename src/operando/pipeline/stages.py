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
    c = cfg.cell
    if c.file is not None:
        cell = Cell.load(c.file)
    else:
        garnet = {"llzo": c.electrolyte, "llzo_gb": f"{c.electrolyte}_GB", "cap": c.electrolyte}
        cell = presets.pollok2025(voxel=c.voxel, nz=c.nz, seed=cfg.seed, dendrite=variant == "dendrite",
                                  buried=c.buried, material_of=garnet)
    return cell.to_dataset()


def cell_from_dataset(ds: xr.Dataset) -> Cell:
    return Cell.from_dataset(ds)


def charge_dataset(cell: Cell, step, checkpoint, progress: bool) -> xr.Dataset:
    protocol = Galvanostatic(c_rate=step.c_rate, current_density=step.current_density,
                             duration=step.duration, save_every=step.duration / 4)
    ds = charge(cell, protocol, checkpoint=checkpoint, progress=progress)
    ds.attrs["step_name"] = step.name
    return ds


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
    im = cfg.imaging
    h = im.standoff
    sus_state = final_state(charges[im.susceptometry_step])
    x_li = sus_state["x_li"].values
    sus_cell = cells["dendrite" if _step(cfg, im.susceptometry_step).dendrite else "pristine"]
    li_cell = cells["dendrite"]
    g = sus_cell.grid
    y, x = g.y, g.x
    out = {}
    # mode 1 and 3: LixCoO2, Li metal, the other phases (Au collector, LLZO) and their total in
    # B_ext, for each field / NV orientation; the total is what the sensor sees
    B_lco, B_li, B_other, B_total = [], [], [], []
    for o in im.nv_orientations:
        fl = paramagnetic_fields(sus_cell, x_li, im.B_ext, o, [h])
        fli = paramagnetic_fields(li_cell, np.full(li_cell.grid.shape, sus_cell.x_init), im.B_ext, o, [h],
                                  sources=("li",))
        n = nv_axis(o)
        B_lco.append(project(fl["lco"], n)[0])
        B_li.append(project(fli["li"], n)[0])
        B_other.append(project(fl["other"], n)[0])
        B_total.append(project(fl["total"], n)[0])
        if o == "perpendicular" or (o == im.nv_orientations[0] and "perpendicular" not in im.nv_orientations):
            out["B_lco_vector"] = (("component", "y", "x"), _plane(fl["lco"]), {"units": "T"})
            out["B_total_vector"] = (("component", "y", "x"), _plane(fl["total"]),
                                     {"units": "T", "long_name": "stray field of all sources (what the sensor sees)"})
            out["B_lco_axis"] = (("component",), n, {"units": "1"})
    out["B_lco"] = (("orientation", "y", "x"), np.stack(B_lco),
                    {"units": "T", "long_name": "LixCoO2 stray field along the NV axis"})
    out["B_li"] = (("orientation", "y", "x"), np.stack(B_li),
                   {"units": "T", "long_name": "Li-metal stray field along the NV axis"})
    out["B_other"] = (("orientation", "y", "x"), np.stack(B_other),
                      {"units": "T", "long_name": "stray field of the collector and electrolyte along the NV axis"})
    out["B_total"] = (("orientation", "y", "x"), np.stack(B_total),
                      {"units": "T", "long_name": "stray field of all sources along the NV axis"})
    # standoff dependence (seed 000 Fig. 4c), perpendicular geometry
    sweep = np.asarray(sorted(set(im.standoff_sweep) | {h}))
    fs = paramagnetic_fields(sus_cell, x_li, im.B_ext, "perpendicular", sweep, sources=("lco",))
    out["B_lco_standoff"] = (("standoff", "y", "x"), fs["lco"][2], {"units": "T"})
    out["peak_lco_vs_standoff"] = (("standoff",), np.abs(fs["lco"][2]).max(axis=(1, 2)), {"units": "T"})
    out["feature_length_vs_standoff"] = (("standoff",), feature_length(fs["lco"][2], g.dy, g.dx),
                                         {"units": "m", "long_name": "‖B‖ / ‖∇B‖"})
    # linearity in B_ext (seed 000 Fig. 4b)
    peak_lco, peak_li = [], []
    for b in B_EXT_SWEEP:
        f1 = paramagnetic_fields(sus_cell, x_li, b, "perpendicular", [h], sources=("lco",))
        f2 = paramagnetic_fields(li_cell, np.full(li_cell.grid.shape, sus_cell.x_init), b, "perpendicular", [h],
                                 sources=("li",))
        peak_lco.append(np.abs(f1["lco"][2]).max())
        peak_li.append(np.abs(f2["li"][2]).max())
    out["peak_lco_vs_B_ext"] = (("B_ext",), np.array(peak_lco), {"units": "T"})
    out["peak_li_vs_B_ext"] = (("B_ext",), np.array(peak_li), {"units": "T"})
    # mode 2: Ørsted field of the currents
    oe_state = final_state(charges[im.oersted_step])
    oe_cell = cells["dendrite" if _step(cfg, im.oersted_step).dendrite else "pristine"]
    J = oe_state["J_ion"].values + oe_state["J_e"].values
    B_oe = oersted_field(oe_cell, J, [h])
    out["B_oersted"] = (("component", "y", "x"), _plane(B_oe), {"units": "T"})
    j_nom = float(charges[im.oersted_step].attrs["nominal_current_density"])
    out["peak_oersted_vs_J"] = (("J_nominal",), np.abs(B_oe[2]).max() * np.asarray(J_SWEEP) / j_nom,
                                {"units": "T", "note": "Biot–Savart is linear in J: scaled from the simulated state"})
    coords = {"y": ("y", y, {"units": "m"}), "x": ("x", x, {"units": "m"}),
              "orientation": list(im.nv_orientations), "component": ["x", "y", "z"],
              "standoff": ("standoff", sweep, {"units": "m"}),
              "B_ext": ("B_ext", np.asarray(B_EXT_SWEEP), {"units": "T"}),
              "J_nominal": ("J_nominal", np.asarray(J_SWEEP), {"units": "A/m^2"})}
    ds = xr.Dataset(out, coords=coords)
    ds.attrs.update(standoff=h, B_ext=im.B_ext, source_thickness=SOURCE_THICKNESS,
                    oersted_nominal_current_density=j_nom, spacing=[g.dy, g.dx],
                    other_sources=[f"{p} ({sus_cell.material_of[p]}, chi = {c:.3g})"
                                   for p, c in other_susceptibilities(sus_cell).items()])
    return ds


def feature_length(B: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Length ‖B‖ / ‖∇B‖ (m) of each map in B (..., ny, nx): the size of the finest features a map
    shows. Upward continuation damps each Fourier mode by e^{-kh}, the fine ones most, so this grows
    with the standoff; it measures the blur of seed 000 Fig. 4c."""
    gy, gx = np.gradient(B, dy, dx, axis=(-2, -1))
    return np.sqrt(np.sum(B**2, axis=(-2, -1)) / np.sum(gy**2 + gx**2, axis=(-2, -1)))


def _step(cfg, name):
    return next(s for s in cfg.charge if s.name == name)


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
    axis = fields["B_lco_axis"].values
    sensor = _sensor(cfg, axis)
    factor = camera_binning(sensor, dy, dx)
    out = {}
    if cfg.sensor.simulate_spectra:
        stack = odmr_stack_dataset(cfg, fields) if stack is None else stack
        # one line per spectrum: the lower line lies far outside the sweep
        fit = fit_odmr(stack["signal"], model="lorentzian", n_dips=1)
        B_pix = (fit["f0_0"].values - stack.attrs["D"]) / stack.attrs["gamma_e"] - stack.attrs["B_ext"]
        noise_cw = float(np.nanstd(B_pix - stack["B_axis_true"].values))
        eta_cw = float(stack.attrs["sensor_sensitivity_cw"])
        out["odmr_example"] = (("frequency",), stack["signal"].values[:, stack.sizes["y"] // 2, stack.sizes["x"] // 2],
                               {"units": "1"})
        out["fit_converged"] = (("y", "x"), unbin(fit["converged"].values.astype(bool), factor, shape))
        freq_coord = {"frequency": stack["frequency"]}
    else:
        eta_cw = cfg.sensor.cw_sensitivity
        noise_cw = float(field_noise(eta_cw, cfg.sensor.integration_time))
        B_seen = recorded_maps(sensor, project(fields["B_total_vector"].values, axis), dy, dx)
        B_pix = B_seen + rng.normal(0.0, noise_cw, B_seen.shape)
        freq_coord = {}
    out["B_lco_measured"] = (("y", "x"), unbin(B_pix, factor, shape),
                             {"units": "T", "long_name": "measured total field along the NV axis"})
    sigma = field_noise(cfg.sensor.pulsed_sensitivity, cfg.sensor.integration_time)
    for name, truth in (("B_oersted_measured", fields["B_oersted"].sel(component="z").values),
                        ("B_li_measured", fields["B_li"].isel(orientation=0).values)):
        seen = recorded_maps(sensor, truth, dy, dx)
        out[name] = (("y", "x"), unbin(seen + rng.normal(0.0, sigma, seen.shape), factor, shape), {"units": "T"})
    ds = xr.Dataset(out, coords={"y": fields["y"], "x": fields["x"], **freq_coord})
    ds.attrs.update(noise_cw=noise_cw, noise_pulsed=sigma, sensor_sensitivity_cw=eta_cw, sensor_kind=cfg.sensor.kind,
                    integration_time=cfg.sensor.integration_time, n_pixels=int(np.size(B_pix)),
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


def reconstruction_dataset(cfg, cells: dict, charges: dict, fields: xr.Dataset, meas: xr.Dataset) -> xr.Dataset:
    """Current density from the Ørsted map and the state-of-charge map from the LixCoO2 map, each
    beside its ground truth; plus exact round trips of the 2-D inverse filters (seed 000 L139, L154)."""
    from ..inverse import (
        current_from_stream_function,
        interior_mask,
        magnetization_from_field,
        region_unit_fields,
        relative_l2_error,
        sheet_current_from_field,
        state_of_charge_map,
        state_of_charge_of_regions,
        susceptibility_by_region,
        susceptibility_from_field,
    )

    im = cfg.imaging
    h, T = im.standoff, fields.attrs["source_thickness"]
    dy, dx = fields.attrs["spacing"]
    margin = 4
    # --- currents (mode 2)
    oe_cell = cells["dendrite" if _step(cfg, im.oersted_step).dendrite else "pristine"]
    st = final_state(charges[im.oersted_step])
    J = st["J_ion"].values + st["J_e"].values
    J_true = _depth_mean_current(oe_cell, J, T)
    Bz = fields["B_oersted"].sel(component="z").values
    rec = sheet_current_from_field(Bz, dy, dx, standoff=h, thickness=T)
    J_rec = np.stack([rec["Jx"].values, rec["Jy"].values])
    err_J = relative_l2_error(J_rec, J_true, margin=margin)
    # exact round trip (voxel inversion): a divergence-free current shaped like the cathode, one
    # uniform layer on the map's lattice, must come back to round-off
    from ..grid import Grid

    g1 = Grid((1, *Bz.shape), (T, dy, dx))
    lco_top = cells["pristine"].mask("lco")[-1].astype(float)
    psi = ndimage.gaussian_filter(lco_top, 1.5) * 1e-2
    psi[:2], psi[-2:], psi[:, :2], psi[:, -2:] = 0, 0, 0, 0
    J_top = current_from_stream_function(psi, dy, dx)
    J_layer = np.zeros((3, 1, *Bz.shape))
    J_layer[:2, 0] = J_top
    Bz_layer = oersted_field_from_current(J_layer, g1, [h])[2, 0]
    rt = sheet_current_from_field(Bz_layer, dy, dx, standoff=h, thickness=T, window="none", method="voxel")
    err_J_roundtrip = relative_l2_error(np.stack([rt["Jx"].values, rt["Jy"].values]), J_top, margin=margin)
    # --- state of charge (mode 1)
    sus_cell = cells["dendrite" if _step(cfg, im.susceptometry_step).dendrite else "pristine"]
    x_cell = final_state(charges[im.susceptometry_step])["x_li"].values
    x_true = x_cell[-1]
    lco = sus_cell.mask("lco")[-1]
    surface = lco & ~sus_cell.buried_mask()[-1]
    non_magnetic = sus_cell.mask(["llzo", "llzo_gb"])[-1] & ~sus_cell.mask(["li_metal", "dendrite"])[-1]
    axis = fields["B_lco_axis"].values
    sus = susceptibility_from_field(meas["B_lco_measured"].values, dy, dx, B_ext=im.B_ext * axis,
                                    standoff=h, thickness=T, component=axis,
                                    reference_mask=non_magnetic, noise_sigma=meas.attrs["noise_cw"])
    soc = state_of_charge_map(sus["chi"].values, mask=surface)
    # per particle: one χ each, fitted with the microstructure known in depth (as a tomogram of the
    # same cell would give it), buried particles included; the truth is each particle's mean x
    vol = source_volume(sus_cell, T)
    regions = np.where(vol.present, np.take(sus_cell.particle_id, vol.column, axis=0), -1)
    truth = particle_means(x_cell, sus_cell.particle_id)
    G = region_unit_fields(regions, vol.grid, B_ext=im.B_ext * axis, standoff=h, component=axis)
    by_particle = state_of_charge_of_regions(
        susceptibility_by_region(meas["B_lco_measured"].values, G, noise_sigma=meas.attrs["noise_cw"]))
    # the same fit of the noiseless field: what the model alone gets wrong (x not uniform inside a
    # particle), apart from the measurement noise
    B_clean = np.einsum("c,cyx->yx", axis, fields["B_lco_vector"].values)
    clean = state_of_charge_of_regions(susceptibility_by_region(B_clean, G, noise_sigma=0.0))
    # reported: the particles the sensor sees, those at the surface and those under the cap; the
    # interior of a 3-D cell is in the fit, but its field is too weak and alike to tell them apart
    seen = set(np.unique(sus_cell.particle_id[-1][lco])) | set(sus_cell.attrs.get("buried_particles", []))
    ids = [int(i) for i in by_particle["region"].values if int(i) in seen]
    by_particle, clean = by_particle.sel(region=ids), clean.sel(region=ids)
    # magnetization round trip, noiseless and exact in the voxel engine
    chi_lco = susceptibility_maps(sus_cell, x_cell)["lco"][-1]
    M_layer = np.zeros((3, 1, *chi_lco.shape))
    M_layer[2, 0] = chi_lco * im.B_ext / (4e-7 * np.pi)
    Bz_m = stray_field_from_magnetization(M_layer, g1, [h])[2, 0]
    rm = magnetization_from_field(Bz_m, dy, dx, standoff=h, thickness=T, window="none",
                                  reference_mask=non_magnetic, method="voxel")
    err_M_roundtrip = relative_l2_error(rm["M"].values, M_layer[2, 0], margin=margin)
    ds = xr.Dataset(
        {
            "J_true": (("component2", "y", "x"), J_true, {"units": "A/m^2"}),
            "J_reconstructed": (("component2", "y", "x"), J_rec, {"units": "A/m^2"}),
            "x_true": (("y", "x"), np.where(lco, x_true, np.nan), {"units": "1"}),
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
        },
        coords={"y": fields["y"], "x": fields["x"], "component2": ["x", "y"]},
    )
    ds.attrs.update(buried_particles=[i for i in ids if i in sus_cell.attrs.get("buried_particles", [])],
                    J_relative_error=err_J, J_roundtrip_error=err_J_roundtrip,
                    M_roundtrip_error=err_M_roundtrip, edge_margin_pixels=margin,
                    interior_pixels=int(interior_mask(Bz.shape, margin).sum()))
    return ds
