"""Fits that say when they failed (issue: reliability): unit mistakes, pixels without signal,
outputs over inputs, and every bad option a clear error naming the parameter."""

import numpy as np
import pytest
from typer.testing import CliRunner

from operando.cli import app
from operando.errors import InputError
from operando.io import load_dataset, save_dataset
from operando.odmr import fit_odmr, load_odmr
from operando.odmr.fieldmaps import field_maps
from operando.odmr.fit import fit_spectra
from operando.odmr.matlab import save_qdmlab_mat
from operando.odmr.models import DipModel
from operando.odmr.quality import CODES
from operando.odmr.synthetic import simulate_stack, two_dip_params

F = np.linspace(2.80e9, 2.94e9, 101)


def run(*args):
    return CliRunner().invoke(app, ["fit", *map(str, args)])


@pytest.fixture
def stack():
    return simulate_stack(DipModel(2), F, two_dip_params(6, 5, seed=3), noise=2e-3, rng=4)


@pytest.mark.parametrize(("scale", "unit"), [(1e-3, "kHz"), (1e-6, "MHz"), (1e-9, "GHz")])
def test_axis_in_mhz_or_ghz_is_rejected_with_the_unit(tmp_path, stack, scale, unit):
    np.savez(tmp_path / "a.npz", signal=stack["signal"].values, frequency=F * scale)
    res = run(tmp_path / "a.npz", "-o", tmp_path / "o.nc")
    assert res.exit_code != 0 and not (tmp_path / "o.nc").exists()
    assert isinstance(res.exception, InputError)
    assert f"--frequency-unit {unit}" in str(res.exception)
    ok = run(tmp_path / "a.npz", "-o", tmp_path / "o.nc", "--frequency-unit", unit, "--no-figure")
    assert ok.exit_code == 0, ok.output
    b = load_dataset(tmp_path / "o.nc")["B_nv"].values  # 60 MHz / 2γ ≈ 1.07 mT, not 1e-12 T
    assert np.all(np.abs(b - 1.07e-3) < 2e-4)


def test_frequency_file_and_qdmlab_freqlist_in_mhz_are_rejected(tmp_path, stack):
    np.savez(tmp_path / "a.npz", signal=stack["signal"].values, frequency=F)
    np.savetxt(tmp_path / "f.txt", F / 1e6)  # overrides a correct Hz axis with MHz values
    res = run(tmp_path / "a.npz", "-o", tmp_path / "o.nc", "--frequency", tmp_path / "f.txt")
    assert res.exit_code != 0 and "MHz" in str(res.exception)
    sig = stack["signal"].values
    save_qdmlab_mat(tmp_path / "q.mat", sig[..., :50], sig[..., 51:], F[:50] / 1e9, F[51:] / 1e9)
    with pytest.raises(InputError, match="frequency-unit GHz"):
        load_odmr(tmp_path / "q.mat")


def test_unit_stored_in_the_file_is_used(tmp_path, stack):
    ds = stack[["signal"]].assign_coords(frequency=("frequency", F / 1e9, {"units": "GHz"}))
    save_dataset(ds, tmp_path / "g.nc")
    got = load_odmr(tmp_path / "g.nc")
    np.testing.assert_allclose(got["frequency"].values, F)


def test_pure_noise_is_not_converged_and_has_nan_field():
    rng = np.random.default_rng(0)
    noise = 1.0 + rng.normal(0, 2e-3, (24, 24, F.size))
    out = field_maps(fit_odmr(noise, "lorentzian", frequency=F))
    conv = out["converged"].values
    assert conv.mean() < 0.01  # a dip in white noise rarely reaches 5 standard errors
    assert np.all(np.isnan(out["B_nv"].values[~conv]))
    assert np.all(out["reason"].values[~conv] != 0)


def test_one_huge_sample_is_non_finite_not_converged(stack):
    y = stack["signal"].values.copy()
    y[..., 40] = 1e300
    out = field_maps(fit_odmr(y, "lorentzian", frequency=F))
    assert not out["converged"].values.any()
    assert np.all(np.isnan(out["B_nv"].values))
    rep = out.attrs["fit_report"]
    assert rep["converged"] == 0 and rep["fitted"] == y.shape[0] * y.shape[1]
    assert rep["reasons"]["non_finite"] + rep["reasons"]["at_bound"] + rep["reasons"]["low_snr"] == rep["fitted"]


def test_lazy_and_eager_mask_identically_and_reports_agree(tmp_path, stack):
    y = stack["signal"].values.copy()
    y[0, 0] = 1.0  # flat
    y[1, 1, :81] = np.nan  # 80 % missing
    y[2, 2] = 1.0 + np.random.default_rng(1).normal(0, 2e-3, F.size)  # no signal
    y[3, 3, 10] = np.nan  # one missing sample: still fitted
    a = fit_odmr(y, "lorentzian", frequency=F)
    b = fit_odmr(y, "lorentzian", frequency=F, chunks=2)
    np.testing.assert_array_equal(a["reason"].values, b["reason"].values)
    assert a["reason"].values[0, 0] == CODES["flat"]
    assert a["reason"].values[1, 1] == CODES["missing_samples"]
    assert a["reason"].values[2, 2] != 0 and a["converged"].values[3, 3]
    for r in (a, b):
        rep = r.attrs["fit_report"]
        assert rep["converged"] == int(r["converged"].values.sum()) == sum(rep["reasons"].values()) - (
            rep["pixels"] - rep["reasons"]["converged"])
        assert rep["converged"] + rep["not_converged"] + rep["masked_or_empty"] == rep["pixels"]


def test_output_over_the_input_is_refused(tmp_path, stack):
    path = tmp_path / "x.nc"
    save_dataset(stack[["signal"]], path)
    before = path.read_bytes()
    res = run(path, "-o", path)
    assert res.exit_code != 0 and "input file" in str(res.exception)
    assert path.read_bytes() == before


@pytest.mark.parametrize("chunks", ["0", "-3"])
def test_chunks_must_be_positive(tmp_path, stack, chunks):
    np.savez(tmp_path / "a.npz", signal=stack["signal"].values, frequency=F)
    res = run(tmp_path / "a.npz", "-o", tmp_path / "o.zarr", "--chunks", chunks)
    assert res.exit_code != 0 and "chunks" in str(res.exception) and ">= 1" in str(res.exception)
    with pytest.raises(InputError, match="chunks"):
        fit_odmr(stack, chunks=(4, 0))


def test_unreachable_scheduler_is_a_clear_error(stack, monkeypatch):
    from operando.odmr import fit as fit_module

    monkeypatch.setattr(fit_module, "SCHEDULER_TIMEOUT_S", 1)
    with pytest.raises(InputError, match=r"scheduler: cannot reach .*127\.0\.0\.1:9"):
        fit_odmr(stack, "lorentzian", scheduler="tcp://127.0.0.1:9")


def test_empty_frequency_axis_and_empty_nv_axes(stack):
    with pytest.raises(InputError, match="frequency: the frequency axis is empty"):
        fit_odmr(np.ones((2, 2, 0)), frequency=[])
    with pytest.raises(InputError, match="frequency: the sweep has 5 point"):
        fit_odmr(np.ones((2, 2, 5)), "lorentzian", frequency=F[:5])
    with pytest.raises(InputError, match="axes"):
        fit_odmr(stack, "nv", axes=np.zeros((0, 3)))


def test_degenerate_spectra_from_tiny_integration_times_do_not_crash():
    # a 1e-15 s dwell gives zero photons: flat or all-zero spectra once crashed the compiled
    # fitter with a numba SystemError
    y = np.zeros((4, 4, F.size))
    y[0, 0, 3] = 1e6  # one photon, scaled
    res = fit_spectra(F, y.reshape(16, -1), DipModel(1), engine="auto")
    assert not res[:, -1].any()
    assert set(res[:, 2 * 4].astype(int)) <= {CODES["flat"], CODES["low_snr"], CODES["at_bound"],
                                              CODES["non_finite"], CODES["not_converged"]}


def test_in_memory_axis_with_its_unit_is_converted(stack):
    ghz = stack.assign_coords(frequency=("frequency", F / 1e9, {"units": "gigahertz"}))
    a, b = fit_odmr(ghz, "lorentzian"), fit_odmr(stack, "lorentzian")
    np.testing.assert_allclose(a["f0_0"].values, b["f0_0"].values, rtol=1e-12)
    with pytest.raises(InputError, match="GHz"):  # no unit stated: refused, with the hint
        fit_odmr(stack.assign_coords(frequency=F / 1e9), "lorentzian")
