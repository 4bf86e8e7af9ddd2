"""The reconstructions of a run, each beside its ground truth: the current density from the measured
Ørsted map, the state-of-charge map and the per-particle Li content from the measured LixCoO2 map, and
the exact round trips of the 2-D inverse filters."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import ndimage

from ..cell import Cell
from ..magnetics import oersted_field_from_current, stray_field_from_magnetization
from .sources import current_density, source_volume, susceptibility_maps
from .stages import cell_for_step, final_state, step_named, total_current


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


def _current_or_reason(Bz: np.ndarray, dy: float, dx: float, **kw) -> tuple[np.ndarray, str, str]:
    """:func:`current_from_map`, or NaN currents and why not where the map holds nothing but noise
    (the discrepancy principle finds no weight): at this noise, that is the result."""
    from ..errors import InputError

    try:
        return (*current_from_map(Bz, dy, dx, **kw), "")
    except InputError as exc:
        if "below the noise level" not in str(exc):
            raise
        return np.full((2, *Bz.shape), np.nan), "none: the map is below the noise", str(exc)


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
    shape = (fields.sizes["y"], fields.sizes["x"])
    margin = min(4, (min(shape) - 1) // 2)  # 4 pixels, or what a map under 9 pixels wide allows
    data, attrs = {}, {"edge_margin_pixels": margin, "interior_pixels": int(interior_mask(shape, margin).sum())}
    # --- currents (mode 2): from the measured map, and from the noiseless one (model error alone)
    if "oersted" in im.modes:
        oe_cell = cell_for_step(cfg, cells, step_named(cfg, im.oersted_step))
        J_true = _depth_mean_current(oe_cell, total_current(final_state(charges[im.oersted_step])), T)
        sigma = float(meas.attrs["noise_pulsed"])
        Bz = fields["B_oersted"].sel(component="z").values
        J_rec, method, why = _current_or_reason(meas["B_oersted_measured"].values, dy, dx, standoff=h,
                                                thickness=T, rcfg=rcfg, noise_sigma=sigma)
        if why:
            attrs["J_unavailable"] = (f"the Ørsted map is below the noise (peak |Bz| {np.abs(Bz).max() * 1e9:.3g} "
                                      f"nT, noise {sigma * 1e9:.3g} nT per pixel): no current reconstruction")
        J_model, _, _ = _current_or_reason(Bz, dy, dx, standoff=h, thickness=T, rcfg=rcfg,
                                           noise_sigma=max(1e-3 * float(np.sqrt(np.mean(Bz**2))), 1e-18))
        data.update(J_true=(("component", "y", "x"), J_true,
                            {"units": "A/m^2", "long_name": "in-plane current density, slab depth mean (truth)"}),
                    J_reconstructed=(("component", "y", "x"), J_rec,
                                     {"units": "A/m^2", "long_name": "in-plane current density from the measured map"}),
                    J_noiseless=(("component", "y", "x"), J_model,
                                 {"units": "A/m^2", "long_name": "the same inversion of the noiseless map"}))
        attrs.update({k: relative_l2_error(J, J_true, margin=margin) if np.isfinite(J).any() else float("nan")
                      for k, J in (("J_relative_error", J_rec), ("J_model_error", J_model))}, J_method=method)
    # exact round trip (voxel inversion): a divergence-free current shaped like the cathode, one
    # uniform layer on the map's lattice, must come back to round-off
    g1 = Grid((1, *shape), (T, dy, dx))
    pristine = cells.get("pristine", cells["dendrite"])  # only dendrite steps: no pristine cell was built
    lco_top = pristine.mask("lco")[-1].astype(float)
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
    ds = xr.Dataset(data, coords={"y": fields["y"], "x": fields["x"], "component": ["x", "y"]})
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
    # the measured map holds every source; the phases whose χ does not change with charge (Li metal, Au
    # collector, garnet) have a field known from the microstructure and their tabulated χ: subtract it
    background = np.einsum("c,cyx->yx", axis, fields["B_total_vector"].values - fields["B_lco_vector"].values)
    B_lco = meas["B_lco_measured"].values - background
    sus = susceptibility_from_field(B_lco, dy, dx, B_ext=im.B_ext * axis, standoff=h,
                                    thickness=T, component=axis, reference_mask=non_magnetic, noise_sigma=noise,
                                    cutoff_wavelength=cfg.reconstruction.window_cutoff * h)
    soc = state_of_charge_map(sus["chi"].values, mask=surface)
    x_li_true = np.where(lco, x_cell[-1], np.nan)
    err = np.abs(soc["x_li"].values - x_li_true)[surface]
    # per particle: one χ each, fitted with the microstructure known in depth (as a tomogram of the
    # same cell would give it), buried particles included; the truth is each particle's mean x
    vol = source_volume(sus_cell, T)
    regions = np.where(vol.present, np.take(sus_cell.particle_id, vol.column, axis=0), -1)
    truth = particle_means(x_cell, sus_cell.particle_id)
    G = region_unit_fields(regions, vol.grid, B_ext=im.B_ext * axis, standoff=h, component=axis)
    by_particle = state_of_charge_of_regions(susceptibility_by_region(B_lco, G, noise_sigma=noise))
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
        "x_li_true": (("y", "x"), x_li_true, {"units": "1", "long_name": "Li content x of LixCoO2 at the top (truth)"}),
        "x_li_reconstructed": (("y", "x"), soc["x_li"].values,
                               {"units": "1", "long_name": "Li content x of LixCoO2 from the measured map"}),
        "chi_reconstructed": (("y", "x"), sus["chi"].values,
                              {"units": "1", "long_name": "volume susceptibility from the measured map"}),
        "particle": (("particle",), np.array(ids, dtype=int), {"units": "1", "long_name": "particle id"}),
        "particle_x_li_true": (("particle",), np.array([truth[i] for i in ids]),
                               {"units": "1", "long_name": "mean Li content x of the particle (truth)"}),
        "particle_x_li_reconstructed": (("particle",), by_particle["x_li"].values,
                                        {"units": "1", "long_name": "x from one χ per particle fitted to the map"}),
        "particle_x_li_sem": (("particle",), by_particle["x_li_sem"].values,
                              {"units": "1", "long_name": "standard error of particle_x_li_reconstructed"}),
        "particle_x_li_noiseless": (("particle",), clean["x_li"].values,
                                    {"units": "1", "long_name": "x from the same inversion of the noiseless field"}),
        "particle_reason": (("particle",), by_particle["reason"].values,
                            {"units": "1", "codes": by_particle["reason"].attrs["codes"],
                             "long_name": "why x was or was not reported"}),
        "particle_chi": (("particle",), by_particle["chi"].values,
                         {"units": "1", "long_name": "volume susceptibility of the particle, fitted"}),
        "particle_chi_sem": (("particle",), by_particle["chi_sem"].values,
                             {"units": "1", "long_name": "standard error of particle_chi"}),
        "particle_pixels": (("particle",), by_particle["n_pixels"].values,
                            {"units": "1", "long_name": "map pixels above the particle"}),
    }
    attrs = {"buried_particles": [i for i in ids if i in sus_cell.attrs.get("buried_particles", [])],
             "x_map_median_error": float(np.nanmedian(err)) if np.isfinite(err).any() else float("nan"),
             "x_map_recovered_fraction": float(np.isfinite(err).mean()) if err.size else 0.0}
    return data, attrs
