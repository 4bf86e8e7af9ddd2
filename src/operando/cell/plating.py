"""Lithium deposits in a garnet pellet driven by the charge passed: a polarisation history and a
seeded growth model giving the Li-metal distribution (partial volume) over time.

The polarisation is an :class:`operando.electrochem.Experiment` of current and rest steps with
fixed durations; :func:`polarisation_from_experiment` turns it into the piecewise-constant current
and its integrals without an electrochemical solve (the deposit model of a symmetric Li|LLZO|Li cell
needs only the charge passed, and has no cell voltage, so voltage conditions and holds are refused).

Model (assumptions flagged; Liu et al., Nat. Mater. 2025 give the stages, not a growth law):

* a fraction ``efficiency`` of the charge passed (in magnitude: both half-cycles plate somewhere)
  leaves metal inside the pellet, ``V = efficiency · |Q| · V_m / F``;
* a share ``1 - bulk_share(Q)`` goes to filaments growing from the electrode that is plating
  (Mechanism 1: along grain-boundary-like paths, random walks biased across the pellet, their
  tips advancing as volume arrives, ``L = V / (π r²)``, a filament that has crossed the pellet
  thickening along its path); the rest to isolated spots at random
  grain-boundary sites in the bulk (Mechanism 2, Li⁺ reduced in the electrolyte), with
  ``bulk_share = Q² / (Q² + Q_onset²)`` so the bulk takes over later (the paper's stages I→III);
* each path and each site draws a lognormal weight (a few contacts and boundaries take most).

Every step is an array operation over paths and sites; the only loop is over the walk's steps.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr
from scipy.constants import N_A, elementary_charge

from .. import materials
from .._checks import check_positive, check_range
from ..electrochem.experiment import Experiment
from ..errors import InputError
from .cell import Cell
from .symmetric import _from_volume_area, pellet_mask

__all__ = ["grow_deposits", "li_molar_volume", "polarisation_from_experiment", "polarisation_history"]

Faraday = N_A * elementary_charge  # C/mol


def li_molar_volume() -> float:
    """Molar volume of Li metal (m³/mol) from the material registry (molar mass / density)."""
    li = materials.get("Li")
    return li.value("molar_mass") / li.value("density")


def polarisation_history(current_density: float = 1.0, reversal_period: float = 1800.0, duration: float = 86400.0,
                         *, idle: float = 300.0, area: float = np.pi * 2.4e-3**2, n_times: int = 25) -> xr.Dataset:
    """Galvanostatic polarisation with the current reversed every ``reversal_period`` (s) and
    ``idle`` (s) at rest between half-cycles (Liu et al. 2025: 0.1 mA cm⁻² = 1 A m⁻², 30 min,
    5 min idle), over ``duration`` (s), sampled at ``n_times`` instants. ``area`` (m²): the
    electrode area (default the Ø 4.8 mm pellet). A shortcut for :func:`polarisation_from_experiment`
    of ["Charge at j for period", "Rest for idle", "Discharge at j for period", "Rest for idle"]
    repeated over ``duration``."""
    j = check_positive("current_density", current_density, unit="A/m^2")
    period = check_positive("reversal_period", reversal_period, unit="s")
    rest = check_positive("idle", idle, allow_zero=True, unit="s")
    dur = check_positive("duration", duration, unit="s")
    rests = [f"Rest for {rest!r} s"] if rest > 0 else []
    steps = [f"Charge at {j!r} A/m^2 for {period!r} s", *rests, f"Discharge at {j!r} A/m^2 for {period!r} s", *rests]
    cycles = int(dur // (2 * (period + rest))) + 1  # past ``duration``: the current at t = duration is defined
    ds = polarisation_from_experiment(Experiment(steps, cycles=cycles), duration=dur, area=area, n_times=n_times)
    ds.attrs.update(reversal_period=period, idle=rest, source="Liu et al., Nat. Mater. 2025, L197")
    return ds


def _segments(experiment: Experiment, area: float) -> tuple[np.ndarray, np.ndarray]:
    """(current density in A/m², duration in s) of every step the experiment runs."""
    if not isinstance(experiment, Experiment):
        raise InputError(f"experiment: expected an operando.electrochem.Experiment, got {type(experiment).__name__}")
    j, d = [], []
    for cycle, i, step in experiment.flat:
        where = f"experiment: steps[{i}] {step.description!r} (cycle {cycle})"
        refused = [c.quantity for c in step.until if c.quantity in ("voltage", "current")]
        if step.kind == "voltage" or refused:
            what = "holds a voltage" if step.kind == "voltage" else f"ends on a {refused[0]} condition"
            raise InputError(f"{where}: {what}; the deposit model of a symmetric cell has no cell voltage — "
                             "give current and rest steps with durations or charges")
        if step.kind == "rest":
            value = 0.0
        elif step.unit == "A/m^2":
            value = step.value
        elif step.unit == "A":
            value = step.value / area
        elif experiment.one_c is not None:
            value = step.value * experiment.one_c
        else:
            raise InputError(f"{where}: a C-rate needs Experiment(one_c=...): a symmetric Li|Li cell has no capacity")
        limits = [c.value for c in step.until if c.quantity == "time"]
        limits += [c.value / (1.0 if c.unit == "C/m^2" else area) / abs(value)
                   for c in step.until if c.quantity == "charge"]
        j.append(value)
        d.append(min(limits))
    return np.asarray(j), np.asarray(d)


def polarisation_from_experiment(experiment: Experiment, *, duration: float | None = None,
                                 area: float = np.pi * 2.4e-3**2, n_times: int = 25) -> xr.Dataset:
    """The piecewise-constant current of ``experiment`` (current steps by current density, current
    or, with ``one_c``, C-rate; rest steps; each ending on a time or a charge) and its integrals,
    sampled at ``n_times`` instants over [0, ``duration``] (s; None: the whole protocol, or its
    ``max_time``; past the last step the cell rests). A charge step (+) plates on the high-x electrode.

    Returns over ``t``: ``current_density`` (A/m²), ``charge`` (C, net ∫ I dt), ``charge_passed``
    (C, ∫ |I| dt), ``plated_high_x``/``plated_low_x`` (C), ``half_cycles`` (current steps completed
    before the one running); and the step log over ``protocol_step`` (kind, start and end time,
    current density, charge), named as in :func:`operando.electrochem.charge`'s output.
    """
    a = check_positive("area", area, unit="m^2")
    if int(n_times) != n_times or n_times < 2:
        raise InputError(f"n_times: expected an integer >= 2, got {n_times!r}")
    j, d = _segments(experiment, a)
    start = np.concatenate([[0.0], np.cumsum(d)])
    if experiment.max_time is not None:  # steps cut at max_time; the ones after it last 0 s
        start = np.minimum(start, experiment.max_time)
        d = np.diff(start)
    dur = start[-1] if duration is None else check_positive("duration", duration, unit="s")
    t = np.linspace(0.0, dur, int(n_times))
    seg = np.searchsorted(start, t, side="right") - 1  # the last index: the rest after the last step
    into = t - start[seg]
    current = np.append(j, 0.0)[seg]

    def integral(weight):  # ∫ weight(j) dt, from the steps completed and the one running
        done = np.concatenate([[0.0], np.cumsum(weight(j) * d)])
        return a * (done[seg] + weight(current) * into)

    half = np.concatenate([[0], np.cumsum(j != 0)])[seg] + (current != 0) - 1
    run = (start[:-1] < dur) & (d > 0)  # the step log: the steps that ran within [0, dur]
    t0, t1 = start[:-1][run], np.minimum(start[1:][run], dur)
    ds = xr.Dataset({
        "current_density": ("t", current, {"units": "A/m^2"}),
        "charge": ("t", integral(lambda v: v), {"units": "C", "long_name": "net charge (positive: plating on the "
                                                "high-x electrode)"}),
        "charge_passed": ("t", integral(np.abs), {"units": "C"}),
        "half_cycles": ("t", np.maximum(half, 0).astype(int), {"units": "1"}),
        "plated_high_x": ("t", integral(lambda v: np.maximum(v, 0.0)), {"units": "C"}),
        "plated_low_x": ("t", integral(lambda v: np.maximum(-v, 0.0)), {"units": "C"}),
        "protocol_kind": ("protocol_step", np.array([s.kind for _, _, s in experiment.flat])[run],
                          {"long_name": "current | rest"}),
        "protocol_start_time": ("protocol_step", t0, {"units": "s"}),
        "protocol_end_time": ("protocol_step", t1, {"units": "s"}),
        "protocol_current_density": ("protocol_step", j[run], {"units": "A/m^2"}),
        "protocol_charge": ("protocol_step", j[run] * (t1 - t0) * a, {
            "units": "C", "long_name": "charge passed in the step (signed: + = charge)"}),
    }, coords={"t": ("t", t, {"units": "s"})})
    ds.attrs.update(area=a, protocol=json.dumps(experiment.to_dict()), source="operando.electrochem.Experiment")
    return ds


def _walks(start, n_steps, jitter, rng, shape, direction):
    """Voxel indices (P, n_steps, 3) of random walks crossing x in ``direction`` (+1 or -1)."""
    out = np.empty((start.shape[0], n_steps, 3), np.int64)
    pos = start.copy()
    for s in range(n_steps):  # the walk's steps, vectorised over every path
        out[:, s] = pos
        lateral = rng.choice([-1, 0, 1], size=(pos.shape[0], 2), p=[jitter / 2, 1 - jitter, jitter / 2])
        pos = pos + np.column_stack([lateral, np.full(pos.shape[0], direction)])
        pos[:, 0] = np.clip(pos[:, 0], 0, shape[0] - 1)
        pos[:, 1] = np.clip(pos[:, 1], 0, shape[1] - 1)
    return out


def grow_deposits(cell: Cell, history: xr.Dataset, *, efficiency: float = 0.01, paths: int = 100, sites: int = 3000,
                  filament_radius: float = 1e-6, spot_radius: float = 5e-6, onset_charge: float = 1.5,
                  jitter: float = 0.5, spread: float = 1.0, seed: int = 0, by_mechanism: bool = False) -> list:
    """Li metal inside the pellet of a symmetric ``cell`` at every time of ``history`` (see module).

    ``efficiency``: fraction of the charge passed left as metal in the pellet; ``paths`` filaments
    per electrode and ``sites`` bulk spots; ``filament_radius`` / ``spot_radius`` (m) set their
    S/V (2/r, 3/r); ``onset_charge`` (C): charge at which the bulk takes half the metal;
    ``jitter``: lateral step probability of the walks; ``spread``: σ of the lognormal weights.
    Returns one :class:`MetalFraction` per time, or with ``by_mechanism`` a pair per time:
    (filaments from the electrodes — Mechanism 1, bulk spots — Mechanism 2).
    """
    eff = check_range("efficiency", efficiency, 0, 1, inclusive=(False, True))
    rf = check_positive("filament_radius", filament_radius, unit="m")
    rs = check_positive("spot_radius", spot_radius, unit="m")
    q_on = check_positive("onset_charge", onset_charge, unit="C")
    jit = check_range("jitter", jitter, 0, 1)
    for name, v in (("paths", paths), ("sites", sites)):
        if int(v) != v or v < 1:
            raise InputError(f"{name}: expected a positive integer, got {v!r}")
    if any(v not in history for v in ("charge_passed", "plated_low_x", "plated_high_x")):
        raise InputError("history: expected a dataset with 'charge_passed', 'plated_low_x' and 'plated_high_x' "
                         "(polarisation_history)")
    pellet = pellet_mask(cell)
    if not pellet.any():
        raise InputError("cell: has no garnet pellet (phases 'llzo'/'llzo_gb')")
    g = cell.grid
    rng = np.random.default_rng(seed)
    xs = np.flatnonzero(pellet.any(axis=(0, 1)))
    x_lo, x_hi = int(xs[0]), int(xs[-1])
    n_steps = x_hi - x_lo + 1
    face = np.argwhere(pellet[:, :, x_lo])
    walks = []
    for start_x, direction in ((x_lo, 1), (x_hi, -1)):  # the low-x and the high-x electrode
        pick = face[rng.integers(0, len(face), int(paths))]
        start = np.column_stack([pick, np.full(int(paths), start_x)])
        walks.append(_walks(start, n_steps, jit, rng, g.shape, direction))
    w_path = rng.lognormal(0.0, spread, (2, int(paths)))
    w_path /= w_path.sum(axis=1, keepdims=True)
    seg_start, seg_len = [], []
    for w in walks:  # arc length where each walk's voxel starts, and the length it holds
        step = np.linalg.norm(np.diff(w, axis=1) * np.asarray(g.spacing), axis=-1)
        ell = np.concatenate([step, step[:, -1:] if step.shape[1] else np.full((w.shape[0], 1), g.dx)], axis=1)
        seg_len.append(ell)
        seg_start.append(np.cumsum(ell, axis=1) - ell)
    bulk = np.argwhere(pellet)
    inner = bulk[(bulk[:, 2] > x_lo) & (bulk[:, 2] < x_hi)]
    site = inner[rng.integers(0, len(inner), int(sites))]
    w_site = rng.lognormal(0.0, spread / 2, int(sites))  # boundaries vary less than contacts
    w_site /= w_site.sum()

    vm = li_molar_volume()
    q_abs = history["charge_passed"].values
    t = history["t"].values
    plated = np.stack([history["plated_low_x"].values, history["plated_high_x"].values])
    share = q_abs**2 / (q_abs**2 + q_on**2)
    area_f = np.pi * rf**2
    out = []
    for i in range(t.size):  # snapshots
        vol = np.zeros(g.shape)
        surf = np.zeros(g.shape)
        total_plated = plated[:, i].sum()
        v_fil = eff * q_abs[i] * vm / Faraday * (1 - share[i])
        for side in (0, 1):
            v_side = v_fil * (plated[side, i] / total_plated if total_plated > 0 else 0.5)
            v_path = v_side * w_path[side]  # (P,) m³ per filament
            capacity = area_f * seg_len[side].sum(axis=1)
            length = np.minimum(v_path, capacity) / area_f  # tips advance along the walk ...
            in_seg = np.clip(length[:, None] - seg_start[side], 0.0, seg_len[side]) * area_f  # (P, steps) m³
            # ... and a filament that has crossed the pellet (a short) thickens along its whole path
            excess = np.maximum(v_path - capacity, 0.0)
            in_seg += excess[:, None] * seg_len[side] / seg_len[side].sum(axis=1, keepdims=True)
            radius = np.sqrt(np.maximum(v_path, capacity) / (np.pi * seg_len[side].sum(axis=1)))
            radius = np.where(excess > 0, radius, rf)
            idx = np.ravel_multi_index(walks[side].reshape(-1, 3).T, g.shape)
            vol.ravel()[:] += np.bincount(idx, in_seg.ravel(), minlength=vol.size)
            surf.ravel()[:] += np.bincount(idx, (in_seg * 2 / radius[:, None]).ravel(), minlength=vol.size)
        v_bulk = eff * q_abs[i] * vm / Faraday * share[i]
        sidx = np.ravel_multi_index(site.T, g.shape)
        vol2 = np.bincount(sidx, v_bulk * w_site, minlength=vol.size).reshape(g.shape)
        surf2 = np.bincount(sidx, v_bulk * w_site * 3 / rs, minlength=vol.size).reshape(g.shape)
        if by_mechanism:
            out.append((_from_volume_area(g, vol, surf), _from_volume_area(g, vol2, surf2)))
        else:
            out.append(_from_volume_area(g, vol + vol2, surf + surf2))
    return out
