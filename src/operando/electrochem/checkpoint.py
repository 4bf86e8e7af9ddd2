"""Checkpoints of a charge run: the dataset of saved snapshots plus what the time loop needs to go on.

Written atomically (``operando.io.save_dataset``) with a checksum of their data at every saved
snapshot, so a killed run resumes from its last snapshot — within any step of a protocol — and then
follows exactly the steps the uninterrupted run would have taken. A checkpoint is resumed only if
its data match their checksum, it was written for the same protocol and grid, and its state is
defined on exactly this cell's LixCoO2 voxels (another seed or cell file gives another
microstructure on the same grid); the run pipeline also names each checkpoint by the full key of
its stage (:func:`checkpoint_path`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..errors import DataFileError, InputError
from ..io import load_dataset, save_dataset
from .output import SERIES, STEP_LOG, VARIABLES

CHECKPOINT_SUFFIX = ".checkpoint.nc"
#: the loop state beyond the last snapshot, stored as ``resume_<name>`` attributes (NaN = None)
_RESUMED = ("dt", "k", "t0", "v0", "q0", "v_dir", "done")


@dataclasses.dataclass
class RunState:
    """Where the time loop of a charge run stands.

    u, V, t : state vector, terminal voltage (V) and time (s) of the last accepted step; dt : next
    step (s); k : index of the protocol step running; t0, v0, q0 : time, voltage and charge where
    it started (None before it starts); v_dir : +1/-1, the direction its voltage condition is
    crossed in; history : every accepted step (t, V, I, Q, k); saved : snapshots; log : ended steps.
    """

    u: np.ndarray
    V: float
    t: float
    dt: float
    history: dict
    saved: list = dataclasses.field(default_factory=list)
    log: list = dataclasses.field(default_factory=list)
    k: int = 0
    t0: float | None = None
    v0: float | None = None
    q0: float | None = None
    v_dir: float = 1.0
    done: bool = False
    retries: int = 0


def write_checkpoint(path, ds, *, state: RunState) -> None:
    """Save ``ds`` atomically with the loop state the run continues with."""
    ds = ds.copy()
    for name in _RESUMED:
        value = getattr(state, name)
        ds.attrs[f"resume_{name}"] = float("nan") if value is None else float(value)
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


def load_checkpoint(path, system, meta) -> RunState:
    """The :class:`RunState` of the last saved snapshot in ``path``."""
    ds = load_dataset(path, verify=True)
    if (
        json.loads(ds.attrs.get("config", "null"))
        != json.loads(json.dumps(meta["protocol"], default=str))
        or tuple(int(s) for s in np.atleast_1d(ds.attrs.get("grid_shape")))
        != system.model.phase.shape
        or "resume_k" not in ds.attrs
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
    history = {"t": ds["time"].values.tolist()}
    history.update({key: ds[name].values.tolist() for name, key, _, _ in SERIES})
    saved = []
    for k in range(ds.sizes["t"]):
        s = ds.isel(t=k)
        snap = {name: s[name].values for name in VARIABLES}
        snap.update(t=float(s["t"]), V=float(s["cell_voltage"]), I=float(s["current"]),
                    Q=float(s["charge_passed"]))
        saved.append(snap)
    log = [{key: ds[name].values[i].item() for name, key, _, _ in STEP_LOG}
           for i in range(ds.sizes.get("protocol_step", 0))]
    resumed = {name: float(ds.attrs[f"resume_{name}"]) for name in _RESUMED}
    resumed = {name: (None if np.isnan(v) else v) for name, v in resumed.items()}
    return RunState(
        u=system.state_vector(phe, phi, x, V), V=V, t=float(last["t"]), dt=resumed["dt"], history=history,
        saved=saved, log=log, k=int(resumed["k"]), t0=resumed["t0"], v0=resumed["v0"], q0=resumed["q0"],
        v_dir=resumed["v_dir"], done=bool(resumed["done"]),
    )
