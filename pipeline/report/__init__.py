"""Run reports for the data team and auditors.

Every run that validates writes reports/<run-id>/ (and points reports/latest at it). The report is
written whole under reports/.staging-<run-id>/ before `curated` switches to the version it
describes, and put in place after: a run killed between the two leaves it staged, and the next
run puts it in place and in the runs index (settle).
    summary.html            self-contained (no external CSS, scripts or fonts), from
                            templates/summary.html.j2: inputs linked to the raw files, the
                            verdict, every expectation, every failing row traced to file and
                            place with its raw text, findings, names not in the registry, charts;
                            links to the runs index, the previous and next runs and Data Docs
    validation.json         the expectation results
    manifest.json           inputs and their hashes, versions, verdict, published files and hashes
    run.json                the whole run report
    failures.parquet        every failing row
    unknown_departments.csv names not in the registry, as rows for departments.csv
    data_docs/              Great Expectations Data Docs, offline: of the notices checked in the run,
                            or, when it checked none again, a copy of the last run's that did
Every run, also one that found nothing changed, is added to reports/runs.jsonl, from which
reports/index.html (the runs index) is drawn.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..csvio import write_csv
from ..files import write_json, write_pieces, write_readable_json, write_text
from ..model.interim import VALUE_OF

if TYPE_CHECKING:
    import pyarrow as pa

    from ..model.interim import Summary
    from ..run.state import RunReport

TEMPLATES = Path(__file__).parent / "templates"
HISTORY = "runs.jsonl"
UNKNOWN_SHOWN = 50
NEXT_MARK = ("<!--next-->", "<!--/next-->")
VERDICTS = {
    "published": "Passed: published to curated/",
    "unchanged": "Passed: curated/ already held exactly these tables",
    "blocked": "Blocked: nothing published (--strict, or a check that belongs to no notice failed); curated/ left unchanged",
    "nothing": "Nothing published: no notice could be read",
    "failed": "Failed: the checks ran but the tables could not be written (see below); curated/ left as it was",
}


def headline(verdict: str, exit_code: int, held: int) -> tuple[str, str, str]:
    """The run's outcome as the summary's banner and the runs index say it — its class, its line
    and its word — from what run.json holds, so that both agree with the exit code: "Passed" only
    for exit 0; exit 1 says what was held back; exit 2 that nothing was published."""
    if verdict in ("published", "unchanged") and exit_code == 0:
        return "v-ok", VERDICTS[verdict], "passed"
    if verdict in ("published", "unchanged") and exit_code == 1:
        rest = "the others published to curated/" if verdict == "published" else "curated/ already held the others exactly"
        if held:
            return "v-warn", (f"Held back: {held} notice(s) failed a blocking check or could not be read and keep the version last "
                              f"published; {rest}"), "held back"
        return "v-warn", f"Published with problems: files in raw/ could not be read (see below); {rest}", "problems"
    return "v-bad", VERDICTS.get(verdict, verdict or "Nothing published"), verdict or "nothing"


def _env():  # jinja2 comes with Great Expectations; imported only when a report is written
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _bar_chart(items: list[tuple[str, int]], title: str, width: int = 900) -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return f"<p class='muted'>{escape(title)}: no data</p>"
    bar_h, label_w = 18, 230
    top = max(v for _, v in items) or 1
    h = bar_h * len(items) + 30
    rows = []
    for i, (label, v) in enumerate(items):
        y = 25 + i * bar_h
        w = (width - label_w - 60) * v / top
        rows.append(f"<text x='{label_w - 6}' y='{y + 12}' text-anchor='end'>{escape(label)}</text>"
                    f"<rect x='{label_w}' y='{y + 2}' width='{w:.1f}' height='{bar_h - 5}' fill='#4c78a8'/>"
                    f"<text x='{label_w + w + 4:.1f}' y='{y + 12}'>{v}</text>")
    return (f"<svg role='img' aria-label='{escape(title)}' width='{width}' height='{h}' xmlns='http://www.w3.org/2000/svg'>"
            f"<text x='0' y='14' font-weight='600'>{escape(title)}</text>{''.join(rows)}</svg>")


@dataclass
class RunSummary:
    """What the report draws of the candidate rows, gathered from the notices' summaries (a few
    kilobytes each), never from the tables themselves."""

    per_department: Counter = field(default_factory=Counter)  # canonical name -> measures
    months: Counter = field(default_factory=Counter)  # deadline month (ongoing, no deadline) -> measures
    unknown: list[dict] = field(default_factory=list)  # names not in the registry, as rows for departments.csv

    @classmethod
    def of(cls, summaries: Iterable[Summary]) -> RunSummary:
        """Names not in the registry (collectives aside), one row per suggested canonical name and
        jurisdiction — the registry's own columns first, ready to review and append to
        departments.csv: the canonical name the run gave it (a name opening with a level word
        takes its jurisdiction's name: 市商务局 in a Tianjin notice → 天津市商务局), every way the
        notices write it as its aliases, the notices' jurisdiction, the kind left for a person;
        then how many pairs and notices name it and where it was first seen."""
        out = cls()
        rows: dict[tuple[str, str], dict] = {}
        for s in summaries:
            for d in s.departments:
                out.per_department[d["department_canonical"]] += d["n_measures_named_in"]
            out.months.update(s.months)
            jurisdiction = s.record.jurisdiction
            for n in s.names:
                if n.in_registry or n.is_collective:
                    continue
                row = rows.setdefault((n.canonical, jurisdiction), {"canonical": n.canonical, "aliases": set(), "jurisdiction": jurisdiction,
                                                                    "kind": "", "count": 0, "notices": set(), "first_source": n.first_seen})
                row["aliases"].add(n.department)
                row["count"] += n.pairs
                row["notices"].add(s.notice_id)
        ordered = sorted(rows.values(), key=lambda r: (-r["count"], r["canonical"], r["jurisdiction"]))
        out.unknown = [{**r, "aliases": "|".join(sorted(r["aliases"])), "notices": len(r["notices"])} for r in ordered]
        return out


def _charts(summary: RunSummary) -> str:
    return (_bar_chart(summary.per_department.most_common(25), "Measures per department (top 25, canonical names)")
            + _bar_chart(sorted(summary.months.items()), "Measures by deadline month"))


def write_unknown(path: Path, rows: list[dict]) -> None:
    write_csv(path, ["canonical", "aliases", "jurisdiction", "kind", "count", "notices", "first_source"], rows)


def _history(reports: Path) -> list[dict]:
    path = reports / HISTORY
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line a killed run left half-written
    return out


def _entry(run: dict) -> dict:
    """A run's line in the runs index, from its report as JSON (RunReport.as_dict, run.json)."""
    rows: Counter = Counter()  # what curated/ holds after the run (every part file of a table), else what was read
    for p in run["published"]:
        rows[p.get("table")] += p["rows"]
    notices = run["notices"]
    held = sorted(n["notice_id"] for n in notices if n["status"] == "held back")
    cls, line, word = headline(run["verdict"], run["exit_code"], len(held))
    return {"run_id": run["run_id"], "started": run["started"], "verdict": run["verdict"], "exit_code": run["exit_code"],
            "outcome": word, "outcome_class": cls, "headline": line,
            "notices": len(notices), "measures": rows.get("measures", sum(n["measures"] for n in notices)),
            "pairs": rows.get("measure_departments", sum(n["pairs"] for n in notices)),
            "held_back": held,
            "report": Path(run["report_dir"]).name if run["report_dir"] else "", "version": (run["manifest"] or {}).get("version")}


def record_run(report: RunReport, reports: Path) -> None:
    """Add the run to reports/runs.jsonl and draw reports/index.html again."""
    _record(_entry(report.as_dict()), reports)


def _record(entry: dict, reports: Path) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    with (reports / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    runs = _history(reports)
    for x in runs:
        x["report_exists"] = bool(x.get("report")) and (reports / x["report"] / "summary.html").exists()
        if "outcome" not in x:  # a line written before runs said their outcome
            x["outcome_class"], x["headline"], x["outcome"] = headline(x.get("verdict", ""), x.get("exit_code", 2), len(x.get("held_back") or []))
    latest = os.readlink(reports / "latest") if (reports / "latest").is_symlink() else ""
    html = _env().get_template("index.html.j2").render(runs=list(reversed(runs)), latest=latest, css=_css())
    write_text(reports / "index.html", html)


def _css() -> str:
    return (TEMPLATES / "base.css").read_text(encoding="utf-8")


PAGE_REF = re.compile(r"p\.(\d+)\b")  # a PDF place's page: 'p.3 l.12', 'p.3 table 1 row 5 col 3'


def page_fragment(name: str, ref: str | None) -> str:
    """'#page=3' for a place on page 3 of a PDF: what PDF viewers (Chromium's, Firefox's, Acrobat)
    open the file at; '' for other files and places."""
    m = PAGE_REF.match(ref or "")
    return f"#page={m.group(1)}" if m and name.lower().endswith(".pdf") else ""


def summary_html(report: RunReport, summary: RunSummary, folder: Path, prev: str | None = None, docs_from: str | None = None
                 ) -> Iterator[str]:
    """The run's summary page, a piece at a time as the template makes it (a large run's page is
    never whole in memory)."""
    v = report.validation
    ok = report.verdict in ("published", "unchanged")
    held = [n for n in report.notices if n.status == "held back"]
    banner, verdict, _ = headline(report.verdict, report.exit_code, len(held))
    raw = Path(report.raw).resolve()

    def raw_href(name: str, ref: str = "") -> str:
        return quote(os.path.relpath(raw / name, folder.resolve())) + page_fragment(name, ref)

    if not ok:
        unpublished = "Nothing was published in this run: the charts show this run's candidate rows, which are not in curated/."
    elif held:
        unpublished = (f"The charts show this run's candidate rows, including those of {len(held)} held-back notice(s) "
                       f"({', '.join(n.notice_id for n in held[:5])}{', …' if len(held) > 5 else ''}), which were not published.")
    else:
        unpublished = ""
    docs = folder / "data_docs" / "index.html"
    unknown = summary.unknown
    checked = len(report.validated)
    if not docs.exists():
        docs_note = ""
    elif docs_from:
        docs_note = f"No notice was checked again in this run: these are the Data Docs of run {docs_from}, the last that checked any."
    elif checked < len(report.notices):
        docs_note = (f"The Data Docs show the {checked} notice(s) checked in this run; the other {len(report.notices) - checked} kept "
                     "the results of the run that last checked them, which the tables below combine.")
    else:
        docs_note = ""
    return _env().get_template("summary.html.j2").generate(
        r=report, v=v, ok=ok, held=held, verdict=verdict, banner=banner, css=_css(), prev=prev, docs_note=docs_note,
        data_docs="data_docs/index.html" if docs.exists() else "", raw_href=raw_href, charts=_charts(summary), unpublished=unpublished,
        findings=[f for f in report.findings if f.stage != "validate"], unknown=unknown[:UNKNOWN_SHOWN], unknown_total=len(unknown))


STAGING = ".staging-"  # reports/.staging-<run-id>/: a report written whole, not yet in place


def _previous(reports: Path, name: str) -> str | None:
    """The report before run `name` in the runs index that is still on disk."""
    earlier = [x["report"] for x in _history(reports) if x.get("report") and x["report"] != name
               and (reports / x["report"] / "summary.html").exists()]
    return earlier[-1] if earlier else None


def write_report(report: RunReport, summary: RunSummary, reports: Path, parts: Path | None = None) -> Path:
    """The run's report written whole into reports/.staging-<run-id>/ (with what validate left in
    `parts`: failures.parquet, data_docs/), not yet in place: see put_in_place."""
    folder = reports / f"{STAGING}{report.run_id}"
    shutil.rmtree(folder, ignore_errors=True)  # left by an attempt of this run that failed
    folder.mkdir(parents=True)
    try:
        _write_report(report, summary, folder, reports, parts)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # no half report left behind (a full disk)
        raise
    return folder


def _last_data_docs(reports: Path, name: str) -> str | None:
    """The newest report before run `name` that holds Data Docs."""
    for x in reversed(_history(reports)):
        if x.get("report") and x["report"] != name and (reports / x["report"] / "data_docs" / "index.html").exists():
            return x["report"]
    return None


def _write_report(report: RunReport, summary: RunSummary, folder: Path, reports: Path, parts: Path | None) -> None:
    for name in ("failures.parquet", "data_docs"):
        if parts is not None and (parts / name).exists():
            shutil.move(parts / name, folder / name)
    docs_from = None
    if not (folder / "data_docs").exists() and (docs_from := _last_data_docs(reports, report.run_id)):
        # a run that checked no notice again has no Data Docs of its own: the last ones go with it, said so
        shutil.copytree(reports / docs_from / "data_docs", folder / "data_docs")
    write_json(folder / "validation.json", report.validation)
    # the run's one manifest (built by the publish stage): identical to curated/_manifest.json when it published
    write_json(folder / "manifest.json", report.manifest)
    write_readable_json(folder / "run.json", report.as_dict())
    write_unknown(folder / "unknown_departments.csv", summary.unknown)
    write_pieces(folder / "summary.html", summary_html(report, summary, folder, _previous(reports, report.run_id), docs_from))


def put_in_place(staged: Path, reports: Path) -> Path:
    """A staged report becomes reports/<run-id>/: the report before it links to it and latest
    points at it (the runs index is record_run's)."""
    folder = reports / staged.name.removeprefix(STAGING)
    shutil.rmtree(folder, ignore_errors=True)  # the publish stage of the same run, done again
    os.rename(staged, folder)
    if prev := _previous(reports, folder.name):
        _link_next(reports / prev / "summary.html", folder.name)
    latest = reports / "latest"
    tmp = reports / f".latest.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(folder.name, tmp)
    os.replace(tmp, latest)
    return folder


def settle(reports: Path, current: str | None) -> None:
    """The report of `current` (the run whose version `curated` holds) in place and in the runs
    index, when that run was killed after switching `curated`: its report staged, or in place
    but not recorded."""
    if not current or not reports.is_dir():
        return
    staged = reports / f"{STAGING}{current}"
    if (staged / "summary.html").exists() and not (reports / current).exists():
        put_in_place(staged, reports)
    run_json = reports / current / "run.json"
    if run_json.exists() and current not in {x.get("run_id") for x in _history(reports)}:
        _record(_entry(json.loads(run_json.read_text(encoding="utf-8"))), reports)


def prune_reports(reports: Path, keep: int) -> list[str]:
    """All but the newest `keep` run folders go (never the one `latest` points at); the runs
    index keeps their lines, without a link."""
    latest = os.readlink(reports / "latest") if (reports / "latest").is_symlink() else ""
    runs = sorted(d for d in reports.iterdir() if d.is_dir() and not d.is_symlink() and (d / "run.json").exists())
    gone = [d for d in runs[:-keep] if d.name != latest] if keep > 0 else []
    for d in gone:
        shutil.rmtree(d, ignore_errors=True)
    return [d.name for d in gone]


def _link_next(summary: Path, next_run: str) -> None:
    """The previous run's report gets its link to this one."""
    html = summary.read_text(encoding="utf-8")
    a, b = html.find(NEXT_MARK[0]), html.find(NEXT_MARK[1])
    if a < 0 or b < 0:
        return
    link = f'<a id="next-run" href="../{escape(next_run)}/summary.html">next run ({escape(next_run)}) →</a>'
    write_text(summary, html[: a + len(NEXT_MARK[0])] + link + html[b:])


DIGEST_LINES = 20


FAILURE_COLUMNS = ("rule", "severity", "notice_id", "source_file", "source_ref", "value", "raw_text")


class FailureWriter:
    """failures.parquet written as rows come, in batches: failing rows are never all in memory."""

    BATCH = 4_000  # rows held before they are written: some 1.5 KB each as dicts (20,000 held the run's driver 50 MB higher)

    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path.parent.mkdir(parents=True, exist_ok=True)
        self.schema = pa.schema([(c, pa.string()) for c in FAILURE_COLUMNS])
        self.table: type[pa.Table] = pa.Table
        self.writer = pq.ParquetWriter(path, self.schema)
        self.rows: list[dict] = []
        self.count = 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.count += 1
        if len(self.rows) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self.writer.write_table(self.table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def __enter__(self) -> FailureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._flush()
        self.writer.close()


def skipped_digest(report: RunReport) -> list[str]:
    """The entries of raw/ a run did not read (folders, hidden files, other formats), each with
    its path, at the end of the run: every input is accounted for where a person looks last."""
    skipped = report.skipped_files
    if not skipped:
        return []
    out = [f"{len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'} of {report.raw} skipped, not read (path | why):",
           *(f"skipped | {x['file']} | {x['why']}" for x in skipped[:DIGEST_LINES])]
    if len(skipped) > DIGEST_LINES:
        out.append(f"… and {len(skipped) - DIGEST_LINES} more: see the report's list of skipped entries")
    return out


def console_digest(report: RunReport) -> list[str]:
    """The end of a run on the console: what held notices back, a line a failing row
    (rule | notice | file:place | value | raw text), at most DIGEST_LINES and a count of the rest."""
    rows = [(f"unreadable | {n.notice_id} | {n.source_file} | | {n.error}") for n in report.notices if n.extraction == "failed"]
    rows += [f"refused | | {r['file']} | | {r['problem']}" for r in report.refused_files]
    rows += [f"not read | {f.notice_id} | {f.source_file} | | {f.message}" for f in report.findings if f.code == "alternate-differs"]
    for r in report.validation.get("results", []):
        if r.get("success") or r.get("severity") != "critical":
            continue
        rule = r.get("rule") or f"{r['suite']}.{r['expectation']}({r['column']})"
        col = VALUE_OF.get(r["suite"], "")
        for x in r.get("unexpected_rows", []):
            where = ":".join(v for v in (x.get("source_file") or "", x.get("source_ref") or "") if v)
            raw = " ".join(str(x.get("raw_text") or "").split())[:80]
            value = " ".join(str(x.get(col) if x.get(col) is not None else "").split())[:60]
            rows.append(f"{rule} | {x.get('notice_id') or ''} | {where} | {value} | {raw}")
    if not rows:
        return []
    out = [f"{len(rows)} problem(s): files not read and rows that held notices back (rule | notice | file:place | value | raw text):", *rows[:DIGEST_LINES]]
    if len(rows) > DIGEST_LINES:
        out.append(f"… and {len(rows) - DIGEST_LINES} more: see {Path(report.report_dir) / 'failures.parquet'}")
    return out
