"""The main job on a coarse grid: every stage runs, every claim is evaluated, the report renders."""

import numpy as np
import pytest

from operando.inverse.susceptibility import SOC_AMBIGUOUS, SOC_NOT_INVERTIBLE
from operando.materials import lixcoo2
from operando.pipeline.demo import demo_config
from operando.pipeline.run import run_experiment
from operando.report.browser import browser_available, check_page

CLAIMS = [f"M{i}" for i in range(1, 13)]


@pytest.fixture(scope="module")
def coarse_run(tmp_path_factory):
    # the demo itself: the 2-D section at 250 nm (60 × 152 voxels), at the paper's conditions
    out = tmp_path_factory.mktemp("demo")
    cfg = demo_config(out)
    return cfg, run_experiment(cfg, progress=False)


def test_claim_table_judges_every_claim_at_the_papers_conditions(coarse_run):
    _, result = coarse_run
    claims = {c.id: c for c in result.claims}
    assert list(claims) == CLAIMS
    # the demo runs at the paper's conditions: nothing is "not applicable"
    assert {c.verdict for c in result.claims} <= {"reproduced", "differs", "by construction"}
    # properties of the model are not counted as reproductions (VALIDATION.md, Verdicts)
    assert {k for k, c in claims.items() if c.verdict == "by construction"} == {"M4", "M9", "M12"}
    for c in result.claims:
        assert c.where.startswith("Pollok et al., Nat. Commun. 2025"), c.where
        if c.verdict == "differs":  # a difference names what was not met
            assert "not met" in c.note or "exceeds" in c.note, (c.id, c.note)
    # M6 is judged on the paper's 1–5 nT and its slope re-solved at the paper's currents
    assert "re-solved at 0.94, 4.7, 23.5 mA/cm²" in claims["M6"].ours
    # M12 reports the realistic (noisy) reconstruction error beside the exact round trip
    assert "from the noisy map" in claims["M12"].ours


def test_the_simulated_sensor_has_the_configured_sensitivity(coarse_run):
    cfg, result = coarse_run
    meas = result.datasets["measurement"]
    expected = cfg.sensor.cw_sensitivity / np.sqrt(cfg.sensor.integration_time)
    assert meas.attrs["sensor_sensitivity_cw"] == pytest.approx(cfg.sensor.cw_sensitivity, rel=0.02)
    assert meas.attrs["noise_cw"] == pytest.approx(expected, rel=0.15)


def test_outputs_are_written_with_provenance(coarse_run):
    cfg, result = coarse_run
    names = {p.name for p in result.folder.iterdir()}
    for stage in ("cell_pristine.nc", "cell_dendrite.nc", "charge_5C.nc", "charge_25C.nc", "fields.nc",
                  "oersted_sweep.nc", "odmr_stack.nc", "measurement.nc", "reconstruction.nc", "report.html"):
        assert stage in names
    assert not [n for n in names if n.startswith(".") and n.endswith(".tmp")]
    fields = result.datasets["fields"]
    assert fields.attrs["operando_version"] and fields.attrs["seed"] == cfg.seed
    assert fields["B_lco"].attrs["units"] == "T"
    figures = list((result.folder / "figures").glob("*.png"))
    assert len(figures) >= 6


def test_state_of_charge_of_particles_within_0p05(coarse_run):
    # the SOC issue's target on a simulated cell state: fitted ODMR (with noise) → one χ per
    # particle (microstructure known in depth) → x per particle
    _, result = coarse_run
    rec = result.datasets["reconstruction"]
    x_true, x_rec = rec["particle_x_li_true"].values, rec["particle_x_li_reconstructed"].values
    x_sem, x_clean = rec["particle_x_li_sem"].values, rec["particle_x_li_noiseless"].values
    buried = np.isin(rec["particle"].values, rec.attrs["buried_particles"])
    assert buried.sum() == 2 and (~buried).sum() >= 10
    # at 4.70 mA/cm² the particles next to the separator reach x < 0.7, where χ(x) flattens (Pollok et
    # al. 2025 Fig. 3b: ~6e-9 m³/mol below x = 0.6): their x is not identifiable and is left out
    recovered = np.isfinite(x_rec)
    assert recovered.sum() >= 30 and np.all(x_true[~recovered] < 0.7)
    # the fit itself (noiseless field): x varies inside the particles at 5C, which the one-χ model
    # ignores; within 0.05 at the surface and 0.1 under the cap
    ok = np.isfinite(x_clean)
    assert np.max(np.abs(x_clean - x_true)[ok & ~buried]) < 0.05
    assert np.max(np.abs(x_clean - x_true)[ok & buried], initial=0.0) < 0.1
    # with noise (1 µT per pixel, the configured sensitivity): typically within 0.05, and each within
    # 0.05 plus four of its stated standard errors
    err = np.abs(x_rec - x_true)[recovered]
    assert np.median(err) < 0.05
    assert np.all(err < 0.05 + 4 * x_sem[recovered])
    # particles left out are those whose χ (within two standard errors) is also reached below
    # x = 0.6 (Fig. 3b), or lies below that of LiCoO2 (x = 1)
    left = ~recovered
    chi, chi_sem = rec["particle_chi"].values[left], rec["particle_chi_sem"].values[left]
    reason = rec["particle_reason"].values[left]
    assert set(reason) <= {SOC_AMBIGUOUS, SOC_NOT_INVERTIBLE}
    assert np.all(chi[reason == SOC_AMBIGUOUS] + 2 * chi_sem[reason == SOC_AMBIGUOUS] >= lixcoo2.chi_volume(0.5))
    low = reason == SOC_NOT_INVERTIBLE
    assert np.all(chi[low] + 2 * chi_sem[low] < lixcoo2.chi_volume(1.0))


def test_rerun_reuses_every_stage_and_a_late_change_keeps_the_charge(coarse_run):
    cfg, _ = coarse_run
    again = run_experiment(cfg, progress=False)
    assert again.computed == [] and "charge_5C" in again.reused
    sensor = cfg.sensor.model_copy(update={"integration_time": 4.0})
    changed = run_experiment(cfg.model_copy(update={"sensor": sensor}), progress=False)
    assert "charge_5C" in changed.reused and "fields" in changed.reused
    assert changed.computed == ["odmr_stack", "measurement", "reconstruction"]


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


def test_report_states_the_grain_boundary_trade_off_of_the_grid(coarse_run):
    # Pollok et al. draw 50 nm grain boundaries; the demo's 250 nm section widens them, and says
    # what a 150 nm grid would cost: (250/150)² = 2.8 → "3×" the voxels of this 2-D section
    _, result = coarse_run
    note = next(w for w in result.warnings if w.startswith("grain boundaries of 50 nm"))
    assert "on 250 nm voxels" in note and "150 nm voxels would be 3× as many" in note, note
