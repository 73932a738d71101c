"""Command line: `python -m pipeline run`, plus one subcommand per stage."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from .run import ROOT, Config, run, run_stage


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--raw", type=Path, default=ROOT / "raw", help="folder of raw notices (default: raw/)")
    p.add_argument("--interim", type=Path, default=ROOT / "interim", help="folder for intermediate results")
    p.add_argument("--curated", type=Path, default=ROOT / "curated", help="folder the Parquet tables are published to")
    p.add_argument("--reports", type=Path, default=None, help="folder for run reports (default: reports/ beside curated/)")
    p.add_argument("--jobs", type=int, default=0, help="notices extracted in parallel (default: one per core)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds allowed to extract one notice")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    p.add_argument("--strict", action="store_true", help="all or nothing: one notice failing a blocking check holds back every notice")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    ap = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    _common(sub.add_parser("run", help="extract, structure, normalize, validate and publish"))
    for name, text in (("extract", "raw/ -> interim/<id>/document.json (only new or changed files)"),
                       ("outline", "document.json -> outline.json (the tree of numbered levels)"),
                       ("structure", "document.json + outline.json -> measures.json"),
                       ("normalize", "measures.json -> normalized.json and the candidate tables"),
                       ("validate", "candidate tables through the Great Expectations suites"),
                       ("publish", "candidate tables to curated/ when the blocking checks passed")):
        _common(sub.add_parser(name, help=text))
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if a.quiet else logging.INFO, format="%(levelname)-7s %(message)s")
    reports = a.reports or a.curated.resolve().parent / "reports"
    cfg = Config(raw=a.raw, interim=a.interim, curated=a.curated, reports=reports, jobs=a.jobs, timeout=a.timeout, strict=a.strict)
    if a.command == "run":
        return run(cfg).exit_code
    return run_stage(cfg, a.command)
