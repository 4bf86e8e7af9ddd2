"""The Liu et al. 2025 run caches its imaging stages in the run folder (operando.pipeline.cache):
a rerun loads them instead of simulating the scans again, with the same results, and a changed
setting recomputes them."""

import numpy as np
import pytest
import xarray as xr

from operando.nmr.mri import experiment

SMALL = {"voxel": 100e-6, "snapshots": 2, "duration": 86400.0, "figures": False}


def _refuse(*args, **kwargs):
    raise AssertionError("an imaging stage was recomputed instead of loaded from the cache")


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    out = tmp_path_factory.mktemp("liu2025")
    return out, experiment.run_liu2025(out, **SMALL)


def test_rerun_loads_the_imaging_stages(first, monkeypatch):
    out, run = first
    for name in ("_flash_stage", "_csi_stage", "_image"):
        monkeypatch.setattr(experiment, name, _refuse)
    again = experiment.run_liu2025(out, **SMALL)
    for name in ("flash", "gre3d", "csi_metal", "layers", "tracer"):
        xr.testing.assert_equal(again.datasets[name], run.datasets[name])
    assert [c.ours for c in again.claims] == [c.ours for c in run.claims]
    assert again.summary == run.summary


def test_changed_setting_recomputes(first, monkeypatch):
    out, run = first
    monkeypatch.setattr(experiment, "_flash_stage", _refuse)
    with pytest.raises(AssertionError, match="recomputed"):
        experiment.run_liu2025(out, **{**SMALL, "efficiency": 0.02})
    monkeypatch.undo()
    other = experiment.run_liu2025(out, **{**SMALL, "seed": 1})
    assert not np.array_equal(other.datasets["flash"].magnitude, run.datasets["flash"].magnitude)
    stored = xr.open_dataset(out / "flash.nc", engine="h5netcdf")
    assert stored.attrs["stage_key"] == other.datasets["flash"].attrs["stage_key"] != run.datasets["flash"].attrs[
        "stage_key"]
    stored.close()


def test_every_file_of_the_run_cites_its_papers(first):
    import xarray as xr

    from operando.papers import LIU2025

    out, _ = first
    for path in sorted(out.glob("*.nc")):
        with xr.open_dataset(path) as ds:
            assert LIU2025.citation in ds.attrs["references"], path.name
