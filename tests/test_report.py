"""The auditors' report: self-contained HTML that renders offline, and a verifiable manifest."""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import replace
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import pyarrow.parquet as pq
import pytest

from pipeline.files import sha256_file
from pipeline.run import Config, run

from .conftest import read

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  # the network is off: every request but file:// goes to a closed port
                  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def test_summary_is_self_contained(sample_runs: dict) -> None:
    report, _ = sample_runs["pdf"]
    html = (Path(report.report_dir) / "summary.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external CSS, scripts or images"
    assert "<script" not in html
    for name in ("tj-opening-measures-duty-table.pdf", "tjftz-business-environment-2024.pdf"):
        assert name in html
    assert "Measures per department" in html and "Measures by deadline month" in html and "<svg" in html
    for r in report.validation["results"]:
        assert r["description"] in unescape(html)


def test_manifest_lets_an_auditor_verify_what_was_published(sample_runs: dict) -> None:
    report, cfg = sample_runs["docx"]
    manifest = json.loads((cfg.curated / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["verdict"] == "passed" and manifest["pipeline_version"]
    for item in manifest["published"]:
        assert sha256_file(cfg.curated / item["file"]) == item["sha256"]
    raw = {i["file"]: i["sha256"] for i in manifest["inputs"]}
    for n in read(cfg.curated, "notices"):
        assert raw[n["source_file"]] == n["sha256"]
    assert (cfg.curated / "_SUCCESS").exists()
    assert (cfg.reports / "latest").resolve() == Path(report.report_dir).resolve()
    # one manifest: the report's is the published one
    assert (Path(report.report_dir) / "manifest.json").read_bytes() == (cfg.curated / "_manifest.json").read_bytes()
    assert {i["status"] for i in manifest["inputs"]} == {"published"} and manifest["held_back"] == {}
    assert (Path(report.report_dir) / "data_docs" / "index.html").exists()


def test_summary_renders_in_headless_chromium_offline(sample_runs: dict, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is needed for this test: apt-get install chromium"
    report, _ = sample_runs["pdf"]
    page = (Path(report.report_dir) / "summary.html").as_uri()
    shot = tmp_path / "summary.png"
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*common, "--window-size=1280,2000", f"--screenshot={shot}", page], capture_output=True, timeout=120, check=True)
    assert shot.exists() and shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run([*common, "--dump-dom", page], capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Passed: published to curated/" in dom and "measure_no identifies a measure within its notice and part" in dom
    # a place in a PDF links to its page: the file cell's link opens the page the place cell names
    from lxml import html as lhtml

    paged = 0
    for tr in lhtml.fromstring(dom).iter("tr"):
        for a in tr.xpath(".//a[@class='raw-link']"):
            href, where = a.get("href"), a.getparent().getnext()
            m = re.search(r"\.pdf#page=(\d+)$", href)
            if m is None or where is None:
                continue
            assert where.text_content().startswith(f"p.{m.group(1)} "), (href, where.text_content())
            assert (Path(report.report_dir) / unquote(href.split("#")[0])).exists(), href
            paged += 1
    assert paged >= 1


def _links(dom: str) -> list[str]:
    from lxml import html as lhtml

    return [a.get("href") for a in lhtml.fromstring(dom).iter("a") if a.get("href")]


def _dump_dom(page: Path, tmp: Path) -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is needed for this test: apt-get install chromium"
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True).stdout


def test_reports_link_raw_files_runs_and_data_docs_and_the_runs_index_survives_make_clean(tmp_path: Path) -> None:
    from pipeline.run import Config, run

    from .test_gate import GOOD_ROWS, HEAD, notice

    cfg = Config(raw=tmp_path / "raw", interim=tmp_path / "interim", curated=tmp_path / "curated", reports=tmp_path / "reports", progress=False)
    cfg.raw.mkdir()
    (cfg.raw / "good.txt").write_text(notice(GOOD_ROWS), encoding="utf-8")
    first = run(cfg)
    assert first.verdict == "published"
    quiet = run(cfg)  # nothing changed: no report of its own, the last real one stays reachable
    assert quiet.verdict == "unchanged" and quiet.report_dir == first.report_dir
    assert os.readlink(cfg.reports / "latest") == Path(first.report_dir).name
    # a second notice whose 205 rows all name a month that does not exist: held back, rows capped
    (cfg.raw / "big file.txt").write_text(HEAD + "".join(f"{i}\t任务{i}。\t市数据局负责\t2026年13月\n" for i in range(1, 206)), encoding="utf-8")
    third = run(cfg)
    assert third.exit_code == 1 and third.validation["held_back"].keys() == {"big file"}
    shutil.rmtree(cfg.interim)  # make clean

    index = cfg.reports / "index.html"
    dom = _dump_dom(index, tmp_path)
    from lxml import html as lhtml

    cells = [[td.text_content().strip() for td in tr.iter("td")] for tr in lhtml.fromstring(dom).xpath("//table[@id='runs']/tbody/tr")]
    assert [c[0] for c in cells] == [third.run_id, quiet.run_id, first.run_id]  # newest first
    assert [(c[2].split()[0], c[3], c[5], c[7]) for c in cells] == [("held", "1", "3", "big file"), ("passed", "0", "3", ""), ("passed", "0", "3", "")]
    assert [[w for w in c[2].split() if w in ("unchanged", "published")] for c in cells] == [["unchanged"], ["unchanged"], ["published"]]
    assert "as validated by " + Path(first.report_dir).name in cells[1][2]
    for href in _links(dom):
        assert (index.parent / unquote(href)).exists(), href

    page = Path(third.report_dir) / "summary.html"
    dom = _dump_dom(page, tmp_path)
    links = _links(dom)
    assert f"../{Path(first.report_dir).name}/summary.html" in links  # the previous run
    assert "../index.html" in links and "data_docs/index.html" in links
    assert "../../raw/big%20file.txt" in links and "../../raw/good.txt" in links
    for href in links:
        assert (page.parent / unquote(href)).exists(), href
    assert "including those of 1 held-back notice(s) (big file), which were not published" in dom
    assert "Showing the first 200 of 205 rows" in dom
    failures = pq.read_table(page.parent / "failures.parquet").to_pylist()
    assert sum(f["notice_id"] == "big file" and f["rule"].startswith("completion_dates") for f in failures) >= 205
    # the first report now links forward to the third
    first_dom = _dump_dom(Path(first.report_dir) / "summary.html", tmp_path)
    assert f"../{Path(third.report_dir).name}/summary.html" in _links(first_dom)
    # GX Data Docs name their validation runs after the pipeline's run
    assert list((page.parent / "data_docs" / "validations").glob(f"*/{third.run_id}/*/*.html"))


def test_names_not_in_the_registry_are_rows_ready_for_departments_csv(tmp_path: Path) -> None:
    from pipeline.run import Config, run

    from .test_gate import GOOD_ROWS, notice

    cfg = Config(raw=tmp_path / "raw", interim=tmp_path / "interim", curated=tmp_path / "curated", reports=tmp_path / "reports", progress=False)
    cfg.raw.mkdir()
    text = notice(GOOD_ROWS).replace("某市", "天津市").replace("市政务服务办", "市星空办").replace("市数据局", "市云海局")
    (cfg.raw / "good.txt").write_text(text, encoding="utf-8")
    report = run(cfg)
    with (Path(report.report_dir) / "unknown_departments.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["canonical"], r["aliases"], r["jurisdiction"], r["count"]) for r in rows] == [
        ("天津市星空办", "市星空办", "天津市", "2"), ("天津市云海局", "市云海局", "天津市", "1")]
    assert rows[0]["first_source"].startswith("good.txt:line ")
    assert list(rows[0])[:4] == ["canonical", "aliases", "jurisdiction", "kind"]  # the registry's own columns first


def _banner(summary: Path) -> tuple[str, str, str]:
    from lxml import html as lhtml

    p = lhtml.fromstring(summary.read_text(encoding="utf-8")).get_element_by_id("verdict")
    return p.get("class"), p.get("data-exit-code"), p.text_content().strip()


@pytest.fixture(scope="module")
def three_outcomes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, list]:
    """Runs that exit 0 (published), 2 (--strict with a failing notice: nothing published) and 1
    (the failing notice held back, the other already in curated/: no notice checked again)."""
    from .test_gate import GOOD_ROWS, OTHER, notice

    tmp = tmp_path_factory.mktemp("outcomes")
    cfg = Config(raw=tmp / "raw", interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False)
    cfg.raw.mkdir()
    (cfg.raw / "good.txt").write_text(OTHER, encoding="utf-8")
    runs = [run(cfg)]
    (cfg.raw / "bad.txt").write_text(notice([GOOD_ROWS[0], GOOD_ROWS[1].replace("2026年6月", "2026年13月")]), encoding="utf-8")
    runs.append(run(replace(cfg, strict=True)))
    runs.append(run(cfg))
    return cfg, runs


def test_banner_run_json_runs_index_console_and_exit_code_agree(three_outcomes: tuple, caplog: pytest.LogCaptureFixture) -> None:
    """"Passed" only where the run exits 0; the banner, run.json, the runs index and the console's
    last line say the same outcome with the same exit code, for exits 0, 1 and 2."""
    from lxml import html as lhtml

    cfg, runs = three_outcomes
    assert [r.exit_code for r in runs] == [0, 2, 1] and [r.verdict for r in runs] == ["published", "blocked", "unchanged"]
    index = lhtml.fromstring((cfg.reports / "index.html").read_text(encoding="utf-8"))
    rows = {tr.xpath("td")[0].text_content().strip(): tr.xpath("td") for tr in index.xpath("//table[@id='runs']/tbody/tr")}
    words = {0: ("v-ok", "Passed: ", "passed"), 1: ("v-warn", "Held back: 1 notice(s)", "held back"), 2: ("v-bad", "Blocked: nothing published", "blocked")}
    for r in runs:
        folder = Path(r.report_dir)
        cls, line, word = words[r.exit_code]
        saved = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert (saved["exit_code"], saved["verdict"]) == (r.exit_code, r.verdict)
        banner_class, banner_exit, banner = _banner(folder / "summary.html")
        assert banner_class == f"verdict {cls}" and banner_exit == str(r.exit_code) and banner.startswith(line), banner
        assert ("Passed" in banner) == (r.exit_code == 0)
        cells = rows[r.run_id]
        assert cells[2].text_content().split()[:len(word.split())] == word.split() and cells[3].text_content().strip() == str(r.exit_code)
        assert cells[2].get("title") == banner
    # the console's last line, from a run with nothing changed: that run's outcome, and its exit code
    with caplog.at_level(logging.INFO, logger="pipeline"):
        again = run(cfg)
    assert again.exit_code == 1 and caplog.records[-1].getMessage() == f"{_banner(Path(runs[2].report_dir) / 'summary.html')[2]} (exit code 1)"


def _without_network(report: Path, tmp: Path) -> Path:
    """The report folder as an auditor gets it: copied elsewhere, without raw/ or reports/ beside it."""
    target = tmp / "elsewhere" / report.name
    shutil.copytree(report, target)
    return target


def test_data_docs_open_offline_from_a_copied_report(three_outcomes: tuple, tmp_path: Path) -> None:
    """The last run checked no notice again: its report carries the last Data Docs, said so. Copied
    to a place with no network, they render in Chromium with their styles, their index lists the
    validations, and the failing row shows its file, place and raw text."""
    from lxml import html as lhtml

    _, runs = three_outcomes
    assert runs[2].validated == []
    summary = (Path(runs[2].report_dir) / "summary.html").read_text(encoding="utf-8")
    assert f"these are the Data Docs of run {runs[1].run_id}" in summary and 'href="data_docs/index.html"' in summary
    docs = _without_network(Path(runs[2].report_dir), tmp_path) / "data_docs"
    for page in docs.rglob("*.html"):  # nothing a page loads comes from the network
        loaded = re.findall(r"""<(?:link|script|img|iframe)\b[^>]*\b(?:href|src)=["']?((?:https?:)?//[^"' >]+)""", page.read_text(encoding="utf-8"))
        assert not loaded, (page, loaded)
        for sheet in re.findall(r'<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"', page.read_text(encoding="utf-8")):
            assert (page.parent / sheet).resolve().is_file(), (page, sheet)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", (docs / "static" / "styles" / "data_docs.css").read_text(encoding="utf-8"))
    # the styles load: a copy of the index reports what Chromium applied to it
    probe = docs / "probe.html"
    probe.write_text((docs / "index.html").read_text(encoding="utf-8").replace("</body>", "<script>document.body.dataset.applied = ["
                     "document.styleSheets.length, document.styleSheets[0].href, getComputedStyle(document.body).fontFamily,"
                     "getComputedStyle(document.querySelector('th')).borderTopStyle].join('|')</script></body>"), encoding="utf-8")
    body = lhtml.fromstring(_dump_dom(probe, tmp_path)).find("body")
    sheets, href, font, border = body.get("data-applied").split("|")
    assert int(sheets) == 1 and href == (docs / "static" / "styles" / "data_docs.css").as_uri() and "system-ui" in font and border == "solid"
    # the index lists the validations, each linked to its page (and renders: a screenshot is taken)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    shot = tmp_path / "index.png"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900", f"--screenshot={shot}",
                    (docs / "index.html").as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    dom = lhtml.fromstring(_dump_dom(docs / "index.html", tmp_path))
    listed = {tr.xpath("td")[1].text_content().strip(): tr for tr in dom.xpath("//table[@id='validations']/tbody/tr")}
    assert set(listed) == {"completeness", "completion_dates", "departments", "notices", "numbering"}
    assert "failed" in listed["completion_dates"].xpath("td")[0].text_content() and "passed" in listed["numbering"].xpath("td")[0].text_content()
    for href in _links(lhtml.tostring(dom, encoding="unicode")):
        assert (docs / unquote(href)).exists(), href
    # the failing row, on its validation page: its file, its place, its raw text
    failing = next(f for f in pq.read_table(Path(runs[1].report_dir) / "failures.parquet").to_pylist()
                   if f["rule"].startswith("completion_dates.expect_deadlines_to_name_existing_months"))
    page = docs / listed["completion_dates"].xpath(".//a")[0].get("href")
    rows = [[td.text_content().strip() for td in tr.xpath("td")] for tr in lhtml.fromstring(_dump_dom(page, tmp_path)).xpath("//table//table//tr")]
    assert any(failing["source_file"] in r and failing["source_ref"] in r and any(failing["raw_text"][:10] in c for c in r) for r in rows), rows
    assert "Data asset: measures (run " in _dump_dom(page, tmp_path)


def test_the_runs_index_counts_every_row_of_each_published_table(tmp_path: Path) -> None:
    """Three notices in three part files: the runs index (runs.jsonl and index.html) counts the
    rows of the whole tables as read back from curated/, not those of the last part file; so does
    a run that finds nothing changed."""
    from lxml import html as lhtml

    from pipeline.publish import bucket_of

    from .test_gate import GOOD_ROWS, OTHER, THIRD, notice

    cfg = Config(raw=tmp_path / "raw", interim=tmp_path / "interim", curated=tmp_path / "curated", reports=tmp_path / "reports", progress=False)
    cfg.raw.mkdir()
    for name, text in (("good", notice(GOOD_ROWS)), ("other", OTHER), ("third", THIRD)):
        (cfg.raw / f"{name}.txt").write_text(text, encoding="utf-8")
    assert len({bucket_of(n) for n in ("good", "other", "third")}) == 3
    runs = [run(cfg), run(cfg)]
    assert [r.verdict for r in runs] == ["published", "unchanged"]
    measures, pairs = (pq.read_table(cfg.curated / t).num_rows for t in ("measures", "measure_departments"))
    assert (measures, pairs) == (5, 6)  # 3 + 1 + 1 measures; good's second row names two departments
    assert len(list((cfg.curated / "measures").glob("part-*.parquet"))) == 3
    lines = [json.loads(x) for x in (cfg.reports / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(x["notices"], x["measures"], x["pairs"]) for x in lines] == [(3, measures, pairs)] * 2
    cells = [[td.text_content().strip() for td in tr.xpath("td")]
             for tr in lhtml.fromstring((cfg.reports / "index.html").read_text(encoding="utf-8")).xpath("//table[@id='runs']/tbody/tr")]
    assert [c[4:7] for c in cells] == [["3", str(measures), str(pairs)]] * 2
