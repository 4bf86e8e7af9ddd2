"""Block-preconditioned FGMRES ("krylov") for the charge Jacobian: same results as the sparse LU,
iterations bounded under refinement, the preconditioner alone near-exact on a potential problem."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from operando.cell.presets import pollok2025
from operando.electrochem import ChargeModel, Galvanostatic, block_krylov, charge, newton
from operando.electrochem import solver as solver_module
from operando.electrochem.block_krylov import BlockKrylov, BlockPreconditioner, physical_jacobian
from operando.electrochem.model import ELECTROLYTE, NEGATIVE
from operando.electrochem.solver import _initial_state
from operando.electrochem.system import ChargeSystem

_spec = importlib.util.spec_from_file_location("cells", Path(__file__).with_name("charge_cells.py"))
cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cells)

MATERIALS = {"llzo": "LLZO_cubic", "llzo_gb": "LLZO_cubic"}


def _preset(voxel, nz):
    return ChargeModel.from_cell(pollok2025(voxel=voxel, nz=nz, material_of=MATERIALS))


def _first_jacobian(model, dt=5.0):
    system = ChargeSystem(model)
    x_full = np.where(model.cathode, model.x_init, np.nan)
    u, V = _initial_state(system, x_full)
    system.prepare(x_full, dt)
    R, RV, A, b, c, d, _ = system.residual_jacobian(
        u, V, system.split(u)[2], "cc", model.one_c_current()
    )
    return system, A, b, c, d, R, RV


@pytest.mark.parametrize(
    "model, protocol",
    [
        (cells.layered_cell([(NEGATIVE, 2), (ELECTROLYTE, 6), (NEGATIVE, 2)], nz=2),
         Galvanostatic(current_density=40.0, duration=1.0)),
        (cells.composite_cell(), Galvanostatic(current_density=20.0, duration=30.0)),
        (_preset(800e-9, 3), Galvanostatic(current_density=9.4, duration=30.0, v_max=4.6)),
    ],
    ids=["Li|LLZO|Li", "2-D composite", "3-D preset"],
)
def test_krylov_charges_like_the_direct_solve(model, protocol):
    runs = {m: charge(model, protocol, progress=False, method=m) for m in ("direct", "krylov")}
    a, b = runs["direct"], runs["krylov"]
    assert a.sizes == b.sizes
    # Newton stops on updates below PHI_TOL = 1e-10 V and X_TOL = 1e-12
    np.testing.assert_allclose(b.x_li, a.x_li, atol=1e-10, equal_nan=True)
    np.testing.assert_allclose(b.cell_voltage, a.cell_voltage, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(b.phi_i, a.phi_i, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(b.phi_e, a.phi_e, atol=1e-9, equal_nan=True)


def test_bordered_solve_matches_sparse_lu(monkeypatch):
    monkeypatch.setattr(block_krylov, "KRYLOV_RTOL", 1e-10)
    system, A, b, c, d, R, RV = _first_jacobian(_preset(800e-9, 3))
    du, dV = BlockKrylov().solve(system, A, b, c, d, R, RV)
    ref, ref_v = newton.JacobianSolver("direct").bordered(system, A, b, c, d, R, RV)
    assert dV == pytest.approx(ref_v, rel=1e-7)
    np.testing.assert_allclose(du, ref, atol=1e-7 * np.abs(ref).max())


def test_iterations_bounded_when_the_cell_is_refined():
    counts = []
    for voxel, nz in ((800e-9, 3), (400e-9, 6)):  # 8x the voxels
        krylov = BlockKrylov()
        krylov.solve(*_first_jacobian(_preset(voxel, nz)))
        counts.append(krylov.iterations[-1])
    assert counts[1] <= 2 * counts[0], counts


def test_reused_hierarchies_stay_near_fresh_ones_over_a_long_charge(monkeypatch):
    # 600 s at 0.94 mA/cm² (Pollok et al., Nat. Commun. 2025, L137): ~70 Jacobians whose time
    # steps, interface conductances and lithium contents drift from the first one
    model = _preset(800e-9, 3)
    protocol = Galvanostatic(current_density=9.4, duration=600.0, v_max=4.6)
    counts = {}
    for rebuild in ("reuse", "fresh"):
        if rebuild == "fresh":  # hierarchies built for every Jacobian
            monkeypatch.setattr(BlockKrylov, "_reusable", lambda *_: False)
        solver = newton.JacobianSolver("krylov")
        monkeypatch.setattr(solver_module, "JacobianSolver", lambda method, s=solver: s)
        charge(model, protocol, progress=False, method="krylov")
        counts[rebuild] = np.array(solver.krylov_iterations)
    assert counts["reuse"].size == counts["fresh"].size > 50
    # a reused solve exceeds 1.5x its build's count at most once before the rebuild
    assert counts["reuse"].max() <= 2 * np.median(counts["fresh"]), counts["reuse"]
    assert np.mean(counts["reuse"]) <= 1.3 * np.mean(counts["fresh"])


def test_a_drifted_potential_diagonal_forces_fresh_hierarchies():
    system, A, b, c, d, R, RV = _first_jacobian(_preset(800e-9, 3))
    krylov = BlockKrylov()
    krylov.solve(system, A, b, c, d, R, RV)
    phys, _ = physical_jacobian(A, system)
    npot = system.ne + system.ni
    assert krylov._reusable(phys, npot)
    for voxel, factor, reusable in ((3, 1.9, True), (3, 2.1, False), (npot - 1, 0.45, False),
                                    (npot, 10.0, True)):  # the x block is left to the iteration rule
        drifted = phys.tolil()
        drifted[voxel, voxel] *= factor
        assert krylov._reusable(drifted.tocsr(), npot) is reusable, (voxel, factor)


def test_preconditioner_alone_nearly_solves_a_potential_problem():
    # Li | LLZO | Li: two graph Laplacians joined by the interface conductances, no x block
    m = cells.layered_cell([(NEGATIVE, 3), (ELECTROLYTE, 12), (NEGATIVE, 3)], ny=6, nz=4)
    system, A, *_ = _first_jacobian(m)
    phys, _ = physical_jacobian(A, system)
    scale = 1.0 / np.sqrt(phys.diagonal())
    scaled = (phys.multiply(scale[:, None]).multiply(scale[None, :])).tocsr()
    pre = BlockPreconditioner(scaled, system.ne, system.ni, 1.0 / scale)
    r = np.random.default_rng(0).standard_normal(scaled.shape[0])
    assert np.linalg.norm(r - scaled @ pre(r)) < 0.1 * np.linalg.norm(r)


@pytest.mark.parametrize("model, limit", [(_preset(800e-9, 3), "KRYLOV_LIMIT_3D"),
                                          (cells.composite_cell(), "KRYLOV_LIMIT")])
def test_auto_uses_krylov_above_its_size_limit(model, limit, monkeypatch):
    jacobian = _first_jacobian(model)
    n = jacobian[1].shape[0]
    for value, krylov in ((n - 1, True), (n, False)):
        monkeypatch.setattr(newton, limit, value)
        auto = newton.JacobianSolver("auto")
        auto.bordered(*jacobian)
        assert len(auto.krylov_iterations) == krylov
