"""The sample notices in every format and layout, through the real pipeline, against the gold."""

from __future__ import annotations

import duckdb
import pytest

from .conftest import NOTICES, assert_matches_gold, read

FORMATS = ["txt", "docx", "pdf", "docx-compact", "docx-large", "pdf-compact", "pdf-large"]


@pytest.mark.parametrize("label", FORMATS)
def test_every_pair_and_measure_matches_gold(sample_runs: dict, label: str) -> None:
    report, cfg = sample_runs[label]
    assert report.exit_code == 0, report.validation.get("blocking_failed")
    assert report.verdict == "published"
    for doc in NOTICES:
        assert_matches_gold(cfg.curated, doc)


@pytest.mark.parametrize("label", FORMATS)
def test_every_row_was_read(sample_runs: dict, label: str) -> None:
    """No table row or numbered item was left unread or guessed at."""
    report, _ = sample_runs[label]
    assert [f for f in report.findings if f.stage in ("extract", "structure", "normalize")] == []


def test_blocking_checks_pass_and_only_expected_warnings(sample_runs: dict) -> None:
    report, _ = sample_runs["pdf"]
    assert report.validation["passed"] is True
    # the five safeguard items of the three-year plan name no unit: listed, not blocking
    assert report.validation["warnings"] == ["completeness.expect_measures_to_name_a_lead_or_responsible_department(department_roles)"]
    assert report.validation["warned"] == ["5 measures that name no lead or responsible department (warning: completeness)"]
    listed = {(f.notice_id, f.source_ref) for f in report.findings if f.code == "completeness.expect_measures_to_name_a_lead_or_responsible_department(department_roles)"}
    assert len(listed) == 5


def test_duckdb_reads_every_curated_table(sample_runs: dict) -> None:
    _, cfg = sample_runs["docx"]
    con = duckdb.connect()
    counts = {name: con.execute(f"SELECT count(*) FROM read_parquet('{cfg.curated}/{name}/*.parquet')").fetchone()[0]
              for name in ("measure_departments", "measures", "notices", "departments")}
    assert counts["measure_departments"] == 569
    assert counts["measures"] == 191
    assert counts["notices"] == 2
    assert counts["departments"] == 83
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{cfg.curated}/measures/*.parquet')").fetchall()}
    assert types["due_date"] == "DATE" and types["part"] == "SMALLINT" and types["measure_no"] == "INTEGER"


def test_notices_table_records_source_and_hash(sample_runs: dict) -> None:
    _, cfg = sample_runs["pdf"]
    rows = {r["notice_id"]: r for r in read(cfg.curated, "notices")}
    plan = rows["tjftz-business-environment-2024"]
    assert plan["source_format"] == "pdf" and len(plan["sha256"]) == 64
    assert plan["issued_on"].isoformat() == "2024-08-21"
    assert plan["issuer"] == "天津港保税区管理委员会"
    assert plan["pages"] == 19 and plan["n_measures"] == 93


def test_canonical_names_group_the_jurisdictions_departments(sample_runs: dict) -> None:
    _, cfg = sample_runs["txt"]
    pairs = read(cfg.curated, "measure_departments")
    canon = {(r["notice_id"], r["department"]): r["department_canonical"] for r in pairs}
    assert canon[("tj-opening-measures-duty-table", "市商务局")] == "天津市商务局"
    assert canon[("tjftz-business-environment-2024", "商务局")] == "天津港保税区商务局"
    assert all(r["in_registry"] for r in pairs)
