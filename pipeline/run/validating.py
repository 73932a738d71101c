"""The validate stage over interim/: each notice's rows through the Great Expectations suites,
once per change; the verdict combines every notice's results.

The driver computes the facts across notices (CrossFacts) and each notice's validation key from
what the run's notice tasks handed back (run/notices.py: Facts), reading a notice's summary only
when no task handed it back (`python -m pipeline validate` on its own). The notices to check go
in chunks (_chunks) to where the run's executor runs its tasks: a chunk's task checks its rows with
its process's one GX context (built once, kept for the chunks and runs after), writes each
notice's validation.json and key and renders its validation pages into the report's Data Docs
folder, and hands back its pages' entries (check_chunk). The driver writes the Data Docs' index
and suite pages and combines every notice's results, read from their validation.json files a
notice at a time (its memory does not grow with the failing rows). Under the local executor the chunks
run in the driver's process, one after another (a forked worker would import GX again); under
Dask on the cluster's workers. Great Expectations is imported only where a notice is checked."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..logs import event
from ..model.interim import NOTICE_TABLES, Facts, NoticeRecord, Validation
from .cache import Key, suites_fingerprint, validation_key
from .executor import Executor
from .folder import NoticeFolder
from .progress import Progress
from .stages import candidate, pieces_hash, registry_at
from .state import Config, RunReport, report_parts

if TYPE_CHECKING:
    import pyarrow as pa

    from ..normalize.registry import Registry
    from ..validate import Checker, CrossFacts, Suite
    from ..validate import Validation as Verdict

log = logging.getLogger("pipeline")

CHUNK_PAIRS, CHUNK_NOTICES = 60_000, 400  # a validation chunk: large enough for GX's fixed cost, small enough for flat memory


@dataclass
class Candidates:
    """What the checks read of the candidate notices (from the notice tasks, else their summaries)."""

    records: dict[str, NoticeRecord]
    cross: CrossFacts  # the facts across notices their checks read
    keys: dict[str, Key]  # notice -> what its check is made from
    todo: list[tuple[str, int]]  # the notices to check again, with their rows


def _candidates(cfg: Config, index: dict[str, str], facts: dict[str, Facts]) -> Candidates:
    from ..validate import CrossFacts

    records: dict[str, NoticeRecord] = {}
    names: set[tuple[str, str, str]] = set()
    seen: dict[str, tuple] = {}  # per notice: digest, rows, the names it writes (interned: shared across notices)
    for nid in sorted(index):
        f = facts.get(nid)
        if f is None or f.digest != index[nid]:  # no task of this run handed it back
            f = Facts.of(NoticeFolder.of(cfg.interim, nid).summary())
        records[nid] = f.record
        names.update((f.record.jurisdiction, dept, canon) for dept, canon in f.names)
        seen[nid] = (f.digest, f.rows, tuple(sorted({sys.intern(dept) for dept, _ in f.names})))
    cross = CrossFacts.of(records.values(), names)
    basis = suites_fingerprint(cfg)
    keys, todo = {}, []
    for nid, (digest, rows, depts) in seen.items():
        keys[nid] = validation_key(digest, cross.of_notice(nid, records[nid].jurisdiction, depts), basis)
        if not NoticeFolder.of(cfg.interim, nid).cached("validation", keys[nid]):
            todo.append((nid, rows))
    return Candidates(records, cross, keys, todo)


# --- a chunk's task, where the executor runs it ------------------------------------------------

@dataclass(frozen=True)
class Site:
    """What every chunk's task of a run reads besides its notices: the folders (absolute: a
    worker's working directory is its own), the suites and their fingerprint (what a GX context is
    built from), the suite parameters (CrossFacts.parameters) and the run Data Docs name its
    validations after."""

    interim: Path
    expectations: Path
    suites: str
    data_docs: Path
    parameters: dict[str, Any]
    run_id: str
    run_time: datetime  # in GX's page paths: a chunk run again (its worker died) writes over its own pages


@dataclass(frozen=True)
class Chunk:
    """A chunk's notices, with their keys."""

    number: int  # from 1: Data Docs name its validations <run> (the first) or <run>.<number>
    ids: list[str]
    keys: list[Key]


@dataclass
class Checked:
    """What a chunk's task hands back besides the validation.json files it writes: a few
    kilobytes, whatever fails. The failing rows are read back from those files, a notice at a
    time, so that the driver's memory does not grow with them (nor with the notices)."""

    number: int
    pages: list[dict]  # the validations its Data Docs pages show (Checker.pages)
    covered: int  # the notices those pages cover
    rules: dict[str, list[dict[str, str]]]  # each suite's rules, for its page (validate.suite_rules)
    suite_error: str = ""  # the suites could not be loaded: nothing was checked


_CONTEXT: dict[tuple[str, str, str], Checker] = {}  # in a process that checks: its one GX context, by what it was built from
_CHECKING = threading.Lock()  # a worker of several threads checks one chunk at a time: a GX context is not shared between threads


def _checker(site: Site) -> Checker:
    from ..validate import Checker, load_suites

    key = (site.suites, str(site.expectations), str(site.data_docs))
    if key not in _CONTEXT:
        _CONTEXT.clear()  # one a process: other suites, or another interim/'s Data Docs, replace it
        _CONTEXT[key] = Checker(load_suites(site.expectations), site.data_docs)
    return _CONTEXT[key]


def check_chunk(site: Site, chunk: Chunk) -> Checked:
    """A chunk's notices through the suites (in a worker, or in the driver's process): each
    notice's validation.json and key written to its folder, its validation pages to Data Docs."""
    from ..validate import SuiteError, frames_of, split_by_notice, suite_rules

    with _CHECKING:
        try:
            checker = _checker(site)
        except SuiteError as exc:
            return Checked(chunk.number, [], 0, {}, str(exc))
        frames = frames_of(_concat(site.interim, chunk.ids))
        name = site.run_id if chunk.number == 1 else f"{site.run_id}.{chunk.number}"
        results = checker.check(frames, parameters=site.parameters, run_name=name, run_time=site.run_time)
        per_notice = split_by_notice(results, frames, checker.suites, chunk.ids)
        del frames
        pages, covered = checker.render()
        rules = suite_rules(checker.suites)
    for nid, key in zip(chunk.ids, chunk.keys, strict=True):
        folder = NoticeFolder.of(site.interim, nid)
        folder.write_validation(Validation.from_json(per_notice[nid]))
        folder.done("validation", key)
    return Checked(chunk.number, pages, covered, rules)


# --- the stage, in the driver ----------------------------------------------------------------

def stage_validate(cfg: Config, report: RunReport, facts: dict[str, Facts] | None = None, executor: Executor | None = None) -> None:
    """Each notice's rows through the GX suites, once per change: a notice whose pieces, suites
    and cross-notice facts are as when it was last checked keeps its results. The notices to
    check go through in chunks; the verdict combines every notice's results. `facts`: what the
    run's notice tasks handed back; `executor`: the run's (a Dask run checks on its cluster)."""
    from ..validate import SuiteError, load_suites, suite_failure

    index = candidate(cfg.interim)
    registry = registry_at(cfg.registry)
    parts = report_parts(cfg.interim)  # reports/ is written by publish only
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    c = _candidates(cfg, index, facts or {})
    try:
        suites = load_suites(cfg.expectations, build=False)  # their names and frames: GX is imported where a notice is checked
        log.info("%d notice(s) to check, %d checked before and unchanged", len(c.todo), len(index) - len(c.todo), extra=event("validate.start"))
        checked = _check(cfg, report, c, executor) if c.todo else []
        if problem := next((ch.suite_error for ch in checked if ch.suite_error), ""):
            raise SuiteError(problem)
    except SuiteError as exc:
        validation = _written(suite_failure(exc), parts)
    else:
        _data_docs(parts / "data_docs", checked, len(c.records))
        validation = _verdict(cfg, index, suites, registry, parts)
    if (parts / "data_docs" / "index.html").exists():  # where the report will hold them
        validation.data_docs = str(cfg.reports / report.run_id / "data_docs" / "index.html")
    # the one place the run's validation is assembled: publish checks it publishes what was
    # validated (these tables, with this registry), and a run that finds nothing changed carries it
    report.validation = {**validation.to_dict(), "tables_hash": pieces_hash(index), "registry": registry.fingerprint}
    report.validated_by = report.run_id
    report.findings += validation.findings
    report.report_dir = str(cfg.reports / report.run_id)
    if not validation.passed:
        log.error("blocking checks failed: %s", "; ".join(validation.blocking_failed), extra=event("validate.blocking_failed"))
        for nid, rules in sorted(validation.held_back.items()):
            log.error("%s fails: %s", nid, "; ".join(rules), extra=event("notice.fails", nid, rules=rules))
    # in words, with counts: `12 measures that name no … (warning: completeness)`
    for rule, line in zip(validation.warnings, validation.warned, strict=True):
        log.warning("%s", line, extra=event("validate.warning", check=rule))


def _check(cfg: Config, report: RunReport, c: Candidates, executor: Executor | None) -> list[Checked]:
    """The notices to check, a chunk a task; each chunk's results as its task handed them back, in
    the chunks' order."""
    site = Site(Path(os.path.abspath(cfg.interim)), Path(os.path.abspath(cfg.expectations)), suites_fingerprint(cfg),
                (report_parts(cfg.interim) / "data_docs").resolve(), c.cross.parameters(cfg.registry), report.run_id,
                datetime.now(UTC))
    chunks = [Chunk(n, ids, [c.keys[nid] for nid in ids]) for n, ids in enumerate(_chunks(c.todo), 1)]
    checked: dict[int, Checked] = {}
    with Progress("validate", len(c.todo), cfg.progress) as bar:
        for ch in _each_chunk(cfg, executor, site, chunks):
            checked[ch.number] = ch
            for nid in chunks[ch.number - 1].ids:
                bar.step(nid, nid)
    out = [checked[n] for n in sorted(checked)]
    if not any(ch.suite_error for ch in out):
        report.validated += [nid for ch in chunks for nid in ch.ids]
    return out


def _each_chunk(cfg: Config, executor: Executor | None, site: Site, chunks: list[Chunk]) -> Iterator[Checked]:
    """Each chunk's task, as it ends: in this process under the local executor (its one GX
    context; the local executor's map would fork workers past 16 chunks, each importing GX
    again), else on the run's cluster (one of its own when the stage runs alone)."""
    if cfg.executor == "local":
        for chunk in chunks:
            yield check_chunk(site, chunk)
        return
    from .executors import executor_for

    owned = executor is None
    executor = executor or executor_for(cfg)
    try:
        for done in executor.map(partial(check_chunk, site), chunks, names=lambda ch: f"validate-{ch.number}"):
            if done.result is None:  # the suites' own errors come back as results: this is the run's failure
                raise RuntimeError(f"validation chunk {chunks[done.index].number} ({len(chunks[done.index].ids)} notices) "
                                   f"could not be checked: {done.error}")
            yield done.result
    finally:
        if owned:
            executor.close()


def _data_docs(site: Path, checked: list[Checked], notices_in_run: int) -> None:
    """The chunks' validation pages (rendered where they ran) made one site to open offline."""
    from ..validate.data_docs import make_offline

    pages = [p for ch in checked for p in ch.pages]
    if pages:
        make_offline(site, pages, checked[0].rules, sum(ch.covered for ch in checked), notices_in_run)


def _verdict(cfg: Config, index: dict[str, str], suites: list[Suite], registry: Registry, parts: Path) -> Verdict:
    """Every notice's results, kept or new, read from its folder a notice at a time and combined
    into the verdict; every failing row streamed to failures.parquet."""
    from ..report import FailureWriter
    from ..validate import combine_results, verdict

    with FailureWriter(parts / "failures.parquet") as failures:
        results = combine_results(((nid, NoticeFolder.of(cfg.interim, nid).validation().to_json()) for nid in sorted(index)), failures.add)
        return verdict(results, suites, registry, None, failures=False)


def _written(validation: Verdict, parts: Path) -> Verdict:
    """A validation that checked nothing (a broken suite), its failures written as the report reads them."""
    from ..report import FailureWriter

    with FailureWriter(parts / "failures.parquet") as failures:
        for row in validation.failures:
            failures.add(row)
    return validation


def _chunks(todo: list[tuple[str, int]]) -> Iterator[list[str]]:
    chunk: list[str] = []
    rows = 0
    for nid, n in todo:
        if chunk and (rows + n > CHUNK_PAIRS or len(chunk) >= CHUNK_NOTICES):
            yield chunk
            chunk, rows = [], 0
        chunk.append(nid)
        rows += n
    if chunk:
        yield chunk


def _concat(interim: Path, ids: list[str]) -> dict[str, pa.Table]:
    import pyarrow as pa

    pieces = [NoticeFolder.of(interim, nid).pieces() for nid in ids]
    return {name: pa.concat_tables([p[name] for p in pieces]) for name in NOTICE_TABLES}
