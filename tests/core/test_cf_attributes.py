"""Every dataset operando writes carries the CF global attributes, axis attributes and no fill value
on its coordinates (checked on the files of a whole run)."""

import netCDF4
import numpy as np
import pytest
import xarray as xr

from operando.io import CONVENTIONS, save_dataset

REQUIRED = ("Conventions", "title", "history", "source", "references", "date_created")


def test_saved_dataset_has_cf_attributes(tmp_path):
    ds = xr.Dataset({"B": (("z", "y", "x"), np.ones((2, 3, 4)), {"units": "T"})},
                    coords={"z": ("z", [-1e-6, 0.0], {"units": "m"}), "y": ("y", np.arange(3.0), {"units": "m"}),
                            "x": ("x", np.arange(4.0), {"units": "m"})})
    path = save_dataset(ds, tmp_path / "a.nc")
    with netCDF4.Dataset(path) as nc:
        assert {k: True for k in REQUIRED} == {k: k in nc.ncattrs() for k in REQUIRED}
        assert nc.getncattr("Conventions") == CONVENTIONS
        assert nc["z"].getncattr("positive") == "up" and nc["x"].getncattr("axis") == "X"
        for name in ("x", "y", "z"):
            assert "_FillValue" not in nc[name].ncattrs()
    # a second write keeps the first history line and adds one
    again = save_dataset(xr.open_dataset(path).load(), tmp_path / "b.nc")
    assert xr.open_dataset(again).attrs["history"].count("written by operando") == 2


@pytest.mark.parametrize("name", ["cell_pristine", "charge_5C", "fields", "measurement", "reconstruction"])
def test_every_stage_file_of_a_run_is_cf(tmp_path_factory, name):
    import operando

    out = tmp_path_factory.getbasetemp() / "cf-run"
    run = operando.run({"out": str(out), "cell": {"voxel": "500 nm", "nz": 1},
                        "charge": [{"name": "5C", "current_density": "4.70 mA/cm^2", "duration": "10 s"},
                                   {"name": "25C", "current_density": "23.5 mA/cm^2", "duration": "0.2 s",
                                    "dendrite": True}],
                        "imaging": {"nv_orientations": ["perpendicular"], "standoff_sweep": ["50 nm"]},
                        "sensor": {"simulate_spectra": False}}, progress=False, report=False)
    with netCDF4.Dataset(run.folder / f"{name}.nc") as nc:
        missing = [k for k in REQUIRED if k not in nc.ncattrs()]
        assert not missing
        for coord in ("x", "y", "z"):
            if coord in nc.variables:
                assert "_FillValue" not in nc[coord].ncattrs()
        for var in nc.variables.values():  # units on every data variable that is a quantity
            if var.name not in nc.dimensions and getattr(var.dtype, "kind", "S") == "f":  # text: dtype is str
                assert "units" in var.ncattrs() or "long_name" in var.ncattrs(), (name, var.name)


def test_phase_labels_are_a_cf_categorical_map(tmp_path):
    from operando.cell import presets

    cell = presets.pollok2025(voxel=500e-9, nz=1)
    with netCDF4.Dataset(cell.save(tmp_path / "cell.nc")) as nc:
        values, meanings = list(nc["labels"].getncattr("flag_values")), nc["labels"].getncattr("flag_meanings").split()
    assert dict(zip(values, meanings, strict=True)) == cell.phases
