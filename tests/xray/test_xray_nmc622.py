"""NMC622 laws for the charge solver and the PEO|NMC622|Li section charged with it."""

import numpy as np
import pytest

from operando import materials
from operando.errors import InputError
from operando.materials import nmc622
from operando.xray.charge import cathode_profile, charge_huang2025, huang2025_charge_model


def test_interface_the_solver_needs():
    x = np.linspace(0.3, 1.0, 15)
    u = nmc622.ocp(x)
    assert np.all(np.diff(u) < 0)  # the OCP falls as Li is inserted
    assert nmc622.ocp(0.35) == pytest.approx(4.3, abs=0.05)  # 4.3 V cut-off near x = 0.35 (data-file table)
    assert nmc622.diffusivity(x).shape == x.shape and np.all(nmc622.diffusivity(x) > 0)
    assert nmc622.electronic_conductivity(0.5) > 0
    assert nmc622.max_concentration() == pytest.approx(1 / materials.get("NMC622").value("molar_volume"))
    with pytest.raises(InputError, match="x"):
        nmc622.ocp(1.5)


def test_capacity_and_assumptions_are_explicit():
    # Huang et al., J. Phys. Energy 2025 (seed 002 L151): 171 mAh/g charged at 0.1 C; theoretical 276.5 mAh/g
    assert nmc622.theoretical_capacity() / 3.6e3 == pytest.approx(276.5, abs=0.5)
    assert nmc622.PRACTICAL_DELTA_X == pytest.approx(171 / 276.5, abs=0.002)
    notes = " ".join(nmc622.assumptions())
    assert "diffusivity" in notes and "ocp" in notes


def test_a_1c_charge_delithiates_the_spe_side_first():
    model = huang2025_charge_model(voxel_um=2.5, particle_um=5.0, n_rows=2)
    ds = charge_huang2025(1.0, model=model)
    fast = cathode_profile(ds)[-1]
    assert fast[0] < fast[-1] - 0.05  # ionic transport through the composite limits the rate
    assert ds.attrs["termination"] == "v_max" and ds["cell_voltage"].values[-1] == pytest.approx(4.3, abs=0.01)


@pytest.mark.slow
def test_0p1c_charges_deeper_than_1c():
    # Huang et al., J. Phys. Energy 2025 Table 1 (seed 002 L182-L186): end of charge x = 0.26 at 0.1 C, 0.66 at 1 C
    slow = cathode_profile(charge_huang2025(0.1))[-1].mean()
    fast = cathode_profile(charge_huang2025(1.0))[-1].mean()
    assert slow < fast - 0.2


@pytest.mark.slow
def test_the_experiment_runs_end_to_end(tmp_path):
    from operando.xray.experiment import run_huang2025

    out = run_huang2025(tmp_path, voxel_xy=1e-3, voxel_z=25e-6, rates=(1.0,))
    assert {c["id"] for c in out["claims"]} == {"X1", "X2", "X3"}
    assert all(c["verdict"] in ("reproduced", "differs", "by construction") for c in out["claims"])
    assert (tmp_path / "claims.json").exists() and (tmp_path / "spectra_windows.png").exists()
