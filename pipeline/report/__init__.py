"""Run reports for the data team and auditors.

Every run writes reports/<run-id>/ (and points reports/latest at it):
    summary.html     self-contained (no external CSS, scripts or fonts): inputs with sha256,
                     the verdict, every expectation with its figures, every failing row traced
                     to file, page or paragraph with its raw text, findings, and two charts
    validation.json  the expectation results
    manifest.json    inputs and their hashes, pipeline version, verdict, published files and hashes
    run.json         the whole run report
    data_docs/       Great Expectations Data Docs (these load their CSS from the internet)
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from ..run.state import RunReport

CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;color:#1d2433;max-width:1200px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d7dce5;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #d7dce5;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f8}.pass{color:#137333;font-weight:600}.fail{color:#b3261e;font-weight:600}
.warn{color:#a05a00;font-weight:600}.verdict{font-size:1.2rem;padding:.6rem 1rem;border-radius:6px;display:inline-block}
.v-ok{background:#e6f4ea}.v-bad{background:#fce8e6}code{font-size:.8rem;word-break:break-all}
details{margin:.3rem 0}.raw{max-width:520px;white-space:pre-wrap}.muted{color:#5f6b7a}
svg text{font-size:11px;font-family:inherit}
"""


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


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_html(report: RunReport, tables: dict[str, pa.Table]) -> str:
    v = report.validation
    ok = report.verdict in ("published", "unchanged")
    verdict = {
        "published": "Passed: published to curated/",
        "unchanged": "Passed: curated/ already held exactly these tables",
        "blocked": "Blocked: nothing published (--strict, or a check that belongs to no notice failed); curated/ left unchanged",
        "nothing": "Nothing published: no notice could be read",
    }.get(report.verdict, report.verdict)
    parts = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>Run {escape(report.run_id)}</title>",
             f"<style>{CSS}</style></head><body>",
             f"<h1>Notice pipeline run {escape(report.run_id)}</h1>",
             f"<p class='verdict {'v-ok' if ok else 'v-bad'}'>{escape(verdict)}</p>",
             f"<p class='muted'>started {escape(report.started)} · pipeline {escape(report.pipeline_version)} · "
             f"raw {escape(report.raw)} · exit code {report.exit_code}</p>"]
    if v.get("blocking_failed"):
        parts.append("<p class='fail'>Blocking failures: " + escape("; ".join(v["blocking_failed"])) + "</p>")

    parts.append("<h2>Inputs</h2>")
    held = [n for n in report.notices if n.status == "held back"]
    if held and report.verdict in ("published", "unchanged"):
        parts.append(f"<p class='fail'>Held back: {len(held)} notice(s) failed a blocking check or could not be read; "
                     "each keeps the version last published (if any) in curated/, every other notice is published.</p>")
    parts.append(_table(["notice", "file read", "sha256", "other forms", "extraction", "status", "measures", "pairs", "error"], [[
        escape(n.notice_id), escape(n.source_file), f"<code>{n.sha256}</code>", escape(", ".join(n.alternates)),
        f"<span class='{'fail' if n.extraction == 'failed' else 'pass'}'>{escape(n.extraction)}</span>",
        f"<span class='{'fail' if n.status == 'held back' else 'pass'}'>{escape(n.status)}</span>"
        + (f"<br><small>{escape('; '.join(n.held_because))}</small>" if n.held_because else ""),
        str(n.measures), str(n.pairs), escape(n.error)] for n in report.notices]))
    if report.ignored_files:
        parts.append("<p class='warn'>Ignored (not a notice format): " + escape(", ".join(report.ignored_files)) + "</p>")

    parts.append("<h2>Expectations</h2>")
    rows = []
    for r in v.get("results", []):
        status = "pass" if r["success"] else ("fail" if r["severity"] == "critical" else "warn")
        word = "passed" if r["success"] else ("FAILED" if r["severity"] == "critical" else "warning")
        rows.append([escape(r["suite"]), escape(r["description"] or r["expectation"]), f"<code>{escape(r['expectation'])}({escape(r['column'])})</code>",
                     "blocking" if r["severity"] == "critical" else escape(r["severity"]), f"<span class='{status}'>{word}</span>",
                     str(r["element_count"]), str(r["unexpected_count"]), f"{r['unexpected_percent']:.1f}%"])
    parts.append(_table(["suite", "rule", "expectation", "kind", "verdict", "rows", "unexpected", "%"], rows))

    failing = [r for r in v.get("results", []) if not r["success"]]
    if failing:
        parts.append("<h2>Unexpected rows</h2>")
    for r in failing:
        parts.append(f"<details {'open' if r['severity'] == 'critical' else ''}><summary><span class='{'fail' if r['severity'] == 'critical' else 'warn'}'>"
                     f"{escape(r['suite'])}: {escape(r['description'] or r['expectation'])}</span> ({r['unexpected_count']} rows)</summary>")
        parts.append(_table(["notice", "part", "measure", "file", "where", "value", "raw text"], [[
            escape(str(x.get("notice_id", ""))), escape(str(x.get("part", ""))), escape(str(x.get("measure_no", ""))),
            escape(str(x.get("source_file", ""))), escape(str(x.get("source_ref", ""))),
            escape(str(x.get("department") or x.get("due_raw") or x.get("measure_label") or "")),
            f"<div class='raw'>{escape(str(x.get('raw_text') or ''))}</div>"] for x in r["unexpected_rows"]]))
        parts.append("</details>")

    other = [f for f in report.findings if f.stage != "validate"]
    parts.append("<h2>Findings from extraction, structuring and normalization</h2>")
    if other:
        parts.append(_table(["severity", "notice", "stage", "what", "file", "where", "raw text"], [[
            f"<span class='{'fail' if f.severity == 'error' else 'warn'}'>{escape(f.severity)}</span>", escape(f.notice_id), escape(f.stage),
            escape(f.message), escape(f.source_file), escape(f.source_ref), f"<div class='raw'>{escape(f.raw_text)}</div>"] for f in other]))
    else:
        parts.append("<p class='pass'>None: every table row and numbered item was read.</p>")

    parts.append("<h2>Charts</h2>")
    pairs = tables["measure_departments"]
    per_dept = Counter(pairs.column("department_canonical").to_pylist()) if pairs.num_rows else Counter()
    parts.append(_bar_chart(per_dept.most_common(25), "Measures per department (top 25, canonical names)"))
    meas = tables["measures"]
    months: Counter = Counter()
    if meas.num_rows:
        for kind, d in zip(meas.column("due_kind").to_pylist(), meas.column("due_date").to_pylist(), strict=True):
            months["ongoing" if kind == "ongoing" else (d.strftime("%Y-%m") if d else "no deadline")] += 1
    parts.append(_bar_chart(sorted(months.items()), "Measures by deadline month"))

    if report.published:
        parts.append("<h2>Published files</h2>")
        parts.append(_table(["file", "rows", "sha256"], [[escape(p["file"]), str(p["rows"]), f"<code>{p['sha256']}</code>"] for p in report.published]))
    parts.append("<p class='muted'>Also in this folder: validation.json (expectation results), manifest.json (inputs, verdict and "
                 "published files with hashes), run.json, and data_docs/ (Great Expectations Data Docs, which need the internet for their styling).</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(report: RunReport, tables: dict[str, pa.Table], folder: Path, reports: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "validation.json").write_text(json.dumps(report.validation, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    # the run's one manifest (built by the publish stage): identical to curated/_manifest.json when it published
    (folder / "manifest.json").write_text(json.dumps(report.manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    (folder / "summary.html").write_text(summary_html(report, tables), encoding="utf-8")
    latest = reports / "latest"
    tmp = reports / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(folder.name, tmp)
    os.replace(tmp, latest)
    return folder


DIGEST_LINES = 20


def write_failures(path: Path, failures: list[dict]) -> None:
    """Every failing row of this run's validation, for a person or a notebook to filter."""
    import pyarrow.parquet as pq

    cols = ["rule", "severity", "notice_id", "source_file", "source_ref", "value", "raw_text"]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(failures, schema=pa.schema([(c, pa.string()) for c in cols])), path)


def console_digest(report: RunReport) -> list[str]:
    """The end of a run on the console: what held notices back, a line a failing row
    (rule | notice | file:place | value | raw text), at most DIGEST_LINES and a count of the rest."""
    rows = [(f"unreadable | {n.notice_id} | {n.source_file} | | {n.error}") for n in report.notices if n.extraction == "failed"]
    for r in report.validation.get("results", []):
        if r.get("success") or r.get("severity") != "critical":
            continue
        rule = f"{r['suite']}.{r['expectation']}({r['column']})"
        col = {"numbering": "measure_label", "departments": "department", "completion_dates": "due_raw", "notices": "title"}.get(r["suite"], "")
        for x in r.get("unexpected_rows", []):
            where = ":".join(v for v in (x.get("source_file") or "", x.get("source_ref") or "") if v)
            raw = " ".join(str(x.get("raw_text") or "").split())[:80]
            rows.append(f"{rule} | {x.get('notice_id') or ''} | {where} | {x.get(col) if x.get(col) is not None else ''} | {raw}")
    if not rows:
        return []
    out = [f"{len(rows)} failing row(s) held notices back (rule | notice | file:place | value | raw text):", *rows[:DIGEST_LINES]]
    if len(rows) > DIGEST_LINES:
        out.append(f"… and {len(rows) - DIGEST_LINES} more: see {Path(report.report_dir) / 'failures.parquet'}")
    return out
