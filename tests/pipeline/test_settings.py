"""Every configuration key changes what it names: change it, and the output it governs changes.

One small run (a 2-D section, short steps) is the base; each case copies its output folder, so the
cache recomputes only the stages downstream of the changed key. The sensor's keys (kind, sensitivity)
are tested in test_sources_sensor.py.
"""

import shutil

import numpy as np
import pytest

from operando.cell import Cell, presets
from operando.pipeline.config import RunConfig
from operando.pipeline.run import run_experiment


@pytest.fixture(scope="module")
def base(tmp_path_factory, small_run):
    out = tmp_path_factory.mktemp("settings") / "base"
    cfg = RunConfig.from_mapping(small_run(out))
    return cfg, run_experiment(cfg, progress=False, report=False)


def _variant(base, tmp_path, update: dict, small_run):
    cfg, _ = base
    data = small_run(tmp_path / "variant")
    for dotted, value in update.items():
        *path, last = dotted.split(".")
        node = data
        for p in path:
            node = node.setdefault(p, {})
        node[last] = value
    shutil.copytree(cfg.out, tmp_path / "variant")
    return run_experiment(RunConfig.from_mapping(data), progress=False, report=False)


def _ds(name, var=None, attr=None):
    def get(res):
        ds = res.datasets[name]
        if attr is not None:
            return ds.attrs.get(attr)
        return ds[var].values if var in ds else None
    return get


def _verdicts(res):
    return [c.verdict for c in res.claims]


CASES = {
    # key: (new value, what it governs)
    "seed": (3, _ds("cell_pristine", "labels")),
    "cell.voxel": ("750 nm", _ds("cell_pristine", "labels")),
    "cell.nz": (2, _ds("cell_pristine", "labels")),
    "cell.dendrite": (False, lambda r: int(Cell.from_dataset(r.datasets["cell_dendrite"]).mask("dendrite").sum())),
    "cell.buried": (False, lambda r: Cell.from_dataset(r.datasets["cell_pristine"]).attrs.get("buried_particles")),
    "charge": ([{"name": "5C", "current_density": "2 mA/cm^2", "duration": "30 s"},
                {"name": "25C", "current_density": "23.5 mA/cm^2", "duration": "0.5 s", "dendrite": True}],
               _ds("charge_5C", attr="nominal_current_density")),
    "imaging.modes": (["oersted"], lambda r: sorted(r.datasets["fields"].data_vars)),
    "imaging.B_ext": ("200 mT", _ds("fields", "B_lco")),
    "imaging.nv_orientations": (["parallel"], _ds("fields", "B_lco")),
    "imaging.standoff": ("100 nm", _ds("fields", "B_oersted")),
    "imaging.standoff_sweep": (["20 nm"], _ds("fields", "peak_lco_vs_standoff")),
    "imaging.oersted_step": ("5C", _ds("fields", "B_oersted")),
    "imaging.susceptometry_step": ("25C", _ds("fields", "B_lco")),
    "sensor.pulsed_sensitivity": ("20 nT/Hz^0.5", _ds("measurement", "B_oersted_measured")),
    "sensor.integration_time": ("4 s", _ds("measurement", "B_lco_measured")),
    "sensor.simulate_spectra": (True, lambda r: "odmr_example" in r.datasets["measurement"]),
    "reconstruction.regularisation": ("none", _ds("reconstruction", "J_reconstructed")),
    "reconstruction.window_cutoff": (3.0, _ds("reconstruction", "x_li_reconstructed")),
    "claims": ("always", _verdicts),
}


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    return a == b


@pytest.mark.parametrize("key", sorted(CASES))
def test_every_key_changes_what_it_names(base, tmp_path, key, small_run):
    value, governed = CASES[key]
    res = _variant(base, tmp_path, {key: value}, small_run)
    assert not _same(governed(base[1]), governed(res)), f"{key} = {value!r} changed nothing it names"


def test_out_and_cell_file_are_used(tmp_path, small_run):
    cell = presets.pollok2025(voxel=500e-9, nz=1, seed=7)
    cell.save(tmp_path / "mine.nc")
    data = small_run(tmp_path / "elsewhere")
    data["cell"] = {"file": str(tmp_path / "mine.nc"), "preset": None}
    res = run_experiment(RunConfig.from_mapping(data), progress=False, report=False)
    assert res.folder == tmp_path / "elsewhere" and (res.folder / "charge_5C.nc").exists()
    np.testing.assert_array_equal(res.datasets["cell_pristine"]["labels"].values, cell.labels)


def test_claims_at_other_conditions_are_not_applicable_unless_asked(base, tmp_path, small_run):
    _, res = base
    # the base run charges for 30 s, not the paper's 4 min, and has no C/10 or 1C step
    verdict = {c.id: c for c in res.claims}
    assert verdict["M1"].verdict == "not applicable" and "0.09" in verdict["M1"].note
    assert verdict["M2"].verdict == "not applicable" and "4 min" in verdict["M2"].note
    assert verdict["M4"].verdict == "by construction"
    asked = {c.id: c for c in _variant(base, tmp_path, {"claims": "always"}, small_run).claims}
    assert asked["M2"].verdict in ("reproduced", "differs") and "not the paper's" in asked["M2"].note


def test_electrolyte_is_used_and_a_current_it_cannot_carry_names_the_limiting_phase(base, tmp_path, small_run):
    # tetragonal LLZO (1e-6 S/cm, Pollok et al. 2025 Table 1) cannot carry 4.70 mA/cm² across 8 µm
    from operando.errors import InputError

    with pytest.raises(InputError) as err:
        _variant(base, tmp_path, {"cell.electrolyte": "LLZO"}, small_run)
    msg = str(err.value)
    assert "'5C'" in msg and "4.7 mA/cm²" in msg
    assert "limiting phase is ionic conduction in the separator" in msg


def test_a_step_stopped_by_the_cut_off_is_reported(base):
    # 23.5 mA/cm² on the 2-D section reaches 4.3 V within a tenth of a second: the run says so, and
    # the report's table gives the time it ran (not the duration asked)
    _, res = base
    t_end = float(res.datasets["charge_25C"]["t"].values[-1])
    assert res.datasets["charge_25C"].attrs["termination"] == "v_max" and t_end < 0.5
    assert any("'25C'" in w and "stopped at the 4.3 V cut-off" in w and f"{t_end:.3g} s" in w
               for w in res.warnings)
