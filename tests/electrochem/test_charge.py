"""Charge solver: conservation laws, closed forms, checkpoint/resume and bad input."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.constants import R, physical_constants

from operando.electrochem import ChargeModel, Galvanostatic, charge
from operando.electrochem.fluxes import state_fluxes, total_faces
from operando.electrochem.model import CATHODE, COLLECTOR, ELECTROLYTE, NEGATIVE, VOID
from operando.electrochem.newton import newton
from operando.electrochem.operators import divergence
from operando.electrochem.solver import _initial_state
from operando.electrochem.system import ChargeSystem
from operando.errors import InputError

_spec = importlib.util.spec_from_file_location("cells", Path(__file__).with_name("charge_cells.py"))
cells = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cells)

F = physical_constants["Faraday constant"][0]


@pytest.mark.parametrize("nz,spacing", [(1, 1e-7), (2, (0.3e-6, 0.2e-6, 0.1e-6))])
def test_symmetric_li_cell_matches_butler_volmer_and_ohm(nz, spacing):
    # Li | LLZO | Li: V = 2·(2/f)·asinh(j / 2 i0) + j (L_el/σ_el + L_Li/σ_Li), exact for α = 1/2
    nli, nel, i0, j = 2, 6, 3.0, 40.0
    m = cells.layered_cell(
        [(NEGATIVE, nli), (ELECTROLYTE, nel), (NEGATIVE, nli)], nz=nz, spacing=spacing, i0_anode=i0
    )
    ds = charge(m, Galvanostatic(current_density=j, duration=1.0), progress=False)
    f = F / (R * m.temperature)
    dx = m.grid.dx
    expected = 2 * (2 / f) * np.arcsinh(j / (2 * i0)) + j * (nel * dx / 1e-2 + 2 * nli * dx / 1e5)
    assert ds.cell_voltage.values[-1] == pytest.approx(expected, rel=1e-10)
    # uniform slab: linear ionic potential with slope j/σ, J_ion = −j (towards the negative side)
    phi = ds.phi_i.isel(t=-1).values[..., nli : nli + nel]
    np.testing.assert_allclose(np.diff(phi, axis=-1), j * dx / 1e-2, rtol=1e-9)
    jion = ds.J_ion.isel(t=-1).values
    np.testing.assert_allclose(jion[0, ..., nli : nli + nel], -j, rtol=1e-9)
    np.testing.assert_allclose(jion[1:], 0.0, atol=1e-9 * j)


def _slab_series(s, t, L, D, flux):
    """Constant flux ``flux`` (mol/m²/s) out of s = 0 of a slab 0 < s < L, none at s = L."""
    xi = (L - s) / L
    n = np.arange(1, 400)[:, None]
    series = np.sum(
        (-1.0) ** n / n**2 * np.exp(-(n**2) * np.pi**2 * D * t / L**2) * np.cos(n * np.pi * xi),
        axis=0,
    )
    return flux * L / D * (D * t / L**2 + xi**2 / 2 - 1 / 6 - 2 / np.pi**2 * series)


def test_diffusion_into_slab_particle_matches_series():
    ncat, D, dx = 20, 1e-14, 5e-8
    lco = cells.LinearLCO(diffusivity=D, sigma_e=1e3)
    m = cells.layered_cell(
        [(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, ncat), (COLLECTOR, 1)], spacing=dx, lco=lco
    )
    L = ncat * dx
    j = 2.0  # A/m²
    duration = 0.5 * L**2 / D
    ds = charge(
        m,
        Galvanostatic(current_density=j, duration=duration, save_every=duration / 2, max_dx=2e-4),
        progress=False,
    )
    s = (np.arange(ncat) + 0.5) * dx
    assert ds.t.values[0] == 0.0 and np.all(ds.x_li.isel(t=0).values[0, 0, 5 : 5 + ncat] == 0.95)
    for k, t in enumerate(ds.t.values[1:], start=1):
        x = ds.x_li.isel(t=k).values[0, 0, 5 : 5 + ncat]
        drop = _slab_series(s, t, L, D, j / F) / lco.cmax
        err = np.abs((0.95 - x) - drop).max() / drop.max()
        print(f"t = {t:.1f} s: max error {err:.2e} of the largest drop")
        assert err < 3e-3


def _conservation_run(**kw):
    m = cells.composite_cell(**kw)
    ds = charge(m, Galvanostatic(c_rate=2.0, duration=900, save_every=300), progress=False)
    return m, ds


def test_conservation_reaction_current_and_lithium_inventory():
    m, ds = _conservation_run()
    vvox = m.grid.voxel_volume
    current = ds.attrs["applied_current"]
    cat, neg = m.phase == CATHODE, m.phase == NEGATIVE
    assert ds.t.values[0] == 0.0 and ds.current.values[0] == 0.0  # the pristine state, at rest
    for k in range(1, ds.sizes["t"]):
        react = ds.reaction_current.isel(t=k).values * vvox
        assert abs(react[cat].sum() - current) < 1e-6 * current  # Σ reaction at LixCoO2 = I
        assert abs(react[neg].sum() + current) < 1e-6 * current  # and −I at the Li metal
        assert abs(ds.current.values[k] - current) < 1e-9 * current
        # lithium lost from LixCoO2 = charge passed / F
        lost = np.nansum(0.97 - ds.x_li.isel(t=k).values) * m.max_concentration() * vvox
        assert lost * F == pytest.approx(ds.charge_passed.values[k], rel=1e-8)
    assert ds.charge_passed.values[-1] == pytest.approx(current * 900, rel=1e-9)
    assert ds.attrs["termination"] == "duration"


def test_total_current_is_divergence_free():
    m = cells.composite_cell(seed=3)
    sys_ = ChargeSystem(m)
    x = np.where(m.cathode, m.x_init, np.nan)
    u, V = _initial_state(sys_, x)
    sys_.prepare(x, 30.0)
    current = 3 * m.one_c_current()
    u, V, i_face, _ = newton(
        sys_, u, V, sys_.split(u)[2].copy(), "cc", current, current_scale=current
    )
    div = divergence(total_faces(state_fluxes(sys_, u, V, i_face)))
    assert np.abs(div).max() < 1e-8 * current
    # and the current through every cross-section x = const is the applied current
    faces = total_faces(state_fluxes(sys_, u, V, i_face))
    np.testing.assert_allclose(faces[2].sum(axis=(0, 1)), -current, rtol=1e-8)


def test_checkpoint_resume_matches_uninterrupted(tmp_path):
    m = cells.composite_cell(seed=1)
    proto = Galvanostatic(c_rate=3.0, duration=600, save_every=100)
    full = charge(m, proto, progress=False)
    path = tmp_path / "run.nc"

    class Stop(Exception):
        pass

    def interrupt(ds):
        if ds.sizes["t"] == 2:
            raise Stop

    with pytest.raises(Stop):
        charge(m, proto, checkpoint=path, callback=interrupt, progress=False)
    resumed = charge(m, proto, checkpoint=path, progress=False)
    assert resumed.sizes["t"] == full.sizes["t"] == 7  # t = 0 and every 100 s
    np.testing.assert_allclose(resumed.x_li.values, full.x_li.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(resumed.cell_voltage.values, full.cell_voltage.values, rtol=1e-12)
    np.testing.assert_allclose(resumed.time.values, full.time.values, rtol=1e-10)
    # a checkpoint of another protocol is refused rather than silently continued
    with pytest.raises(InputError, match="checkpoint"):
        charge(m, Galvanostatic(c_rate=2.0, duration=600, save_every=100), checkpoint=path, progress=False)


def test_cutoff_and_constant_voltage_hold():
    m = cells.composite_cell(seed=2)
    base = charge(m, Galvanostatic(c_rate=5.0, duration=600), progress=False)
    v_max = float(base.time_voltage.values[3]) + 0.5 * float(
        np.diff(base.time_voltage.values[3:5])[0]
    )
    cut = charge(m, Galvanostatic(c_rate=5.0, duration=600, v_max=v_max), progress=False)
    assert cut.attrs["termination"] == "v_max"
    assert cut.cell_voltage.values[-1] == pytest.approx(v_max, abs=5e-3)
    cv = charge(
        m, Galvanostatic(c_rate=5.0, duration=600, v_max=v_max, cv_hold=100.0), progress=False
    )
    assert cv.attrs["termination"] in ("cv_hold", "duration")
    hold = cv.time_voltage.values[-3:]
    np.testing.assert_allclose(hold, v_max, rtol=1e-9)
    assert (
        cv.time_current.values[-1] < 0.95 * cv.attrs["applied_current"]
    )  # current decays at constant V


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(c_rate=0.0),
        dict(c_rate=-1.0),
        dict(c_rate=1.0, v_max=3.0, v_min=4.0),
        dict(c_rate=1.0, current_density=5.0),
        dict(),
        dict(c_rate=1.0, duration=0.0),
        dict(c_rate=float("nan")),
    ],
)
def test_bad_protocol(kwargs):
    with pytest.raises(InputError):
        Galvanostatic(**kwargs)


def test_bad_cells():
    # no ionic path: a wall of void between the separator and the composite
    with pytest.raises(InputError, match="ionic path"):
        cells.layered_cell(
            [
                (NEGATIVE, 2),
                (ELECTROLYTE, 3),
                (VOID, 1),
                (ELECTROLYTE, 1),
                (CATHODE, 4),
                (COLLECTOR, 1),
            ]
        )
    with pytest.raises(InputError, match="sigma_i"):
        cells.layered_cell([(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, 4)], sigma_el=-1.0)
    with pytest.raises(InputError, match="x_init"):
        cells.layered_cell([(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, 4)], x0=1.3)
    with pytest.raises(InputError, match="i0_cathode"):
        cells.layered_cell([(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, 4)], i0_cathode=0.0)
    with pytest.raises(InputError, match="contact"):  # no Li metal on the x = 0 face
        cells.layered_cell([(ELECTROLYTE, 3), (CATHODE, 4)])
    with pytest.raises(InputError, match="short"):
        cells.layered_cell([(NEGATIVE, 2), (CATHODE, 4), (COLLECTOR, 1)])
    sym = cells.layered_cell([(NEGATIVE, 2), (ELECTROLYTE, 3), (NEGATIVE, 2)])
    with pytest.raises(InputError, match="c_rate"):
        charge(sym, Galvanostatic(c_rate=1.0), progress=False)
    with pytest.raises(InputError, match="protocol"):
        charge(sym, {"c_rate": 1.0}, progress=False)


def test_model_from_arrays_is_a_chargemodel():
    m = cells.layered_cell([(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, 4), (COLLECTOR, 1)])
    assert isinstance(m, ChargeModel)
    # 1 C: F c_max Δx V_cathode / 3600 s
    expected = F * 5e4 * 0.5 * 4 * 3 * m.grid.voxel_volume / 3600
    assert m.one_c_current() == pytest.approx(expected, rel=1e-12)


def test_amg_krylov_path_matches_direct_3d():
    m = cells.layered_cell(
        [(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, 5), (COLLECTOR, 1)],
        ny=3,
        nz=2,
        spacing=(1e-7, 2e-7, 1e-7),
    )
    proto = Galvanostatic(c_rate=4.0, duration=120.0, save_every=60.0)
    direct = charge(m, proto, progress=False, method="direct")
    amg = charge(m, proto, progress=False, method="amg")
    np.testing.assert_allclose(amg.cell_voltage.values, direct.cell_voltage.values, rtol=1e-9)
    np.testing.assert_allclose(amg.x_li.values, direct.x_li.values, atol=1e-10)


def test_reused_factorization_matches_direct(monkeypatch):
    # force the reuse of the LU (normally only where its fill is 3-D-like): GMRES on the new
    # Jacobian, preconditioned by an older factorization, gives the same run
    from operando.electrochem import newton as newton_module

    m = cells.layered_cell(
        [(NEGATIVE, 2), (ELECTROLYTE, 3), (CATHODE, 5), (COLLECTOR, 1)], ny=3, nz=2,
        spacing=(1e-7, 2e-7, 1e-7),
    )
    proto = Galvanostatic(c_rate=4.0, duration=120.0, save_every=60.0)
    direct = charge(m, proto, progress=False, method="direct")
    monkeypatch.setattr(newton_module, "REUSE_FILL", 0)
    factorizations = []
    real_splu = newton_module.spla.splu
    monkeypatch.setattr(newton_module.spla, "splu", lambda a: factorizations.append(1) or real_splu(a))
    reused = charge(m, proto, progress=False, method="auto")
    assert len(factorizations) < reused.sizes["time"]  # fewer LUs than time steps
    np.testing.assert_allclose(reused.cell_voltage.values, direct.cell_voltage.values, rtol=1e-9)
    np.testing.assert_allclose(reused.x_li.values, direct.x_li.values, atol=1e-10)
    with pytest.raises(InputError, match="method"):
        charge(m, proto, progress=False, method="lu")
