"""The main job on a coarse grid: every stage runs, every claim is evaluated, the report renders."""

import numpy as np
import pytest

from operando.inverse.susceptibility import SOC_AMBIGUOUS
from operando.materials import lixcoo2
from operando.pipeline.demo import demo_config
from operando.pipeline.run import run_experiment
from operando.report.browser import browser_available, check_page

CLAIMS = [f"M{i}" for i in range(1, 13)]
#: claims our models do not reproduce yet, each with the reason (also stated in the report)
KNOWN_DEVIATIONS = {
    # a 2-D section: 1C spread ~60 % of the mean Δx (C/10 ~10 %); 3-D passes (15 %, tested in
    # tests/electrochem/test_paper_claims.py)
    "M1": "1C is not homogeneous in the 2-D section of the demo",
}
COARSE_VOXEL = 375e-9


@pytest.fixture(scope="module")
def coarse_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    cfg = demo_config(out, voxel=COARSE_VOXEL)
    return cfg, run_experiment(cfg, progress=False)


def test_claim_table_is_complete_and_claims_pass(coarse_run):
    _, result = coarse_run
    ids = [c.id for c in result.claims]
    assert ids == CLAIMS
    failing = {c.id: c.ours for c in result.claims if not c.passed}
    assert set(failing) <= set(KNOWN_DEVIATIONS), failing


def test_outputs_are_written_with_provenance(coarse_run):
    cfg, result = coarse_run
    names = {p.name for p in result.folder.iterdir()}
    for stage in ("cell_pristine.nc", "cell_dendrite.nc", "charge_5C.nc", "charge_25C.nc", "fields.nc",
                  "measurement.nc", "reconstruction.nc", "report.html"):
        assert stage in names
    assert not [n for n in names if n.startswith(".") and n.endswith(".tmp")]
    fields = result.datasets["fields"]
    assert fields.attrs["operando_version"] and fields.attrs["seed"] == cfg.seed
    assert fields["B_lco"].attrs["units"] == "T"
    figures = list((result.folder / "figures").glob("*.png"))
    assert len(figures) >= 6


def test_state_of_charge_of_surface_particles_within_0p05(coarse_run):
    # the SOC issue's target on a simulated cell state: fitted ODMR (with noise) → χ → x per particle
    _, result = coarse_run
    rec = result.datasets["reconstruction"]
    x_true, x_rec = rec["particle_x_true"].values, rec["particle_x_reconstructed"].values
    x_sem, x_clean = rec["particle_x_sem"].values, rec["particle_x_noiseless"].values
    # the inversion itself (noiseless field): within 0.05 for every particle it can invert
    assert np.isfinite(x_clean).sum() >= max(3, x_clean.size // 2)
    assert np.nanmax(np.abs(x_clean - x_true)) < 0.05
    # with noise: typically within 0.05, and each within 0.05 plus four of its stated standard errors
    # (at this coarse voxel small particles have < 10 pixels; the demo's 250 nm gives ≤ 0.05 for all)
    recovered = np.isfinite(x_rec)
    assert recovered.sum() >= 3
    err = np.abs(x_rec - x_true)[recovered]
    assert np.median(err) < 0.05
    assert np.all(err < 0.05 + 4 * x_sem[recovered])
    # particles left out are those whose χ (within two standard errors) is also reached below
    # x = 0.6 (seed 000 Fig. 3b): nearly delithiated ones, or ones too small to tell
    left = ~recovered
    chi, chi_sem = rec["particle_chi"].values[left], rec["particle_chi_sem"].values[left]
    assert np.all(rec["particle_reason"].values[left] == SOC_AMBIGUOUS)
    assert np.all(chi + 2 * chi_sem >= lixcoo2.chi_volume(0.5))
    assert np.all((x_true[left] < 0.75) | (rec["particle_pixels"].values[left] < 10))


def test_rerun_reuses_every_stage_and_a_late_change_keeps_the_charge(coarse_run):
    cfg, _ = coarse_run
    again = run_experiment(cfg, progress=False)
    assert again.computed == [] and "charge_5C" in again.reused
    sensor = cfg.sensor.model_copy(update={"integration_time": 4.0})
    changed = run_experiment(cfg.model_copy(update={"sensor": sensor}), progress=False)
    assert "charge_5C" in changed.reused and "fields" in changed.reused
    assert changed.computed == ["measurement", "reconstruction"]


def test_interrupted_stage_is_recomputed_not_trusted(coarse_run):
    cfg, _ = coarse_run
    path = cfg.out / "measurement.nc"
    path.write_bytes(path.read_bytes()[:100])  # a truncated file, as a crash could leave
    res = run_experiment(cfg, progress=False)
    assert "measurement" in res.computed


@pytest.mark.browser
def test_report_opens_in_a_browser_with_every_figure(coarse_run):
    if not browser_available():
        pytest.skip("headless Chromium, chromedriver or selenium is not installed")
    _, result = coarse_run
    page = check_page(result.report)
    assert page.console_errors == []
    assert page.images >= 6 and page.broken_images == 0
    assert page.claims == len(CLAIMS)
