"""Validate stage: Great Expectations suites (expectations/*.json) gate publishing, notice by notice.

    validate(tables, notices, registry, expectations_dir, report_dir) -> Validation

Each suite names the frame it checks (`meta.frame`: measures, pairs or notices). The frames are
the candidate tables plus derived columns that make each rule a plain column expectation
(step_in_parent: the step from the previous printed number under the same outline parent;
label_agrees: where printed numbers run on, measure_no is the printed number …). Every
expectation declares its GX severity: `critical` holds back the notices whose rows fail it,
`warning` is reported. Failing rows are traced back to file, page or paragraph and the raw
text they came from.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import Finding
from ..model.interim import VALUE_OF
from ..model.tables import NoticeRecord
from ..normalize.registry import Registry
from ..numerals import cn_to_int
from ..wording import wording

log = logging.getLogger("pipeline.validate")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

# Great Expectations imports scipy (for statistical expectations these suites do not use) and
# altair (for charts in renderers) when it is imported: 1.2 s of a small run's CPU. Loaded lazily
# (the standard library's LazyLoader), they run only if an expectation or a renderer touches them.
LAZY_PACKAGES = ("scipy", "altair")


class _LazyFinder:
    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        if name.partition(".")[0] not in LAZY_PACKAGES:
            return None
        sys.meta_path.remove(cls)  # the real spec, found by the other finders
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, cls)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


if not any(m.partition(".")[0] in LAZY_PACKAGES for m in sys.modules) and _LazyFinder not in sys.meta_path:
    sys.meta_path.insert(0, _LazyFinder)

ALLOWED_DUE_KINDS = ["month", "quarter", "half", "year", "ongoing", "none"]
MONTH_IN_RAW = re.compile(r"\d{4}\s*年\s*(\d{1,2})\s*月")
LABEL_NUMBER = re.compile(r"[0-9]+|[一二三四五六七八九十百]+")
# Columns every unexpected row is reported with, so an auditor can find it in the source.
TRACE = ["notice_id", "part", "measure_no", "source_file", "source_ref", "raw_text"]


class SuiteError(Exception):
    """A suite file that cannot be loaded as written (unknown expectation, bad JSON …)."""


@dataclass
class ExpectationResult:
    suite: str
    expectation: str
    column: str
    description: str
    severity: str  # critical | warning | info
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_percent: float = 0.0
    observed: str = ""
    unexpected_rows: list[dict] = field(default_factory=list)  # the first 200, traced to their source
    failing_notices: list[str] = field(default_factory=list)  # every notice with a failing row
    rows_not_kept: int = 0  # failing rows beyond unexpected_rows (streamed to failures.parquet)


@dataclass
class Validation:
    passed: bool  # no blocking check failed for any notice
    held_back: dict[str, list[str]] = field(default_factory=dict)  # notice → the blocking rules its rows fail
    run_blocked: list[str] = field(default_factory=list)  # blocking failures that belong to no notice (suites, registry)
    results: list[ExpectationResult] = field(default_factory=list)
    blocking_failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)  # every failing row: rule, severity, notice, where, value, raw text
    suites: list[str] = field(default_factory=list)
    data_docs: str = ""

    def to_dict(self) -> dict:
        """For the JSON report: the first rows of each result (failures.parquet has them all)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("findings", "failures", "results")}
        d["results"] = [{**{f.name: getattr(r, f.name) for f in fields(r) if f.name not in ("unexpected_rows", "rows_not_kept")},
                         "unexpected_rows": r.unexpected_rows[:ROW_LIMIT],
                         "rows_not_listed": max(len(r.unexpected_rows) - ROW_LIMIT, 0) + r.rows_not_kept}
                        for r in self.results]
        return json.loads(json.dumps(d, default=str))  # a copy: the report may change it


# --- what checks of one notice need to know of the others ------------------------------------

@dataclass
class CrossFacts:
    """The facts across notices the per-notice checks read (copies of a file or a title, names
    given more than one canonical form), computed from compact rows, never from every pair."""

    sha256_copies: dict[str, int]
    title_copies: dict[str, int]
    canonical_variants: dict[tuple[str, str], int]  # (jurisdiction, name as written) -> canonical forms

    @classmethod
    def of(cls, records: Iterable[NoticeRecord], names: Iterable[tuple[str, str, str]]) -> CrossFacts:
        """`names`: (jurisdiction, department, canonical) as found in the notices' pairs."""
        records = list(records)
        by_sha = Counter(r.sha256 for r in records)
        by_title = Counter(_title_key(r) for r in records if r.title)
        variants: dict[tuple[str, str], set[str]] = {}
        for jur, dept, canon in names:
            variants.setdefault((jur or "", dept), set()).add(canon)
        return cls({r.notice_id: by_sha[r.sha256] for r in records},
                   {r.notice_id: by_title[_title_key(r)] if r.title else 1 for r in records},
                   {k: len(v) for k, v in variants.items()})

    def of_notice(self, notice_id: str, jurisdiction: str, departments: Iterable[str]) -> list:
        """What of these facts a notice's checks read: part of the key its cached results keep."""
        return [self.sha256_copies.get(notice_id, 1), self.title_copies.get(notice_id, 1),
                sorted((d, self.canonical_variants.get((jurisdiction, d), 1)) for d in set(departments))]


def _title_key(r: NoticeRecord) -> tuple:
    return (r.title or "", r.issuer or "", r.issued_on or "")


def names_in(pairs: pa.Table, records: list[NoticeRecord]) -> set[tuple[str, str, str]]:
    """(jurisdiction, department, canonical) of every pair of whole tables."""
    jur = {r.notice_id: r.jurisdiction or "" for r in records}
    cols = (pairs.column(c).to_pylist() for c in ("notice_id", "department", "department_canonical"))
    return {(jur.get(n, ""), d, c) for n, d, c in zip(*cols, strict=True)}


# --- frames ----------------------------------------------------------------------------------

def _label_no(label: str | None) -> float:
    """The number a printed label says; the last one for a sub-number (2.1 → 1); NaN for none."""
    found = LABEL_NUMBER.findall(label) if isinstance(label, str) else []
    if not found:
        return float("nan")
    n = cn_to_int(found[-1])
    return float(n) if n is not None else float("nan")


def _runs_on(labels: pd.Series) -> bool:
    """Printed numbers that run on through a part: all printed, increasing, never repeating."""
    return bool(labels.notna().all() and labels.is_monotonic_increasing and labels.is_unique)


def measures_frame(measures: pa.Table, pairs: pa.Table, notices: list[NoticeRecord]) -> pd.DataFrame:
    df = measures.to_pandas()
    if df.empty:
        return df.assign(row_id=pd.Series(dtype="int64"))
    df = df.sort_values(["notice_id", "part", "measure_no"], kind="stable").reset_index(drop=True)
    df["row_id"] = range(len(df))
    # Numbering is checked within each parent of the outline (the measure_path above the
    # measure): numbers may restart under a new parent, not skip or repeat inside one.
    df["label_value"] = df["measure_label"].map(_label_no)
    df["parent_path"] = df["measure_path"].fillna("").map(lambda p: p.rsplit("/", 1)[0] if "/" in p else "")
    step = df.groupby(["notice_id", "part", "parent_path"], sort=False)["label_value"].diff()
    df["step_in_parent"] = step.where(step.notna(), 1).astype("int64")
    sec = df["section_no"].astype("Float64")
    sstep = df.groupby(["notice_id", "part"], sort=False)["section_no"].diff().astype("Float64")
    df["section_step"] = sstep.where(sstep.notna() | sec.isna(), 1).fillna(1).astype("int64")
    # Where the printed numbers run on through the part, measure_no is the printed number.
    runs_on = df.groupby(["notice_id", "part"], sort=False)["label_value"].transform(_runs_on).astype(bool)
    df["label_agrees"] = ~runs_on | (df["label_value"] == df["measure_no"])
    months = df["due_raw"].fillna("").map(lambda s: MONTH_IN_RAW.findall(s))
    df["due_month_ok"] = months.map(lambda ms: all(1 <= int(m) <= 12 for m in ms))
    issued = {n.notice_id: n.issued_on for n in notices}
    iss = pd.to_datetime(df["notice_id"].map(issued), errors="coerce")
    due = pd.to_datetime(df["due_date"], errors="coerce")
    days = (due - iss).dt.days
    df["due_within_horizon"] = days.isna() | ((days >= 0) & (days <= 3653))
    # 'ongoing' only where the deadline as written holds one of the words for it
    ongoing_words = "|".join(map(re.escape, wording().deadlines.ongoing))
    raw = df["due_raw"].fillna("").str.replace(r"\s+", "", regex=True)
    df["ongoing_from_words"] = (df["due_kind"] != "ongoing") | raw.str.contains(ongoing_words, regex=True)
    owners = {(n, p, m) for n, p, m, role in zip(*(pairs.column(c).to_pylist() for c in ("notice_id", "part", "measure_no", "role")), strict=True)
              if role in ("lead", "responsible")}
    df["has_owner"] = [k in owners for k in zip(df["notice_id"], df["part"], df["measure_no"], strict=True)]
    df["table_measure_has_owner"] = (df["origin"] != "table") | df["has_owner"]
    df["raw_text"] = df["text"].str.slice(0, 300)
    return df


def _placeholder_words() -> tuple[str, ...]:
    d = wording().departments
    return (*d.plural_prefixes, *d.vague_words, *d.member_endings, *d.bare, *d.group_role_endings, *d.class_prefixes, *d.role_endings,
            *d.activity_endings)


def pairs_frame(pairs: pa.Table, measures: pa.Table, notices: list[NoticeRecord], registry: Registry, cross: CrossFacts) -> pd.DataFrame:
    df = pairs.to_pandas()
    if df.empty:
        return df.assign(row_id=pd.Series(dtype="int64"))
    df["row_id"] = range(len(df))
    keys = set(zip(*(measures.column(c).to_pylist() for c in ("notice_id", "part", "measure_no")), strict=True))
    df["measure_exists"] = [k in keys for k in zip(df["notice_id"], df["part"], df["measure_no"], strict=True)]
    # Collective flags against the placeholder words, not the normalizer's own decision: a
    # collective names (or was written with) a placeholder word; a name for 'each' is collective.
    words = _placeholder_words()
    raw = df["department_raw"].fillna("")
    has_word = [any(w in n or w in r for w in words) for n, r in zip(df["department"], raw, strict=True)]
    plural = df["department"].str.startswith(tuple(wording().departments.plural_prefixes))
    df["collective_ok"] = (df["is_collective"] & pd.Series(has_word, index=df.index)) | (~df["is_collective"] & ~plural)
    jur = {n.notice_id: n.jurisdiction for n in notices}
    df["jurisdiction"] = df["notice_id"].map(jur).fillna("")
    df["canonical_variants"] = [cross.canonical_variants.get(k, 1) for k in zip(df["jurisdiction"], df["department"], strict=True)]
    df["raw_text"] = df["department_raw"]
    return df


TITLE_CJK = re.compile(r"[\u4e00-\u9fff]")
MOJIBAKE = re.compile(r"[\ufffd\u0080-\u00ff\u2500-\u257f]|锟斤拷|烫烫")


def readable_title(title: str) -> bool:
    """A title in readable Chinese: mostly CJK characters, none of the marks a wrong encoding leaves."""
    t = re.sub(r"\s+", "", title or "")
    if not t:
        return True  # no title found is a structure matter, not an encoding one
    return not MOJIBAKE.search(t) and len(TITLE_CJK.findall(t)) >= 0.5 * len(t)


def notices_frame(notices_table: pa.Table, records: list[NoticeRecord], cross: CrossFacts) -> pd.DataFrame:
    """One row per notice, with what the notices suite checks of it as a whole."""
    df = notices_table.to_pandas()
    if df.empty:
        return df.assign(row_id=pd.Series(dtype="int64"))
    df["row_id"] = range(len(df))
    role_words = {r.notice_id: r.role_words for r in records}
    df["role_words"] = df["notice_id"].map(role_words).fillna(0).astype("int64")
    df["measures_where_role_words"] = (df["role_words"] == 0) | (df["n_measures"] > 0)
    df["sha256_copies"] = df["notice_id"].map(cross.sha256_copies).fillna(1).astype("int64")
    df["same_title_copies"] = df["notice_id"].map(cross.title_copies).fillna(1).astype("int64")
    df["title_readable"] = df["title"].fillna("").map(readable_title)
    # far fewer pairs than measures: most measures name no body (a layout not read)
    df["pairs_cover_measures"] = (df["n_measures"] < 5) | (df["n_pairs"] >= 0.5 * df["n_measures"])
    df["source_file_copy"] = df["source_file"]
    df["source_ref"] = ""
    df["raw_text"] = df["title"]
    df["part"] = 0
    df["measure_no"] = 0
    return df


# --- suites ----------------------------------------------------------------------------------

@dataclass
class Suite:
    name: str
    frame: str
    path: Path
    expectations: list  # GX Expectation objects
    declared: int


def load_suites(folder: Path, build: bool = True) -> list[Suite]:
    """Every expectations/*.json suite, each expectation built one by one so that one GX
    does not know is an error here, not silently dropped. `build=False`: the suites' names and
    frames only, without importing GX (a run with no notice to check)."""
    if build:
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        from . import gx_custom  # noqa: F401 - registers the custom expectation

    suites = []
    for path in sorted(folder.glob("*.json")):
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path.name}: not valid JSON: {exc}") from exc
        frame = spec.get("meta", {}).get("frame")
        if frame not in ("measures", "pairs", "notices"):
            raise SuiteError(f"{path.name}: meta.frame must be 'measures', 'pairs' or 'notices', not {frame!r}")
        built = []
        for i, e in enumerate(spec.get("expectations", []) if build else []):
            try:
                cfg = ExpectationConfiguration(type=e["type"], kwargs=e.get("kwargs", {}), meta=e.get("meta", {}),
                                               severity=e.get("severity", "critical"))
                built.append(cfg.to_domain_obj())
            except Exception as exc:
                raise SuiteError(f"{path.name}: expectation {i} ({e.get('type')}) cannot be loaded: {exc}") from exc
        suites.append(Suite(spec.get("name", path.stem), frame, path, built, len(spec.get("expectations", []))))
    if not suites:
        raise SuiteError(f"no suites found in {folder}")
    return suites


def _context(data_docs: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults, ProgressBarsConfig

    # In memory, offline, no analytics, and no temporary docs site left behind in /tmp.
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False), analytics_enabled=False)
    ctx = gx.get_context(project_config=config, mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if data_docs is not None:
        ctx.add_data_docs_site(site_name="report", site_config={
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(data_docs)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    return ctx


ROW_LIMIT = 200  # failing rows kept per expectation in the JSON report (all of them go to failures.parquet)


def _trace_rows(frame: pd.DataFrame, row_ids: list, limit: int | None = ROW_LIMIT) -> list[dict]:
    wanted = pd.Index(row_ids[:limit] if limit else row_ids)
    rows = frame[frame["row_id"].isin(wanted)]  # row_id is the frame's position: kept in order
    cols = [c for c in TRACE if c in rows.columns] + [c for c in ("department", "due_raw", "measure_label", "title") if c in rows.columns]
    out = rows[cols].astype(object).where(rows[cols].notna(), None).to_dict("records")
    for d, rid in zip(out, rows["row_id"].tolist(), strict=True):
        for k, v in d.items():
            if hasattr(v, "item"):  # numpy scalars as Python values
                d[k] = v.item()
        d["row_id"] = int(rid)
    return out


class Checker:
    """The suites as GX checkpoints in one ephemeral context, run on as many frames as a run
    needs (the notices to check, a chunk at a time); Data Docs built once at the end."""

    def __init__(self, suites: list[Suite], data_docs: Path | None, run_id: str | None = None) -> None:
        import great_expectations as gx

        self.suites, self.data_docs, self.run_id, self.runs = suites, data_docs, run_id, 0
        self.ctx = _context(data_docs)
        source = self.ctx.data_sources.add_pandas("pipeline")
        self.checkpoints = {}
        for frame_name in ("measures", "pairs", "notices"):
            mine = [s for s in suites if s.frame == frame_name]
            if not mine:
                continue
            batch = source.add_dataframe_asset(frame_name).add_batch_definition_whole_dataframe(f"{frame_name}_all")
            vdefs = []
            for s in mine:
                suite = self.ctx.suites.add(gx.ExpectationSuite(name=s.name))
                for e in s.expectations:
                    suite.add_expectation(e)
                if len(suite.expectations) != s.declared:
                    raise SuiteError(f"{s.path.name}: {s.declared} expectations declared, {len(suite.expectations)} loaded")
                vdefs.append(self.ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{s.name}_on_{frame_name}", data=batch, suite=suite)))
            self.checkpoints[frame_name] = (mine, self.ctx.checkpoints.add(gx.Checkpoint(
                name=f"gate_{frame_name}", validation_definitions=vdefs, actions=[],
                # every failing row's id, without its values (the rows are traced from the frame):
                # values for every row made GX's results, and their serialisation, grow with failures
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["row_id"], "exclude_unexpected_values": True,
                               "return_unexpected_index_query": False, "partial_unexpected_count": 20},
            )))

    def check(self, frames: dict[str, pd.DataFrame], on_step: Callable[[str], None] | None = None) -> list[ExpectationResult]:
        from great_expectations.core.run_identifier import RunIdentifier

        results: list[ExpectationResult] = []
        for frame_name, (mine, checkpoint) in self.checkpoints.items():
            frame = frames[frame_name]
            if frame.empty:
                if on_step:
                    on_step(f"{frame_name}: no rows")
                continue
            self.runs += 1
            # named after the pipeline's run, so Data Docs and the report speak of the same run
            run_id = RunIdentifier(run_name=self.run_id if self.runs <= len(self.checkpoints) else f"{self.run_id}.{self.runs}") if self.run_id else None
            outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
            by_row = frame.set_index("row_id")
            for vr in outcome.run_results.values():
                for r in vr.results:
                    results.append(_result(vr.suite_name, r, frame, by_row))
            if on_step:
                failed = sum(not r.success for r in results if r.suite in {s.name for s in mine})
                on_step(f"{frame_name}: {', '.join(s.name for s in mine)}" + (f" ({failed} failed)" if failed else ""))
        return results

    def finish(self) -> None:
        if self.data_docs is not None and self.runs:
            self.ctx.build_data_docs(site_names=["report"])  # once per run, over every suite's results


def _result(suite_name: str, r, frame: pd.DataFrame, by_row: pd.DataFrame) -> ExpectationResult:
    cfg = r.expectation_config
    res = r.result or {}
    idx = res.get("unexpected_index_list") or []
    if len(idx) == 1 and isinstance(idx[0], dict) and isinstance(idx[0].get("row_id"), list):
        row_ids = idx[0]["row_id"]  # exclude_unexpected_values: one list of ids
    else:
        row_ids = [i["row_id"] if isinstance(i, dict) else i for i in idx]
    kwargs = cfg.kwargs
    column = kwargs.get("column") or ",".join(kwargs.get("column_list", []) or [kwargs.get("column_A", ""), kwargs.get("column_B", "")])
    observed = res.get("observed_value")
    return ExpectationResult(
        suite=suite_name, expectation=cfg.type, column=column,
        description=(cfg.meta or {}).get("description", ""), severity=str(getattr(cfg.severity, "value", cfg.severity) or "critical"),
        success=bool(r.success), element_count=int(res.get("element_count") or 0),
        unexpected_count=int(res.get("unexpected_count") or 0),
        unexpected_percent=float(res.get("unexpected_percent") or 0.0),
        observed="" if observed is None else str(observed)[:200],
        unexpected_rows=_trace_rows(frame, row_ids, None) if not r.success else [],
        failing_notices=sorted(set(by_row.loc[[i for i in row_ids if i in by_row.index], "notice_id"]))
        if not r.success and "notice_id" in frame.columns else [],
    )


def run_suites(frames: dict[str, pd.DataFrame], suites: list[Suite], data_docs: Path | None, run_id: str | None = None,
               on_step: Callable[[str], None] | None = None) -> list[ExpectationResult]:
    checker = Checker(suites, data_docs, run_id)
    results = checker.check(frames, on_step)
    checker.finish()
    return results


def frames_of(tables: dict[str, pa.Table], notices: list[NoticeRecord], registry: Registry, cross: CrossFacts) -> dict[str, pd.DataFrame]:
    return {
        "measures": measures_frame(tables["measures"], tables["measure_departments"], notices),
        "pairs": pairs_frame(tables["measure_departments"], tables["measures"], notices, registry, cross),
        "notices": notices_frame(tables["notices"], notices, cross),
    }


def validate(tables: dict[str, pa.Table], notices: list[NoticeRecord], registry: Registry, expectations: Path,
             report_dir: Path | None = None, run_id: str | None = None, on_step: Callable[[str], None] | None = None) -> Validation:
    """Whole tables through the suites at once (the run checks notice by notice: see check_notices)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    cross = CrossFacts.of(notices, names_in(tables["measure_departments"], notices))
    try:
        suites = load_suites(expectations)
        results = run_suites(frames_of(tables, notices, registry, cross), suites,
                             (report_dir / "data_docs").resolve() if report_dir else None, run_id, on_step)
    except SuiteError as exc:
        return suite_failure(exc)
    return verdict(results, suites, registry, report_dir)


def suite_failure(exc: SuiteError) -> Validation:
    log.error("%s", exc)
    return Validation(False, blocking_failed=[f"suites: {exc}"], run_blocked=[f"suites: {exc}"],
                      findings=[Finding("", "validate", "error", "suite-invalid", str(exc))])


# --- notice by notice ------------------------------------------------------------------------

def split_by_notice(results: list[ExpectationResult], frames: dict[str, pd.DataFrame], suites: list[Suite],
                    notice_ids: Iterable[str]) -> dict[str, list[dict]]:
    """A chunk's results cut per notice: what each notice's rows gave each expectation."""
    frame_of = {s.name: s.frame for s in suites}
    counts = {name: f["notice_id"].value_counts().to_dict() if not f.empty else {} for name, f in frames.items()}
    out: dict[str, list[dict]] = {nid: [] for nid in notice_ids}
    seen: Counter = Counter()
    for r in results:
        order = (r.suite, seen[r.suite])
        seen[r.suite] += 1
        rows: dict[str, list[dict]] = {}
        for row in r.unexpected_rows:
            rows.setdefault(row.get("notice_id") or "", []).append({k: v for k, v in row.items() if k != "row_id"})
        n = counts[frame_of[r.suite]]
        for nid, mine in out.items():
            bad = rows.get(nid, [])
            mine.append({"order": list(order), "suite": r.suite, "expectation": r.expectation, "column": r.column,
                         "description": r.description, "severity": r.severity, "elements": int(n.get(nid, 0)),
                         "unexpected": len(bad), "rows": bad})
    return out


def combine_results(per_notice: Iterable[tuple[str, list[dict]]], on_failure: Callable[[dict], None] | None = None
                    ) -> list[ExpectationResult]:
    """Every notice's results as one result per expectation, as if the whole tables were checked.
    With `on_failure`, every failing row goes to it and each result keeps only the first
    ROW_LIMIT rows (memory stays flat however many rows fail)."""
    merged: dict[tuple, ExpectationResult] = {}
    beyond: Counter = Counter()
    for nid, checks in per_notice:
        for c in checks:
            key = (c["order"][0], c["order"][1])
            r = merged.get(key)
            if r is None:
                r = merged[key] = ExpectationResult(c["suite"], c["expectation"], c["column"], c["description"], c["severity"], True)
            r.element_count += c["elements"]
            r.unexpected_count += c["unexpected"]
            if c["unexpected"]:
                r.success = False
                r.failing_notices.append(nid)
                if on_failure is None:
                    r.unexpected_rows.extend(c["rows"])
                    continue
                for row in c["rows"]:
                    on_failure(failure_row(r, row))
                room = ROW_LIMIT - len(r.unexpected_rows)
                r.unexpected_rows.extend(c["rows"][:max(room, 0)])
                beyond[key] += max(len(c["rows"]) - max(room, 0), 0)
    for key, r in merged.items():
        r.unexpected_percent = 100.0 * r.unexpected_count / r.element_count if r.element_count else 0.0
        r.failing_notices.sort()
        r.rows_not_kept = beyond[key]
    return [merged[k] for k in sorted(merged)]


def failure_row(r: ExpectationResult, row: dict) -> dict:
    """A failing row as failures.parquet lists it: the rule, where, the value and the raw text."""
    value_col = VALUE_OF.get(r.suite, "")
    return {"rule": f"{r.suite}.{r.expectation}({r.column})", "severity": r.severity, "notice_id": row.get("notice_id") or "",
            "source_file": row.get("source_file") or "", "source_ref": row.get("source_ref") or "",
            "value": str(row.get(value_col) if row.get(value_col) is not None else ""), "raw_text": str(row.get("raw_text") or "")[:300]}


def verdict(results: list[ExpectationResult], suites: list[Suite], registry: Registry, report_dir: Path | None,
            failures: bool = True) -> Validation:
    """The results as a verdict: which notices are held back by which rule, and the findings;
    `failures`: list every failing row (False when combine_results streamed them already)."""
    v = Validation(True, results=results, suites=[s.name for s in suites])
    if report_dir is not None and (report_dir / "data_docs" / "index.html").exists():
        v.data_docs = str(report_dir / "data_docs" / "index.html")
    for r in results:
        if r.success:
            continue
        label = f"{r.suite}.{r.expectation}({r.column})"
        if r.severity == "critical":
            v.passed = False
            v.blocking_failed.append(label)
            for nid in r.failing_notices:
                v.held_back.setdefault(nid, []).append(label)
        else:
            v.warnings.append(label)
        if failures:
            v.failures.extend(failure_row(r, row) for row in r.unexpected_rows)
        for row in r.unexpected_rows[:ROW_LIMIT]:
            v.findings.append(Finding(
                row.get("notice_id") or "", "validate", "error" if r.severity == "critical" else "warning", label,
                r.description or label, row.get("source_file") or "", row.get("source_ref") or "", str(row.get("raw_text") or "")[:300]))
    for c in registry.conflicts():
        v.findings.append(Finding("", "validate", "error", "registry-conflict",
                                  f"{c.surface!r} maps to {', '.join(c.canonicals)} in {c.jurisdiction or 'no jurisdiction'}"))
        v.passed = False
        v.blocking_failed.append(f"registry: {c.surface} has two canonical names")
        v.run_blocked.append(f"registry: {c.surface} has two canonical names")
    return v
