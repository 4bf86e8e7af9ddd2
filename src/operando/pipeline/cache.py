"""Stage results on disk, keyed by everything they depend on and verified when read back.

Each stage writes one dataset atomically into the run folder with its key (a hash of the options it
depends on, of its inputs' keys, of the content of the input files it reads, and of the operando
version) and a checksum of its data in its attrs. A rerun loads every stage whose key still matches
and whose data still match their checksum, so changing a late option never reruns the
electrochemistry, a run stopped with Ctrl-C resumes from the last finished stage, and a damaged or
hand-edited file is recomputed (with a warning), never trusted.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import xarray as xr

from .._version import __version__
from ..errors import DataFileError
from ..io import (
    CHECKSUM_ATTR,
    atomic_copy,
    data_checksum,
    load_dataset,
    provenance,
    save_dataset,
    verify_checksum,
)


def stage_key(*parts) -> str:
    """A short stable hash of JSON-serialisable parts (configs, upstream keys) and the operando
    version: results of another version are recomputed, not trusted."""
    text = json.dumps([__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: attributes that record when a file was written, not what it holds
_WRITE_TIME_ATTRS = ("date_created", "history", CHECKSUM_ATTR)


def content_digest(path) -> str | None:
    """SHA-256 of what a file holds; None when ``path`` is None or does not exist (the stage that
    reads it reports that).

    A dataset file operando can read (NetCDF/HDF5, Zarr) is hashed by its data and attributes less
    the write time (``date_created``, ``history``): the same cell saved twice has one digest. Any
    other file, or folder, by its bytes (and relative paths)."""
    if path is None or not Path(path).exists():
        return None
    path = Path(path)
    if path.suffix.lower() in (".nc", ".nc4", ".h5", ".hdf5", ".zarr"):
        try:
            ds = load_dataset(path)
        except (DataFileError, OSError, ValueError):
            pass  # not a dataset: its bytes decide
        else:
            attrs = {k: v for k, v in ds.attrs.items() if k not in _WRITE_TIME_ATTRS}
            text = json.dumps([data_checksum(ds), attrs], sort_keys=True, default=str)
            return hashlib.sha256(text.encode()).hexdigest()
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else "").encode())
        with open(f, "rb") as stream:
            for block in iter(lambda s=stream: s.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


class StageCache:
    """Load-or-compute for the datasets of one run folder (hold its :class:`~.lock.FolderLock`).

    ``shared``: a folder of stage files shared by several runs (a sweep's ``stages/``), one file per
    stage and key. A stage missing from the run folder is taken from there when another run
    computed it (a sweep over the standoff charges each cell once), else computed under a lock on
    its key (runs needing the same stage at the same time wait for the one computing it) and put
    there. The run folder always gets its own file (a hard link where possible)."""

    def __init__(self, folder, *, config: dict | None = None, seed: int | None = None,
                 references: str | None = None, shared=None):
        """references : the paper the run reproduces (CF ``references`` of every stage file; default
        :func:`operando.io.cf_attributes`'s)."""
        self.folder = Path(folder)
        self._references = references
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shared = None if shared is None else Path(shared)
        self._config = config
        self._seed = seed
        self.reused: list[str] = []
        self.computed: list[str] = []
        self.from_shared: list[str] = []  # the reused stages another run computed

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.nc"

    def shared_path(self, name: str, key: str) -> Path:
        return self.shared / f"{name}-{key}.nc"

    def load(self, name: str, key: str, path=None) -> xr.Dataset | None:
        """The stored dataset ``name`` (at ``path``, default the run folder's) if it was computed
        for ``key`` and is intact, else None (a damaged or modified file is reported by a warning
        and will be recomputed)."""
        path = self.path(name) if path is None else Path(path)
        if not path.exists():
            return None
        try:
            ds = load_dataset(path)
            if ds.attrs.get("stage_key") != key:
                return None  # computed for other settings: recomputed, no news
            verify_checksum(ds, path)
        except DataFileError as exc:
            warnings.warn(f"stage {name!r} recomputed: {exc}", stacklevel=3)
            return None
        return ds

    def get(self, name: str, key: str, compute: Callable[[], xr.Dataset]) -> xr.Dataset:
        ds = self.load(name, key)
        if ds is not None:
            self.reused.append(name)
            return ds
        if self.shared is None:
            return self._compute(name, key, compute)
        from .lock import FolderLock

        with FolderLock(self.shared / ".locks" / f"{name}-{key}", timeout=None):
            shared = self.shared_path(name, key)
            ds = self.load(name, key, shared)
            if ds is not None:
                atomic_copy(shared, self.path(name))
                self.reused.append(name)
                self.from_shared.append(name)
                return ds
            ds = self._compute(name, key, compute)
            atomic_copy(self.path(name), shared)
        return ds

    def _compute(self, name: str, key: str, compute: Callable[[], xr.Dataset]) -> xr.Dataset:
        ds = compute()
        ds.attrs.update(provenance(config=self._config, seed=self._seed, stage=name))
        ds.attrs["stage_key"] = key
        if self._references:
            ds.attrs["references"] = self._references
        save_dataset(ds, self.path(name), checksum=True)
        self.computed.append(name)
        return ds
