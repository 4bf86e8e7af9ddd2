"""``operando run``: cell → electrochemistry → fields → ODMR stack → its fit → reconstruction → report.

Every stage is cached in the run folder (:mod:`.cache`), so a rerun reuses what is still valid and
a run stopped with Ctrl-C resumes from the last finished stage (the charge stage also resumes from
its last checkpointed time step).
"""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from ..progress import progress_enabled
from .cache import StageCache, stage_key
from .config import RunConfig
from .stages import (
    build_cell_dataset,
    cell_from_dataset,
    charge_dataset,
    fields_dataset,
    measurement_dataset,
    odmr_stack_dataset,
    oersted_sweep_dataset,
    reconstruction_dataset,
    step_named,
)


@dataclass
class RunResult:
    folder: Path
    report: Path | None
    claims: list
    warnings: list[str] = field(default_factory=list)
    datasets: dict[str, xr.Dataset] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def slug(name: str) -> str:
    """A file-name-safe version of a step name ("C/10" → "C-10")."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "step"


def _say(msg: str) -> None:
    if progress_enabled():
        print(msg, flush=True)


def run_experiment(cfg: RunConfig, *, progress: bool | None = None, report: bool = True) -> RunResult:
    """Run every stage of ``cfg`` and write datasets, figures and ``report.html`` to ``cfg.out``
    (``report=False``: datasets and claims only; ``RunResult.report`` is then None)."""
    from .claims import evaluate_claims
    from .reporting import build_report, grid_warnings

    start = time.perf_counter()
    folder = Path(cfg.out)
    cache = StageCache(folder, config=cfg.model_dump(mode="json"), seed=cfg.seed)
    datasets: dict[str, xr.Dataset] = {}
    timings: dict[str, float] = {}
    show = progress_enabled() if progress is None else progress

    def stage(name, key, compute):
        t0 = time.perf_counter()
        _say(f"[operando] {name} …")
        ds = cache.get(name, key, compute)
        timings[name] = time.perf_counter() - t0
        datasets[name] = ds
        return ds

    # 1. cells: the pristine cross-section and the one with a dendrite
    cells, cell_keys = {}, {}
    variants = sorted({"dendrite" if s.dendrite else "pristine" for s in cfg.charge} | {"dendrite"})
    for variant in variants:
        key = stage_key("cell", cfg.cell.model_dump(mode="json"), cfg.seed, variant)
        ds = stage(f"cell_{variant}", key, lambda v=variant: build_cell_dataset(cfg, v))
        cells[variant], cell_keys[variant] = cell_from_dataset(ds), key

    # 2. electrochemistry, one dataset per charge step
    charge_keys = {}
    for step in cfg.charge:
        variant = "dendrite" if step.dendrite else "pristine"
        key = stage_key("charge", cell_keys[variant], step.model_dump(mode="json"))
        name = f"charge_{slug(step.name)}"
        checkpoint = folder / f".{name}.checkpoint.nc"
        stage(name, key, lambda s=step, v=variant, c=checkpoint: charge_dataset(cells[v], s, c, show))
        checkpoint.unlink(missing_ok=True)
        charge_keys[step.name] = key

    charges = {s.name: datasets[f"charge_{slug(s.name)}"] for s in cfg.charge}
    # 3. magnetic fields of the three imaging modes
    fkey = stage_key("fields", charge_keys, cell_keys, cfg.imaging.model_dump(mode="json"))
    fields = stage("fields", fkey, lambda: fields_dataset(cfg, cells, charges))
    if "oersted" in cfg.imaging.modes:  # the Ørsted step's cell re-solved at the paper's currents
        oe = step_named(cfg, cfg.imaging.oersted_step)
        okey = stage_key("oersted_sweep", cell_keys["dendrite" if oe.dendrite else "pristine"],
                         cfg.imaging.standoff)
        stage("oersted_sweep", okey, lambda: oersted_sweep_dataset(cfg, cells, show))
    # 4. the simulated NV measurement: the ODMR stack (its own dataset, which `operando fit` reads),
    #    then its fit and the noisy maps
    sensor_cfg = cfg.sensor.model_dump(mode="json")
    skey = stage_key("odmr_stack", fkey, sensor_cfg, cfg.seed)
    spectra = cfg.sensor.simulate_spectra and "susceptometry" in cfg.imaging.modes
    stack = stage("odmr_stack", skey, lambda: odmr_stack_dataset(cfg, fields)) if spectra else None
    mkey = stage_key("measurement", fkey, skey, sensor_cfg, cfg.seed)
    meas = stage("measurement", mkey, lambda: measurement_dataset(cfg, fields, stack))
    # 5. reconstruction of J and of the state-of-charge map
    rkey = stage_key("reconstruction", mkey, cfg.reconstruction.model_dump(mode="json"))
    stage("reconstruction", rkey, lambda: reconstruction_dataset(cfg, cells, charges, fields, meas))

    # 6. claims, figures and the report (cheap: always redone)
    t0 = time.perf_counter()
    notes = grid_warnings(cells) + [ds.attrs["warning"] for ds in charges.values() if "warning" in ds.attrs]
    for note in notes:
        warnings.warn(note, stacklevel=2)
    claims = evaluate_claims(cfg, cells, charges, datasets)
    report_path = build_report(cfg, cells, charges, datasets, claims, folder, elapsed=time.perf_counter() - start,
                               warnings=notes) if report else None
    timings["report"] = time.perf_counter() - t0
    return RunResult(folder, report_path, claims, notes, datasets, cache.reused, cache.computed, timings)
