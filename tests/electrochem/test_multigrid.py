"""Matrix-free multigrid for the voxel Laplacian: equal to the sparse direct solve, compiled and
NumPy kernels agreeing, a symmetric preconditioner, bounded iteration counts."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from operando.electrochem import _multigrid_grid, multigrid, steady_conductivity
from operando.electrochem.conduction import DIRECT_LIMIT_3D, percolating
from operando.electrochem.operators import (
    axis_index,
    boundary_transmissibility,
    face_transmissibilities,
    index_map,
    laplacian,
)
from operando.errors import ConvergenceError, InputError

numba_only = pytest.mark.skipif(not multigrid.available(), reason="numba is not installed")


def _volume(shape, fraction, seed):
    return np.random.default_rng(seed).random(shape) < fraction


CASES = {
    "random 0.7": (_volume((20, 22, 24), 0.7, 7), 1.0),
    "near percolation 0.35": (_volume((24, 24, 24), 0.35, 7), 1.0),
    "2-D section": (_volume((1, 60, 70), 0.7, 7), 1.0),
    "anisotropic spacing": (_volume((18, 20, 22), 0.7, 8), (2e-6, 6e-6, 1e-6)),
    "37x50x23": (_volume((37, 50, 23), 0.6, 9), 1.0),
}


@pytest.mark.parametrize("axis", ["z", "y", "x"])
@pytest.mark.parametrize("case", list(CASES))
def test_multigrid_equals_direct_solve(case, axis):
    vol, spacing = CASES[case]
    if vol.shape[0] == 1 and axis == "z":
        pytest.skip("a 2-D section has no extent along z")
    direct = steady_conductivity(vol, axis=axis, spacing=spacing, method="direct")
    mg = steady_conductivity(vol, axis=axis, spacing=spacing, method="multigrid", tol=1e-10)
    assert direct.effective_conductivity > 0
    assert mg.effective_conductivity == pytest.approx(direct.effective_conductivity, rel=1e-7)
    assert mg.tortuosity_factor == pytest.approx(direct.tortuosity_factor, rel=1e-7)
    assert mg.percolating_fraction == direct.percolating_fraction
    np.testing.assert_array_equal(np.isnan(mg.potential), np.isnan(direct.potential))
    assert np.nanmax(np.abs(mg.potential - direct.potential)) < 1e-6


def test_auto_uses_multigrid_on_3d_volumes_and_agrees():
    vol = _volume((20, 22, 24), 0.7, 3)
    assert vol.sum() > DIRECT_LIMIT_3D
    auto = steady_conductivity(vol, axis="x")
    direct = steady_conductivity(vol, axis="x", method="direct")
    assert auto.effective_conductivity == pytest.approx(direct.effective_conductivity, rel=1e-9)
    with pytest.raises(InputError):
        steady_conductivity(vol, method="cg")


def _system(k, spacing, axis):
    """Face arrays, Dirichlet diagonal and right-hand side of the conduction problem on k."""
    trans = face_transmissibilities(k, spacing)
    t_low = boundary_transmissibility(k, spacing, axis, "low")
    t_high = boundary_transmissibility(k, spacing, axis, "high")
    extra = np.zeros(k.shape)
    rhs = np.zeros(k.shape)
    np.moveaxis(extra, axis, 0)[0] += t_low
    np.moveaxis(extra, axis, 0)[-1] += t_high
    np.moveaxis(rhs, axis, 0)[0] += t_low
    return trans, extra, rhs


def _direct(k, trans, extra, rhs):
    active = k > 0
    idx, n = index_map(active)
    matrix = laplacian(idx, n, trans) + sp.diags(extra[active])
    u = np.zeros(k.shape)
    u[active] = spla.spsolve(matrix.tocsc(), rhs[active])
    return u


def test_high_contrast_conductivity():
    # two conducting materials 10³ apart plus pores: a variable-coefficient operator
    rng = np.random.default_rng(11)
    shape = (14, 16, 18)
    k = np.where(rng.random(shape) < 0.5, 1.0, 1e-3) * (rng.random(shape) < 0.8)
    k *= percolating(k > 0, 0)  # isolated clusters would make A singular
    trans, extra, rhs = _system(k, (1.0, 1.0, 1.0), 0)
    u, info = multigrid.solve_grid(trans, extra, rhs, extra_axis=0, tol=1e-10)
    assert info.residual <= 1e-10
    np.testing.assert_allclose(u, _direct(k, trans, extra, rhs), atol=1e-7)


@numba_only
@pytest.mark.parametrize("case", ["random 0.7", "2-D section", "anisotropic spacing"])
def test_numpy_kernels_agree_with_compiled(case, monkeypatch):
    vol, spacing = CASES[case]
    axis = "y"
    compiled = multigrid.solve_grid(*_conduction_arrays(vol, spacing, axis), extra_axis=1)
    monkeypatch.setattr(multigrid, "COMPILED", False)
    plain = multigrid.solve_grid(*_conduction_arrays(vol, spacing, axis), extra_axis=1)
    # the same hierarchy (pieces are numbered alike) and the same solution
    assert plain[1].unknowns == compiled[1].unknowns
    assert abs(plain[1].iterations - compiled[1].iterations) <= 1
    np.testing.assert_allclose(plain[0], compiled[0], atol=1e-8)
    a = steady_conductivity(vol, axis=axis, spacing=spacing, method="multigrid")
    monkeypatch.setattr(multigrid, "COMPILED", True)
    b = steady_conductivity(vol, axis=axis, spacing=spacing, method="multigrid")
    assert a.effective_conductivity == pytest.approx(b.effective_conductivity, rel=1e-12)


def _conduction_arrays(vol, spacing, axis):
    ax = axis_index(axis)
    k = np.where(percolating(vol, ax), 1.0, 0.0)
    return _system(k, np.broadcast_to(np.asarray(spacing, float), (3,)), ax)


@numba_only
def test_fused_sweep_is_red_then_black_for_any_band_count():
    vol, _ = CASES["37x50x23"]
    trans, extra, rhs = _conduction_arrays(vol, 1.0, "x")
    level = multigrid._GridLevel(trans, extra, compiled=True)
    u0 = np.random.default_rng(0).random(level.shape).astype(np.float32)
    results = []
    for bands in (1, 2, 3, 7):
        u = u0.copy()
        _multigrid_grid._grid_sweep(u, rhs, *level.trans_pc, level.inv_diag_pc, 0, False, bands)
        results.append(u)
    for u in results[1:]:
        np.testing.assert_array_equal(u, results[0])
    # and the NumPy red and black half-sweeps give the same update
    plain = multigrid._GridLevel(trans, extra, compiled=False)
    u = u0.ravel().copy()
    plain.sweep(u, rhs.ravel(), 0)
    np.testing.assert_allclose(u.reshape(level.shape), results[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("compiled", [True, False])
def test_preconditioner_is_symmetric_positive_definite(compiled, monkeypatch):
    if compiled and not multigrid.available():
        pytest.skip("numba is not installed")
    monkeypatch.setattr(multigrid, "COMPILED", compiled)
    # two levels, the coarse one solved exactly: a linear cycle (the K-cycle steps on
    # intermediate levels are not linear, which is why the outer CG is the flexible one)
    monkeypatch.setattr(multigrid, "COARSE_SIZE", 5000)
    vol, _ = CASES["near percolation 0.35"]
    trans, extra, _ = _conduction_arrays(vol, 1.0, "z")
    hierarchy = multigrid.Hierarchy(trans, extra, extra_axis=0)
    assert len(hierarchy.levels) == 2
    active = hierarchy.levels[0].diag.ravel() > 0
    rng = np.random.default_rng(5)
    x, y = (np.where(active, rng.standard_normal(active.size), 0.0) for _ in range(2))
    bx, by = np.zeros_like(x), np.zeros_like(y)
    hierarchy.precondition(x, bx)
    hierarchy.precondition(y, by)
    # single-precision smoothing on the finest level: symmetric to rounding
    assert y @ bx == pytest.approx(x @ by, rel=1e-5)
    assert x @ bx > 0 and y @ by > 0
    assert np.all(bx[~active] == 0)


def test_iteration_counts_stay_small():
    # a regression guard on the preconditioner's quality (not a timing)
    for case, limit in [("random 0.7", 20), ("near percolation 0.35", 40), ("2-D section", 25)]:
        vol, spacing = CASES[case]
        _, info = multigrid.solve_grid(*_conduction_arrays(vol, spacing, "y"), extra_axis=1)
        assert info.iterations <= limit, case


def test_convergence_error_and_trivial_cases():
    vol, _ = CASES["random 0.7"]
    trans, extra, rhs = _conduction_arrays(vol, 1.0, "z")
    with pytest.raises(ConvergenceError, match=r"after 2 iterations"):
        multigrid.solve_grid(trans, extra, rhs, extra_axis=0, tol=1e-14, maxiter=2)
    u, info = multigrid.solve_grid(trans, extra, np.zeros_like(rhs))
    assert info.iterations == 0 and not u.any()
    # a single cell with a Dirichlet term: no coarse level is needed
    one = [np.zeros((0, 1, 1)), np.zeros((1, 0, 1)), np.zeros((1, 1, 0))]
    u, _ = multigrid.solve_grid(one, np.full((1, 1, 1), 2.0), np.full((1, 1, 1), 3.0))
    assert u[0, 0, 0] == pytest.approx(1.5)
    with pytest.raises(InputError):
        multigrid.solve_grid(trans, extra, rhs[0])
    with pytest.raises(InputError, match="without any coupling"):
        multigrid.solve_grid([np.zeros_like(t) for t in trans], np.zeros_like(extra), rhs)
    u, info = multigrid.solve_grid([np.zeros_like(t) for t in trans], extra * 0, rhs * 0)
    assert info.unknowns == (rhs.size,) and not u.any()


def test_works_without_numba(monkeypatch):
    # import fresh copies of the solver and its kernels as they load where numba is not installed
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "numba", None)  # makes `import numba` raise ImportError
    for name in [n for n in sys.modules if n == "operando._numba" or "multigrid" in n]:
        parent, _, attr = name.rpartition(".")
        monkeypatch.delitem(sys.modules, name)  # all restored after the test
        monkeypatch.delattr(sys.modules[parent], attr, raising=False)
    module = importlib.import_module("operando.electrochem.multigrid")
    assert module is not multigrid
    assert not module.available() and not module.COMPILED
    vol, _ = CASES["random 0.7"]
    arrays = _conduction_arrays(vol, 1.0, "x")
    u, _ = module.solve_grid(*arrays, extra_axis=2)
    k = np.where(percolating(vol, 2), 1.0, 0.0)
    np.testing.assert_allclose(u, _direct(k, *arrays), atol=1e-7)


@numba_only
@pytest.mark.parametrize("case", ["37x50x23", "anisotropic spacing", "2-D section"])
def test_compiled_and_numpy_hierarchies_are_identical(case, monkeypatch):
    vol, spacing = CASES[case]
    arrays = _conduction_arrays(vol, spacing, "x")
    compiled = multigrid.Hierarchy(*arrays[:2], extra_axis=2)
    monkeypatch.setattr(multigrid, "COMPILED", False)
    plain = multigrid.Hierarchy(*arrays[:2], extra_axis=2)
    assert len(plain.levels) == len(compiled.levels)
    for a, b in zip(plain.levels[:-1], compiled.levels[:-1], strict=True):
        np.testing.assert_array_equal(a.agg, b.agg)
    for a, b in zip(plain.levels[1:], compiled.levels[1:], strict=True):
        assert abs(a.matrix() - b.matrix()).max() <= 1e-12 * abs(b.matrix()).max()


def test_loose_tolerance_gives_a_second_order_conductivity():
    # σ_eff comes from the dissipated power, whose error is quadratic in the potential's error
    vol, _ = CASES["37x50x23"]
    direct = steady_conductivity(vol, axis="z", method="direct")
    loose = steady_conductivity(vol, axis="z", method="multigrid", tol=1e-6)
    assert loose.effective_conductivity == pytest.approx(direct.effective_conductivity, rel=1e-8)
    # Dirichlet's principle: an approximate potential dissipates more than the exact one
    assert loose.effective_conductivity >= direct.effective_conductivity * (1 - 1e-14)
