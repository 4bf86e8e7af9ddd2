"""Legacy VTK writer (STRUCTURED_POINTS, binary) for ParaView; one point per voxel centre."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..grid import Grid
from ..io import atomic_write_bytes

_VTK_TYPES = {
    np.dtype(np.int8): "char",
    np.dtype(np.uint8): "unsigned_char",
    np.dtype(np.int16): "short",
    np.dtype(np.int32): "int",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}


def write_vtk(
    path, grid: Grid, arrays: dict[str, np.ndarray], title: str = "operando cell"
) -> Path:
    """Write scalar (nz, ny, nx) arrays on ``grid`` as legacy binary VTK (coordinates in m)."""
    path = Path(path)
    if path.suffix.lower() != ".vtk":
        raise InputError(f"path: VTK files need the suffix .vtk, got {str(path)!r}")
    g = grid
    head = (
        f"# vtk DataFile Version 3.0\n{title}\nBINARY\nDATASET STRUCTURED_POINTS\n"
        f"DIMENSIONS {g.nx} {g.ny} {g.nz}\nORIGIN {g.x[0]:.10g} {g.y[0]:.10g} {g.z[0]:.10g}\n"
        f"SPACING {g.dx:.10g} {g.dy:.10g} {g.dz:.10g}\nPOINT_DATA {g.nx * g.ny * g.nz}\n"
    )
    parts = [head.encode("ascii")]
    for name, arr in arrays.items():
        a = np.asarray(arr)
        if a.shape != g.shape:
            raise InputError(f"{name}: expected shape {g.shape}, got {a.shape}")
        if a.dtype not in _VTK_TYPES:
            a = a.astype(np.int32 if np.issubdtype(a.dtype, np.integer) else np.float64)
        # VTK wants big-endian, x fastest: C order of (z, y, x) is exactly that
        parts.append(
            f"SCALARS {name} {_VTK_TYPES[a.dtype]} 1\nLOOKUP_TABLE default\n".encode("ascii")
        )
        parts.append(a.astype(a.dtype.newbyteorder(">")).tobytes(order="C") + b"\n")
    return atomic_write_bytes(path, b"".join(parts))


def read_vtk(path) -> tuple[Grid, dict[str, np.ndarray]]:
    """Read a file written by :func:`write_vtk` (for round-trip checks)."""
    data = Path(path).read_bytes()
    inv = {v: k for k, v in _VTK_TYPES.items()}
    pos = 0

    def line() -> str:
        nonlocal pos
        end = data.index(b"\n", pos)
        s = data[pos:end].decode("ascii")
        pos = end + 1
        return s

    for _ in range(4):
        line()
    nx, ny, nz = (int(v) for v in line().split()[1:])
    origin = [float(v) for v in line().split()[1:]]
    spacing = [float(v) for v in line().split()[1:]]
    npts = int(line().split()[1])
    grid = Grid(
        (nz, ny, nx), (spacing[2], spacing[1], spacing[0]), (origin[2], origin[1], origin[0])
    )
    arrays = {}
    while pos < len(data):
        head = line().split()
        if not head:
            continue
        name, dt = head[1], inv[head[2]].newbyteorder(">")
        line()  # LOOKUP_TABLE
        nbytes = npts * dt.itemsize
        arrays[name] = (
            np.frombuffer(data[pos : pos + nbytes], dt)
            .astype(dt.newbyteorder("="))
            .reshape(nz, ny, nx)
        )
        pos += nbytes + 1
    return grid, arrays
