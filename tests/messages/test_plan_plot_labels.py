"""The plan's figure writes the micro sign and marks times it cannot reach instead of drawing them finite."""

import numpy as np

from operando.nv import feasibility as fz
from operando.nv import feasibility_plots as fp


def test_signal_label_writes_micro():
    assert fz.signal_label("10 uT") == "10 µT"
    assert fz.signal_label("4.7 um") == "4.7 µm"
    assert fz.signal_label("LixCoO2, 100 mT") == "LixCoO2, 100 mT"  # no 'u' prefix to change
    assert fz.signal_label("Ørsted, 100 mA/cm² local") == "Ørsted, 100 mA/cm² local"


def test_plan_plot_labels_and_unreachable_marks():
    signals = {"10 uT": 1e-5, "2 nT": 2e-9}
    fig = fp.plot_plan(signals)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["10 µT", "2 nT"]
    table = fz.plan(signals)
    unreachable = table[table.t_image_s >= fp.TIME_AXIS_END]
    assert len(unreachable) >= 2  # the atomic magnetometer sees neither signal of 1 µm features
    marks = [t for t in ax.texts if t.get_gid() == "unreachable"]
    assert len(marks) == len(unreachable)
    assert all(t.get_text().startswith(fz.NOT_REACHABLE) or t.get_text().startswith("> 100 years") for t in marks)
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == len(unreachable)
    # no solid bar is drawn at the axis end as if the time were finite
    solid = [p for p in ax.patches if not p.get_hatch()]
    assert all(p.get_width() < fp.TIME_AXIS_END for p in solid)
    assert np.isinf(unreachable.t_image_s).any()
