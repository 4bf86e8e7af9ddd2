"""The cell figure: phases drawn from the labels, buried features outlined, example script."""

import importlib.util
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

from operando.cell import plot_cell, presets

ROOT = Path(__file__).resolve().parents[2]


def test_plot_cell_draws_phases_and_buried_outline():
    cell = presets.pollok2025(voxel=300e-9)
    ax = plot_cell(cell)
    img = ax.images[0].get_array()
    names = cell.phase_names
    # every pixel shows the phase of the top voxel layer
    expected = np.vectorize(lambda lab: names.index(cell.phases[int(lab)]))(cell.labels[-1])
    assert np.array_equal(np.asarray(img), expected)
    assert ax.collections  # dashed contour of the buried particles and dendrite
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("buried" in t for t in labels) and "dendrite" in labels
    # a categorical map: phases named in the legend, no colour bar beside it
    assert len(ax.figure.axes) == 1 and ax.images[0].colorbar is None


def test_example_script_writes_figure(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "plot_preset_cell", ROOT / "examples" / "plot_preset_cell.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "cell.png"
    mod.main([str(out), "--voxel", "300e-9", "--nz", "4"])
    assert out.stat().st_size > 10_000
