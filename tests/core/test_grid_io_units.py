import os
import stat

import numpy as np
import pytest
import xarray as xr

from operando import Grid, InputError
from operando.errors import DataFileError, UnitError
from operando.io import load_dataset, provenance, save_dataset
from operando.units import to_si


def test_default_grid_puts_top_surface_at_zero():
    g = Grid((4, 3, 5), (10e-9, 20e-9, 30e-9))
    assert g.top == pytest.approx(0.0, abs=1e-20)
    assert np.all(g.z < 0)
    assert g.z[-1] == pytest.approx(-5e-9)
    assert g.x[0] == pytest.approx(15e-9)
    assert g.extent == pytest.approx((40e-9, 60e-9, 150e-9))
    assert g.voxel_volume == pytest.approx(6000e-27)


def test_from_size_rounds_to_whole_voxels():
    g = Grid.from_size((1e-6, 2e-6, 3e-6), 100e-9)
    assert g.shape == (10, 20, 30)


@pytest.mark.parametrize(
    ("shape", "spacing", "word"),
    [((0, 2, 2), 1e-9, "shape"), ((2, 2), 1e-9, "shape"), ((2, 2, 2), -1e-9, "spacing"),
     ((2, 2, 2), (1e-9, 2e-9), "spacing"), ((2, 2, 2), np.nan, "spacing")],
)
def test_bad_grid_names_parameter(shape, spacing, word):
    with pytest.raises(InputError, match=word):
        Grid(shape, spacing)


def test_check_array_rejects_wrong_shape_and_nan():
    g = Grid((2, 3, 4), 1e-9)
    with pytest.raises(InputError, match=r"M: expected shape \(3, 2, 3, 4\)"):
        g.check_array("M", np.zeros((2, 3, 4)), vector=True)
    a = np.zeros((2, 3, 4))
    a[1, 1, 1] = np.nan
    with pytest.raises(InputError, match="chi: contains 1 non-finite"):
        g.check_array("chi", a)


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_dataset_round_trip_is_lossless(tmp_path, rng, suffix):
    g = Grid((2, 3, 4), (1e-9, 2e-9, 3e-9))
    M = rng.normal(size=(3, *g.shape))
    ds = xr.Dataset({"M": g.to_dataarray(M, "M", "A/m"), "chi": g.to_dataarray(M[0], "chi", "1")})
    ds.attrs.update(g.attrs())
    ds.attrs.update(provenance(config={"a": 1, "b": [1, 2]}, seed=7, flag=True))
    path = save_dataset(ds, tmp_path / f"out{suffix}")
    back = load_dataset(path)
    np.testing.assert_array_equal(back["M"].values, M)
    assert back["M"].attrs["units"] == "A/m"
    assert Grid.from_dataset(back) == g
    assert back.attrs["seed"] == 7
    # overwriting in place keeps a readable result
    save_dataset(ds, path)
    np.testing.assert_array_equal(load_dataset(path)["chi"].values, M[0])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # results get the permissions of any file the user writes, not the private ones of a temp file
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == (0o777 if suffix == ".zarr" else 0o666) & ~umask


def test_load_reports_missing_and_corrupt_files(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        load_dataset(tmp_path / "none.nc")
    bad = tmp_path / "bad.nc"
    bad.write_bytes(b"not a netcdf file at all")
    with pytest.raises(DataFileError, match="cannot read"):
        load_dataset(bad)
    with pytest.raises(InputError, match="suffix"):
        save_dataset(xr.Dataset(), tmp_path / "x.csv")


def test_units_parse_and_reject():
    assert to_si("50 nm", "m") == pytest.approx(50e-9)
    assert to_si("23.5 mA/cm^2", "A/m^2") == pytest.approx(235.0)
    assert to_si("100 mT", "T") == pytest.approx(0.1)
    assert to_si(0.1, "T") == 0.1
    with pytest.raises(UnitError, match=r"standoff.*no unit"):
        to_si("50", "m", name="standoff")
    with pytest.raises(UnitError, match=r"standoff.*not convertible to m"):
        to_si("50 s", "m", name="standoff")
    with pytest.raises(UnitError, match="cannot parse"):
        to_si("fifty", "m")
