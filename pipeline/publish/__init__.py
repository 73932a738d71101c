"""Publish stage: curated tables to Parquet, atomically.

    publish(tables, curated_dir, manifest) -> published files

Files are written to a staging folder beside curated/ (zstd, dictionary-encoded strings,
schema version in the metadata), the manifest and _SUCCESS last, then the folder is swapped
into place; a failure before the swap leaves curated/ exactly as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from ..model.tables import SCHEMA_VERSION, SCHEMAS

MANIFEST = "_manifest.json"


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
    path = curated / MANIFEST
    if not (curated / "_SUCCESS").exists() or not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def publish(tables: dict[str, pa.Table], curated: Path, manifest: dict, run_id: str) -> list[dict]:
    curated = curated.resolve()
    curated.parent.mkdir(parents=True, exist_ok=True)
    staging = curated.parent / f".{curated.name}.staging-{run_id}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    files = []
    for name, table in sorted(tables.items()):
        if table.schema.remove_metadata() != SCHEMAS[name].remove_metadata():
            raise ValueError(f"{name}: the table does not have the published schema")
        meta = {b"schema_version": SCHEMA_VERSION.encode(), b"table": name.encode()}
        path = staging / f"{name}.parquet"
        strings = [f.name for f in table.schema if pa.types.is_string(f.type)]
        pq.write_table(table.replace_schema_metadata(meta), path, compression="zstd", use_dictionary=strings)
        files.append({"file": path.name, "rows": table.num_rows, "sha256": sha256_file(path)})
    manifest = {**manifest, "schema_version": SCHEMA_VERSION, "published": files}
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    if curated.exists():
        for keep in curated.glob(".*"):  # the repo's .gitignore and such stay with the folder
            if keep.is_file():
                shutil.copy2(keep, staging / keep.name)
    (staging / "_SUCCESS").write_text("", encoding="utf-8")
    old = curated.parent / f".{curated.name}.previous-{run_id}"
    if curated.exists():
        os.replace(curated, old)
    os.replace(staging, curated)
    if old.exists():
        shutil.rmtree(old)
    return files
