"""Fault matrix of ``operando run``: tries what a hostile tester would on a tiny run and prints, per
class of fault, the cases tried and how each behaved (good, silent-wrong, traceback, crash,
misleading, data-lost).

    PYTHONPATH=src python benchmarks/reliability_runs.py [--quick]

Classes: 1 resume after an interruption and a config change, 5 cell file replaced in place, 6 step
names that sanitise alike, 7 concurrent runs, 8 full disk / read-only places / temp files, 9
tampered stage files, 10 memory, 11 bad configs and outputs from the command line. The full-disk and
read-only cases mount a small tmpfs in a private mount namespace (``unshare``), where permitted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import xarray as xr

from operando.electrochem import solver
from operando.errors import OperandoError
from operando.pipeline.config import RunConfig
from operando.pipeline.run import cell_stage_key, charge_stage_names, run_experiment
from operando.pipeline.stages import cell_from_dataset, charge_dataset, step_named

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OPERANDO_PROGRESS": "0"}
RESULTS: dict[str, list[tuple[str, str]]] = defaultdict(list)


def record(cls: str, case: str, kind: str) -> None:
    RESULTS[cls].append((case, kind))
    print(f"  [{cls:>2}] {kind:<13} {case}", flush=True)


def mapping(out, **changes) -> dict:
    data = {"out": str(out), "cell": {"voxel": "500 nm", "nz": 1},
            "charge": [{"name": "5C", "current_density": "4.70 mA/cm^2", "duration": "8 s"},
                       {"name": "25C", "current_density": "23.5 mA/cm^2", "duration": "0.5 s", "dendrite": True}],
            "imaging": {"nv_orientations": ["perpendicular"], "standoff_sweep": ["50 nm"]},
            "sensor": {"simulate_spectra": False}}
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = data
        for p in path:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        node[last] = value
    return data


def run(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_experiment(RunConfig.from_mapping(data), progress=False, report=False, **kw)


def read(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def same_charge(res, data, step="5C") -> bool:
    cfg = RunConfig.from_mapping(data)
    cell = cell_from_dataset(res.datasets["cell_dendrite" if step_named(cfg, step).dendrite else "cell_pristine"])
    clean = charge_dataset(cell, step_named(cfg, step), None, False)
    got = res.datasets[charge_stage_names(cfg)[step]]
    return bool(np.array_equal(got["t"].values, clean["t"].values)
                and np.allclose(got["x_li"].values, clean["x_li"].values, rtol=1e-12, atol=0, equal_nan=True))


class Killed(Exception):
    pass


def interrupted(out, data) -> None:
    real = solver.write_checkpoint

    def die(path, ds, **kw):
        real(path, ds, **kw)
        raise Killed

    solver.write_checkpoint = die
    try:
        with contextlib.suppress(Killed):
            run(data)
    finally:
        solver.write_checkpoint = real


def classify(fn) -> str:
    try:
        return "good" if fn() else "silent-wrong"
    except OperandoError:
        return "good-error"
    except Exception as exc:  # what a tester sees
        return f"traceback:{type(exc).__name__}"


# --- class 1 ---------------------------------------------------------------------------------
def class1(tmp: Path, quick: bool) -> None:
    changes = {"new seed": {"seed": 1}, "buried off": {"cell.buried": False},
               "voxel 400 nm": {"cell.voxel": "400 nm"}, "5C current": {"charge.0.current_density": "2 mA/cm^2"},
               "5C duration": {"charge.0.duration": "6 s"}, "no change (resume)": {}, "another seed": {"seed": 7}}
    if quick:
        changes = dict(list(changes.items())[:2])
    for i, (name, change) in enumerate(changes.items()):
        out = tmp / f"c1_{i}"
        interrupted(out, mapping(out))
        data = mapping(out, **change)
        record("1", f"interrupted mid-charge, then {name}", classify(lambda d=data: same_charge(run(d), d)))
    # concurrent-run variant of item 1: a checkpoint written by another config's run in the folder
    out = tmp / "c1_conc"
    interrupted(out, mapping(out, seed=3))
    data = mapping(out)
    record("1", "checkpoint of another seed's run present", classify(lambda: same_charge(run(data), data)))


# --- classes 5 and 6 -----------------------------------------------------------------------------
def class5_6(tmp: Path) -> None:
    from operando.cell import presets

    path = tmp / "cell.nc"
    presets.pollok2025(voxel=500e-9, nz=1, seed=0).save(path)
    data = mapping(tmp / "c5", **{"cell.file": str(path), "cell.preset": None})
    run(data)
    presets.pollok2025(voxel=500e-9, nz=1, seed=4).save(path)
    res = run(data)
    ok = np.array_equal(res.datasets["cell_pristine"]["labels"].values,
                        presets.pollok2025(voxel=500e-9, nz=1, seed=4).labels) and "cell_pristine" in res.computed
    record("5", "cell.file replaced in place by another cell", "good" if ok else "silent-wrong")
    presets.pollok2025(voxel=500e-9, nz=1, seed=4).save(path)
    res = run(data)
    record("5", "cell.file rewritten with the same content", "good" if res.computed == [] else "misleading")
    cfg = RunConfig.from_mapping(data)
    key = cell_stage_key(cfg, "pristine")
    os.utime(path, (0, 0))
    record("5", "cell.file touched (mtime only)", "good" if cell_stage_key(cfg, "pristine") == key else "misleading")
    for pair in [("5C", "5C!"), ("C/10", "C-10"), ("a b", "a-b"), ("x", "x?"), ("1C", "1C ")]:
        steps = [{"name": n, "c_rate": 1, "duration": "1 s"} for n in pair]
        cfg = RunConfig.from_mapping({"charge": steps, "imaging": {"oersted_step": pair[0],
                                                                   "susceptometry_step": pair[0]}})
        names = charge_stage_names(cfg)
        record("6", f"steps {pair!r}", "good" if len(set(names.values())) == 2 else "data-lost")
    data = mapping(tmp / "c6")
    data["charge"].insert(0, {"name": "5C!", "current_density": "0.94 mA/cm^2", "duration": "8 s"})
    res = run(data)
    a, b = res.datasets["charge_5C"], res.datasets[charge_stage_names(RunConfig.from_mapping(data))["5C!"]]
    ok = np.isclose(a.attrs["nominal_current_density"], 47.0) and np.isclose(b.attrs["nominal_current_density"], 9.4)
    record("6", "run with steps '5C' and '5C!'", "good" if ok else "silent-wrong")


# --- class 7 --------------------------------------------------------------------------------
RUN = "import json,sys\nfrom operando.pipeline.config import RunConfig\nfrom operando.pipeline.run import " \
      "run_experiment\nrun_experiment(RunConfig.from_mapping(json.loads(sys.argv[1])), progress=False, report=False)\n"


def class7(tmp: Path, quick: bool) -> None:
    script = tmp / "run.py"
    script.write_text(RUN)
    pairs = [("seeds 0 and 1", {"seed": 0}, {"seed": 1})]
    if not quick:
        pairs.append(("same config twice", {}, {}))
    for name, a, b in pairs:
        out = tmp / f"c7_{len(name)}"
        procs = [subprocess.Popen([sys.executable, str(script), json.dumps(mapping(out, **c))], env=ENV,
                                  stderr=subprocess.PIPE, text=True) for c in (a, b)]
        codes = [p.wait(600) for p in procs]
        errs = [p.stderr.read() for p in procs]
        seeds = {read(p).attrs.get("seed") for p in out.glob("*.nc")}
        loser = [e for c, e in zip(codes, errs, strict=True) if c != 0]
        if any(c < 0 or c > 128 for c in codes):
            kind = "crash"
        elif sorted(codes) == [0, 1] and "in use by another operando run" in loser[0] and len(seeds) == 1:
            kind = "good"
        elif len(seeds) > 1:
            kind = "data-lost"
        else:
            kind = "misleading"
        record("7", f"two concurrent runs, {name}", kind)
    # a run whose holder was killed -9 (stale lock)
    out = tmp / "c7_stale"
    hold = tmp / "hold.py"
    hold.write_text("import sys,time\nfrom operando.pipeline.lock import FolderLock\n"
                    "FolderLock(sys.argv[1]).acquire()\nprint('held',flush=True)\ntime.sleep(300)\n")
    child = subprocess.Popen([sys.executable, str(hold), str(out)], stdout=subprocess.PIPE, text=True, env=ENV)
    child.stdout.readline()
    try:
        run(mapping(out))
        record("7", "run while another process holds the folder", "silent-wrong")
    except OperandoError as exc:
        record("7", "run while another process holds the folder",
               "good" if f"PID {child.pid}" in str(exc) else "misleading")
    child.send_signal(signal.SIGKILL)
    child.wait()
    record("7", "stale lock of a killed run", classify(lambda: run(mapping(out)).computed != []))


# --- class 8 --------------------------------------------------------------------------------
def cli(args, *, namespace_setup: str = "", timeout=600) -> tuple[int, str]:
    cmd = " ".join([sys.executable, "-m", "operando.cli", *map(str, args)])
    if namespace_setup:
        res = subprocess.run(["unshare", "-rm", "sh", "-c", f"{namespace_setup} && {cmd}"], capture_output=True,
                             text=True, env=ENV, timeout=timeout)
    else:
        res = subprocess.run(cmd, shell=True, capture_output=True, text=True, env=ENV, timeout=timeout)
    return res.returncode, res.stderr


def cli_kind(code: int, err: str, expect: str) -> str:
    if code < 0 or code > 128:
        return "crash"
    if "Traceback" in err:
        return "traceback"
    if code == 2 and expect in err:
        return "good"
    return "misleading" if code else "silent"


def toml(path: Path, out, **changes) -> Path:
    data = mapping(out, **changes)
    lines = [f"out = {json.dumps(str(out))}", "[cell]"] + [f"{k} = {json.dumps(v)}" for k, v in data["cell"].items()]
    for step in data["charge"]:
        lines += ["[[charge]]"] + [f"{k} = {json.dumps(v)}" for k, v in step.items()]
    lines += ["[imaging]", 'nv_orientations = ["perpendicular"]', 'standoff_sweep = ["50 nm"]', "[sensor]",
              "simulate_spectra = false"]
    path.write_text("\n".join(lines) + "\n")
    return path


def class8(tmp: Path, quick: bool) -> None:
    namespaces = subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0
    disk = tmp / "disk"
    disk.mkdir()
    cfg = toml(tmp / "c8.toml", disk / "out")
    sizes = ["64k", "300k", "700k", "1500k"] if not quick else ["300k"]
    for size in sizes if namespaces else []:
        code, err = cli(["run", cfg], namespace_setup=f"mount -t tmpfs -o size={size} tmpfs {disk}")
        record("8", f"run into a {size} disk", cli_kind(code, err, "disk is full"))
    if namespaces:
        # a finished run, then a rerun with a new sensor setting on a disk filled meanwhile: the
        # earlier measurement must stay readable and unchanged
        setup = (f"mount -t tmpfs -o size=8m tmpfs {disk} && {sys.executable} -m operando.cli run {cfg} >/dev/null "
                 f"2>&1 && sha256sum {disk}/out/measurement.nc > {tmp}/before && "
                 f"head -c 100000000 /dev/zero > {disk}/filler 2>/dev/null; true")
        cfg2 = toml(tmp / "c8b.toml", disk / "out", **{"sensor.integration_time": "4 s"})
        probe = f"{setup} && {sys.executable} -m operando.cli run {cfg2}; echo rc=$? >&2; sha256sum -c {tmp}/before >&2"
        res = subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True, text=True, env=ENV)
        rc = int(res.stderr.split("rc=")[-1].split()[0])
        kind = cli_kind(rc, res.stderr, "disk is full")
        if kind == "good" and "measurement.nc: OK" not in res.stderr:
            kind = "data-lost"
        record("8", "rerun on a disk filled meanwhile keeps the old results", kind)
        ro = f"mkdir -p {tmp}/ro && mount -t tmpfs tmpfs {tmp}/ro && mount -o remount,ro {tmp}/ro"
        code, err = cli(["run", cfg, "-o", tmp / "ro" / "out"], namespace_setup=ro)
        record("8", "output on a read-only file system", cli_kind(code, err, "read-only"))
    out = tmp / "c8_tmp"
    out.mkdir()
    for name in (".charge_5C.nc.x1.tmp", ".fields.nc.y2.tmp"):
        (out / name).write_bytes(b"half")
    (out / ".cell.zarr.z3.tmp").mkdir()
    run(mapping(out))
    left = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    record("8", "temp files of a killed writer", "good" if not left else "silent")


# --- class 9 --------------------------------------------------------------------------------
def class9(tmp: Path) -> None:
    ref = tmp / "c9_ref"
    clean = run(mapping(ref))

    def edit(name, var, fn):
        def do(folder):
            ds = read(folder / f"{name}.nc")
            ds[var].values[...] = fn(ds[var].values)
            ds.to_netcdf(folder / f"{name}.nc", engine="h5netcdf")
        return do

    def bytes_at(name, offset, n=8):
        def do(folder):
            raw = bytearray((folder / f"{name}.nc").read_bytes())
            raw[offset:offset + n] = b"\xff" * n
            (folder / f"{name}.nc").write_bytes(bytes(raw))
        return do

    def truncate(name):
        def do(folder):
            p = folder / f"{name}.nc"
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
        return do

    def swap(a, b):
        def do(folder):
            shutil.copy(folder / f"{a}.nc", folder / f"{b}.nc")
        return do

    tamper = {
        "x_li = 7.0 in charge_5C": ("charge_5C", "x_li",
                                    edit("charge_5C", "x_li", lambda v: np.where(np.isnan(v), v, 7.0))),
        "B_lco doubled in fields": ("fields", "B_lco", edit("fields", "B_lco", lambda v: 2 * v)),
        "one J value in reconstruction": ("reconstruction", "J_reconstructed",
                                          edit("reconstruction", "J_reconstructed", lambda v: v + (v == v.flat[0]))),
        "HDF5 signature of measurement": ("measurement", "B_lco_measured", bytes_at("measurement", 0)),
        "superblock of cell_pristine": ("cell_pristine", "labels", bytes_at("cell_pristine", 40)),
        "truncated oersted_sweep": ("oersted_sweep", "peak_oersted", truncate("oersted_sweep")),
        "charge_25C copied over charge_5C": ("charge_5C", "x_li", swap("charge_25C", "charge_5C")),
    }
    for name, (stage, var, do) in tamper.items():
        folder = tmp / f"c9_{stage}_{len(name)}"
        shutil.copytree(ref, folder)
        do(folder)
        data = mapping(folder)

        def check(folder=folder, data=data, stage=stage, var=var):
            res = run(data)
            a, b = res.datasets[stage][var].values, clean.datasets[stage][var].values
            # recomputed equals the clean run's (FFTs differ in the last bit between runs)
            return stage in res.computed and np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True)

        record("9", name, classify(check))


# --- class 10 -------------------------------------------------------------------------------
def class10(tmp: Path) -> None:
    from operando.errors import ResourceError
    from operando.pipeline.resources import check_run_memory, estimate_run_memory

    for voxel, nz in [("1 nm", 512), ("10 nm", 1), ("20 nm", 8), ("50 nm", 64), ("100 nm", 512), ("250 nm", 64),
                      ("500 nm", 512), ("500 nm", 1)]:
        cfg = RunConfig.from_mapping(mapping(tmp / "c10", **{"cell.voxel": voxel, "cell.nz": nz}))
        try:
            check_run_memory(cfg)
            kind, verdict = "good", f"accepted, estimate {estimate_run_memory(cfg) / 2**30:.2g} GiB"
        except ResourceError as exc:
            kind = "good" if "choose" in str(exc) and "needs about" in str(exc) else "misleading"
            verdict = "refused"
        record("10", f"voxel {voxel} × {nz} layers: {verdict}", kind)


# --- class 11 -------------------------------------------------------------------------------
def class11(tmp: Path) -> None:
    base = toml(tmp / "ok.toml", tmp / "c11_out")
    cases = []
    for voxel in ("1e-30 m", "0 m", "-5 nm", "1 km", "nan m", "inf m", "0.5 nm", "900 nm"):
        cases.append((f"voxel = {voxel!r}", ["config", "--check", toml(tmp / f"v{len(cases)}.toml", tmp / "o",
                                                                       **{"cell.voxel": voxel})], "cell.voxel"))
    for nz in (0, -1, 100000):
        cases.append((f"nz = {nz}", ["config", "--check", toml(tmp / f"n{nz}.toml", tmp / "o", **{"cell.nz": nz})],
                      "cell.nz"))
    latin = tmp / "latin1.toml"
    latin.write_bytes('out = "r\xe9sultats"\n'.encode("latin-1"))
    utf16 = tmp / "utf16.toml"
    utf16.write_bytes('seed = 1\n'.encode("utf-16"))
    garbage = tmp / "garbage.toml"
    garbage.write_bytes(bytes(range(256)))
    for p in (latin, utf16, garbage):
        cases.append((f"config {p.name}", ["run", p], "not UTF-8"))
    cases.append(("config is a folder", ["run", tmp], "is a folder"))
    taken = tmp / "taken.txt"
    taken.write_text("keep")
    cases.append(("output is an existing file", ["run", base, "-o", taken], "is a file, not a folder"))
    cases.append(("output under a file", ["run", base, "-o", taken / "sub"], "not a folder"))
    cases.append(("demo output is an existing file", ["demo", "-o", taken], "is a file, not a folder"))
    cases.append(("grid beyond memory (2 nm × 512)", ["run", toml(tmp / "mem.toml", tmp / "m", **{"cell.voxel": "2 nm",
                                                                                             "cell.nz": 512})],
                  "needs about"))
    for name, args, expect in cases:
        code, err = cli(args)
        kind = cli_kind(code, err, expect)
        if name.startswith("output") and taken.read_text() != "keep":
            kind = "data-lost"
        record("11", name, kind)


def main() -> None:
    quick = "--quick" in sys.argv
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for step in (class11, class10, class9, lambda t: class5_6(t), lambda t: class8(t, quick),
                     lambda t: class7(t, quick), lambda t: class1(t, quick)):
            step(tmp)
    print(f"\n{'class':>5} {'tried':>5} {'good':>5}  bad by kind   ({time.perf_counter() - t0:.0f} s)")
    total = Counter()
    for cls in sorted(RESULTS, key=int):
        kinds = Counter("good" if k.startswith("good") else k for _, k in RESULTS[cls])
        total.update(kinds)
        bad = ", ".join(f"{k} {n}" for k, n in kinds.items() if k != "good") or "-"
        print(f"{cls:>5} {len(RESULTS[cls]):>5} {kinds['good']:>5}  {bad}")
    bad = ", ".join(f"{k} {n}" for k, n in total.items() if k != "good") or "-"
    print(f"{'all':>5} {sum(total.values()):>5} {total['good']:>5}  {bad}")


if __name__ == "__main__":
    main()
