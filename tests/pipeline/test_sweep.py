"""Sweeps of runs on dask.distributed: a grid of 8 cheap points on a LocalCluster of 2 workers,
the same grid on an external scheduler and worker started here, resume, and bad input."""

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tifffile
import xarray as xr

import operando
from operando.pipeline.sweep import BOOKKEEPING, SHARED_STAGES, SweepError, parse_over, plan_sweep
from operando.verdicts import BY_CONSTRUCTION, VERDICTS

#: 2 standoffs × 2 fields × 2 current densities
OVER = {"imaging.standoff": ["30 nm", "50 nm"], "imaging.B_ext": ["50 mT", "100 mT"],
        "charge.0.current_density": ["2 mA/cm^2", "4 mA/cm^2"]}
LABEL_MAP = {0: "void", 1: "Li", 2: "LLZO_cubic", 3: "LiCoO2"}


def write_stack(path, grounded: bool = True) -> Path:
    """A 12 × 20 Li | LLZO | LiCoO2 section (as in test_import_volume); ``grounded=False`` leaves
    out the Li metal on the x = 0 face (valid labels, but a cell that cannot be charged)."""
    lab = np.full((1, 12, 20), 2, dtype=np.uint8)
    lab[..., :2] = 1 if grounded else 2
    lab[:, ::2, 10:] = 3
    tifffile.imwrite(path, lab)
    return path


def cheap(tmp, out) -> dict:
    """The cheapest full run: a tiny imported cell, one 5 s charge step, no Ørsted imaging (its
    re-solves at three currents cost most), no ODMR spectra: ~2 s a point."""
    labels = Path(tmp) / "cell.tif"
    if not labels.exists():
        write_stack(labels)
    return {"out": str(out), "cell": {"labels": str(labels), "label_map": LABEL_MAP, "voxel": "500 nm"},
            "charge": [{"name": "step", "current_density": "4.7 mA/cm^2", "duration": "5 s"}],
            "imaging": {"modes": ["susceptometry", "lithium"], "nv_orientations": ["perpendicular"],
                        "standoff_sweep": ["50 nm"], "oersted_step": "step", "susceptometry_step": "step"},
            "sensor": {"simulate_spectra": False}}


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The 8-point sweep on a LocalCluster of 2 workers (threads: a worker process would import
    operando and compile its kernels again, seconds per worker)."""
    folder = tmp_path_factory.mktemp("sweep")
    cfg = cheap(folder, folder / "local")
    t0 = time.perf_counter()
    ds = operando.sweep(cfg, OVER, n_workers=2, processes=False)
    return cfg, ds, time.perf_counter() - t0


def results(ds: xr.Dataset) -> xr.Dataset:
    return ds.drop_vars(list(BOOKKEEPING))


def assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    """Same coordinates, verdicts, claim texts and errors; the numbers equal to 1e-9 (another
    process may sum in another order: the reconstruction's median error differs in the last bits)."""
    a, b = results(a).drop_attrs(), results(b).drop_attrs()
    exact = [k for k in a.data_vars if a[k].dtype.kind in "iuU"]
    xr.testing.assert_identical(a[exact], b[exact])
    xr.testing.assert_allclose(a, b, rtol=1e-9, atol=0)


def test_tidy_dataset_of_eight_points(local):
    cfg, ds, seconds = local
    print(f"8-point sweep on a LocalCluster of 2 workers: {seconds:.1f} s")
    assert dict(ds.sizes) == {"imaging_standoff": 2, "imaging_B_ext": 2, "charge_0_current_density": 2,
                              "claim": 12, "step": 1}
    np.testing.assert_allclose(ds["imaging_standoff"], [30e-9, 50e-9])
    assert ds["imaging_standoff"].attrs["units"] == "m" and ds["imaging_B_ext"].attrs["units"] == "T"
    assert ds["imaging_standoff"].attrs["config_key"] == "imaging.standoff"
    assert ds.attrs["failed"] == 0 and (ds["error"] == "").all()
    assert (ds["stages_computed"] > 0).all()
    # each point is its own run: the paramagnetic field is linear in B_ext (M = χB/μ0) ...
    ratio = ds["peak_B_lco"].sel(imaging_B_ext=0.1) / ds["peak_B_lco"].sel(imaging_B_ext=0.05)
    np.testing.assert_allclose(ratio, 2.0, rtol=1e-6)
    # ... falls with the standoff, and twice the current takes out twice the lithium (Faraday)
    assert (ds["peak_B_lco"].sel(imaging_standoff=30e-9) > ds["peak_B_lco"].sel(imaging_standoff=50e-9)).all()
    lost = 0.99 - ds["x_li_mean_end"].isel(step=0)  # from the initial x of an imported cell
    np.testing.assert_allclose(lost.sel(charge_0_current_density=40.0) / lost.sel(charge_0_current_density=20.0),
                               2.0, rtol=1e-3)
    # the claims' verdicts as CF flags; M4 (linearity in B_ext) is by construction everywhere
    assert ds["verdict"].attrs["flag_meanings"].split() == ["not_judged", *(v.replace(" ", "_") for v in VERDICTS)]
    assert list(ds["verdict"].attrs["flag_values"]) == list(range(-1, len(VERDICTS)))
    assert (ds["verdict"].sel(claim="M4") == VERDICTS.index(BY_CONSTRUCTION)).all()
    assert (ds["cell_voltage_end"] > 3).all() and (ds["t_end"] == 5.0).all()
    # written atomically with CF attributes, and read back equal
    on_disk = xr.load_dataset(Path(cfg["out"]) / "sweep.nc")
    assert on_disk["verdict"].dtype == np.int8  # codes stay codes when read back (no fill value → NaN)
    assert on_disk.attrs["Conventions"].startswith("CF")
    xr.testing.assert_identical(results(on_disk).drop_attrs(), results(ds).drop_attrs())
    folders = sorted(p.name for p in Path(cfg["out"]).iterdir() if p.is_dir() and p.name != SHARED_STAGES)
    assert len(folders) == 8 and all("imaging.standoff" in f for f in folders)


def test_points_share_the_stages_they_have_in_common(local):
    cfg, ds, _ = local
    shared = Path(cfg["out"]) / SHARED_STAGES
    stored = sorted(p.name.rsplit("-", 1)[0] for p in shared.glob("*.nc"))
    # one cell for all 8 points, one charge per current density; fields and what follows per point
    assert stored == ["cell_pristine"] + ["charge_step"] * 2 + ["fields"] * 8 + ["measurement"] * 8 + \
        ["reconstruction"] * 8
    assert int(ds["stages_shared"].sum()) == 7 + 6
    assert int((ds["stages_computed"] + ds["stages_shared"]).sum()) == 8 * 5
    # each point folder still holds all of its stages, the same data
    for point in (p for p in Path(cfg["out"]).iterdir() if p.is_dir() and p.name != SHARED_STAGES):
        assert (point / "charge_step.nc").exists() and (point / "cell_pristine.nc").exists()


def test_resume_after_a_partial_sweep(local):
    cfg, ds, _ = local
    out = Path(cfg["out"])
    (out / "sweep.nc").unlink()
    _, points, _ = plan_sweep(cfg, OVER)
    lost = {points[1].name, points[6].name}
    for name in lost:  # as if the sweep was killed before these two points ran
        for f in (out / name).iterdir():
            f.unlink()
    t0 = time.perf_counter()
    again = operando.sweep(cfg, OVER, n_workers=2, processes=False)
    print(f"resumed sweep (6 of 8 points cached): {time.perf_counter() - t0:.1f} s")
    computed = {p.name: int(again["stages_computed"].values[np.unravel_index(i, (2, 2, 2))])
                for i, p in enumerate(points)}
    shared = {p.name: int(again["stages_shared"].values[np.unravel_index(i, (2, 2, 2))])
              for i, p in enumerate(points)}
    # the lost points' stages are still in the sweep's shared store: restored, nothing recomputed
    assert all(n == 0 for n in computed.values()), computed
    assert all((n == 5) == (name in lost) for name, n in shared.items()), shared
    xr.testing.assert_identical(results(again).drop_attrs(), results(ds).drop_attrs())


def _start(args, env, log):
    return subprocess.Popen([sys.executable, "-m", "distributed.cli." + args[0], *args[1:]], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def test_external_scheduler_gives_identical_results(local, tmp_path):
    """A `dask scheduler` and a `dask worker` (one process, 2 threads) started here on localhost run the same
    grid into a new folder: every result equals the LocalCluster's."""
    _, ds, _ = local
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(operando.__file__).parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    file = tmp_path / "scheduler.json"
    procs = []
    with open(tmp_path / "dask.log", "w") as log:
        try:
            procs.append(_start(["dask_scheduler", "--scheduler-file", str(file), "--port", "0",
                                 "--dashboard-address", ":0", "--host", "127.0.0.1"], env, log))
            deadline = time.monotonic() + 60
            while not file.exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert file.exists(), (tmp_path / "dask.log").read_text()
            address = json.loads(file.read_text())["address"]
            assert address.startswith("tcp://127.0.0.1:")
            procs.append(_start(["dask_worker", address, "--nworkers", "1", "--nthreads", "2",
                                 "--no-dashboard", "--local-directory", str(tmp_path / "work")], env, log))
            t0 = time.perf_counter()
            remote = operando.sweep(cheap(tmp_path, tmp_path / "remote"), OVER, scheduler=address)
            print(f"8-point sweep on an external scheduler and a worker of 2 threads: {time.perf_counter() - t0:.1f} s")
        finally:
            for p in procs[::-1]:
                p.terminate()
                p.wait(timeout=30)
    assert (remote["stages_computed"] > 0).all()  # computed there, not read from the local sweep's cache
    assert_same(remote, ds)


def test_failed_point_is_reported_and_the_others_run(tmp_path, monkeypatch):
    run = importlib.import_module("operando.pipeline.run")  # the module (operando.pipeline.run is also a function)
    runs = []
    real = run.run_experiment

    def counted(cfg, **kw):
        runs.append(cfg.cell.labels.name)
        return real(cfg, **kw)

    monkeypatch.setattr(run, "run_experiment", counted)
    cfg = cheap(tmp_path, tmp_path / "out")
    bad = write_stack(tmp_path / "bad.tif", grounded=False)
    with pytest.warns(UserWarning, match="1 of 2 points failed"):
        ds = operando.sweep(cfg, {"cell.labels": [cfg["cell"]["labels"], str(bad)]}, n_workers=1, processes=False,
                            retries=1)
    errors = ds["error"].values.tolist()
    assert errors[0] == "" and "cannot be charged" in errors[1] and "x = 0" in errors[1]
    assert np.isfinite(ds["peak_B_lco"].values[0]) and np.isnan(ds["peak_B_lco"].values[1])
    assert sorted(runs) == ["bad.tif", "cell.tif"]  # a cell that cannot be charged is not retried in vain


def test_a_point_that_fails_by_chance_is_retried(tmp_path, monkeypatch):
    run = importlib.import_module("operando.pipeline.run")  # the module (operando.pipeline.run is also a function)
    runs = []
    real = run.run_experiment

    def flaky(cfg, **kw):
        runs.append(1)
        if len(runs) == 1:
            raise OSError("connection to the file server lost")
        return real(cfg, **kw)

    monkeypatch.setattr(run, "run_experiment", flaky)
    ds = operando.sweep(cheap(tmp_path, tmp_path / "out"), {"seed": [0]}, n_workers=1, processes=False, retries=1)
    assert len(runs) == 2 and ds.attrs["failed"] == 0


@pytest.mark.parametrize(("over", "match"), [
    ({"imaging.standof": ["30 nm"]}, r"unknown key 'imaging.standof'.*'imaging.standoff'"),
    ({"sensor.standoff": ["30 nm"]}, r"unknown key 'sensor.standoff'.*'imaging.standoff'"),
    ({"imaging.standoff": ["30 nm", "50 mT"]}, r"imaging.standoff = '50 mT' is invalid \(expected a quantity in m"),
    ({"charge.0.current_density": ["4.7 mA"]}, r"charge.0.current_density = '4.7 mA'.*in A/m\^2"),
    ({"charge.7C.duration": ["1 s"]}, r"no charge step '7C'"),
    ({"seed": ["1 s"]}, r"seed = '1 s' is invalid"),
    ({"imaging": ["x"]}, "is a section"),
    ({"seed": [0, 0]}, "listed twice"),
    ({"charge.0.duration": ["5 s"], "charge.step.duration": ["9 s"]}, r"'charge.step.duration'.*same setting"),
])
def test_bad_keys_and_units_fail_before_any_point(tmp_path, over, match):
    cfg = cheap(tmp_path, tmp_path / "out")
    with pytest.raises(SweepError, match=match):
        operando.sweep(cfg, over)
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written


def test_charge_step_by_name_or_index(tmp_path):
    cfg = cheap(tmp_path, tmp_path / "out")
    cfg["charge"][0] = {"name": "5C", "c_rate": "5C", "duration": "5 s"}
    cfg["imaging"].update(oersted_step="5C", susceptometry_step="5C")
    folders = []
    for key in ("charge.0.current_density", "charge.5C.current_density"):
        _, points, _ = plan_sweep(cfg, {key: ["1 mA/cm^2", "2 mA/cm^2"]})
        steps = [operando.pipeline.config.RunConfig.from_mapping(p.mapping).charge[0] for p in points]
        assert [s.nominal_current_density for s in steps] == pytest.approx([10.0, 20.0])  # the c_rate replaced
        folders.append([p.name for p in points])
    assert folders[0] == folders[1] and folders[0][0] != folders[0][1]  # one folder per point, either spelling


@pytest.mark.parametrize(("spec", "key", "values"), [
    ("imaging.standoff=[30 nm, 50 nm]", "imaging.standoff", ["30 nm", "50 nm"]),
    ('imaging.standoff=["30 nm", "50 nm"]', "imaging.standoff", ["30 nm", "50 nm"]),
    ("seed=[0, 1, 2]", "seed", [0, 1, 2]),
    ("sensor.kind=scanning", "sensor.kind", ["scanning"]),
])
def test_parse_over(spec, key, values):
    assert parse_over(spec) == (key, values)


def test_a_key_given_twice_on_the_command_line_is_refused(tmp_path):
    """Two --over of one key would keep only the last list: a sweep of fewer points than asked."""
    from typer.testing import CliRunner

    from operando.cli import app

    path = tmp_path / "run.toml"
    path.write_text(f'out = "{tmp_path / "out"}"\n')
    res = CliRunner().invoke(app, ["sweep", str(path), "--over", "seed=[0, 1]", "--over", "seed=[2]"])
    assert res.exit_code != 0 and "'seed' is given twice" in str(res.exception)
    assert not (tmp_path / "out").exists()


def test_command_line_sweep_resumes_from_the_cached_points(local, tmp_path):
    from typer.testing import CliRunner

    from operando.cli import app

    cfg, ds, _ = local
    path = tmp_path / "sweep.toml"
    lines = [f'out = "{cfg["out"]}"', "[cell]", f'labels = "{cfg["cell"]["labels"]}"', 'voxel = "500 nm"',
             "label_map = {" + ", ".join(f'{k} = "{v}"' for k, v in LABEL_MAP.items()) + "}",
             "[[charge]]", 'name = "step"', 'current_density = "4.7 mA/cm^2"', 'duration = "5 s"',
             "[imaging]", 'modes = ["susceptometry", "lithium"]', 'nv_orientations = ["perpendicular"]',
             'standoff_sweep = ["50 nm"]', 'oersted_step = "step"', 'susceptometry_step = "step"',
             "[sensor]", "simulate_spectra = false"]
    path.write_text("\n".join(lines) + "\n")
    args = ["sweep", str(path), "--over", "imaging.standoff=[30 nm, 50 nm]", "--over", "imaging.B_ext=[50 mT, 100 mT]",
            "--over", "charge.0.current_density=[2 mA/cm^2, 4 mA/cm^2]", "--workers", "2", "--threads"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "8 points, 0 failed; stages computed 0, taken from another point 0" in res.output
    again = xr.load_dataset(Path(cfg["out"]) / "sweep.nc")
    assert (again["stages_computed"] == 0).all()  # every point was a cached run
    assert_same(again, ds)
    bad = CliRunner().invoke(app, ["sweep", str(path), "--over", "imaging.standoff=[30 mT]"])
    assert bad.exit_code != 0 and "expected a quantity in m" in str(bad.exception)


def test_key_of_a_section_the_base_leaves_at_its_defaults(tmp_path):
    cfg = cheap(tmp_path, tmp_path / "out")
    del cfg["sensor"]  # no [sensor] table: its keys are still valid (the section has defaults)
    _, points, _ = plan_sweep(cfg, {"sensor.integration_time": ["1 s", "10 s"]})
    times = [operando.pipeline.config.RunConfig.from_mapping(p.mapping).sensor.integration_time for p in points]
    assert times == pytest.approx([1.0, 10.0])
    del cfg["charge"]  # the default steps: one is named in the key
    cfg["imaging"].update(oersted_step="25C", susceptometry_step="5C")
    _, points, _ = plan_sweep(cfg, {"charge.5C.duration": ["1 min", "2 min"]})
    steps = [operando.pipeline.config.RunConfig.from_mapping(p.mapping).charge for p in points]
    assert [s[2].duration for s in steps] == pytest.approx([60.0, 120.0])
    assert [s.name for s in steps[0]] == ["C/10", "1C", "5C", "25C"]


def test_points_run_as_threads_leave_the_process_settings_as_they_were(monkeypatch):
    """Points on threads of one process (processes=False) silence their warnings and use dask's
    synchronous scheduler while they run; when two overlap and the first to start ends first, the
    process's settings must still come back (warnings.catch_warnings and dask.config.set per point
    would leave 'ignore everything' and the synchronous scheduler installed for good)."""
    import importlib
    import threading
    import warnings

    import dask

    from operando.pipeline.sweep import run_point

    run_module = importlib.import_module("operando.pipeline.run")  # the package's `run` is the function

    both_inside, first_done = threading.Barrier(2, timeout=10), threading.Event()

    def fake_run(cfg, **kwargs):
        both_inside.wait()
        if cfg.seed == 1:  # the second point ends after the first has ended
            assert first_done.wait(10)
        raise RuntimeError("stop")

    monkeypatch.setattr(run_module, "run_experiment", fake_run)
    mapping = {"cell": {"nz": 1}}

    def point(seed):
        with pytest.raises(RuntimeError, match="stop"):
            run_point({**mapping, "seed": seed})

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        before = list(warnings.filters)
        scheduler = dask.config.get("scheduler", None)
        first = threading.Thread(target=point, args=(0,))
        second = threading.Thread(target=point, args=(1,))
        first.start()
        second.start()
        first.join(10)
        first_done.set()
        second.join(10)
        assert list(warnings.filters) == before
        assert dask.config.get("scheduler", None) == scheduler


def test_a_script_without_a_main_guard_is_told_what_to_do(tmp_path):
    """Worker processes of the local cluster import the script that started them: without
    `if __name__ == "__main__":` they cannot start, and the error says so (not 'Nanny failed to start')."""
    script = tmp_path / "unguarded.py"
    script.write_text("import operando\n"
                      f"operando.sweep({{'out': {str(tmp_path / 'out')!r}}}, {{'seed': [0, 1]}}, n_workers=1)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(operando.__file__).parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120,
                         cwd=tmp_path)
    assert res.returncode != 0
    assert "SweepError" in res.stderr and 'if __name__ == "__main__":' in res.stderr and "processes=False" in res.stderr


def test_a_sweep_over_seeds_charges_an_imported_volume_once(tmp_path):
    """The seed draws the preset's grains and the measurement's noise; a labelled volume or a cell
    file does not depend on it, so the points of a noise-seed sweep share its cell and charge."""
    from operando.pipeline.config import RunConfig
    from operando.pipeline.run import cell_stage_key, charge_stage_keys

    def keys(mapping):
        cfg = RunConfig.from_mapping(mapping)
        return cell_stage_key(cfg, "pristine"), charge_stage_keys(cfg)

    _, points, _ = plan_sweep(cheap(tmp_path, tmp_path / "out"), {"seed": [0, 1]})
    first, second = (keys(p.mapping) for p in points)
    assert first == second
    preset = {"out": str(tmp_path / "preset"), "cell": {"nz": 1}}
    _, points, _ = plan_sweep(preset, {"seed": [0, 1]})
    assert keys(points[0].mapping)[0] != keys(points[1].mapping)[0]  # other grains


def test_swept_paths_reach_a_worker_in_another_folder(tmp_path, monkeypatch):
    """Points travel as mappings to workers that may run elsewhere (an external scheduler's): a
    swept relative path is made absolute, as the base configuration's are."""
    from operando.pipeline.config import RunConfig

    monkeypatch.chdir(tmp_path)
    cfg = cheap(tmp_path, tmp_path / "out")
    write_stack(tmp_path / "other.tif")
    _, points, _ = plan_sweep(cfg, {"cell.labels": ["cell.tif", "other.tif"]})
    elsewhere = tmp_path / "worker"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    labels = [RunConfig.from_mapping(p.mapping).cell.labels for p in points]
    assert labels == [tmp_path / "cell.tif", tmp_path / "other.tif"]


@pytest.mark.parametrize(("kwargs", "match"), [({"retries": -1}, "retries must be at least 0, got -1"),
                                               ({"n_workers": 0}, "n_workers must be at least 1, got 0")])
def test_bad_sweep_settings_fail_before_any_point(tmp_path, kwargs, match):
    with pytest.raises(SweepError, match=match):
        operando.sweep(cheap(tmp_path, tmp_path / "out"), {"seed": [0]}, **kwargs)
    assert not (tmp_path / "out").exists()


def test_command_line_sweep_interrupted_says_how_to_resume(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from operando.cli import app
    from operando.pipeline import sweep as sweep_module

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "sweep", interrupted)
    path = tmp_path / "sweep.toml"
    path.write_text(f'out = "{tmp_path / "out"}"\n')
    res = CliRunner().invoke(app, ["sweep", str(path), "--over", "seed=[0, 1]"])
    assert res.exit_code == 130 and "run the same command again to resume" in res.output


def test_points_on_threads_keep_their_stage_lines_off_the_console(tmp_path, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="operando.run"):
        operando.sweep(cheap(tmp_path, tmp_path / "out"), {"seed": [0]}, n_workers=1, processes=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "operando.run"]
    assert any(m.startswith("sweep point 1/1 finished") for m in lines), lines
    assert not any("computed in" in m for m in lines), lines  # the point's stage lines
    # and after the sweep a run logs its stages again
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="operando.run"):
        operando.run(cheap(tmp_path, tmp_path / "single"), progress=False, report=False)
    assert any("computed in" in r.getMessage() for r in caplog.records)
