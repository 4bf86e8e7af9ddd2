"""``operando demo``: the seed 000 experiment with defaults that finish in minutes on a laptop."""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig

#: voxel edge of the demo cell (m); ``--full`` uses the preset's native resolution
DEMO_VOXEL = 250e-9
FULL_VOXEL = 100e-9
#: the 3-D version (``--3d``): voxel edges (demo, full) and layers in depth; 8 × 500 nm reaches the
#: depth over which the particles meet the electrolyte around one another (about one particle)
DEMO_VOXEL_3D, FULL_VOXEL_3D, LAYERS_3D = 500e-9, 375e-9, 8


def demo_config(out, *, full: bool = False, voxel: float | None = None, three_d: bool = False) -> RunConfig:
    """The default :class:`RunConfig` (C/10, 1C, 5C for 4 min, 25C with a dendrite; 100 mT; 50 nm;
    three NV orientations) at the demo resolution: a 2-D section, or with ``three_d`` a volume
    :data:`LAYERS_3D` voxels deep."""
    if three_d:
        default, nz = (FULL_VOXEL_3D if full else DEMO_VOXEL_3D), LAYERS_3D
    else:
        default, nz = (FULL_VOXEL if full else DEMO_VOXEL), 1
    base = RunConfig()
    cell = base.cell.model_copy(update={"voxel": voxel if voxel is not None else default, "nz": nz})
    return base.model_copy(update={"out": Path(out), "cell": cell})

