"""Stage results on disk, keyed by what they depend on.

Each stage writes one dataset atomically into the run folder with a key (a hash of the options it
depends on and of its inputs' keys) in its attrs. A rerun loads every stage whose key still matches,
so changing a late option never reruns the electrochemistry, and a run stopped with Ctrl-C resumes
from the last finished stage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import xarray as xr

from .._version import __version__
from ..errors import DataFileError
from ..io import load_dataset, provenance, save_dataset


def stage_key(*parts) -> str:
    """A short stable hash of JSON-serialisable parts (configs, upstream keys) and the operando
    version: results of another version are recomputed, not trusted."""
    text = json.dumps([__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class StageCache:
    """Load-or-compute for the datasets of one run folder."""

    def __init__(self, folder, *, config: dict | None = None, seed: int | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._config = config
        self._seed = seed
        self.reused: list[str] = []
        self.computed: list[str] = []

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.nc"

    def get(self, name: str, key: str, compute: Callable[[], xr.Dataset]) -> xr.Dataset:
        path = self.path(name)
        if path.exists():
            try:
                ds = load_dataset(path)
                if ds.attrs.get("stage_key") == key:
                    self.reused.append(name)
                    return ds
            except DataFileError:
                pass  # unreadable leftovers are recomputed, never trusted
        ds = compute()
        ds.attrs.update(provenance(config=self._config, seed=self._seed, stage=name))
        ds.attrs["stage_key"] = key
        save_dataset(ds, path)
        self.computed.append(name)
        return ds
