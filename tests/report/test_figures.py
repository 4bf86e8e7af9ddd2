"""Behaviour of the shared map panel, the Fig. 4a grid, the style and the planner figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from typer.testing import CliRunner

from operando.errors import InputError
from operando.report import style
from operando.report.figures import state_and_field_grid
from operando.report.maps import Outline, add_scale_bar, length_unit, map_panel, nice_length

EXTENT = (0.0, 20e-6, 0.0, 10e-6)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _sizebar(ax):
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    return [a for a in ax.artists if isinstance(a, AnchoredSizeBar)]


def test_a_signed_map_is_diverging_with_a_symmetric_range(ax):
    data = np.array([[-1.0, 0.5], [3.0, 0.0]])
    im = map_panel(ax, data, EXTENT, kind="auto", scale=2.0)
    assert im.get_clim() == (-6.0, 6.0)
    assert im.get_cmap().name == style.CMAP_SIGNED
    assert im.colorbar is not None


def test_a_positive_map_is_sequential_on_its_range(ax):
    im = map_panel(ax, np.array([[1.0, 2.0], [np.nan, 5.0]]), EXTENT)
    assert im.get_clim() == (1.0, 5.0)
    assert im.get_cmap().name == style.CMAP_POSITIVE


def test_a_categorical_map_has_a_legend_entry_per_category_and_no_colour_bar(ax):
    codes = np.array([[0, 1, 1], [2, np.nan, 0]])
    cats = {"li metal": "#9e9e9e", "dendrite": "#e0301e", "inclusion": "#ff8c1a", "absent": "#000000"}
    n_axes = len(ax.figure.axes)
    im = map_panel(ax, codes, EXTENT, kind="categorical", categories=cats)
    assert im.colorbar is None and len(ax.figure.axes) == n_axes  # no colour bar axes added
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["li metal", "dendrite", "inclusion"]  # the categories present, in order
    with pytest.raises(InputError, match="categor"):
        map_panel(ax, np.array([[0.0, 7.0]]), EXTENT, kind="categorical", categories=cats)


@pytest.mark.parametrize(("width", "length", "label"), [(20e-6, 2e-6, "2 µm"), (9e-6, 1e-6, "1 µm"),
                                                         (60e-6, 10e-6, "10 µm"), (1e-6, 200e-9, "200 nm"),
                                                         (30e-3, 5e-3, "5 mm")])
def test_the_scale_bar_has_the_right_length(ax, width, length, label):
    assert nice_length(width) == pytest.approx(length)
    extent = (0.0, width, 0.0, width / 2)
    map_panel(ax, np.zeros((4, 8)) + 1.0, extent)
    (bar,) = _sizebar(ax)
    _, factor = length_unit(width)
    rect = bar.size_bar.get_children()[0]
    # the bar is drawn in the axes' data units, which are the label's unit
    assert rect.get_width() == pytest.approx(length * factor)
    assert bar.txt_label.get_text() == label
    assert ax.get_xlim() == pytest.approx((0.0, width * factor))
    assert add_scale_bar(ax, extent) == pytest.approx(length)


def test_outlines_are_drawn_and_named(ax):
    mask = np.zeros((6, 12), bool)
    mask[2:4, 3:7] = True
    map_panel(ax, np.ones((6, 12)), EXTENT, outlines=[Outline(mask, "dendrite", color="g")])
    assert len(ax.collections) == 1  # the contour
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["dendrite"]
    with pytest.raises(InputError, match="mask shape"):
        map_panel(ax, np.ones((6, 12)), EXTENT, outlines=[Outline(np.ones((3, 3), bool), "bad")])


def test_fig4a_grid_rows_share_one_symmetric_range():
    ny, nx = 5, 10
    rng = np.random.default_rng(0)
    fields = [rng.normal(size=(ny, nx)) * 1e-6, rng.normal(size=(ny, nx)) * 3e-6]
    rows = [{"name": "state of charge", "label": "B", "unit": "µT", "scale": 1e6,
             "source": {"data": rng.uniform(0.5, 1, (ny, nx)), "title": "x"}, "fields": fields},
            {"name": "Li metal", "label": "B", "unit": "µT", "scale": 1e6,
             "source": {"data": np.zeros((ny, nx)), "kind": "categorical", "categories": {"Li": "k"}},
             "fields": [-f for f in fields]}]
    fig = state_and_field_grid(rows, EXTENT, ["perpendicular", "parallel"])
    axes = np.array(fig.axes[:6]).reshape(2, 3)
    m = max(np.abs(f).max() for f in fields) * 1e6
    for r in range(2):
        clims = [ax.images[0].get_clim() for ax in axes[r, 1:]]
        assert all(c == pytest.approx((-m, m)) for c in clims)
    assert axes[0, 1].get_title(loc="left") == "perpendicular" and axes[1, 1].get_title(loc="left") == ""
    assert axes[1, 0].get_legend() is not None and axes[1, 0].images[0].colorbar is None
    plt.close(fig)
    with pytest.raises(InputError, match="one per column"):
        state_and_field_grid(rows, EXTENT, ["perpendicular"])


def test_the_style_is_scoped_and_colour_blind_safe():
    before = matplotlib.rcParams["font.size"]
    with style.paper_style():
        assert matplotlib.rcParams["font.size"] == style.STYLE["font.size"]
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][:3] == list(style.OKABE_ITO[:3])
    assert matplotlib.rcParams["font.size"] == before


def _plan_pngs(tmp_path, name, *args):
    from operando.cli import app

    out = tmp_path / name
    res = CliRunner().invoke(app, ["plan", *args, "--plots", str(out)])
    assert res.exit_code == 0, res.output
    return {p.name: p.read_bytes() for p in out.glob("*.png")}, res.output


def test_plan_plots_follow_the_arguments(tmp_path):
    a, out_a = _plan_pngs(tmp_path, "a", "--signal", "10 uT", "--target-snr", "3")
    again, _ = _plan_pngs(tmp_path, "again", "--signal", "10 uT", "--target-snr", "3")
    b, _ = _plan_pngs(tmp_path, "b", "--signal", "2 nT", "--target-snr", "3")
    c, _ = _plan_pngs(tmp_path, "c", "--signal", "10 uT", "--target-snr", "10")
    assert a == again  # the same arguments draw the same figures
    for name in ("plan_time_per_image.png", "signal_vs_applied_field.png", "signal_vs_standoff.png"):
        assert a[name] != b[name], name  # the signals are drawn
    for name in ("plan_time_per_image.png", "oersted_integration_time_vs_current_density.png"):
        assert a[name] != c[name], name  # the target SNR is used
    assert "wrote" in out_a and len(a) == 6


def test_plan_bars_are_the_printed_numbers():
    from operando.nv import feasibility as fz
    from operando.nv.feasibility_plots import plot_plan

    fig = plot_plan({"s": 1e-6}, target_snr=2.0, n_pixels=100)
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    table = fz.plan({"s": 1e-6}, target_snr=2.0, n_pixels=100)
    assert widths == pytest.approx(sorted(np.clip(table.t_image_s, 1e-7, 1e10)))


def test_room_temperature_nv_is_drawn_as_room_temperature():
    from operando.nv.feasibility_plots import plot_techniques

    fig = plot_techniques()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    nv = [s for s in labels if s.startswith("scanning NV")]
    assert nv and all(s.endswith("(room temperature)") for s in nv)
    assert any(s.startswith("scanning SQUID") and s.endswith("(cryogenic)") for s in labels)


def test_report_figures_are_saved_under_what_they_show(tmp_path):
    import xarray as xr

    from operando.pipeline import reporting

    hs = np.array([50e-9, 200e-9])
    x = np.linspace(0, 10e-6, 12)
    b = np.stack([np.outer(np.ones(4), np.exp(-((x - 5e-6) ** 2) / (1e-6 + h) ** 2)) * 1e-6 for h in hs])
    fields = xr.Dataset({"B_lco_standoff": (("standoff", "y", "x"), b),
                         "peak_lco_vs_standoff": (("standoff",), np.abs(b).max(axis=(1, 2))),
                         "feature_length_vs_standoff": (("standoff",), hs * 3)},
                        coords={"standoff": hs, "x": x, "y": np.arange(4) * 1e-6})
    ((caption, fig),) = reporting.fig4c(fields)
    assert "Fig. 4c" in caption
    png = reporting._save(fig, tmp_path, fig.get_label())
    assert (tmp_path / "figures" / "fig4c_field_vs_standoff.png").read_bytes() == png
