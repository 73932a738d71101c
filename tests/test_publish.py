"""Versioned, atomic publishes: one directory per table, a link switched in one step, rollback,
nulls for missing text, a data dictionary that matches the Parquet files and the README."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main as cli_main
from pipeline.files import JSON_BATCH, write_json
from pipeline.model.tables import SCHEMAS, dictionary_markdown
from pipeline.publish import NOTICE_TABLES, PublishError, bucket_of, current_manifest, part_name, rollback, store, versions
from pipeline.run import Config, run

from .conftest import NOTICES, SAMPLES

ROOT = Path(__file__).parent.parent


def cfg_for(tmp: Path) -> Config:
    return Config(raw=tmp / "raw", interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False)


def files_of(version: Path) -> dict[str, str]:
    return {str(p.relative_to(version)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(version.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, dict[str, str], dict[str, str]]:
    """One notice published, then a second added: two versions, the second current."""
    tmp = tmp_path_factory.mktemp("versions")
    cfg = cfg_for(tmp)
    cfg.raw.mkdir()
    shutil.copy(SAMPLES / f"{NOTICES[0]}.txt", cfg.raw)
    assert run(cfg).exit_code == 0
    first = files_of(cfg.curated.resolve())
    shutil.copy(SAMPLES / f"{NOTICES[1]}.txt", cfg.raw)
    assert run(cfg).exit_code == 0
    second = files_of(cfg.curated.resolve())
    return cfg, first, second


def test_each_publish_is_a_new_version_and_curated_links_to_it(two_versions: tuple) -> None:
    cfg, first, second = two_versions
    assert cfg.curated.is_symlink()
    vs = versions(cfg.curated)
    assert [v.current for v in vs] == [False, True] and all(v.complete for v in vs)
    assert os.readlink(cfg.curated) == f"curated.versions/{vs[1].name}"  # relative: the folder can move
    meta = ["_SUCCESS", "_dictionary.json", "_manifest.json"]
    b0, b1 = (part_name(bucket_of(n)) for n in NOTICES)
    assert b0 != b1  # the two samples fall in different files: the test below needs it
    assert sorted(first) == sorted(meta + [f"{name}/{b0}" for name in NOTICE_TABLES] + [f"departments/{part_name(0)}"])
    assert sorted(second) == sorted(meta + [f"{name}/{b}" for name in NOTICE_TABLES for b in (b0, b1)] + [f"departments/{part_name(0)}"])
    manifest = current_manifest(cfg.curated)
    assert manifest["version"] == vs[1].name
    rows: dict[str, int] = {}
    for f in manifest["published"]:
        rows[f["table"]] = rows.get(f["table"], 0) + f["rows"]
    assert rows == {"departments": 83, "measure_departments": 569, "measures": 191, "notices": 2}
    assert sorted(manifest["notices"]) == sorted(NOTICES)
    assert {"pdfplumber", "python-docx", "great-expectations", "pyarrow", "jieba"} <= set(manifest["libraries"])
    assert all(v != "-" for k, v in manifest["libraries"].items() if k in ("pdfplumber", "python-docx", "great-expectations", "pyarrow"))


def test_a_new_notice_writes_only_its_own_files(two_versions: tuple) -> None:
    """The first notice's files in the second version are the first version's, linked, not written again."""
    cfg, first, second = two_versions
    old, new = (v.path for v in versions(cfg.curated))
    b0, b1 = (part_name(bucket_of(n)) for n in NOTICES)
    for name in NOTICE_TABLES:
        assert (old / name / b0).stat().st_ino == (new / name / b0).stat().st_ino
        assert first[f"{name}/{b0}"] == second[f"{name}/{b0}"]
        assert not (old / name / b1).exists() and (new / name / b1).stat().st_nlink == 1
    assert (old / "departments" / part_name(0)).stat().st_ino != (new / "departments" / part_name(0)).stat().st_ino


def test_rollback_restores_the_previous_version_byte_for_byte(two_versions: tuple, capsys: pytest.CaptureFixture) -> None:
    cfg, first, second = two_versions
    older, newer = (v.name for v in versions(cfg.curated))
    assert cli_main(["rollback", "--curated", str(cfg.curated)]) == 0
    assert f"now points at version {older}" in capsys.readouterr().out
    assert files_of(cfg.curated.resolve()) == first
    assert pq.read_table(cfg.curated / "notices").column("notice_id").to_pylist() == [NOTICES[0]]
    with pytest.raises(PublishError, match="oldest version kept"):
        rollback(cfg.curated)
    assert rollback(cfg.curated, to=newer) == newer
    assert files_of(cfg.curated.resolve()) == second
    with pytest.raises(PublishError, match="no version 'nope'"):
        rollback(cfg.curated, to="nope")


def test_duckdb_and_pyarrow_datasets_read_every_table_directory(two_versions: tuple) -> None:
    cfg, _, _ = two_versions
    con = duckdb.connect()
    for name, schema in SCHEMAS.items():
        n = con.execute(f"SELECT count(*) FROM read_parquet('{cfg.curated}/{name}/*.parquet')").fetchone()[0]
        table = ds.dataset(str(cfg.curated / name), format="parquet").to_table()
        assert n == table.num_rows > 0
        assert table.schema.remove_metadata().equals(schema, check_metadata=False), name


def test_missing_text_is_null_never_empty(two_versions: tuple) -> None:
    cfg, _, _ = two_versions
    con = duckdb.connect()
    for name, schema in SCHEMAS.items():
        for f in schema:
            if str(f.type) == "string":
                empty = con.execute(f"SELECT count(*) FROM read_parquet('{cfg.curated}/{name}/*.parquet') WHERE \"{f.name}\" = ''").fetchone()[0]
                assert empty == 0, (name, f.name)
    # the prose notice has measures without a deadline: null, not ''
    nulls = con.execute(f"SELECT count(*) FROM read_parquet('{cfg.curated}/measures/*.parquet') WHERE due_raw IS NULL").fetchone()[0]
    assert nulls > 0


def test_the_data_dictionary_matches_the_parquet_schemas_and_the_readme(two_versions: tuple) -> None:
    cfg, _, _ = two_versions
    d = json.loads((cfg.curated / "_dictionary.json").read_text(encoding="utf-8"))
    assert d["schema_version"] == current_manifest(cfg.curated)["schema_version"]
    for name, t in d["tables"].items():
        schema = pq.read_schema(next((cfg.curated / name).glob("part-*.parquet")))
        assert [(c["name"], c["nullable"]) for c in t["columns"]] == [(f.name, f.nullable) for f in schema], name
        types = {c["name"]: c["type"] for c in t["columns"]}
        for f in schema:
            assert types[f.name] == (f"list<{f.type.value_type}>" if str(f.type).startswith("list") else str(f.type)), (name, f.name)
        assert all(c["meaning"] for c in t["columns"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert dictionary_markdown() in readme, "README's column tables differ from the data dictionary: paste `python -m pipeline dictionary`"


def test_old_versions_are_pruned_to_the_number_kept(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path)
    cfg.keep_versions = 2
    cfg.raw.mkdir()
    src = (SAMPLES / f"{NOTICES[0]}.txt").read_text(encoding="utf-8")
    for i in range(3):  # three different inputs: three versions
        (cfg.raw / f"{NOTICES[0]}.txt").write_text(src + "\n" * (i + 1), encoding="utf-8")
        assert run(cfg).verdict == "published"
    vs = versions(cfg.curated)
    assert len(vs) == 2 and vs[-1].current


def test_a_checkout_curated_folder_is_replaced_by_the_link_and_a_foreign_one_is_refused(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path)
    cfg.raw.mkdir()
    shutil.copy(SAMPLES / f"{NOTICES[0]}.txt", cfg.raw)
    cfg.curated.mkdir()
    (cfg.curated / ".gitkeep").write_text("")
    assert run(cfg).exit_code == 0 and cfg.curated.is_symlink()

    other = cfg_for(tmp_path / "b")
    other.raw.mkdir(parents=True)
    shutil.copy(SAMPLES / f"{NOTICES[0]}.txt", other.raw)
    other.curated.mkdir()
    (other.curated / "someone-elses.csv").write_text("a,b\n")
    refused = run(other)
    assert refused.verdict == "failed" and refused.exit_code == 2
    assert refused.publish_error.endswith("curated is a folder this pipeline did not make (1 entries): move it away or choose another --curated")
    assert (other.curated / "someone-elses.csv").read_text() == "a,b\n" and not store(other.curated).joinpath("x").exists()


KILLER = """
import sys, json
from pathlib import Path
import pyarrow.compute as pc
from pipeline.publish import NOTICE_TABLES, NoticeRows, publish, read_curated
curated = Path(sys.argv[1])
tables = read_curated(curated)
ids = tables["notices"].column("notice_id").to_pylist()
def rows_of(nid):
    return lambda: {n: tables[n].filter(pc.equal(tables[n].column("notice_id"), nid)) for n in NOTICE_TABLES}
for i in range(10_000):  # new digests every time: every file is written again, none linked
    publish([NoticeRows(nid, f"{nid}:{i}", rows_of(nid)) for nid in ids], tables["departments"], curated,
            {"run_id": f"r{i:05d}"}, f"v{i:05d}", keep=3)
    print(i, flush=True)
"""


@pytest.mark.slow
def test_a_publish_killed_at_any_moment_leaves_curated_on_a_complete_version(two_versions: tuple, tmp_path: Path) -> None:
    cfg, _, _ = two_versions
    curated = tmp_path / "curated"
    shutil.copytree(cfg.curated.resolve(), store(curated) / "v0")
    os.symlink("curated.versions/v0", curated)
    rng = random.Random(7)
    for _ in range(20):
        p = subprocess.Popen([sys.executable, "-c", KILLER, str(curated)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 1.0))  # kills land during the import, and during and between publishes
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = curated.resolve()
        manifest = current_manifest(curated)
        assert manifest is not None, f"{now} is not a complete version"
        for f in manifest["published"]:
            assert hashlib.sha256((now / f["file"]).read_bytes()).hexdigest() == f["sha256"]
        assert pq.read_table(curated / "measures").num_rows == 191
    assert len([v for v in versions(curated) if v.complete]) >= 2  # publishes did complete between the kills


def test_json_written_as_the_encoder_makes_it_is_json_dumps_s_text(tmp_path: Path) -> None:
    """A manifest is written a batch of the encoder's pieces at a time: the file is the text
    json.dumps gives, across batches, with an indent and without."""
    data = {"inputs": [{"notice_id": f"n{i}", "file": "关于印发方案的通知.docx", "alternates": [], "rows": i, "error": None}
                       for i in range(JSON_BATCH)], "held_back": {}, "fingerprints": {"wording": "ab", "ratio": 1.5, "ok": True}}
    for indent in (1, None):
        write_json(tmp_path / "m.json", data, indent=indent)
        assert (tmp_path / "m.json").read_text(encoding="utf-8") == json.dumps(data, ensure_ascii=False, indent=indent)
