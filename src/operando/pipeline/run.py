"""``operando run``: cell → electrochemistry → fields → ODMR stack → its fit → reconstruction → report.

Every stage is cached in the run folder (:mod:`.cache`), so a rerun reuses what is still valid and
a run stopped with Ctrl-C resumes from the last finished stage (the charge stage also resumes from
its last checkpointed time step, kept in a file named by the stage's full key). One run at a time
writes to a folder (:mod:`.lock`); what a killed run left half-written there is removed first, and
a run that would not fit in memory is refused before it starts (:mod:`.resources`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from ..electrochem.checkpoint import CHECKPOINT_SUFFIX, checkpoint_path, unusable_checkpoint
from ..io import remove_temporaries
from ..progress import progress_enabled
from .cache import StageCache, content_digest, stage_key
from .config import ConfigError, RunConfig
from .lock import FolderLock
from .measurement import measurement_dataset, odmr_stack_dataset
from .reconstruction import reconstruction_dataset
from .resources import check_run_memory
from .stages import (
    build_cell_dataset,
    cell_from_dataset,
    charge_dataset,
    fields_dataset,
    isolated_cathode_warnings,
    oersted_sweep_dataset,
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
    #: the reused stages another run computed (``shared_stages``)
    shared: list[str] = field(default_factory=list)


def slug(name: str) -> str:
    """A file-name-safe version of a step name ("C/10" → "C-10")."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "step"


def file_label(name: str) -> str:
    """A file-name-safe label that differs for different names: the name itself where it is safe
    ("5C"), else its slug and a hash of the name ("5C!" → "5C-1b4f…", "C/10" → "C-10-…"), so two
    names that sanitise alike never share a file."""
    s = slug(name)
    return s if s == name else f"{s}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def charge_stage_names(cfg: RunConfig) -> dict[str, str]:
    """Stage (and file) name of each charge step, by step name."""
    names = {s.name: f"charge_{file_label(s.name)}" for s in cfg.charge}
    if len(set(names.values())) != len(names):
        raise ConfigError(f"charge: step names {list(names)} give the same file name; rename one of them")
    return names


def cell_stage_key(cfg: RunConfig, variant: str) -> str:
    """Key of the cell stage: the cell settings, the variant and the seed (the preset's grains) or,
    for ``cell.file`` or ``cell.labels``, the file's content (a file replaced in place is read again;
    the seed draws nothing there, so a sweep over noise seeds shares the cell and its charges). An
    imported volume has one cell for both variants, so its key leaves the variant out."""
    c = cfg.cell
    if c.labels is not None:
        return stage_key("cell", c.model_dump(mode="json"), content_digest(c.labels))
    if c.file is not None:
        return stage_key("cell", c.model_dump(mode="json"), content_digest(c.file), variant)
    return stage_key("cell", c.model_dump(mode="json"), None, cfg.seed, variant)


def charge_stage_keys(cfg: RunConfig, cell_keys: dict[str, str] | None = None) -> dict[str, str]:
    """Full key of each charge step (its cell's key and the step's settings), by step name: it also
    names the step's checkpoint."""
    cell_keys = cell_keys or {v: cell_stage_key(cfg, v) for v in ("pristine", "dendrite")}
    return {s.name: stage_key("charge", cell_keys["dendrite" if s.dendrite else "pristine"], s.model_dump(mode="json"))
            for s in cfg.charge}


#: stage starts, ends and durations at INFO; the command line shows them (``--quiet``: warnings only)
log = logging.getLogger("operando.run")


def _say(msg: str) -> None:
    log.info(msg)


def _log_protocol_steps(step_name: str, ds: xr.Dataset) -> None:
    """One INFO line per protocol step of a charge step that has several: what ran, when, how it ended."""
    if ds.sizes.get("protocol_step", 0) < 2:
        return
    for k in range(ds.sizes["protocol_step"]):
        s = ds.isel(protocol_step=k)
        log.info("  %s, protocol step %d %r: %.4g s → %.4g s, ends at %.4g V (%s)", step_name, k + 1,
                 str(s.protocol_description.values), float(s.protocol_start_time), float(s.protocol_end_time),
                 float(s.protocol_end_voltage), str(s.protocol_end_reason.values))


def run_experiment(cfg: RunConfig, *, progress: bool | None = None, report: bool = True,
                   lock_timeout: float | None = 0.0, shared_stages=None) -> RunResult:
    """Run every stage of ``cfg`` and write datasets, figures and ``report.html`` to ``cfg.out``
    (``report=False``: datasets and claims only; ``RunResult.report`` is then None).
    ``shared_stages``: a folder of stage results shared with other runs (see
    :class:`~.cache.StageCache`; a sweep's points share theirs).

    Raises ResourceError before any computing when the grid would not fit in memory, and
    FolderInUseError when another run writes to ``cfg.out`` (``lock_timeout``: seconds to wait for
    it; None waits as long as it takes)."""
    check_run_memory(cfg)
    with FolderLock(cfg.out, timeout=lock_timeout, on_wait=_say) as lock:
        if lock.stale:
            warnings.warn(f"{cfg.out}: taking over from a run that stopped without finishing "
                          f"(PID {lock.stale.get('pid')}, started {lock.stale.get('started')})", stacklevel=2)
        return _run_locked(cfg, progress=progress, report=report, shared_stages=shared_stages)


def _run_locked(cfg: RunConfig, *, progress: bool | None, report: bool, shared_stages=None) -> RunResult:
    from .claims import evaluate_claims
    from .reporting import build_report, grid_warnings

    start = time.perf_counter()
    folder = Path(cfg.out)
    for place in (folder, folder / "figures"):
        remove_temporaries(place)
    cache = StageCache(folder, config=cfg.model_dump(mode="json"), seed=cfg.seed, shared=shared_stages)
    datasets: dict[str, xr.Dataset] = {}
    timings: dict[str, float] = {}
    show = progress_enabled() if progress is None else progress

    def stage(name, key, compute):
        t0 = time.perf_counter()
        log.info("%s …", name)
        ds = cache.get(name, key, compute)
        timings[name] = time.perf_counter() - t0
        how = ("computed" if name not in cache.reused else
               "taken from another run's" if name in cache.from_shared else "reused")
        log.info("%s %s in %.1f s", name, how, timings[name])
        datasets[name] = ds
        return ds

    # 1. cells: the pristine cross-section and the one with a dendrite (a cell file by its content);
    #    an imported volume is one cell, its dendrite (if any) drawn in it, for both
    cells, cell_keys = {}, {}
    variants = sorted({"dendrite" if s.dendrite else "pristine" for s in cfg.charge} | {"dendrite"})
    if cfg.cell.imported:
        variants = ["pristine"]
    for variant in variants:
        key = cell_stage_key(cfg, variant)
        ds = stage(f"cell_{variant}", key, lambda v=variant: build_cell_dataset(cfg, v))
        cells[variant], cell_keys[variant] = cell_from_dataset(ds), key
    if cfg.cell.imported:
        cells["dendrite"], cell_keys["dendrite"] = cells["pristine"], cell_keys["pristine"]

    # 2. electrochemistry, one dataset per charge step
    charge_keys, names = charge_stage_keys(cfg, cell_keys), charge_stage_names(cfg)
    # a shared charge checkpoints beside the shared stages: whichever run takes it over resumes it
    checkpoints = folder if shared_stages is None else Path(shared_stages)
    _remove_foreign_checkpoints(folder, {checkpoint_path(folder, names[s], k) for s, k in charge_keys.items()})
    for step in cfg.charge:
        variant = "dendrite" if step.dendrite else "pristine"
        name, key = names[step.name], charge_keys[step.name]
        checkpoint = checkpoint_path(checkpoints, name, key)
        if checkpoint.exists() and (why := unusable_checkpoint(checkpoint)):
            warnings.warn(f"charge step {step.name!r} restarts from t = 0: {why}", stacklevel=2)
            checkpoint.unlink(missing_ok=True)
        stage(name, key, lambda s=step, v=variant, c=checkpoint: charge_dataset(cells[v], s, c, show))
        _log_protocol_steps(step.name, datasets[name])
        checkpoint.unlink(missing_ok=True)

    charges = {s.name: datasets[names[s.name]] for s in cfg.charge}
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
    notes = grid_warnings(cells) + isolated_cathode_warnings(cells) + [
        ds.attrs["warning"] for ds in charges.values() if "warning" in ds.attrs]
    for note in notes:
        warnings.warn(note, stacklevel=2)
    claims = evaluate_claims(cfg, cells, charges, datasets)
    report_path = build_report(cfg, cells, charges, datasets, claims, folder, elapsed=time.perf_counter() - start,
                               warnings=notes) if report else None
    timings["report"] = time.perf_counter() - t0
    return RunResult(folder, report_path, claims, notes, datasets, cache.reused, cache.computed, timings,
                     cache.from_shared)


def _remove_foreign_checkpoints(folder: Path, keep: set[Path]) -> None:
    """Delete the charge checkpoints of other settings (or of an older naming): never resumed."""
    for path in folder.glob(f".charge_*{CHECKPOINT_SUFFIX}"):
        if path not in keep:
            path.unlink(missing_ok=True)
