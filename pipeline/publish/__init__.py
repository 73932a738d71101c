"""Publish stage: versioned, atomic publishes of the curated tables.

    publish(notices, departments, curated, manifest, version) -> published files
        = write_version(...) -> the complete version folder and its manifest, then make_current(curated, folder)
    rollback(curated, to=None) -> the version made current
    versions(curated) -> the versions kept, oldest first

Layout (`curated` is a symbolic link; switching it is the one atomic step of a publish):

    curated -> curated.versions/<version>
    curated.versions/<version>/<table>/part-NN.parquet  one directory per table, its notices in
                                                         BUCKETS files by a hash of notice_id
                              /_dictionary.json          the data dictionary (column, type, meaning)
                              /_manifest.json, _SUCCESS  written last

A version is written to a staging folder inside curated.versions/, synced, renamed to its
version name, and only then does `curated` switch to it (a new link renamed over the old one),
so a reader always sees a complete version and a kill at any moment leaves the previous one
current. The last `keep` versions stay for `rollback`. A file whose notices (and their rows'
digests) are those of the version before is a hard link to that version's file, not written
again: one new notice rewrites one file per table.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import atomic_file, fsync, sha256_file, write_json, write_text
from ..lock import exclusive
from ..model.interim import NOTICE_TABLES

if TYPE_CHECKING:  # pyarrow is imported where tables are read or written: a run that publishes nothing never loads it
    import pyarrow as pa

MANIFEST = "_manifest.json"
DICTIONARY = "_dictionary.json"
SUCCESS = "_SUCCESS"
KEEP_VERSIONS = 5
BUCKETS = 64  # files per notice table: one new notice rewrites one of them
ORDER = {"notices": ["notice_id"], "measures": ["notice_id", "part", "measure_no"],
         "measure_departments": ["notice_id", "part", "measure_no", "position"]}


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


def bucket_of(notice_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(notice_id.encode(), digest_size=4).digest(), "big") % BUCKETS


def part_name(bucket: int) -> str:
    return f"part-{bucket:02d}.parquet"


@dataclass(frozen=True)
class NoticeRows:
    """One notice's rows to publish: this run's pieces, or its last published rows (held back)."""

    notice_id: str
    digest: str  # of its rows: equal digests, equal rows
    load: Callable[[], dict[str, pa.Table]]  # measures, measure_departments, notices


def content_hash(notices: Iterable[NoticeRows], departments: pa.Table) -> str:
    """A hash of the tables' data, independent of Parquet encoding: the notices' row digests and
    the (small) departments table. Same data, same hash."""
    import pyarrow as pa
    import pyarrow.ipc

    h = hashlib.sha256(json.dumps(sorted((n.notice_id, n.digest) for n in notices)).encode())
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, departments.schema) as w:
        w.write_table(departments.combine_chunks())
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
    """Every curated table whole, in key order (for tests and small archives: BI reads the files)."""
    import pyarrow.parquet as pq

    from ..model.tables import SCHEMAS

    out = {}
    for name, schema in SCHEMAS.items():
        t = pq.read_table(curated / name, schema=schema)
        out[name] = t.sort_by([(c, "ascending") for c in ORDER.get(name, ["department_canonical"])])
    return out


def published_rows(curated: Path, notice_id: str) -> dict[str, pa.Table]:
    """One notice's rows as `curated` holds them (its bucket's file; any file of an older layout),
    in this schema (a version published under an earlier one: see model.tables.conform)."""
    import pyarrow.parquet as pq

    from ..model.tables import conform

    out = {}
    for name in NOTICE_TABLES:
        path = curated / name / part_name(bucket_of(notice_id))
        out[name] = conform(name, pq.read_table(path if path.exists() else curated / name, filters=[("notice_id", "=", notice_id)]))
    return out


def published_table(curated: Path, name: str) -> pa.Table:
    """A whole table as `curated` holds it, in this schema."""
    import pyarrow.parquet as pq

    from ..model.tables import conform

    return conform(name, pq.read_table(curated / name))


def versions(curated: Path) -> list[Version]:
    folder = store(curated)
    if not folder.is_dir():
        return []
    now = os.path.realpath(curated) if os.path.islink(curated) else None
    return [Version(d.name, d, os.path.realpath(d) == now, (d / SUCCESS).exists())
            for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".")]


def publish(notices: list[NoticeRows], departments: pa.Table, curated: Path, manifest: dict, version: str,
            keep: int = KEEP_VERSIONS) -> list[dict]:
    with exclusive(store(curated), "curated", "publish", curated):  # the lock of run, publish and rollback (the same hold inside a run)
        final, written = write_version(notices, departments, curated, manifest, version)
        make_current(curated, final, keep)
        return written["published"]


def _write_table(table: pa.Table, name: str, path: Path) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..model.tables import SCHEMA_VERSION, SCHEMAS, pandas_metadata

    if table.schema.remove_metadata() != SCHEMAS[name].remove_metadata():
        raise ValueError(f"{name}: the table does not have the published schema")
    meta = {b"schema_version": SCHEMA_VERSION.encode(), b"table": name.encode(), b"pandas": pandas_metadata(name)}
    path.parent.mkdir(exist_ok=True)
    strings = [f.name for f in table.schema if pa.types.is_string(f.type)]
    with atomic_file(path, sync=True) as fh:
        pq.write_table(table.replace_schema_metadata(meta), fh, compression="zstd", use_dictionary=strings)
    return {"rows": table.num_rows, "sha256": sha256_file(path)}


def write_version(notices: list[NoticeRows], departments: pa.Table, curated: Path, manifest: dict, version: str) -> tuple[Path, dict]:
    """A complete version folder in the store, synced, not yet current; and its manifest as
    written (its files under "published"). The caller holds curated's lock until make_current
    (the run writes its report in between)."""
    from ..model.tables import SCHEMA_VERSION, data_dictionary

    folder = store(curated)
    folder.mkdir(parents=True, exist_ok=True)
    _adopt(curated)
    for stale in folder.glob(".staging-*"):  # left by a publish that was killed
        shutil.rmtree(stale, ignore_errors=True)
    before = current_manifest(curated) or {}
    staging = folder / f".staging-{version}"
    staging.mkdir()
    try:
        files = _notice_files(notices, curated, before, staging)
        files.append({"table": "departments", "file": f"departments/{part_name(0)}",
                      **_write_table(departments, "departments", staging / "departments" / part_name(0))})
        files.sort(key=lambda f: f["file"])
        write_text(staging / DICTIONARY, json.dumps(data_dictionary(), ensure_ascii=False, indent=1), sync=True)
        manifest = {**manifest, "version": version, "schema_version": SCHEMA_VERSION, "published": files,
                    "notices": {n.notice_id: n.digest for n in sorted(notices, key=lambda n: n.notice_id)}}
        write_json(staging / MANIFEST, manifest, sync=True)
        write_text(staging / SUCCESS, "", sync=True)
        final = folder / version
        n = 1
        while final.exists():  # a version name published before (the publish stage run again)
            final = folder / f"{version}.{n}"
            n += 1
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final, manifest


def _notice_files(notices: list[NoticeRows], curated: Path, before: dict, staging: Path) -> list[dict]:
    """Each table's bucket files into `staging`: a bucket holding the same notices with the same
    rows as the version before, published under this schema, is a hard link to its file, not
    written again."""
    import pyarrow as pa

    from ..model.tables import SCHEMA_VERSION, SCHEMAS

    before_files = {f["file"]: f for f in before.get("published", [])}
    buckets: dict[int, list[NoticeRows]] = {}
    for n in notices:
        buckets.setdefault(bucket_of(n.notice_id), []).append(n)
    old_buckets: dict[int, set] = {}
    for nid, d in (before.get("notices") or {}).items():
        old_buckets.setdefault(bucket_of(nid), set()).add((nid, d))
    files = []
    for b, mine in sorted(buckets.items()):
        # a file of another schema is written again: a held-back notice's rows are given the columns added since
        same = {(n.notice_id, n.digest) for n in mine} == old_buckets.get(b) and before.get("schema_version") == SCHEMA_VERSION
        rel = [f"{name}/{part_name(b)}" for name in NOTICE_TABLES]
        if same and all(r in before_files and (curated / r).exists() for r in rel):
            for r in rel:  # unchanged since the last version: linked, not written again
                (staging / r).parent.mkdir(exist_ok=True)
                _link(curated / r, staging / r)
                files.append({**before_files[r], "table": r.split("/")[0]})
            continue
        loaded = [n.load() for n in sorted(mine, key=lambda n: n.notice_id)]
        for name, r in zip(NOTICE_TABLES, rel, strict=True):
            t = pa.concat_tables([x[name] for x in loaded]).sort_by([(c, "ascending") for c in ORDER[name]])
            files.append({"table": name, "file": r, **_write_table(t, name, staging / r)})
        del loaded
    if not buckets:  # no notice at all: each table still has its schema on disk
        for name in NOTICE_TABLES:
            files.append({"table": name, "file": f"{name}/{part_name(0)}",
                          **_write_table(SCHEMAS[name].empty_table(), name, staging / name / part_name(0))})
    return files


def make_current(curated: Path, version: Path, keep: int = KEEP_VERSIONS) -> None:
    """`curated` switched to a complete version (the one atomic step of a publish); the versions
    beyond `keep` go."""
    _switch(curated, version)
    prune(curated, keep)


def _link(src: Path, dst: Path) -> None:
    """A hard link to the earlier version's file (a copy where links are not allowed)."""
    try:
        os.link(os.path.realpath(src), dst)
    except OSError:
        shutil.copy2(src, dst)
        fsync(dst)


def _switch(curated: Path, target: Path) -> None:
    """Point `curated` at `target`: a new link renamed over the old one, one atomic step."""
    link = curated.parent / f".{curated.name}.switch-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, curated.parent), link)
    os.replace(link, curated)
    fsync(curated.parent)


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
    """Make an earlier version current: `to`, or the newest one older than the current one. Takes
    the lock of every command that changes `curated`: a rollback in the middle of a publish made it
    link files of one version under the manifest of another."""
    if not store(curated).is_dir():
        raise PublishError(f"{curated}: no published version to roll back to")
    with exclusive(store(curated), "curated", "rollback", curated):
        return _rollback(curated, to)


def _rollback(curated: Path, to: str | None) -> str:
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
