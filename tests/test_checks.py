"""Checks that can fail: each rewritten expectation and each notices check, run by the real
Great Expectations suites on tables with one deliberately wrong row per notice."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.model.tables import NoticeRecord
from pipeline.normalize import Assignment, Deadline, NormalizedMeasure
from pipeline.normalize.registry import Registry
from pipeline.normalize.tables import build_tables
from pipeline.structure import Measure
from pipeline.validate import validate

ROOT = Path(__file__).parent.parent


def nm(nid: str, no: int, label: str, path: str, names: list[tuple[str, bool]], due: Deadline | None = None, text: str = "推进改革。") -> NormalizedMeasure:
    m = Measure(nid, 1, no, label, text, f"{nid}.txt", f"line {no}", origin="prose", measure_path=path)
    return NormalizedMeasure(m, due or Deadline("", "none", None),
                             [Assignment(n, "responsible", c, k + 1, f"line {no}", "、".join(x for x, _ in names)) for k, (n, c) in enumerate(names)])


def good(nid: str, n: int = 3) -> list[NormalizedMeasure]:
    return [nm(nid, k, f"（{'一二三四五'[k - 1]}）", f"（{'一二三四五'[k - 1]}）", [("市商务局", False)]) for k in range(1, n + 1)]


@pytest.fixture(scope="module")
def validation():
    cases = {
        "ok": good("ok"),
        # collective flag on a name with no placeholder word
        "flag": [*good("flag", 2), nm("flag", 3, "（三）", "（三）", [("市商务局", True)])],
        # 'ongoing' without a word that means it
        "ongoing": [*good("ongoing", 2), nm("ongoing", 3, "（三）", "（三）", [("市商务局", False)], Deadline("2025年底前", "ongoing", None))],
        # printed numbers run on, but measure_no is not the printed number
        "label": [*good("label", 2), nm("label", 4, "（三）", "（三）", [("市商务局", False)])],
        # a gap within one parent
        "gap": [*good("gap", 2), nm("gap", 5, "（五）", "（五）", [("市商务局", False)])],
        # a deadline taken for a department
        "dated": [*good("dated", 2), nm("dated", 3, "（三）", "（三）", [("2024年底前完成", False)])],
        # role words in the text but no measure: no rows at all
        "empty": [],
        # a title in the wrong encoding
        "mojibake": good("mojibake"),
        # far fewer pairs than measures
        "sparse": [nm("sparse", k, f"{k}.", f"{k}.", [("市商务局", False)] if k == 1 else []) for k in range(1, 7)],
    }
    records = [NoticeRecord(nid, "瀹夊窘鐪佷汉姘戞斂搴滃姙鍏巺鍏充簬鍗板彂" + "\ufffd" if nid == "mojibake" else f"某市关于{nid}的通知", "某市",
                            "2024-05-06", f"{nid}.txt", "txt", nid * 8, role_words=5) for nid in cases]
    tables = build_tables(records, [x for v in cases.values() for x in v], Registry.load(ROOT / "expectations" / "reference"))
    return validate(tables, records, Registry.load(ROOT / "expectations" / "reference"), ROOT / "expectations")


@pytest.mark.parametrize(("notice_id", "rule"), [
    ("flag", "departments.expect_column_values_to_be_in_set(collective_ok)"),
    ("ongoing", "completion_dates.expect_column_values_to_be_in_set(ongoing_from_words)"),
    ("label", "numbering.expect_column_values_to_be_in_set(label_agrees)"),
    ("dated", "departments.expect_column_values_to_be_clean_department_names(department)"),
    ("empty", "notices.expect_column_values_to_be_in_set(measures_where_role_words)"),
])
def test_each_blocking_check_holds_back_the_notice_with_the_wrong_row(validation, notice_id: str, rule: str) -> None:
    assert rule in validation.held_back.get(notice_id, []), validation.held_back


@pytest.mark.parametrize(("notice_id", "column"), [("sparse", "pairs_cover_measures"), ("gap", "step_in_parent"), ("mojibake", "title_readable")])
def test_warnings_name_the_notice_and_hold_nothing_back(validation, notice_id: str, column: str) -> None:
    """A skipped printed number or an unreadable title is reported; the notice's measures are published."""
    result = next(r for r in validation.results if r.column == column)
    assert not result.success and result.failing_notices == [notice_id] and result.severity == "warning"
    assert notice_id not in validation.held_back


def test_good_rows_pass_and_each_wrong_row_holds_back_only_its_own_notice(validation) -> None:
    assert set(validation.held_back) == {"flag", "ongoing", "label", "dated", "empty"}


def test_duplicate_notices_are_named(tmp_path: Path) -> None:
    records = [NoticeRecord(n, "某市关于推进改革的通知", "某市", "2024-05-06", f"{n}.txt", "txt", "same" * 16) for n in ("a", "b")]
    tables = build_tables(records, good("a") + good("b"), Registry.load(ROOT / "expectations" / "reference"))
    v = validate(tables, records, Registry.load(ROOT / "expectations" / "reference"), ROOT / "expectations")
    failing = {r.column: r.failing_notices for r in v.results if not r.success}
    assert failing["sha256_copies"] == ["a", "b"] and failing["same_title_copies"] == ["a", "b"]
