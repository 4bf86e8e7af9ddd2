"""Acquisition models: scanning single NV and widefield ensemble produce Datasets with the true
field alongside; exact upward continuation / layer averaging; shot noise; bad input."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.io import load_dataset, save_dataset
from operando.nv.acquisition import (
    ScanningNV,
    WidefieldNV,
    sensor_filter,
    simulate_field_map,
    simulate_odmr,
)

SPACING = 20e-9


def dipole_map(h, n=96, depth=100e-9, moment=1e-17):
    """Analytic field (3, n, n) in T of a z dipole ``depth`` below the surface, on the plane z =
    h."""
    c = (np.arange(n) - n / 2) * SPACING
    X, Y = np.meshgrid(c, c)
    r = np.stack([X, Y, np.full_like(X, h + depth)])
    rn = np.linalg.norm(r, axis=0)
    m = np.array([0.0, 0.0, moment])[:, None, None]
    return 1e-7 * (3 * r * np.sum(m * r, 0) / rn**5 - m / rn**3)


def test_scanning_map_true_field_projection_and_noise():
    sensor = ScanningNV(standoff=80e-9, dwell_time=0.04)
    ds = simulate_field_map(sensor, dipole_map(30e-9), spacing=SPACING, field_height=30e-9, seed=1)
    truth = dipole_map(80e-9)
    np.testing.assert_allclose(ds.B_true.values, truth, atol=0.01 * np.abs(truth).max())
    axis = ds.nv_axis.values[:, 0]
    assert np.degrees(np.arccos(axis[2])) == pytest.approx(54.7356, abs=1e-3)
    np.testing.assert_allclose(ds.B_nv_true.values[0], np.tensordot(axis, ds.B_true.values, 1))
    noise = (ds.B_nv - ds.B_nv_true).values
    assert np.std(noise) == pytest.approx(sensor.sensitivity() / np.sqrt(0.04), rel=0.05)
    assert ds.attrs["total_time_s"] == pytest.approx(96 * 96 * 0.04)
    assert ds.B_true.attrs["units"] == "T"


def test_widefield_layer_average_and_binning(tmp_path):
    sensor = WidefieldNV(
        standoff=50e-9, layer_thickness=200e-9, camera_pixel=SPACING, optical_resolution=0.0
    )
    ds = simulate_field_map(sensor, dipole_map(0.0), spacing=SPACING, field_height=0.0)
    heights = 50e-9 + (np.arange(40) + 0.5) * 5e-9  # midpoint rule across the layer
    layer_mean = np.mean([dipole_map(h) for h in heights], axis=0)
    np.testing.assert_allclose(ds.B_true.values, layer_mean, atol=0.01 * np.abs(layer_mean).max())
    assert ds.B_nv.shape == (4, 96, 96)
    binned = WidefieldNV(camera_pixel=4 * SPACING, optical_resolution=300e-9)
    ds2 = simulate_field_map(binned, dipole_map(0.0), spacing=SPACING, field_height=0.0)
    assert ds2.B_true.shape == (3, 24, 24)
    assert np.abs(ds2.B_true).max() < np.abs(ds.B_true).max()  # PSF and depth blur the peak
    path = save_dataset(ds2, tmp_path / "wf.nc")
    np.testing.assert_allclose(load_dataset(path).B_nv.values, ds2.B_nv.values)


def test_odmr_stack_lines_and_shot_noise():
    f = np.linspace(2.70e9, 3.04e9, 341)
    sensor = WidefieldNV(camera_pixel=2 * SPACING, count_rate=1e7, frame_time=1e-2, n_frames=10)
    field = dipole_map(0.0, n=32) * 100
    ds = simulate_odmr(
        sensor, field, f, spacing=SPACING, field_height=0.0, bias_field=(1e-3, 2e-3, 3e-3)
    )
    assert ds.odmr.dims == ("y", "x", "frequency") and ds.odmr.shape == (16, 16, 341)
    assert ds.resonances_true.shape == (16, 16, 4, 2)
    off = ds.odmr.values[..., :20]  # far below every line
    n = ds.attrs["counts_per_point"]
    assert np.std(off) == pytest.approx(1 / np.sqrt(n), rel=0.05)
    assert np.mean(off) == pytest.approx(1.0, abs=3 / np.sqrt(n * off.size))
    # averaged over pixels, the spectrum dips by ~the contrast at each pixel's own true line
    idx = np.abs(f[None, None, :] - ds.resonances_true.values[..., 0, 0, None]).argmin(axis=-1)
    dip = np.take_along_axis(ds.odmr.values, idx[..., None], axis=-1).mean()
    assert dip < 1 - 0.5 * sensor.contrast


def test_frequency_grid_missing_lines_warns_with_pixels():
    f = np.linspace(2.86e9, 2.88e9, 21)
    with pytest.warns(RuntimeWarning, match=r"misses resonances in .* pixel"):
        simulate_odmr(
            ScanningNV(), dipole_map(50e-9, n=8), f, spacing=SPACING, bias_field=(0, 0, 5e-3)
        )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"count_rate": -1e5}, "count_rate"),
        ({"linewidth": -1e6}, "linewidth"),
        ({"contrast": 1.5}, "contrast"),
        ({"contrast": 0.0}, "contrast"),
        ({"dwell_time": 0.0}, "dwell_time"),
    ],
)
def test_bad_sensor_parameters(kwargs, name):
    with pytest.raises(InputError, match=name):
        ScanningNV(**kwargs)


def test_bad_cut_and_geometry():
    with pytest.raises(InputError, match="cut"):
        WidefieldNV(cut="110")
    with pytest.raises(InputError, match="lift"):
        sensor_filter(np.zeros((3, 4, 4)), 1e-8, 1e-8, lift=-1e-9)
    with pytest.raises(InputError, match="spacing"):
        simulate_field_map(ScanningNV(), np.zeros((3, 4, 4)))
    with pytest.raises(InputError, match="frequencies"):
        simulate_odmr(ScanningNV(), np.zeros((3, 4, 4)), [3e9, 2e9], spacing=1e-8)


def test_field_from_the_magnetics_stage_continues_exactly():
    # a current strip → Ørsted field on planes at 30 and 50 nm; the sensor at 50 nm, fed the 30 nm
    # plane, must reproduce the direct 50 nm field (interior; zero padding only touches the edges)
    from operando import Grid
    from operando.magnetics import oersted_field_from_current

    grid = Grid((1, 64, 64), (20e-9, 20e-9, 20e-9))
    J = np.zeros((3, *grid.shape))
    J[0, 0, 28:36, 8:56] = 1e8  # A/m²
    B = oersted_field_from_current(J, grid, [30e-9, 50e-9])
    planes = grid.field_on_planes(B, [30e-9, 50e-9])
    sensor = ScanningNV(standoff=50e-9)
    ds = simulate_field_map(sensor, planes.sel(height=[30e-9]), field_height=None)
    inner = (slice(None), slice(16, 48), slice(16, 48))
    direct = B[:, 1][inner]
    np.testing.assert_allclose(ds.B_true.values[inner], direct, atol=0.01 * np.abs(direct).max())
    assert ds.B_true.attrs["units"] == "T"


def test_microwave_drive_sets_linewidth_and_contrast():
    from operando.nv.acquisition import with_microwave_drive

    sensor = with_microwave_drive(ScanningNV(), 1e6 * np.sqrt(2), 2e6, 1e6, 0.3)
    assert sensor.linewidth == pytest.approx(2e6 * np.sqrt(3))
    assert sensor.contrast == pytest.approx(0.2)
    weaker = with_microwave_drive(ScanningNV(), 0.3e6, 2e6, 1e6, 0.3)
    assert weaker.sensitivity() > sensor.sensitivity()  # under-driven: low contrast costs more
