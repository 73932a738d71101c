"""The validate stage over interim/: each notice's rows through the Great Expectations suites,
once per change; the verdict combines every notice's results. Great Expectations is imported
only when a notice must be checked."""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..logs import event
from ..model.interim import NOTICE_TABLES, NoticeRecord, Validation
from .cache import suites_fingerprint, validation_key
from .folder import NoticeFolder
from .progress import Progress
from .stages import candidate, pieces_hash, registry_at, summaries
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
    """What the checks read of the candidate notices, from their summaries (each read once)."""

    records: dict[str, NoticeRecord]
    cross: CrossFacts  # the facts across notices their checks read
    keys: dict[str, str]  # notice -> what its check is made from
    todo: list[tuple[str, int]]  # the notices to check again, with their rows


def _candidates(cfg: Config, index: dict[str, str]) -> Candidates:
    from ..validate import CrossFacts

    records: dict[str, NoticeRecord] = {}
    names: set[tuple[str, str, str]] = set()
    seen: dict[str, tuple] = {}  # per notice: digest, rows, the names it writes (interned: shared across notices)
    for s in summaries(cfg.interim, index):
        records[s.notice_id] = s.record
        names.update((s.record.jurisdiction, n.department, n.canonical) for n in s.names)
        seen[s.notice_id] = (s.digest, s.pairs + s.measures, tuple(sorted({sys.intern(n.department) for n in s.names})))
    cross = CrossFacts.of(records.values(), names)
    basis = suites_fingerprint(cfg)
    keys, todo = {}, []
    for nid, (digest, rows, depts) in seen.items():
        keys[nid] = validation_key(digest, cross.of_notice(nid, records[nid].jurisdiction, depts), basis)
        if not NoticeFolder.of(cfg.interim, nid).cached("validation", keys[nid]):
            todo.append((nid, rows))
    return Candidates(records, cross, keys, todo)


def stage_validate(cfg: Config, report: RunReport) -> None:
    """Each notice's rows through the GX suites, once per change: a notice whose pieces, suites
    and cross-notice facts are as when it was last checked keeps its results. The notices to
    check go through in chunks; the verdict combines every notice's results."""
    from ..validate import Checker, SuiteError, load_suites, suite_failure

    index = candidate(cfg.interim)
    registry = registry_at(cfg.registry)
    parts = report_parts(cfg.interim)  # reports/ is written by publish only
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    c = _candidates(cfg, index)
    try:
        suites = load_suites(cfg.expectations, build=bool(c.todo))  # GX is imported only to check a notice
        checker = Checker(suites, (parts / "data_docs").resolve(), report.run_id, c.cross.parameters(cfg.registry)) if c.todo else None
    except SuiteError as exc:
        validation = _written(suite_failure(exc), parts)
    else:
        log.info("%d notice(s) to check, %d checked before and unchanged", len(c.todo), len(index) - len(c.todo), extra=event("validate.start"))
        if checker is not None:
            _check(cfg, report, c, checker, suites)
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


def _check(cfg: Config, report: RunReport, c: Candidates, checker: Checker, suites: list[Suite]) -> None:
    """The notices to check, a chunk at a time; each notice's results written to its folder."""
    from ..validate import frames_of, split_by_notice

    with Progress("validate", len(c.todo), cfg.progress) as bar:
        for chunk in _chunks(c.todo):
            tables = _concat(cfg.interim, chunk)
            frames = frames_of(tables)
            for nid, checks in split_by_notice(checker.check(frames), frames, suites, chunk).items():
                folder = NoticeFolder.of(cfg.interim, nid)
                folder.write_validation(Validation.from_json(checks))
                folder.done("validation", c.keys[nid])
                report.validated.append(nid)
            del tables, frames
            for nid in chunk:
                bar.step(nid, nid)
    checker.finish(len(c.records))


def _verdict(cfg: Config, index: dict[str, str], suites: list[Suite], registry: Registry, parts: Path) -> Verdict:
    """Every notice's results, kept or new, combined into the verdict; every failing row streamed
    to failures.parquet."""
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
