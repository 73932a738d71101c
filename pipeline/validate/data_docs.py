"""Great Expectations Data Docs an auditor can open offline, from a copy of the report folder.

GX's pages load Bootstrap, jQuery, bootstrap-table and Font Awesome from CDNs, and its index
draws its tables with those scripts: offline the pages are unstyled and the index is empty. So GX
renders the validation pages only (each rule with its sentence, severity and reason, and its first
failing rows with notice, file, place and raw text: see Checker._keep_for_docs), and make_offline
- drops every script and every stylesheet, image or font fetched from the internet from them,
  links the site's own stylesheet instead (data_docs.css, shipped with the package: layout,
  tables, the status marks Font Awesome drew) and names their data asset (table and run);
- writes the index as plain HTML: every validation with the pipeline's status (a suite whose
  failures are all warnings has passed, with warnings) and its table and run, and which notices
  these pages cover; and a page per suite: its rules, table, severity, reason and expectation;
- copies of GX's static files only what the pages show (its logo and icon: 4 MB less a report;
  Checker.render has GX write none, so a cluster's workers never write the same file at once).
Rendering GX's own index and suite pages, which this replaces, cost more than all of this.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from ..files import write_text

STYLESHEET = Path(__file__).with_name("data_docs.css")
GX_STATIC = ("images/logo-long.png", "images/favicon.ico")  # of GX's static files, what the pages show
STATUS_MARK = {"passed": ("text-success", "✓"), "passed with warnings": ("text-warning", "!"), "failed": ("text-danger", "✗"),
               "could not run": ("text-danger", "✗")}

EXTERNAL = [
    (re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I), ""),  # the scripts need jQuery and Bootstrap from a CDN
    (re.compile(r"<link\b[^>]*\bhref=[\"']?(?:https?:)?//[^>]*>", re.I), ""),
    (re.compile(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", re.I), "none"),
    (re.compile(r"<footer\b.*?</footer>", re.S | re.I), ""),  # GX's newsletter
]
LOGO = re.compile(r"(<img\b[^>]*\bsrc=)\"(?:https?:)?//[^\"]*?logo-long\.png[^\"]*\"", re.I)
REMOTE_IMG = re.compile(r"<img\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>", re.I)
STATIC = re.compile(r"(\b(?:src|href)=\")(?:\./|(?:\.\./)*)static/")  # GX's favicon link counts its folders wrong


def status_of(results: Iterable[Any]) -> str:
    """One suite's results on one frame, as the pipeline's verdict reads them."""
    results = list(results)
    if any(r.error for r in results):
        return "could not run"
    if any(not r.success and r.severity == "critical" for r in results):
        return "failed"
    return "passed with warnings" if any(not r.success for r in results) else "passed"


def _gx_static() -> Path:
    """GX's static files, found without importing GX."""
    spec = importlib.util.find_spec("great_expectations")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "render" / "view" / "static"


def page_of(key: Any) -> str:
    """The page GX writes for a validation result, relative to the site."""
    return "validations/" + "/".join(str(p) for p in key.to_tuple()) + ".html"


def _offline_page(html: str, up: str) -> str:
    for pattern, repl in EXTERNAL:
        html = pattern.sub(repl, html)
    html = LOGO.sub(lambda m: f'{m.group(1)}"{up}static/images/logo-long.png"', html)
    html = REMOTE_IMG.sub("", html)
    html = STATIC.sub(lambda m: f"{m.group(1)}{up}static/", html)
    return html.replace("</head>", f'<link rel="stylesheet" href="{up}static/styles/data_docs.css">\n</head>', 1)


def _note(checked: int, in_run: int | None) -> str:
    if in_run is None or in_run <= checked:
        return f"These pages cover the {checked} notice(s) checked in this run."
    return (f"These pages cover the {checked} notice(s) checked in this run; the other {in_run - checked} of the run's {in_run} "
            "kept their results from the run that last checked them (the run's summary combines them all).")


def _index(site: Path, pages: list[dict], note: str) -> str:
    rows = []
    for p in sorted(pages, key=lambda p: (p["run"], p["table"], p["suite"])):
        cls, mark = STATUS_MARK[p["status"]]
        link = f'<a href="{escape(p["page"])}">{escape(p["suite"])}</a>' if (site / p["page"]).exists() else escape(p["suite"])
        rows.append(f'<tr class="validation"><td><span class="{cls}">{mark}</span> {escape(p["status"])}</td><td>{link}</td>'
                    f'<td>{escape(p["table"])}</td><td>{escape(p["run"])}</td><td>{p["blocking"]}</td><td>{p["warnings"]}</td></tr>')
    suites = [f'<li><a href="expectations/{escape(f.name)}">{escape(f.stem)}</a></li>' for f in sorted((site / "expectations").glob("*.html"))]
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Data Docs: validations</title>
<link rel="icon" href="static/images/favicon.ico"><link rel="stylesheet" href="static/styles/data_docs.css"></head>
<body><nav class="navbar"><img src="static/images/logo-long.png" alt="Great Expectations" style="height:36px"></nav>
<div class="container-fluid"><h4>Data Docs: validation results</h4>
<p id="coverage" class="alert alert-secondary">{escape(note)}</p>
<table id="validations" class="table table-sm"><thead><tr><th>status</th><th>suite (the validation)</th><th>table (data asset)</th><th>run</th>
<th>blocking rules failed</th><th>warnings</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<h4>Expectation suites</h4><ul id="suites">{"".join(suites)}</ul></div></body></html>
"""


def _suite_page(name: str, rules: list[dict[str, str]]) -> str:
    rows = []
    for r in rules:
        rows.append(f'<tr class="rule"><td>{escape(r["rule"])}</td><td>{escape(r["table"])}</td><td>{escape(r["severity"])}</td>'
                    f'<td>{escape(r["why"])}</td><td><code>{escape(r["type"])}</code><br><code>{escape(r["kwargs"])}</code></td></tr>')
    crumbs = f'<li class="breadcrumb-item"><a href="../index.html">Home</a></li><li class="breadcrumb-item">Expectation suite {escape(name)}</li>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Expectation suite {escape(name)}</title>
<link rel="icon" href="../static/images/favicon.ico"><link rel="stylesheet" href="../static/styles/data_docs.css"></head>
<body><nav class="navbar"><a href="../index.html"><img src="../static/images/logo-long.png" alt="Great Expectations" style="height:36px"></a>
<ol class="breadcrumb">{crumbs}</ol></nav>
<div class="container-fluid"><h4>Expectation suite {escape(name)}</h4>
<table id="rules" class="table table-sm"><thead><tr><th>rule</th><th>table</th><th>severity</th><th>why</th><th>expectation</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table></div></body></html>
"""


def make_offline(site: Path, pages: list[dict], rules: dict[str, list[dict[str, str]]], checked: int, in_run: int | None = None) -> None:
    """The validation pages GX built in `site`, made to open without a network, with an index and
    a page per suite beside them (see the module). `pages`: each validation, as Checker kept it;
    `rules`: each suite's expectations as the suite's page lists them (validate.suite_rules). Needs
    no GX context (nor GX imported): a run's driver calls it on the pages its workers rendered."""
    assets = {p["page"]: f"{p['table']} (run {p['run']})" for p in pages}
    for path in site.rglob("*.html"):
        rel = path.relative_to(site)
        html = _offline_page(path.read_text(encoding="utf-8"), "../" * (len(rel.parts) - 1))
        if rel.as_posix() in assets:  # GX names no data asset for a dataframe
            html = html.replace("Data asset: None", f"Data asset: {escape(assets[rel.as_posix()])}", 1)
        write_text(path, html)
    static = site / "static"
    (static / "styles").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STYLESHEET, static / "styles" / "data_docs.css")
    for rel in GX_STATIC:  # the renderer copies no static file (Checker.render): the logo and icon, from GX's package
        (static / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_gx_static() / rel, static / rel)
    (site / "expectations").mkdir(exist_ok=True)
    for name, suite_rules in rules.items():
        write_text(site / "expectations" / f"{name}.html", _suite_page(name, suite_rules))
    write_text(site / "index.html", _index(site, pages, _note(checked, in_run)))
