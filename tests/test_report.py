"""The auditors' report: self-contained HTML that renders offline, and a verifiable manifest."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

from pipeline.publish import sha256_file

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
        assert escape(r["description"]) in html


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
    assert json.loads((Path(report.report_dir) / "manifest.json").read_text(encoding="utf-8")) == manifest
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
    assert "Passed: published to curated/" in dom and "measure_no is unique within each notice and part" in dom
