"""Publish stage: versioned, atomic publishes of the curated tables.

    publish(tables, curated, manifest, version) -> published files
    rollback(curated, to=None) -> the version made current
    versions(curated) -> the versions kept, oldest first

Layout (`curated` is a symbolic link; switching it is the one atomic step of a publish):

    curated -> curated.versions/<version>
    curated.versions/<version>/<table>/part-0.parquet   one directory per table
                              /_dictionary.json          the data dictionary (column, type, meaning)
                              /_manifest.json, _SUCCESS  written last

A version is written to a staging folder inside curated.versions/, synced, renamed to its
version name, and only then does `curated` switch to it (a new link renamed over the old one),
so a reader always sees a complete version and a kill at any moment leaves the previous one
current. The last `keep` versions stay for `rollback`.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from ..model.tables import SCHEMA_VERSION, SCHEMAS, data_dictionary

MANIFEST = "_manifest.json"
DICTIONARY = "_dictionary.json"
SUCCESS = "_SUCCESS"
PART = "part-0.parquet"
KEEP_VERSIONS = 5


class PublishError(Exception):
    """curated/ cannot be switched to a new version (a folder we did not make, a mount point …)."""


@dataclass(frozen=True)
class Version:
    name: str
    path: Path
    current: bool
    complete: bool


def store(curated: Path) -> Path:
    """The folder the versions of `curated` live in: beside it, named after it."""
    curated = Path(os.path.abspath(curated))
    return curated.parent / f"{curated.name}.versions"


def table_path(curated: Path, name: str) -> Path:
    return curated / name / PART


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def content_hash(tables: dict[str, pa.Table]) -> str:
    """A hash of the tables' data, independent of Parquet encoding: same data, same hash."""
    h = hashlib.sha256()
    for name in sorted(tables):
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, tables[name].schema) as w:
            w.write_table(tables[name].combine_chunks())
        h.update(name.encode())
        h.update(sink.getvalue())
    return h.hexdigest()


def current_manifest(curated: Path) -> dict | None:
    """The manifest of the version `curated` points at; None when there is none (or it is damaged)."""
    path = curated / MANIFEST
    if not (curated / SUCCESS).exists() or not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def read_curated(curated: Path) -> dict[str, pa.Table]:
    return {name: pq.read_table(table_path(curated, name), schema=schema) for name, schema in SCHEMAS.items()}


def versions(curated: Path) -> list[Version]:
    folder = store(curated)
    if not folder.is_dir():
        return []
    now = os.path.realpath(curated) if os.path.islink(curated) else None
    return [Version(d.name, d, os.path.realpath(d) == now, (d / SUCCESS).exists())
            for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".")]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    _fsync(path)


def publish(tables: dict[str, pa.Table], curated: Path, manifest: dict, version: str, keep: int = KEEP_VERSIONS) -> list[dict]:
    folder = store(curated)
    folder.mkdir(parents=True, exist_ok=True)
    with _store_lock(folder):  # two pipelines publishing to one curated take turns
        return _publish(tables, curated, folder, manifest, version, keep)


@contextmanager
def _store_lock(folder: Path) -> Iterator[None]:
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _publish(tables: dict[str, pa.Table], curated: Path, folder: Path, manifest: dict, version: str, keep: int) -> list[dict]:
    _adopt(curated)
    for stale in folder.glob(".staging-*"):  # left by a publish that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = folder / f".staging-{version}"
    staging.mkdir()
    try:
        files = []
        for name, table in sorted(tables.items()):
            if table.schema.remove_metadata() != SCHEMAS[name].remove_metadata():
                raise ValueError(f"{name}: the table does not have the published schema")
            meta = {b"schema_version": SCHEMA_VERSION.encode(), b"table": name.encode()}
            path = table_path(staging, name)
            path.parent.mkdir()
            strings = [f.name for f in table.schema if pa.types.is_string(f.type)]
            pq.write_table(table.replace_schema_metadata(meta), path, compression="zstd", use_dictionary=strings)
            _fsync(path)
            files.append({"table": name, "file": str(path.relative_to(staging)), "rows": table.num_rows, "sha256": sha256_file(path)})
        _write(staging / DICTIONARY, json.dumps(data_dictionary(), ensure_ascii=False, indent=1))
        manifest = {**manifest, "version": version, "schema_version": SCHEMA_VERSION, "published": files}
        _write(staging / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        _write(staging / SUCCESS, "")
        final = folder / version
        n = 1
        while final.exists():  # a version name published before (the publish stage run again)
            final = folder / f"{version}.{n}"
            n += 1
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _switch(curated, final)
    prune(curated, keep)
    return files


def _switch(curated: Path, target: Path) -> None:
    """Point `curated` at `target`: a new link renamed over the old one, one atomic step."""
    link = curated.parent / f".{curated.name}.switch-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, curated.parent), link)
    os.replace(link, curated)
    dir_fd = os.open(curated.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _adopt(curated: Path) -> None:
    """A real folder where the link belongs: an empty one (or holding only dot files, as a
    checkout's curated/.gitkeep) makes way; a publish of the layout before versions becomes a
    version of its own, so it can be rolled back to; anything else is refused."""
    if os.path.islink(curated) or not curated.exists():
        return
    if not curated.is_dir():
        raise PublishError(f"{curated} is a file, not the link to the published tables: move it away")
    entries = list(curated.iterdir())
    old_publish = (curated / SUCCESS).exists() and (curated / MANIFEST).exists()
    if entries and not old_publish and not all(e.name.startswith(".") and e.is_file() for e in entries):
        raise PublishError(f"{curated} is a folder this pipeline did not make ({len(entries)} entries): move it away or choose another --curated")
    aside = store(curated) / (f"{_manifest_version(curated)}.adopted" if old_publish else f".empty-curated-{os.getpid()}")
    try:
        os.rename(curated, aside)
    except OSError as exc:
        if exc.errno in (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES):
            raise PublishError(f"{curated} cannot be replaced by the link to the current version ({exc.strerror}); "
                               f"if it is a mount point, publish to a folder inside it (--curated {curated}/tables)") from exc
        raise
    if not old_publish:
        shutil.rmtree(aside, ignore_errors=True)


def _manifest_version(curated: Path) -> str:
    m = current_manifest(curated) or {}
    return str(m.get("run_id") or "0")


def prune(curated: Path, keep: int) -> list[str]:
    """Remove all but the newest `keep` complete versions (never the current one) and any
    incomplete folder a killed publish left."""
    removed = []
    vs = versions(curated)
    complete = [v for v in vs if v.complete]
    survivors = {v.name for v in complete[-keep:]} | {v.name for v in vs if v.current}
    for v in vs:
        if v.name not in survivors:
            shutil.rmtree(v.path, ignore_errors=True)
            removed.append(v.name)
    return removed


def rollback(curated: Path, to: str | None = None) -> str:
    """Make an earlier version current: `to`, or the newest one older than the current one."""
    vs = [v for v in versions(curated) if v.complete]
    if not vs:
        raise PublishError(f"{curated}: no published version to roll back to")
    if to is not None:
        target = next((v for v in vs if v.name == to), None)
        if target is None:
            raise PublishError(f"{curated}: no version {to!r}; kept: {', '.join(v.name for v in vs)}")
    else:
        names = [v.name for v in vs]
        cur = next((i for i, v in enumerate(vs) if v.current), len(vs))
        if cur == 0:
            raise PublishError(f"{curated}: {names[0]} is the oldest version kept; nothing earlier to roll back to")
        target = vs[cur - 1]
    _switch(curated, target.path)
    return target.name
