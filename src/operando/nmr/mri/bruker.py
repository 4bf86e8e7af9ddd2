"""Bruker ParaVision images: the ``2dseq`` binary with its ``visu_pars`` (JCAMP-DX) description.

Why by hand: nmrglue reads TopSpin processed data (``1r``, ``2rr``) and TopSpin's JCAMP arrays
``(0..n)``, not ParaVision's ``2dseq`` nor its ``( n )`` array headers; brkraw reads them but is not
a dependency of operando. Only the parameters an image needs are interpreted: VisuCoreSize,
VisuCoreExtent (mm), VisuCoreFrameCount, VisuCoreWordType, VisuCoreByteOrder and the per-frame
VisuCoreDataSlope / VisuCoreDataOffs.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...errors import DataFileError

__all__ = ["read_2dseq", "read_visu_pars"]

_WORD = {"_8BIT_UNSGN_INT": "u1", "_16BIT_SGN_INT": "i2", "_32BIT_SGN_INT": "i4", "_32BIT_FLOAT": "f4"}
_ARRAY = re.compile(r"^\(\s*([\d,\s]+)\)$")


def _value(text: str):
    parts = text.split()
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return text.strip()
    return nums if len(nums) != 1 else nums[0]


def read_visu_pars(path) -> dict:
    """``{name: value}`` of a ParaVision JCAMP-DX parameter file (numbers, lists of numbers, text)."""
    try:
        lines = Path(path).read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise DataFileError(f"path: cannot read {path} ({exc})") from exc
    out, key, buf, is_array = {}, None, [], False

    def flush():
        if key is not None:
            out[key] = _value(" ".join(buf)) if (is_array or buf) else None

    for line in lines:
        if line.startswith("$$"):
            continue
        if line.startswith("##"):
            flush()
            name, _, rest = line[2:].partition("=")
            key, rest = name.lstrip("$"), rest.strip()
            is_array = bool(_ARRAY.match(rest))
            buf = [] if is_array else [rest]
        elif key is not None:
            buf.append(line.strip())
    flush()
    return out


def read_2dseq(path) -> tuple[np.ndarray, np.ndarray]:
    """Image (frames, ..., x reversed to (z, y, x) order) and voxel spacing (m, per axis) of a
    ParaVision ``2dseq`` (``path``: the file or its pdata folder with ``visu_pars``)."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    visu = read_visu_pars(folder / "visu_pars")
    try:
        size = [int(s) for s in np.atleast_1d(visu["VisuCoreSize"])]
        dtype = np.dtype(_WORD[visu.get("VisuCoreWordType", "_16BIT_SGN_INT")])
    except KeyError as exc:
        raise DataFileError(f"path: {folder / 'visu_pars'} lacks or mis-states {exc}") from exc
    dtype = dtype.newbyteorder("<" if visu.get("VisuCoreByteOrder", "littleEndian") == "littleEndian" else ">")
    frames = int(visu.get("VisuCoreFrameCount", 1))
    raw = np.fromfile(folder / "2dseq", dtype=dtype)
    want = frames * int(np.prod(size))
    if raw.size != want:
        raise DataFileError(f"path: 2dseq holds {raw.size} values, visu_pars describes {want}")
    data = raw.reshape(frames, *size[::-1]).astype(float)
    slope = np.broadcast_to(np.asarray(visu.get("VisuCoreDataSlope", 1.0), float), (frames,))
    offset = np.broadcast_to(np.asarray(visu.get("VisuCoreDataOffs", 0.0), float), (frames,))
    data = data * slope.reshape(-1, *[1] * len(size)) + offset.reshape(-1, *[1] * len(size))
    extent = np.atleast_1d(np.asarray(visu.get("VisuCoreExtent", size), float)) * 1e-3
    spacing = (extent / np.asarray(size))[::-1]
    if frames == 1 and len(size) == 3:
        data = data[0]
    return data, spacing
