"""`status`: the last run, what is held back and why, and what changed in raw/ since — read from
interim/.pipeline/run.json, curated's manifest and raw/ (hashes kept by stat). Nothing is
written, no lock is taken, no heavy library is imported."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from ..extract import discover
from ..publish import current_manifest
from .state import STATE, Config, FileHashes, RunReport, load_state, own


def status(cfg: Config, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if not (own(cfg.interim) / STATE).exists():
        print(f"no run yet in {cfg.interim}: `notice-pipeline run` makes the first", file=out)
        return 0
    report = load_state(cfg)
    manifest = current_manifest(cfg.curated) or {}
    for line in (*_last_run(report), *_curated(cfg, manifest), *_held_back(report, manifest), *_raw_since(cfg, report)):
        print(line, file=out)
    return 0


def _last_run(report: RunReport) -> list[str]:
    stages = " ".join(report.stages_run)
    lines = [f"last run   {report.run_id} (started {report.started}): {report.verdict or 'not finished: stages ' + stages}"
             + (f", exit code {report.exit_code}" if report.verdict else "")]
    lines.append(f"           {len(report.notices)} notice(s), stages run: {stages}"
                 + (f"; --select {' '.join(report.selection)} left out {len(report.unselected)}" if report.selection else ""))
    if report.report_dir and (Path(report.report_dir) / "summary.html").exists():
        lines.append(f"           report: {Path(report.report_dir) / 'summary.html'}")
    return lines


def _curated(cfg: Config, manifest: dict) -> list[str]:
    if not manifest:
        return [f"curated    {cfg.curated}: nothing published yet"]
    rows: Counter[str] = Counter()
    for f in manifest.get("published", []):
        rows[f["table"]] += f["rows"]
    return [f"curated    {cfg.curated} -> version {manifest.get('version')} (run {manifest.get('run_id')}): {rows['notices']} notices, "
            f"{rows['measures']} measures, {rows['measure_departments']} pairs"]


def _held_back(report: RunReport, manifest: dict) -> list[str]:
    """The notices the last run held back, with why, and what curated/ keeps of each."""
    held = [st for st in report.notices if st.status == "held back"]
    if not report.verdict:  # a run cut short or a stage run on its own: what the version in force says
        held_by = manifest.get("held_back", {})
        return [f"held back  {len(held_by)} (as of version {manifest.get('version')})", *(f"  {nid}: {'; '.join(r)[:300]}" for nid, r in held_by.items())]
    kept = set(manifest.get("notices", {}))
    lines = [f"held back  {len(held)}"]
    for st in held:
        where = "its last published version stays in curated/" if st.notice_id in kept else "nothing of it is in curated/"
        lines.append(f"  {st.notice_id}: {'; '.join(st.held_because)[:300] or 'held back with every notice'} ({where})")
    return lines


def _raw_since(cfg: Config, report: RunReport) -> list[str]:
    """The files of raw/ added, changed or removed since the last run."""
    if not cfg.raw.is_dir():
        return [f"raw/       {cfg.raw} does not exist"]
    found = discover(cfg.raw)
    hashes = FileHashes(cfg.interim)  # by stat; nothing is written
    now = {rn.notice_id: (rn.name, hashes.of(rn.path)) for rn in found.notices}
    then = {st.notice_id: (st.source_file, st.sha256) for st in report.notices}
    left_out = set(report.unselected)
    added = sorted(now[n][0] for n in now.keys() - then.keys() - left_out)
    removed = sorted(then[n][0] for n in then.keys() - now.keys())
    changed = sorted(now[n][0] for n in now.keys() & then.keys() if now[n][1] != then[n][1])
    if not (added or removed or changed):
        return [f"raw/       no file added, changed or removed since the last run ({len(now)} notice(s))"]
    parts = [f"{len(xs)} {what} ({', '.join(xs[:5])}{' …' if len(xs) > 5 else ''})" for what, xs in
             (("added", added), ("changed", changed), ("removed", removed)) if xs]
    return [f"raw/       since the last run: {'; '.join(parts)}", "           `notice-pipeline plan` says what a run would redo"]
