"""The simulated NV measurement of a run: the ODMR stack of the field the sensor sees, its fit, and
the noisy Ørsted and Li-metal maps, for the configured sensor (scanning or widefield) and sensitivity."""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from ..errors import InputError
from ..magnetics import nv_axis, project

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
        n_dips=1, odmr_line="upper",  # what `operando fit` reads: one resonance, f+ = D + gamma_e B
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
                               {"units": "1", "long_name": "ODMR spectrum of the centre pixel"})
        out["fit_converged"] = (("y", "x"), unbin(fit["converged"].values.astype(bool), factor, shape),
                                 {"units": "1", "long_name": "the pixel's ODMR fit converged"})
        if not fit["converged"].values.any():
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
    for name, mode, var, what in (("B_oersted_measured", "oersted", "B_oersted", "Ørsted field Bz"),
                                  ("B_li_measured", "lithium", "B_li", "Li-metal field along the NV axis")):
        if mode not in modes:
            continue
        truth = fields[var].sel(component="z").values if var == "B_oersted" else fields[var].isel(orientation=0).values
        seen = recorded_maps(sensor, truth, dy, dx)
        out[name] = (("y", "x"), unbin(seen + rng.normal(0.0, sigma, seen.shape), factor, shape),
                     {"units": "T", "long_name": f"measured {what}"})
    ds = xr.Dataset(out, coords={"y": fields["y"], "x": fields["x"], **freq_coord})
    ds.attrs.update(noise_cw=noise_cw, noise_pulsed=sigma, sensor_sensitivity_cw=eta_cw, sensor_kind=cfg.sensor.kind,
                    integration_time=cfg.sensor.integration_time, n_pixels=int(shape[0] * shape[1]),
                    camera_binning=factor)
    return ds
