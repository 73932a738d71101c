"""`plan`: what a run would redo and why, without doing it.

Each notice's keys are computed as the run computes them (run/cache.py, extracting.cache_key)
and compared with the keys its results in interim/ were made with; where one differs, the part
that changed says why: its file, the reader, a library, the code a step runs (the modules named),
the wording it reads (the files named), the registry, the step before it. A notice whose file
must be read again is planned up to its extraction: what follows depends on the document read.
Its checks: again when its rows change or what every check reads did (the suites, the wording,
the code validate runs, the libraries); a fact across notices that changes may add some. Nothing
is written, no lock is taken; the heavy libraries are not imported.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..extract import discover, shown_name
from ..publish import current_manifest
from . import refuse_unfit
from .cache import Key, code_changed, input_fingerprint, pieces_key, stage_key, suites_fingerprint, up_to_date
from .extracting import as_read, cache_key, why_extract
from .folder import NoticeFolder
from .selection import select
from .state import Config, FileHashes, NoticeStatus, RunReport

STEPS = ("extract", "outline", "structure", "normalize", "rows", "checks")
AFTER_EXTRACT = "redone where the document read differs"


@dataclass
class NoticePlan:
    notice_id: str
    source_file: str
    steps: dict[str, str] = field(default_factory=dict)  # step -> why it is redone


def plan(cfg: Config, select_: list[str] | None = None, out: TextIO | None = None, fmt: str = "text") -> int:
    """Print what `run` (with the same settings and --select) would redo, notice by notice, and
    why: as lines for a person, or as one JSON document for a scheduler (`fmt` "json")."""
    out = out or sys.stdout
    facts = plan_facts(cfg, select_ or [])
    if fmt == "json":
        print(json.dumps(facts, ensure_ascii=False, indent=2), file=out)
    else:
        for line in _lines(facts):
            print(line, file=out)
    return 0


def plan_facts(cfg: Config, select_: list[str]) -> dict[str, Any]:
    """What `plan` says, as data: the notices a run would take and how many are up to date; per
    notice to redo, its steps with why (`then`: what follows a new reading); the notices that leave
    curated/; how many notices each step redoes; whether a run would publish, or stop after
    looking at raw/ because nothing changed since the last publish; and the closing sentence."""
    refuse_unfit(cfg, select_, reads_raw=True)
    notices, keys, gone = _found(cfg, select_)
    facts: dict[str, Any] = {"command": "plan", "raw": str(cfg.raw), "interim": str(cfg.interim), "curated": str(cfg.curated),
                             "select": list(select_), "notices": len(notices), "up_to_date": len(notices), "redo": [], "leave_curated": [],
                             "steps": dict.fromkeys(STEPS, 0), "nothing_changed": False, "publish": False}
    if select_ and not notices:
        facts["summary"] = f"--select {' '.join(select_)} selects no notice: a run would do nothing"
        return facts
    planned = [_plan_notice(cfg, st, keys[st.notice_id]) for st in notices]
    suites = suites_fingerprint(cfg)
    for p, st in zip(planned, notices, strict=True):
        if "rows" not in p.steps and "extract" not in p.steps:
            old = NoticeFolder.of(cfg.interim, st.notice_id).key_parts("validation")
            if old.get("suites") != suites:
                p.steps["checks"] = "what every check reads changed (the suites, the wording, the code validate runs or a library)" \
                    if old else "not checked before"
        elif "rows" in p.steps:
            p.steps["checks"] = "if its rows change"
    return _facts(cfg, facts, planned, gone, notices)


def _found(cfg: Config, selectors: list[str]) -> tuple[list[NoticeStatus], dict[str, dict], list[str]]:
    """The notices of raw/ a run would take (with --select, those it selects), the keys of their
    extraction, and the notices curated/ holds that left raw/."""
    found = discover(cfg.raw)
    hashes = FileHashes(cfg.interim)  # hashes kept by stat; nothing is written
    notices, keys = [], {}
    for rn in found.notices:
        sha = hashes.of(rn.path)
        notices.append(NoticeStatus(rn.notice_id, rn.name, rn.format, sha, [shown_name(a)[0] for a in rn.alternates]))
        keys[rn.notice_id] = cache_key(rn, sha, [[shown_name(a)[0], hashes.of(a)] for a in rn.alternates])
    inputs = (current_manifest(cfg.curated) or {}).get("inputs", [])
    if selectors:
        chosen = select([(st.notice_id, st.source_file, st.sha256) for st in notices], selectors, {i["notice_id"]: i["sha256"] for i in inputs})
        notices = [st for st in notices if st.notice_id in chosen]
    here = {rn.notice_id for rn in found.notices}
    gone = sorted(i["notice_id"] for i in inputs if i["notice_id"] not in here and i.get("status") == "published")
    return notices, keys, gone


def _plan_notice(cfg: Config, st: NoticeStatus, key: dict) -> NoticePlan:
    p = NoticePlan(st.notice_id, st.source_file)
    folder = NoticeFolder.of(cfg.interim, st.notice_id)
    if why := why_extract(folder, key):
        p.steps["extract"] = why
        return p
    meta = folder.extraction()
    as_read(st, meta)
    upstream = ""
    for stage, before in (("outline", ""), ("structure", "outline"), ("normalize", "structure")):
        k = stage_key(folder, stage, upstream)
        if not folder.cached(stage, k):
            p.steps[stage] = _why(cfg, folder, stage, k, before if before in p.steps else "")
        upstream = k
    if "normalize" in p.steps:
        p.steps["rows"] = "normalize is redone"
    elif (why := _why_rows(cfg, folder, st, upstream)) is not None:
        p.steps["rows"] = why
    return p


PART_WORDS = {"document": "its document changed (its file was read again)", "libraries": "a library that reads the words changed"}


def _why(cfg: Config, folder: NoticeFolder, stage: str, key: Key, before: str) -> str:
    """Why a cached step is redone: the part of its key that changed, in words."""
    if folder.key(stage) is None:
        return "not done before"
    if folder.key(stage) == key:
        return "its results are incomplete"
    if before:
        return f"{before} is redone"
    old = folder.key_parts(stage)
    changed = [part for part, value in key.parts.items() if part != "wording_files" and old.get(part) != value]
    if not old:
        return "what it was made from changed (its key was written by an earlier version)"
    words = []
    for part in changed:
        if part == "code":
            words.append("the code it runs changed" + _named(code_changed(cfg.interim, stage)))
        elif part == "wording":
            was, now = json.loads(old.get("wording_files") or "{}"), json.loads(key.parts["wording_files"])
            words.append("the wording it reads changed" + _named([f"{n}.toml" for n in sorted(now) if was.get(n) != now[n]] if was else []))
        elif part == "upstream":
            words.append("the step before it changed")
        else:
            words.append(PART_WORDS.get(part, f"its {part} changed"))
    return "; ".join(words) or "what it was made from changed"


def _named(files: list[str]) -> str:
    """ (a.py, b.py …): the files that changed, when known."""
    if not files:
        return ""
    return " (" + ", ".join(files[:4]) + (" …" if len(files) > 4 else "") + ")"


def _why_rows(cfg: Config, folder: NoticeFolder, st: NoticeStatus, normalize_key: str) -> str | None:
    """Why the notice's rows (its Arrow pieces) are written again, or None: the registry that
    resolves its names, its record (file, hash, what it says of itself)."""
    from ..normalize.tables import Source, notice_record
    from .stages import registry_at

    registry = registry_at(cfg.registry)
    record = notice_record(st.notice_id, folder.header(), Source(st.source_file, st.source_format, st.sha256, st.alternates), registry)
    key = pieces_key(normalize_key, registry.fingerprint, record)
    if folder.cached("tables", key):
        return None
    if folder.key("tables") is None:
        return "not written before"
    old = folder.key_parts("tables")
    words = [w for part, w in (("registry", "the registry changed"), ("record", "its file or what it says of itself changed"),
                               ("upstream", "its measures changed")) if old and old.get(part) != key.parts[part]]
    return "; ".join(words) or "what they were made from changed"


THEN = f"outline, structure, normalize, its rows and checks {AFTER_EXTRACT}"


def _facts(cfg: Config, facts: dict[str, Any], planned: list[NoticePlan], gone: list[str], notices: list[NoticeStatus]) -> dict[str, Any]:
    todo = [p for p in planned if p.steps]
    facts["redo"] = [{"notice_id": p.notice_id, "source_file": p.source_file, "steps": dict(p.steps),
                      "then": THEN if "extract" in p.steps else None} for p in todo]
    facts["leave_curated"] = [{"notice_id": nid, "why": f"its file is no longer in {cfg.raw}"} for nid in gone]
    facts["up_to_date"] = len(planned) - len(todo)
    counts = Counter(step for p in todo for step in p.steps)
    facts["steps"] = {step: counts[step] for step in STEPS}
    if not todo and not gone:
        report = RunReport("plan", "", "", str(cfg.raw), str(cfg.curated), notices=notices)
        facts["nothing_changed"] = up_to_date(cfg, input_fingerprint(cfg, report)) is not None
        facts["publish"] = not facts["nothing_changed"]
        what = ("nothing changed since the last publish: a run would look at raw/ and stop" if facts["nothing_changed"] else
                "every notice's results are up to date: a run would go through the stages from their caches, check nothing again and publish")
        facts["summary"] = f"{len(planned)} notice(s): {what}"
        return facts
    facts["publish"] = True
    doing = ", ".join(f"{step} {counts[step]}" for step in STEPS if counts[step])
    facts["summary"] = (f"{len(planned)} notice(s), {facts['up_to_date']} up to date; a run would redo: {doing}"
                        f"{f'; {len(gone)} notice(s) leave curated/' if gone else ''}; then publish")
    return facts


def _lines(facts: dict[str, Any]) -> list[str]:
    """The plan for a person: a line per notice to redo and per notice leaving curated/, then the summary."""
    width = max((len(x["notice_id"]) for x in (*facts["redo"], *facts["leave_curated"])), default=0)
    lines = []
    for p in facts["redo"]:
        steps = "; ".join(f"{step}: {why}" for step, why in p["steps"].items()) + (f"; then {p['then']}" if p["then"] else "")
        lines.append(f"{p['notice_id']:<{width}}  {steps}")
    lines += [f"{g['notice_id']:<{width}}  leaves curated/: {g['why']}" for g in facts["leave_curated"]]
    return [*lines, facts["summary"]]
