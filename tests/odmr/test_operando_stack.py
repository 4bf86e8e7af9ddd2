"""`operando fit` on the stack `operando run` writes (one upper line, f+ = D + γ(B_ext + B)): the
line count and bias come from the file, B_nv is the stray field within its uncertainty, the maps
keep the stack's coordinates, the reduced χ² is a true χ²/ν, and the quick-look page is clean."""

import warnings

import matplotlib.figure
import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from operando.cli import app
from operando.io import load_dataset, save_dataset
from operando.odmr import fit_odmr, load_odmr
from operando.odmr.models import DipModel
from operando.odmr.quicklook import quicklook_figure
from operando.odmr.select import count_lines
from operando.odmr.synthetic import simulate_stack, two_dip_params
from operando.pipeline.config import RunConfig
from operando.pipeline.measurement import odmr_stack_dataset

NY, NX, SPACING = 20, 24, 500e-9


def fields_dataset(bump=3e-6):
    """A fields dataset as `operando run` writes it: a Gaussian bump of ``bump`` T along z, pixel
    centres from SPACING/2 (not 0), NV axis perpendicular."""
    y, x = SPACING / 2 + np.arange(NY) * SPACING, SPACING / 2 + np.arange(NX) * SPACING
    r2 = (y[:, None] - y.mean()) ** 2 + (x[None] - x.mean()) ** 2
    m = bump * np.exp(-r2 / (2 * (3 * SPACING) ** 2))
    return xr.Dataset(
        {"B_total_vector": (("component", "y", "x"), np.stack([0 * m, 0 * m, m])),
         "B_lco_axis": (("component",), np.array([0.0, 0.0, 1.0]))},
        coords={"y": ("y", y, {"units": "m"}), "x": ("x", x, {"units": "m"}), "component": ["x", "y", "z"]},
        attrs={"spacing": [SPACING, SPACING], "standoff": 50e-9},
    )


@pytest.fixture(scope="module")
def run_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stack")
    stack = odmr_stack_dataset(RunConfig.from_mapping({}), fields_dataset())
    return save_dataset(stack, tmp / "odmr_stack.nc"), stack


def fit_cli(stack_path, out, *args):
    res = CliRunner().invoke(app, ["fit", str(stack_path), "-o", str(out), "--no-figure", *args])
    assert res.exit_code == 0, res.output
    return load_dataset(out), res.output


def test_default_command_fits_the_stack_line_and_recovers_the_true_field(run_stack, tmp_path):
    path, stack = run_stack
    fit, output = fit_cli(path, tmp_path / "fit.nc")
    assert fit.attrs["n_dips"] == 1 and "n_dips attribute" in fit.attrs["line_count"]
    assert fit["converged"].values.mean() >= 0.99
    # the coordinates are the stack's: arithmetic between the two aligns every pixel
    for d in ("y", "x"):
        np.testing.assert_array_equal(fit[d].values, stack[d].values)
        assert fit[d].attrs["units"] == stack[d].attrs["units"]
    assert (fit["f0_0"] - stack["B_axis_true"]).shape == (NY, NX)
    # B_nv = (f+ − D)/γ − B_ext: the stray field along the NV axis, bias subtracted
    assert fit["B_nv"].attrs["bias_subtracted_T"] == pytest.approx(stack.attrs["B_ext"])
    np.testing.assert_allclose(fit.attrs["nv_axis"], stack.attrs["nv_axis"])
    z = ((fit["B_nv"] - stack["B_axis_true"]) / fit["B_nv_err"]).values
    assert np.mean(np.abs(z) < 3) >= 0.99
    assert "B_nv (converged pixels)" in output
    assert "lines: 1 line(s): from the file's n_dips attribute" in output
    assert f"bias {stack.attrs['B_ext'] * 1e3:.4g} mT subtracted" in output


def test_n_dips_overrides_the_file(run_stack, tmp_path):
    path, _ = run_stack
    fit, _ = fit_cli(path, tmp_path / "two.nc", "--n-dips", "2")
    assert fit.attrs["n_dips"] == 2 and "line_count" not in fit.attrs
    assert "f0_1" in fit


def test_without_the_attribute_the_line_count_comes_from_the_data(run_stack, tmp_path):
    _, stack = run_stack
    bare = stack.copy()
    del bare.attrs["n_dips"]
    path = save_dataset(bare, tmp_path / "bare.nc")
    fit, _ = fit_cli(path, tmp_path / "fit.nc")
    assert fit.attrs["n_dips"] == 1 and "lowest BIC" in fit.attrs["line_count"]
    # and two lines where the spectrum holds two
    f = np.linspace(2.80e9, 2.94e9, 101)
    model = DipModel(2)
    two = simulate_stack(model, f, two_dip_params(4, 4, seed=0), noise=2e-3, rng=1)
    assert count_lines([two])[0] == 2


@pytest.mark.parametrize("extra", [(), ("--chunks", "7")])
def test_binned_and_cropped_maps_carry_the_selected_bin_centres(run_stack, tmp_path, extra):
    path, stack = run_stack
    fit, _ = fit_cli(path, tmp_path / "b.nc", "--bin", "2", "--roi", "2:12,3:15", *extra)
    np.testing.assert_allclose(fit["x"].values, stack["x"].values[3:15].reshape(-1, 2).mean(1))
    np.testing.assert_allclose(fit["y"].values, stack["y"].values[2:12].reshape(-1, 2).mean(1))
    assert fit["x"].attrs["units"] == "m"


def test_streamed_fit_keeps_the_coordinates_of_the_eager_one(run_stack, tmp_path):
    path, _ = run_stack
    eager, _ = fit_cli(path, tmp_path / "e.nc")
    tiled, _ = fit_cli(path, tmp_path / "t.nc", "--chunks", "9")
    for d in ("y", "x"):
        np.testing.assert_array_equal(tiled[d].values, eager[d].values)
    np.testing.assert_allclose(tiled["B_nv"].values, eager["B_nv"].values)


def test_reduced_chi2_is_one_at_the_noise_and_flags_a_misfit():
    f = np.linspace(2.80e9, 2.94e9, 101)
    noise = 2e-3
    ds = simulate_stack(DipModel(2), f, two_dip_params(16, 16, seed=3), noise=noise, rng=4)
    good = fit_odmr(ds, "lorentzian", n_dips=2)
    assert np.median(good["reduced_chi2"].values) == pytest.approx(1.0, rel=0.2)
    assert np.median(good["residual_variance"].values) == pytest.approx(noise**2, rel=0.1)
    # one line where there are two: the residual holds the missing dip, χ²/ν ≫ 1
    bad = fit_odmr(ds, "lorentzian", n_dips=1)
    assert np.median(bad["reduced_chi2"].values) > 2
    # the rules of convergence do not read χ²/ν: the same pixels converge at any noise scale
    scaled = ds.copy()
    scaled["signal"] = ds["signal"] * 10
    np.testing.assert_array_equal(fit_odmr(scaled, "lorentzian", n_dips=2)["converged"].values,
                                  good["converged"].values)


def _page(monkeypatch, result, data, path):
    """The quick-look figure, the warnings raised drawing it."""
    figures = []
    save = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: (figures.append(self), save(self, *a, **k))[1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quicklook_figure(result, data, path)
    return figures[0], caught


def _empty(ax) -> bool:
    return not (ax.images or ax.lines or ax.collections or ax.texts or ax.patches)


@pytest.mark.parametrize("n_dips", [1, 2])  # 2: no pixel converges on a one-line stack
def test_quicklook_has_no_empty_panel_and_no_warning(run_stack, tmp_path, monkeypatch, n_dips):
    path, _ = run_stack
    data = load_odmr(path)
    result, _ = fit_cli(path, tmp_path / "q.nc", "--n-dips", str(n_dips))
    fig, caught = _page(monkeypatch, result, data, tmp_path / "q.png")
    assert [str(w.message) for w in caught] == []
    assert not [ax for ax in fig.axes if _empty(ax)]
    notes = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert ("no pixel converged" in notes) == (n_dips == 2)


def test_compiled_residual_noise_equals_the_numpy_estimate():
    from operando.odmr import lm_compiled
    from operando.odmr.fit import _residual_noise_variance
    from operando.odmr.models import DipModel

    if not lm_compiled.available():
        pytest.skip("numba not installed")
    rng = np.random.default_rng(3)
    f = np.linspace(2.80e9, 2.94e9, 101)
    model = DipModel(2, hyperfine="14N")
    params = model.guess(f, model.simulate(f, np.tile(model.guess(f, np.ones((1, f.size)))[0], (1, 1))))
    params = np.repeat(params, 50, axis=0)
    y = model.simulate(f, params) + rng.normal(0, 2e-3, (50, f.size))
    y[0, 7] = np.nan  # a missing sample is skipped by both
    compiled = _residual_noise_variance(model, f, y, params, True)
    reference = _residual_noise_variance(model, f, y, params, False)
    np.testing.assert_allclose(compiled, reference, rtol=1e-12)
    assert np.median(compiled) == pytest.approx(4e-6, rel=0.2)
