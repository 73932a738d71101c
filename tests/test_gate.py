"""Deliberately broken notices through the real pipeline: each blocks the publish, leaves
curated/ byte-for-byte as it was, exits 1 and the report names the rule and the source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.run import Config, run

from .conftest import SAMPLES, tree_hash

HEAD = "附件\n\n某市重点任务分工表\n\n序号\t工作任务\t责任单位\t完成时限\n一、优化服务\t\t\t\n"
GOOD_ROWS = ["1\t推进一网通办。\t市政务服务办负责\t2026年5月", "2\t优化窗口服务。\t市政务服务办、市数据局按职责分工负责\t2026年6月",
             "3\t提升监管效能。\t市市场监管委负责\t持续推进"]


def notice(rows: list[str]) -> str:
    return HEAD + "\n".join(rows) + "\n"


BROKEN = {
    # case: (rows, failing expectation, raw text the report must quote)
    "repeated-number": ([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[2].replace("3\t", "2\t", 1)], "numbering.expect_compound_columns_to_be_unique", "提升监管效能"),
    "gap-in-numbering": ([GOOD_ROWS[0], GOOD_ROWS[1].replace("2\t", "4\t", 1), GOOD_ROWS[2].replace("3\t", "5\t", 1)], "numbering.expect_column_values_to_be_in_set(no_step)", "优化窗口服务"),
    "month-13": ([GOOD_ROWS[0], GOOD_ROWS[1].replace("2026年6月", "2026年13月"), GOOD_ROWS[2]], "completion_dates.expect_column_values_to_not_be_in_set(due_kind)", "优化窗口服务"),
    "fragment-name": ([GOOD_ROWS[0], "2\t优化窗口服务。\t市政务服务办、管理局按职责分工负责\t2026年6月", GOOD_ROWS[2]], "departments.expect_column_values_to_be_clean_department_names(department)", "管理局"),
    "no-department": ([GOOD_ROWS[0], "2\t优化窗口服务。\t\t2026年6月", GOOD_ROWS[2]], "completeness.expect_column_values_to_be_in_set(table_measure_has_owner)", "优化窗口服务"),
}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A curated/ published from a good notice, to prove a blocked run leaves it untouched."""
    tmp = tmp_path_factory.mktemp("gate")
    raw = tmp / "raw"
    raw.mkdir()
    (raw / "good.txt").write_text(notice(GOOD_ROWS), encoding="utf-8")
    cfg = Config(raw=raw, interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False)
    report = run(cfg)
    assert report.exit_code == 0 and report.verdict == "published"
    return cfg


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_notice_blocks_publish(published: Config, case: str) -> None:
    rows, rule, raw_text = BROKEN[case]
    before = tree_hash(published.curated)
    bad = published.raw / "good.txt"
    original = bad.read_text(encoding="utf-8")
    bad.write_text(notice(rows), encoding="utf-8")
    try:
        report = run(published)
    finally:
        bad.write_text(original, encoding="utf-8")
    assert report.exit_code == 1 and report.verdict == "blocked"
    assert tree_hash(published.curated) == before
    assert any(f.startswith(rule) for f in report.validation["blocking_failed"]), report.validation["blocking_failed"]
    traced = [f for f in report.findings if f.code.startswith(rule)]
    assert traced and all(f.source_file == "good.txt" and f.source_ref.startswith("line ") for f in traced)
    assert any(raw_text in f.raw_text for f in traced)
    html = (Path(report.report_dir) / "summary.html").read_text(encoding="utf-8")
    assert "Blocked" in html and rule.split("(")[0].split(".")[1] in html and raw_text in html
    manifest = json.loads((Path(report.report_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["verdict"] == "blocked" and manifest["published"] == []


def test_unknown_department_is_a_warning_naming_file_and_row(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "n.txt").write_text(notice([GOOD_ROWS[0], "2\t优化窗口服务。\t市未知事务局负责\t2026年6月"]), encoding="utf-8")
    report = run(Config(raw=raw, interim=tmp_path / "i", curated=tmp_path / "c", reports=tmp_path / "r", progress=False))
    assert report.exit_code == 0 and report.verdict == "published"
    unknown = [f for f in report.findings if "in_registry" in f.code]
    assert unknown and {f.severity for f in unknown} == {"warning"}
    assert any(f.raw_text == "市未知事务局负责" and f.source_file == "n.txt" and f.source_ref == "line 8 table 0 row 3 col 2" for f in unknown)


def test_suite_naming_an_unknown_expectation_blocks(tmp_path: Path) -> None:
    suites = tmp_path / "expectations"
    (suites / "reference").mkdir(parents=True)
    (suites / "broken.json").write_text(json.dumps({"name": "broken", "meta": {"frame": "measures"}, "expectations": [
        {"type": "expect_column_values_to_be_speling_mistake", "kwargs": {"column": "text"}}]}), encoding="utf-8")
    cfg = Config(raw=SAMPLES, interim=tmp_path / "i", curated=tmp_path / "c", reports=tmp_path / "r", expectations=suites, progress=False)
    report = run(cfg)
    assert report.exit_code == 1 and not (tmp_path / "c").exists()
    assert "expect_column_values_to_be_speling_mistake" in report.validation["blocking_failed"][0]
