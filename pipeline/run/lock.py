"""One run at a time on one interim/ folder: a second run is refused with a message naming the
run that holds the folder, instead of sharing its candidate tables and state."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK = ".lock"


class Busy(SystemExit):
    pass


_held: list[int] = []  # descriptors of the locks this process holds


def release_in_child() -> None:
    """In a forked worker: drop its copy of the lock, so the lock ends with the run that took it."""
    for fd in _held:
        os.close(fd)
    _held.clear()


@contextmanager
def exclusive(folder: Path, what: str) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise Busy(f"ERROR {folder}: {what} is in use by {holder}; wait for it to finish, or use another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"run pid {os.getpid()} started {datetime.now(UTC).isoformat(timespec='seconds')}".encode(), 0)
        _held.append(fd)
        yield
    finally:
        if fd in _held:
            _held.remove(fd)
        os.close(fd)  # closing releases the lock; a killed run releases it too
