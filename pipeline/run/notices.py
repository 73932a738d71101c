"""A whole run's per-notice work: one task per notice runs extract → outline → structure →
normalize where the executor puts it (this machine's processes, or a Dask cluster's workers),
each stage checking its own cache key there, so the run never reads a notice's files to decide
what to redo. What goes to a task: the notice's id, its files' names in raw/, its extraction key
and the settings; what comes back, a few kilobytes: the notice's status, error, seconds, peak
memory, findings, counts and what validate reads of its summary (its pieces' digest, its record,
the names it writes: run/validating.py needs no summary read again). The extraction itself runs in a process of its
own inside the task (executor.isolate), with the same time and memory limits and messages as
the extract stage on its own.

The stages' own functions (extracting.extract_notice, stages.outline_step, structure_step,
normalize_step) do the work: a run and `python -m pipeline <stage>` make the same files."""

from __future__ import annotations

import logging
import os
import resource
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..errors import Finding
from ..extract import RawNotice
from ..logs import event
from ..model.interim import Facts
from ..wording import fingerprint as wording_fingerprint
from .cache import code_fingerprint
from .executor import WORKER_DIED, Executor, Limits, isolate
from .executors import executor_for
from .extracting import SAID, Work, as_read, extract_notice, extracted, preload, prune, report_read, why_it_ended
from .folder import NoticeFolder
from .progress import Progress
from .stages import failed_in, normalize_step, outline_step, registry_at, structure_step, write_candidate
from .state import Config, NoticeStatus, RunReport

log = logging.getLogger("pipeline")

STEPS = ("outline", "structure", "normalize")


@dataclass(frozen=True)
class Parse:
    """A notice to extract: its files' names in raw/ (as on disk, and as shown) and its key."""

    file: str
    shown: str
    alternates: tuple[str, ...]
    key: dict


@dataclass(frozen=True)
class Task:
    """What a notice's task is handed besides the settings."""

    status: NoticeStatus
    parse: Parse | None  # None: its extraction is cached


@dataclass
class Outcome:
    """What a notice's task hands back."""

    status: NoticeStatus  # as the stages left it: extraction, error, counts, the stages redone
    error: str = ""  # why it could not be extracted ("" when it was, or was cached)
    detail: str = ""  # the library's own words on it
    extraction: dict = field(default_factory=dict)  # what its reader said (extracting.SAID), when this task extracted it
    findings: list[Finding] = field(default_factory=list)
    facts: Facts | None = None  # what validate reads of its summary: None when it did not get through normalize
    seconds: dict[str, float] = field(default_factory=dict)
    peak_mb: float = 0.0  # the peak resident memory of the process that ran it, and of its extraction


@dataclass(frozen=True)
class Where:
    """The settings a task reads: the folders (absolute: a worker's working directory is its
    own), the extraction's limits, the registry the run resolved names with."""

    raw: Path
    interim: Path
    limits: Limits
    registry: Path
    registry_fingerprint: str


def through_the_stages(where: Where, task: Task) -> Outcome:
    """One notice from its raw file to its rows (in a worker)."""
    st = task.status
    out = Outcome(st)
    folder = NoticeFolder.of(where.interim, st.notice_id)
    if task.parse is not None:
        p = task.parse
        rn = RawNotice(st.notice_id, where.raw / p.file, [where.raw / a for a in p.alternates], p.shown)
        # loaded once in this process (a cluster's worker too, not only the local run's driver),
        # so the extraction's process inherits it rather than loading jieba's dictionary again
        preload([rn.path, *rn.alternates])
        ended = isolate(partial(extract_notice, rn, folder, p.key), where.limits)
        out.error, out.detail = why_it_ended(ended, folder, where.limits)
        out.seconds["extract"] = round(ended.seconds, 3)
        if out.error:
            st.extraction, st.error = "failed", out.error
            return _measured(out)
        st.extraction, st.seconds = "parsed", round(ended.seconds, 3)
        record = folder.extraction()
        as_read(st, record)  # the form and bytes read: what normalize records of it
        out.extraction = {k: record[k] for k in SAID if k in record}  # the rest of what the run reads of it
    steps = {"outline": partial(outline_step, where.interim), "structure": partial(structure_step, where.interim),
             "normalize": partial(normalize_step, where.interim, where.registry, where.registry_fingerprint)}
    for name in STEPS:
        t0 = time.perf_counter()
        try:
            _, findings, extra = steps[name](st)
        except Exception as exc:  # a bug its content shows: this notice's error, never tried again
            log.debug("%s", st.notice_id, exc_info=True)
            out.findings.append(failed_in(st, name, f"{type(exc).__name__}: {exc}"))
            return _measured(out)
        out.seconds[name] = round(time.perf_counter() - t0, 3)
        out.findings += findings
    out.facts = extra if isinstance(extra, Facts) else None
    return _measured(out)


def _measured(out: Outcome) -> Outcome:
    own, children = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    out.peak_mb = round(max(own, children) / 1024, 1)
    return out


def tasks(report: RunReport, work: Work) -> list[Task]:
    """A task for every notice: those to extract with what their extraction needs."""
    parse = {rn.notice_id: Parse(rn.path.name, rn.name, tuple(a.name for a in rn.alternates), key) for rn, key in work.todo}
    return [Task(st, parse.get(st.notice_id)) for st in report.notices]


def stage_notices(cfg: Config, report: RunReport, work: Work, executor: Executor | None = None) -> dict[str, Facts]:
    """Every notice through extract, outline, structure and normalize, one task each; then, in
    the order of the notices, what each task found, and the candidate tables. Returns what
    validate reads of each candidate notice. `executor`: the run's (closed by it), else one of
    its own."""
    registry = registry_at(cfg.registry)
    where = Where(Path(os.path.abspath(cfg.raw)), Path(os.path.abspath(cfg.interim)), Limits(cfg.timeout, cfg.memory_mb),
                  Path(os.path.abspath(cfg.registry)), registry.fingerprint)
    todo = tasks(report, work)
    if cfg.executor == "local":  # what the forked processes inherit, loaded once here
        preload([p for rn, _ in work.todo for p in [rn.path, *rn.alternates]])
        for step in STEPS:
            code_fingerprint(step)
        wording_fingerprint()
    outcomes: dict[int, Outcome] = {}
    pool: dict[tuple[str, str], tuple[str, str]] = {}  # the facts' (name, canonical) pairs, one copy of each
    owned = executor is None
    executor = executor or executor_for(cfg)
    try:
        with Progress("notices", len(todo), cfg.progress) as bar:
            for done in executor.map(partial(through_the_stages, where), todo, names=lambda t: t.status.notice_id):
                out = done.result if done.result is not None else _lost(todo[done.index], done.error)
                outcomes[done.index] = _kept(report.notices[done.index], out, pool)
                st = out.status
                bar.step(f"FAILED {st.notice_id}" if out.error or st.extraction == "failed"
                         else f"{st.notice_id}: {st.measures} measures, {st.pairs} pairs", st.notice_id)
    finally:
        if owned:
            executor.close()
    return _take(cfg, report, outcomes)


def _kept(st: NoticeStatus, out: Outcome, pool: dict[tuple[str, str], tuple[str, str]]) -> Outcome:
    """An outcome as the run holds it until every task has ended (so that the driver's memory
    grows by little per notice): its status taken into the report's now, not held twice, and its
    facts' names shared with the other notices'."""
    st.__dict__.update(out.status.__dict__)
    out.status = st
    if out.facts is not None:
        out.facts = out.facts.shared(pool)
    out.seconds = {"extract": out.seconds.get("extract", 0.0)} if out.error else {}  # what _take reads of them
    return out


def _lost(task: Task, error: str) -> Outcome:
    """A task that ended without an outcome: its worker died every time it ran it, or the cluster
    could not run it. The notice is taken out of the run, with why."""
    st = task.status
    out = Outcome(st)
    if error.startswith(WORKER_DIED):
        st.extraction, st.error = "failed", error
        out.findings.append(Finding(st.notice_id, "run", "error", "worker-died", error, st.source_file))
    else:
        out.findings.append(failed_in(st, "run", error))
    return out


def _take(cfg: Config, report: RunReport, outcomes: dict[int, Outcome]) -> dict[str, Facts]:
    """What the tasks found, in the order of the notices (so a run's report does not depend on
    which worker ended first): each notice's status, findings and errors, the largest peak
    memory, the candidate tables."""
    facts: dict[str, Facts] = {}
    for i in range(len(report.notices)):
        out = outcomes[i]
        st = report.notices[i]
        assert st is out.status  # taken in as it arrived (_kept)
        if out.error:
            extracted(st, out.error, out.detail, out.seconds.get("extract", 0.0), {}, report)
        elif out.extraction:
            report_read(st, out.extraction, report)
        for f in out.findings:
            if f.code.endswith("-failed") or f.code == "worker-died":
                log.error("%s: %s", st.source_file, f.message, extra=event(f"{f.stage}.failed", st.notice_id, file=st.source_file))
        report.findings += out.findings
        if out.facts is not None and st.extraction != "failed":
            facts[st.notice_id] = out.facts
        report.peak_mb["workers"] = max(report.peak_mb.get("workers", 0.0), out.peak_mb)
    prune(cfg, report)
    write_candidate(cfg, report, {nid: f.digest for nid, f in facts.items()})
    return facts
