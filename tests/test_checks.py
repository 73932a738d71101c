"""Checks that can fail: each rewritten expectation and each notices check, run by the real
Great Expectations suites on tables with one deliberately wrong row per notice."""

from __future__ import annotations

import itertools
import json
from datetime import date
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
    ("flag", "departments.expect_collective_placeholders_to_be_flagged(department,department_raw,is_collective)"),
    ("ongoing", "completion_dates.expect_ongoing_deadlines_to_be_worded_as_ongoing(due_kind,due_raw)"),
    ("label", "numbering.expect_measure_no_to_be_the_printed_number(notice_id,part,measure_no,measure_label)"),
    ("dated", "departments.expect_column_values_to_be_clean_department_names(department)"),
    ("empty", "notices.expect_notices_that_assign_work_to_have_measures(n_role_words,n_measures)"),
])
def test_each_blocking_check_holds_back_the_notice_with_the_wrong_row(validation, notice_id: str, rule: str) -> None:
    assert rule in validation.held_back.get(notice_id, []), validation.held_back


@pytest.mark.parametrize(("notice_id", "expectation"), [("sparse", "expect_notices_to_have_pairs_for_their_measures"),
                                                        ("gap", "expect_measure_numbers_to_step_by_one_within_their_parent"),
                                                        ("mojibake", "expect_titles_to_be_readable_chinese")])
def test_warnings_name_the_notice_and_hold_nothing_back(validation, notice_id: str, expectation: str) -> None:
    """A skipped printed number or an unreadable title is reported; the notice's measures are published."""
    result = next(r for r in validation.results if r.expectation == expectation)
    assert not result.success and result.failing_notices == [notice_id] and result.severity == "warning"
    assert notice_id not in validation.held_back


def test_good_rows_pass_and_each_wrong_row_holds_back_only_its_own_notice(validation) -> None:
    assert set(validation.held_back) == {"flag", "ongoing", "label", "dated", "empty"}


def test_duplicate_notices_are_named(tmp_path: Path) -> None:
    records = [NoticeRecord(n, "某市关于推进改革的通知", "某市", "2024-05-06", f"{n}.txt", "txt", "same" * 16) for n in ("a", "b")]
    tables = build_tables(records, good("a") + good("b"), Registry.load(ROOT / "expectations" / "reference"))
    v = validate(tables, records, Registry.load(ROOT / "expectations" / "reference"), ROOT / "expectations")
    failing = {r.column: r.failing_notices for r in v.results if not r.success}
    assert failing["sha256"] == ["a", "b"] and failing["title,issuer,issued_on"] == ["a", "b"]


# --- every expectation on published-shaped tables: one wrong row, and none ---------------------

NUMBER = itertools.count(1)


def _notice(nid: str, measures: list[dict] | None = None, pairs: list[dict] | None = None, **record: object) -> tuple:
    """One notice's rows as the curated tables hold them: three measures of a responsibility
    table, each with one registered department responsible; `measures`/`pairs`: changes by row."""
    ms = [{"notice_id": nid, "part": 0, "measure_no": k, "measure_label": f"（{'一二三'[k - 1]}）", "measure_path": f"一/（{'一二三'[k - 1]}）",
           "section_no": 1, "section_title": "优化服务", "area": None, "task": None, "scope": None, "text": f"推进第{k}项改革。",
           "due_raw": "2026年5月", "due_kind": "month", "due_date": date(2026, 5, 31), "departments_open_ended": False, "n_departments": 1,
           "origin": "table", "source_file": f"{nid}.txt", "source_ref": f"line {k}"} for k in (1, 2, 3)]
    ps = [{"notice_id": nid, "part": 0, "measure_no": k, "department": "市商务局", "department_canonical": "天津市商务局", "role": "responsible",
           "is_collective": False, "in_registry": True, "position": 1, "department_raw": "市商务局负责", "source_file": f"{nid}.txt",
           "source_ref": f"line {k} col 2"} for k in (1, 2, 3)]
    for rows, changes in ((ms, measures), (ps, pairs)):
        for i, change in enumerate(changes or []):
            if i < len(rows):
                rows[i].update(change)
            else:
                rows.append({**rows[0], **change})
    title = "天津市关于第" + "".join("零一二三四五六七八九"[int(d)] for d in str(next(NUMBER))) + "项改革的通知"  # no two alike
    rec = NoticeRecord(nid, title, "天津市人民政府", "2024-05-06", f"{nid}.txt", "txt", f"{nid:0>64}"[-64:], role_words=5, jurisdiction="天津市")
    for k, v in record.items():
        setattr(rec, k, v)
    row = {"notice_id": nid, "title": rec.title, "issuer": rec.issuer, "issued_on": date.fromisoformat(rec.issued_on) if rec.issued_on else None,
           "doc_no": None, "attachments": None, "source_file": rec.source_file, "source_format": "txt", "sha256": rec.sha256, "alternates": [],
           "alternates_text": None, "pages": None, "issuer_jurisdiction": rec.jurisdiction, "n_role_words": rec.role_words,
           "n_measures": len(ms), "n_pairs": len(ps)}
    return rec, ms, ps, row


def _tables(notices: list[tuple], counts: dict[str, dict] | None = None) -> tuple[dict, list[NoticeRecord]]:
    from pipeline.model.tables import measure_id, to_table

    def keyed(rows: list[dict]) -> list[dict]:  # measure_id as the pipeline makes it, from the key the case left
        return [{"measure_id": measure_id(r["notice_id"], r["part"], r["measure_no"]), **r} for r in rows]

    rows = [dict(n[3], **(counts or {}).get(n[0].notice_id, {})) for n in notices]
    return ({"measures": to_table("measures", keyed([m for n in notices for m in n[1]])),
             "measure_departments": to_table("measure_departments", keyed([p for n in notices for p in n[2]])),
             "notices": to_table("notices", rows)}, [n[0] for n in notices])


BLANK = [{}]  # the first row as it is (to change the second)
# rule -> the rows it must report: (notice, the measure's or pair's source_ref; "" for the notice's row)
WRONG = {
    "numbering.expect_compound_columns_to_be_unique": {("repeat", "line 2"), ("repeat", "line 3")},
    "numbering.expect_measure_numbers_to_step_by_one_within_their_parent": {("skip", "line 3")},
    "numbering.expect_sections_to_come_in_order": {("sections", "line 2")},
    "numbering.expect_measure_no_to_be_the_printed_number": {("printed", "line 3")},
    "numbering.expect_column_values_to_not_be_null": {("no-text", "line 2")},
    "completion_dates.expect_column_values_to_not_be_in_set[invalid]": {("invalid", "line 2")},
    "completion_dates.expect_column_values_to_not_be_in_set[unparsed]": {("unparsed", "line 2")},
    "completion_dates.expect_deadlines_to_name_existing_months": {("month-13", "line 2")},
    "completion_dates.expect_ongoing_deadlines_to_be_worded_as_ongoing": {("ongoing", "line 2")},
    "completion_dates.expect_due_dates_to_fall_within_days_of_the_notice": {("far", "line 2")},
    "completeness.expect_table_measures_to_name_a_lead_or_responsible_department": {("support-only", "line 2")},
    # every measure naming nobody responsible is listed: the table's, and the prose one
    "completeness.expect_measures_to_name_a_lead_or_responsible_department": {("support-only", "line 2"), ("prose-support", "line 2")},
    "departments.expect_column_values_to_be_clean_department_names": {("unclean", "line 2 col 2")},
    "departments.expect_collective_placeholders_to_be_flagged": {("flagged", "line 2 col 2")},
    "departments.expect_one_canonical_name_per_name_and_jurisdiction": {("two-canonicals", "line 1 col 2"), ("two-canonicals", "line 2 col 2")},
    "departments.expect_column_values_to_be_in_set[lead,responsible,support]": {("boss", "line 2 col 3")},
    "departments.expect_column_values_to_not_be_null": {("orphan", "line 9 col 2")},
    # a bare ending (管理局) is no registered name either
    "departments.expect_department_names_to_resolve_in_the_registry": {("unknown", "line 2 col 2"), ("unclean", "line 2 col 2")},
    "notices.expect_notices_that_assign_work_to_have_measures": {("empty", "")},
    "notices.expect_column_values_to_be_unique_across_notices": {("copy", ""), ("copy-too", "")},
    "notices.expect_compound_columns_to_be_unique_across_notices": {("same-title", ""), ("same-title-too", "")},
    "notices.expect_titles_to_be_readable_chinese": {("mojibake", "")},
    "notices.expect_notices_to_have_pairs_for_their_measures": {("sparse", "")},
}


def _wrong_cases() -> tuple[dict, list[NoticeRecord]]:
    """One notice per rule, whose one wrong row breaks that rule and no other."""
    n = _notice
    unlabeled = [{"measure_label": None, "measure_path": None}] * 3
    notices = [
        n("good"),
        n("repeat", [*unlabeled[:2], {"measure_label": None, "measure_path": None, "measure_no": 2}], [BLANK[0], BLANK[0], {"measure_no": 2}]),
        n("skip", [{}, {}, {"measure_no": 4, "measure_label": "（四）", "measure_path": "一/（四）"}], [{}, {}, {"measure_no": 4}]),
        n("sections", [{"section_no": 2}, {"section_no": 1}, {"section_no": 2}]),
        n("printed", [{}, {}, {"measure_no": 5}], [{}, {}, {"measure_no": 5}]),
        n("no-text", [{}, {"text": None}]),
        n("invalid", [{}, {"due_kind": "invalid", "due_date": None}]),
        n("unparsed", [{}, {"due_kind": "unparsed", "due_raw": "择机推进", "due_date": None}]),
        n("month-13", [{}, {"due_raw": "2026年13月"}]),
        n("ongoing", [{}, {"due_kind": "ongoing", "due_date": None}]),
        n("far", [{}, {"due_date": date(2040, 5, 31)}]),
        n("support-only", pairs=[{}, {"role": "support"}]),
        n("prose-support", [{}, {"origin": "prose"}], [{}, {"role": "support"}]),
        n("unclean", pairs=[{}, {"department": "管理局", "department_canonical": "管理局", "in_registry": False}]),
        n("flagged", pairs=[{}, {"is_collective": True}]),
        n("two-canonicals", pairs=[{"department": "市司法局", "department_canonical": "天津市司法局"},
                                    {"department": "市司法局", "department_canonical": "天津市司法委"}]),
        n("boss", pairs=[{}, {}, {}, {"measure_no": 2, "role": "boss", "department": "市数据局", "department_canonical": "天津市数据局",
                                       "position": 2, "source_ref": "line 2 col 3"}]),
        n("orphan", pairs=[{}, {}, {}, {"measure_no": 9, "source_ref": "line 9 col 2"}]),
        n("unknown", pairs=[{}, {"department": "市星空办", "department_canonical": "天津市星空办", "in_registry": False}]),
        n("copy", sha256="c" * 64), n("copy-too", sha256="c" * 64),
        n("same-title", title="天津市关于同一件事的通知"), n("same-title-too", title="天津市关于同一件事的通知"),
        n("mojibake", title="瀹夊窘鐪佷汉姘戞斂搴滃姙鍏巺鍏充簬\ufffd"),
        n("sparse"),
    ]
    empty = n("empty")
    notices.append((empty[0], [], [], {**empty[3], "n_measures": 0, "n_pairs": 0}))
    # a notice's own figures as published: six measures, two pairs
    return _tables(notices, {"sparse": {"n_measures": 6, "n_pairs": 2}})


def _failing(v) -> dict[str, set[tuple[str, str]]]:
    out = {}
    for r in v.results:
        key = f"{r.suite}.{r.expectation}" + (f"[{r.values}]" if r.values and r.expectation.endswith("in_set") else "")
        assert key not in out, f"two expectations answer to {key}"
        out[key] = {(x["notice_id"], x.get("source_ref") or "") for x in r.unexpected_rows}
    return out


@pytest.fixture(scope="module")
def every_rule_once():
    tables, records = _wrong_cases()
    registry = Registry.load(ROOT / "expectations" / "reference")
    return validate(tables, records, registry, ROOT / "expectations"), validate(*_tables([_notice("good"), _notice("fine")]), registry,
                                                                                   ROOT / "expectations")


@pytest.mark.parametrize("rule", sorted(WRONG))
def test_each_expectation_reports_exactly_its_wrong_row(every_rule_once, rule: str) -> None:
    """Every expectation of the suites, fed published-shaped tables in which one notice holds one
    row that breaks it: that row (for copies, both notices) is reported, and nothing else is."""
    wrong, _ = every_rule_once
    assert _failing(wrong)[rule] == WRONG[rule]


def test_every_expectation_is_tested_and_passes_tables_with_no_wrong_row(every_rule_once) -> None:
    wrong, right = every_rule_once
    assert set(_failing(wrong)) == set(WRONG), "an expectation of the suites has no case here"
    assert all(r.success and not r.error for r in right.results) and right.passed and not right.warnings


def test_an_expectation_that_cannot_run_blocks_the_run(tmp_path: Path) -> None:
    """A rule on a column the tables do not have vouches for no row: nothing is published."""
    (tmp_path / "broken.json").write_text(json.dumps({"name": "broken", "meta": {"frame": "measures"}, "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "no_such_column"},
         "meta": {"severity": "warning", "why": "a typo in a suite"}}]}), encoding="utf-8")
    v = validate(*_tables([_notice("good")]), Registry.load(ROOT / "expectations" / "reference"), tmp_path)
    assert not v.passed and v.run_blocked and "could not run" in v.run_blocked[0] and "no_such_column" in v.run_blocked[0]


def test_the_readme_lists_every_check_as_the_suites_say_it() -> None:
    from pipeline.validate import checks_markdown

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert checks_markdown(ROOT / "expectations") in readme, "README's table of checks differs from the suites: paste `python -m pipeline checks`"


def test_no_expectation_reads_a_column_made_to_be_checked() -> None:
    for path in (ROOT / "expectations").glob("*.json"):
        for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            assert e["kwargs"].get("value_set") not in ([True], [1]), (path.name, e)
            assert e["meta"]["severity"] in ("blocking", "warning") and e["meta"]["why"], (path.name, e)
