"""MATLAB ``.mat`` ODMR files: v5 (scipy.io) and v7.3 (HDF5), including QDMlab ``run_0000x.mat``.

QDMlab layout (HarvardPaleomag/QDMlab, ``utilities/prepare_raw_data.m`` and ``QDMreshape.m``):
``imgStack1`` / ``imgStack2`` hold the low- and high-frequency sweeps as (numFreqs, pixels) with
pixels in row-major image order (MATLAB ``reshape(stack, [], imgNumCols, imgNumRows)`` then
``permute([3 2 1])``); ``freqList`` (Hz) lists 2·numFreqs frequencies, low side first; files with
101-point sweeps split each side in two halves, ``imgStack1;imgStack2`` (low) and
``imgStack3;imgStack4`` (high).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataFileError

QDMLAB_REQUIRED = ("imgStack1", "freqList", "imgNumRows", "imgNumCols", "numFreqs")
MAT73_HEADER = b"MATLAB 7.3 MAT-file, created by operando"


def _scalar(v) -> int:
    return int(np.asarray(v).ravel()[0])


def read_mat_variables(path: Path) -> dict[str, np.ndarray]:
    """All numeric variables of a .mat file, with MATLAB's (row, column) shapes."""
    import h5py

    if h5py.is_hdf5(path):  # v7.3: HDF5 stores MATLAB's column-major arrays transposed
        with h5py.File(path, "r") as h5:
            return {
                k: np.asarray(v[...]).T
                for k, v in h5.items()
                if isinstance(v, h5py.Dataset) and v.dtype.kind in "fiub"
            }
    import scipy.io

    raw = scipy.io.loadmat(path)
    return {
        k: v
        for k, v in raw.items()
        if not k.startswith("__") and isinstance(v, np.ndarray) and v.dtype.kind in "fiub"
    }


def read_mat(path: Path, frequency=None, side: str = "both"):
    """Read a QDMlab run file or a plain .mat holding ``signal`` and ``frequency``.

    ``side`` selects the QDMlab sweep: ``"low"``, ``"high"`` or ``"both"`` (concatenated).
    """
    v = read_mat_variables(path)
    if any(k.startswith("imgStack") for k in v):
        return _read_qdmlab(path, v, side)
    skey = next((k for k in ("signal", "data", "stack") if k in v), None)
    fkey = next((k for k in ("frequency", "freq", "freqList") if k in v), None)
    if skey is None or (fkey is None and frequency is None):
        raise DataFileError(
            f"{path}: missing variable(s) "
            f"{['signal', 'frequency'] if skey is None else ['frequency']} "
            f"(or a QDMlab layout with {list(QDMLAB_REQUIRED)}); found {sorted(v)}"
        )
    freq = v[fkey].ravel() if fkey else None
    return v[skey], freq, "counts", {"format": "mat"}


def _read_qdmlab(path: Path, v: dict, side: str):
    missing = [k for k in QDMLAB_REQUIRED if k not in v]
    if missing:
        raise DataFileError(f"{path}: QDMlab file lacks variable(s) {missing}; found {sorted(v)}")
    rows, cols, nf = _scalar(v["imgNumRows"]), _scalar(v["imgNumCols"]), _scalar(v["numFreqs"])
    freq_all = v["freqList"].ravel().astype(np.float64)
    four = "imgStack3" in v
    names = (
        [("imgStack1", "imgStack2"), ("imgStack3", "imgStack4")]
        if four
        else [("imgStack1",), ("imgStack2",)]
    )
    sides = {"low": [0], "high": [1], "both": [0, 1]}
    if side not in sides:
        raise DataFileError(f"side: unknown {side!r}; expected 'low', 'high' or 'both'")
    stacks, freqs = [], []
    for s in sides[side]:
        need = [n for n in names[s] if n not in v]
        if need:
            raise DataFileError(
                f"{path}: QDMlab file lacks variable(s) {need} for the {['low', 'high'][s]} side"
            )
        stack = np.concatenate([v[n] for n in names[s]], axis=0)
        if stack.shape != (nf, rows * cols):
            raise DataFileError(
                f"{path}: {'+'.join(names[s])} has shape {stack.shape}; expected (numFreqs, "
                f"imgNumRows*imgNumCols) = ({nf}, {rows * cols})"
            )
        stacks.append(stack.reshape(nf, rows, cols).transpose(1, 2, 0))
        freqs.append(freq_all[s * nf : (s + 1) * nf])
    freq = np.concatenate(freqs)
    if freq.size != nf * len(stacks):
        raise DataFileError(
            f"{path}: freqList has {freq_all.size} values; expected {nf * len(names)}"
        )
    attrs = {"format": "qdmlab", "qdmlab_sides": side, "numFreqs": nf,
             "sweep_sizes": [nf] * len(stacks), "sweep_names": [["low", "high"][s] for s in sides[side]]}
    return np.concatenate(stacks, axis=-1), freq, "counts", attrs


def save_qdmlab_mat(path, low, high, freq_low, freq_high, *, version: str = "5") -> Path:
    """Write a QDMlab-layout run file (for tests and for exchanging simulated stacks).

    ``low``/``high`` are (ny, nx, numFreqs) stacks; frequencies in Hz; ``version`` "5" or "7.3".
    """
    path = Path(path)
    ny, nx, nf = low.shape
    variables = {
        "imgStack1": np.ascontiguousarray(low.transpose(2, 0, 1).reshape(nf, ny * nx)),
        "imgStack2": np.ascontiguousarray(high.transpose(2, 0, 1).reshape(nf, ny * nx)),
        "freqList": np.concatenate([freq_low, freq_high])[None, :],
        "imgNumRows": np.array([[ny]], dtype=np.float64),
        "imgNumCols": np.array([[nx]], dtype=np.float64),
        "numFreqs": np.array([[nf]], dtype=np.float64),
    }
    if version == "5":
        import scipy.io

        scipy.io.savemat(path, variables)
    else:
        import h5py

        with h5py.File(path, "w", userblock_size=512) as h5:
            for k, arr in variables.items():
                h5.create_dataset(k, data=np.asarray(arr).T)
        with open(path, "r+b") as fh:  # MATLAB's 128-byte text header in the user block
            fh.write(MAT73_HEADER.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM")
    return path
