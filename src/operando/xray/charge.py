"""Charging the PEO-LiTFSI | NMC622 | Li cell with operando's charge solver, for the X-ray twin.

A 2-D section through the stack of Huang et al., J. Phys. Energy 2025 (current along x): a strip of Li
metal, the 30 µm SPE (σ = 1.75×10⁻⁴ S cm⁻¹ at 50 °C), and the 65 µm composite cathode drawn
as NMC622 particles (``particle_um`` long, ``particle_um`` − 1 µm wide) separated by 1 µm PEO-LiTFSI
channels, on an Al collector. Run at 60 °C with :func:`operando.electrochem.charge` and the
NMC622 laws of :mod:`operando.materials.nmc622`. The result's Li content through the cathode
thickness feeds :func:`operando.xray.cell.huang2025_scene`.

The protocol is the paper's: galvanostatic charge to 4.3 V, then discharge to 3.0 V, at one
C-rate, as an :class:`~operando.electrochem.Experiment`. The charge is written as two steps at the same
current, until 4.0 V and until 4.3 V, so that the imaged state "charging (4.0 V)" (Fig. 5b) is a
step end of the run's step log, like the end of charge and the end of discharge.

Limit of the solver that this section meets: its OCP (and the Newton Jacobian's dU/dx) is clamped at
x ≥ 0.45 (the LixCoO2 range), so at 0.1 C the voltage stays near 4.2 V while the SPE side of the
cathode empties, and the charge step ends on the OCP-range limit ("min_x" in the step log) before
4.3 V; the discharge starts from there.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from .. import materials
from .._checks import check_positive
from ..electrochem import ChargeModel, Experiment, charge
from ..electrochem.model import CATHODE, COLLECTOR, ELECTROLYTE, NEGATIVE
from ..errors import InputError
from ..grid import Grid
from ..materials import nmc622

__all__ = ["ASSUMPTIONS", "cathode_profile", "charge_huang2025", "huang2025_charge_model", "huang2025_protocol",
           "step_end_profiles"]

#: Modelling choices of the section (the paper gives none of these numbers).
ASSUMPTIONS = (
    "exchange current density NMC622|PEO-LiTFSI 1 A/m^2 and Li|PEO-LiTFSI 5 A/m^2 (order of literature values)",
    "SPE ionic conductivity at 60 C taken as the 50 C value 1.75e-4 S/cm (Huang et al. L151)",
    "composite cathode as NMC622 particles with 1 um electrolyte channels; carbon black and PVDF omitted",
)


def huang2025_charge_model(voxel_um: float = 1.0, particle_um: float = 5.0, n_rows: int = 4,
                           temperature_K: float = 333.15, x_init: float = 0.99) -> ChargeModel:
    """The 2-D section as a :class:`~operando.electrochem.ChargeModel` (one voxel deep in z)."""
    h = check_positive("voxel_um", voxel_um) * 1e-6
    p = int(round(check_positive("particle_um", particle_um) * 1e-6 / h))
    cathode = int(round(nmc_thickness() / h))
    spe = int(round(materials.get("PEO_LiTFSI").value("thickness") / h))
    li, coll = 3, 1
    nx, ny = li + spe + cathode + coll, n_rows * p
    phase = np.full((1, ny, nx), ELECTROLYTE, dtype=np.int8)
    phase[..., :li] = NEGATIVE
    phase[..., -coll:] = COLLECTOR
    c0 = li + spe
    rows = np.arange(ny) % p != p - 1  # the last row of each period is an electrolyte channel
    phase[0, rows, c0 : nx - coll] = CATHODE
    # particles: p voxels long in x, one period wide in y
    iy, ix = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    pid = np.where(phase[0] == CATHODE, (iy // p) * nx + (ix - c0) // p, -1)[None]
    sigma_i = np.where(phase == ELECTROLYTE, materials.get("PEO_LiTFSI").value("ionic_conductivity"), 0.0)
    sigma_e = np.where(phase == NEGATIVE, materials.get("Li").value("electronic_conductivity"), 0.0)
    sigma_e = np.where(phase == COLLECTOR, materials.get("Al").value("electronic_conductivity")
                       if materials.get("Al").has("electronic_conductivity") else 3.5e7, sigma_e)
    return ChargeModel(
        grid=Grid((1, ny, nx), (h, h, h)),
        phase=phase,
        sigma_e=sigma_e,
        sigma_i=sigma_i,
        x_init=np.where(phase == CATHODE, x_init, np.nan),
        particle_id=pid,
        lco=nmc622,
        i0_cathode=1.0,
        i0_anode=5.0,
        temperature=temperature_K,
        delta_x_1c=nmc622.PRACTICAL_DELTA_X,
        source={"cell": "Huang et al., J. Phys. Energy 2025 section", "assumptions": list(ASSUMPTIONS)},
    )


def nmc_thickness() -> float:
    from .cell import cathode_thickness

    return cathode_thickness()


def huang2025_protocol(c_rate: float = 0.1, *, v_charging: float = 4.0, v_max: float = 4.3,
                       v_min: float = 3.0) -> Experiment:
    """The paper's protocol at ``c_rate``: charge to ``v_max`` (V), passing ``v_charging``
    as a step boundary, then discharge to ``v_min``; snapshots every tenth of an hour at 1/``c_rate``
    and the whole run limited to 2.1 h/``c_rate``."""
    rate = check_positive("c_rate", c_rate)
    if not v_min < v_charging < v_max:
        raise InputError(f"v_charging: must lie in (v_min, v_max) = ({v_min:g}, {v_max:g}) V, got {v_charging!r}")
    hour = 3600.0 / rate
    return Experiment([f"Charge at {rate:g}C until {v_charging:g} V", f"Charge at {rate:g}C until {v_max:g} V",
                       f"Discharge at {rate:g}C until {v_min:g} V"],
                      output_interval=hour / 10, max_time=2.1 * hour)


def charge_huang2025(c_rate: float = 0.1, *, v_max: float = 4.3, v_min: float = 3.0, discharge: bool = True,
                     model: ChargeModel | None = None, progress: bool = False, **kw) -> xr.Dataset:
    """Run :func:`huang2025_protocol` (without its discharge step when ``discharge`` is False) on
    the section; xarray.Dataset of the solver with its step log (``protocol_*``)."""
    m = model or huang2025_charge_model(**kw)
    experiment = huang2025_protocol(c_rate, v_max=v_max, v_min=v_min)
    if not discharge:
        experiment = dataclasses.replace(experiment, steps=experiment.steps[:2])
    min_x = nmc622.ocp_range()[0] + 0.01
    return charge(m, experiment, progress=progress, min_x=min_x)


def step_end_profiles(ds: xr.Dataset) -> np.ndarray:
    """Cathode Li profile (as :func:`cathode_profile`) at the end of every step of the step log,
    (n_steps, n_columns): the snapshot saved at each ``protocol_end_time``."""
    t = ds["t"].values
    idx = [int(np.argmin(np.abs(t - te))) for te in ds["protocol_end_time"].values]
    return cathode_profile(ds)[idx]


def cathode_profile(ds) -> np.ndarray:
    """Mean Li content of the cathode per x column (through its thickness), (n_t, n_columns),
    ordered from the SPE side to the collector."""
    x = np.asarray(ds["x_li"].values)  # (t, z, y, x)
    cols = np.any(np.isfinite(x[0]), axis=(0, 1))
    with np.errstate(invalid="ignore"):
        return np.nanmean(x[..., cols], axis=(1, 2))
