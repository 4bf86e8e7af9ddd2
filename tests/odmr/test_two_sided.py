"""Real quantum-diamond-microscope layout: QDMlab two-sided sweeps with 14N triplets, fitted by
the default command; model choice, sides, units, summary and quick-look figure."""

import re

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from operando.cli import app
from operando.io import load_dataset, save_dataset
from operando.nv.lineshape import HYPERFINE_SPACING
from operando.odmr import fit_odmr, load_odmr
from operando.odmr.fit import fit_spectra
from operando.odmr.matlab import save_qdmlab_mat
from operando.odmr.models import DipModel
from operando.odmr.options import field_to_si, parse_bias
from operando.odmr.quality import CODES, satellite_shift
from operando.odmr.synthetic import two_sided_hyperfine_stack

# QDMlab-like: σ = 2e-4 of the baseline, 1 MHz lines, 14N hyperfine 2.16 MHz (the numbers)
NY, NX = 60, 50


@pytest.fixture(scope="module")
def qdm(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qdm")
    low, high, fl, fh, b, d = two_sided_hyperfine_stack(NY, NX, seed=1)
    save_qdmlab_mat(tmp / "run_00000.mat", low, high, fl, fh)
    res = CliRunner().invoke(app, ["fit", str(tmp / "run_00000.mat"), "-o", str(tmp / "fit.nc")])
    assert res.exit_code == 0, res.output
    return tmp, b, d, res.output


def test_default_command_recovers_the_field_within_its_uncertainty(qdm):
    tmp, b, d, _ = qdm
    out = load_dataset(tmp / "fit.nc")
    assert "14N" in out.attrs["model_choice"]  # chosen from the data, not given
    z = (out["B_nv"].values - b) / out["B_nv_err"].values
    assert out["converged"].values.all()
    # no gross failure (a wrong line, a lost dip): every pixel within 5σ, none NaN
    assert np.all(np.abs(z) < 5)
    # honest uncertainties: Gaussian errors leave 0.27 % beyond 3σ (8 of 3000); allow 4 sd of the
    # Poisson count (the per-pixel σ comes from the pixel's own χ², so the tails are t-like)
    expected = 0.0027 * z.size
    assert np.sum(np.abs(z) >= 3) <= expected + 4 * np.sqrt(expected)
    assert 0.9 < np.std(z) < 1.1
    np.testing.assert_allclose(np.nanmedian(out["D"].values - d), 0, atol=2e3)


def test_summary_and_figure_agree_with_the_dataset(qdm):
    tmp, _, _, output = qdm
    out = load_dataset(tmp / "fit.nc")
    n = int(out["converged"].values.sum())
    assert f"pixels: {NY * NX}; converged: {n} " in output
    med = float(re.search(r"B_nv \(converged pixels\): median ([\d.]+) uT", output)[1])
    assert abs(med - np.nanmedian(out["B_nv"].values) * 1e6) < 0.1
    assert "14N hyperfine triplets: lowest BIC" in output
    png = (tmp / "fit.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_single_lorentzians_on_triplets_misfit(qdm):
    # why the model choice matters: one Lorentzian per sweep cannot follow a resolved triplet
    tmp = qdm[0]
    ds = load_odmr(tmp / "run_00000.mat").isel(y=slice(0, 10), x=slice(0, 10))
    plain, auto = fit_odmr(ds, "lorentzian"), fit_odmr(ds)
    assert np.nanmedian(plain["reduced_chi2"].values) > 3 * np.nanmedian(auto["reduced_chi2"].values)


@pytest.mark.parametrize("side", ["low", "high"])
def test_one_side_uses_the_zero_field_splitting(qdm, side):
    tmp, b, _, _ = qdm
    res = CliRunner().invoke(app, ["fit", str(tmp / "run_00000.mat"), "-o", str(tmp / f"{side}.nc"),
                                   "--side", side, "--no-figure", "--roi", "0:10,0:12"])
    assert res.exit_code == 0, res.output
    out = load_dataset(tmp / f"{side}.nc")
    assert out["B_nv"].shape == (10, 12)
    # D varies by 0.2 MHz between pixels (strain): 0.2 MHz / γ ≈ 7 µT
    assert np.nanmax(np.abs(out["B_nv"].values - b[:10, :12])) < 40e-6


def test_netcdf_side_frequency_y_x_layout(tmp_path):
    low, high, fl, fh, b, _ = two_sided_hyperfine_stack(8, 6, seed=2)
    ds = xr.Dataset(
        {"signal": (("side", "frequency", "y", "x"), np.stack([low, high]).transpose(0, 3, 1, 2))},
        coords={"side": ["low", "high"], "frequency_hz": (("side", "frequency"), np.stack([fl, fh]))},
    ).rename({"frequency_hz": "frequency"})
    save_dataset(ds, tmp_path / "s.nc")
    got = load_odmr(tmp_path / "s.nc")
    assert list(np.unique(got["sweep"].values)) == ["high", "low"]
    from operando.odmr.fieldmaps import field_maps

    out = field_maps(fit_odmr(got))
    assert np.all(np.abs(out["B_nv"].values - b) < 5 * out["B_nv_err"].values)


def test_satellite_taken_for_the_centre_is_flagged_and_refitted():
    model = DipModel(1, hyperfine="14N")
    f = np.linspace(2.840e9, 2.856e9, 101)
    rng = np.random.default_rng(0)
    truth = np.tile([2.848e9, 1e6, 0.012, 1.0], (50, 1))
    y = model.simulate(f, truth) + rng.normal(0, 2e-4, (50, f.size))
    wrong = truth.copy()
    wrong[:, 0] += HYPERFINE_SPACING["14N"]
    r = y - model.simulate(f, wrong)
    flagged, start = satellite_shift(model, f, y, wrong, np.einsum("nm,nm->n", r, r))
    assert flagged.all() and np.allclose(start[:, 0], truth[:, 0])
    r = y - model.simulate(f, truth)
    assert not satellite_shift(model, f, y, truth, np.einsum("nm,nm->n", r, r))[0].any()


def test_a_start_on_a_satellite_still_ends_on_the_centre(monkeypatch):
    model = DipModel(1, hyperfine="14N")
    f = np.linspace(2.840e9, 2.856e9, 101)
    truth = np.tile([2.848e9, 1e6, 0.012, 1.0], (40, 1))
    y = model.simulate(f, truth) + np.random.default_rng(1).normal(0, 2e-4, (40, f.size))
    guess = DipModel.guess

    def on_satellite(self, ff, yy):
        p = guess(self, ff, yy)
        p[:, 0] += HYPERFINE_SPACING["14N"]
        return p

    monkeypatch.setattr(DipModel, "guess", on_satellite)
    res = fit_spectra(f, y, model)
    assert np.all(res[:, -1] == 1) and np.all(np.abs(res[:, 0] - truth[:, 0]) < 0.1e6)


@pytest.mark.parametrize("isotope", [None, "15N"])
def test_model_choice_follows_the_data(isotope):
    if isotope is None:
        low, high, fl, fh, _, _ = two_sided_hyperfine_stack(6, 6, seed=3, width=3e6, span=40e6)
        low, high = (DipModel(1).simulate(f, np.array([[f.mean(), 3e6, 0.02, 1.0]])).reshape(1, 1, -1)
                     * np.ones((6, 6, 1)) for f in (fl, fh))
    else:
        low, high, fl, fh, _, _ = two_sided_hyperfine_stack(6, 6, seed=3, isotope=isotope)
    ds = xr.Dataset({"signal": (("y", "x", "frequency"), np.concatenate([low, high], -1))},
                    coords={"frequency": np.r_[fl, fh]})
    ds["signal"] += np.random.default_rng(0).normal(0, 2e-4, ds["signal"].shape)
    out = fit_odmr(ds)
    assert out.attrs["hyperfine"] == str(isotope)
    assert ("single Lorentzian" if isotope is None else "15N") in out.attrs["model_choice"].split(":")[0]


def test_fields_in_gauss_and_a_single_bias_value():
    assert field_to_si("10 G", "bias") == pytest.approx(1e-3)
    assert parse_bias("1 mT") == pytest.approx(1e-3)
    assert parse_bias("10 G, 0 G, 5 mT") == pytest.approx((1e-3, 0.0, 5e-3))


def test_pixel_size_binning_and_plot_helper(qdm, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from operando.odmr.quicklook import plot_pixel

    src = qdm[0]
    res = CliRunner().invoke(app, ["fit", str(src / "run_00000.mat"), "-o", str(tmp_path / "p.nc"),
                                   "--pixel-size", "1.2 um", "--bin", "2", "--roi", "0:20,0:20",
                                   "--figure", str(tmp_path / "q.png")])
    assert res.exit_code == 0, res.output
    out = load_dataset(tmp_path / "p.nc")
    assert out["x"].attrs["units"] == "m" and out.sizes == {"y": 10, "x": 10}
    np.testing.assert_allclose(np.diff(out["x"].values), 2.4e-6)
    assert (tmp_path / "q.png").stat().st_size > 10_000
    data = load_odmr(src / "run_00000.mat").isel(y=slice(0, 4), x=slice(0, 4))
    fit = fit_odmr(data)
    axes = plot_pixel(fit, data, 1, 2)
    assert len(axes) == 2 and len(axes[0].lines) == 2
    assert axes[0].get_title(loc="left").endswith(f"{ {v: k for k, v in CODES.items()}[int(fit['reason'][1, 2])] }")


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_exported_stacks_in_either_layout_fit_the_same(tmp_path, suffix):
    # the layouts a simulation may export: (frequency, y, x) with one sweep per file, or
    # (side, frequency, y, x); read eagerly or chunk by chunk, the fit is the same
    low, high, fl, fh, b, _ = two_sided_hyperfine_stack(8, 6, seed=4)
    both = xr.Dataset(
        {"signal": (("side", "frequency", "y", "x"), np.stack([low, high]).transpose(0, 3, 1, 2))},
        coords={"side": ["low", "high"], "f": (("side", "frequency"), np.stack([fl, fh]), {"units": "Hz"})},
    ).rename({"f": "frequency"})
    one = xr.Dataset({"signal": (("frequency", "y", "x"), low.transpose(2, 0, 1))},
                     coords={"frequency": ("frequency", fl / 1e6, {"units": "MHz"})})
    save_dataset(both, tmp_path / f"both{suffix}")
    save_dataset(one, tmp_path / f"one{suffix}")
    args = ["fit", "--no-figure", "--model", "lorentzian", "--hyperfine", "14N"]
    for name, extra in (("eager", []), ("lazy", ["--chunks", "4"])):
        out = tmp_path / f"{name}.zarr"
        res = CliRunner().invoke(app, [*args, str(tmp_path / f"both{suffix}"), "-o", str(out), *extra])
        assert res.exit_code == 0, res.output
    a, c = load_dataset(tmp_path / "eager.zarr"), load_dataset(tmp_path / "lazy.zarr")
    np.testing.assert_allclose(a["B_nv"].values, c["B_nv"].values, rtol=1e-10)
    assert np.all(np.abs(a["B_nv"].values - b) < 5 * a["B_nv_err"].values)
    got = load_odmr(tmp_path / f"one{suffix}")
    np.testing.assert_allclose(got["frequency"].values, fl)
    assert got["signal"].dims == ("y", "x", "frequency") and "sweep" not in got.coords
