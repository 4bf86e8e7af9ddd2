"""Sweeps: one run per point of a grid of configuration values, executed on ``dask.distributed``.

>>> import operando
>>> ds = operando.sweep("run.toml", over={"imaging.standoff": ["30 nm", "50 nm"], "seed": [0, 1]})
>>> ds["verdict"].sel(claim="M3"), ds["peak_B_lco"]

Each point is a whole cached run (:mod:`.run`) in its own sub-folder of the sweep's folder, named by
its values, so a sweep that was stopped resumes: its finished points load from their stage caches
in a fraction of a second. The points share their stages through ``stages/`` in the sweep's folder
(content-keyed, :class:`~.cache.StageCache`): a stage whose inputs two points have in common — the
cell of every point, the charge of points that differ only in imaging or sensor settings — is
computed once. The points are dask tasks — on a ``LocalCluster`` by default, or on any
scheduler (``tcp://host:port`` or a scheduler file) — with dask's ``retries``; a log line on the
``operando.run`` logger reports each finished point. The result is one tidy xarray Dataset with a
dimension per swept key (claims' verdicts and the run's key numbers per point), written atomically
as ``sweep.nc``.

dask.distributed is used rather than a process pool of our own: it gives remote workers, retries,
resilience to a lost worker and a dashboard for free, and is what a user with a cluster already runs.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import logging
import re
import threading
import time
import tomllib
import typing
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from pydantic import BaseModel

from ..errors import ConvergenceError, InputError, UnknownMaterialError
from ..verdicts import VERDICTS
from .config import ConfigError, RunConfig
from .run import file_label

log = logging.getLogger("operando.run")

#: codes of the verdicts in ``sweep.nc`` (CF flag_values / flag_meanings)
VERDICT_CODES = {v: i for i, v in enumerate(VERDICTS)}
#: reconstruction errors copied from the reconstruction stage's attrs (NaN where not computed)
RECONSTRUCTION_ERRORS = ("J_relative_error", "J_model_error", "J_roundtrip_error", "M_roundtrip_error",
                         "x_map_median_error")
#: units and long names of the numbers a sweep collects per point (and per charge step)
RESULTS = {
    "peak_B_lco": ("T", "largest |B| of the LixCoO2 magnetization at the sensor"),
    "peak_B_li": ("T", "largest |B| of the lithium metal's magnetization at the sensor"),
    "peak_B_total": ("T", "largest |B| of all magnetization at the sensor"),
    "peak_B_oersted": ("T", "largest |Bz| of the Ørsted field of the currents at the sensor"),
    "J_relative_error": ("1", "relative L2 error of the current density reconstructed from the measured map"),
    "J_model_error": ("1", "relative L2 error of the current density reconstructed from the noiseless map"),
    "J_roundtrip_error": ("1", "relative L2 error of the current-density round trip (field, then inversion)"),
    "M_roundtrip_error": ("1", "relative L2 error of the magnetization round trip (field, then inversion)"),
    "x_map_median_error": ("1", "median |x_reconstructed - x_true| over the LixCoO2 pixels of the map"),
    "run_seconds": ("s", "wall time of the point's run"),
    "cell_voltage_end": ("V", "cell voltage at the end of the charge step"),
    "x_li_mean_end": ("1", "mean lithium content x of LixCoO2 at the end of the charge step"),
    "t_end": ("s", "time at the end of the charge step"),
}
#: values that differ between two sweeps of the same points (timing and cache use), not results
BOOKKEEPING = ("run_seconds", "stages_computed", "stages_shared")
#: failures a point's settings decide (bad input, a cell that cannot be charged, no convergence): a
#: retry would fail the same way, so they are not retried; others (a lost worker, memory, disk) are
DETERMINISTIC_FAILURES = (InputError, UnknownMaterialError, ConvergenceError)
#: the sub-folder of a sweep's folder holding the stage results its points share
SHARED_STAGES = "stages"


class SweepError(ConfigError):
    """A sweep's keys or values are invalid (raised before any point runs)."""


# --- keys and units -----------------------------------------------------------------------------
def _unit_of(annotation, metadata=()) -> str | None:
    """SI unit of a quantity field (``"m"``, ``"A/m^2"``), from its ``_quantity`` validator."""
    for m in metadata:
        unit = getattr(getattr(m, "func", None), "unit", None)
        if unit:
            return unit
    for arg in typing.get_args(annotation):
        unit = _unit_of(arg, getattr(arg, "__metadata__", ()))
        if unit:
            return unit
    return None


def _field(key: str, cfg: RunConfig):
    """(model, field name, field info) of a dotted key; charge steps by index or name
    (``charge.0.current_density``, ``charge.5C.duration``)."""
    parts, model, i = key.split("."), cfg, 0
    while i < len(parts):
        name = parts[i]
        if isinstance(model, list):  # a charge step by index or by name
            names = [s.name for s in model]
            idx = int(name) if name.isdigit() and int(name) < len(model) else names.index(name) \
                if name in names else None
            if idx is None:
                raise SweepError(f"sweep: {key!r}: no charge step {name!r}; the steps are {names} "
                                 f"(by name or index 0–{len(model) - 1})")
            model, i = model[idx], i + 1
            continue
        fields = type(model).model_fields
        if name not in fields:
            raise SweepError(f"sweep: unknown key {key!r}{_suggest(key, cfg)}")
        value = getattr(model, name)
        if i == len(parts) - 1:
            if isinstance(value, BaseModel) or (isinstance(value, list) and value and isinstance(value[0], BaseModel)):
                raise SweepError(f"sweep: {key!r} is a section, not a value{_suggest(key, cfg)}")
            return model, name, fields[name]
        model, i = value, i + 1
    raise SweepError(f"sweep: {key!r} is a section, not a value{_suggest(key, cfg)}")


def _leaf_keys(model, prefix: str = "") -> list[str]:
    out = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out += _leaf_keys(value, f"{prefix}{name}.")
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                out += _leaf_keys(item, f"{prefix}{name}.{i}.")
        else:
            out.append(prefix + name)
    return out


def _suggest(key: str, cfg: RunConfig) -> str:
    keys = _leaf_keys(cfg)
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.5)
    tail = key.split(".")[-1]
    close += [k for k in keys if k.endswith("." + tail) and k not in close][:3]
    return f"; did you mean {', '.join(repr(k) for k in close)}?" if close else \
        "; keys are those of the run configuration (`operando config --example`), e.g. 'imaging.standoff'"


def key_unit(key: str, cfg: RunConfig | None = None) -> str | None:
    """SI unit of a dotted configuration key (None for a plain number, a name or a flag)."""
    _, _, info = _field(key, cfg or RunConfig())
    return _unit_of(info.annotation, info.metadata)


# --- the points -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPoint:
    """One point: its swept values as given, its run folder's name and its configuration mapping."""

    values: dict
    name: str
    mapping: dict


def config_mapping(cfg: RunConfig) -> dict:
    """The mapping of a validated configuration, with quantities back as strings in SI units
    ("5e-08 m") and paths absolute, so that it validates again (on a worker elsewhere, too)."""
    def convert(model) -> dict:
        out = {}
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            steps = isinstance(value, list) and value and isinstance(value[0], BaseModel)
            if name not in model.model_fields_set and not steps:  # default steps are written: a key may name one
                continue  # a default: it comes back on validation (and preset-only keys stay unset)
            unit = _unit_of(info.annotation, info.metadata)
            if value is None:
                continue
            if isinstance(value, BaseModel):
                value = convert(value)
            elif steps:
                value = [convert(v) for v in value]
            elif unit is not None:
                value = [f"{v!r} {unit}" for v in value] if isinstance(value, list) else f"{value!r} {unit}"
            elif isinstance(value, Path):
                value = str(value.resolve())
            elif isinstance(value, dict):
                value = {str(k): list(v) if isinstance(v, tuple) else v for k, v in value.items()}
            out[name] = value
        return out

    return convert(cfg)


def _set(mapping: dict, key: str, value) -> None:
    parts = key.split(".")
    node = mapping
    for part in parts[:-1]:
        if isinstance(node, list):
            names = [s["name"] for s in node]
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else node[names.index(part)]
        else:  # a section left at its defaults is absent from the mapping: create it
            node = node.setdefault(part, {})
    node[parts[-1]] = value
    if parts[0] == "charge" and parts[-1] in ("current_density", "c_rate"):  # a step has one or the other
        node.pop("c_rate" if parts[-1] == "current_density" else "current_density", None)


def plan_sweep(config, over: dict[str, list], out=None) -> tuple[RunConfig, list[SweepPoint], Path]:
    """The base configuration, every point of the grid ``over`` (the product of the value lists,
    the last key fastest) and the sweep's folder; each point's configuration is validated here, so
    an unknown key or a value of the wrong unit fails before any point runs."""
    base = _as_config(config)
    if not over:
        raise SweepError("sweep: give at least one key to sweep over, e.g. {'imaging.standoff': ['30 nm', '50 nm']}")
    folder = Path(out) if out is not None else Path(base.out)
    lists, located = {}, {}
    for key, values in over.items():
        if key == "out":
            raise SweepError("sweep: 'out' cannot be swept: each point has its own folder in the sweep's")
        key_unit(key, base)  # an unknown key fails here, with suggestions
        if (other := located.setdefault(_loc(key, base), key)) != key:  # charge.5C.x is charge.0.x
            raise SweepError(f"sweep: {other!r} and {key!r} name the same setting; give its values once")
        values = list(values) if isinstance(values, list | tuple | np.ndarray) else [values]
        if not values:
            raise SweepError(f"sweep: {key!r} has no values")
        lists[key] = values
    template = config_mapping(base)
    points, names = [], set()
    for combo in itertools.product(*lists.values()):
        values = dict(zip(lists, combo, strict=True))
        label = ",".join(f"{k}={v}" for k, v in values.items())
        # the folder is named by the keys as the configuration names them (charge.5C.x = charge.0.x)
        name = file_label(",".join(f"{_loc(k, base)}={v}" for k, v in values.items()).replace(" ", ""))
        if name in names:
            raise SweepError(f"sweep: the point {label} is listed twice")
        names.add(name)
        mapping = json.loads(json.dumps(template))
        for key, value in values.items():
            _set(mapping, key, value)
        mapping["out"] = str((folder / name).resolve())
        try:
            # the validated point, written back: swept paths absolute too (a worker may run elsewhere)
            mapping = config_mapping(RunConfig.from_mapping(mapping))
        except ConfigError as exc:
            bad = next((k for k in values if f"{_loc(k, base)}:" in str(exc)), None)
            if bad is None:
                raise SweepError(f"sweep: the point {label} is invalid: {exc}") from None
            unit = key_unit(bad, base)
            expected = f" (expected a quantity in {unit}, e.g. '{_example(unit)}')" if unit else ""
            raise SweepError(f"sweep: {bad} = {values[bad]!r} is invalid{expected}: {exc}") from None
        points.append(SweepPoint(values, name, mapping))
    return base, points, folder


def _loc(key: str, cfg: RunConfig) -> str:
    """``key`` as a configuration error names it (a charge step by its index)."""
    parts = key.split(".")
    if parts[0] == "charge" and len(parts) > 1 and not parts[1].isdigit():
        names = [s.name for s in cfg.charge]
        parts[1] = str(names.index(parts[1])) if parts[1] in names else parts[1]
    return ".".join(parts)


def _example(unit: str) -> str:
    return {"m": "50 nm", "s": "30 s", "T": "100 mT", "A/m^2": "4.7 mA/cm^2"}.get(unit, f"1 {unit}")


def _as_config(config) -> RunConfig:
    if isinstance(config, RunConfig):
        return config
    if isinstance(config, dict):
        return RunConfig.from_mapping(config)
    return RunConfig.from_file(config)


def parse_over(spec: str) -> tuple[str, list]:
    """``"imaging.standoff=[30 nm, 50 nm]"`` (or a TOML array: ``'seed=[0, 1]'``,
    ``'imaging.standoff=["30 nm", "50 nm"]'``) → ``("imaging.standoff", ["30 nm", "50 nm"])``."""
    key, sep, text = spec.partition("=")
    key, text = key.strip(), text.strip()
    if not sep or not key or not text:
        raise SweepError(f"--over: expected KEY=[v1, v2, ...], got {spec!r}")
    try:
        values = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:  # bare quantities: [30 nm, 50 nm]
        inner = text[1:-1] if text.startswith("[") and text.endswith("]") else text
        values = [v.strip().strip("'\"") for v in inner.split(",") if v.strip()]
    return key, values if isinstance(values, list) else [values]


def parse_overs(specs) -> dict[str, list]:
    """The grid of several ``--over`` specs (:func:`parse_over`); a key given twice is an error,
    not a grid of the last list alone."""
    grid = {}
    for spec in specs:
        key, values = parse_over(spec)
        if key in grid:
            raise SweepError(f"--over: {key!r} is given twice; give all its values in one list, "
                             f"e.g. '{key}=[{', '.join(map(str, grid[key] + values))}]'")
        grid[key] = values
    return grid


# --- running ------------------------------------------------------------------------------------
def run_point(mapping: dict, report: bool = False, shared_stages=None) -> dict:
    """Run (or resume) one point and return its summary: verdict and text of each claim, peak
    fields, reconstruction errors, final voltage and lithium content of each charge step. A dask
    task: everything in and out is plain data."""
    from .run import run_experiment

    t0 = time.perf_counter()
    cfg = RunConfig.from_mapping(mapping)
    try:
        with _point_settings_applied():
            res = run_experiment(cfg, progress=False, report=report, shared_stages=shared_stages)
    except DETERMINISTIC_FAILURES as exc:  # returned, not raised: dask would retry it in vain
        return {"failed": f"{type(exc).__name__}: {exc}"}
    ds = res.datasets
    fields, rec = ds["fields"], ds["reconstruction"]

    def peak(name):
        return float(np.abs(fields[name].values).max()) if name in fields else np.nan

    charges = {d.attrs["step_name"]: d for k, d in ds.items() if k.startswith("charge_")}
    return {
        "claims": {c.id: (VERDICT_CODES[c.verdict], c.ours) for c in res.claims},
        "numbers": {"peak_B_lco": peak("B_lco"), "peak_B_li": peak("B_li"), "peak_B_total": peak("B_total"),
                    "peak_B_oersted": float(np.abs(fields["B_oersted"].values[2]).max())
                    if "B_oersted" in fields else np.nan,
                    **{k: float(rec.attrs.get(k, np.nan)) for k in RECONSTRUCTION_ERRORS}},
        "steps": {s.name: (float(charges[s.name]["cell_voltage"].values[-1]),
                           float(np.nanmean(charges[s.name]["x_li"].values[-1])),
                           float(charges[s.name]["t"].values[-1])) for s in cfg.charge},
        "run_seconds": time.perf_counter() - t0,
        "stages_computed": len(res.computed),
        "stages_shared": len(res.shared),
    }


_point_settings = {"lock": threading.Lock(), "points": 0, "stack": None}


def _points_quiet(record: logging.LogRecord) -> bool:
    """Log filter: a point's INFO lines are dropped unless logged from the main thread (the sweep's)."""
    return record.levelno >= logging.WARNING or record.thread == threading.main_thread().ident


@contextlib.contextmanager
def _point_settings_applied():
    """While any point of this process runs: warnings ignored (they are in each run's report and
    datasets) and dask's synchronous scheduler (no nested dask graphs; xarray then writes with a
    local lock, where under a distributed scheduler it would ask the scheduler for a lock named by
    an in-memory file). Both settings are process-wide, and ``warnings.catch_warnings`` or
    ``dask.config.set`` per point is not thread-safe: two points on threads (``processes=False``)
    that end in the order they started would restore the first one's settings for good (every
    later warning of the process silenced, dask left synchronous). So the first point in applies
    them and the last one out restores them. Points on threads also keep their stage log lines
    (below WARNING) off the sweep's console: the sweep logs one line per point from its own thread."""
    import dask

    with _point_settings["lock"]:
        if _point_settings["points"] == 0:
            stack = contextlib.ExitStack()
            stack.enter_context(warnings.catch_warnings())
            warnings.simplefilter("ignore")
            stack.enter_context(dask.config.set(scheduler="synchronous"))
            log.addFilter(_points_quiet)
            stack.callback(log.removeFilter, _points_quiet)
            _point_settings["stack"] = stack
        _point_settings["points"] += 1
    try:
        yield
    finally:
        with _point_settings["lock"]:
            _point_settings["points"] -= 1
            if _point_settings["points"] == 0:
                _point_settings["stack"].close()


def sweep(config, over: dict[str, list], *, out=None, scheduler=None, n_workers: int = 2, retries: int = 1,
          processes: bool = True, report: bool = False) -> xr.Dataset:
    """Run ``config`` (a RunConfig, a mapping or a TOML/YAML path) at every point of the grid
    ``over`` ({dotted key: values}, e.g. ``{"imaging.standoff": ["30 nm", "50 nm"], "seed": [0, 1]}``;
    charge steps by index or name: ``"charge.0.current_density"``, ``"charge.5C.duration"``) and
    return the tidy Dataset of the results, also written to ``<out>/sweep.nc``.

    ``out``: the sweep's folder (default: the configuration's ``out``); each point runs in a
    sub-folder named by its values. ``scheduler``: None for a ``LocalCluster`` of ``n_workers``
    workers (``processes=False``: threads of this process), else a scheduler address
    (``"tcp://host:8786"``), a scheduler file (``*.json``) or a ``distributed.Client``.
    ``retries``: times a failed point is tried again (on any worker; a failure its settings decide —
    bad input, a cell that cannot be charged, no convergence — is not retried). Points that still fail are
    reported in the ``error`` variable and by a warning; their other values are missing (NaN).
    ``report``: also write each point's report.html (slower). From a script, call it under
    ``if __name__ == "__main__":``: the local cluster's worker processes import the script."""
    over = {k: list(v) if isinstance(v, list | tuple | np.ndarray) else [v] for k, v in (over or {}).items()}
    base, points, folder = plan_sweep(config, over, out)
    if int(retries) != retries or retries < 0:
        raise SweepError(f"sweep: retries must be at least 0, got {retries!r}")
    client, close = _client(scheduler, n_workers, processes)
    summaries, errors = {}, {}
    start = time.perf_counter()
    try:
        from distributed import as_completed

        shared = str((folder / SHARED_STAGES).resolve())
        futures = {client.submit(run_point, p.mapping, report, shared, key=f"operando-sweep-{p.name}-{_digest(p)}",
                                 retries=retries, pure=False): p for p in points}
        log.info("sweep: %d points on %s", len(points), client.scheduler.address if client.scheduler else "?")
        for n, future in enumerate(as_completed(futures), 1):
            p = futures[future]
            label = ", ".join(f"{k}={v}" for k, v in p.values.items())
            if future.status != "finished":
                errors[p.name] = f"{type(future.exception()).__name__}: {future.exception()}"
            elif "failed" in (summary := future.result()):
                errors[p.name] = summary["failed"]
            else:
                summaries[p.name] = summary
                log.info("sweep point %d/%d finished in %.1f s (%s): %s", n, len(points), summary["run_seconds"],
                         "computed" if summary["stages_computed"] else "reused", label)
            if p.name in errors:
                log.error("sweep point %d/%d failed: %s: %s", n, len(points), label, errors[p.name])
    finally:
        if close:
            client.close()
            if close is not True:
                close.close()
    ds = sweep_dataset(base, over, points, summaries, errors)
    ds.attrs.update(elapsed=time.perf_counter() - start)
    from ..io import provenance, save_dataset

    ds.attrs.update(provenance(config=config_mapping(base), seed=base.seed, stage="sweep"))
    ds.encoding["source"] = str(save_dataset(ds, folder / "sweep.nc"))
    if errors:
        warnings.warn(f"sweep: {len(errors)} of {len(points)} points failed (see the 'error' variable of "
                      f"{folder / 'sweep.nc'}); run the sweep again to retry them", stacklevel=2)
    return ds


def _digest(p: SweepPoint) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(p.mapping, sort_keys=True).encode()).hexdigest()[:12]


def _client(scheduler, n_workers: int, processes: bool):
    """(client, what to close: True for the client alone, the LocalCluster, or False)."""
    from distributed import Client, LocalCluster

    if isinstance(scheduler, Client):
        return scheduler, False
    if scheduler is None:
        if n_workers < 1:
            raise SweepError(f"sweep: n_workers must be at least 1, got {n_workers}")
        try:
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                                   dashboard_address=None)
        except RuntimeError as exc:  # most often: the worker processes re-ran an unguarded script
            raise SweepError(
                f"sweep: the local cluster's worker processes did not start ({exc}). Worker processes "
                "import the script that starts them: call sweep() in a script under "
                "`if __name__ == \"__main__\":`, or run the points as threads (processes=False)") from exc
        return Client(cluster), cluster
    text = str(scheduler)
    if text.endswith(".json"):
        return Client(scheduler_file=text), True
    return Client(text), True


def sweep_dataset(base: RunConfig, over: dict, points: list[SweepPoint], summaries: dict, errors: dict) -> xr.Dataset:
    """The tidy Dataset of a sweep: one dimension per swept key (coordinates in SI, ``units`` and
    the ``config_key`` in their attrs), plus ``claim`` and ``step``."""
    keys = list(over)
    dims = [re.sub(r"\W", "_", k) for k in keys]
    coords, shape = {}, tuple(len(over[k]) for k in keys)
    for axis, (key, dim) in enumerate(zip(keys, dims, strict=True)):
        unit = key_unit(key, base)
        # the points are in grid order: the j-th value of this key is at index j on its axis, 0 elsewhere
        along = [points[np.ravel_multi_index(tuple(j if a == axis else 0 for a in range(len(keys))), shape)]
                 for j in range(shape[axis])]
        si = [_value_at(RunConfig.from_mapping(p.mapping), key) for p in along]
        coords[dim] = (dim, si, {"config_key": key, **({"units": unit} if unit else {}),
                                 "values_given": [str(p.values[key]) for p in along]})
    claims = sorted({c for s in summaries.values() for c in s["claims"]}, key=lambda c: (len(c), c))
    steps = [s.name for s in base.charge]
    verdict = np.full((*shape, len(claims)), -1, dtype=np.int8)
    ours = np.full((*shape, len(claims)), "", dtype=object)
    numbers = {k: np.full(shape, np.nan) for k in ("peak_B_lco", "peak_B_li", "peak_B_total", "peak_B_oersted",
                                                   *RECONSTRUCTION_ERRORS, "run_seconds")}
    per_step = {k: np.full((*shape, len(steps)), np.nan) for k in ("cell_voltage_end", "x_li_mean_end", "t_end")}
    computed = np.full(shape, -1, dtype=np.int32)
    shared = np.full(shape, -1, dtype=np.int32)
    error = np.full(shape, "", dtype=object)
    for idx, p in zip(np.ndindex(shape), points, strict=True):
        if p.name in errors:
            error[idx] = errors[p.name]
        s = summaries.get(p.name)
        if s is None:
            continue
        for j, c in enumerate(claims):
            verdict[idx][j], ours[idx][j] = s["claims"].get(c, (-1, ""))
        for k, v in s["numbers"].items():
            numbers[k][idx] = v
        numbers["run_seconds"][idx] = s["run_seconds"]
        computed[idx], shared[idx] = s["stages_computed"], s["stages_shared"]
        for j, st in enumerate(steps):
            for k, v in zip(per_step, s["steps"][st], strict=True):
                per_step[k][idx][j] = v
    # -1 is a flag of its own rather than a _FillValue: a masked integer variable reads back as float NaN
    data = {"verdict": ((*dims, "claim"), verdict, {
                "long_name": "verdict of the claim", "flag_values": np.arange(-1, len(VERDICTS), dtype=np.int8),
                "flag_meanings": " ".join(["not_judged", *(v.replace(" ", "_") for v in VERDICTS)])}),
            "claim_value": ((*dims, "claim"), ours.astype(str), {"long_name": "our number for the claim, as reported"}),
            "error": (dims, error.astype(str), {"long_name": "why the point failed (empty: it ran)"}),
            "stages_computed": (dims, computed, {"long_name": "stages computed (0: every stage reused from cache)"}),
            "stages_shared": (dims, shared, {"long_name": "stages taken from another point of the sweep"})}
    for k, v in numbers.items():
        data[k] = (dims, v, dict(zip(("units", "long_name"), RESULTS[k], strict=True)))
    for k, v in per_step.items():
        data[k] = ((*dims, "step"), v, dict(zip(("units", "long_name"), RESULTS[k], strict=True)))
    ds = xr.Dataset(data, coords={**coords, "claim": claims, "step": steps})
    ds.attrs.update(title="operando sweep", swept_keys=keys, points=len(points), failed=len(errors))
    return ds


def _value_at(cfg: RunConfig, key: str):
    model, name, _ = _field(key, cfg)
    value = getattr(model, name)
    if isinstance(value, list | dict):  # e.g. imaging.modes: one label per point
        return json.dumps(value)
    return str(value) if isinstance(value, Path) else value
