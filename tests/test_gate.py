"""The per-notice gate through the real pipeline: a notice whose rows fail a blocking check is
held back (its last published version stays in curated/ byte for byte), every other notice is
published, the exit code says so, and the console names the rule, notice, file and line."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.report import console_digest
from pipeline.run import EXIT_HELD_BACK, EXIT_NOTHING, EXIT_PUBLISHED, Config, run

from .conftest import SAMPLES, tree_hash

HEAD = "附件\n\n某市重点任务分工表\n\n序号\t工作任务\t责任单位\t完成时限\n一、优化服务\t\t\t\n"
GOOD_ROWS = ["1\t推进一网通办。\t市政务服务办负责\t2026年5月", "2\t优化窗口服务。\t市政务服务办、市数据局按职责分工负责\t2026年6月",
             "3\t提升监管效能。\t市市场监管委负责\t持续推进"]
OTHER = HEAD.replace("某市重点任务分工表", "某区年度工作分工表") + "1\t完善投诉渠道。\t区信访办负责\t2026年9月\n"
THIRD = HEAD.replace("某市重点任务分工表", "某县专项行动分工表") + "1\t建设数据平台。\t县数据局负责\t2026年10月\n"


def notice(rows: list[str]) -> str:
    return HEAD + "\n".join(rows) + "\n"


BROKEN = {
    # case: (rows, failing expectation, raw text the report must quote, the value the console shows)
    "month-13": ([GOOD_ROWS[0], GOOD_ROWS[1].replace("2026年6月", "2026年13月"), GOOD_ROWS[2]], "completion_dates.expect_column_values_to_not_be_in_set(due_kind)[invalid]", "优化窗口服务",
                 "2026年13月"),
    "fragment-name": ([GOOD_ROWS[0], "2\t优化窗口服务。\t市政务服务办、管理局按职责分工负责\t2026年6月", GOOD_ROWS[2]], "departments.expect_column_values_to_be_clean_department_names(department)", "管理局",
                      "管理局"),
    "no-department": ([GOOD_ROWS[0], "2\t优化窗口服务。\t\t2026年6月", GOOD_ROWS[2]], "completeness.expect_table_measures_to_name_a_lead_or_responsible_department(origin,department_roles)", "优化窗口服务",
                      "2"),  # the measure's printed number
}


def rows_of(curated: Path, notice_id: str) -> dict[str, list[dict]]:
    out = {}
    for name in ("measure_departments", "measures", "notices"):
        t = pq.read_table(curated / name).to_pylist()
        out[name] = [r for r in t if r["notice_id"] == notice_id]
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A curated/ published from two good notices."""
    tmp = tmp_path_factory.mktemp("gate")
    raw = tmp / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text(notice(GOOD_ROWS), encoding="utf-8")
    (raw / "other.txt").write_text(OTHER, encoding="utf-8")
    cfg = Config(raw=raw, interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False)
    report = run(cfg)
    assert report.exit_code == EXIT_PUBLISHED and report.verdict == "published"
    return cfg


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_notice_is_held_back_alone(published: Config, case: str) -> None:
    rows, rule, raw_text, value = BROKEN[case]
    before = tree_hash(published.curated)
    bad = published.raw / "good.txt"
    original = bad.read_text(encoding="utf-8")
    bad.write_text(notice(rows), encoding="utf-8")
    try:
        report = run(published)
    finally:
        bad.write_text(original, encoding="utf-8")
    assert report.exit_code == EXIT_HELD_BACK
    # the other notice is unchanged and the broken one keeps its published version: nothing to write
    assert report.verdict == "unchanged" and tree_hash(published.curated) == before
    assert list(report.validation["held_back"]) == ["good"] and any(r.startswith(rule) for r in report.validation["held_back"]["good"])
    status = {n.notice_id: n.status for n in report.notices}
    assert status == {"good": "held back", "other": "published"}
    traced = [f for f in report.findings if f.code.startswith(rule)]
    assert traced and all(f.source_file == "good.txt" and f.source_ref.startswith("line ") for f in traced)
    assert any(raw_text in f.raw_text for f in traced)
    failures = pq.read_table(Path(report.report_dir) / "failures.parquet").to_pylist()
    assert any(f["rule"].startswith(rule) and f["notice_id"] == "good" and f["source_file"] == "good.txt" for f in failures)
    html = (Path(report.report_dir) / "summary.html").read_text(encoding="utf-8")
    assert "Held back" in html and rule.split("(")[0].split(".")[1] in html and raw_text in html
    assert any(line.startswith(f"{rule} | good | good.txt:line ") and f" | {value} | " in line for line in console_digest(report))


NUMBERING = {
    # a repeated 序号 no longer runs on, so measure_no is the ordinal; the repeat is reported within its parent
    "repeated-number": ([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[2].replace("3\t", "2\t", 1)], "提升监管效能"),
    "gap-in-numbering": ([GOOD_ROWS[0], GOOD_ROWS[1].replace("2\t", "4\t", 1), GOOD_ROWS[2].replace("3\t", "5\t", 1)], "优化窗口服务"),
}


@pytest.mark.parametrize("case", sorted(NUMBERING))
def test_a_skipped_or_repeated_number_is_a_warning_and_the_notice_is_published(tmp_path: Path, case: str) -> None:
    """Numbers as printed: a gap or a repeat is reported with its row, and the measures are published."""
    rows, raw_text = NUMBERING[case]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text(notice(rows), encoding="utf-8")
    report = run(Config(raw=raw, interim=tmp_path / "i", curated=tmp_path / "c", reports=tmp_path / "r", progress=False))
    assert report.exit_code == EXIT_PUBLISHED and report.verdict == "published" and not report.validation["held_back"]
    warned = [f for f in report.findings if f.code.startswith("numbering.expect_measure_numbers_to_step_by_one_within_their_parent(")]
    assert warned and {f.severity for f in warned} == {"warning"} and any(raw_text in f.raw_text for f in warned)
    assert len(rows_of(tmp_path / "c", "good")["measures"]) == 3


def test_good_notices_are_published_beside_a_held_back_one_and_strict_publishes_nothing(published: Config, tmp_path: Path) -> None:
    bad = published.raw / "good.txt"
    original = bad.read_text(encoding="utf-8")
    before_good = rows_of(published.curated, "good")
    bad.write_text(notice([GOOD_ROWS[0], GOOD_ROWS[1].replace("2026年6月", "2026年13月"), GOOD_ROWS[2]]), encoding="utf-8")
    (published.raw / "third.txt").write_text(THIRD, encoding="utf-8")
    args = ["--raw", str(published.raw), "--interim", str(published.interim), "--curated", str(published.curated), "--reports", str(published.reports)]
    try:
        before = tree_hash(published.curated)
        strict = run(replace(published, strict=True))  # --strict (the exit codes through the command line: test_cli)
        assert strict.exit_code == EXIT_NOTHING, strict.verdict
        assert tree_hash(published.curated) == before  # all or nothing: nothing

        res = subprocess.run([sys.executable, "-m", "pipeline", "run", *args], capture_output=True, text=True, check=False)
        assert res.returncode == EXIT_HELD_BACK, res.stderr
        # rule | notice | file:line | the printed label | raw text
        assert "completion_dates.expect_deadlines_to_name_existing_months(due_raw) | good | good.txt:line 8 table 1 row 4 col 1 | 2026年13月 | 优化窗口服务。" in res.stderr
        assert "held back good" in res.stderr
        assert rows_of(published.curated, "good") == before_good  # the last published version, unchanged
        assert len(rows_of(published.curated, "third")["measures"]) == 1  # the new good notice is published
        manifest = json.loads((published.curated / "_manifest.json").read_text(encoding="utf-8"))
        assert list(manifest["held_back"]) == ["good"]
        assert {i["file"]: i["status"] for i in manifest["inputs"]} == {"good.txt": "held back", "other.txt": "published", "third.txt": "published"}
    finally:
        bad.write_text(original, encoding="utf-8")
        (published.raw / "third.txt").unlink()
    report = run(published)
    assert report.exit_code == EXIT_PUBLISHED and report.verdict == "published"


def test_unknown_department_is_a_warning_naming_file_and_row(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "n.txt").write_text(notice([GOOD_ROWS[0], "2\t优化窗口服务。\t市未知事务局负责\t2026年6月"]), encoding="utf-8")
    report = run(Config(raw=raw, interim=tmp_path / "i", curated=tmp_path / "c", reports=tmp_path / "r", progress=False))
    assert report.exit_code == 0 and report.verdict == "published"
    unknown = [f for f in report.findings if "expect_department_names_to_resolve_in_the_registry" in f.code]
    assert unknown and {f.severity for f in unknown} == {"warning"}
    assert any(f.raw_text == "市未知事务局负责" and f.source_file == "n.txt" and f.source_ref == "line 8 table 1 row 4 col 3" for f in unknown)


def test_suite_naming_an_unknown_expectation_publishes_nothing(tmp_path: Path) -> None:
    suites = tmp_path / "expectations"
    (suites / "reference").mkdir(parents=True)
    (suites / "broken.json").write_text(json.dumps({"name": "broken", "meta": {"frame": "measures"}, "expectations": [
        {"type": "expect_column_values_to_be_speling_mistake", "kwargs": {"column": "text"}}]}), encoding="utf-8")
    cfg = Config(raw=SAMPLES, interim=tmp_path / "i", curated=tmp_path / "c", reports=tmp_path / "r", expectations=suites, progress=False)
    report = run(cfg)
    assert report.exit_code == EXIT_NOTHING and not (tmp_path / "c").exists()
    assert "expect_column_values_to_be_speling_mistake" in report.validation["blocking_failed"][0]


def test_a_rerun_with_nothing_changed_keeps_the_last_report_and_its_verdict(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text(OTHER, encoding="utf-8")
    (raw / "bad.txt").write_text(notice([GOOD_ROWS[0], GOOD_ROWS[1].replace("2026年6月", "2026年13月")]), encoding="utf-8")
    cfg = Config(raw=raw, interim=tmp_path / "i", curated=tmp_path / "c", reports=tmp_path / "r", progress=False)
    first = run(cfg)
    assert first.exit_code == EXIT_HELD_BACK and first.verdict == "published"
    latest = (cfg.reports / "latest").resolve()
    again = run(cfg)
    assert again.stages_run == ["extract"] and again.verdict == "unchanged"
    assert again.exit_code == EXIT_HELD_BACK and list(again.validation["held_back"]) == ["bad"]
    # the validation of the run that published, as it was assembled, not one made up for the occasion
    assert again.validation == first.validation and again.validated_by == first.validated_by == first.run_id
    assert {n.notice_id: (n.status, n.held_because) for n in again.notices} == {n.notice_id: (n.status, n.held_because) for n in first.notices}
    assert (cfg.reports / "latest").resolve() == latest == Path(first.report_dir).resolve()
    assert sorted(p.name for p in cfg.reports.iterdir() if p.is_dir() and not p.is_symlink()) == [first.run_id]  # no report of its own


def test_a_notice_that_can_no_longer_be_read_keeps_its_published_version(published: Config) -> None:
    other = published.raw / "other.txt"
    original = other.read_bytes()
    before = rows_of(published.curated, "other")
    other.write_bytes(b"\x00\x01binary junk")
    try:
        report = run(published)
    finally:
        other.write_bytes(original)
    assert report.exit_code == EXIT_HELD_BACK
    assert {n.notice_id: n.status for n in report.notices}["other"] == "held back"
    assert rows_of(published.curated, "other") == before and before["measures"]
    assert run(published).exit_code == EXIT_PUBLISHED
