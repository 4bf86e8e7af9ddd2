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


def to_dataset(system, saved: list[dict], history: dict, meta: dict, reason: str) -> xr.Dataset:
    """Dataset with dims t, (component,) z, y, x and the per-step history over ``step``."""
    g = system.model.grid
    coords = g.coords()
    coords["component"] = list(COMPONENTS)
    coords["t"] = xr.DataArray(np.array([s["t"] for s in saved]), dims="t", attrs={"units": "s"})
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
    for name, key, units in (
        ("step_time", "t", "s"),
        ("step_voltage", "V", "V"),
        ("step_current", "I", "A"),
        ("step_charge", "Q", "C"),
    ):
        data[name] = xr.DataArray(
            np.asarray(history[key], dtype=float), dims="step", attrs={"units": units}
        )
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
