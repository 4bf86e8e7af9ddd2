"""Electronic leakage through the electrolyte (grain boundaries): closed form and conservation."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import R, physical_constants
from scipy.optimize import brentq

from operando.electrochem import ChargeModel, Galvanostatic, charge
from operando.electrochem.fluxes import state_fluxes, total_faces
from operando.electrochem.model import CATHODE, ELECTROLYTE, NEGATIVE
from operando.electrochem.newton import newton
from operando.electrochem.operators import divergence
from operando.electrochem.solver import _initial_state
from operando.electrochem.system import ChargeSystem
from operando.errors import InputError

_spec = importlib.util.spec_from_file_location("cells", Path(__file__).with_name("charge_cells.py"))
cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cells)

F = physical_constants["Faraday constant"][0]


def _with_leak(model, sigma_leak, where=None):
    sel = model.phase == ELECTROLYTE if where is None else where
    kw = {k: getattr(model, k) for k in ("grid", "phase", "sigma_i", "x_init", "particle_id",
                                         "lco", "i0_cathode", "i0_anode")}
    return ChargeModel(sigma_e=np.where(sel, sigma_leak, model.sigma_e), **kw)


@pytest.mark.parametrize("sigma_leak", [0.0, 1e-3, 1e-2])
def test_symmetric_li_cell_with_leaky_electrolyte(sigma_leak):
    # Li | mixed-conducting electrolyte | Li: the electrons' shunt σ_e,leak / L in parallel with
    # the ionic branch (2 Butler–Volmer overpotentials + ohmic drop):
    #   j = j_ion + V σ_leak / L,  V = 2·(2/f)·asinh(j_ion / 2 i0) + j_ion L / σ_i
    nli, nel, i0, j, sig_i, dx = 2, 6, 3.0, 40.0, 1e-2, 1e-7
    base = cells.layered_cell(
        [(NEGATIVE, nli), (ELECTROLYTE, nel), (NEGATIVE, nli)], spacing=dx, i0_anode=i0,
        sigma_li=1e9, sigma_el=sig_i,
    )
    m = _with_leak(base, sigma_leak)
    ds = charge(m, Galvanostatic(current_density=j, duration=1.0), progress=False)
    f = F / (R * m.temperature)
    L = nel * dx

    def ionic_volts(j_ion):
        return 2 * (2 / f) * np.arcsinh(j_ion / (2 * i0)) + j_ion * L / sig_i

    j_ion = brentq(lambda ji: ji + ionic_volts(ji) * sigma_leak / L - j, 0, j)
    assert ds.cell_voltage.values[-1] == pytest.approx(ionic_volts(j_ion), rel=1e-6)
    # the electronic current in the electrolyte is the shunt's
    je = ds.J_e.isel(t=-1).values[0, ..., nli + 1 : nli + nel - 1]
    np.testing.assert_allclose(je, -(j - j_ion), rtol=1e-6, atol=1e-9 * j)


def test_leakage_conserves_charge_and_shunts_the_reaction():
    base = cells.composite_cell(seed=3)
    # leak along two rows of the electrolyte, from the Li metal to the LixCoO2
    rows = np.zeros(base.phase.shape, bool)
    rows[0, [0, 7], :] = True
    m = _with_leak(base, 3e-6, rows & (base.phase == ELECTROLYTE))
    sys_ = ChargeSystem(m)
    assert sys_.leak.sum() > 10
    x = np.where(m.cathode, m.x_init, np.nan)
    u, V = _initial_state(sys_, x)
    sys_.prepare(x, 30.0)
    current = 3 * m.one_c_current()
    u, V, i_face, _ = newton(sys_, u, V, sys_.split(u)[2].copy(), "cc", current,
                             current_scale=current)
    faces = state_fluxes(sys_, u, V, i_face)
    div = divergence(total_faces(faces))
    assert np.abs(div).max() < 1e-8 * current
    np.testing.assert_allclose(total_faces(faces)[2].sum(axis=(0, 1)), -current, rtol=1e-8)
    react = i_face * sys_.r_area
    at_cathode = react[sys_.r_cat].sum()
    assert react[~sys_.r_cat].sum() == pytest.approx(-at_cathode, rel=1e-8)  # Li+ conserved
    leak = current - at_cathode
    assert 1e-3 * current < leak < current  # a real, partial shunt
    # the electronic current crossing the separator is the leakage
    sep = faces["electronic"][2][..., 5]
    assert sep.sum() == pytest.approx(-leak, rel=1e-6)


def test_isolated_leaky_islands_are_ignored():
    base = cells.composite_cell(seed=3)
    island = np.zeros(base.phase.shape, bool)
    island[0, 5, 4:6] = True  # two electrolyte voxels touching no electrode
    assert (base.phase[island] == ELECTROLYTE).all()
    sys_ = ChargeSystem(_with_leak(base, 1e-3, island))
    assert not sys_.leak.any()


def test_zero_leakage_is_the_model_without_it():
    base = cells.composite_cell(seed=1)
    run = [charge(mod, Galvanostatic(c_rate=2.0, duration=300), progress=False)
           for mod in (base, _with_leak(base, 0.0))]
    np.testing.assert_array_equal(run[0].x_li.values, run[1].x_li.values)


def test_cell_grain_boundaries_leak_with_their_own_sheet_conductance():
    from operando import materials
    from operando.cell import presets

    cell = presets.pollok2025(voxel=500e-9, nz=1, dendrite=False)
    gb = cell.mask("llzo_gb")
    model = ChargeModel.from_cell(cell)
    value = materials.get(cell.material_of["llzo_gb"]).value("electronic_conductivity")
    np.testing.assert_allclose(model.sigma_e[gb], cell.grain_boundary_fill() * value)
    assert not model.sigma_e[cell.mask("llzo")].any()  # the grains do not leak
    assert ChargeSystem(model).leak.sum() > 0.5 * gb.sum()


def test_bad_leakage_conductivity():
    base = cells.composite_cell()
    with pytest.raises(InputError, match="sigma_e: electronic leakage"):
        _with_leak(base, -1.0)
    assert CATHODE in np.unique(base.phase)


def test_leakage_above_the_applied_current_stops_at_full_lithiation():
    # a shunt larger than the applied current discharges the cell: the run stops at x = 1
    base = cells.composite_cell(seed=3)
    rows = np.zeros(base.phase.shape, bool)
    rows[0, [0, 7], :] = True
    m = _with_leak(base, 3e-5, rows & (base.phase == ELECTROLYTE))
    ds = charge(m, Galvanostatic(c_rate=0.05, duration=36000.0), progress=False)
    assert ds.attrs["termination"] == "max_x"
    assert np.nanmax(ds.x_li.values) < 1.01  # the step that crosses it is the last
    assert np.nanmean(ds.x_li.isel(t=-1).values) > 0.97  # lithiated, not charged
