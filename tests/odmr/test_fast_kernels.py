"""The compiled helpers that make the fit fast give the numbers of their plain definitions: exact
order statistics, the NumPy screen, the guess fused into the fit; and the calibrated multiplet
width gives a start close enough to stop after two iterations without losing precision."""

import numpy as np
import pytest

from operando.odmr import quality
from operando.odmr.models import DipModel
from operando.odmr.synthetic import cramer_rao_std

pytest.importorskip("numba")

from operando.odmr import lm_compiled, order_compiled

RNG = np.random.default_rng(17)
F = np.linspace(2.862e9, 2.878e9, 101)  # 160 kHz steps: the two-sided benchmark's sampling


def samples():
    """Awkward rows for order statistics: Gaussian, heavy tails, ties, even and odd lengths."""
    yield RNG.normal(size=99)
    yield RNG.normal(size=100)
    yield RNG.standard_cauchy(size=99)
    yield np.round(RNG.normal(size=101) * 2)  # many ties
    yield np.full(7, 3.0)
    yield RNG.normal(size=2)
    yield RNG.normal(size=1)


@pytest.mark.parametrize("bracket", ["good", "too_low", "too_high", "empty", "nan"])
def test_bracketed_median_is_numpys_median_for_any_bracket(bracket):
    for a in samples():
        n = a.size
        centre, half = np.mean(a), 0.1 * np.mean(np.abs(a))
        low, high = {"good": (centre - half, centre + half), "too_low": (a.min() - 10, a.min() - 5),
                     "too_high": (a.max() + 5, a.max() + 10), "empty": (centre, centre),
                     "nan": (np.nan, np.nan)}[bracket]
        before = a.copy()
        got = order_compiled.median_bracketed(a, n, low, high, np.empty(n))
        assert got == np.median(a)
        np.testing.assert_array_equal(a, before)  # the input is left as it was


def test_upper_order_statistic_from_top_values_equals_partition():
    for a in samples():
        for k in {max(a.size - 1, 0), int(0.9 * (a.size - 1)), a.size // 2}:
            if a.size - k > order_compiled.TOP_MAX:
                continue
            got = order_compiled.kth_smallest_from_top(a, k, np.empty(a.size))
            assert got == np.partition(a, k)[k]


def test_second_difference_mad_equals_the_nanmedian_definition():
    y = RNG.normal(size=(500, 101))
    y[::5, 3] = np.nan
    y[7] = np.nan  # no sample left: NaN
    d2 = np.diff(y, 2, axis=-1)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        reference = np.nanmedian(np.abs(d2 - np.nanmedian(d2, axis=-1, keepdims=True)), axis=-1)
    np.testing.assert_allclose(order_compiled.second_difference_mad(y), reference, rtol=1e-12, atol=1e-15)
    assert np.isnan(order_compiled.second_difference_mad(y)[7])


def test_compiled_screen_equals_the_numpy_screen(monkeypatch):
    y = RNG.normal(size=(300, 101)) + 3
    y[::7, ::3] = np.nan
    y[5] = np.nan  # missing
    y[6] = 0.0  # flat
    y[8] = -1.0  # non-positive level
    y[9, :80] = np.inf
    valid = np.ones(300, bool)
    valid[10] = False
    for rows in (y, y.astype(np.float32), y[:, ::2]):
        compiled = quality.screen_spectra(rows, 4, valid)
        monkeypatch.setattr(quality._numba, "available", lambda: False)
        plain = quality.screen_spectra(rows, 4, valid)
        monkeypatch.undo()
        np.testing.assert_array_equal(compiled, plain)
    assert set(compiled[[5, 6, 8, 10]]) == {quality.CODES["missing_samples"], quality.CODES["flat"],
                                            quality.CODES["masked"]}


def triplets(n, widths, noise=0.0, seed=3):
    model = DipModel(1, hyperfine="14N")
    rng = np.random.default_rng(seed)
    truth = np.stack([2.870e9 + rng.uniform(-2e6, 2e6, n), widths, np.full(n, 0.012), np.ones(n)], axis=1)
    return model, truth, model.simulate(F, truth) + noise * rng.normal(size=(n, F.size))


def test_calibrated_multiplet_width_is_close_to_the_line_width():
    widths = np.linspace(0.6e6, 1.4e6, 40)
    model, _, y = triplets(widths.size, widths)
    spread, measured, _ = model.multiplet(F)
    assert spread == pytest.approx(2 * 2.16e6) and measured.size > 10
    calibrated = model.guess(F, y)[:, 1]
    raw = model._starts(F, y, (spread, np.zeros(0), np.zeros(0)))[:, 1]
    # the matched filter adds the neighbours' Lorentzian tails to the central dip: 10-20 % wide
    assert np.min(raw / widths) > 1.05
    assert np.max(np.abs(calibrated / widths - 1)) < 0.03


def test_fit_from_the_calibrated_start_stops_early_at_the_precision_of_a_full_convergence():
    model, truth, y = triplets(400, np.full(400, 1.0e6), noise=2e-4)
    lo, hi = model.bounds(F)
    default = lm_compiled.levenberg_marquardt_dips(model, F, y, None, lo, hi)
    tight = lm_compiled.levenberg_marquardt_dips(model, F, y, model.guess(F, y), lo, hi, max_iter=200,
                                                 step_tol=1e-6, ftol=1e-15)
    assert default.converged.all() and tight.converged.all()
    assert default.n_iter.mean() < 2.1  # a start within a standard error: one step and the check
    crb = cramer_rao_std(model, F, truth, 2e-4)
    assert np.max(np.abs(default.params - tight.params) / crb) < 0.05


def test_start_computed_in_the_fit_pass_equals_the_guess():
    model, _, y = triplets(300, np.linspace(0.5e6, 2e6, 300), noise=2e-4)
    lo, hi = model.bounds(F)
    fused = lm_compiled.levenberg_marquardt_dips(model, F, y, None, lo, hi, residual_noise=True)
    given = lm_compiled.levenberg_marquardt_dips(model, F, y, model.guess(F, y), lo, hi, residual_noise=True)
    for name in ("params", "stderr", "chi2", "n_iter", "converged", "shifted_chi2", "residual_mad"):
        np.testing.assert_array_equal(getattr(fused, name), getattr(given, name))
    # the residual noise computed in the same pass is that of the separate kernel
    np.testing.assert_array_equal(fused.residual_mad, lm_compiled.residual_noise_mad(model, F, y, fused.params))
