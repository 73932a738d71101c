"""`status`: the last run, what is held back and why, and what changed in raw/ since — read from
interim/.pipeline/run.json, curated's manifest and raw/ (hashes kept by stat). Nothing is
written, no lock is taken, no heavy library is imported.

The facts are gathered once (`status_facts`) and printed as lines for a person or as one JSON
document for a scheduler (`--format json`): both say the same.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from ..extract import discover
from ..publish import current_manifest
from .state import STATE, Config, FileHashes, RunReport, load_state, own

SHOWN = 5  # files named per kind of change in the text; the JSON names every one


def status(cfg: Config, out: TextIO | None = None, fmt: str = "text") -> int:
    out = out or sys.stdout
    facts = status_facts(cfg)
    if fmt == "json":
        print(json.dumps(facts, ensure_ascii=False, indent=2), file=out)
    else:
        for line in _lines(cfg, facts):
            print(line, file=out)
    return 0


def status_facts(cfg: Config) -> dict[str, Any]:
    """What `status` says, as data: `last_run` (null before the first run), `curated` (its version
    null when nothing is published), `held_back` (each notice with why and whether curated/ keeps a
    version of it; `held_back_as_of` names the version that says so when the last run did not
    finish), and `raw` (its files added, changed and removed since the last run; null lists
    before the first)."""
    report = load_state(cfg) if (own(cfg.interim) / STATE).exists() else None
    manifest = current_manifest(cfg.curated) or {}
    held, as_of = _held_back(report, manifest) if report is not None else ([], None)
    return {"command": "status", "interim": str(cfg.interim), "last_run": _last_run(report) if report is not None else None,
            "curated": _curated(cfg, manifest), "held_back": held, "held_back_as_of": as_of, "raw": _raw_since(cfg, report)}


def _last_run(report: RunReport) -> dict[str, Any]:
    summary = Path(report.report_dir) / "summary.html" if report.report_dir else None
    return {"run_id": report.run_id, "started": report.started, "finished": bool(report.verdict), "verdict": report.verdict or None,
            "exit_code": report.exit_code if report.verdict else None, "notices": len(report.notices), "stages_run": list(report.stages_run),
            "select": list(report.selection), "left_out": len(report.unselected),
            "report": str(summary) if summary is not None and summary.exists() else None}


def _curated(cfg: Config, manifest: dict) -> dict[str, Any]:
    rows: Counter[str] = Counter()
    for f in manifest.get("published", []):
        rows[f["table"]] += f["rows"]
    return {"path": str(cfg.curated), "version": manifest.get("version"), "run_id": manifest.get("run_id"),
            "notices": rows["notices"], "measures": rows["measures"], "pairs": rows["measure_departments"]}


def _held_back(report: RunReport, manifest: dict) -> tuple[list[dict[str, Any]], str | None]:
    """The notices the last run held back, with why, and whether curated/ keeps a version of each;
    for a run cut short or a stage run on its own, what the version in force says (and which)."""
    if not report.verdict:
        return [{"notice_id": nid, "why": list(r), "curated_keeps": None} for nid, r in manifest.get("held_back", {}).items()], manifest.get("version")
    kept = set(manifest.get("notices", {}))
    return [{"notice_id": st.notice_id, "why": list(st.held_because), "curated_keeps": st.notice_id in kept}
            for st in report.notices if st.status == "held back"], None


def _raw_since(cfg: Config, report: RunReport | None) -> dict[str, Any]:
    """The files of raw/ added, changed or removed since the last run."""
    if not cfg.raw.is_dir():
        return {"path": str(cfg.raw), "exists": False, "notices": 0, "added": None, "changed": None, "removed": None}
    found = discover(cfg.raw)
    hashes = FileHashes(cfg.interim)  # by stat; nothing is written
    now = {rn.notice_id: (rn.name, hashes.of(rn.path)) for rn in found.notices}
    out: dict[str, Any] = {"path": str(cfg.raw), "exists": True, "notices": len(now), "added": None, "changed": None, "removed": None}
    if report is None:
        return out
    then = {st.notice_id: (st.source_file, st.sha256) for st in report.notices}
    left_out = set(report.unselected)
    out["added"] = sorted(now[n][0] for n in now.keys() - then.keys() - left_out)
    out["removed"] = sorted(then[n][0] for n in then.keys() - now.keys())
    out["changed"] = sorted(now[n][0] for n in now.keys() & then.keys() if now[n][1] != then[n][1])
    return out


# -- the same facts as lines for a person --------------------------------------------------------

def _lines(cfg: Config, facts: dict[str, Any]) -> list[str]:
    run = facts["last_run"]
    if run is None:
        return [f"no run yet in {cfg.interim}: `notice-pipeline run` makes the first"]
    return [*_run_lines(run), *_curated_lines(facts["curated"]), *_held_lines(facts), *_raw_lines(facts["raw"])]


def _run_lines(run: dict[str, Any]) -> list[str]:
    stages = " ".join(run["stages_run"])
    lines = [f"last run   {run['run_id']} (started {run['started']}): {run['verdict'] or 'not finished: stages ' + stages}"
             + (f", exit code {run['exit_code']}" if run["finished"] else "")]
    lines.append(f"           {run['notices']} notice(s), stages run: {stages}"
                 + (f"; --select {' '.join(run['select'])} left out {run['left_out']}" if run["select"] else ""))
    if run["report"]:
        lines.append(f"           report: {run['report']}")
    return lines


def _curated_lines(c: dict[str, Any]) -> list[str]:
    if c["version"] is None:
        return [f"curated    {c['path']}: nothing published yet"]
    return [f"curated    {c['path']} -> version {c['version']} (run {c['run_id']}): {c['notices']} notices, {c['measures']} measures, "
            f"{c['pairs']} pairs"]


def _held_lines(facts: dict[str, Any]) -> list[str]:
    held = facts["held_back"]
    if facts["held_back_as_of"] is not None or not facts["last_run"]["finished"]:
        return [f"held back  {len(held)} (as of version {facts['held_back_as_of']})", *(f"  {h['notice_id']}: {'; '.join(h['why'])[:300]}" for h in held)]
    lines = [f"held back  {len(held)}"]
    for h in held:
        where = "its last published version stays in curated/" if h["curated_keeps"] else "nothing of it is in curated/"
        lines.append(f"  {h['notice_id']}: {'; '.join(h['why'])[:300] or 'held back with every notice'} ({where})")
    return lines


def _raw_lines(raw: dict[str, Any]) -> list[str]:
    if not raw["exists"]:
        return [f"raw/       {raw['path']} does not exist"]
    if not (raw["added"] or raw["changed"] or raw["removed"]):
        return [f"raw/       no file added, changed or removed since the last run ({raw['notices']} notice(s))"]
    parts = [f"{len(xs)} {what} ({', '.join(xs[:SHOWN])}{' …' if len(xs) > SHOWN else ''})" for what in ("added", "changed", "removed")
             if (xs := raw[what])]
    return [f"raw/       since the last run: {'; '.join(parts)}", "           `notice-pipeline plan` says what a run would redo"]
