"""`operando fit DATA -o OUT`: in memory and chunked, field maps written atomically."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from operando.cli import app
from operando.io import load_dataset, save_dataset
from operando.nv.constants import GAMMA_E
from operando.odmr.models import DipModel
from operando.odmr.synthetic import simulate_stack, two_dip_params

F = np.linspace(2.80e9, 2.94e9, 101)


@pytest.fixture
def stack():
    truth = two_dip_params(12, 10, seed=3)
    return simulate_stack(DipModel(2), F, truth, noise=2e-3, rng=4, dtype=np.float32), truth


def test_cli_fit_npz_to_netcdf(tmp_path, stack):
    ds, truth = stack
    np.savez(tmp_path / "run.npz", signal=ds["signal"].values * 5000, frequency=F)
    res = CliRunner().invoke(
        app, ["fit", str(tmp_path / "run.npz"), "-o", str(tmp_path / "out.nc"), "--no-figure"]
    )
    assert res.exit_code == 0, res.output
    out = load_dataset(tmp_path / "out.nc")
    b_true = (truth[..., 1] - truth[..., 0]) / (2 * GAMMA_E)
    assert np.all(np.abs(out["B_nv"].values - b_true) < 5 * out["B_nv_err"].values)
    assert '"converged": 120' in out.attrs["fit_report"]
    assert not list(tmp_path.glob(".out.nc*"))  # no temporary left behind


def test_cli_fit_chunked_zarr(tmp_path, stack):
    ds, _ = stack
    save_dataset(ds[["signal"]], tmp_path / "run.zarr")
    res = CliRunner().invoke(
        app, ["fit", str(tmp_path / "run.zarr"), "-o", str(tmp_path / "out.zarr"), "--chunks", "5", "--no-figure"]
    )
    assert res.exit_code == 0, res.output
    ref = CliRunner().invoke(
        app, ["fit", str(tmp_path / "run.zarr"), "-o", str(tmp_path / "ref.nc"), "--no-figure"]
    )
    assert ref.exit_code == 0, ref.output
    a, b = load_dataset(tmp_path / "out.zarr"), load_dataset(tmp_path / "ref.nc")
    np.testing.assert_allclose(a["B_nv"].values, b["B_nv"].values, atol=1e-9)


def test_cli_fit_reports_bad_input(tmp_path):
    np.savez(tmp_path / "bad.npz", signal=np.ones((2, 2, 4)), frequency=[1.0, 2.0, 2.0, 3.0])
    res = CliRunner().invoke(app, ["fit", str(tmp_path / "bad.npz"), "-o", str(tmp_path / "o.nc")])
    assert res.exit_code != 0 and "duplicate" in str(res.exception)


def test_cli_fit_nv_model_with_bias(tmp_path):
    from operando.odmr.nvmodel import NVModel

    f = np.linspace(2.70e9, 3.04e9, 201)
    truth = np.broadcast_to(
        np.r_[1.5e-3, 2.5e-3, 3.2e-3, 2.87e9, 5e6, 0.02, 0.021, 0.019, 0.022, 1.0], (4, 4, 10)
    )
    ds = simulate_stack(NVModel(), f, truth, noise=1e-3, rng=0)
    np.savez(tmp_path / "nv.npz", signal=ds["signal"].values * 1e4, frequency=f)
    args = ["fit", str(tmp_path / "nv.npz"), "-o", str(tmp_path / "nv.nc"), "--model", "nv", "--no-figure"]
    res = CliRunner().invoke(app, [*args, "--bias", "1.2 mT,2.9 mT,3 mT"])
    assert res.exit_code == 0, res.output
    out = load_dataset(tmp_path / "nv.nc")
    got = [float(out[c].values.mean()) for c in ("Bx", "By", "Bz")]
    np.testing.assert_allclose(got, [1.5e-3, 2.5e-3, 3.2e-3], atol=3e-6)


def test_cli_fit_nv_model_with_a_bias_magnitude_or_none(tmp_path):
    from operando.odmr.nvmodel import NVModel

    f = np.linspace(2.70e9, 3.04e9, 201)
    b = np.r_[1.5e-3, 2.5e-3, 3.2e-3]
    truth = np.broadcast_to(np.r_[b, 2.87e9, 5e6, 0.02, 0.021, 0.019, 0.022, 1.0], (3, 3, 10))
    ds = simulate_stack(NVModel(), f, truth, noise=1e-3, rng=0)
    np.savez(tmp_path / "nv.npz", signal=ds["signal"].values * 1e4, frequency=f)
    args = ["fit", str(tmp_path / "nv.npz"), "--model", "nv", "--no-figure"]
    for extra in ([], ["--bias", "4.3 mT"], ["--bias", "43 G"]):
        res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / f"nv{len(extra)}.nc"), *extra])
        assert res.exit_code == 0, res.output
        out = load_dataset(tmp_path / f"nv{len(extra)}.nc")
        got = np.sqrt(sum(out[c].values ** 2 for c in ("Bx", "By", "Bz")))
        np.testing.assert_allclose(got, np.linalg.norm(b), rtol=1e-3)  # the (100) cube symmetry
        assert json.loads(out.attrs["fit_report"])["converged"] == 9  # leaves the direction's branch open
    with pytest.warns(RuntimeWarning, match="bias: the fitted field's median magnitude"):
        CliRunner().invoke(app, [*args, "-o", str(tmp_path / "w.nc"), "--bias", "20 mT"])
