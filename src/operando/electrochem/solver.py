"""Charging a microstructure-resolved Li | LLZO | LixCoO2 cell (finite volumes, implicit in time).

Model (SI units; x = lithium content of LixCoO2, c = x c_max):

* Electronic charge balance in Li metal, dendrite and LixCoO2: ∇·(σ_e ∇φ_e) = 0 with
  σ_e(x) of LixCoO2 (insulating near x = 1, metallic below 0.75). No carbon additive (Pollok et al.,
  Nat. Commun. 2025): electrons reach a particle only through particle–particle contacts.
* Ionic charge balance in the electrolyte (LLZO grains, grain boundaries and the capping layer):
  ∇·(σ_i ∇φ_i) = 0.
* LixCoO2 is a mixed ionic–electronic conductor (σ_ion(x) from ``lco.ionic_conductivity`` when the
  law has one, σ_e(x)). Its Li+ and electron currents are split as in Wagner's theory of mixed
  conductors: the charge current j = −(σ_e + σ_ion) ∇φ_e is carried by both carriers in the ratio
  of their conductivities (the migration part, t_ion = σ_ion/(σ_e + σ_ion)), and lithium also
  moves as neutral Li (Li+ with its electron: no charge) down its concentration gradient with the
  chemical diffusivity D(x) — the measured one (Table 1 of Pollok et al., Nat. Commun. 2025), which
  already is the ambipolar coefficient, so the chemical part of the Li+ driving force is not
  counted twice. Li+ current in LixCoO2: j_Li = −σ_ion ∇φ_e − F c_max D ∇x. The Li+ transfer
  across LixCoO2|LLZO is the interface reaction: its drive φ_e − U(x) − φ_i is the difference of
  the Li+ electrochemical potentials (φ_e − U(x) in the solid at local Li ⇌ Li+ + e⁻ equilibrium,
  φ_i in LLZO), so the ionic potential is not continuous there but jumps by the kinetic
  overpotential (i0 of the Li+ transfer); Li+ does not enter the collector (blocking) nor cross
  particle boundaries. With σ_ion = 0 every term of the migration vanishes and the model is the
  single-carrier one (electrons carry the charge, Li moves by D(x) only) — exactly, not
  approximately, because the chemical diffusion is kept as the separate tabulated term.
* Lithium in LixCoO2: F c_max ∂x/∂t = −∇·j_Li inside each particle (no transport across particle
  boundaries), fed by the reaction at the LixCoO2|LLZO faces.
* Butler–Volmer kinetics on every electrode|electrolyte face (``kinetics``): U(x) on
  LixCoO2|LLZO, U = 0 on Li|LLZO and dendrite|LLZO (a Li/Li+ reference electrode). Each face
  reacts over the true area of the surface it stands for (``operando.cell.interface_area``),
  not its voxel-face area, so kinetics do not depend on voxel size or surface orientation.
* Boundaries: Li metal on the x = 0 face is grounded (φ_e = 0, the negative terminal). The
  positive terminal is the current collector (an equipotential at V; its conductivity is ~10⁹ times
  the electrode's) or, without one, the x = Lx face. Galvanostatic: the current through the
  positive terminal equals the applied current I (the unknown V follows); constant voltage: V is
  fixed. All other outer faces are insulating (the cell is a periodic-free cross-section).
* Time: backward Euler; each step solves the coupled nonlinear system by damped Newton with a
  sparse direct LU (2-D sections) or FGMRES with a physics-block preconditioner (3-D cells:
  ``block_krylov``, cost and memory linear in voxels). σ_e(x) and D(x) are lagged
  to the step start, which keeps the discrete charge and lithium balances exact. The step adapts
  to keep the largest change of x near ``protocol.max_dx``.

Protocols: an :class:`~.experiment.Experiment` runs its steps in order (constant current,
constant voltage, rest = constant current 0), each from the state where the previous one ended.
A step ends exactly on its "until" condition: a time step that crosses a voltage, current or charge
condition is retaken, shortened by the secant of the condition through the step, until the
condition is met within a tolerance (:data:`EVENT_TOL`). The OCP range limits ``min_x`` (a step
that delithiates) and ``x = 1`` ("max_x", a step that lithiates: a discharge, or a leakage past full)
end the step the same way, as a cut-off the material sets: the next step starts from there (a charge
that empties the electrode's OCP range before its voltage cut-off is followed by its discharge).

Conservation built in: Σ reaction current at LixCoO2 = I at every step; the lithium lost equals
∫ I dt / F; the face currents are divergence-free voxel by voxel.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np

from ..errors import ConvergenceError, InputError
from ..progress import progress_bar
from .checkpoint import RunState, load_checkpoint, write_checkpoint
from .experiment import Experiment
from .fluxes import centre_currents, state_fluxes
from .kinetics import FARADAY
from .leakage import initial_leak_potentials
from .model import ChargeModel
from .newton import JacobianSolver, newton
from .output import snapshot, to_dataset
from .protocol import Galvanostatic
from .system import ChargeSystem

#: a time lands on a requested time (a snapshot, a step's time limit) within this fraction of the
#: step's time scale
_SAVE_SLACK = 1e-9
#: a crossing time step is accepted when its condition is overshot by less than this
#: (V; fraction of the current / charge limit; x)
EVENT_TOL = {"until voltage": 1e-4, "until current": 1e-3, "until charge": 1e-6, "min_x": 1e-4, "max_x": 1e-4}
#: ... or when it is shorter than this fraction of the step's time scale (the condition is met at
#: the start of the step: e.g. the voltage cut-off already passed by the ohmic jump)
_EVENT_MIN_STEP = 1e-6
_FAIL_MIN_STEP = 1e-9  # a step that cannot be solved above this fraction of the time scale fails
#: reasons that end the whole run, not only the step
RUN_ENDS = ("max_time",)


class _NoBar:
    """Stand-in for the progress bar when ``progress=False``."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


@dataclasses.dataclass(frozen=True)
class _Resolved:
    """A protocol step on a model: Newton mode and target, and its conditions in SI (A, V, C, s)."""

    cycle: int
    index: int
    kind: str
    description: str
    mode: str
    target: float
    v_lim: float | None
    i_lim: float | None
    q_lim: float | None
    t_lim: float | None
    scale: float  # s, the step's time scale (tolerances of step times)


def _resolve(experiment: Experiment, model) -> list[_Resolved]:
    out = []
    for cycle, index, step in experiment.flat:
        conds = {c.quantity: c for c in step.until}
        current = experiment.amps(step.value, step.unit, model) if step.kind == "current" else 0.0
        i_lim = experiment.amps(conds["current"].value, conds["current"].unit, model) if "current" in conds else None
        q_lim = experiment.coulombs(conds["charge"], model) if "charge" in conds else None
        t_lim = conds["time"].value if "time" in conds else None
        scales = [v for v in (t_lim, experiment.max_time) if v]
        if current and model.cathode.any():
            scales.append(3600.0 * model.one_c_current() / abs(current))  # time to pass the capacity
        out.append(_Resolved(
            cycle, index, step.kind, step.description, "cv" if step.kind == "voltage" else "cc",
            step.value if step.kind == "voltage" else current,
            conds["voltage"].value if "voltage" in conds else None, i_lim, q_lim, t_lim,
            min(scales) if scales else 3600.0))
    return out


def _initial_state(system, x0):
    """Newton start: φ_e = U(x) in LixCoO2, 0 in Li metal, φ_i = 0, V = mean U."""
    phe = np.zeros(system.ne)
    cat_e = system.ie[system.cat]
    u_cat = system.ocp(np.clip(x0[system.cat], 0.45, 1.0))
    phe[cat_e] = u_cat
    V = float(np.mean(u_cat)) if u_cat.size else 0.0
    phe = initial_leak_potentials(system, x0, phe, V)
    return system.state_vector(phe, np.zeros(system.ni), x0[system.cat].copy(), V), V


def _events(r: _Resolved, st: RunState, V, current, charge, x, min_x, fresh: bool) -> dict:
    """Signed distance of every condition of step ``r`` from being met (met when >= 0; None when
    unknown: the voltage and current jump at a step's start)."""
    g = {}
    if r.v_lim is not None:
        g["until voltage"] = None if fresh else st.v_dir * (V - r.v_lim)
    if r.i_lim is not None:
        g["until current"] = None if fresh else (r.i_lim - abs(current)) / r.i_lim
    if r.q_lim is not None:
        g["until charge"] = (abs(charge - st.q0) - r.q_lim) / r.q_lim
    if x.size:
        g["min_x"] = min_x - float(x.min())
        g["max_x"] = float(x.max()) - 1.0
    return g


def charge(
    cell,
    protocol: Experiment | Galvanostatic,
    *,
    checkpoint=None,
    progress: bool = True,
    callback=None,
    method: str = "auto",
    min_x: float = 0.46,
):
    """Run ``protocol`` (an :class:`~.experiment.Experiment`, or a :class:`Galvanostatic` charge:
    a one-step experiment) on ``cell`` (an ``operando.cell.Cell`` or a :class:`ChargeModel`) from
    its pristine state.

    checkpoint : path (.nc) rewritten atomically at every saved snapshot; if it exists and matches,
        the run resumes from its last saved snapshot (within any step of the protocol).
    callback : called as ``callback(dataset_so_far)`` after each saved snapshot (may raise to stop).
    method : linear solver, "auto" | "direct" | "krylov" | "amg" (see :class:`~.newton.JacobianSolver`):
        "auto" takes the block-preconditioned Krylov solve for 3-D cells, a sparse LU otherwise.
    min_x : a step ends ("min_x") when any LixCoO2 voxel falls below this content (OCP range
        limit); it also ends ("max_x") when one is lithiated past x = 1; the next step goes on.
    Returns an xarray.Dataset (see ``output.to_dataset``): snapshots on ``t`` (from t = 0), every
    solver step on ``time``, the step log on ``protocol_step``; ``attrs["termination"]`` says why
    the run ended ("v_max"/"v_min" for a voltage condition while charging/discharging or resting,
    "duration" for a time limit, "cv_hold" for a voltage hold's time, "until current",
    "until charge", "min_x", "max_x").
    """
    if method not in ("auto", "direct", "amg", "krylov"):
        raise InputError(f"method: expected 'auto', 'direct', 'krylov' or 'amg', got {method!r}")
    if isinstance(protocol, Galvanostatic):
        experiment, config = protocol.to_experiment(), dataclasses.asdict(protocol)
    elif isinstance(protocol, Experiment):
        experiment, config = protocol, protocol.to_dict()
    else:
        raise InputError(
            f"protocol: expected an Experiment or a Galvanostatic protocol, got {type(protocol).__name__}"
        )
    model = cell if isinstance(cell, ChargeModel) else ChargeModel.from_cell(cell)
    system = ChargeSystem(model)
    plan = _resolve(experiment, model)
    currents = [abs(r.target) for r in plan if r.kind == "current"]
    scale_current = max(currents) if currents else (model.one_c_current() if model.cathode.any() else 1e-9)
    meta = {
        "applied_current": next((r.target for r in plan if r.kind == "current"), 0.0),
        "nominal_area": model.nominal_area(),
        "one_c_current": model.one_c_current(),
        "protocol": config,
    }
    interval = experiment.output_interval
    x_full = np.where(model.cathode, model.x_init, np.nan)
    linear = JacobianSolver(method)

    def save(st: RunState, i_face):
        faces = state_fluxes(system, st.u, st.V, i_face)
        je, ji = centre_currents(system, faces)
        st.saved.append(snapshot(system, st.u, st.V, st.t, i_face, je, ji, st.history["I"][-1],
                                 st.history["Q"][-1]))
        ds = to_dataset(system, st.saved, st.history, st.log, meta, _termination(st))
        if checkpoint is not None:
            write_checkpoint(checkpoint, ds, state=st)
        if callback is not None:
            callback(ds)

    if checkpoint is not None and Path(checkpoint).exists():
        st = load_checkpoint(checkpoint, system, meta)
        x_full[model.cathode] = system.split(st.u)[2]
    else:
        u, V = _initial_state(system, x_full)
        rate = scale_current / (FARADAY * system.cmax * max(system.nl, 1) * system.vvox)  # mean dx/dt, 1/s
        dt = min(interval or np.inf, 0.25 * experiment.max_dx / max(rate, 1e-30), plan[0].scale)
        st = RunState(u=u, V=V, t=0.0, dt=dt, history={"t": [0.0], "V": [V], "I": [0.0], "Q": [0.0], "k": [0]})
        system.prepare(x_full, dt)
        save(st, system.reaction(u, V)[0])  # the pristine state, t = 0

    total = experiment.max_time or (sum(r.t_lim for r in plan) if all(r.t_lim for r in plan) else None)
    bar_cm = progress_bar(desc="charge", total=total, unit="s") if progress else _NoBar()
    with bar_cm as bar:
        bar.update(st.t)
        while st.k < len(plan) and not st.done:
            r = plan[st.k]
            if st.t0 is None:  # the step starts where the last one ended
                st.t0, st.v0, st.q0 = st.t, st.V, st.history["Q"][-1]
                st.v_dir = np.sign(r.target) if r.kind == "current" else np.sign((r.v_lim or 0.0) - st.V) or 1.0
                st.retries = 0
                if st.k:  # voltages and currents change fastest just after a switch
                    st.dt = min(st.dt, 1e-2 * r.scale)
            _time_step(system, r, st, experiment, linear, x_full, scale_current, min_x, bar, save)
    return to_dataset(system, st.saved, st.history, st.log, meta, _termination(st))


def _time_step(system, r, st, experiment, linear, x_full, scale_current, min_x, bar, save):
    """Take (or retake, shorter) one backward-Euler step of protocol step ``r``; on acceptance
    update ``st``, end the step on its conditions and save snapshots."""
    model = system.model
    slack = _SAVE_SLACK * r.scale
    interval = experiment.output_interval
    limits = [st.dt]
    if r.t_lim is not None:
        limits.append(st.t0 + r.t_lim - st.t)
    if experiment.max_time is not None:
        limits.append(experiment.max_time - st.t)
    if interval:
        limits.append((np.floor(st.t / interval + 1e-9) + 1) * interval - st.t)
    step = min(limits)
    x_old = system.split(st.u)[2]
    system.prepare(x_full, step)
    fresh = st.t == st.t0
    try:
        u_new, V_new, i_face, _ = newton(system, st.u, st.V, x_old, r.mode, r.target,
                                         current_scale=scale_current, linear=linear)
        x_new = system.split(u_new)[2]
        dx = float(np.abs(x_new - x_old).max(initial=0.0))
    except ConvergenceError:
        u_new, dx = None, np.inf
    if u_new is None or dx > 2.5 * experiment.max_dx:
        if step < _FAIL_MIN_STEP * r.scale:
            error = ConvergenceError(_failure_message(r, st, model))
            error.time = st.t  # s: where the run stopped (0: the cell cannot take the first step)
            raise error
        st.dt = 0.5 * step
        return
    i_now = system.terminal_current(u_new, V_new)
    q_new = st.history["Q"][-1] + i_now * step
    g_new = _events(r, st, V_new, i_now, q_new, x_new, min_x, False)
    hit = [name for name, g in g_new.items() if g >= 0]
    reason = None
    if hit:
        g_old = _events(r, st, st.V, st.history["I"][-1], st.history["Q"][-1], x_old, min_x, fresh)
        # the condition crossed first, by the secant through the step
        frac = {n: (-g_old[n] / (g_new[n] - g_old[n]) if g_old[n] is not None and g_old[n] < 0 else 0.0)
                for n in hit}
        reason = min(hit, key=frac.get)
        if g_new[reason] > EVENT_TOL[reason] and step > _EVENT_MIN_STEP * r.scale:
            st.dt = step * float(np.clip(frac[reason], 0.02, 0.9 if st.retries == 0 else 0.5))
            st.retries += 1
            return
    st.u, st.V, st.t, st.retries = u_new, V_new, st.t + step, 0
    x_full[model.cathode] = x_new
    for key, value in (("t", st.t), ("V", V_new), ("I", i_now), ("Q", q_new), ("k", st.k)):
        st.history[key].append(value)
    bar.update(step)
    st.dt = step * float(np.clip(0.8 * experiment.max_dx / max(dx, 1e-12), 0.5, 2.0))
    if reason is None and r.t_lim is not None and st.t >= st.t0 + r.t_lim - slack:
        reason = "until time"
    if reason is None and experiment.max_time is not None and st.t >= experiment.max_time - slack:
        reason = "max_time"
    if reason is not None:
        st.log.append({"cycle": r.cycle, "kind": r.kind, "description": r.description, "t0": st.t0, "t1": st.t,
                       "V0": st.v0, "V1": st.V, "Q": q_new - st.q0, "reason": reason})
        if fresh and reason in _USER_CONDITIONS:
            warnings.warn(_met_at_start_message(r, st, reason), stacklevel=3)
        st.t0 = None
        st.k += 1
        # the run's time limit may fall on a step's end: the next step has no time left
        out_of_time = experiment.max_time is not None and st.t >= experiment.max_time - slack
        st.done = reason in RUN_ENDS or out_of_time
    on_grid = interval and abs(st.t / interval - round(st.t / interval)) * interval <= slack
    if reason is not None or on_grid:
        save(st, i_face)


#: the conditions a protocol step is written with (a step ending on one at once did nothing)
_USER_CONDITIONS = ("until voltage", "until current", "until charge")


def _step_name(r: _Resolved) -> str:
    cycle = f" of cycle {r.cycle + 1}" if r.cycle else ""
    return f"protocol step {r.index + 1}{cycle} {r.description!r}"


def _failure_message(r: _Resolved, st: RunState, model) -> str:
    """Why the solver gave up, in the protocol's words: the step, its current and that current's
    density over the cell's nominal area, next to the density of 1C on this cell."""
    when = "cannot start" if st.t == st.t0 else f"failed at t = {st.t:.4g} s"
    msg = f"charge: {_step_name(r)} {when} (time step fell below {_FAIL_MIN_STEP * r.scale:.3g} s)"
    if r.kind != "current" or not model.cathode.any():
        return msg + "; try a smaller voltage or current step, or a finer grid"
    area = model.nominal_area()
    j_1c = model.one_c_current() / area * 0.1  # A/m² -> mA/cm²
    verb = "Charge" if r.target > 0 else "Discharge"
    return (f"{msg}: {abs(r.target) * 1e3:.3g} mA over the cell's nominal area of {area * 1e4:.3g} cm² "
            f"is {abs(r.target) / area * 1e-4:.3g} A/cm², while 1C of this cell is {j_1c:.3g} mA/cm²; "
            f"ask a current density of that order (e.g. '{verb} at {j_1c:.2g} mA/cm^2' or '{verb} at 1C')")


def _met_at_start_message(r: _Resolved, st: RunState, reason: str) -> str:
    limit = {"until voltage": lambda: f"{r.v_lim:g} V", "until current": lambda: f"{r.i_lim * 1e3:.3g} mA",
             "until charge": lambda: f"{r.q_lim:.3g} C"}[reason]()
    return (f"{_step_name(r)} ended after {st.t - st.t0:.3g} s: its condition 'until {limit}' was already "
            f"met when it started (the cell was at {st.v0:.4g} V)")


def _termination(st) -> str:
    """Why the run ended (so far), in the words of a single charge: see :func:`charge`."""
    if not st.log:
        return "running"
    last = st.log[-1]
    reason, kind = last["reason"], last["kind"]
    if reason == "until voltage":
        return "v_max" if last["V1"] >= last["V0"] else "v_min"
    if reason in ("until time", "max_time"):
        return "cv_hold" if kind == "voltage" and reason == "until time" else "duration"
    return reason
