"""One writer per output folder: a lock file holding who writes there.

``FolderLock(folder)`` takes an exclusive operating-system lock (``fcntl.flock``; ``msvcrt.locking``
on Windows) on ``folder/.operando.lock`` and writes the holder's PID, host, start time and command
into it. The operating system drops the lock when its process dies, even by ``kill -9``, so a lock
left by a dead run is stale by construction and the next run takes it over (and says so); a live
holder is named in the error, or waited for (``timeout``). The file is deleted on release; an
acquirer that finds it deleted under its feet starts over, so two runs never both hold it.
Why not a PID file alone: a PID can be reused and checking it races with its removal; why not the
``filelock`` package: it is not a dependency, and it does not record or report the holder.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from ..errors import OutputError
from ..io import writing

LOCK_NAME = ".operando.lock"


class FolderInUseError(OutputError):
    """Another live process holds the folder's lock."""


def _try_lock(fd: int) -> bool:
    """Non-blocking exclusive lock of an open file; False if another process holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def describe_holder(holder: dict) -> str:
    if not holder:
        return "another process"
    return (f"PID {holder.get('pid', '?')} on {holder.get('host', '?')} (started {holder.get('started', '?')}: "
            f"{holder.get('command', '?')})")


class FolderLock:
    """Exclusive lock of ``folder`` for one writer; a context manager.

    timeout : seconds to wait for a live holder (0: fail at once; None: wait as long as it takes).
    on_wait : called once with a message when the lock is held by someone else and we wait.
    ``stale`` holds the holder a taken-over lock named (a dead run), else None.
    """

    def __init__(self, folder, *, timeout: float | None = 0.0, poll: float = 0.5, on_wait=None,
                 name: str = LOCK_NAME, subject: str | None = None):
        """name : the lock file's name in ``folder`` (one folder may hold locks of several outputs);
        subject : what the lock guards, for the error (default: the folder)."""
        self.folder = Path(folder)
        self.path = self.folder / name
        self.subject = subject
        self.timeout, self.poll, self.on_wait = timeout, poll, on_wait
        self.stale: dict | None = None
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        with writing(self.folder, "out"):
            if self.folder.exists() and not self.folder.is_dir():
                raise OutputError(f"out: {str(self.folder)!r} is a file, not a folder; choose another output folder")
            self.folder.mkdir(parents=True, exist_ok=True)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        while True:
            with writing(self.path, "out"):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if _try_lock(fd):
                if self._same_file(fd):
                    try:
                        with writing(self.path, "out"):
                            self._claim(fd)
                    except BaseException:
                        os.close(fd)
                        raise
                    return self
                os.close(fd)  # released and deleted by its holder meanwhile: start over
                continue
            os.close(fd)
            holder = _read_holder(self.path)
            if deadline is not None and time.monotonic() >= deadline:
                if self.subject is not None:
                    raise FolderInUseError(
                        f"out: {self.subject} is being written by another operando process, "
                        f"{describe_holder(holder)}; wait for it to finish or choose another output")
                raise FolderInUseError(
                    f"out: the folder {str(self.folder)!r} is in use by another operando run, "
                    f"{describe_holder(holder)}; wait for it to finish or choose another output folder")
            if not told and self.on_wait is not None:
                self.on_wait(f"waiting for {describe_holder(holder)} to finish with {str(self.folder)!r}")
                told = True
            time.sleep(self.poll)

    def _same_file(self, fd: int) -> bool:
        try:
            return os.path.samestat(os.fstat(fd), os.stat(self.path))
        except FileNotFoundError:
            return False

    def _claim(self, fd: int) -> None:
        previous = _read_holder(self.path)
        if previous:  # written by a run that died without releasing: the OS dropped its lock
            self.stale = previous
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.now(UTC).isoformat(timespec="seconds"), "command": " ".join(sys.argv)[:300]}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(info).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if sys.platform == "win32":  # pragma: no cover - an open file cannot be deleted there
            os.close(fd)
            self.path.unlink(missing_ok=True)
            return
        try:
            self.path.unlink(missing_ok=True)  # deleted while still locked: see acquire's restart
        finally:
            os.close(fd)  # closing drops the lock

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
