"""CF standard names on written datasets: only the variables that have one in the CF Standard Name
Table, and only when their units are those the name implies."""

import netCDF4
import numpy as np
import xarray as xr

from operando.io import STANDARD_NAMES, save_dataset
from operando.odmr import make_odmr_dataset


def _attrs(path, name):
    with netCDF4.Dataset(path) as nc:
        return {k: nc[name].getncattr(k) for k in nc[name].ncattrs()}


def test_time_and_microwave_frequency_carry_their_standard_names(tmp_path):
    ds = xr.Dataset({"V": ("t", [3.9, 4.0, 4.1], {"units": "V"}),
                     "signal": ("frequency", [1.0, 0.98, 1.0], {"units": "1"})},
                    coords={"t": ("t", [0.0, 1.0, 2.0], {"units": "s"}),
                            "frequency": ("frequency", [2.86e9, 2.87e9, 2.88e9], {"units": "Hz"})})
    path = save_dataset(ds, tmp_path / "a.nc")
    assert _attrs(path, "t")["standard_name"] == "time"
    assert _attrs(path, "frequency")["standard_name"] == "radiation_frequency"
    assert "standard_name" not in _attrs(path, "V")  # a cell voltage has no CF standard name
    assert "standard_name" not in ds["t"].attrs  # the caller's dataset is not modified


def test_no_standard_name_where_the_units_do_not_fit_and_a_given_one_is_kept(tmp_path):
    ds = xr.Dataset(coords={"t": ("t", [0.0, 1.0], {"units": "h"}),
                            "frequency": ("frequency", [1.0, 2.0], {"units": "ppm"}),
                            "time": ("time", [0.0, 5.0], {"units": "s", "standard_name": "forecast_period"})})
    path = save_dataset(ds, tmp_path / "b.nc")
    assert "standard_name" not in _attrs(path, "t")
    assert "standard_name" not in _attrs(path, "frequency")
    assert _attrs(path, "time")["standard_name"] == "forecast_period"


def test_odmr_stack_written_with_its_frequency_standard_name(tmp_path):
    stack = make_odmr_dataset(np.ones((2, 3, 15)), np.linspace(2.80e9, 2.94e9, 15), units="1")
    path = save_dataset(stack, tmp_path / "odmr.nc")
    assert _attrs(path, "frequency")["standard_name"] == STANDARD_NAMES["frequency"][0]
