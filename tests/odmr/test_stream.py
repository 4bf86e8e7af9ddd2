"""Out-of-core fits (``operando fit --chunks``): tiles fitted by the eager path and written as they
come give the eager fit exactly, a killed fit leaves the previous output and resumes from its
finished tiles, and memory does not grow with the stack."""

import tracemalloc
import warnings

import h5py
import numpy as np
import pytest
import xarray as xr

from operando.io import save_dataset
from operando.odmr import workflow
from operando.odmr.models import DipModel
from operando.odmr.summary import fit_summary
from operando.odmr.synthetic import simulate_stack, two_dip_params

F = np.linspace(2.80e9, 2.94e9, 61)


def _stack(ny, nx, seed=1):
    ds = simulate_stack(DipModel(2), F, two_dip_params(ny, nx, seed=seed), noise=2e-3, rng=seed + 1,
                        dtype=np.float32)
    sig = ds["signal"].values
    sig[3, 4] = 1.0  # flat: masked
    sig[5, 6, :40] = np.nan  # mostly missing: masked
    ds["signal"] = (ds["signal"].dims, sig, ds["signal"].attrs)
    return ds


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr's notes on consolidated metadata
        yield


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    d = tmp_path_factory.mktemp("stream")
    ds = _stack(20, 18)
    save_dataset(ds, d / "s.nc")
    save_dataset(ds, d / "s.zarr")
    np.save(d / "s.npy", ds["signal"].values)
    with h5py.File(d / "s.h5", "w") as h5:
        h5["signal"], h5["frequency"] = ds["signal"].values, F
    _, eager, _ = workflow.fit_file(d / "s.nc", d / "eager.nc")
    return d, eager


@pytest.mark.parametrize("src, out", [("s.nc", "c.nc"), ("s.zarr", "c.zarr"), ("s.npy", "c.nc"), ("s.h5", "c.zarr")])
def test_tiles_written_as_they_come_equal_the_eager_fit(stack, src, out):
    d, eager = stack
    kw = {"frequency": F} if src.endswith(".npy") else {}
    _, res, _ = workflow.fit_file(d / src, d / out, chunks=7, **kw)
    assert fit_summary(res) == fit_summary(eager)  # read band by band from disk
    res = res.load()
    assert set(res.data_vars) == set(eager.data_vars)
    for name in eager.data_vars:
        np.testing.assert_array_equal(res[name].values, eager[name].values, err_msg=name)
    assert res.attrs["fit_report"] == eager.attrs["fit_report"]
    assert res.attrs["fit_report"]["reasons"]["masked"] == 2 == int((res["reason"] == 1).sum())
    assert sorted(p.name for p in d.glob(".*")) == []  # no partial store left


class Killed(Exception):
    """Stands for the process being killed during a tile."""


def test_killed_fit_keeps_the_old_output_and_resumes(stack, monkeypatch):
    d, eager = stack
    out = d / "resume.zarr"
    save_dataset(xr.Dataset({"old": ("a", [1.0])}), out)
    calls, resumed = [], False
    real = workflow.fit_odmr

    def dies_on_the_fourth_tile(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4 and not resumed:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(workflow, "fit_odmr", dies_on_the_fourth_tile)
    with pytest.raises(Killed):
        workflow.fit_file(d / "s.zarr", out, chunks=7)
    assert "old" in xr.open_zarr(out)  # the previous output is intact
    assert len(list(d.glob(".resume.zarr.*.partial.zarr"))) == 1 == len(list(d.glob(".resume.zarr.*.partial.json")))
    calls.clear()
    resumed = True
    _, res, _ = workflow.fit_file(d / "s.zarr", out, chunks=7)
    assert len(calls) == 9 - 3  # 3 × 3 tiles, 3 finished before the kill
    np.testing.assert_array_equal(res["B_nv"].values, eager["B_nv"].values)
    assert res.attrs["fit_report"] == eager.attrs["fit_report"]
    assert not list(d.glob(".resume.zarr.*"))


def test_memory_does_not_grow_with_the_stack(tmp_path):
    peaks = []
    for ny in (16, 64):
        src = tmp_path / f"s{ny}.zarr"
        save_dataset(_stack(ny, 32, seed=ny), src)
        workflow.fit_file(src, tmp_path / f"warm{ny}.zarr", chunks=16)  # imports and compilation
        tracemalloc.start()
        workflow.fit_file(src, tmp_path / f"f{ny}.zarr", chunks=16)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0], peaks


@pytest.mark.parametrize("chunks", [None, 7], ids=["eager", "streamed"])
def test_a_second_fit_into_the_same_output_is_refused_while_the_first_writes(stack, tmp_path, chunks):
    from operando.pipeline.lock import FolderInUseError, FolderLock

    d, _ = stack
    out = tmp_path / "fit.nc"
    with FolderLock(tmp_path, name=".fit.nc.lock"):  # as another `operando fit -o fit.nc` holds it
        with pytest.raises(FolderInUseError, match=r"the fit output .*fit\.nc.* is being written by another"):
            workflow.fit_file(d / "s.nc", out, chunks=chunks)
        _, other, _ = workflow.fit_file(d / "s.nc", tmp_path / "other.nc", chunks=chunks)  # another output: free
    assert not out.exists()
    _, res, _ = workflow.fit_file(d / "s.nc", out, chunks=chunks)  # released: it runs
    np.testing.assert_array_equal(res["B_nv"].values, other["B_nv"].values)
    assert not list(tmp_path.glob(".*.lock"))
