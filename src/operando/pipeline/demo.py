"""``operando demo``: the seed 000 experiment with defaults that finish in minutes on a laptop."""

from __future__ import annotations

from pathlib import Path

from .config import RunConfig

#: voxel edge of the demo cell (m); ``--full`` uses the preset's native resolution
DEMO_VOXEL = 250e-9
FULL_VOXEL = 100e-9


def demo_config(out, *, full: bool = False, voxel: float | None = None) -> RunConfig:
    """The default :class:`RunConfig` (C/10, 1C, 5C for 4 min, 25C with a dendrite; 100 mT; 50 nm;
    three NV orientations) at the demo resolution."""
    v = voxel if voxel is not None else (FULL_VOXEL if full else DEMO_VOXEL)
    base = RunConfig()
    return base.model_copy(update={"out": Path(out), "cell": base.cell.model_copy(update={"voxel": v})})

