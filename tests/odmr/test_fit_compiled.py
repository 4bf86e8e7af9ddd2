"""The compiled LM (numba) gives the NumPy path's fits, to round-off, for every dip model."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.odmr.fit import fit_odmr, fit_spectra
from operando.odmr.models import DipModel
from operando.odmr.synthetic import simulate_stack, two_dip_params

pytest.importorskip("numba")

F = np.linspace(2.80e9, 2.94e9, 101)


@pytest.mark.parametrize(
    "model",
    [
        DipModel(2),
        DipModel(2, shared_width=True),
        DipModel(2, "gaussian"),
        DipModel(2, hyperfine="14N"),
        DipModel(2, "gaussian", True, "15N"),
    ],
)
def test_compiled_matches_numpy(model):
    truth = DipModel(2, model.shape, False, model.hyperfine)
    ds = simulate_stack(truth, F, two_dip_params(24, 24, seed=4), noise=2e-3, rng=5)
    y = ds["signal"].values.reshape(-1, F.size)
    y[3, 10:20] += 0.5  # a few awkward spectra: a glitch, a flat line
    y[7] = 1.0
    a = fit_spectra(F, y, model, engine="compiled")
    b = fit_spectra(F, y, model, engine="numpy")
    p = len(model.names)
    np.testing.assert_array_equal(a[:, -1], b[:, -1])  # converged flags
    # on the flat line the problem is degenerate and round-off may cost an iteration more or less
    ok = (b[:, -1] == 1) & (np.arange(len(y)) != 7)
    np.testing.assert_array_equal(a[ok, -2], b[ok, -2])  # iterations
    np.testing.assert_allclose(a[ok, :p], b[ok, :p], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(a[ok, p:], b[ok, p:], rtol=1e-6)


def test_compiled_inside_dask_chunks_and_missing_samples():
    ds = simulate_stack(DipModel(2), F, two_dip_params(16, 16, seed=6), noise=2e-3, rng=7)
    ds["signal"][0, 0, 5] = np.nan  # that spectrum takes the weighted NumPy path
    a = fit_odmr(ds, chunks=8, engine="compiled")
    b = fit_odmr(ds, engine="numpy")
    np.testing.assert_allclose(a["f0_0"].values, b["f0_0"].values, rtol=1e-12)
    assert np.isfinite(a["f0_0"].values[0, 0])


@pytest.mark.parametrize("model", [DipModel(2), DipModel(2, hyperfine="14N")])
def test_a_missing_sample_leaves_the_rest_of_its_batch_compiled(model):
    # a spectrum's fit must not depend on the spectra that share its batch (batch size, tile):
    # one missing sample elsewhere used to send the whole batch to the NumPy path
    ds = simulate_stack(model, F, two_dip_params(8, 8, seed=4, width=3e6), noise=2e-3, rng=5)
    y = ds["signal"].values.reshape(-1, F.size)
    clean = fit_spectra(F, y, model, engine="compiled")
    y[0, 5] = np.nan
    holed = fit_spectra(F, y, model, engine="compiled")
    np.testing.assert_array_equal(holed[1:], clean[1:])
    alone = fit_spectra(F, y[:1], model, engine="compiled")
    np.testing.assert_array_equal(holed[:1], alone)


def test_engine_errors_name_the_parameter():
    ds = simulate_stack(DipModel(2), F, two_dip_params(2, 2, seed=1), noise=2e-3, rng=1)
    with pytest.raises(InputError, match="engine"):
        fit_odmr(ds, engine="gpu")
    with pytest.raises(InputError, match=r"engine: 'compiled'.*dip models"):
        fit_odmr(ds, model="nv", engine="compiled")
    for bad in (0, -1, 2.5):  # no iteration: no Jacobian at the result, so no standard errors
        with pytest.raises(InputError, match="max_iter"):
            fit_odmr(ds, max_iter=bad)


@pytest.mark.parametrize(
    "model", [DipModel(2), DipModel(3), DipModel(1, hyperfine="14N"), DipModel(2, hyperfine="15N")]
)
def test_compiled_starts_match_numpy(model):
    from operando.odmr.guess_compiled import dip_starts
    from operando.odmr.models import HYPERFINE_OFFSETS, _dip_starts

    ds = simulate_stack(DipModel(2), F, two_dip_params(16, 16, seed=8), noise=2e-3, rng=9)
    y = ds["signal"].values.reshape(-1, F.size)
    df = F[1] - F[0]
    off = np.zeros(0) if model.hyperfine is None else HYPERFINE_OFFSETS[model.hyperfine] / df
    for a, b in zip(dip_starts(F, y, off, model.n_dips), _dip_starts(F, y, off, model.n_dips), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_compiled_satellite_test_matches_numpy(monkeypatch):
    from operando.odmr import lm_compiled
    from operando.odmr.quality import satellite_shift

    model = DipModel(2, hyperfine="14N")
    truth = two_dip_params(8, 8, seed=2, width=1.5e6).reshape(-1, 7)
    y = model.simulate(F, truth) + np.random.default_rng(0).normal(0, 2e-3, (64, F.size))
    p = truth.copy()
    p[::3, 1] += 2.16e6  # a third of the rows on a satellite
    r = y - model.simulate(F, p)
    chi2 = np.einsum("nm,nm->n", r, r)
    weights = np.ones_like(y)
    weights[5, :7] = 0.0
    a = satellite_shift(model, F, y, p, chi2, weights)
    monkeypatch.setattr(lm_compiled, "available", lambda: False)
    b = satellite_shift(model, F, y, p, chi2, weights)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0][::3].all() and not a[0][1::3].any()


def test_fit_computes_the_satellite_test_of_its_result():
    # the compiled fit evaluates rule 6's shifted χ² while each spectrum is in cache: it must be
    # what the stand-alone test computes on the fitted parameters
    from operando.odmr import lm_compiled

    model = DipModel(2, hyperfine="14N")
    truth = two_dip_params(8, 8, seed=2, width=1.5e6).reshape(-1, 7)
    y = model.simulate(F, truth) + np.random.default_rng(1).normal(0, 2e-3, (64, F.size))
    lo, hi = model.bounds(F)
    res = lm_compiled.levenberg_marquardt_dips(model, F, y, model.guess(F, y), lo, hi)
    shifts = lm_compiled.satellite_shifts(model)
    expected = lm_compiled.shifted_chi2(model, F, y, res.params, None, shifts)
    np.testing.assert_allclose(res.shifted_chi2, expected, rtol=1e-12)
    assert lm_compiled.levenberg_marquardt_dips(DipModel(2), F, y, DipModel(2).guess(F, y), *DipModel(2).bounds(F)
                                                ).shifted_chi2 is None
