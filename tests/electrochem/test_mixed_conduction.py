"""Mixed ionic–electronic conduction in LixCoO2: Wagner's closed form, limits, conservation."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import physical_constants

from operando.electrochem import Galvanostatic, charge
from operando.electrochem.fluxes import state_fluxes, total_faces
from operando.electrochem.model import CATHODE, COLLECTOR, ELECTROLYTE, NEGATIVE
from operando.electrochem.newton import newton
from operando.electrochem.operators import divergence
from operando.electrochem.solver import _initial_state
from operando.electrochem.system import ChargeSystem
from operando.materials import lixcoo2

_spec = importlib.util.spec_from_file_location("cells", Path(__file__).with_name("charge_cells.py"))
cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cells)

F = physical_constants["Faraday constant"][0]
NCAT, DX, D, J = 20, 5e-8, 1e-14, 2.0  # slab of 1 µm, D, current density (A/m²)


def _slab(sigma_e, sigma_ion):
    lco = cells.MixedLCO(sigma_ion=sigma_ion, diffusivity=D, sigma_e=sigma_e)
    m = cells.layered_cell(
        [(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, NCAT), (COLLECTOR, 1)], spacing=DX, lco=lco
    )
    L = NCAT * DX
    duration = 3 * L**2 / D  # pseudo-steady state: the slowest mode decays as exp(−π² D t / L²)
    ds = charge(m, Galvanostatic(current_density=J, duration=duration, save_every=duration),
                progress=False)
    return m, ds, ds.x_li.isel(t=-1).values[0, 0, 5 : 5 + NCAT]


def _wagner_profile(t_e):
    """Pseudo-steady x(s) − x(s₀) in a slab 0 < s < L charged at j: Li+ leaves at s = 0 (LLZO),
    electrons at s = L (blocking collector). Li+ current j_Li = −t_ion j − F c D x' with
    j_Li(L) = 0 and j_Li(0) = −j gives F c D x' = j (t_e − s/L)."""
    L = NCAT * DX
    s = (np.arange(NCAT) + 0.5) * DX
    prof = J / (F * cells.LinearLCO().cmax * D) * (t_e * s - s**2 / (2 * L))
    return prof - prof[0]


@pytest.mark.parametrize(
    "sigma_e,sigma_ion",
    [(1e3, 0.0), (30.0, 10.0), (10.0, 10.0), (1e-5, 10.0)],
    ids=["electronic", "t_ion=0.25", "t_ion=0.5", "ionic"],
)
def test_mixed_conductor_slab_matches_wagner_closed_form(sigma_e, sigma_ion):
    # the pure electronic conductor (t_ion = 0) is the single-carrier model: x lowest at the
    # LLZO face; the pure ionic one (t_ion → 1) its mirror image, lowest at the collector
    m, ds, x = _slab(sigma_e, sigma_ion)
    t_e = sigma_e / (sigma_e + sigma_ion)
    expected = _wagner_profile(t_e)
    scale = np.abs(_wagner_profile(1.0)).max()
    err = np.abs((x - x[0]) - expected).max() / scale
    print(f"t_e = {t_e:.3g}: max deviation {err:.2e} of the single-carrier drop")
    assert err < 1e-4
    # lithium inventory = charge passed / F, whatever carries the current inside
    x_all = ds.x_li.isel(t=-1).values[m.cathode]
    lost = (m.x_init[m.cathode] - x_all).sum() * m.max_concentration() * m.grid.voxel_volume
    assert lost * F == pytest.approx(ds.charge_passed.values[-1], rel=1e-8)


def test_mixed_conductor_slab_ohmic_drop_uses_both_carriers():
    # the charge current crosses the slab through σ_e + σ_ion in parallel: the electronic
    # potential falls linearly by j L / (σ_e + σ_ion)
    sigma_e, sigma_ion = 30.0, 10.0
    _, ds, _ = _slab(sigma_e, sigma_ion)
    phe = ds.phi_e.isel(t=-1).values[0, 0, 5 : 5 + NCAT]
    np.testing.assert_allclose(np.diff(phe), J * DX / (sigma_e + sigma_ion), rtol=1e-6)
    jion = ds.J_ion.isel(t=-1).values[0, 0, 0, 6 : 4 + NCAT]  # x component, inner voxels
    np.testing.assert_allclose(jion, -J * sigma_ion / (sigma_e + sigma_ion), rtol=1e-6)


def test_vanishing_ionic_conductivity_is_the_single_carrier_model():
    single = charge(cells.composite_cell(lco=cells.LinearLCO()),
                    Galvanostatic(c_rate=2.0, duration=300), progress=False)
    mixed = charge(cells.composite_cell(lco=cells.MixedLCO(sigma_ion=0.0)),
                   Galvanostatic(c_rate=2.0, duration=300), progress=False)
    np.testing.assert_array_equal(mixed.x_li.values, single.x_li.values)
    np.testing.assert_array_equal(mixed.cell_voltage.values, single.cell_voltage.values)


@pytest.mark.parametrize("sigma_ion", [1.0, 10.0])
def test_mixed_conduction_conserves_charge_and_lithium(sigma_ion):
    m = cells.composite_cell(seed=3, lco=cells.MixedLCO(sigma_ion=sigma_ion))
    sys_ = ChargeSystem(m)
    x = np.where(m.cathode, m.x_init, np.nan)
    u, V = _initial_state(sys_, x)
    sys_.prepare(x, 30.0)
    current = 3 * m.one_c_current()
    x_old = sys_.split(u)[2].copy()
    u, V, i_face, _ = newton(sys_, u, V, x_old, "cc", current, current_scale=current)
    faces = state_fluxes(sys_, u, V, i_face)
    div = divergence(total_faces(faces))
    assert np.abs(div).max() < 1e-8 * current
    np.testing.assert_allclose(total_faces(faces)[2].sum(axis=(0, 1)), -current, rtol=1e-8)
    # the Li+ migration current inside LixCoO2 is there and carries its share
    mig = np.abs(np.concatenate([f.ravel() for f in faces["ionic"]]))
    assert mig.max() > 1e-3 * current
    lost = (x_old - sys_.split(u)[2]).sum() * m.max_concentration() * m.grid.voxel_volume
    assert lost * F == pytest.approx(current * 30.0, rel=1e-8)


def test_lixcoo2_ionic_conductivity_spans_the_papers_range():
    # Pollok et al., Nat. Commun. 2025 (seed 000 L137): the ionic conductivity of LixCoO2 varies
    # by more than an order of magnitude over the cycled range; Table 1 (L102): 1e-7 S/cm at x = 1
    x = np.linspace(0.5, 1.0, 501)
    sig = lixcoo2.ionic_conductivity(x)
    assert sig[-1] == pytest.approx(1e-5)
    assert 10 < sig.max() / sig.min() < 200
