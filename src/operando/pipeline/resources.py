"""Memory a run will need, estimated from its grid before anything is allocated.

The charge solver dominates: per voxel it holds the state, the sparse Jacobian (~7 couplings per
unknown, three unknowns), its factorisation or multigrid hierarchy, and the saved states. Its peak
resident memory above the interpreter's, measured on the preset cell (``resource.getrusage`` around
``charge``), is 12.3–12.4 KiB per voxel in 2-D (2 280 and 9 120 voxels) and 19–24 KiB in 3-D (9 120
to 36 480 voxels: the factorisation fills in more); :data:`BYTES_PER_VOXEL` rounds these up to leave
room for the fields and the report. The estimate is rough (±50 %) and only refuses runs that cannot fit.
"""

from __future__ import annotations

import math

from .._memory import available_memory, format_bytes, require_memory
from ..cell import presets
from .config import MAX_VOXEL

#: peak bytes per voxel of a run (charge solver, saved states, fields), 2-D (nz = 1) and 3-D
BYTES_PER_VOXEL = {2: 16 * 1024, 3: 32 * 1024}
#: bytes of a run besides its grid (libraries, compiled kernels)
BASE_BYTES = 300 * 2**20


def run_grid_shape(cfg) -> tuple[int, int, int]:
    """(nz, ny, nx) of the cell a run builds (the preset at ``cell.voxel``), of ``cell.file`` or of
    ``cell.labels``."""
    c = cfg.cell
    if c.file is not None:
        return _file_grid_shape(c.file)
    if c.imported:  # the volume's own shape, not the preset's
        from ..cell.importer import check_labels

        return tuple(check_labels(c.labels, c.label_map, what="cell.labels"))
    spec = presets.pollok2025_spec(voxel=c.voxel, nz=c.nz)
    length = spec.li_thickness + spec.electrolyte_thickness + spec.cathode_thickness + spec.collector_thickness
    ny, nx = (max(1, round(s / c.voxel)) for s in (spec.width, length))
    return (c.nz, ny, nx)


def _file_grid_shape(path) -> tuple[int, int, int]:
    import xarray as xr

    try:
        with xr.open_dataset(path) as ds:  # lazily: only the header is read
            return tuple(int(ds.sizes.get(d, 1)) for d in ("z", "y", "x"))
    except Exception:  # unreadable here: Cell.load reports it with the file's name
        return (1, 1, 1)


def estimate_run_memory(cfg) -> float:
    """Bytes a run of ``cfg`` needs at its peak (rough, see the module docstring)."""
    shape = run_grid_shape(cfg)
    return BASE_BYTES + _per_voxel(shape) * math.prod(shape)


def _per_voxel(shape) -> int:
    return BYTES_PER_VOXEL[2 if shape[0] == 1 else 3]


def check_run_memory(cfg, *, available: float | None = None) -> None:
    """Raise ResourceError, before anything is allocated, when a run of ``cfg`` would not fit in
    memory (``available`` bytes; default: what the machine has free); the message gives the estimate
    and the finest voxel that fits."""
    free = available_memory() if available is None else available
    shape = run_grid_shape(cfg)
    needed = estimate_run_memory(cfg)
    if free is None or needed <= free:
        return
    c = cfg.cell
    what = (f"cell: a grid of {shape[0]} × {shape[1]} × {shape[2]} voxels (cell.voxel = {c.voxel * 1e9:.4g} nm, "
            f"cell.nz = {c.nz}; about {format_bytes(_per_voxel(shape))} per voxel)")
    if c.file is not None or c.imported:
        hint = "save the cell on a coarser grid or use a machine with more memory"
    else:
        # the lateral voxel count scales as voxel⁻² (cell.nz counts layers)
        fits = max(free - BASE_BYTES, 0.0) / _per_voxel(shape)
        coarser = c.voxel * math.sqrt(math.prod(shape) / max(fits, 1.0)) * 1.05
        hint = (f"choose cell.voxel ≥ {coarser * 1e9:.3g} nm" if coarser <= MAX_VOXEL
                else f"choose fewer cell.nz layers than {c.nz} at cell.voxel = {MAX_VOXEL * 1e9:.0f} nm")
    require_memory(needed, what, hint, available=free)
