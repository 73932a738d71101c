"""The curated tables as BI tools read them: real Parquet published by a run, read back with
DuckDB and with pandas (dtype_backend="pyarrow"), with the exact values expected."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.run import Config, run

from .conftest import NOTICES, SAMPLES

# A notice with no section rows (section_no null), an ongoing deadline (due_date null), a
# collective placeholder, and one department written two ways (two surface forms).
PLAIN = ("附件\n\n天津市重点任务分工表\n\n序号\t工作任务\t责任单位\t完成时限\n"
         "1\t推进一网通办。\t市政务服务办负责\t2026年5月\n2\t优化窗口服务。\t各区人民政府负责\t持续推进\n"
         "3\t扩大对外开放。\t市商务局牵头，天津市商务局配合\t2026年7月\n")


def cfg_for(tmp: Path) -> Config:
    return Config(raw=tmp / "raw", interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False)


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two samples (the first in two forms: one read, the other an alternate) and PLAIN, published."""
    cfg = cfg_for(tmp_path_factory.mktemp("bi"))
    cfg.raw.mkdir()
    for name in (f"{NOTICES[0]}.txt", f"{NOTICES[0]}.docx", f"{NOTICES[1]}.txt"):
        shutil.copy(SAMPLES / name, cfg.raw)
    (cfg.raw / "plain.txt").write_text(PLAIN, encoding="utf-8")
    assert run(cfg).exit_code == 0
    return cfg.curated


def _sql(curated: Path, query: str) -> list[tuple]:
    con = duckdb.connect()
    for name in ("measures", "measure_departments", "notices", "departments"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{curated}/{name}/*.parquet')")
    return con.execute(query).fetchall()


def test_measure_id_is_the_key_of_measures_and_what_pairs_join_on(curated: Path) -> None:
    assert _sql(curated, "SELECT measure_id, notice_id, part, measure_no FROM measures WHERE notice_id = 'plain' ORDER BY measure_no") == [
        ("plain:1:1", "plain", 1, 1), ("plain:1:2", "plain", 1, 2), ("plain:1:3", "plain", 1, 3)]
    assert _sql(curated, "SELECT count(*), count(DISTINCT measure_id) FROM measures") == [(194, 194)]
    assert _sql(curated, "SELECT count(*) FROM measures WHERE measure_id <> notice_id || ':' || part || ':' || measure_no") == [(0,)]
    # every pair finds its measure by measure_id alone, and the same one its three key columns find
    pairs = _sql(curated, "SELECT count(*) FROM measure_departments")[0][0]
    assert _sql(curated, "SELECT count(*) FROM measure_departments p JOIN measures m USING (measure_id) "
                         "WHERE (p.notice_id, p.part, p.measure_no) = (m.notice_id, m.part, m.measure_no)") == [(pairs,)]
    assert _sql(curated, "SELECT measure_id, department FROM measure_departments WHERE notice_id = 'plain' ORDER BY measure_id, position") == [
        ("plain:1:1", "市政务服务办"), ("plain:1:2", "各区人民政府"), ("plain:1:3", "市商务局"), ("plain:1:3", "天津市商务局")]


def test_measure_id_does_not_depend_on_the_run_or_the_other_notices(curated: Path, tmp_path: Path) -> None:
    """One of the notices published alone, from an empty interim/, gives its measures the same ids."""
    cfg = cfg_for(tmp_path)
    cfg.raw.mkdir()
    shutil.copy(SAMPLES / f"{NOTICES[1]}.txt", cfg.raw)
    assert run(cfg).exit_code == 0
    query = f"SELECT measure_id FROM measures WHERE notice_id = '{NOTICES[1]}' ORDER BY part, measure_no"
    alone = _sql(cfg.curated, query)
    assert len(alone) == 93 and alone == _sql(curated, query)
    assert alone[0] == (f"{NOTICES[1]}:1:1",)  # its first issued document (附件 unlabelled: part 1)


@pytest.mark.parametrize("backend", ["pyarrow", None])
def test_pandas_reads_integers_as_integers_and_dates_as_dates(curated: Path, backend: str | None) -> None:
    """With dtype_backend="pyarrow" every column is its Arrow type; without it the files' pandas
    metadata still keeps a nullable integer from becoming float64 and a date from becoming object."""
    m = pd.read_parquet(curated / "measures", **({"dtype_backend": backend} if backend else {})).set_index("measure_id").sort_index()
    want = {"pyarrow": {"part": "int16[pyarrow]", "measure_no": "int32[pyarrow]", "section_no": "int16[pyarrow]",
                        "due_date": "date32[day][pyarrow]", "n_departments": "int16[pyarrow]", "notice_id": "string[pyarrow]"},
            None: {"part": "int16", "measure_no": "int32", "section_no": "Int16", "due_date": "date32[day][pyarrow]", "n_departments": "int16",
                   "notice_id": "str"}}[backend]
    assert {c: str(m[c].dtype) for c in want} == want
    plain = m.loc[["plain:1:1", "plain:1:2", "plain:1:3"]]
    assert plain["section_no"].isna().all() and plain["measure_no"].tolist() == [1, 2, 3]
    assert [None if pd.isna(d) else d for d in plain["due_date"]] == [date(2026, 5, 31), None, date(2026, 7, 31)]
    first = m.loc[f"{NOTICES[0]}:1:1"]
    assert (first["section_no"], first["due_date"]) == (1, date(2026, 5, 31))
    n = pd.read_parquet(curated / "notices", **({"dtype_backend": backend} if backend else {})).set_index("notice_id")
    assert str(n["issued_on"].dtype) == "date32[day][pyarrow]" and str(n["pages"].dtype) == ("int32[pyarrow]" if backend else "Int32")
    assert n.loc[NOTICES[1], "issued_on"] == date(2024, 8, 21) and pd.isna(n.loc["plain", "issued_on"]) and n["pages"].isna().all()


def test_duckdb_reads_the_same_types_and_values(curated: Path) -> None:
    assert _sql(curated, "SELECT typeof(measure_id), typeof(part), typeof(section_no), typeof(due_date) FROM measures LIMIT 1") == [
        ("VARCHAR", "SMALLINT", "SMALLINT", "DATE")]
    assert _sql(curated, "SELECT measure_id, section_no, due_kind, due_date FROM measures WHERE notice_id = 'plain' ORDER BY measure_id") == [
        ("plain:1:1", None, "month", date(2026, 5, 31)), ("plain:1:2", None, "ongoing", None), ("plain:1:3", None, "month", date(2026, 7, 31))]
    assert _sql(curated, f"SELECT section_no, due_date FROM measures WHERE measure_id = '{NOTICES[0]}:1:1'") == [(1, date(2026, 5, 31))]
    assert _sql(curated, "SELECT typeof(alternates), typeof(alternates_text), typeof(issued_on) FROM notices LIMIT 1") == [("VARCHAR[]", "VARCHAR", "DATE")]


def test_a_held_back_notice_published_under_the_schema_before_is_given_its_measure_ids(tmp_path: Path) -> None:
    """curated/ as a publish under schema 2.1 left it (no measure_id, no list as text; the
    departments table's columns under their old names): a notice held back keeps its rows, which the next publish
    writes in this schema, measure_id derived from their key; no file of the old version is
    linked into the new one."""
    import json

    import pyarrow.parquet as pq

    from pipeline.model.tables import SCHEMA_VERSION
    from pipeline.publish import MANIFEST, versions

    from .test_gate import GOOD_ROWS, OTHER, THIRD, notice

    cfg = cfg_for(tmp_path)
    cfg.raw.mkdir()
    (cfg.raw / "good.txt").write_text(notice(GOOD_ROWS), encoding="utf-8")
    (cfg.raw / "other.txt").write_text(OTHER, encoding="utf-8")
    assert run(cfg).exit_code == 0
    old = cfg.curated.resolve()
    for path in [*old.glob("measures/*.parquet"), *old.glob("measure_departments/*.parquet")]:
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["measure_id"]).replace_schema_metadata({b"schema_version": b"2.1"}), path)
    for path in old.glob("notices/*.parquet"):
        pq.write_table(pq.read_table(path).drop_columns(["alternates_text"]), path)
    before = {"canonical_is_collective": "is_collective", "canonical_in_registry": "in_registry", "n_measures_named_in": "n_measures",
              "n_notices_named_in": "n_notices"}
    for path in old.glob("departments/*.parquet"):
        table = pq.read_table(path).drop_columns(["surface_forms_text"])
        pq.write_table(table.rename_columns([before.get(c, c) for c in table.column_names]), path)
    manifest = json.loads((old / MANIFEST).read_text(encoding="utf-8"))
    (old / MANIFEST).write_text(json.dumps({**manifest, "schema_version": "2.1"}), encoding="utf-8")

    (cfg.raw / "good.txt").write_text(notice([GOOD_ROWS[0], GOOD_ROWS[1].replace("2026年6月", "2026年13月"), GOOD_ROWS[2]]), encoding="utf-8")
    (cfg.raw / "third.txt").write_text(THIRD, encoding="utf-8")
    report = run(cfg)
    assert report.exit_code == 1 and list(report.validation["held_back"]) == ["good"]
    new = cfg.curated.resolve()
    assert new != old and [v.path for v in versions(cfg.curated)] == [old, new]
    assert _sql(cfg.curated, "SELECT measure_id, due_raw FROM measures ORDER BY measure_id") == [
        ("good:1:1", "2026年5月"), ("good:1:2", "2026年6月"), ("good:1:3", "持续推进"), ("other:1:1", "2026年9月"), ("third:1:1", "2026年10月")]
    assert _sql(cfg.curated, "SELECT measure_id, department FROM measure_departments WHERE notice_id = 'good' ORDER BY measure_id, position") == [
        ("good:1:1", "市政务服务办"), ("good:1:2", "市政务服务办"), ("good:1:2", "市数据局"), ("good:1:3", "市市场监管委")]
    assert _sql(cfg.curated, "SELECT notice_id, alternates_text FROM notices ORDER BY 1") == [("good", None), ("other", None), ("third", None)]
    assert _sql(cfg.curated, "SELECT department_canonical, canonical_is_collective, n_measures_named_in FROM departments ORDER BY 1") == [
        ("区信访办", False, 1), ("县数据局", False, 1), ("市市场监管委", False, 1), ("市政务服务办", False, 2), ("市数据局", False, 1)]
    assert all(pq.read_schema(p).metadata[b"schema_version"] == SCHEMA_VERSION.encode() for p in new.glob("*/*.parquet"))
    assert not {p.stat().st_ino for p in new.glob("*/*.parquet")} & {p.stat().st_ino for p in old.glob("*/*.parquet")}


def test_a_column_name_means_one_thing_in_every_table(curated: Path) -> None:
    """A name two tables share is described once, and holds the same values where they join:
    no is_collective or in_registry of a pair beside a department's of another meaning."""
    import json

    d = json.loads((curated / "_dictionary.json").read_text(encoding="utf-8"))
    meanings: dict[str, set[str]] = {}
    for t in d["tables"].values():
        for c in t["columns"]:
            meanings.setdefault(c["name"], set()).add(c["meaning"])
    assert {name for name, m in meanings.items() if len(m) > 1} == set()
    shared = {name for name in meanings if sum(name in [c["name"] for c in t["columns"]] for t in d["tables"].values()) > 1}
    assert shared == {"measure_id", "notice_id", "part", "measure_no", "department_canonical", "source_file", "source_ref"}
    assert _sql(curated, "SELECT department_canonical, canonical_is_collective, canonical_in_registry, n_measures_named_in, n_notices_named_in "
                         "FROM departments WHERE department_canonical IN ('天津市商务局', '各区人民政府') ORDER BY 1") == [
        ("各区人民政府", True, False, 1, 1), ("天津市商务局", False, True, 14, 2)]
    assert _sql(curated, "SELECT measure_id, department, department_canonical, is_collective, in_registry FROM measure_departments "
                         "WHERE notice_id = 'plain' ORDER BY measure_id, position") == [
        ("plain:1:1", "市政务服务办", "天津市政务服务管理办公室", False, True), ("plain:1:2", "各区人民政府", "各区人民政府", True, False),
        ("plain:1:3", "市商务局", "天津市商务局", False, True), ("plain:1:3", "天津市商务局", "天津市商务局", False, True)]
    # what each table says of a department: a name and its canonical form, joined, never two columns of one name
    joined = _sql(curated, "SELECT count(*) FROM measure_departments JOIN departments USING (department_canonical)")[0][0]
    assert joined == _sql(curated, "SELECT count(*) FROM measure_departments")[0][0] > 500


def test_list_columns_are_also_text_that_splits_back_into_the_list(curated: Path) -> None:
    """alternates and surface_forms, which Power BI and Tableau read badly, stand beside a text
    column of their items joined by ' | ' (null for none), as attachments is."""
    notices = pd.read_parquet(curated / "notices", dtype_backend="pyarrow").set_index("notice_id")
    assert str(notices["alternates_text"].dtype) == "string[pyarrow]"
    assert list(notices.loc[NOTICES[0], "alternates"]) == [f"{NOTICES[0]}.txt"]
    assert notices.loc[NOTICES[0], "alternates_text"] == f"{NOTICES[0]}.txt"
    assert pd.isna(notices.loc["plain", "alternates_text"]) and list(notices.loc["plain", "alternates"]) == []
    departments = _sql(curated, "SELECT surface_forms, surface_forms_text FROM departments")
    assert departments and all(text.split(" | ") == forms for forms, text in departments)
    assert [(forms, text) for forms, text in departments if len(forms) > 1] == [(["天津市商务局", "市商务局"], "天津市商务局 | 市商务局")]
    assert _sql(curated, "SELECT count(*) FROM departments WHERE surface_forms_text IS NULL OR surface_forms_text = ''") == [(0,)]
