"""One holder at a time for a folder the pipeline changes: interim/ (one run on it) and curated
(run, publish and rollback switch it, so a rollback cannot land in the middle of a publish). A
second command is refused with a line naming the holder — its command, pid and start — instead of
sharing the folder's state or waiting without a word."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import Refused

LOCK = ".lock"


class Busy(Refused):
    pass


_held: dict[str, int] = {}  # lock file -> descriptor, for the locks this process holds


def release_in_child() -> None:
    """In a forked worker: drop its copy of the locks, so each lock ends with the run that took it."""
    for fd in _held.values():
        os.close(fd)
    _held.clear()


@contextmanager
def exclusive(folder: Path, what: str, holder: str, shown: Path | None = None) -> Iterator[None]:
    """Hold `folder`'s lock for the block. `what` names the folder in a refusal (shown as the path
    `shown`, default `folder`); `holder` is the command written into the lock for a refused one to
    read. Asked again by the process that holds it (a run's publish stage, then publish() inside
    it) it is the same hold, released by the outermost block."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    key = os.path.realpath(path)
    if key in _held:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            by = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise Busy(shown or folder, f"{what} is in use by {by}; wait for it to finish, or use another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder} pid {os.getpid()} started {datetime.now(UTC).isoformat(timespec='seconds')}".encode(), 0)
        _held[key] = fd
        yield
    finally:
        if _held.get(key) == fd:
            del _held[key]
        os.close(fd)  # closing releases the lock; a killed command releases it too
