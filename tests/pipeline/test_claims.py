"""Claim evaluations on hand-made inputs (the full chain is in test_demo_pipeline.py)."""

import numpy as np
import pytest
import xarray as xr

from operando.cell import presets
from operando.pipeline.claims import _buried_claim
from operando.pipeline.config import RunConfig


@pytest.mark.parametrize("signal,passes", [(1e-6, True), (1e-9, False)])
def test_buried_particles_of_a_three_dimensional_cell_are_found_under_their_cap(signal, passes):
    # in 3-D the cap replaces the buried particles' top layers: the claim must look at their
    # footprints, not at the top layer
    cell = presets.pollok2025(voxel=500e-9, nz=4, dendrite=False)
    buried = cell.attrs["buried_particles"]
    assert buried and not np.isin(cell.particle_id[-1], buried).any()
    cfg = RunConfig()
    orientations = list(cfg.imaging.nv_orientations)
    fields = xr.Dataset({"B_lco": (("orientation", "y", "x"),
                                   np.full((len(orientations), *cell.grid.shape[1:]), signal))},
                        coords={"orientation": orientations})
    claim = _buried_claim(cfg, {"pristine": cell, "dendrite": cell}, {}, fields)
    assert claim.passed is passes
    assert all(f"particle {i}" in claim.ours for i in buried)
    assert f"{cell.attrs['cap_layers'] * 500:.0f} nm" in claim.ours
