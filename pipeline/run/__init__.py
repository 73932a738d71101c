"""Orchestration: raw/ → interim/ → validated → curated/, incrementally.

    run(cfg) -> RunReport            every stage in order
    run_stage(cfg, name) -> int      one stage, continuing the state left in interim/

state.py holds the run's configuration and report, cache.py what each stage's cache is keyed
on, folder.py a notice's files in interim/, executor.py where the per-notice work runs,
extracting.py, stages.py (outline, structure, normalize), validating.py and publishing.py the
stages over interim/, watch.py the `watch` command. A stage's module is imported when the stage runs: a run that finds nothing
changed imports neither pandas, pyarrow nor Great Expectations.
"""

from __future__ import annotations

import gc
import importlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

from ..errors import Refused
from ..files import write_json
from ..lock import exclusive
from ..logs import event
from ..publish import current_manifest, store
from ..publish.gate import EXIT_HELD_BACK, EXIT_NOTHING, EXIT_PUBLISHED
from ..report import console_digest, headline, record_run, settle, skipped_digest
from ..settings import config_problem
from .cache import input_fingerprint, record_code, up_to_date
from .executors import executor_for
from .folders import check_folders
from .selection import check as check_selectors
from .state import (
    PUBLISHED,
    ROOT,
    Config,
    NoticeStatus,
    RunReport,
    load_state,
    migrate_state,
    new_report,
    own,
    save_state,
)

__all__ = ["EXIT_HELD_BACK", "EXIT_NOTHING", "EXIT_PUBLISHED", "ROOT", "Config", "NoticeStatus", "RunReport", "run", "run_stage"]

log = logging.getLogger("pipeline")


STAGES = ("extract", "outline", "structure", "normalize", "validate", "publish")
MODULE = {"extract": "extracting", "notices": "notices", "validate": "validating", "publish": "publishing"}  # a stage's module (default: stages)


def stage(name: str) -> Callable[..., None]:
    """A stage's function, its module imported now. What the run holds by then (the modules,
    jieba's dictionary, the notices' states) lives to its end: frozen, it is kept out of the
    garbage collections of what the stage makes, which otherwise walk it again and again (a
    tenth of a small run's CPU went there while Great Expectations was imported)."""
    fn = getattr(importlib.import_module(f".{MODULE.get(name, 'stages')}", __package__), f"stage_{name}")
    gc.freeze()
    return fn


def refuse_unfit(cfg: Config, select: list[str] | None = None, reads_raw: bool = False) -> None:
    """Settings no run may take, folders that meet and a raw/ that is not there (for a command
    that reads it) are refused before any folder is touched (the command line names a setting's
    option or file first; this holds for a Config built in code too)."""
    if problem := config_problem(cfg):
        raise Refused("settings", problem)
    check_selectors(select or [])
    if reads_raw and not cfg.raw.is_dir():
        raise Refused(cfg.raw, "the raw folder does not exist")
    if overlap := check_folders(cfg):
        raise Refused(*overlap)


def run_stage(cfg: Config, name: str, select: list[str] | None = None) -> int:
    """One stage on its own, continuing the run state left in interim/ (extract starts it, with
    the notices `select` selects: the stages after it continue with them)."""
    refuse_unfit(cfg, select, reads_raw=name == "extract")
    with ExitStack() as held:
        held.enter_context(exclusive(cfg.interim, "interim/", name))
        if name == "publish":
            held.enter_context(_curated_lock(cfg, name))
        migrate_state(cfg.interim)
        return _run_stage(cfg, name, select)


def _curated_lock(cfg: Config, holder: str) -> AbstractContextManager[None]:
    """The one lock of every command that changes `curated` (run, publish, rollback): held from
    the manifest read before a publish to the report after it, so no rollback lands between."""
    return exclusive(store(cfg.curated), "curated", holder, cfg.curated)


def _run_stage(cfg: Config, name: str, select: list[str] | None) -> int:
    report = new_report(cfg, select) if name == "extract" else load_state(cfg)
    if name == "extract":
        cfg.interim.mkdir(parents=True, exist_ok=True)
    stage(name)(cfg, report)
    save_state(cfg, report)
    if name != "extract":
        record_code(cfg.interim)
    return report.exit_code if name == "publish" else (EXIT_HELD_BACK if name == "validate" and not report.validation.get("passed") else 0)


def run(cfg: Config, select: list[str] | None = None) -> RunReport:
    """Every stage in order; when nothing that makes the tables changed, only extract's check.
    With `select` (--select), only the notices it selects: curated/ keeps the others as it holds them."""
    refuse_unfit(cfg, select, reads_raw=True)
    with exclusive(cfg.interim, "interim/", "run"), _curated_lock(cfg, "run"):
        migrate_state(cfg.interim)
        return _run(cfg, select)


def _run(cfg: Config, select: list[str] | None) -> RunReport:
    report = new_report(cfg, select)
    t0 = time.perf_counter()
    extracting = importlib.import_module(".extracting", __package__)
    work = extracting.to_extract(cfg, report)  # here, not in a worker: a run that finds nothing changed starts none
    for st in report.notices:
        if st.notice_id in work.cached:
            extracting.report_read(st, work.cached[st.notice_id], report)
    report.stage_seconds["extract"] = round(time.perf_counter() - t0, 2)
    if report.selection and not report.notices:
        extracting.prune(cfg, report)
        save_state(cfg, report)
        _none_selected(cfg, report)
        return report
    if not work.todo:
        extracting.prune(cfg, report)
        save_state(cfg, report)
        last = up_to_date(cfg, input_fingerprint(cfg, report, set()))
        if last is not None:
            _unchanged(cfg, report, last)
            _say_outcome(report)
            return report
    executor = executor_for(cfg)  # one for the notices' tasks and the validation chunks' (a Dask run's cluster, started once)
    try:
        t0 = time.perf_counter()
        facts = stage("notices")(cfg, report, work, executor)  # one task per notice: extract, outline, structure, normalize
        del work  # what a notice's extraction was keyed on: not held to the end of a large run
        report.stage_seconds["notices"] = round(time.perf_counter() - t0, 2)
        report.stages_run += ["outline", "structure", "normalize"]
        save_state(cfg, report)
        # as a run that reads no notice again computes it: a notice is unreadable when its extraction
        # failed, not when a later stage broke on it (its extraction is cached then)
        fingerprint = input_fingerprint(cfg, report, {f.notice_id for f in report.findings if f.code == "extract-failed"})
        _timed(cfg, report, "validate", facts=facts, executor=executor)  # what the tasks handed back: no summary read again
        del facts  # read by validate only
    finally:
        executor.close()
    _timed(cfg, report, "publish")
    record_code(cfg.interim)
    _digests(report)
    if report.verdict in ("published", "unchanged"):  # what a run that finds nothing changed says again
        digest = (current_manifest(cfg.curated) or {}).get("content_hash")
        write_json(own(cfg.interim) / PUBLISHED, {"input_fingerprint": fingerprint, "content_hash": digest, "run_id": report.run_id,
                                                  "report_dir": report.report_dir, "exit_code": report.exit_code,
                                                  "validation": report.validation}, indent=None)
    _say_outcome(report)
    return report


def _timed(cfg: Config, report: RunReport, name: str, **kw: object) -> None:
    t0 = time.perf_counter()
    stage(name)(cfg, report, **kw)
    report.stage_seconds[name] = round(time.perf_counter() - t0, 2)
    report.stages_run.append(name)
    save_state(cfg, report)


def _digests(report: RunReport) -> None:
    """The end of a run: the entries of raw/ not read, then what held notices back, a line each
    (`rule | notice | file:place | value | raw text`: the notice is the line's second field)."""
    for line in skipped_digest(report):
        log.warning("%s", line, extra=event("raw.skipped"))
    for line in console_digest(report):
        fields = line.split(" | ")
        log.error("%s", line, extra=event("notice.problem" if len(fields) == 5 else "problems", fields[1] if len(fields) == 5 else None))


def _none_selected(cfg: Config, report: RunReport) -> None:
    """--select selected no notice (state:modified, nothing new or changed): nothing to do, and
    curated/ is as it was."""
    report.stages_run, report.verdict, report.exit_code = ["extract"], "unchanged", EXIT_PUBLISHED
    report.manifest = current_manifest(cfg.curated) or {}
    report.published = report.manifest.get("published", [])
    log.info("--select %s selects no notice: nothing to do; curated/ is as it was", " ".join(report.selection), extra=event("select.none"))
    save_state(cfg, report)


def _unchanged(cfg: Config, report: RunReport, last: dict) -> None:
    """Nothing that makes the tables changed: the run says what the run that published them said
    — its validation, each notice's status as curated/'s manifest records it, its exit code —
    and the last report stays the latest (a run that checked nothing does not replace it)."""
    report.stages_run = ["extract"]
    report.verdict = "unchanged"
    report.exit_code = last["exit_code"]
    report.manifest = current_manifest(cfg.curated) or {}
    report.published = report.manifest.get("published", [])
    # what that run validated, and with which registry: a publish after this run checks it is what it publishes
    report.validation, report.validated_by = last["validation"], last["run_id"]
    report.report_dir = last.get("report_dir", "")
    inputs = {i["notice_id"]: i for i in report.manifest.get("inputs", [])}
    # held back by that run's validation: a notice never published is in no manifest, and a
    # publish that found curated/ unchanged wrote none
    held = report.validation.get("held_back") or {}
    for st in report.notices:
        st.status = "held back" if st.notice_id in held else inputs.get(st.notice_id, {}).get("status", "")
        st.held_because = held.get(st.notice_id) or inputs.get(st.notice_id, {}).get("held_because", [])
    log.info("nothing changed since the last publish: curated/ is up to date; last validated by run %s (report: %s)",
             last["run_id"], Path(report.report_dir) / "summary.html", extra=event("run.unchanged"))
    for nid, rules in sorted((report.validation.get("held_back") or {}).items()):
        log.error("still held back %s: %s", nid, "; ".join(rules)[:300], extra=event("notice.held_back", nid, rules=rules))
    for line in skipped_digest(report):
        log.warning("%s", line, extra=event("raw.skipped"))
    try:
        settle(cfg.reports, report.manifest.get("run_id"))
        record_run(report, cfg.reports)
    except OSError as exc:  # a full disk under reports/: said, and the run stands
        log.error("%s: cannot add the run to the runs index: %s", cfg.reports, exc.strerror or exc, extra=event("report.failed"))
    save_state(cfg, report)


def _say_outcome(report: RunReport) -> None:
    """The run's last line: its outcome as the summary's banner and the runs index say it."""
    words = headline(report.verdict, report.exit_code, sum(n.status == "held back" for n in report.notices))[1]
    log.log({0: logging.INFO, 1: logging.WARNING}.get(report.exit_code, logging.ERROR), "%s (exit code %d)", words, report.exit_code,
            extra=event("run.outcome", exit_code=report.exit_code, verdict=report.verdict))
