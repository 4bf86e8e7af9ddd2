"""Checkpoints of a charge run: the dataset of saved steps plus what the time loop needs to go on.

Written atomically (``operando.io.save_dataset``) with a checksum of their data at every saved step,
so a killed run resumes from its last saved step and then follows exactly the steps the
uninterrupted run would have taken. A checkpoint is resumed only if its data match their checksum,
it was written for the same protocol and grid, and its state is defined on exactly this cell's
LixCoO2 voxels (another seed or cell file gives another microstructure on the same grid); the run
pipeline also names each checkpoint by the full key of its stage (:func:`checkpoint_path`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import DataFileError, InputError
from ..io import load_dataset, save_dataset
from .output import VARIABLES

CHECKPOINT_SUFFIX = ".checkpoint.nc"


def write_checkpoint(path, ds, *, dt, mode, cv_start) -> None:
    """Save ``ds`` atomically with the step size, mode and CV start the run continues with."""
    ds = ds.copy()
    ds.attrs.update(
        resume_dt=float(dt),
        resume_mode=mode,
        resume_cv_start=float("nan") if cv_start is None else float(cv_start),
    )
    save_dataset(ds, path, checksum=True)


def checkpoint_path(folder, name: str, key: str) -> Path:
    """Hidden checkpoint file of stage ``name`` whose full key is ``key``: a checkpoint of other
    settings has another name and is never resumed."""
    return Path(folder) / f".{name}.{key}{CHECKPOINT_SUFFIX}"


def unusable_checkpoint(path) -> str | None:
    """Why the checkpoint at ``path`` cannot be resumed (unreadable, modified, empty), or None."""
    try:
        ds = load_dataset(path, verify=True)
    except DataFileError as exc:
        return str(exc)
    if ds.sizes.get("t", 0) == 0:
        return f"checkpoint: {str(path)!r} holds no saved step"
    return None


def load_checkpoint(path, system, meta):
    """State (u, V, t, dt, mode, cv_start, history, saved) of the last saved step in ``path``."""
    ds = load_dataset(path, verify=True)
    if (
        json.loads(ds.attrs.get("config", "null"))
        != json.loads(json.dumps(meta["protocol"], default=str))
        or tuple(int(s) for s in np.atleast_1d(ds.attrs.get("grid_shape")))
        != system.model.phase.shape
    ):
        raise InputError(
            f"checkpoint: {str(path)!r} was written for another cell or protocol; remove it or "
            "choose another path"
        )
    if ds.sizes.get("t", 0) == 0:
        raise InputError(f"checkpoint: {str(path)!r} holds no saved step")
    last = ds.isel(t=-1)
    if not np.array_equal(np.isfinite(last["x_li"].values), system.cat):
        raise InputError(
            f"checkpoint: {str(path)!r} was written for another microstructure (its LixCoO2 voxels differ "
            "from this cell's); remove it or choose another path"
        )
    phe = last["phi_e"].values[system.elec]
    phi = last["phi_i"].values[system.ion]
    x = last["x_li"].values[system.cat]
    V = float(last["cell_voltage"])
    u = system.state_vector(phe, phi, x, V)
    t = float(last["t"])
    cv = float(ds.attrs["resume_cv_start"])
    history = {
        k: ds[v].values.tolist()
        for k, v in (
            ("t", "step_time"),
            ("V", "step_voltage"),
            ("I", "step_current"),
            ("Q", "step_charge"),
        )
    }
    saved = []
    for k in range(ds.sizes["t"]):
        s = ds.isel(t=k)
        snap = {name: s[name].values for name in VARIABLES}
        snap.update(
            t=float(s["t"]),
            V=float(s["cell_voltage"]),
            I=float(s["current"]),
            Q=float(s["charge_passed"]),
        )
        saved.append(snap)
    return (
        u,
        V,
        t,
        float(ds.attrs["resume_dt"]),
        ds.attrs["resume_mode"],
        (None if np.isnan(cv) else cv),
        history,
        saved,
    )
