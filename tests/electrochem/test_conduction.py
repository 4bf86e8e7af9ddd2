"""Finite-volume operators and steady conduction: exact references and the TauFactor peer."""

import numpy as np
import pytest

from operando.electrochem import steady_conductivity
from operando.electrochem.operators import (
    centre_vectors,
    divergence,
    face_fluxes,
    face_transmissibilities,
    index_map,
    laplacian,
    pad_faces,
)
from operando.errors import InputError


def test_harmonic_mean_series_layers_anisotropic():
    # layers in series along x: σ_eff = L / Σ(d_i/σ_i) exactly (harmonic mean), any spacing
    sig = np.array([1.0, 4.0, 0.5, 2.0, 2.0, 8.0])
    vol = np.broadcast_to(np.arange(6), (3, 4, 6))
    spacing = (0.3, 0.7, 1.9)
    k = sig[vol]
    trans = face_transmissibilities(k, spacing)
    t = trans[2][0, 0]
    expected = spacing[0] * spacing[1] / (spacing[2] / (2 * sig[:-1]) + spacing[2] / (2 * sig[1:]))
    np.testing.assert_allclose(t, expected, rtol=1e-14)
    # parallel direction (y): same conductivity on both sides → k A / d
    np.testing.assert_allclose(
        trans[1][0, 0], sig * spacing[0] * spacing[2] / spacing[1], rtol=1e-14
    )


def test_laplacian_symmetric_zero_row_sum_and_mask():
    rng = np.random.default_rng(1)
    k = np.where(rng.random((3, 5, 7)) < 0.6, rng.random((3, 5, 7)) + 0.1, 0.0)
    idx, n = index_map(k > 0)
    mat = laplacian(idx, n, face_transmissibilities(k, (1.0, 2.0, 0.5)))
    assert abs(mat - mat.T).max() < 1e-14
    np.testing.assert_allclose(mat @ np.ones(n), 0.0, atol=1e-12)
    # flux form: divergence of face fluxes equals L u on every voxel
    u = np.full(k.shape, np.nan)
    u[k > 0] = rng.random(n)
    trans = face_transmissibilities(k, (1.0, 2.0, 0.5))
    flux = [pad_faces(f, ax) for ax, f in enumerate(face_fluxes(u, trans))]
    np.testing.assert_allclose(divergence(flux)[k > 0], mat @ u[k > 0], atol=1e-12)


def test_centre_vectors_uniform_field_2d():
    # linear potential u = -E x in a uniform slab: J = σ E at every centre, component x only
    nz, ny, nx, dx = 1, 4, 9, 0.25
    sigma, field = 3.0, 2.0
    x = (np.arange(nx) + 0.5) * dx
    u = np.broadcast_to(-field * x, (nz, ny, nx))
    trans = face_transmissibilities(np.full(u.shape, sigma), (1.0, 1.0, dx))
    interior = face_fluxes(u, trans)
    area_x = 1.0 * 1.0
    flux = [pad_faces(f, ax) for ax, f in enumerate(interior)]
    flux[2][..., 0] = sigma * field * area_x
    flux[2][..., -1] = sigma * field * area_x
    j = centre_vectors(flux, (1.0, 1.0, dx))
    assert j.shape == (3, nz, ny, nx)
    np.testing.assert_allclose(j[0], sigma * field, rtol=1e-12)
    np.testing.assert_allclose(j[1:], 0.0, atol=1e-12)


def test_uniform_slab_and_series_bilayer():
    full = np.ones((1, 5, 12), dtype=int)
    r = steady_conductivity(full, 1, axis="x", conductivity=2.5, spacing=(1.0, 0.5, 0.2))
    assert r.effective_conductivity == pytest.approx(2.5, rel=1e-12)
    assert r.tortuosity_factor == pytest.approx(1.0, rel=1e-12)
    # straight channels along x occupying 3 of 8 rows: σ_eff = ε σ, τ = 1
    chan = np.zeros((1, 8, 10), dtype=bool)
    chan[0, [1, 4, 6]] = True
    r = steady_conductivity(chan, axis="x")
    assert r.volume_fraction == pytest.approx(3 / 8)
    assert r.relative_conductivity == pytest.approx(3 / 8, rel=1e-12)
    assert r.tortuosity_factor == pytest.approx(1.0, rel=1e-12)


def test_conductivity_map_series_and_parallel_layers():
    # two layers across x: resistors in series, σ_eff = L / Σ(l_i / σ_i); along y: in parallel
    sigma = np.ones((1, 6, 10))
    sigma[..., 4:] = 0.1
    series = steady_conductivity(np.ones_like(sigma, dtype=bool), axis="x", conductivity=sigma)
    assert series.effective_conductivity == pytest.approx(10 / (4 / 1.0 + 6 / 0.1), rel=1e-12)
    parallel = steady_conductivity(np.ones_like(sigma, dtype=bool), axis="y", conductivity=sigma)
    assert parallel.effective_conductivity == pytest.approx((4 * 1.0 + 6 * 0.1) / 10, rel=1e-12)
    assert parallel.tortuosity_factor == pytest.approx(1.0, rel=1e-12)  # relative to the mean σ
    # a zero-conductivity wall in the map blocks like a missing phase
    sigma[..., 5] = 0.0
    assert steady_conductivity(np.ones((1, 6, 10)), axis="x", conductivity=sigma).effective_conductivity == 0


@pytest.mark.parametrize(
    "sigma", [np.ones((2, 3, 3)), np.full((3, 3, 3), np.nan), -np.ones((3, 3, 3)), np.zeros((3, 3, 3))]
)
def test_bad_conductivity_map(sigma):
    with pytest.raises(InputError, match="conductivity"):
        steady_conductivity(np.ones((3, 3, 3)), conductivity=sigma)


def test_blocked_phase_and_dead_ends():
    vol = np.ones((1, 6, 10), dtype=int)
    vol[0, :, 5] = 0  # a wall across x
    r = steady_conductivity(vol, 1, axis="x")
    assert r.effective_conductivity == 0 and np.isinf(r.tortuosity_factor)
    # along y the same wall is a channel boundary: still conducts
    assert steady_conductivity(vol, 1, axis="y").relative_conductivity == pytest.approx(
        0.9, rel=1e-12
    )
    # a dead-end branch carries no current and leaves σ_eff unchanged
    base = np.zeros((1, 6, 10), dtype=int)
    base[0, 2] = 1
    with_branch = base.copy()
    with_branch[0, 3:6, 4] = 1
    a = steady_conductivity(base, 1)
    b = steady_conductivity(with_branch, 1)
    assert b.effective_conductivity == pytest.approx(a.effective_conductivity, rel=1e-12)
    assert b.percolating_fraction == 1.0  # a dead end is connected, it just carries nothing
    island = with_branch.copy()
    island[0, 5, 8] = 1
    c = steady_conductivity(island, 1)
    assert c.percolating_fraction == pytest.approx(1 - 1 / island.sum())
    assert c.effective_conductivity == pytest.approx(a.effective_conductivity, rel=1e-12)


def test_direct_and_amg_agree():
    rng = np.random.default_rng(3)
    vol = rng.random((12, 14, 16)) < 0.65
    d = steady_conductivity(vol, axis="y", method="direct")
    a = steady_conductivity(vol, axis="y", method="amg", tol=1e-12)
    assert a.effective_conductivity == pytest.approx(d.effective_conductivity, rel=1e-9)


@pytest.mark.parametrize("bad", [dict(axis="w"), dict(conductivity=-1.0), dict(spacing=0.0)])
def test_bad_input(bad):
    with pytest.raises(InputError):
        steady_conductivity(np.ones((3, 3, 3)), **bad)


@pytest.mark.parametrize(
    "fraction,shape", [(0.6, (24, 20, 22)), (0.45, (30, 16, 16)), (0.8, (1, 40, 50))]
)
def test_matches_taufactor(fraction, shape):
    taufactor = pytest.importorskip("taufactor")
    rng = np.random.default_rng(int(fraction * 100))
    vol = (rng.random(shape) < fraction).astype(int)
    # TauFactor drives the flux along the first axis: z in 3-D, y for a 2-D (ny, nx) image
    solver = taufactor.Solver(vol if shape[0] > 1 else vol[0], device="cpu")
    solver.solve(verbose=False, conv_crit=1e-4, iter_limit=200_000)
    ours = steady_conductivity(vol, 1, axis="z" if shape[0] > 1 else "y")
    tau_tf = float(np.asarray(solver.tau).ravel()[0])
    assert ours.tortuosity_factor == pytest.approx(tau_tf, rel=5e-3)
    assert ours.volume_fraction == pytest.approx(
        float(solver.VF[0]), rel=1e-6
    )  # TauFactor works in float32
