"""Visual regression of the standard figures: each is rendered from small deterministic synthetic
inputs (no pipeline run) and compared with its baseline PNG in ``tests/report/baseline/`` by the RMS
of the pixel difference (matplotlib.testing.compare.compare_images, 0–255 scale).

Regenerate the baselines after an intended change of a figure, then look at them:

    PYTHONPATH=src python tests/report/test_visual_regression.py
    (or: OPERANDO_MAKE_BASELINES=1 pytest tests/report/test_visual_regression.py)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest
from matplotlib.testing.compare import compare_images

BASELINE = Path(__file__).resolve().parent / "baseline"
#: RMS of the pixel difference (0–255) tolerated: anti-aliasing and font-rasteriser differences stay
#: below 1; a changed colour map, range, legend or layout moves it well above (see the test below)
TOLERANCE = 3.0
#: baselines are small: 80 dpi keeps each under ~100 kB
DPI = 80

EXTENT = (0.0, 24e-6, 0.0, 9e-6)  # m, a 24 µm × 9 µm section like the run's cell


def _synthetic_maps(ny=18, nx=48):
    """Deterministic stand-ins for a cell state: Li electrode at the left, a dendrite, two particles."""
    y, x = np.mgrid[0:ny, 0:nx]
    li = x < 3
    dendrite = (np.abs(y - ny // 2) < 1) & (x >= 3) & (x < 12)
    lco = ((x - 32) ** 2 + (y - 6) ** 2 < 30) | ((x - 40) ** 2 + (y - 13) ** 2 < 20)
    x_li = np.where(lco, 0.6 + 0.35 * (x - 26) / 20, np.nan)
    gauss = np.exp(-((x - 34.0) ** 2 + (y - 8.0) ** 2) / 40.0)
    b_lco = 8e-6 * (gauss - 0.4 * np.exp(-((x - 34.0) ** 2 + (y - 14.0) ** 2) / 30.0))
    b_li = 0.5e-6 * np.exp(-((x - 2.0) ** 2) / 6.0) * (1 + 0.2 * np.sin(y / 3))
    j = 300 * np.exp(-((y - ny // 2) ** 2) / 4.0) * np.exp(-x / 25.0)
    b_oe = 0.4e-9 * np.sin(2 * np.pi * x / nx) * np.cos(np.pi * y / ny)
    return {"li": li, "dendrite": dendrite, "lco": lco, "x_li": x_li, "b_lco": b_lco, "b_li": b_li, "j": j,
            "b_oe": b_oe}


def fig4a_state_of_charge_and_fields():
    from operando.report.figures import state_and_field_grid
    from operando.report.maps import Outline

    m = _synthetic_maps()
    li_codes = np.where(m["li"], 0.0, np.where(m["dendrite"], 1.0, np.nan))
    rows = [
        {"name": "state of charge", "label": "$B_\\mathrm{NV}$", "unit": "µT", "scale": 1e6,
         "source": {"data": m["x_li"], "kind": "positive", "label": "x in LixCoO2", "title": "x, 5C, 4 min"},
         "fields": [m["b_lco"], 0.6 * m["b_lco"][:, ::-1]]},
        {"name": "Li metal", "label": "$B_\\mathrm{NV}$", "unit": "µT", "scale": 1e6,
         "source": {"data": li_codes, "kind": "categorical", "legend": "below", "title": "Li metal",
                    "categories": {"li metal": "#9e9e9e", "dendrite": "#e0301e"}},
         "fields": [m["b_li"], -m["b_li"]]},
        {"name": "current", "label": "$B_\\mathrm{NV}$", "unit": "nT", "scale": 1e9,
         "source": {"data": m["j"], "kind": "positive", "cmap": "inferno", "label": "|J|", "unit": "mA/cm²",
                    "title": "|J|, 25C"},
         "fields": [m["b_oe"], 0.5 * m["b_oe"]]},
    ]
    outlines = [Outline(m["li"], "Li metal", linewidth=0.7), Outline(m["dendrite"], "dendrite", color="#009E73"),
                Outline(m["lco"], "LixCoO2", color="0.35", linestyle="--", linewidth=0.5)]
    return state_and_field_grid(rows, EXTENT, ["NV ⊥ surface", "NV ∥ surface"], outlines=outlines,
                                title="synthetic fields 50 nm above the surface")


def fig4b_signal_vs_field_and_current():
    from operando.report.figures import signal_vs_drive

    b = np.array([0.01, 0.03, 0.1, 0.3, 1.0])
    j = np.array([9.4, 47.0, 235.0])
    return signal_vs_drive(b, {"LixCoO2": 1e-4 * b, "Li metal": 1e-5 * b}, j, {"Ørsted": 2e-11 * j},
                           {"CW ODMR, 1 s": 1e-6, "pulsed, 1 s": 5e-8})


def fig4c_field_vs_standoff():
    from operando.report.figures import standoff_dependence

    x = np.linspace(0, 24e-6, 96)
    hs = np.array([50e-9, 200e-9, 800e-9])
    profiles = np.array([1e-5 * np.exp(-h / 4e-7) * np.exp(-((x - 12e-6) ** 2) / (2e-6 + 4 * h) ** 2) for h in hs])
    return standoff_dependence(hs, profiles, x, np.abs(profiles).max(axis=1), hs * 2 + 3e-7)


def reconstruction_current_density():
    from operando.report.figures import truth_vs_reconstruction

    m = _synthetic_maps()
    truth = m["b_oe"] * 1e12  # a signed stand-in for Jx, A/m²
    recon = 0.8 * truth + 0.05 * truth.max() * np.cos(np.arange(truth.shape[1]) / 2)[None, :]
    return truth_vs_reconstruction(truth, recon, EXTENT, title="Jx: relative L2 error 21%", label="Jx",
                                   unit="mA/cm²", scale=0.1)


def cell_phases():
    import matplotlib.pyplot as plt

    from operando.cell import Cell, plot_cell
    from operando.cell.cell import LABEL
    from operando.grid import Grid

    m = _synthetic_maps()
    labels = np.full((2, *m["li"].shape), LABEL["llzo"], np.int16)
    labels[:, m["li"]] = LABEL["li_metal"]
    labels[0, m["dendrite"]] = LABEL["dendrite"]  # buried: only in the lower layer
    labels[:, m["lco"]] = LABEL["lco"]
    cell = Cell(Grid((2, *m["li"].shape), (0.5e-6, 0.5e-6, 0.5e-6)), labels,
                attrs={"dendrite_buried": True, "cap_thickness": 500e-9})
    fig, ax = plt.subplots(figsize=(5.0, 2.4), layout="constrained")
    plot_cell(cell, ax=ax)
    return fig


def plan_time_per_image():
    from operando.nv.feasibility_plots import plot_plan

    return plot_plan({"10 uT": 1e-5, "3 nT": 3e-9}, target_snr=3.0, n_pixels=10_000, feature_size=1e-6)


def techniques_resolution_vs_sensitivity():
    from operando.nv.feasibility_plots import plot_techniques

    return plot_techniques()


CASES = {f.__name__: f for f in (fig4a_state_of_charge_and_fields, fig4b_signal_vs_field_and_current,
                                 fig4c_field_vs_standoff, reconstruction_current_density, cell_phases,
                                 plan_time_per_image, techniques_resolution_vs_sensitivity)}


def render(name: str, path: Path) -> Path:
    """Render figure ``name`` of :data:`CASES` to ``path`` at the pinned dpi."""
    import matplotlib.pyplot as plt

    fig = CASES[name]()
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return path


def make_baselines() -> list[Path]:
    BASELINE.mkdir(exist_ok=True)
    return [render(name, BASELINE / f"{name}.png") for name in CASES]


@pytest.mark.parametrize("name", list(CASES))
def test_figure_matches_its_baseline(name, tmp_path):
    if os.environ.get("OPERANDO_MAKE_BASELINES"):
        render(name, BASELINE / f"{name}.png")
        pytest.skip("baseline written")
    expected = BASELINE / f"{name}.png"
    assert expected.exists(), f"no baseline {expected}; see this module's docstring to make it"
    actual = render(name, tmp_path / f"{name}.png")
    assert compare_images(str(expected), str(actual), tol=TOLERANCE) is None


def test_the_comparison_catches_a_changed_colour_map(tmp_path, monkeypatch):
    """The tolerance is tight enough that drawing signed fields on a sequential map fails."""
    from operando.report import style

    monkeypatch.setattr(style, "CMAP_SIGNED", "viridis")
    actual = render("reconstruction_current_density", tmp_path / "changed.png")
    result = compare_images(str(BASELINE / "reconstruction_current_density.png"), str(actual), tol=TOLERANCE)
    assert result is not None and "RMS" in result


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    for path in make_baselines():
        print(f"wrote {path}")
