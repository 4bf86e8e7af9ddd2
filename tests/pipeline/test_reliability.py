"""Fault injection on runs (issue 15): nothing wrong is ever cached, resumed or overwritten, and every
failure is a clear message. Each test is named after the issue's item it guards.

A tiny run (a 2-D section at 500 nm, short steps, one NV orientation, no spectra) is the base.
"""

import errno
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from operando import cli
from operando.cell import presets
from operando.electrochem import solver
from operando.electrochem.checkpoint import unusable_checkpoint
from operando.electrochem.protocol import Galvanostatic
from operando.errors import InputError, OperandoError, OutputError, ResourceError
from operando.pipeline.cache import StageCache
from operando.pipeline.config import ConfigError, RunConfig
from operando.pipeline.lock import LOCK_NAME, FolderInUseError, FolderLock
from operando.pipeline.resources import check_run_memory, run_grid_shape
from operando.pipeline.run import cell_stage_key, charge_stage_keys, charge_stage_names, run_experiment
from operando.pipeline.stages import cell_from_dataset, charge_dataset, step_named

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OPERANDO_PROGRESS": "0"}


def _mapping(out, **changes):
    data = {
        "out": str(out),
        "cell": {"voxel": "500 nm", "nz": 1},
        "charge": [
            {"name": "5C", "current_density": "4.70 mA/cm^2", "duration": "8 s"},
            {"name": "25C", "current_density": "23.5 mA/cm^2", "duration": "0.5 s", "dendrite": True},
        ],
        "imaging": {"nv_orientations": ["perpendicular"], "standoff_sweep": ["50 nm"]},
        "sensor": {"simulate_spectra": False},
    }
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        node = data
        for p in path:
            node = node.setdefault(p, {})
        node[last] = value
    return data


def _config(out, **changes) -> RunConfig:
    return RunConfig.from_mapping(_mapping(out, **changes))


def _clean_charge(res, cfg, step="5C"):
    """The charge stage computed from t = 0 on the run's own cell, with no checkpoint."""
    cell = cell_from_dataset(res.datasets["cell_pristine"])
    return charge_dataset(cell, step_named(cfg, step), None, False)


def _read(path) -> xr.Dataset:
    """A stage file as a user would open it (to edit it, say)."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


class Killed(Exception):
    """Stands for a kill right after the first checkpoint was written."""


def _die_after_first_checkpoint(monkeypatch):
    real = solver.write_checkpoint

    def write_then_die(path, ds, **kw):
        real(path, ds, **kw)
        raise Killed

    monkeypatch.setattr(solver, "write_checkpoint", write_then_die)


# --- item 1: checkpoints are keyed by everything the charge depends on ------------------------
@pytest.mark.parametrize("change", [{"seed": 1}, pytest.param({}, marks=pytest.mark.slow)], ids=["seed", "none"])
def test_item1_interrupted_charge_then_config_change_equals_clean_run(tmp_path, monkeypatch, change):
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        _die_after_first_checkpoint(m)
        with pytest.raises(Killed):
            run_experiment(_config(out), progress=False, report=False)
    assert len(list(out.glob(".charge_5C.*.checkpoint.nc"))) == 1
    (out / ".fields.nc.k2j4.tmp").write_bytes(b"half-written")  # as a killed writer leaves it
    cfg = _config(out, **change)
    res = run_experiment(cfg, progress=False, report=False)
    clean = _clean_charge(res, cfg)
    got = res.datasets["charge_5C"]
    # before: a new seed failed every rerun with "x: contains 507 non-finite value(s)"; with no
    # change the checkpoint is resumed, and the resumed run equals the uninterrupted one
    # (a resumed state rebuilds the Newton start from the saved fields: equal to round-off)
    np.testing.assert_array_equal(got["t"].values, clean["t"].values)
    np.testing.assert_allclose(got["x_li"].values, clean["x_li"].values, rtol=1e-12, atol=0)
    np.testing.assert_allclose(got["cell_voltage"].values, clean["cell_voltage"].values, rtol=1e-12, atol=0)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # checkpoints, temp files, lock


@pytest.mark.parametrize(("key", "value"), [("cell.electrolyte", "LLZO"), ("seed", 1), ("cell.buried", False),
                                            ("cell.voxel", "400 nm"), ("cell.nz", 2), ("charge.0.duration", "9 s")])
def test_item1_checkpoint_is_named_by_everything_the_charge_depends_on(tmp_path, key, value):
    # before: named by the step alone and checked against the protocol and grid shape, so a new
    # electrolyte resumed the old state (t = [60, 60.01] s, x = 0.948 instead of 0.014 s, 0.990)
    base = charge_stage_keys(_config(tmp_path))
    data = _mapping(tmp_path)
    if key.startswith("charge."):
        data["charge"][0]["duration"] = value
    else:
        section, _, leaf = key.rpartition(".")
        (data[section] if section else data)[leaf] = value
    changed = charge_stage_keys(RunConfig.from_mapping(data))
    assert changed["5C"] != base["5C"]
    assert (changed["25C"] == base["25C"]) == key.startswith("charge.")  # the other step keeps its state


def test_item1_checkpoint_of_another_microstructure_is_refused(tmp_path):
    protocol = Galvanostatic(current_density=47.0, duration=1.0, save_every=0.5)
    path = tmp_path / "ck.nc"
    solver.charge(presets.pollok2025(voxel=500e-9, nz=1, seed=0), protocol, checkpoint=path, progress=False)
    other = presets.pollok2025(voxel=500e-9, nz=1, seed=1)  # same grid, other particles
    with pytest.raises(InputError, match="another microstructure"):
        solver.charge(other, protocol, checkpoint=path, progress=False)


def test_item1_damaged_or_edited_checkpoint_is_not_resumed(tmp_path):
    protocol = Galvanostatic(current_density=47.0, duration=1.0, save_every=0.5)
    path = tmp_path / "ck.nc"
    solver.charge(presets.pollok2025(voxel=500e-9, nz=1), protocol, checkpoint=path, progress=False)
    assert unusable_checkpoint(path) is None
    ds = _read(path)
    ds["x_li"].values[-1, 0, 0, -5] = 7.0  # a hand edit keeps the attrs and their checksum
    ds.to_netcdf(path, engine="h5netcdf")
    assert "do not match the checksum" in unusable_checkpoint(path)
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(200))  # truncated: a signature and nothing else
    assert "cannot read" in unusable_checkpoint(path)


# --- items 5 and 6: keys hold the input file's content; step names never share a file --------
def test_item5_cell_file_replaced_in_place_changes_the_key(tmp_path):
    path = tmp_path / "cell.nc"
    presets.pollok2025(voxel=500e-9, nz=1, seed=0).save(path)
    cfg = RunConfig.from_mapping({"out": str(tmp_path / "o"), "cell": {"file": str(path), "preset": None}})
    before = cell_stage_key(cfg, "pristine")
    presets.pollok2025(voxel=500e-9, nz=1, seed=0).save(path)
    assert cell_stage_key(cfg, "pristine") == before  # the same content: the same key
    presets.pollok2025(voxel=500e-9, nz=1, seed=5).save(path)
    assert cell_stage_key(cfg, "pristine") != before


def test_item6_step_names_that_sanitise_alike_get_their_own_files(tmp_path):
    steps = [{"name": n, "c_rate": 1, "duration": "1 s"} for n in ("5C", "5C!", "5C?", "C/10", "C-10", "C 10")]
    cfg = RunConfig.from_mapping({"charge": steps, "imaging": {"oersted_step": "5C", "susceptometry_step": "5C"}})
    names = charge_stage_names(cfg)
    assert len(set(names.values())) == len(steps)
    assert names["5C"] == "charge_5C" and names["C/10"].startswith("charge_C-10-")
    assert all(re.fullmatch(r"charge_[A-Za-z0-9_.-]+", n) for n in names.values())


@pytest.mark.slow
def test_item6_run_with_colliding_step_names_uses_each_steps_own_state(tmp_path):
    data = _mapping(tmp_path / "run")
    data["charge"].insert(0, {"name": "5C!", "current_density": "0.94 mA/cm^2", "duration": "8 s"})
    cfg = RunConfig.from_mapping(data)
    res = run_experiment(cfg, progress=False, report=False)
    a, b = res.datasets["charge_5C"], res.datasets[charge_stage_names(cfg)["5C!"]]
    assert a.attrs["nominal_current_density"] == pytest.approx(47.0)
    assert b.attrs["nominal_current_density"] == pytest.approx(9.4)
    np.testing.assert_array_equal(res.datasets["fields"]["B_lco"].values,
                                  run_experiment(_config(tmp_path / "alone"), progress=False,
                                                 report=False).datasets["fields"]["B_lco"].values)


# --- item 9: stage files are verified --------------------------------------------------------
def _stage(calls):
    def compute():
        calls.append(1)
        return xr.Dataset({"x_li": (("x",), np.array([0.9, 0.95, 0.99]), {"units": "1"})})
    return compute


def test_item9_hand_edited_stage_is_recomputed_with_a_warning(tmp_path):
    calls = []
    StageCache(tmp_path).get("charge_5C", "k1", _stage(calls))
    path = tmp_path / "charge_5C.nc"
    ds = _read(path)
    ds["x_li"].values[0] = 7.0
    ds.to_netcdf(path, engine="h5netcdf")
    cache = StageCache(tmp_path)
    with pytest.warns(UserWarning, match="'charge_5C' recomputed.*do not match the checksum"):
        again = cache.get("charge_5C", "k1", _stage(calls))
    assert len(calls) == 2 and cache.computed == ["charge_5C"] and float(again["x_li"][0]) == 0.9
    third = StageCache(tmp_path)
    third.get("charge_5C", "k1", _stage(calls))
    assert third.reused == ["charge_5C"] and len(calls) == 2


def test_a_charge_killed_in_one_run_is_resumed_by_another_sharing_its_stages(tmp_path, monkeypatch):
    shared = tmp_path / "stages"
    with monkeypatch.context() as m:
        _die_after_first_checkpoint(m)
        with pytest.raises(Killed):
            run_experiment(_config(tmp_path / "a"), progress=False, report=False, shared_stages=shared)
    saved = list(shared.glob(".charge_5C.*.checkpoint.nc"))
    assert len(saved) == 1
    resumed = []
    real = solver.load_checkpoint

    def reading(path, *a, **kw):
        resumed.append(path)
        return real(path, *a, **kw)

    monkeypatch.setattr(solver, "load_checkpoint", reading)
    cfg = _config(tmp_path / "b", **{"imaging.standoff": "30 nm"})  # another point, the same charge
    res = run_experiment(cfg, progress=False, report=False, shared_stages=shared)
    assert saved[0] in map(type(saved[0]), resumed) and "charge_5C" in res.computed
    clean = _clean_charge(res, cfg)
    np.testing.assert_allclose(res.datasets["charge_5C"]["x_li"].values, clean["x_li"].values, rtol=1e-12, atol=0)
    assert not list(shared.glob(".charge_*"))  # the checkpoint goes once the stage is stored


@pytest.mark.parametrize("offset", [0, 8, 44], ids=["signature", "superblock", "root-address"])
def test_item9_corrupted_hdf5_metadata_is_recomputed(tmp_path, offset):
    calls = []
    StageCache(tmp_path).get("fields", "k", _stage(calls))
    path = tmp_path / "fields.nc"
    raw = bytearray(path.read_bytes())
    raw[offset:offset + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="'fields' recomputed"):
        StageCache(tmp_path).get("fields", "k", _stage(calls))
    assert len(calls) == 2
    assert StageCache(tmp_path).load("fields", "k") is not None


def test_item9_a_stage_of_other_settings_is_recomputed_silently(tmp_path, recwarn):
    calls = []
    StageCache(tmp_path).get("fields", "k1", _stage(calls))
    StageCache(tmp_path).get("fields", "k2", _stage(calls))
    assert len(calls) == 2 and not recwarn.list


def test_runs_sharing_a_stage_folder_compute_a_stage_once_and_survive_a_damaged_copy(tmp_path):
    import threading

    calls = []
    slow = _stage(calls)

    def compute():
        time.sleep(0.3)  # both runs ask while the first computes: the second waits, then reads it
        return slow()

    caches = [StageCache(tmp_path / f"run{k}", shared=tmp_path / "stages") for k in range(2)]
    threads = [threading.Thread(target=c.get, args=("charge_5C", "k1", compute)) for c in caches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert sorted(c.computed + c.from_shared for c in caches) == [["charge_5C"], ["charge_5C"]]
    for c in caches:
        assert float(c.load("charge_5C", "k1")["x_li"][0]) == 0.9
    # another key is another stage; a damaged shared copy is recomputed, not trusted
    StageCache(tmp_path / "run2", shared=tmp_path / "stages").get("charge_5C", "k2", _stage(calls))
    shared = tmp_path / "stages" / "charge_5C-k1.nc"
    ds = _read(shared)
    ds["x_li"].values[0] = 7.0
    shared.unlink()  # (the run folders hold hard links to it: edit a copy)
    ds.to_netcdf(shared, engine="h5netcdf")
    third = StageCache(tmp_path / "run3", shared=tmp_path / "stages")
    with pytest.warns(UserWarning, match="'charge_5C' recomputed"):
        again = third.get("charge_5C", "k1", _stage(calls))
    assert len(calls) == 3 and third.computed == ["charge_5C"] and float(again["x_li"][0]) == 0.9
    assert float(_read(shared)["x_li"][0]) == 0.9  # the store holds the good data again


# --- item 8 (runs): a full disk keeps the previous results ------------------------------------
def test_item8_disk_full_during_a_stage_keeps_the_previous_file(tmp_path, monkeypatch):
    import operando.io as oio

    calls = []
    StageCache(tmp_path).get("fields", "k1", _stage(calls))
    before = (tmp_path / "fields.nc").read_bytes()

    def full(tmp, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(oio, "_write_durably", full)
    with pytest.raises(OutputError, match=r"fields\.nc.*disk is full"):
        StageCache(tmp_path).get("fields", "k2", _stage(calls))
    assert (tmp_path / "fields.nc").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fields.nc"]


# --- items 2 and 7: one writer per folder -----------------------------------------------------
def test_item7_second_writer_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "run"
    with FolderLock(out):
        holder = json.loads((out / LOCK_NAME).read_text())
        assert holder["pid"] == os.getpid() and holder["host"] and holder["started"]
        with pytest.raises(FolderInUseError, match=rf"in use by another operando run, PID {os.getpid()}"):
            FolderLock(out).acquire()
        with pytest.raises(FolderInUseError):
            run_experiment(_config(out), progress=False, report=False)
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # the refused run wrote nothing
    assert not (out / LOCK_NAME).exists()


def test_item2_lock_waits_for_its_holder_when_asked(tmp_path):
    held = FolderLock(tmp_path).acquire()
    threading.Timer(0.5, held.release).start()
    said = []
    with FolderLock(tmp_path, timeout=30, poll=0.05, on_wait=said.append) as lock:
        assert lock.stale is None
    assert len(said) == 1 and f"PID {os.getpid()}" in said[0]


_HOLD = textwrap.dedent("""
    import sys, time
    from operando.pipeline.lock import FolderLock
    FolderLock(sys.argv[1]).acquire()
    print("held", flush=True)
    time.sleep(120)
""")


def test_item2_stale_lock_of_a_killed_run_is_taken_over(tmp_path):
    script = tmp_path / "hold.py"
    script.write_text(_HOLD)
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path / "run")], stdout=subprocess.PIPE,
                             text=True, env=ENV)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(FolderInUseError, match=f"PID {child.pid}"):
            FolderLock(tmp_path / "run").acquire()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    with FolderLock(tmp_path / "run") as lock:  # the lock file is still there, naming a dead process
        assert lock.stale["pid"] == child.pid


_RUN = textwrap.dedent("""
    import json, sys
    from operando.pipeline.config import RunConfig
    from operando.pipeline.run import run_experiment
    run_experiment(RunConfig.from_mapping(json.loads(sys.argv[1])), progress=False, report=False)
""")


@pytest.mark.slow
def test_item7_two_concurrent_runs_one_writes_the_other_says_so(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_RUN)
    out = tmp_path / "run"
    runs = [subprocess.Popen([sys.executable, str(script), json.dumps(_mapping(out, seed=s))], env=ENV,
                             stderr=subprocess.PIPE, text=True) for s in (0, 1)]
    codes, errs = zip(*[(p.wait(300), p.stderr.read()) for p in runs], strict=True)
    assert sorted(codes) == [0, 1], errs
    winner = codes.index(0)
    assert "FolderInUseError" in errs[1 - winner] and "in use by another operando run" in errs[1 - winner]
    seeds = {p.name: _read(p).attrs["seed"] for p in out.glob("*.nc")}
    assert set(seeds.values()) == {winner}, seeds  # no mix of both configurations


@pytest.mark.slow
def test_item1_kill_9_mid_charge_then_new_seed_equals_clean_run(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_RUN)
    out = tmp_path / "run"
    long = _mapping(out)
    long["charge"][0]["duration"] = "600 s"
    child = subprocess.Popen([sys.executable, str(script), json.dumps(long)], env=ENV)
    try:
        deadline = time.monotonic() + 240
        while not list(out.glob(".charge_5C.*.checkpoint.nc")) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert list(out.glob(".charge_5C.*.checkpoint.nc")) and (out / LOCK_NAME).exists()
    long["seed"] = 1
    cfg = RunConfig.from_mapping(long)
    with pytest.warns(UserWarning, match="taking over from a run that stopped"):
        res = run_experiment(cfg, progress=False, report=False)
    clean = _clean_charge(res, cfg)
    np.testing.assert_array_equal(res.datasets["charge_5C"]["t"].values, clean["t"].values)
    np.testing.assert_array_equal(res.datasets["charge_5C"]["x_li"].values, clean["x_li"].values)


# --- item 10: memory is estimated before anything is allocated -----------------------------
@pytest.mark.parametrize(("voxel", "nz"), [("500 nm", 1), ("350 nm", 1), ("700 nm", 2)])
def test_item10_estimated_grid_is_the_built_one(voxel, nz):
    cfg = RunConfig.from_mapping({"cell": {"voxel": voxel, "nz": nz}})
    cell = presets.pollok2025(voxel=cfg.cell.voxel, nz=nz)
    assert run_grid_shape(cfg) == cell.grid.shape


def test_item10_run_beyond_memory_is_refused_with_a_voxel_that_fits(tmp_path):
    cfg = _config(tmp_path / "big", **{"cell.voxel": "100 nm", "cell.nz": 8})
    with pytest.raises(ResourceError, match=r"8 × 150 × 381 voxels.*needs about .* GiB.*choose cell.voxel ≥") as exc:
        check_run_memory(cfg, available=2**30)
    suggested = re.search(r"cell.voxel ≥ ([0-9.]+) nm", str(exc.value)).group(1)
    check_run_memory(_config(tmp_path, **{"cell.voxel": f"{suggested} nm", "cell.nz": 8}), available=2**30)
    # the case: 1 nm × 512 layers is refused before the output folder is even made
    with pytest.raises(ResourceError, match="needs about"):
        run_experiment(_config(tmp_path / "huge", **{"cell.voxel": "1 nm", "cell.nz": 512}), progress=False)
    assert not (tmp_path / "huge").exists()


# --- item 11: clear errors from the command line, exit code 2, no traceback -----------------
def _cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["operando", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return exc.value.code, err


def _toml(path, **changes):
    data = _mapping(path.parent / "out", **changes)
    lines = [f'out = "{data["out"]}"', "[cell]", f'voxel = "{data["cell"]["voxel"]}"', f'nz = {data["cell"]["nz"]}']
    for step in data["charge"]:
        lines += ["[[charge]]"] + [f"{k} = {json.dumps(v)}" for k, v in step.items()]
    lines += ["[imaging]", 'nv_orientations = ["perpendicular"]', "[sensor]", "simulate_spectra = false"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_item11_non_utf8_config(tmp_path, monkeypatch, capsys):
    path = tmp_path / "latin1.toml"
    path.write_bytes('out = "r\xe9sultats"\n'.encode("latin-1"))
    code, err = _cli(monkeypatch, capsys, "run", path)
    assert code == 2 and "not UTF-8 text (byte 0xe9 at position 8)" in err


def test_item11_absurd_voxel(tmp_path, monkeypatch, capsys):
    code, err = _cli(monkeypatch, capsys, "run", _toml(tmp_path / "c.toml", **{"cell.voxel": "1e-30 m"}))
    assert code == 2 and "cell.voxel: 1e-30 m is outside the valid range 1 nm to 800 nm" in err


def test_item11_output_path_is_an_existing_file(tmp_path, monkeypatch, capsys):
    taken = tmp_path / "results.txt"
    taken.write_text("keep me")
    code, err = _cli(monkeypatch, capsys, "run", _toml(tmp_path / "c.toml"), "-o", taken)
    assert code == 2 and "is a file, not a folder" in err and taken.read_text() == "keep me"
    code, err = _cli(monkeypatch, capsys, "demo", "-o", taken)
    assert code == 2 and "is a file, not a folder" in err


def test_item11_read_only_output_location(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    real_mkdir = Path.mkdir

    def read_only(self, *a, **kw):
        if str(self).startswith(str(tmp_path / "ro")):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *a, **kw)

    monkeypatch.setattr(Path, "mkdir", read_only)
    code, err = _cli(monkeypatch, capsys, "run", _toml(tmp_path / "c.toml"), "-o", tmp_path / "ro" / "out")
    assert code == 2 and "out: cannot write" in err and "read-only" in err


def test_item11_grid_beyond_memory(tmp_path, monkeypatch, capsys):
    code, err = _cli(monkeypatch, capsys, "run", _toml(tmp_path / "c.toml", **{"cell.voxel": "2 nm", "cell.nz": 512}))
    assert code == 2 and "needs about" in err and "choose cell.voxel ≥" in err


# --- item 6 of the build: fuzzed configurations never traceback at validation ----------------
_quantities = st.one_of(
    st.builds(lambda v, u: f"{v} {u}", st.floats(allow_nan=True, allow_infinity=True, width=32),
              st.sampled_from(["nm", "um", "m", "s", "min", "mA/cm^2", "T", "kg", ""])),
    st.text(max_size=12), st.integers(-10**6, 10**6), st.none(), st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(voxel=_quantities, nz=st.one_of(st.integers(-3, 2000), st.text(max_size=3)), duration=_quantities,
       current=_quantities, name=st.text(max_size=8), seed=st.one_of(st.integers(-5, 2**70), st.floats()),
       orientations=st.lists(st.sampled_from(["perpendicular", "parallel", "111", "x"]), max_size=3))
def test_fuzzed_configs_are_valid_or_a_config_error(voxel, nz, duration, current, name, seed, orientations):
    data = {"seed": seed, "cell": {"voxel": voxel, "nz": nz},
            "charge": [{"name": name, "current_density": current, "duration": duration}],
            "imaging": {"nv_orientations": orientations, "oersted_step": name, "susceptometry_step": name}}
    try:
        cfg = RunConfig.from_mapping(data)
    except ConfigError:
        return
    assert 1e-9 <= cfg.cell.voxel <= 8e-7 and cfg.cell.nz >= 1 and cfg.charge[0].duration > 0


@settings(max_examples=40, deadline=None)
@given(raw=st.binary(max_size=60))
def test_fuzzed_config_files_parse_or_raise_a_config_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "c.toml"
    path.write_bytes(raw)
    try:
        RunConfig.from_file(path)
    except OperandoError as exc:
        assert isinstance(exc, ConfigError)

