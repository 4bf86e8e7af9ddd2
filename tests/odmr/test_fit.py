"""Batched fitting: accuracy at the Cramér–Rao bound, every model, masks, chunked equality."""

import numpy as np
import pytest

from operando.errors import InputError
from operando.nv.constants import GAMMA_E
from operando.nv.orientations import nv_orientations
from operando.odmr.fit import fit_odmr, make_model
from operando.odmr.lm import levenberg_marquardt
from operando.odmr.models import DipModel
from operando.odmr.nvmodel import NVModel
from operando.odmr.synthetic import cramer_rao_std, simulate_stack, two_dip_params

F = np.linspace(2.80e9, 2.94e9, 101)
NOISE = 2e-3


def numeric_jacobian(model, f, p, rel=1e-7):
    """Central differences, error O(h²)."""
    cols = []
    for k in range(p.shape[1]):
        h = np.maximum(np.abs(p[:, k]) * rel, 1e-12)
        up, down = p.copy(), p.copy()
        up[:, k] += h
        down[:, k] -= h
        cols.append((model.evaluate(f, up)[0] - model.evaluate(f, down)[0]) / (2 * h[:, None]))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize(
    "model",
    [
        DipModel(2),
        DipModel(2, "gaussian"),
        DipModel(3, shared_width=True),
        DipModel(2, hyperfine="14N"),
        DipModel(1, "gaussian", hyperfine="15N"),
    ],
)
def test_dip_jacobian_matches_finite_differences(model):
    rng = np.random.default_rng(0)
    n = model.n_dips
    p = np.concatenate(
        [
            np.sort(rng.uniform(2.83e9, 2.91e9, (4, n)), axis=1),
            rng.uniform(4e6, 8e6, (4, model.n_widths)),
            rng.uniform(0.01, 0.03, (4, n)),
            rng.uniform(0.8, 1.2, (4, 1)),
        ],
        axis=1,
    )
    _, jac = model.evaluate(F, p)
    num = numeric_jacobian(model, F, p)
    scale = np.abs(jac).max(axis=2, keepdims=True)
    assert np.max(np.abs(jac - num) / scale) < 1e-5


def test_nv_jacobian_matches_finite_differences():
    model = NVModel()
    p = np.array([[1.5e-3, 2.5e-3, 3.2e-3, 2.871e9, 5e6, 0.02, 0.025, 0.018, 0.022, 1.1]])
    f = np.linspace(2.70e9, 3.04e9, 201)
    _, jac = model.evaluate(f, p)
    num = numeric_jacobian(model, f, p, rel=1e-6)
    assert np.max(np.abs(jac - num) / np.abs(jac).max(axis=2, keepdims=True)) < 1e-5


def test_two_dip_fit_unbiased_and_at_cramer_rao_bound():
    """Fitted resonances: mean error ≪ σ and scatter within 10 % of the CRB (4096 pixels)."""
    model = DipModel(2)
    truth = two_dip_params(64, 64, seed=1)
    ds = simulate_stack(model, F, truth, noise=NOISE, rng=2, dtype=np.float32)
    fit = fit_odmr(ds)
    assert fit.attrs["fit_report"]["converged"] == 64 * 64
    crb = cramer_rao_std(model, F, truth.reshape(-1, 7), NOISE)
    for k, name in enumerate(["f0_0", "f0_1"]):
        z = (fit[name].values.ravel() - truth[..., k].ravel()) / crb[:, k]
        assert abs(z.mean()) < 4 / np.sqrt(z.size)  # unbiased
        assert abs(z.std() - 1) < 0.10  # at the Cramér–Rao bound
        # the reported per-pixel uncertainty agrees with the bound too
        assert abs(np.median(fit[f"{name}_err"].values.ravel() / crb[:, k]) - 1) < 0.10
    b_true = (truth[..., 1] - truth[..., 0]) / (2 * GAMMA_E)
    b_fit = (fit["f0_1"].values - fit["f0_0"].values) / (2 * GAMMA_E)
    assert abs(np.mean(b_fit - b_true)) < 4 * np.std(b_fit - b_true) / 64
    assert np.median(fit["residual_variance"].values) == pytest.approx(NOISE**2, rel=0.05)
    # the true reduced χ² (noise estimated per pixel, never given): ≈ 1 at the right noise
    assert np.median(fit["reduced_chi2"].values) == pytest.approx(1.0, rel=0.05)
    assert fit["reduced_chi2"].attrs["units"] == "1"


def test_nv_hamiltonian_fit_recovers_field_vector():
    model = NVModel(b_guess=(1.2e-3, 2.9e-3, 3.0e-3))
    rng = np.random.default_rng(4)
    b = np.array([1.5e-3, 2.5e-3, 3.2e-3]) + rng.normal(0, 3e-5, (8, 8, 3))
    n = 64
    truth = np.concatenate(
        [
            b,
            np.full((8, 8, 1), 2.8705e9),
            np.full((8, 8, 1), 5e6),
            np.broadcast_to([0.02, 0.025, 0.018, 0.022], (8, 8, 4)),
            np.ones((8, 8, 1)),
        ],
        axis=-1,
    )
    f = np.linspace(2.70e9, 3.04e9, 201)
    ds = simulate_stack(model, f, truth, noise=1e-3, rng=5)
    fit = fit_odmr(ds, model)
    got = np.stack([fit[c].values for c in ("Bx", "By", "Bz")], axis=-1)
    err = np.stack([fit[f"{c}_err"].values for c in ("Bx", "By", "Bz")], axis=-1)
    z = ((got - b) / err).reshape(n, 3)
    assert fit.attrs["fit_report"]["converged"] == n
    assert np.all(np.abs(z.mean(axis=0)) < 4 / np.sqrt(n)) and np.all(
        np.abs(z.std(axis=0) - 1) < 0.3
    )
    assert np.max(np.abs(got - b)) < 2e-5  # well below the 1 mT scale of the field
    np.testing.assert_allclose(fit["D"].values, 2.8705e9, atol=2e5)


def test_nv_model_without_guess_finds_an_equivalent_field():
    """Without b_guess the field is fixed up to the cube symmetries: |components| must match."""
    model = NVModel()
    p = np.array([[1.5e-3, 2.5e-3, 3.2e-3, 2.87e9, 5e6, 0.02, 0.02, 0.02, 0.02, 1.0]])
    f = np.linspace(2.70e9, 3.04e9, 201)
    fit = fit_odmr(simulate_stack(model, f, p[None], noise=1e-4, rng=0), model)
    got = np.array([fit[c].values[0, 0] for c in ("Bx", "By", "Bz")])
    np.testing.assert_allclose(np.sort(np.abs(got)), np.sort(np.abs(p[0, :3])), rtol=1e-3)


@pytest.mark.parametrize(
    ("model", "truth_row"),
    [
        (DipModel(1, hyperfine="14N"), [2.87e9, 1.0e6, 0.03, 1.0]),
        (DipModel(2, hyperfine="15N", shared_width=True), [2.85e9, 2.89e9, 1.2e6, 0.03, 0.02, 1.0]),
        (DipModel(2, "gaussian"), [2.85e9, 2.89e9, 6e6, 5e6, 0.03, 0.02, 1.0]),
    ],
)
def test_other_dip_models_recover_truth(model, truth_row):
    truth = np.broadcast_to(np.asarray(truth_row), (6, 6, len(truth_row)))
    fit = fit_odmr(
        simulate_stack(
            model,
            F if model.hyperfine is None else np.linspace(2.83e9, 2.93e9, 201),
            truth,
            noise=5e-4,
            rng=1,
        ),
        model,
    )
    for k, name in enumerate(model.names):
        z = (fit[name].values - truth[..., k]) / fit[f"{name}_err"].values
        assert np.all(np.abs(z) < 5), name


def test_nan_pixels_and_missing_samples():
    model = DipModel(2)
    truth = two_dip_params(6, 6)
    ds = simulate_stack(model, F, truth, noise=NOISE, rng=3)
    sig = ds["signal"].values
    sig[0, 0] = np.nan  # dead pixel
    sig[1, 1, ::7] = np.nan  # a few missing samples
    ds["signal"].values = sig
    from operando.odmr.dataset import make_odmr_dataset

    fit = fit_odmr(make_odmr_dataset(sig, F))
    assert np.isnan(fit["f0_0"].values[0, 0]) and not fit["converged"].values[0, 0]
    assert fit.attrs["fit_report"]["masked_or_empty"] == 1
    assert abs(fit["f0_0"].values[1, 1] - truth[1, 1, 0]) < 5 * fit["f0_0_err"].values[1, 1]


def test_chunked_fit_equals_in_memory_fit():
    ds = simulate_stack(
        DipModel(2), F, two_dip_params(20, 12), noise=NOISE, rng=6, dtype=np.float32
    )
    a = fit_odmr(ds)
    b = fit_odmr(ds, chunks=(8, 5))
    np.testing.assert_allclose(b["f0_1"].values, a["f0_1"].values, rtol=0, atol=1.0)
    lazy = fit_odmr(ds, chunks=8, compute=False)
    assert not isinstance(lazy["f0_0"].data, np.ndarray)


def test_lm_flags_non_convergence():
    """An iteration budget of 1 cannot converge a fit that starts far away: flagged, not hidden."""
    model = DipModel(1)
    f = np.linspace(2.8e9, 2.9e9, 51)
    y = model.simulate(f, np.array([[2.85e9, 5e6, 0.05, 1.0]]))
    p0 = np.array([[2.846e9, 9e6, 0.02, 0.95]])
    res = levenberg_marquardt(lambda p, index: model.evaluate(f, p), y, p0, max_iter=1)
    assert not res.converged[0] and res.n_iter[0] == 1
    lo, hi = model.bounds(f)
    res = levenberg_marquardt(lambda p, index: model.evaluate(f, p), y, p0, lower=lo, upper=hi)
    assert res.converged[0] and abs(res.params[0, 0] - 2.85e9) < 1.0


def test_bad_model_arguments():
    with pytest.raises(InputError, match="model"):
        make_model("voigt")
    with pytest.raises(InputError, match="n_dips"):
        DipModel(0)
    with pytest.raises(InputError, match="hyperfine"):
        DipModel(2, hyperfine="13C")
    with pytest.raises(InputError, match="axes"):
        NVModel(axes=nv_orientations("100")[:2])
    with pytest.raises(InputError, match="frequency"):
        fit_odmr(np.ones((2, 2, 5)))
    with pytest.raises(InputError, match="not sorted"):
        fit_odmr(np.ones((2, 2, 3)), frequency=[2.0, 3.0, 1.0])


def test_shot_noise_stack_from_nv_model_fits_at_its_cramer_rao_bound():
    """Photon-counting spectra from operando.nv.spectra (Poisson): the fitted centres scatter at the
    bound that module computes independently (within 10 %), without bias."""
    from operando.nv.spectra import line_position_crb, noisy_spectra

    rng = np.random.default_rng(11)
    n, counts = 4096, 1e5
    centre = rng.uniform(2.86e9, 2.88e9, n)
    f = np.linspace(2.83e9, 2.91e9, 81)
    y = noisy_spectra(f, centre[:, None], 6e6, 0.03, counts, rng)
    fit = fit_odmr(y.reshape(64, 64, -1), DipModel(1), frequency=f)
    err = fit["f0_0"].values.ravel() - centre
    crb = line_position_crb(f, centre, 6e6, 0.03, counts)
    assert abs(np.mean(err / crb)) < 4 / np.sqrt(n)
    assert abs(np.std(err / crb) - 1) < 0.10


def test_distributed_scheduler_gives_the_same_fit():
    distributed = pytest.importorskip("distributed")
    ds = simulate_stack(DipModel(2), F, two_dip_params(16, 16), noise=NOISE, rng=7)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        out = fit_odmr(ds, chunks=8, scheduler=cluster.scheduler_address)
    np.testing.assert_array_equal(out["f0_0"].values, fit_odmr(ds)["f0_0"].values)
    assert out.attrs["fit_report"]["converged"] == 256


def test_default_tolerance_stops_within_a_small_fraction_of_sigma():
    """The stopping rule (step < 0.2 σ) leaves the answer < 0.1 σ from the fully converged one."""
    model = DipModel(2)
    truth = two_dip_params(32, 32, seed=5).reshape(-1, 7)
    y = simulate_stack(model, F, truth.reshape(32, 32, 7), noise=NOISE, rng=8)["signal"].values
    y = y.reshape(-1, F.size)
    p0 = model.guess(F, y)
    lo, hi = model.bounds(F)

    def run(**kw):
        return levenberg_marquardt(
            lambda p, index: model.evaluate(F, p), y, p0, lower=lo, upper=hi, **kw
        )

    tight, default = run(step_tol=1e-6, max_iter=200), run()
    assert tight.converged.all() and default.converged.all()
    assert default.n_iter.mean() < tight.n_iter.mean()
    crb = cramer_rao_std(model, F, truth, NOISE)
    assert np.max(np.abs(default.params - tight.params) / crb) < 0.1
