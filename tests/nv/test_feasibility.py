"""Feasibility planner: seed 000 numbers (VALIDATION.md M3, M4, M6, M8, M10), technique comparison
(seed 000 L195, Fig. 5b), figures and the `operando plan` command."""

import numpy as np
import pytest
from typer.testing import CliRunner

from operando.cli import app
from operando.errors import InputError
from operando.nv import feasibility as fz
from operando.nv import feasibility_plots as fp
from operando.nv.sensitivity import integration_time


def _row(table, signal, technique):
    sel = table[(table.signal == signal) & (table.technique == technique)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_lco_10uT_detectable_cw_and_pulsed():
    # M3 / M10 (seed 000 L139): ~10 µT from LixCoO2 at 100 mT / 50 nm is detectable with CW-ODMR
    # at ~1 µT Hz^-1/2 and with the ~50 nT pulsed limit at 1 s
    table = fz.plan(target_snr=3)
    case = "LixCoO2, 100 mT"
    cw, pulsed = (
        _row(table, case, "scanning NV (CW-ODMR)"),
        _row(table, case, "scanning NV (pulsed)"),
    )
    assert cw.signal_T == pytest.approx(10e-6)
    assert cw.detectable_in_1s and pulsed.detectable_in_1s
    assert cw.snr_at_1s == pytest.approx(10) and pulsed.snr_at_1s == pytest.approx(200)
    assert cw.t_pixel_s < 0.1


def test_model_sensitivities_reproduce_quoted_limits():
    # M10: the instrument models give ~1 µT Hz^-1/2 (CW) and ~50 nT at 1 s (pulsed)
    eta = fz.model_sensitivities()
    assert 0.5e-6 < eta["scanning NV (CW-ODMR)"] < 2e-6
    assert 25e-9 < eta["scanning NV (pulsed)"] < 100e-9


def test_li_metal_an_order_weaker_and_linear_in_field():
    # M8 (seed 000 L164, L168) and M4 (L139): linear in B_ext, Li metal ~10x weaker than LixCoO2
    cases = fz.seed_cases()
    ratio = cases["LixCoO2, 100 mT"] / cases["Li metal, 100 mT"]
    assert 3 < ratio < 30
    s = fz.paramagnetic_signal([0.1, 0.2, 1.0])
    np.testing.assert_allclose(s / s[0], [1, 2, 10])
    # "detection remains feasible in high external magnetic fields": Li metal at 1 T, CW, SNR 3 in
    # 1 s
    li_1T = fz.paramagnetic_signal(1.0, fz.LI_METAL_SIGNAL)
    assert integration_time(li_1T, 1e-6, 3) < 1.0


def test_oersted_signal_and_integration_times():
    # M6 (L152, L154): 1–5 nT at 23.5 mA/cm² nominal, linear in current density
    j_nominal = 23.5 * fz.MA_PER_CM2
    assert 1e-9 <= fz.oersted_signal(j_nominal) <= 5e-9
    assert fz.oersted_signal(2 * j_nominal) == pytest.approx(2 * fz.oersted_signal(j_nominal))
    # M10 (L156): 100–10,000 mA/cm² local → sub-seconds to tens of minutes per pixel (CW, SNR 1)
    table = fz.plan(target_snr=1)
    slow = _row(table, "Ørsted, 100 mA/cm² local", "scanning NV (CW-ODMR)").t_pixel_s
    fast = _row(table, "Ørsted, 10,000 mA/cm² local", "scanning NV (CW-ODMR)").t_pixel_s
    assert 10 * 60 <= slow <= 60 * 60
    assert fast < 1.0


def test_technique_comparison_matches_seed_l195():
    # L195: SQUIDs and atomic magnetometers have better detection limits, SQUIDs need low
    # temperature, atomic magnetometers have poor resolution; NV: room temperature + nm–µm
    # resolution
    t = fz.technique_table()
    nv_cw = t.loc["scanning NV (CW-ODMR)"]
    assert t.loc["scanning SQUID"].sensitivity < nv_cw.sensitivity
    assert t.loc["atomic magnetometer (OPM)"].sensitivity < t.loc["scanning SQUID"].sensitivity
    assert "cryogenic" in t.loc["scanning SQUID"].temperature
    assert t.loc["atomic magnetometer (OPM)"].resolution == t.resolution.max()
    for name in ("scanning NV (CW-ODMR)", "widefield NV (CW)"):
        assert "room temperature" in t.loc[name].temperature and t.loc[name].resolution <= 1e-6
    assert t.source.str.len().min() > 10


def test_standoff_decay_and_map_continuation():
    np.testing.assert_allclose(
        fz.standoff_decay([50e-9, 50e-9 + 1e-6], 1e-6), [1, np.exp(-2 * np.pi)]
    )

    # a point dipole 100 nm deep: the map continued from 50 nm to 150 nm matches the analytic field
    def dipole_map(h, n=128, d=20e-9, depth=100e-9):
        c = (np.arange(n) - n / 2) * d
        X, Y = np.meshgrid(c, c)
        r = np.stack([X, Y, np.full_like(X, h + depth)])
        rn = np.linalg.norm(r, axis=0)
        m = np.array([0.0, 0.0, 1e-17])[:, None, None]
        return 1e-7 * (3 * r * np.sum(m * r, 0) / rn**5 - m / rn**3)

    peak = fz.signal_vs_standoff(dipole_map(50e-9), 20e-9, [50e-9, 150e-9], field_height=50e-9)
    assert peak[1] == pytest.approx(np.abs(dipole_map(150e-9)).max(), rel=0.01)
    assert peak[0] == pytest.approx(np.abs(dipole_map(50e-9)).max(), rel=1e-12)
    with pytest.raises(InputError, match="standoff"):
        fz.standoff_decay(-1e-9, 1e-6)


def test_plan_output_and_bad_input():
    report = fz.plan_report({"custom": 3e-9}, target_snr=3, n_pixels=400)
    assert "custom" in report and "scanning SQUID" in report
    with pytest.raises(InputError, match="target_snr"):
        fz.plan(target_snr=-1)
    assert fz.format_time(0.99996) == "1 s" and fz.format_time(np.inf) == fz.NOT_REACHABLE


def test_figures_have_data():
    for make in (
        fp.plot_signal_vs_field,
        fp.plot_signal_vs_current,
        fp.plot_integration_time,
        fp.plot_signal_vs_standoff,
        fp.plot_techniques,
    ):
        fig = make()
        ax = fig.axes[0]
        assert ax.get_xlabel() and (ax.lines or ax.collections)


def test_cli_plan_prints_seed_cases_and_custom_signal(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["plan"])
    assert res.exit_code == 0, res.output
    assert "LixCoO2, 100 mT" in res.output and "10,000 mA/cm² local" in res.output
    res = runner.invoke(
        app, ["plan", "--signal", "10 uT", "--target-snr", "3", "--plots", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert "10 µT" in res.output and len(list(tmp_path.glob("*.png"))) == 6


def test_field_map_signal_feeds_the_plan():
    field = np.zeros((3, 8, 8))
    field[2, 4, 4] = 2e-6
    s = fz.field_map_signal(field, "perpendicular")
    assert s == pytest.approx(2e-6)
    assert fz.field_map_signal(field, "111") == pytest.approx(2e-6 / np.sqrt(3))
    table = fz.plan({"cell": s}, target_snr=2)
    row = _row(table, "cell", "scanning NV (CW-ODMR)")
    assert row.t_pixel_s == pytest.approx((2 * 1e-6 / 2e-6) ** 2)
