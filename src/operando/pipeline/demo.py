"""``operando demo``: the seed 000 experiment with defaults that finish in minutes on a laptop."""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig

#: voxel edge (m) of ``--full``; the demo itself uses the configuration's defaults (500 nm × 8 layers)
FULL_VOXEL = 375e-9
#: voxel edges (m) of the 2-D section (``--2d``): demo, ``--full``
SECTION_VOXEL, FULL_SECTION_VOXEL = 250e-9, 100e-9


def demo_config(out, *, full: bool = False, voxel: float | None = None, section: bool = False,
                nz: int | None = None) -> RunConfig:
    """The default :class:`RunConfig` (C/10, 1C, 5C for 4 min, 25C with a dendrite; 100 mT; 50 nm;
    three NV orientations; a volume 8 layers of 500 nm deep) with ``full`` at finer voxels, or with
    ``section`` on a 2-D section of the cell (faster; it overstates the 1C spread, see claim M1).
    ``voxel`` (m) and ``nz`` override the grid."""
    base = RunConfig()
    update = {}
    if section:
        update = {"voxel": FULL_SECTION_VOXEL if full else SECTION_VOXEL, "nz": 1}
    elif full:
        update = {"voxel": FULL_VOXEL}
    if voxel is not None:
        update["voxel"] = voxel
    if nz is not None:
        update["nz"] = nz
    return base.model_copy(update={"out": Path(out), "cell": base.cell.model_copy(update=update)})
