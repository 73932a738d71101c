"""Files the pipeline writes are written whole or not at all, and a file's SHA-256 is computed
one way. Every write goes to a temporary file beside the target (its name unique to the host's
process: two writers never share one), then is renamed over it; `sync` also flushes it to the
disk first, where a later step (the publish's switch) must find it there after a crash."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_file(path: Path, sync: bool = False) -> Iterator[IO[bytes]]:
    """A binary file to write `path` through: it appears whole when the block ends, and a kill,
    an exception or a full disk inside it leaves the old file (or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask's permissions, as open() gives
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(path: Path, data: bytes, sync: bool = False) -> None:
    with atomic_file(path, sync) as fh:
        fh.write(data)


def write_text(path: Path, text: str, sync: bool = False) -> None:
    write_bytes(path, text.encode("utf-8"), sync)


def write_pieces(path: Path, pieces: Iterable[str], sync: bool = False) -> None:
    """Text written as it is made (a template's output, a piece at a time)."""
    with atomic_file(path, sync) as fh:
        for piece in pieces:
            fh.write(piece.encode("utf-8"))


JSON_BATCH = 4096  # an encoder's chunks joined before they are written


def write_json(path: Path, data: Any, indent: int | None = 1, sync: bool = False) -> None:
    """JSON as json.dumps gives it, written as the encoder makes it: with an `indent` json makes
    it in tens of thousands of small pieces, which json.dumps holds all at once (for a manifest
    of 3,000 notices, 6 MB for a file of 1.2 MB)."""
    write_pieces(path, _batched(json.JSONEncoder(ensure_ascii=False, indent=indent, default=str).iterencode(data)), sync)


def _batched(chunks: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) >= JSON_BATCH:
            yield "".join(batch)
            batch.clear()
    yield "".join(batch)


def write_readable_json(path: Path, data: dict[str, Any]) -> None:
    """A large dict as JSON a person can read: a line per key and per list item. Written by the
    C encoder (an `indent` makes json use its pure-Python one, several times slower, which a
    run's state of 10,000 notices felt at every stage), an item at a time (the whole text of a
    large run's state is never in memory)."""
    def dumps(v: Any) -> bytes:
        return json.dumps(v, ensure_ascii=False, default=str).encode("utf-8")

    with atomic_file(path) as fh:
        fh.write(b"{\n")
        for n, (k, v) in enumerate(data.items()):
            fh.write((b",\n " if n else b" ") + dumps(k) + b": ")
            if isinstance(v, list) and v:
                for i, x in enumerate(v):
                    fh.write((b",\n  " if i else b"[\n  ") + dumps(x))
                fh.write(b"\n ]")
            else:
                fh.write(dumps(v))
        fh.write(b"\n}\n")


def fsync(path: Path) -> None:
    """A file or folder flushed to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path, copy_to: Path | None = None) -> str:
    """The file's SHA-256, streamed (a large file is never held whole); with `copy_to`, the bytes
    hashed are also written there, in the same read, so what is parsed is what was hashed."""
    h = hashlib.sha256()
    with path.open("rb") as fh, (copy_to.open("wb") if copy_to else contextlib.nullcontext()) as out:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            if out:
                out.write(chunk)
    return h.hexdigest()
