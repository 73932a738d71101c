"""The stages over interim/: each reads what the one before left there and the run state, so
`python -m pipeline <stage>` can be re-run on its own and a person can look at each step. Each
wraps the stage's plain function (outline(), structure(), normalize() …) with its cache."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path

from ..errors import Finding, Refused
from ..files import write_json
from ..logs import event
from ..model.interim import Facts, Summary
from ..normalize import normalize, notice_year
from ..normalize.registry import Registry, registry_at
from ..normalize.tables import Source, build_tables, notice_record, notice_summary
from ..outline import outline
from ..structure import header_of, structure
from ..wording import fingerprint as wording_fingerprint
from .cache import code_fingerprint, pieces_key, stage_key
from .executors import executor_for
from .folder import NoticeFolder
from .progress import Progress
from .state import CANDIDATE, Config, NoticeStatus, RunReport, own

log = logging.getLogger("pipeline")

_REGISTRY: dict[Path, Registry] = {}  # in a worker: the registry each task names by its fingerprint, read once


def registry_named(folder: Path, fingerprint: str) -> Registry:
    """The registry whose fingerprint the run gave (a worker reads it once, not once per notice);
    one that changed since the run read it stops the notice, which would be keyed on another."""
    reg = _REGISTRY.get(folder)
    if reg is None or reg.fingerprint != fingerprint:
        reg = _REGISTRY[folder] = registry_at(folder)
    if reg.fingerprint != fingerprint:
        raise RuntimeError(f"{folder}: the registry changed while the run was under way")
    return reg


Step = tuple[str, list[Finding], object]  # a notice's progress line, its findings, what else the stage keeps of it


def failed_in(st: NoticeStatus, stage: str, error: str) -> Finding:
    """A notice a stage broke on (a bug its content shows): taken out of the run like an
    unreadable one, it keeps its last published version; the finding says so, with its file."""
    st.extraction = "failed"
    st.error = f"the {stage} stage failed on it ({error}); please report this with the file"
    return Finding(st.notice_id, stage, "error", f"{stage}-failed", st.error, st.source_file)


def _per_notice(cfg: Config, report: RunReport, stage: str, step: Callable[[NoticeStatus], Step]) -> list[tuple[NoticeStatus, object]]:
    """`step` over every readable notice, with progress, through the run's executor (in worker
    processes when there are many). A notice that breaks the stage is reported with its file and
    taken out of the run, and the others go on. Returns each notice with what the stage keeps of it."""
    todo = [st for st in report.notices if st.extraction != "failed"]
    code_fingerprint(stage)  # once here, before any worker starts: they inherit it
    wording_fingerprint()
    kept = []
    executor = executor_for(cfg)
    try:
        with Progress(stage, len(todo), cfg.progress) as bar:
            for done in executor.map(step, todo, names=lambda st: st.notice_id):
                st = todo[done.index]
                st.__dict__.update(done.item.__dict__)  # what the step changed in a worker's copy of it
                if done.result is None:
                    report.findings.append(failed_in(st, stage, done.error))
                    log.error("%s: %s", st.source_file, st.error, extra=event(f"{stage}.failed", st.notice_id, file=st.source_file))
                    bar.step(f"FAILED {st.notice_id}", st.notice_id)
                    continue
                status, findings, extra = done.result
                report.findings += findings
                kept.append((st, extra))
                bar.step(status, st.notice_id)
    finally:
        executor.close()
    return kept


def outline_step(interim: Path, st: NoticeStatus) -> Step:
    """One notice's document.json → outline.json, unless its key says it is there."""
    folder = NoticeFolder.of(interim, st.notice_id)
    key = stage_key(folder, "outline")
    if folder.cached("outline", key):
        return f"cached {st.notice_id}", [], None
    st.redone.append("outline")
    folder.write_outline(outline(folder.document()))
    folder.done("outline", key)
    return f"redone {st.notice_id}", [], None


def structure_step(interim: Path, st: NoticeStatus) -> Step:
    """One notice's document.json and outline.json → measures.json, redone where either or the code changed."""
    folder = NoticeFolder.of(interim, st.notice_id)
    key = stage_key(folder, "structure", folder.key("outline") or "")
    if folder.cached("structure", key):
        findings = folder.findings("structure")
    else:
        st.restructured = True
        st.redone.append("structure")
        notice = folder.document()
        tree = folder.outline()
        measures, findings = structure(notice, tree)
        folder.write_structure(measures, findings, header_of(notice, tree))
        folder.done("structure", key)
    errors = sum(f.severity == "error" for f in findings)
    return f"{'redone' if st.restructured else 'cached'} {st.notice_id}: {errors} error(s)", findings, None


def normalize_step(interim: Path, registry_folder: Path, registry_fingerprint: str, st: NoticeStatus) -> Step:
    """One notice's measures.json → normalized.json, then its rows as Arrow pieces and its summary;
    what it keeps is what validate reads of the summary (its pieces' digest among it)."""
    registry = registry_named(registry_folder, registry_fingerprint)
    folder = NoticeFolder.of(interim, st.notice_id)
    key = stage_key(folder, "normalize", folder.key("structure") or "")
    items = None
    head = folder.header()
    if folder.cached("normalize", key):
        findings = folder.findings("normalize")
    else:
        st.redone.append("normalize")
        items, findings = normalize(folder.measures(), notice_year(head))
        folder.write_normalized(items, findings)
        folder.done("normalize", key)
    # the pieces: the normalized measures, the notice's record and the registry that resolves names
    record = notice_record(st.notice_id, head, Source(st.source_file, st.source_format, st.sha256, st.alternates), registry)
    pkey = pieces_key(key, registry.fingerprint, record)
    if folder.cached("tables", pkey):
        summary = folder.summary()
    else:
        st.redone.append("tables")
        tables = build_tables([record], items if items is not None else folder.normalized(), registry)
        summary = notice_summary(record, tables, folder.write_pieces(tables))
        folder.write_summary(summary)
        folder.done("tables", pkey)
    st.measures, st.pairs = summary.measures, summary.pairs
    return f"{st.notice_id}: {st.measures} measures, {st.pairs} pairs", findings, Facts.of(summary)


def stage_outline(cfg: Config, report: RunReport) -> None:
    """interim/<id>/document.json → outline.json: the tree of numbered levels."""
    _per_notice(cfg, report, "outline", partial(outline_step, cfg.interim))


def stage_structure(cfg: Config, report: RunReport) -> None:
    """document.json and outline.json → measures.json, redone where either or the code changed."""
    _per_notice(cfg, report, "structure", partial(structure_step, cfg.interim))


def stage_normalize(cfg: Config, report: RunReport) -> None:
    """measures.json → normalized.json, then the notice's rows as Arrow pieces and its summary
    (interim/<id>/tables/, summary.json): the candidate curated tables are their concatenation."""
    registry = registry_at(cfg.registry)
    kept = _per_notice(cfg, report, "normalize", partial(normalize_step, cfg.interim, cfg.registry, registry.fingerprint))
    write_candidate(cfg, report, {st.notice_id: facts.digest for st, facts in kept if isinstance(facts, Facts)})


def write_candidate(cfg: Config, report: RunReport, index: dict[str, str]) -> None:
    """The notices the candidate tables hold, with their pieces' digests."""
    write_json(own(cfg.interim) / CANDIDATE, dict(sorted(index.items())))
    log.info("%d notice(s): %d measures, %d department pairs", len(index), sum(st.measures for st in report.notices if st.notice_id in index),
             sum(st.pairs for st in report.notices if st.notice_id in index), extra=event("normalize.done"))


def candidate(interim: Path) -> dict[str, str]:
    """The notices in the candidate tables, each with its pieces' digest."""
    path = own(interim) / CANDIDATE
    if not path.exists():
        raise Refused(interim, "holds no candidate tables: run `python -m pipeline normalize` first")
    return json.loads(path.read_text(encoding="utf-8"))


def summaries(interim: Path, ids: Iterable[str]) -> Iterator[Summary]:
    """Each notice's summary, one at a time."""
    for nid in sorted(ids):
        yield NoticeFolder.of(interim, nid).summary()


def pieces_hash(index: dict[str, str]) -> str:
    """The candidate tables' identity: their notices and their pieces' digests."""
    return hashlib.sha256(json.dumps(sorted(index.items())).encode()).hexdigest()
