"""Charging a microstructure-resolved Li | LLZO | LixCoO2 cell (finite volumes, implicit in time).

Model (SI units; x = lithium content of LixCoO2, c = x c_max):

* Electronic charge balance in Li metal, dendrite and LixCoO2: ∇·(σ_e ∇φ_e) = 0 with
  σ_e(x) of LixCoO2 (insulating near x = 1, metallic below 0.75). No carbon additive (seed 000
  L137): electrons reach a particle only through particle–particle contacts.
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
  sparse direct LU (or AMG-preconditioned GMRES for large 3-D systems). σ_e(x) and D(x) are lagged
  to the step start, which keeps the discrete charge and lithium balances exact. The step adapts
  to keep the largest change of x near ``protocol.max_dx``.

Conservation built in: Σ reaction current at LixCoO2 = I at every step; the lithium lost equals
∫ I dt / F; the face currents are divergence-free voxel by voxel.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..errors import ConvergenceError, InputError
from ..progress import progress_bar
from .checkpoint import load_checkpoint, write_checkpoint
from .fluxes import centre_currents, state_fluxes
from .kinetics import FARADAY
from .leakage import initial_leak_potentials
from .model import ChargeModel
from .newton import JacobianSolver, newton
from .output import snapshot, to_dataset
from .protocol import Galvanostatic
from .system import ChargeSystem

#: the state is saved at a requested time when the step lands within this fraction of it
_SAVE_SLACK = 1e-9


class _NoBar:
    """Stand-in for the progress bar when ``progress=False``."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _initial_state(system, x0):
    """Newton start: φ_e = U(x) in LixCoO2, 0 in Li metal, φ_i = 0, V = mean U."""
    phe = np.zeros(system.ne)
    cat_e = system.ie[system.cat]
    u_cat = system.ocp(np.clip(x0[system.cat], 0.45, 1.0))
    phe[cat_e] = u_cat
    V = float(np.mean(u_cat)) if u_cat.size else 0.0
    phe = initial_leak_potentials(system, x0, phe, V)
    return system.state_vector(phe, np.zeros(system.ni), x0[system.cat].copy(), V), V


def charge(
    cell,
    protocol: Galvanostatic,
    *,
    checkpoint=None,
    progress: bool = True,
    callback=None,
    method: str = "auto",
    min_x: float = 0.46,
):
    """Charge ``cell`` (an ``operando.cell.Cell`` or a :class:`ChargeModel`) under ``protocol``.

    checkpoint : path (.nc) rewritten atomically at every saved step; if it exists and matches,
        the run resumes from its last saved step.
    callback : called as ``callback(dataset_so_far)`` after each saved step (may raise to stop).
    method : linear solver, "auto" | "direct" | "amg" (see :class:`~.newton.JacobianSolver`).
    min_x : the run stops when any LixCoO2 voxel falls below this content (OCP range limit);
        it also stops ("max_x") when one is lithiated past x = 1.
    Returns an xarray.Dataset (see ``output.to_dataset``).
    """
    if method not in ("auto", "direct", "amg", "krylov"):
        raise InputError(f"method: expected 'auto', 'direct' or 'amg', got {method!r}")
    if not isinstance(protocol, Galvanostatic):
        raise InputError(
            f"protocol: expected a Galvanostatic protocol, got {type(protocol).__name__}"
        )
    model = cell if isinstance(cell, ChargeModel) else ChargeModel.from_cell(cell)
    system = ChargeSystem(model)
    current = protocol.applied_current(model)
    duration = protocol.duration
    save_times = protocol.save_times()
    meta = {
        "applied_current": current,
        "nominal_area": model.nominal_area(),
        "one_c_current": model.one_c_current(),
        "protocol": dataclasses.asdict(protocol),
    }

    x_full = np.where(model.cathode, model.x_init, np.nan)
    u, V = _initial_state(system, x_full)
    t, mode, cv_start, reason = 0.0, "cc", None, "duration"
    rate = current / (FARADAY * system.cmax * max(system.nl, 1) * system.vvox)  # mean dx/dt, 1/s
    dt = min(save_times[0], 0.25 * protocol.max_dx / max(rate, 1e-30))
    history = {"t": [0.0], "V": [np.nan], "I": [0.0], "Q": [0.0]}
    saved = []
    if checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint, system, meta)
        u, V, t, dt, mode, cv_start, history, saved = state
        x_full[model.cathode] = system.split(u)[2]
    save_idx = int(np.searchsorted(save_times, t + _SAVE_SLACK * duration))

    linear = JacobianSolver(method)
    bar_cm = progress_bar(desc="charge", total=duration, unit="s") if progress else _NoBar()
    with bar_cm as bar:
        bar.update(t)
        while save_idx < len(save_times):
            t_next = save_times[save_idx]
            step = min(dt, t_next - t)
            if cv_start is not None and protocol.cv_hold is not None:
                step = min(step, cv_start + protocol.cv_hold - t)
            x_old = system.split(u)[2]
            system.prepare(x_full, step)
            target = current if mode == "cc" else protocol.v_max
            try:
                u_new, V_new, i_face, _ = newton(
                    system, u, V, x_old, mode, target, current_scale=current, linear=linear
                )
                dx = float(np.abs(system.split(u_new)[2] - x_old).max(initial=0.0))
                x_new = system.split(u_new)[2]
                # below min_x, or lithiated past x = 1 (a leakage larger than the applied current)
                bad_x = system.nl and (x_new.min() < min_x or x_new.max() > 1.0)
            except ConvergenceError:
                dx, bad_x, u_new = np.inf, False, None
            if u_new is None or dx > 2.5 * protocol.max_dx:
                if step < 1e-9 * duration:
                    raise ConvergenceError(
                        f"charge: time step fell below {1e-9 * duration:.3g} s at t = {t:.4g} s"
                    )
                dt = 0.5 * step
                continue
            if mode == "cc" and V_new > protocol.v_max and step > 1e-4 * duration:
                if protocol.cv_hold is not None:
                    mode, cv_start = "cv", t
                else:
                    dt = 0.5 * step  # home in on the cut-off
                continue
            if bad_x and step > 1e-4 * duration:
                dt = 0.5 * step
                continue
            u, V, t = u_new, V_new, t + step
            x_full[model.cathode] = system.split(u)[2]
            i_now = system.terminal_current(u, V)
            history["t"].append(t)
            history["V"].append(V)
            history["I"].append(i_now)
            history["Q"].append(history["Q"][-1] + i_now * step)
            bar.update(step)
            dt = (
                step * float(np.clip(0.8 * protocol.max_dx / max(dx, 1e-12), 0.5, 2.0))
                if system.nl
                else save_times[0]
            )
            stop = None
            if mode == "cc" and V > protocol.v_max:
                stop = "v_max"
            elif bad_x:
                stop = "min_x" if system.split(u)[2].min() < min_x else "max_x"
            elif (
                cv_start is not None
                and protocol.cv_hold is not None
                and t >= cv_start + protocol.cv_hold * (1 - 1e-9)
            ):
                stop = "cv_hold"
            if stop or t >= t_next - _SAVE_SLACK * duration:
                faces = state_fluxes(system, u, V, i_face)
                je, ji = centre_currents(system, faces)
                saved.append(snapshot(system, u, V, t, i_face, je, ji, i_now, history["Q"][-1]))
                ds = to_dataset(system, saved, history, meta, reason=stop or reason)
                if checkpoint is not None:
                    write_checkpoint(checkpoint, ds, dt=dt, mode=mode, cv_start=cv_start)
                if callback is not None:
                    callback(ds)
                save_idx += 1
            if stop:
                reason = stop
                break
    return to_dataset(system, saved, history, meta, reason=reason)
