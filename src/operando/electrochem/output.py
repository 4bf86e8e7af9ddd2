"""Saved states of a charge run and their assembly into an xarray.Dataset."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..grid import COMPONENTS
from ..io import provenance
from .model import COLLECTOR


def snapshot(system, u, V, t, i_face, je, ji, current, charge_passed) -> dict:
    """Full-grid arrays of one solved state (NaN where a field is not defined)."""
    m = system.model
    shape = m.phase.shape
    _, phi, x = system.split(u)
    phe = system.phi_e(u, V)
    out = {name: np.full(shape, np.nan) for name in ("x_li", "phi_e", "phi_i")}
    out["x_li"][system.cat] = x
    out["phi_e"][system.elec] = phe
    out["phi_e"][m.phase == COLLECTOR] = V
    out["phi_i"][system.ion] = phi
    reaction = np.zeros(shape)
    np.add.at(reaction.reshape(-1), system.r_vox_e, i_face * system.r_area / system.vvox)
    out["reaction_current"] = reaction
    out.update(J_e=je, J_ion=ji, t=float(t), V=float(V), I=float(current), Q=float(charge_passed))
    return out


VARIABLES = {
    "x_li": ("1", "lithium content x of LixCoO2 (NaN outside LixCoO2)"),
    "phi_e": ("V", "electronic potential (NaN outside electronic conductors)"),
    "phi_i": ("V", "ionic potential in the electrolyte (NaN outside it)"),
    "reaction_current": (
        "A/m^3",
        "interfacial reaction current per electrode voxel volume, + = anodic",
    ),
    "J_e": ("A/m^2", "electronic current density at voxel centres"),
    "J_ion": ("A/m^2", "ionic current density at voxel centres"),
}


#: the time series of every accepted solver step, on dim ``time``: (variable, history key, units, long name)
SERIES = (
    ("time_voltage", "V", "V", "cell voltage at every solver time step"),
    ("time_current", "I", "A", "terminal current at every solver time step, + = charge"),
    ("time_charge", "Q", "C", "charge passed since t = 0 (signed: + = charge) at every solver time step"),
    ("time_protocol_step", "k", "1", "index of the protocol step each solver time step belongs to"),
)
#: the step log, on dim ``protocol_step``: (variable, log key, units, long name)
STEP_LOG = (
    ("protocol_cycle", "cycle", "1", "cycle of the experiment the step belongs to (from 0)"),
    ("protocol_kind", "kind", None, "current | voltage | rest"),
    ("protocol_description", "description", None, "the step as written"),
    ("protocol_start_time", "t0", "s", "time the step started"),
    ("protocol_end_time", "t1", "s", "time the step ended"),
    ("protocol_start_voltage", "V0", "V", "cell voltage where the step started (= the previous end)"),
    ("protocol_end_voltage", "V1", "V", "cell voltage where the step ended"),
    ("protocol_charge", "Q", "C", "charge passed in the step (signed: + = charge)"),
    ("protocol_end_reason", "reason", None,
     "why the step ended: until voltage | until time | until charge | until current | max_time | min_x | max_x"),
)


def to_dataset(system, saved: list[dict], history: dict, log: list[dict], meta: dict,
               reason: str) -> xr.Dataset:
    """Dataset of a charge run. Three time axes, each named once:

    * ``t`` (s): the saved snapshots — full fields (``x_li``, ``phi_e``, ...) and ``cell_voltage``,
      ``current``, ``charge_passed``, ``current_density`` — from the pristine state at t = 0;
    * ``time`` (s): every accepted solver time step from t = 0 (``time_voltage``, ``time_current``,
      ``time_charge``, ``time_protocol_step``): the voltage curve;
    * ``protocol_step``: the step log (``protocol_*``), one entry per step run, with why it ended.
    """
    g = system.model.grid
    coords = g.coords()
    coords["component"] = list(COMPONENTS)
    coords["t"] = xr.DataArray(np.array([s["t"] for s in saved]), dims="t",
                               attrs={"units": "s", "long_name": "time of the saved snapshot"})
    coords["time"] = xr.DataArray(np.asarray(history["t"], dtype=float), dims="time",
                                  attrs={"units": "s", "long_name": "time of the solver step"})
    coords["protocol_step"] = xr.DataArray(np.arange(len(log)), dims="protocol_step",
                                           attrs={"long_name": "index of the step in the run"})
    data = {}
    for name, (units, long_name) in VARIABLES.items():
        stack = np.stack([s[name] for s in saved]) if saved else np.zeros((0, *g.shape))
        dims = ("t", "component", "z", "y", "x") if stack.ndim == 5 else ("t", "z", "y", "x")
        data[name] = xr.DataArray(stack, dims=dims, attrs={"units": units, "long_name": long_name})
    for name, key, units in (
        ("cell_voltage", "V", "V"),
        ("current", "I", "A"),
        ("charge_passed", "Q", "C"),
    ):
        data[name] = xr.DataArray(
            np.array([s[key] for s in saved]), dims="t", attrs={"units": units}
        )
    area = meta["nominal_area"]
    data["current_density"] = xr.DataArray(
        data["current"].values / area,
        dims="t",
        attrs={"units": "A/m^2", "long_name": "current / nominal area"},
    )
    for name, key, units, long_name in SERIES:
        values = np.asarray(history[key], dtype=int if key == "k" else float)
        data[name] = xr.DataArray(values, dims="time", attrs={"units": units, "long_name": long_name})
    for name, key, units, long_name in STEP_LOG:
        values = np.array([entry[key] for entry in log],
                          dtype=object if units is None else int if key == "cycle" else float)
        if units is None:
            values = values.astype(str) if len(log) else np.array([], dtype=str)
        attrs = {"long_name": long_name} | ({"units": units} if units else {})
        data[name] = xr.DataArray(values, dims="protocol_step", attrs=attrs)
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(g.attrs())
    ds.attrs.update(provenance(config=meta["protocol"], stage="electrochem.charge"))
    ds.attrs.update(
        applied_current=meta["applied_current"],
        nominal_area=area,
        one_c_current=meta["one_c_current"],
        nominal_current_density=meta["applied_current"] / area,
        termination=reason,
        units_note="SI; currents in A, current densities in A/m^2",
    )
    return ds


def protocol_from_attrs(ds) -> dict:
    return json.loads(ds.attrs["config"])
