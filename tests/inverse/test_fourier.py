"""Fourier inverse filters: round trips through the exact voxel engines (seed 000 L139, L154)."""

import numpy as np
import pytest
import xarray as xr

from operando.errors import InputError
from operando.inverse import (
    continuity_residual,
    current_through_cut,
    magnetization_from_field,
    relative_continuity_residual,
    relative_l2_error,
    sheet_current_from_field,
)
from operando.magnetics import nv_axis, project

NV = nv_axis("111", azimuth=0.4)
MARGIN = 10  # pixels excluded along every edge (as in conftest)


def _current(ds):
    return np.stack([ds["Jx"].values, ds["Jy"].values])


# seed 000 L154 / VALIDATION M12: a 2-D current is uniquely reconstructed by the inverse filter.
# Noiseless, window cut-off at half the standoff; MARGIN = 10 px excluded along each edge.
@pytest.mark.parametrize("component", ["z", NV, ("x", "y")], ids=["Bz", "NV111", "BxBy"])
def test_sheet_current_round_trip_below_one_percent(current_case, component):
    c = current_case
    g = c["grid"]
    B = c["B"][2] if isinstance(component, str) else c["B"]  # vector maps are projected
    ds = sheet_current_from_field(B, g.dy, g.dx, standoff=c["h"], thickness=g.dz,
                                  component=component, cutoff_wavelength=c["h"] / 2)
    assert ds["Jx"].attrs["units"] == "A/m^2"
    assert relative_l2_error(_current(ds), c["J"], margin=MARGIN) < 1e-2


def test_thin_sheet_gives_sheet_density(current_case):
    """thickness = 0 returns K = J · t (A/m) for a layer much thinner than the standoff."""
    c = current_case
    g = c["grid"]
    ds = sheet_current_from_field(c["B"][2], g.dy, g.dx, standoff=c["h"] + g.dz / 2,
                                  cutoff_wavelength=c["h"] / 2)
    assert ds["Jx"].attrs["units"] == "A/m"
    assert relative_l2_error(_current(ds), c["J"] * g.dz, margin=MARGIN) < 2e-2


def test_non_square_pixels_are_used_the_right_way_round(current_case):
    c = current_case
    g = c["grid"]
    assert g.dy != g.dx
    good = sheet_current_from_field(c["B"][2], g.dy, g.dx, standoff=c["h"], thickness=g.dz)
    swapped = sheet_current_from_field(c["B"][2], g.dx, g.dy, standoff=c["h"], thickness=g.dz)
    assert relative_l2_error(_current(good), c["J"], margin=MARGIN) < 2e-2
    assert relative_l2_error(_current(swapped), c["J"], margin=MARGIN) > 0.2


def test_pixel_size_read_from_dataarray_coordinates(current_case):
    c = current_case
    g = c["grid"]
    da = g.field_on_planes(c["B"][:, None], [c["h"]])
    ds = sheet_current_from_field(da, standoff=c["h"], thickness=g.dz, component="z")
    ref = sheet_current_from_field(c["B"][2], g.dy, g.dx, standoff=c["h"], thickness=g.dz)
    np.testing.assert_allclose(ds["Jx"].values, ref["Jx"].values)
    np.testing.assert_allclose(ds["x"].values, g.x)


def test_current_is_conserved_and_cut_current_matches(current_case):
    c = current_case
    g = c["grid"]
    ds = sheet_current_from_field(c["B"][2], g.dy, g.dx, standoff=c["h"], thickness=g.dz)
    J = _current(ds)
    # the stream-function form makes ∇·J vanish up to the finite-difference error of the check
    assert relative_continuity_residual(J, g.dy, g.dx, margin=MARGIN) < 0.05
    rng = np.random.default_rng(1)
    assert relative_continuity_residual(rng.normal(size=J.shape), g.dy, g.dx) > 0.5
    assert continuity_residual(J, g.dy, g.dx).shape == J.shape[1:]
    # current through the half-column above the loop centre (one direction of circulation)
    col = g.nx // 2 - 8
    half = slice(g.ny // 2, g.ny - MARGIN)
    truth = current_through_cut(c["J"][:, half], "x", col, g.dy)
    rec = current_through_cut(J[:, half], "x", col, g.dy)
    assert abs(truth) > 0
    assert rec == pytest.approx(truth, rel=0.02)


# seed 000 L139 / VALIDATION M12: unidirectional moments of a 2-D layer are reconstructable.
@pytest.mark.parametrize("component", ["z", NV], ids=["Bz", "NV111"])
def test_magnetization_round_trip_below_one_percent(magnetization_case, component):
    c = magnetization_case
    g = c["grid"]
    B = c["B"][2] if isinstance(component, str) else project(c["B"], component)
    ds = magnetization_from_field(B, g.dy, g.dx, standoff=c["h"], thickness=g.dz,
                                  component=component, cutoff_wavelength=c["h"] / 2)
    assert ds["M"].attrs["units"] == "A/m"
    assert relative_l2_error(ds["M"], c["M"], margin=MARGIN) < 1e-2


def test_magnetization_from_in_plane_component_misses_kx0_line(magnetization_case):
    """B_x is blind to sources that do not vary along x (its transfer ∝ kx): documented limit."""
    c = magnetization_case
    g = c["grid"]
    bx = magnetization_from_field(c["B"][0], g.dy, g.dx, standoff=c["h"], thickness=g.dz,
                                  component="x")
    both = magnetization_from_field(c["B"], g.dy, g.dx, standoff=c["h"], thickness=g.dz,
                                    component=("x", "y"), cutoff_wavelength=c["h"] / 2)
    assert relative_l2_error(both["M"], c["M"], margin=MARGIN) < 1e-2
    assert relative_l2_error(bx["M"], c["M"], margin=MARGIN) > 0.05


def test_analytic_uncertainty_matches_monte_carlo(magnetization_case):
    c = magnetization_case
    g = c["grid"]
    sigma = 5e-8
    kw = {"standoff": c["h"], "thickness": g.dz, "taper": 0}
    std = magnetization_from_field(c["B"][2], g.dy, g.dx, noise_sigma=sigma, **kw)["M_std"]
    rng = np.random.default_rng(0)
    draws = np.stack([
        magnetization_from_field(c["B"][2] + rng.normal(0, sigma, c["B"][2].shape), g.dy, g.dx,
                                 **kw)["M"].values
        for _ in range(40)
    ])
    inner = (slice(MARGIN, -MARGIN),) * 2
    emp = draws.std(axis=0, ddof=1)[inner].mean()
    assert std.values[inner].mean() == pytest.approx(emp, rel=0.1)


def test_nan_pixels_are_inpainted_masked_or_refused(current_case):
    c = current_case
    g = c["grid"]
    B = c["B"][2].copy()
    B[40:43, 60:64] = np.nan
    kw = {"standoff": c["h"], "thickness": g.dz}
    ds = sheet_current_from_field(B, g.dy, g.dx, **kw)
    assert ds.attrs["inpainted_pixels"] == 12
    assert int(ds["missing"].sum()) == 12
    assert np.isfinite(ds["Jx"]).all()
    far = np.ones(B.shape, bool)
    far[30:53, 50:74] = False
    ref = sheet_current_from_field(c["B"][2], g.dy, g.dx, **kw)
    assert relative_l2_error(_current(ds), _current(ref), mask=far, margin=MARGIN) < 1e-2
    masked = sheet_current_from_field(B, g.dy, g.dx, nan_policy="mask", **kw)
    assert np.isnan(masked["Jx"].values[40:43, 60:64]).all()
    with pytest.raises(InputError, match="non-finite"):
        sheet_current_from_field(B, g.dy, g.dx, nan_policy="raise", **kw)


@pytest.mark.parametrize("standoff", [0.0, -5e-9, np.nan])
def test_standoff_must_be_positive(current_case, standoff):
    g = current_case["grid"]
    with pytest.raises(InputError, match="standoff"):
        sheet_current_from_field(current_case["B"][2], g.dy, g.dx, standoff=standoff)


def test_component_not_measured_is_a_clear_error(current_case):
    c = current_case
    g = c["grid"]
    B = c["B"].copy()
    B[0] = np.nan  # B_x not measured
    with pytest.raises(InputError, match="B_x"):
        sheet_current_from_field(B, g.dy, g.dx, standoff=c["h"], component=NV)
    only_z = xr.DataArray(c["B"][2:], dims=("component", "y", "x"),
                          coords={"component": ["z"], "y": g.y, "x": g.x})
    with pytest.raises(InputError, match="measured components"):
        magnetization_from_field(only_z, standoff=c["h"], component="y")
    ok = magnetization_from_field(only_z, standoff=c["h"], component="z")
    assert np.isfinite(ok["M"]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"dy": 0.0}, "dy"), ({"component": "w"}, "component"),
     ({"component": (0, 0, 0)}, "component"),
     ({"thickness": -1e-9}, "thickness"), ({"window": "box"}, "window"),
     ({"nan_policy": "ignore"}, "nan_policy")],
)
def test_bad_parameters_name_themselves(current_case, kwargs, match):
    g = current_case["grid"]
    kw = {"dy": g.dy, "dx": g.dx, "standoff": 50e-9} | kwargs
    with pytest.raises(InputError, match=match):
        sheet_current_from_field(current_case["B"][2], **kw)


def test_map_without_pixel_size_or_too_small_is_refused():
    with pytest.raises(InputError, match="pixel size"):
        sheet_current_from_field(np.zeros((8, 8)), standoff=1e-8)
    with pytest.raises(InputError, match="4 x 4"):
        sheet_current_from_field(np.zeros((3, 8)), 1e-8, 1e-8, standoff=1e-8)
    with pytest.raises(InputError, match="every pixel"):
        sheet_current_from_field(np.full((8, 8), np.nan), 1e-8, 1e-8, standoff=1e-8)


def test_magnetization_along_tilted_applied_field(magnetization_case):
    """Moments along a tilted field (e.g. B_ext at 54.7° for a (111) tip), sensed along z."""
    from operando.magnetics import stray_field_from_magnetization

    c = magnetization_case
    g = c["grid"]
    direction = nv_axis("111", azimuth=1.0)
    M = direction[:, None, None, None] * c["M"][None, None]
    B = stray_field_from_magnetization(M, g, c["h"])[2, 0]
    ds = magnetization_from_field(B, g.dy, g.dx, standoff=c["h"], thickness=g.dz,
                                  direction=direction, cutoff_wavelength=c["h"] / 2)
    assert relative_l2_error(ds["M"], c["M"], margin=MARGIN) < 1e-2
    assert ds.attrs["direction"] == pytest.approx(direction.tolist())


def test_metrics_refuse_bad_input():
    from operando.inverse import edge_width, interior_mask

    with pytest.raises(InputError, match="shape"):
        relative_l2_error(np.zeros((4, 4)), np.ones((4, 5)))
    with pytest.raises(InputError, match="zero"):
        relative_l2_error(np.zeros((4, 4)), np.zeros((4, 4)))
    with pytest.raises(InputError, match="margin"):
        interior_mask((4, 4), 2)
    with pytest.raises(InputError, match="J"):
        current_through_cut(np.zeros((3, 4, 4)), "x", 0, 1.0)
    with pytest.raises(InputError, match="index"):
        current_through_cut(np.zeros((2, 4, 4)), "y", 7, 1.0)
    with pytest.raises(InputError, match="step"):
        edge_width(np.ones(16), 1.0)
