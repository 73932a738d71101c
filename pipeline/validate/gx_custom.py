"""The pipeline's own Great Expectations expectations: the rules GX has no expectation for.

Each is an expectation class with a metric for the pandas engine, a docstring and the sentence
Data Docs show for it; the logic of the rule lives in the metric, which reads the published
columns (and the wording lists or the registry), never a column computed to be checked.
Importing this module registers them, under the snake-case names the suites use:

    expect_column_values_to_be_clean_department_names            departments: a clean name
    expect_collective_placeholders_to_be_flagged                  departments: is_collective
    expect_one_canonical_name_per_name_and_jurisdiction          departments: canonical names
    expect_department_names_to_resolve_in_the_registry           departments: the registry
    expect_measure_numbers_to_step_by_one_within_their_parent    numbering
    expect_sections_to_come_in_order                              numbering
    expect_measure_no_to_be_the_printed_number                   numbering
    expect_deadlines_to_name_existing_months                      completion_dates
    expect_ongoing_deadlines_to_be_worded_as_ongoing             completion_dates
    expect_due_dates_to_fall_within_days_of_the_notice           completion_dates
    expect_measures_to_name_a_lead_or_responsible_department     completeness
    expect_table_measures_to_name_a_lead_or_responsible_department completeness
    expect_notices_that_assign_work_to_have_measures             notices
    expect_column_values_to_be_unique_across_notices             notices: a file read twice
    expect_compound_columns_to_be_unique_across_notices          notices: a notice read twice
    expect_titles_to_be_readable_chinese                          notices
    expect_notices_to_have_pairs_for_their_measures              notices

Facts across notices (another notice's file or title, a name given another canonical name
elsewhere) and the registry's folder reach an expectation as suite parameters ({"$PARAMETER":
…} in the suite file), filled in by the run from every notice's summary.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from string import Template
from typing import Any, ClassVar, Literal

import pandas as pd
from great_expectations.compatibility.pydantic import Field
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
    render_suite_parameter_string,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    ColumnPairMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
    column_pair_condition_partial,
    multicolumn_condition_partial,
)
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer

from ..normalize.departments import department_name_problem
from ..normalize.registry import registry_at
from ..numerals import cn_to_int
from ..wording import wording

TITLE_CJK = re.compile(r"[\u4e00-\u9fff]")
OWNER_ROLES = ("lead", "responsible")


class Sentence:
    """What Data Docs and the README say an expectation checks: `sentence`, a template over the
    expectation's kwargs ($column, $max_years …), with the class's docstring as the rule."""

    sentence: ClassVar[str] = ""

    @classmethod
    def examples(cls) -> dict[str, str]:
        """Words of notices the sentence shows as examples, from the wording files (the code
        names none)."""
        return {}

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    @render_suite_parameter_string
    def _prescriptive_renderer(cls, configuration: Any = None, result: Any = None, runtime_configuration: dict | None = None,
                               **kwargs: Any) -> list[RenderedStringTemplateContent]:
        params = {**cls.examples(), **{k: v for k, v in (configuration.kwargs if configuration else {}).items() if not isinstance(v, dict)}}
        if isinstance(params.get("column_list"), list):
            params["column_list"] = ", ".join(params["column_list"])
        return [RenderedStringTemplateContent(content_block_type="string_template",
                                              string_template={"template": cls.sentence, "params": params,
                                                               "styling": (runtime_configuration or {}).get("styling")})]

    @classmethod
    def said(cls, kwargs: dict) -> str:
        """The sentence with its kwargs filled in, as plain text."""
        params = {**cls.examples(), **{k: (", ".join(v) if k == "column_list" else v) for k, v in kwargs.items()}}
        return Template(cls.sentence).safe_substitute(params)


class PairExpectation(Sentence, ColumnPairMapExpectation):
    """A column-pair expectation of the pipeline's: a row is skipped when both values are missing."""

    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = "both_values_are_missing"
    success_keys: ClassVar[tuple[str, ...]] = ("ignore_row_if", "mostly")


def _texts(column: pd.Series) -> pd.Series:
    """A column of text as str, '' where missing (faster than _text cell by cell)."""
    return column.astype(object).where(column.notna(), "").astype(str)


def _text(v: object) -> str:
    """A cell as text: '' for a missing value (None, NaN, NaT, pandas' NA)."""
    if v is None or (not isinstance(v, str | list | tuple) and pd.isna(v)):  # type: ignore[arg-type]
        return ""
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


# --- departments -----------------------------------------------------------------------------

class ColumnValuesCleanDepartmentName(ColumnMapMetricProvider):
    condition_metric_name = "column_values.clean_department_name"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return column.map(lambda v: department_name_problem(str(v)) is None)


class ExpectColumnValuesToBeCleanDepartmentNames(Sentence, ColumnMapExpectation):
    """No whitespace, punctuation, role words (负责, 牵头 …), role label, deadline or trailing 等
    left in a name, nothing that begins like a spreadsheet formula, not over 40 characters, and no
    name that is only an ending (局, 管理局, 单位, 分行): pipeline/normalize/departments.py says why."""

    sentence: ClassVar[str] = ("$column values are clean department names: no role word, role label, $open_mark, deadline, whitespace or stray "
                               "punctuation, nothing a spreadsheet would run, and not only an ending ($endings …)")
    map_metric: ClassVar[str] = "column_values.clean_department_name"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)

    @classmethod
    def examples(cls) -> dict[str, str]:
        d = wording().departments
        return {"open_mark": d.lists.open_mark, "endings": ", ".join(d.fragments[:3])}


def _placeholder_words() -> tuple[str, ...]:
    d = wording().departments
    return (*d.plural_prefixes, *d.vague_words, *d.member_endings, *d.bare, *d.group_role_endings, *d.class_prefixes, *d.role_endings,
            *d.activity_endings)


@cache
def _any_of(words: tuple[str, ...]) -> re.Pattern | None:
    """One pattern finding any of the words (None for no words: nothing holds one)."""
    return re.compile("|".join(map(re.escape, words))) if words else None


class CollectivesFlagged(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.collective_flagged"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        name, raw, flagged = _texts(column_list.iloc[:, 0]), _texts(column_list.iloc[:, 1]), column_list.iloc[:, 2]
        found = _any_of(_placeholder_words())
        has_word = pd.Series([bool(found and (found.search(n) or found.search(r))) for n, r in zip(name, raw, strict=True)],
                             index=column_list.index, dtype=bool)
        plural = name.str.startswith(tuple(wording().departments.plural_prefixes))
        flagged = flagged.fillna(False).astype(bool)
        return (flagged & has_word) | (~flagged & ~plural)


class ExpectCollectivePlaceholdersToBeFlagged(Sentence, MulticolumnMapExpectation):
    """column_list: the name, the text it was written in, the flag. A name flagged collective
    holds a placeholder word of wording/departments.toml (各, 有关, 相关, 部门, 单位 …), in
    itself or in the text it came from; a name that begins with a word for 'each' (各…) is flagged."""

    sentence: ClassVar[str] = "a collective placeholder is flagged as one, and only a placeholder is ($column_list)"
    map_metric: ClassVar[str] = "multicolumn_values.collective_flagged"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class OneCanonicalName(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.one_canonical_name"
    condition_value_keys = ("elsewhere",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, elsewhere: list | None = None, **kwargs: Any) -> pd.Series:
        jur, name, canonical = (_texts(column_list.iloc[:, i]) for i in range(3))
        keys = list(zip(jur, name, strict=True))
        conflicting = {tuple(k) for k in elsewhere or []}
        forms: dict[tuple, set] = {}
        for k, c in zip(keys, canonical, strict=True):
            forms.setdefault(k, set()).add(c)
        return pd.Series([k not in conflicting and len(forms[k]) == 1 for k in keys], index=column_list.index, dtype=bool)


class ExpectOneCanonicalNamePerNameAndJurisdiction(Sentence, MulticolumnMapExpectation):
    """column_list: the notice's jurisdiction, the name as written, its canonical name. One name
    written in one jurisdiction has one canonical name, in these rows and in every other notice
    (`elsewhere`: the [jurisdiction, name] pairs that other notices give another canonical name)."""

    sentence: ClassVar[str] = "a name written in one jurisdiction has one canonical name, across every notice ($column_list)"
    map_metric: ClassVar[str] = "multicolumn_values.one_canonical_name"
    success_keys: ClassVar[tuple[str, ...]] = ("elsewhere", "mostly")
    elsewhere: list | dict = Field(default_factory=list)


class NamesInRegistry(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.in_registry"
    condition_value_keys = ("registry",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, registry: str = "", **kwargs: Any) -> pd.Series:
        reg = registry_at(Path(registry))  # the one the run loaded
        return pd.Series([reg.resolve(n, j) is not None for n, j in zip(_texts(column_A), _texts(column_B), strict=True)],
                         index=column_A.index, dtype=bool)


class ExpectDepartmentNamesToResolveInTheRegistry(PairExpectation):
    """column_A: the name as written; column_B: the notice's jurisdiction. The name resolves in
    the registry (`registry`: its folder, departments.csv and jurisdictions.csv) in that
    jurisdiction or one above it, as BI's canonical names do."""

    sentence: ClassVar[str] = "$column_A values resolve in the registry, in the notice's jurisdiction ($column_B) or one above it"
    map_metric: ClassVar[str] = "column_pair_values.in_registry"
    success_keys: ClassVar[tuple[str, ...]] = ("registry", "ignore_row_if", "mostly")
    registry: str | dict = ""


# --- numbering -------------------------------------------------------------------------------

@cache
def label_number(label: object) -> float:
    """The number a printed label says; the last one for a sub-number (2.1 → 1); NaN for none."""
    found = wording().numbering.in_label.findall(label) if isinstance(label, str) else []
    if not found:
        return float("nan")
    n = cn_to_int(found[-1])
    return float(n) if n is not None else float("nan")


def _in_reading_order(df: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    """The columns under names of their meaning, in reading order (notice, part, measure_no)."""
    return df.set_axis(list(names), axis=1).sort_values(["notice", "part", "no"], kind="stable")


class StepsInParent(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.step_by_one_in_parent"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        df = _in_reading_order(column_list, ("notice", "part", "no", "path", "label"))
        value = df["label"].map(label_number)
        parent = _texts(df["path"]).map(lambda p: p.rsplit("/", 1)[0] if "/" in p else "")
        step = value.groupby([df["notice"], df["part"], parent], sort=False).diff()
        return (step.isna() | (step == 1)).reindex(column_list.index)


class ExpectMeasureNumbersToStepByOneWithinTheirParent(Sentence, MulticolumnMapExpectation):
    """column_list: notice, part, measure_no, measure_path, measure_label. Under each parent of
    the outline (the measure_path above the measure) the numbers printed in the labels run 1, 2,
    3 … in reading order, with no gap or repeat; they may restart under a new parent. A label
    without a number is not counted."""

    sentence: ClassVar[str] = ("measure numbers step by one within their parent: 1, 2, 3 … under each parent of the outline, "
                               "restarting under a new one ($column_list)")
    map_metric: ClassVar[str] = "multicolumn_values.step_by_one_in_parent"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class SectionsInOrder(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.sections_in_order"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        df = _in_reading_order(column_list, ("notice", "part", "no", "section"))
        step = pd.to_numeric(df["section"], errors="coerce").groupby([df["notice"], df["part"]], sort=False).diff()
        return ~(step < 0).reindex(column_list.index)


class ExpectSectionsToComeInOrder(Sentence, MulticolumnMapExpectation):
    """column_list: notice, part, measure_no, section_no. In reading order a measure's section
    number is never below the one of the measure before it in the part (一、 before 二、; a
    section with no measures may be skipped)."""

    sentence: ClassVar[str] = "sections come in order within a part: a measure's section number is never below the one before it ($column_list)"
    map_metric: ClassVar[str] = "multicolumn_values.sections_in_order"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class PrintedNumberKept(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.printed_number_kept"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        df = _in_reading_order(column_list, ("notice", "part", "no", "label"))
        value = df["label"].map(label_number)

        def runs_on(labels: pd.Series) -> bool:  # printed in every label, increasing, never repeating
            return bool(labels.notna().all() and labels.is_monotonic_increasing and labels.is_unique)

        on = value.groupby([df["notice"], df["part"]], sort=False).transform(runs_on).astype(bool)
        return (~on | (value == pd.to_numeric(df["no"]))).reindex(column_list.index)


class ExpectMeasureNoToBeThePrintedNumber(Sentence, MulticolumnMapExpectation):
    """column_list: notice, part, measure_no, measure_label. Where the numbers printed in a part's
    labels run on through it (every label printed, increasing, none repeated), measure_no is the
    printed number (（十二） is 12)."""

    sentence: ClassVar[str] = "where printed numbers run on through a part, measure_no is the printed number ($column_list)"
    map_metric: ClassVar[str] = "multicolumn_values.printed_number_kept"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


# --- completion dates ------------------------------------------------------------------------

class MonthsExist(ColumnMapMetricProvider):
    condition_metric_name = "column_values.months_exist"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        month = wording().deadlines.month_with_year
        return column.map(lambda s: all(1 <= int(m) <= 12 for m in month.findall(_text(s))))


class ExpectDeadlinesToNameExistingMonths(Sentence, ColumnMapExpectation):
    """A deadline as written that names a year and a month (2026年5月) names a month that exists:
    1 to 12 (2026年13月 does not)."""

    sentence: ClassVar[str] = "every month a deadline names with its year exists: $column names months 1 to 12"
    map_metric: ClassVar[str] = "column_values.months_exist"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class OngoingWorded(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.ongoing_worded"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs: Any) -> pd.Series:
        words = tuple(wording().deadlines.ongoing)
        raw = _texts(column_B).str.replace(r"\s+", "", regex=True)
        return (_texts(column_A) != "ongoing") | raw.map(lambda s: any(w in s for w in words))


class ExpectOngoingDeadlinesToBeWordedAsOngoing(PairExpectation):
    """column_A: the deadline's kind; column_B: the deadline as written. A deadline is 'ongoing'
    only where its wording holds one of the words for it in wording/deadlines.toml (持续推进,
    长期坚持 …)."""

    sentence: ClassVar[str] = "$column_A is 'ongoing' only where $column_B holds a word for it ($words …)"
    map_metric: ClassVar[str] = "column_pair_values.ongoing_worded"

    @classmethod
    def examples(cls) -> dict[str, str]:
        return {"words": ", ".join(wording().deadlines.ongoing[:2])}


class DueWithinDays(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.due_within_days"
    condition_value_keys = ("max_days",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, max_days: int = 3653, **kwargs: Any) -> pd.Series:
        days = (pd.to_datetime(column_B, errors="coerce") - pd.to_datetime(column_A, errors="coerce")).dt.days
        return days.isna() | ((days >= 0) & (days <= max_days))


class ExpectDueDatesToFallWithinDaysOfTheNotice(PairExpectation):
    """column_A: the notice's date; column_B: the measure's due date. The due date is on or after
    the notice's date and at most `max_days` days after it (3653: ten years)."""

    sentence: ClassVar[str] = "$column_B is on or after $column_A and at most $max_days days after it"
    map_metric: ClassVar[str] = "column_pair_values.due_within_days"
    success_keys: ClassVar[tuple[str, ...]] = ("max_days", "ignore_row_if", "mostly")
    max_days: int = 3653


# --- completeness ----------------------------------------------------------------------------

def _names_owner(roles: object) -> bool:
    return any(r in OWNER_ROLES for r in _text(roles).split(","))


class NamesOwner(ColumnMapMetricProvider):
    condition_metric_name = "column_values.names_owner"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return column.map(_names_owner).astype(bool)


class ExpectMeasuresToNameALeadOrResponsibleDepartment(Sentence, ColumnMapExpectation):
    """The column holds the roles of the measure's department pairs (measure_departments.role,
    joined by measure, comma-separated); one of them is lead or responsible."""

    sentence: ClassVar[str] = "every measure names a lead or responsible department (the roles of its pairs, $column)"
    map_metric: ClassVar[str] = "column_values.names_owner"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class TableMeasuresNameOwner(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.table_measure_names_owner"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs: Any) -> pd.Series:
        return (_texts(column_A) != "table") | column_B.map(_names_owner).astype(bool)


class ExpectTableMeasuresToNameALeadOrResponsibleDepartment(PairExpectation):
    """column_A: the measure's origin; column_B: the roles of its department pairs. Every measure
    read from a responsibility table (origin 'table') names a lead or responsible department."""

    sentence: ClassVar[str] = "every measure of a responsibility table ($column_A 'table') names a lead or responsible department ($column_B)"
    map_metric: ClassVar[str] = "column_pair_values.table_measure_names_owner"


# --- notices ---------------------------------------------------------------------------------

class AssignsWithMeasures(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.assigns_with_measures"

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs: Any) -> pd.Series:
        return (pd.to_numeric(column_A).fillna(0) == 0) | (pd.to_numeric(column_B).fillna(0) > 0)


class ExpectNoticesThatAssignWorkToHaveMeasures(PairExpectation):
    """column_A: the role words (责任单位, 牵头, 负责 …) found in the notice's text; column_B: its
    measures. A notice whose text assigns work has measures: none means its layout was not read."""

    sentence: ClassVar[str] = "every notice that assigns work has measures: where $column_A is above 0, $column_B is too"
    map_metric: ClassVar[str] = "column_pair_values.assigns_with_measures"


class UniqueAcrossNotices(ColumnMapMetricProvider):
    condition_metric_name = "column_values.unique_across_notices"
    condition_value_keys = ("elsewhere",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, elsewhere: list | None = None, **kwargs: Any) -> pd.Series:
        text = _texts(column)
        return ~(text.duplicated(keep=False) | text.isin(set(elsewhere or [])))


class ExpectColumnValuesToBeUniqueAcrossNotices(Sentence, ColumnMapExpectation):
    """No two rows hold the same value, nor does a row hold one of `elsewhere`: the values more
    than one notice holds among every notice of the run (the rows checked in one go are some of them)."""

    sentence: ClassVar[str] = "$column values are held by one notice only, across every notice of the run"
    map_metric: ClassVar[str] = "column_values.unique_across_notices"
    success_keys: ClassVar[tuple[str, ...]] = ("elsewhere", "mostly")
    elsewhere: list | dict = Field(default_factory=list)


class CompoundUniqueAcrossNotices(MulticolumnMapMetricProvider):
    condition_metric_name = "multicolumn_values.unique_across_notices"
    condition_value_keys = ("elsewhere",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, elsewhere: list | None = None, **kwargs: Any) -> pd.Series:
        keys = pd.Series([tuple(_text(v) for v in row) for row in column_list.itertuples(index=False)], index=column_list.index)
        compared = keys.map(lambda k: bool(k[0]))  # a row without its first value (no title) is no copy of another
        repeated = keys.duplicated(keep=False) & compared
        return ~(repeated | (compared & keys.isin({tuple(k) for k in elsewhere or []})))


class ExpectCompoundColumnsToBeUniqueAcrossNotices(Sentence, MulticolumnMapExpectation):
    """No two rows hold the same values in column_list, nor does a row hold one of `elsewhere` (the
    combinations more than one notice holds among every notice of the run); a row whose first
    column is empty is not compared."""

    sentence: ClassVar[str] = "($column_list) is held by one notice only, across every notice of the run"
    map_metric: ClassVar[str] = "multicolumn_values.unique_across_notices"
    success_keys: ClassVar[tuple[str, ...]] = ("elsewhere", "mostly")
    elsewhere: list | dict = Field(default_factory=list)


def readable_title(title: str) -> bool:
    """A title in readable Chinese: mostly CJK characters, none of the marks a wrong encoding leaves."""
    t = re.sub(r"\s+", "", title or "")
    if not t:
        return True  # no title found is a structure matter, not an encoding one
    return not wording().structure.mojibake.search(t) and len(TITLE_CJK.findall(t)) >= 0.5 * len(t)


class ReadableChinese(ColumnMapMetricProvider):
    condition_metric_name = "column_values.readable_chinese"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return column.map(lambda v: readable_title(_text(v))).astype(bool)


class ExpectTitlesToBeReadableChinese(Sentence, ColumnMapExpectation):
    """At least half of the title's characters are Chinese, and it holds none of the marks a wrong
    encoding leaves (U+FFFD, Latin-1 letters, box drawing, 锟斤拷, 烫烫)."""

    sentence: ClassVar[str] = "$column values are readable Chinese, not the marks a wrong encoding leaves"
    map_metric: ClassVar[str] = "column_values.readable_chinese"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class PairsCoverMeasures(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.pairs_cover_measures"
    condition_value_keys = ("min_measures", "min_ratio")

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, min_measures: int = 5, min_ratio: float = 0.5, **kwargs: Any) -> pd.Series:
        measures, pairs = pd.to_numeric(column_A), pd.to_numeric(column_B)
        return (measures < min_measures) | (pairs >= min_ratio * measures)


class ExpectNoticesToHavePairsForTheirMeasures(PairExpectation):
    """column_A: the notice's measures; column_B: its department pairs. A notice with `min_measures`
    or more measures has at least `min_ratio` pairs per measure: far fewer means a layout read badly."""

    sentence: ClassVar[str] = "where $column_A is $min_measures or more, $column_B is at least $min_ratio times $column_A"
    map_metric: ClassVar[str] = "column_pair_values.pairs_cover_measures"
    success_keys: ClassVar[tuple[str, ...]] = ("min_measures", "min_ratio", "ignore_row_if", "mostly")
    min_measures: int = 5
    min_ratio: float = 0.5
