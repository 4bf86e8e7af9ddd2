"""Claim evaluations on hand-made inputs (the full chain is in test_demo_pipeline.py)."""

import numpy as np
import pytest
import xarray as xr

from operando.cell import presets
from operando.magnetics import nv_axis
from operando.pipeline.claims import _buried, _Run
from operando.pipeline.config import RunConfig


def _buried_run(noise: float, x_error: float):
    """A 3-D cell with its buried particles, a uniform state, and a reconstruction off by ``x_error``."""
    cell = presets.pollok2025(voxel=500e-9, nz=4, dendrite=False)
    buried = cell.attrs["buried_particles"]
    cfg = RunConfig()
    shape = cell.grid.shape[1:]
    axis = nv_axis("perpendicular")
    fields = xr.Dataset({"B_total_vector": (("component", "y", "x"), np.zeros((3, *shape))),
                         "B_lco_axis": (("component",), axis)},
                        attrs={"source_thickness": cell.grid.nz * cell.grid.dz})
    x = xr.Dataset({"x_li": (("t", "z", "y", "x"), np.full((1, *cell.grid.shape), 0.8))})
    rec = xr.Dataset({"particle_x_li_true": (("particle",), np.full(len(buried), 0.8)),
                      "particle_x_li_reconstructed": (("particle",), np.full(len(buried), 0.8 + x_error))},
                     coords={"particle": buried})
    meas = xr.Dataset(attrs={"noise_cw": noise})
    run = _Run(cfg, {"pristine": cell, "dendrite": cell}, {cfg.imaging.susceptometry_step: x},
               {"fields": fields, "measurement": meas, "reconstruction": rec})
    return cell, buried, _buried(run)


@pytest.mark.parametrize(("noise", "x_error", "verdict"), [(1e-9, 0.01, "reproduced"), (1e-3, 0.01, "differs"),
                                                           (1e-9, 0.2, "differs")])
def test_buried_particles_judged_by_their_own_field_depth_and_recovered_x(noise, x_error, verdict):
    cell, buried, claim = _buried_run(noise, x_error)
    assert all(f"particle {i}: top" in claim.ours for i in buried)
    # the real depth of each particle's top (the cap replaces its top layers in 3-D), not the cap alone
    for i in buried:
        top = int(np.nonzero((cell.particle_id == i).any(axis=(1, 2)))[0].max())
        assert f"particle {i}: top {(cell.grid.nz - 1 - top) * 500:.0f} nm deep" in claim.ours
    if verdict == "differs" and x_error > 0.05:
        assert "not recovered" in claim.note
    if verdict == "differs" and noise > 1e-6:
        assert "below 3×" in claim.note
    assert claim.verdict == verdict
