"""Magnetic sources of the pipeline (every phase with a tabulated χ) and its simulated NV sensor
(scanning / widefield, photon budget from the configured sensitivity, exported ODMR stack)."""

from __future__ import annotations

import magpylib
import numpy as np
import pytest
import xarray as xr

from operando import materials
from operando.cell import Cell
from operando.cell.cell import LABEL
from operando.grid import Grid
from operando.io import save_dataset
from operando.magnetics import stray_field_from_magnetization
from operando.nv.constants import D_ZERO_FIELD, GAMMA_E
from operando.odmr.fit import fit_odmr
from operando.odmr.readers import load_odmr
from operando.pipeline.config import ConfigError, RunConfig
from operando.pipeline.measurement import measurement_dataset, odmr_stack_dataset
from operando.pipeline.sources import magnetization, source_volume, susceptibility_maps
from operando.pipeline.stages import paramagnetic_fields

MU0 = 4e-7 * np.pi
STANDOFF = 50e-9


def collector_cell(width=0.6e-6, length=15e-6, depth=4e-6, dxy=100e-9, dz=200e-9, margin=10):
    """A cell that is only an Au collector slab (void around it); returns the cell and the slab's
    bounds (x0, x1, y0, y1) in m. The grid's top face is z = 0."""
    nx, ny, nz = round(width / dxy) + 2 * margin, round(length / dxy) + 2 * margin, round(depth / dz)
    labels = np.full((nz, ny, nx), LABEL["void"], np.int8)
    labels[:, margin:ny - margin, margin:nx - margin] = LABEL["collector"]
    cell = Cell(Grid((nz, ny, nx), (dz, dxy, dxy)), labels)
    return cell, (margin * dxy, (nx - margin) * dxy, margin * dxy, (ny - margin) * dxy)


def cuboid_field(cell, bounds, chi, B_ext, height):
    """Bz (ny, nx) of the uniformly magnetized cuboid M = χ B_ext/μ0 at the pixel centres (magpylib)."""
    x0, x1, y0, y1 = bounds
    depth = cell.grid.nz * cell.grid.dz
    cube = magpylib.magnet.Cuboid(magnetization=(0, 0, chi * B_ext / MU0),
                                  dimension=(x1 - x0, y1 - y0, depth),
                                  position=((x0 + x1) / 2, (y0 + y1) / 2, -depth / 2))
    yy, xx = np.meshgrid(cell.grid.y, cell.grid.x, indexing="ij")
    obs = np.stack([xx, yy, np.full(xx.shape, height)], axis=-1)
    return cube.getB(obs.reshape(-1, 3))[:, 2].reshape(xx.shape)


def test_au_collector_field_matches_uniformly_magnetized_cuboid():
    # the number: an Au collector (χ ≈ -3.4e-5) gives ~1.5 µT at 50 nm in 100 mT
    # (Pollok et al., Nat. Commun. 2025 name the collector's susceptibility, seed 000 L135)
    cell, bounds = collector_cell()
    fields = paramagnetic_fields(cell, cell.x_map(), 0.1, "perpendicular", [STANDOFF])
    chi_au = materials.get("Au").value("chi_volume")
    assert chi_au == pytest.approx(-3.45e-5, rel=0.01)
    ref = cuboid_field(cell, bounds, chi_au, 0.1, STANDOFF)
    Bz = fields["other"][2, 0]
    assert np.abs(Bz - ref).max() < 1e-6 * np.abs(ref).max()  # the voxel engine is exact
    # above a diamagnet the field opposes B_ext; a 0.6 µm strip at 50 nm: μ0M/π·atan(w/2h) ≈ 1.5 µT
    peak = Bz[np.unravel_index(np.argmax(np.abs(Bz)), Bz.shape)]
    assert -1.8e-6 < peak < -1.2e-6
    assert not np.any(fields["lco"]) and not np.any(fields["li"])
    np.testing.assert_array_equal(fields["total"], fields["other"])


@pytest.fixture(scope="module")
def small_cell():
    from operando.cell import presets

    return presets.pollok2025(voxel=500e-9, nz=2, seed=0)


def test_sources_cover_every_tabulated_susceptibility(small_cell):
    cell = small_cell
    x = cell.x_map()
    chi = susceptibility_maps(cell, x)
    # apart: no voxel is in two sources, and together they are the cell's χ map of every phase
    assert not np.any((chi["lco"] != 0) & (chi["other"] != 0))
    assert not np.any((chi["li"] != 0) & (chi["other"] != 0))
    np.testing.assert_allclose(chi["lco"] + chi["li"] + chi["other"], cell.property_map("chi_volume", x),
                               rtol=1e-12, atol=0)
    assert chi["other"][cell.mask("collector")].max() < -3e-5  # Au
    assert np.all(chi["other"][cell.mask(["llzo", "llzo_gb", "cap"])] < 0)  # LLZO: diamagnet
    # the total field is the field of the total χ map, computed in one go
    fields = paramagnetic_fields(cell, x, 0.1, "perpendicular", [STANDOFF])
    vol = source_volume(cell, 2e-6)
    B_all = stray_field_from_magnetization(
        magnetization(vol, cell.property_map("chi_volume", x), np.array([0, 0, 0.1])), vol.grid, [STANDOFF])
    np.testing.assert_allclose(fields["total"], B_all, rtol=0, atol=1e-9 * np.abs(B_all).max())
    assert np.abs(fields["other"][2]).max() > 0.3 * np.abs(fields["lco"][2]).max()


# --- the simulated sensor -----------------------------------------------------------------------
def flat_fields(ny=50, nx=60, spacing=100e-9, bump=0.0):
    """A fields dataset as the fields stage writes it: zero field (or a Gaussian bump of ``bump`` T
    in every map) on an ny × nx grid, NV axis perpendicular."""
    y, x = np.arange(ny) * spacing, np.arange(nx) * spacing
    r2 = (y[:, None] - y.mean()) ** 2 + (x[None] - x.mean()) ** 2
    m = bump * np.exp(-r2 / (2 * (3 * spacing) ** 2))
    vec = np.stack([0 * m, 0 * m, m])
    return xr.Dataset(
        {"B_total_vector": (("component", "y", "x"), vec), "B_lco_vector": (("component", "y", "x"), vec),
         "B_lco_axis": (("component",), np.array([0.0, 0.0, 1.0])),
         "B_oersted": (("component", "y", "x"), vec), "B_li": (("orientation", "y", "x"), m[None])},
        coords={"y": ("y", y, {"units": "m"}), "x": ("x", x, {"units": "m"}), "component": ["x", "y", "z"],
                "orientation": ["perpendicular"]},
        attrs={"spacing": [spacing, spacing], "standoff": STANDOFF},
    )


#: SI units of the sensor keys: a configuration takes quantities with units, never bare numbers
SENSOR_UNITS = {"cw_sensitivity": "T/Hz^0.5", "pulsed_sensitivity": "T/Hz^0.5", "integration_time": "s",
                "layer_thickness": "m", "optical_resolution": "m", "camera_pixel": "m"}


def config(**sensor):
    sensor = {k: f"{v} {SENSOR_UNITS[k]}" if k in SENSOR_UNITS and isinstance(v, int | float) else v
              for k, v in sensor.items()}
    return RunConfig.from_mapping({"sensor": sensor})


@pytest.mark.parametrize("kind", ["scanning", "widefield"])
def test_fitted_noise_follows_the_configured_sensitivity(kind):
    extra = {"camera_pixel": "100 nm"} if kind == "widefield" else {}
    fields = flat_fields()
    noise = {}
    for eta, t in ((1e-6, 1.0), (1e-6, 4.0), (2e-6, 1.0)):
        cfg = config(kind=kind, cw_sensitivity=eta, integration_time=t, **extra)
        meas = measurement_dataset(cfg, fields)
        assert meas.attrs["sensor_sensitivity_cw"] == pytest.approx(eta, rel=1e-9)
        assert meas.attrs["n_pixels"] == 3000
        noise[eta, t] = meas.attrs["noise_cw"]
        assert noise[eta, t] == pytest.approx(eta / np.sqrt(t), rel=0.15)
    assert noise[1e-6, 4.0] / noise[1e-6, 1.0] == pytest.approx(0.5, rel=0.1)
    assert noise[2e-6, 1.0] / noise[1e-6, 1.0] == pytest.approx(2.0, rel=0.1)


def test_sensor_kind_and_each_widefield_key_change_the_measurement():
    fields = flat_fields(bump=1e-6)

    def li_map(**sensor):
        cfg = config(simulate_spectra=False, pulsed_sensitivity="1e-15 T/Hz^0.5", **sensor)
        return measurement_dataset(cfg, fields)["B_li_measured"].values

    scanning = li_map()
    np.testing.assert_allclose(scanning, fields["B_li"].values[0], atol=1e-14)
    wide = li_map(kind="widefield", camera_pixel="100 nm")
    assert wide.max() < 0.9 * scanning.max()  # the NV layer and the PSF blur the bump
    for key, value in (("layer_thickness", "200 nm"), ("optical_resolution", "1 um")):
        assert not np.allclose(li_map(kind="widefield", camera_pixel="100 nm", **{key: value}), wide)
    binned = li_map(kind="widefield", camera_pixel="300 nm")
    assert binned.shape == wide.shape
    np.testing.assert_array_equal(binned[:3, :3], binned[0, 0])  # one camera pixel, 3 × 3 map pixels


def test_scanning_sensor_rejects_widefield_keys():
    for key in ("layer_thickness", "optical_resolution", "camera_pixel"):
        with pytest.raises(ConfigError, match=rf"sensor\.{key}"):
            config(kind="scanning", **{key: "1 um"})
    assert config(kind="widefield").sensor.layer_thickness == pytest.approx(1e-6)


def test_exported_odmr_stack_refits_to_the_measured_map(tmp_path):
    fields = flat_fields(bump=3e-6)
    cfg = config()
    stack = odmr_stack_dataset(cfg, fields)
    assert stack["signal"].dims == ("frequency", "y", "x")
    assert stack["frequency"].attrs["units"] == "Hz"
    meas = measurement_dataset(cfg, fields, stack)
    path = save_dataset(stack, tmp_path / "odmr_stack.nc")
    fit = fit_odmr(load_odmr(path), model="lorentzian", n_dips=1)
    B = (fit["f0_0"].values - D_ZERO_FIELD) / GAMMA_E - cfg.imaging.B_ext
    np.testing.assert_allclose(B, meas["B_lco_measured"].values, rtol=0, atol=1e-3 * meas.attrs["noise_cw"])
    # and the truth beside it is the field the sensor saw
    err = B - stack["B_axis_true"].values
    assert np.std(err) == pytest.approx(meas.attrs["noise_cw"], rel=1e-6)


def test_widefield_reads_the_tilted_axis_and_rejects_an_in_plane_one():
    from operando.errors import InputError
    from operando.magnetics import nv_axis

    fields = flat_fields()
    fields["B_lco_axis"] = (("component",), nv_axis("111"))
    cfg = config(kind="widefield", camera_pixel="100 nm")
    # a (100)-cut ensemble has a family along the 54.7° axis: its line alone is in the sweep
    assert measurement_dataset(cfg, fields).attrs["noise_cw"] == pytest.approx(1e-6, rel=0.15)
    fields["B_lco_axis"] = (("component",), nv_axis("parallel"))
    with pytest.raises(InputError, match=r"imaging\.nv_orientations"):
        measurement_dataset(cfg, fields)
