"""Validate stage: Great Expectations suites (expectations/*.json) gate publishing, notice by notice.

    validate(tables, notices, registry, expectations_dir, report_dir) -> Validation

Each suite names the frame it checks (`meta.frame`): measures, pairs (measure_departments) or
notices. A frame is its published table, plus the published columns of the tables beside it that
a rule reads, joined by key (a measure's notice date and the roles of its department pairs, a
pair's measure and its notice's jurisdiction), and the columns that trace a row to its file and
place. No column is computed to be checked: every rule is one
expectation, GX's own or one of gx_custom.py, whose logic lives in the expectation. Each
expectation's `meta` says its severity (`blocking` holds back the notices whose rows fail it,
`warning` is published and listed), why it exists, and how a failing row is counted in words.
Failing rows are traced back to file, page or paragraph and the raw text they came from.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd
import pyarrow as pa

from ..errors import Finding
from ..model.interim import VALUE_OF
from ..model.tables import NoticeRecord
from ..normalize.registry import Registry

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

MEASURE_KEY = ["notice_id", "part", "measure_no"]
# Columns every unexpected row is reported with, so an auditor can find it in the source.
TRACE = ["notice_id", "part", "measure_no", "source_file", "source_ref", "raw_text"]
SEVERITIES = {"blocking": "critical", "warning": "warning"}  # the suites' word → GX's severity
TABLE_OF = {"measures": "measures", "pairs": "measure_departments", "notices": "notices"}  # frame → the published table it checks
NOUNS = {"measures": ("measure", "measures"), "pairs": ("department name", "department names"), "notices": ("notice", "notices")}


class SuiteError(Exception):
    """A suite file that cannot be loaded as written (unknown expectation, bad JSON …)."""


@dataclass
class ExpectationResult:
    suite: str
    expectation: str
    column: str
    description: str  # the rule in words, as Data Docs show it
    severity: str  # critical | warning (GX's words for blocking | warning)
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_percent: float = 0.0
    observed: str = ""
    unexpected_rows: list[dict] = field(default_factory=list)  # the first 200, traced to their source
    failing_notices: list[str] = field(default_factory=list)  # every notice with a failing row
    rows_not_kept: int = 0  # failing rows beyond unexpected_rows (streamed to failures.parquet)
    why: str = ""  # meta.why: why the rule exists
    failing: str = ""  # meta.failing: what a failing row is, after its count ("12 measures <failing>")
    frame: str = ""  # measures | pairs | notices
    error: str = ""  # the expectation could not run (a column missing, a bug): it says nothing of the rows
    values: str = ""  # the value set of an in_set rule: two rules on one column are told apart by it

    @property
    def rule(self) -> str:
        """The rule's name in held-back lists, findings and failures.parquet."""
        return f"{self.suite}.{self.expectation}({self.column})" + (f"[{self.values}]" if self.values else "")

    @property
    def said(self) -> str:
        """The failure in words, with its count: `12 measures that name no … (warning: completeness)`."""
        if self.error:
            return f"{self.rule} could not run: {self.error}"
        one, many = NOUNS.get(self.frame, ("row", "rows"))
        kind = "blocking" if self.severity == "critical" else self.severity
        return f"{self.unexpected_count} {one if self.unexpected_count == 1 else many} {self.failing or 'failing ' + self.rule} ({kind}: {self.suite})"


@dataclass
class Validation:
    passed: bool  # no blocking check failed for any notice
    held_back: dict[str, list[str]] = field(default_factory=dict)  # notice → the blocking rules its rows fail
    run_blocked: list[str] = field(default_factory=list)  # blocking failures that belong to no notice (suites, registry)
    results: list[ExpectationResult] = field(default_factory=list)
    blocking_failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)  # the warnings in words, with their counts
    findings: list[Finding] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)  # every failing row: rule, severity, notice, where, value, raw text
    suites: list[str] = field(default_factory=list)
    data_docs: str = ""

    def to_dict(self) -> dict:
        """For the JSON report: the first rows of each result (failures.parquet has them all)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("findings", "failures", "results")}
        d["results"] = [{**{f.name: getattr(r, f.name) for f in fields(r) if f.name not in ("unexpected_rows", "rows_not_kept")},
                         "rule": r.rule, "said": r.said, "unexpected_rows": r.unexpected_rows[:ROW_LIMIT],
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
    repeated_files: list[str] = field(default_factory=list)  # sha256 held by more than one notice
    repeated_titles: list[list[str]] = field(default_factory=list)  # [title, issuer, date] held by more than one notice

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
                   {k: len(v) for k, v in variants.items()},
                   sorted(s for s, n in by_sha.items() if n > 1), sorted(list(k) for k, n in by_title.items() if n > 1))

    def of_notice(self, notice_id: str, jurisdiction: str, departments: Iterable[str]) -> list:
        """What of these facts a notice's checks read: part of the key its cached results keep."""
        return [self.sha256_copies.get(notice_id, 1), self.title_copies.get(notice_id, 1),
                sorted((d, self.canonical_variants.get((jurisdiction, d), 1)) for d in set(departments))]

    def parameters(self, registry: Path | None) -> dict[str, Any]:
        """The suite parameters the expectations read ({"$PARAMETER": …} in the suite files)."""
        return {"files_read_twice": self.repeated_files, "notices_read_twice": self.repeated_titles,
                "names_with_two_canonical_names": sorted([j, d] for (j, d), n in self.canonical_variants.items() if n > 1),
                "registry": str(registry.resolve()) if registry else ""}


def _title_key(r: NoticeRecord) -> tuple:
    return (r.title or "", r.issuer or "", r.issued_on or "")


def names_in(pairs: pa.Table, records: list[NoticeRecord]) -> set[tuple[str, str, str]]:
    """(jurisdiction, department, canonical) of every pair of whole tables."""
    jur = {r.notice_id: r.jurisdiction or "" for r in records}
    cols = (pairs.column(c).to_pylist() for c in ("notice_id", "department", "department_canonical"))
    return {(jur.get(n, ""), d, c) for n, d, c in zip(*cols, strict=True)}


# --- frames: the published tables, the columns beside them a rule reads, the trace -----------

def _keys(table: pa.Table) -> Iterable[tuple]:
    return zip(*(table.column(c).to_pylist() for c in MEASURE_KEY), strict=True)


def measures_frame(measures: pa.Table, pairs: pa.Table, notices: pa.Table) -> pd.DataFrame:
    """measures, with each measure's notice date (notices.issued_on) and the roles of its department
    pairs (measure_departments.role, comma-separated)."""
    df = measures.to_pandas()
    if df.empty:
        return df.assign(row_id=pd.Series(dtype="int64"))
    df = df.sort_values(MEASURE_KEY, kind="stable").reset_index(drop=True)
    df["row_id"] = range(len(df))
    roles: dict[tuple, set[str]] = {}
    for key, role in zip(_keys(pairs), pairs.column("role").to_pylist(), strict=True):
        roles.setdefault(key, set()).add(role)
    df["department_roles"] = [",".join(sorted(roles.get(k, ()))) for k in zip(df["notice_id"], df["part"], df["measure_no"], strict=True)]
    issued = dict(zip(notices.column("notice_id").to_pylist(), notices.column("issued_on").to_pylist(), strict=True))
    df["issued_on"] = df["notice_id"].map(issued)
    df["raw_text"] = df["text"].str.slice(0, 300)
    return df


def pairs_frame(pairs: pa.Table, measures: pa.Table, notices: pa.Table) -> pd.DataFrame:
    """measure_departments, with the origin of the measure each pair names (null: no such measure)
    and the jurisdiction its notice's names were resolved in (notices.issuer_jurisdiction)."""
    df = pairs.to_pandas()
    if df.empty:
        return df.assign(row_id=pd.Series(dtype="int64"))
    df["row_id"] = range(len(df))
    origin = dict(zip(_keys(measures), measures.column("origin").to_pylist(), strict=True))
    df["measure_origin"] = [origin.get(k) for k in zip(df["notice_id"], df["part"], df["measure_no"], strict=True)]
    jur = dict(zip(notices.column("notice_id").to_pylist(), notices.column("issuer_jurisdiction").to_pylist(), strict=True))
    df["issuer_jurisdiction"] = df["notice_id"].map(jur).fillna("")
    df["raw_text"] = df["department_raw"]
    return df


def notices_frame(notices: pa.Table) -> pd.DataFrame:
    """notices, traced by its title."""
    df = notices.to_pandas()
    if df.empty:
        return df.assign(row_id=pd.Series(dtype="int64"))
    df["row_id"] = range(len(df))
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


def rule_sentence(config: Any) -> str:
    """An expectation as Data Docs say it, in plain text: GX's own sentence for its expectations,
    ours (gx_custom) for the pipeline's."""
    from great_expectations.expectations.registry import get_renderer_impl
    from great_expectations.render import LegacyRendererType

    impl = get_renderer_impl(object_name=config.type, renderer_type=LegacyRendererType.PRESCRIPTIVE)
    if impl is None:
        return config.type
    out = []
    for block in impl.renderer(configuration=config, runtime_configuration={"suite_parameters": {}}):  # parameters are named, not shown
        st = getattr(block, "string_template", None) or {}
        params = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in (st.get("params") or {}).items()}
        out.append(Template(st.get("template", "")).safe_substitute(params))
    return " ".join(" ".join(out).split())


def _expectation(path: Path, i: int, e: dict) -> Any:
    """One expectation of a suite file, built by GX, with its severity and reason from `meta`."""
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    meta = e.get("meta") or {}
    where = f"{path.name}: expectation {i} ({e.get('type')})"
    if meta.get("severity") not in SEVERITIES:
        raise SuiteError(f"{where}: meta.severity must be 'blocking' or 'warning', not {meta.get('severity')!r}")
    if not isinstance(meta.get("why"), str) or not meta["why"].strip():
        raise SuiteError(f"{where}: meta.why must say in one line why the rule exists")
    if "severity" in e:
        raise SuiteError(f"{where}: the severity is meta.severity (blocking or warning), not a key of its own")
    try:
        cfg = ExpectationConfiguration(type=e["type"], kwargs=e.get("kwargs", {}), meta=meta, severity=SEVERITIES[meta["severity"]])
        expectation = cfg.to_domain_obj()
        # Data Docs show the rule with its severity and reason beside every result
        expectation.description = f"{rule_sentence(cfg)} — {meta['severity']}: {meta['why']}"
    except Exception as exc:
        raise SuiteError(f"{where} cannot be loaded: {exc}") from exc
    return expectation


def load_suites(folder: Path, build: bool = True) -> list[Suite]:
    """Every expectations/*.json suite, each expectation built one by one so that one GX
    does not know is an error here, not silently dropped. `build=False`: the suites' names and
    frames only, without importing GX (a run with no notice to check)."""
    if build:
        from . import gx_custom  # noqa: F401 - registers the pipeline's expectations

    suites = []
    for path in sorted(folder.glob("*.json")):
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SuiteError(f"{path.name}: not valid JSON: {exc}") from exc
        frame = spec.get("meta", {}).get("frame")
        if frame not in TABLE_OF:
            raise SuiteError(f"{path.name}: meta.frame must be 'measures', 'pairs' or 'notices', not {frame!r}")
        built = [_expectation(path, i, e) for i, e in enumerate(spec.get("expectations", []))] if build else []
        suites.append(Suite(spec.get("name", path.stem), frame, path, built, len(spec.get("expectations", []))))
    if not suites:
        raise SuiteError(f"no suites found in {folder}")
    return suites


def checks_markdown(folder: Path) -> str:
    """The README's table of checks, from the suite files (tests/test_checks.py keeps them equal)."""
    out = ["| suite | rule | table | severity | why |", "|---|---|---|---|---|"]
    for s in load_suites(folder):
        for e in s.expectations:
            rule = e.description.rsplit(" — ", 1)[0]
            out.append(f"| {s.name} | {rule} | {TABLE_OF[s.frame]} | {e.meta['severity']} | {e.meta['why']} |")
    return "\n".join(out) + "\n"


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
DOCS_ROWS = 20  # failing rows Data Docs show per expectation, with file and place


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


def _row_ids(result: dict) -> list:
    idx = result.get("unexpected_index_list") or []
    if len(idx) == 1 and isinstance(idx[0], dict) and isinstance(idx[0].get("row_id"), list):
        return idx[0]["row_id"]  # exclude_unexpected_values: one list of ids
    return [i["row_id"] if isinstance(i, dict) else i for i in idx]


def _error(r: Any) -> str:
    """Why GX could not run an expectation ('' when it ran)."""
    info = r.exception_info or {}
    found = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for x in found:
        if x.get("raised_exception") or x.get("exception_message"):
            return str(x.get("exception_message") or "an exception")[:300]
    return ""


class Checker:
    """The suites as GX checkpoints in one ephemeral context, built once and run on as many frames
    as needed (a run's notices to check, a chunk at a time; in a cluster's worker, every chunk it is
    handed, run after run). `parameters`: the suite parameters (CrossFacts.parameters) of a check
    that names none; each check may name its own, so one context serves any run's facts across
    notices. render() writes the validation pages of the checks since the last render; finish()
    makes the whole site (run_suites, where one checker sees every check)."""

    def __init__(self, suites: list[Suite], data_docs: Path | None, run_id: str | None = None, parameters: dict | None = None) -> None:
        import great_expectations as gx

        self.suites, self.data_docs, self.run_id, self.runs = suites, data_docs, run_id, 0
        self.parameters = parameters or {}
        self.pages: list[dict] = []  # each validation Data Docs show: suite, run, status
        self.keys: list = []  # their keys in GX's store
        self.notices: set[str] = set()
        self.ctx = _context(data_docs)
        self.frame_of = {s.name: s.frame for s in suites}
        source = self.ctx.data_sources.add_pandas("pipeline")
        self.checkpoints = {}
        for frame_name in TABLE_OF:
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

    def check(self, frames: dict[str, pd.DataFrame], on_step: Callable[[str], None] | None = None, parameters: dict | None = None,
              run_name: str | None = None, run_time: datetime | None = None) -> list[ExpectationResult]:
        """The frames through the suites. `run_name`: what Data Docs call these validations (default:
        the run's id, then `<run>.<n>` for the n-th checkpoint run after the first check);
        `run_time`: when they ran, for GX's page paths (default: now)."""
        from great_expectations.core.run_identifier import RunIdentifier

        parameters = self.parameters if parameters is None else parameters
        results: list[ExpectationResult] = []
        for frame_name, (mine, checkpoint) in self.checkpoints.items():
            frame = frames[frame_name]
            if frame.empty:
                if on_step:
                    on_step(f"{frame_name}: no rows")
                continue
            self.runs += 1
            self.notices.update(frame["notice_id"].unique())
            # named after the pipeline's run, so Data Docs and the report speak of the same run
            name = run_name or (self.run_id if self.runs <= len(self.checkpoints) else f"{self.run_id}.{self.runs}")
            outcome = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters,
                                     run_id=RunIdentifier(run_name=name, run_time=run_time) if run_name or self.run_id else None)
            by_row = frame.set_index("row_id")
            for key, vr in outcome.run_results.items():
                mine_now = [_result(vr.suite_name, r, frame, by_row, frame_name) for r in vr.results]
                results += mine_now
                self._keep_for_docs(key, vr, mine_now, frame_name)
            if on_step:
                failed = sum(not r.success for r in results if r.suite in {s.name for s in mine})
                on_step(f"{frame_name}: {', '.join(s.name for s in mine)}" + (f" ({failed} failed)" if failed else ""))
        return results

    def _keep_for_docs(self, key: Any, vr: Any, results: list[ExpectationResult], frame_name: str) -> None:
        """What GX keeps of a validation with a failure, for Data Docs: the first failing rows with
        notice, file, place and raw text in place of every row's id (which also keeps memory flat),
        and no "Failed" for a suite whose failures are all warnings. Data Docs name the data asset
        after the table and run (make_offline)."""
        from .data_docs import page_of, status_of

        run_name = getattr(vr.meta.get("run_id"), "run_name", None) or self.run_id or ""
        status = status_of(results)
        self.keys.append(key)
        self.pages.append({"suite": vr.suite_name, "table": TABLE_OF[frame_name], "run": run_name, "status": status, "page": page_of(key),
                           "blocking": sum(not r.success and r.severity == "critical" for r in results),
                           "warnings": sum(not r.success and r.severity != "critical" for r in results)})
        if status == "passed":
            return  # GX keeps it as it is
        value_col = VALUE_OF.get(vr.suite_name, "")
        for r, mine in zip(vr.results, results, strict=True):
            if r.success or not r.result:
                continue
            rows = mine.unexpected_rows[:DOCS_ROWS]
            values = [str(x.get(value_col)) if x.get(value_col) is not None else "" for x in rows]
            r.result["unexpected_index_list"] = [{"value": v, "notice": x.get("notice_id") or "", "file": x.get("source_file") or "",
                                                  "place": x.get("source_ref") or "", "raw text": " ".join(str(x.get("raw_text") or "").split())[:120]}
                                                 for v, x in zip(values, rows, strict=True)]
            r.result["unexpected_index_column_names"] = ["notice", "file", "place", "raw text"]
            r.result["partial_unexpected_list"] = values
            r.result["partial_unexpected_counts"] = [{"value": v, "count": n} for v, n in Counter(values).most_common()]
        vr.success = status == "passed with warnings"  # GX's "Failed" only where a blocking rule failed or one could not run
        self.ctx.validation_results_store.set(key, vr)

    def render(self) -> tuple[list[dict], int]:
        """The validation pages of the checks since the last render, written into the Data Docs site
        by GX's renderer — without its static files and index, which make_offline writes once for
        the whole site (a cluster's workers render their chunks into one shared folder at once); the
        pages' entries for the index (see _keep_for_docs) and how many notices they cover. GX's store
        forgets those validations: a context that serves chunk after chunk stays as large."""
        pages, keys, covered = self.pages, self.keys, len(self.notices)
        self.pages, self.keys, self.notices = [], [], set()
        if self.data_docs is not None and keys:
            from great_expectations.render.renderer.site_builder import SiteBuilder

            site = SiteBuilder(data_context=self.ctx, site_name="report", **self.ctx.variables.data_docs_sites["report"])
            for section in site.site_section_builders.values():  # what SiteBuilder.build does, but for the static files and index
                section.build(resource_identifiers=keys)
        store = self.ctx.validation_results_store
        for key in keys:
            store.store_backend.remove_key(key.to_tuple())
        return pages, covered

    def finish(self, notices_in_run: int | None = None) -> None:
        """Data Docs of every check, made to open offline. `notices_in_run`: how many notices the
        run's verdict covers (the others kept their results from earlier runs)."""
        if self.data_docs is not None and self.runs:
            from .data_docs import make_offline

            pages, covered = self.render()
            make_offline(self.data_docs, pages, suite_rules(self.suites), covered, notices_in_run)


def suite_rules(suites: list[Suite]) -> dict[str, list[dict[str, str]]]:
    """Each suite's rules as its Data Docs page lists them, as plain values: what a chunk's task
    hands back, so the process that writes the site needs no GX."""
    return {s.name: [{"rule": (e.description or "").rsplit(" — ", 1)[0], "table": TABLE_OF[s.frame], "severity": e.meta.get("severity", ""),
                      "why": e.meta.get("why", ""), "type": e.expectation_type,
                      "kwargs": json.dumps({k: v for k, v in e.configuration.kwargs.items() if k != "batch_id"}, ensure_ascii=False)}
                     for e in s.expectations] for s in suites}


def _result(suite_name: str, r: Any, frame: pd.DataFrame, by_row: pd.DataFrame, frame_name: str) -> ExpectationResult:
    cfg = r.expectation_config
    res = r.result or {}
    row_ids = _row_ids(res)
    kwargs = cfg.kwargs
    column = kwargs.get("column") or ",".join(kwargs.get("column_list", []) or [kwargs.get("column_A", ""), kwargs.get("column_B", "")])
    observed = res.get("observed_value")
    meta = cfg.meta or {}
    return ExpectationResult(
        suite=suite_name, expectation=cfg.type, column=column,
        description=(cfg.description or "").rsplit(" — ", 1)[0], severity=str(getattr(cfg.severity, "value", cfg.severity) or "critical"),
        success=bool(r.success), element_count=int(res.get("element_count") or 0),
        unexpected_count=int(res.get("unexpected_count") or 0),
        unexpected_percent=float(res.get("unexpected_percent") or 0.0),
        observed="" if observed is None else str(observed)[:200],
        unexpected_rows=_trace_rows(frame, row_ids, None) if not r.success else [],
        failing_notices=sorted(set(by_row.loc[[i for i in row_ids if i in by_row.index], "notice_id"]))
        if not r.success and "notice_id" in frame.columns else [],
        why=meta.get("why", ""), failing=meta.get("failing", ""), frame=frame_name, error=_error(r),
        values=",".join(map(str, kwargs["value_set"])) if isinstance(kwargs.get("value_set"), list) else "",
    )


def run_suites(frames: dict[str, pd.DataFrame], suites: list[Suite], data_docs: Path | None, run_id: str | None = None,
               on_step: Callable[[str], None] | None = None, parameters: dict | None = None) -> list[ExpectationResult]:
    checker = Checker(suites, data_docs, run_id, parameters)
    results = checker.check(frames, on_step)
    checker.finish()
    return results


def frames_of(tables: dict[str, pa.Table]) -> dict[str, pd.DataFrame]:
    """The frames the suites check, from the published tables alone."""
    return {
        "measures": measures_frame(tables["measures"], tables["measure_departments"], tables["notices"]),
        "pairs": pairs_frame(tables["measure_departments"], tables["measures"], tables["notices"]),
        "notices": notices_frame(tables["notices"]),
    }


def validate(tables: dict[str, pa.Table], notices: list[NoticeRecord], registry: Registry, expectations: Path,
             report_dir: Path | None = None, run_id: str | None = None, on_step: Callable[[str], None] | None = None) -> Validation:
    """Whole tables through the suites at once (the run checks notice by notice: see check_notices)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    cross = CrossFacts.of(notices, names_in(tables["measure_departments"], notices))
    try:
        suites = load_suites(expectations)
        results = run_suites(frames_of(tables), suites, (report_dir / "data_docs").resolve() if report_dir else None,
                             run_id, on_step, cross.parameters(registry.folder))
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
                         "description": r.description, "severity": r.severity, "why": r.why, "failing": r.failing, "frame": r.frame,
                         "error": r.error, "values": r.values, "elements": int(n.get(nid, 0)), "unexpected": len(bad), "rows": bad})
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
                r = merged[key] = ExpectationResult(c["suite"], c["expectation"], c["column"], c["description"], c["severity"], True,
                                                    why=c.get("why", ""), failing=c.get("failing", ""), frame=c.get("frame", ""),
                                                    values=c.get("values", ""))
            r.element_count += c["elements"]
            r.unexpected_count += c["unexpected"]
            if c.get("error"):  # it could not run on this notice's chunk: it says nothing of its rows
                r.success, r.error = False, c["error"]
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
    return {"rule": r.rule, "severity": r.severity, "notice_id": row.get("notice_id") or "",
            "source_file": row.get("source_file") or "", "source_ref": row.get("source_ref") or "",
            "value": str(row.get(value_col) if row.get(value_col) is not None else ""), "raw_text": str(row.get("raw_text") or "")[:300]}


def verdict(results: list[ExpectationResult], suites: list[Suite], registry: Registry, report_dir: Path | None,
            failures: bool = True) -> Validation:
    """The results as a verdict: which notices are held back by which rule, and the findings;
    `failures`: list every failing row (False when combine_results streamed them already). An
    expectation that could not run blocks the run: it vouches for no row."""
    v = Validation(True, results=results, suites=[s.name for s in suites])
    if report_dir is not None and (report_dir / "data_docs" / "index.html").exists():
        v.data_docs = str(report_dir / "data_docs" / "index.html")
    for r in results:
        if r.success:
            continue
        label = r.rule
        if r.error:
            v.passed = False
            v.blocking_failed.append(label)
            v.run_blocked.append(f"suites: {r.said}")
            v.findings.append(Finding("", "validate", "error", "suite-invalid", r.said))
            continue
        if r.severity == "critical":
            v.passed = False
            v.blocking_failed.append(label)
            for nid in r.failing_notices:
                v.held_back.setdefault(nid, []).append(label)
        else:
            v.warnings.append(label)
            v.warned.append(r.said)
        if failures:
            v.failures.extend(failure_row(r, row) for row in r.unexpected_rows)
        for row in r.unexpected_rows[:ROW_LIMIT]:
            v.findings.append(Finding(
                row.get("notice_id") or "", "validate", "error" if r.severity == "critical" else "warning", label,
                r.why or r.description or label, row.get("source_file") or "", row.get("source_ref") or "", str(row.get("raw_text") or "")[:300]))
    for c in registry.conflicts():
        v.findings.append(Finding("", "validate", "error", "registry-conflict",
                                  f"{c.surface!r} maps to {', '.join(c.canonicals)} in {c.jurisdiction or 'no jurisdiction'}"))
        v.passed = False
        v.blocking_failed.append(f"registry: {c.surface} has two canonical names")
        v.run_blocked.append(f"registry: {c.surface} has two canonical names")
    return v
