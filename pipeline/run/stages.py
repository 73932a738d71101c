"""The stages over interim/: each reads what the one before left there and the run state, so
`python -m pipeline <stage>` can be re-run on its own and a person can look at each step. Each
wraps the stage's plain function (outline(), structure(), normalize() …) with its cache."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import multiprocessing as mp
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache, partial
from pathlib import Path

import pyarrow as pa

from .. import __version__
from ..errors import Finding, Refused
from ..files import write_json
from ..libraries import library_versions
from ..model.interim import NOTICE_TABLES, NoticeRecord, Summary, Validation
from ..normalize import normalize, notice_year
from ..normalize.registry import Registry
from ..normalize.tables import DepartmentFacts, Source, build_tables, merge_departments, notice_departments, notice_record, notice_summary
from ..outline import outline
from ..publish import MANIFEST, NoticeRows, PublishError, content_hash, current_manifest, make_current, published_rows, write_version
from ..publish.gate import unvalidated
from ..report import FailureWriter, RunSummary, prune_reports, put_in_place, record_run, settle, write_report
from ..structure import header_of, structure
from ..wording import fingerprint as wording_fingerprint
from .cache import code_fingerprint, pieces_key, stage_key, suites_fingerprint
from .folder import NoticeFolder, StalePieces
from .progress import Progress
from .state import CANDIDATE, EXIT_HELD_BACK, EXIT_NOTHING, EXIT_PUBLISHED, Config, NoticeStatus, RunReport, own, report_parts

log = logging.getLogger("pipeline")

def _registry(folder: Path) -> Registry:
    """The registry, read once per run however many stages need it (keyed on its files' bytes)."""
    key = tuple((f.name, f.read_bytes()) for f in sorted(folder.glob("*.csv")))
    return _registry_of(folder, key)


@cache
def _registry_of(folder: Path, key: tuple) -> Registry:
    return Registry.load(folder)


Step = tuple[str, list[Finding], object]  # a notice's progress line, its findings, what else the stage keeps of it
_STEP: Callable[[NoticeStatus], Step] | None = None  # the stage's step, set before its workers fork
PARALLEL_FROM = 16  # notices: fewer go through in this process (forking costs more than it saves)


def _step_in_worker(st: NoticeStatus) -> tuple[NoticeStatus, Step | None, str]:
    try:
        assert _STEP is not None
        return st, _STEP(st), ""
    except Exception as exc:  # reported by the parent, with the file
        return st, None, f"{type(exc).__name__}: {exc}"


def _steps(step: Callable[[NoticeStatus], Step], todo: list[NoticeStatus], jobs: int) -> Iterator[tuple[NoticeStatus, Step | None, str]]:
    """`step` over the notices, in order: in `jobs` forked workers when there are enough of them.
    A worker that dies (killed by a signal, the kernel's OOM killer) breaks the pool: the notices
    it had not given back are done here, one by one, instead of waiting for it for ever."""
    global _STEP
    if jobs <= 1 or len(todo) < PARALLEL_FROM:
        yield from _steps_here(step, todo)
        return
    for name in ("outline", "structure", "normalize"):
        code_fingerprint(name)  # computed once here, inherited by the workers
    wording_fingerprint()
    _STEP = step
    gc.collect()
    gc.freeze()
    given = 0
    try:
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
            for st, (done, out, error) in zip(todo, pool.map(_step_in_worker, todo, chunksize=4), strict=True):
                st.__dict__.update(done.__dict__)  # what the step changed in the worker's copy
                given += 1
                yield st, out, error
    except BrokenProcessPool:
        log.warning("a worker process died (killed from outside?) after %d of %d notice(s): the other %d are done in this process",
                    given, len(todo), len(todo) - given)
    finally:
        _STEP = None
        gc.unfreeze()
    if given < len(todo):
        yield from _steps_here(step, todo[given:])


def _steps_here(step: Callable[[NoticeStatus], Step], todo: list[NoticeStatus]) -> Iterator[tuple[NoticeStatus, Step | None, str]]:
    for st in todo:
        try:
            yield st, step(st), ""
        except Exception as exc:
            log.debug("%s", st.source_file, exc_info=True)
            yield st, None, f"{type(exc).__name__}: {exc}"


def _per_notice(cfg: Config, report: RunReport, stage: str, step: Callable[[NoticeStatus], Step]) -> list[tuple[NoticeStatus, object]]:
    """`step` over every readable notice, with progress, in worker processes when there are many.
    A notice that breaks the stage (a bug its content shows) is reported with its file and taken
    out of the run like an unreadable one: it keeps its last published version, and the others go
    on. Returns each notice with what the stage keeps of it."""
    todo = [st for st in report.notices if st.extraction != "failed"]
    kept = []
    with Progress(stage, len(todo), cfg.progress) as bar:
        for st, out, error in _steps(step, todo, cfg.jobs or mp.cpu_count() or 1):
            if out is None:
                st.extraction = "failed"
                st.error = f"the {stage} stage failed on it ({error}); please report this with the file"
                log.error("%s: %s", st.source_file, st.error)
                report.findings.append(Finding(st.notice_id, stage, "error", f"{stage}-failed", st.error, st.source_file))
                bar.step(f"FAILED {st.notice_id}")
                continue
            status, findings, extra = out
            report.findings += findings
            kept.append((st, extra))
            bar.step(status)
    return kept


def stage_outline(cfg: Config, report: RunReport) -> None:
    """interim/<id>/document.json → outline.json: the tree of numbered levels."""
    def one(st: NoticeStatus) -> Step:
        folder = NoticeFolder.of(cfg.interim, st.notice_id)
        key = stage_key(folder, "outline")
        if folder.cached("outline", key):
            return f"cached {st.notice_id}", [], None
        st.redone.append("outline")
        folder.write_outline(outline(folder.document()))
        folder.done("outline", key)
        return f"redone {st.notice_id}", [], None

    _per_notice(cfg, report, "outline", one)


def stage_structure(cfg: Config, report: RunReport) -> None:
    """document.json and outline.json → measures.json, redone where either or the code changed."""
    def one(st: NoticeStatus) -> Step:
        folder = NoticeFolder.of(cfg.interim, st.notice_id)
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

    _per_notice(cfg, report, "structure", one)


def stage_normalize(cfg: Config, report: RunReport) -> None:
    """measures.json → normalized.json, then the notice's rows as Arrow pieces and its summary
    (interim/<id>/tables/, summary.json): the candidate curated tables are their concatenation."""
    registry = _registry(cfg.registry)

    def one(st: NoticeStatus) -> Step:
        folder = NoticeFolder.of(cfg.interim, st.notice_id)
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
        return f"{st.notice_id}: {st.measures} measures, {st.pairs} pairs", findings, summary.digest

    index = {st.notice_id: digest for st, digest in _per_notice(cfg, report, "normalize", one)}
    write_json(own(cfg.interim) / CANDIDATE, index)  # the notices the candidate tables hold, with their pieces' digests
    log.info("%d notice(s): %d measures, %d department pairs", len(index), sum(st.measures for st in report.notices if st.notice_id in index),
             sum(st.pairs for st in report.notices if st.notice_id in index))


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


CHUNK_PAIRS, CHUNK_NOTICES = 60_000, 400  # a validation chunk: large enough for GX's fixed cost, small enough for flat memory


def stage_validate(cfg: Config, report: RunReport) -> None:
    """Each notice's rows through the GX suites, once per change: a notice whose pieces, suites
    and cross-notice facts are as when it was last checked keeps its results. The notices to
    check go through in chunks; the verdict combines every notice's results."""
    from ..validate import Checker, CrossFacts, SuiteError, combine_results, frames_of, load_suites, split_by_notice, suite_failure, verdict

    index = candidate(cfg.interim)
    registry = _registry(cfg.registry)
    report_dir = cfg.reports / report.run_id
    parts = report_parts(cfg.interim)  # reports/ is written by publish only
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    records: dict[str, NoticeRecord] = {}
    names: set[tuple[str, str, str]] = set()
    seen: dict[str, tuple] = {}  # per notice: digest, rows, the names it writes (interned: shared across notices)
    for s in summaries(cfg.interim, index):  # each summary read once
        records[s.notice_id] = s.record
        names.update((s.record.jurisdiction, n.department, n.canonical) for n in s.names)
        seen[s.notice_id] = (s.digest, s.pairs + s.measures, tuple(sorted({sys.intern(n.department) for n in s.names})))
    cross = CrossFacts.of(records.values(), names)
    del names
    basis = suites_fingerprint(cfg)
    keys, todo = {}, []
    for nid, (digest, rows, depts) in seen.items():
        facts = cross.of_notice(nid, records[nid].jurisdiction, depts)
        keys[nid] = hashlib.sha256(json.dumps([digest, facts, basis], ensure_ascii=False).encode()).hexdigest()
        if not NoticeFolder.of(cfg.interim, nid).cached("validation", keys[nid]):
            todo.append((nid, rows))
    del seen
    try:
        suites = load_suites(cfg.expectations, build=bool(todo))  # GX is imported only to check a notice
        checker = Checker(suites, (parts / "data_docs").resolve(), report.run_id) if todo else None
    except SuiteError as exc:
        validation = suite_failure(exc)
        suites, checker, todo = [], None, []
    log.info("%d notice(s) to check, %d checked before and unchanged", len(todo), len(index) - len(todo))
    with Progress("validate", len(todo), cfg.progress) as bar:
        for chunk in _chunks(todo):
            tables = _concat(cfg.interim, chunk)
            frames = frames_of(tables, [records[n] for n in chunk], registry, cross)
            assert checker is not None
            for nid, checks in split_by_notice(checker.check(frames), frames, suites, chunk).items():
                folder = NoticeFolder.of(cfg.interim, nid)
                folder.write_validation(Validation.from_json(checks))
                folder.done("validation", keys[nid])
                report.validated.append(nid)
            del tables, frames
            for nid in chunk:
                bar.step(nid)
    if checker is not None:
        checker.finish()
    with FailureWriter(parts / "failures.parquet") as failures:
        if suites:
            results = combine_results(((nid, NoticeFolder.of(cfg.interim, nid).validation().to_json()) for nid in sorted(index)), failures.add)
            validation = verdict(results, suites, registry, None, failures=False)
        for row in validation.failures:
            failures.add(row)
    if (parts / "data_docs" / "index.html").exists():  # where the report will hold them
        validation.data_docs = str(report_dir / "data_docs" / "index.html")
    # publish checks it publishes what was validated: these tables, with this registry
    report.validation = {**validation.to_dict(), "tables_hash": pieces_hash(index), "registry": registry.fingerprint}
    report.findings += validation.findings
    report.report_dir = str(report_dir)
    if not validation.passed:
        log.error("blocking checks failed: %s", "; ".join(validation.blocking_failed))
        for nid, rules in sorted(validation.held_back.items()):
            log.error("%s fails: %s", nid, "; ".join(rules))
    for w in validation.warnings:
        log.warning("check with warnings: %s", w)


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
    pieces = [NoticeFolder.of(interim, nid).pieces() for nid in ids]
    return {name: pa.concat_tables([p[name] for p in pieces]) for name in NOTICE_TABLES}


def pieces_hash(index: dict[str, str]) -> str:
    """The candidate tables' identity: their notices and their pieces' digests."""
    return hashlib.sha256(json.dumps(sorted(index.items())).encode()).hexdigest()


def stage_publish(cfg: Config, report: RunReport) -> None:
    """The candidate tables to curated/, notice by notice: a notice whose rows fail a blocking
    check, or that could not be read, is held back and keeps the version last published;
    every other notice is published. With --strict, one failure holds back every notice."""
    index = candidate(cfg.interim)
    registry = _registry(cfg.registry)
    v = report.validation
    if problem := unvalidated(v, pieces_hash(index), registry.fingerprint):
        what, words = problem
        raise Refused(cfg.registry if what == "registry" else cfg.interim, words)
    held = {nid: rules for nid, rules in (v.get("held_back") or {}).items()}
    for st in report.failed:
        held.setdefault(st.notice_id, []).append(f"unreadable: {st.error}")
    all_ids = {st.notice_id for st in report.notices}
    good = set(index) - set(held)
    for st in report.notices:
        st.status = "held back" if st.notice_id in held else "published"
        st.held_because = held.get(st.notice_id, [])
    old_manifest = current_manifest(cfg.curated)
    previously = set()
    staged: Path | None = None  # this run's report, written whole, not yet in place
    written = False  # the report was tried (a report that cannot be written is said once)
    if v.get("run_blocked") or (cfg.strict and held) or not good:
        report.verdict = "blocked" if (v.get("run_blocked") or held) else "nothing"
        for st in report.notices:
            st.status = "held back"
        why = "; ".join(v.get("run_blocked") or []) or ("--strict: a notice failed" if cfg.strict and held else "no notice passed")
        log.error("nothing published (%s); curated/ left unchanged", why)
    else:
        previously = _published_notices(cfg.curated, old_manifest)
        rows, departments = _to_publish(cfg, index, good, (set(held) & set(previously)) & all_ids, previously, old_manifest)
        digest = content_hash(rows, departments)
        if old_manifest and old_manifest.get("content_hash") == digest:
            report.verdict = "unchanged"
            report.published = old_manifest.get("published", [])
            log.info("curated/ already holds exactly these tables; nothing to publish")
        else:
            try:
                final, report.published = write_version(rows, departments, cfg.curated, _manifest(report, held, registry, digest), report.run_id)
                report.verdict = "published"
                report.manifest = json.loads((final / MANIFEST).read_text(encoding="utf-8"))  # the one manifest
                report.exit_code = _exit_code(report, held)
                # the report is written before the switch and put in place after: a kill between the
                # two leaves it staged for the next run to put in place (report.settle)
                staged, written = _write_report(cfg, report, index, old_manifest), True
                make_current(cfg.curated, final, cfg.keep_versions)
                rows_of = Counter()
                for f in report.published:
                    rows_of[f["table"]] += f["rows"]
                log.info("published version %s: %s", report.manifest.get("version"), ", ".join(f"{t} ({n} rows)" for t, n in sorted(rows_of.items())))
            except StalePieces as exc:
                raise Refused(cfg.interim, f"{exc}: the candidate tables changed since they were validated: run `python -m pipeline validate` again") from None
            except (PublishError, OSError) as exc:  # disk full, not writable, a mount point …
                if staged is not None:  # it says "published": this run's report is written again below
                    shutil.rmtree(staged, ignore_errors=True)
                staged, written = None, False
                report.verdict, report.published, report.manifest = "failed", [], {}
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
                report.validation = {**v, "publish_error": f"{why}{where}"}
                log.error("%s: cannot publish: %s%s; curated is left as it was", cfg.curated, why, where)
        for nid, rules in sorted(held.items()):
            if report.verdict == "failed":
                break
            kept = "its last published version stays in curated/" if nid in previously else "nothing of it is in curated/"
            checks = [r for r in rules if not r.startswith("unreadable: ")]  # unreadable files were named once already
            if checks:
                log.error("held back %s: %s (%s)", nid, "; ".join(checks)[:300], kept)
    report.exit_code = _exit_code(report, held)
    if not report.manifest:  # nothing written to curated/: the same manifest, saying why
        report.manifest = {**_manifest(report, held, registry, None), "verdict": report.verdict, "published": report.published}
    if not written:
        staged = _write_report(cfg, report, index, old_manifest)
    if staged is None or not _put_report_in_place(cfg, report, staged):
        return
    report_dir = Path(report.report_dir)
    unknown = sum(1 for _ in (report_dir / "unknown_departments.csv").open(encoding="utf-8")) - 1
    if unknown:
        log.warning("%d department name(s) not in the registry: rows ready for departments.csv in %s", unknown,
                    report_dir / "unknown_departments.csv")
    log.info("report: %s (all runs: %s)", report_dir / "summary.html", cfg.reports / "index.html")


def _exit_code(report: RunReport, held: dict[str, list[str]]) -> int:
    """The publish's exit code from its verdict (a failed publish also marks every notice)."""
    unread = report.refused_files or any(f.code == "alternate-differs" for f in report.findings)
    if report.verdict in ("published", "unchanged"):
        return EXIT_HELD_BACK if held or unread else EXIT_PUBLISHED
    if report.verdict == "failed":
        for st in report.notices:
            st.status = "not published"
    return EXIT_NOTHING


def _report_failed(cfg: Config, report: RunReport, exc: OSError) -> None:
    """A report that cannot be written (a full disk) is an error naming the path; the publish
    stands, and no earlier report passes for this run's."""
    with contextlib.suppress(OSError):
        (cfg.reports / "latest").unlink(missing_ok=True)
    log.error("%s: cannot write the run report: %s; reports/latest removed", cfg.reports / report.run_id, exc.strerror or exc)
    log.debug("%s", exc.filename, exc_info=True)


def _write_report(cfg: Config, report: RunReport, index: dict[str, str], old_manifest: dict | None) -> Path | None:
    """This run's report written whole, staged in reports/ (None when it cannot be written). A
    report the run before left staged, when that run's version is current, is put in place first."""
    report.report_dir = str(cfg.reports / report.run_id)
    try:
        settle(cfg.reports, (old_manifest or {}).get("run_id"))
        return write_report(report, RunSummary.of(summaries(cfg.interim, index)), cfg.reports, report_parts(cfg.interim))
    except OSError as exc:
        _report_failed(cfg, report, exc)
        return None


def _put_report_in_place(cfg: Config, report: RunReport, staged: Path) -> bool:
    try:
        put_in_place(staged, cfg.reports)
        prune_reports(cfg.reports, cfg.keep_reports)
        record_run(report, cfg.reports)
        return True
    except OSError as exc:
        _report_failed(cfg, report, exc)
        return False


def _manifest(report: RunReport, held: dict[str, list[str]], registry: Registry, digest: str | None) -> dict:
    """What a publish is made from: built here only, written to curated/ and to the report."""
    return {"run_id": report.run_id, "pipeline_version": __version__, "content_hash": digest,
            "verdict": "held back" if held else "passed",
            "inputs": [{"notice_id": st.notice_id, "file": st.source_file, "sha256": st.sha256, "alternates": st.alternates,
                        "extraction": st.extraction, "error": st.error, "status": st.status, "held_because": st.held_because}
                       for st in report.notices],
            "held_back": {nid: rules for nid, rules in sorted(held.items())},
            "fingerprints": {"wording": wording_fingerprint(), "registry": registry.fingerprint}, "curated": report.curated,
            "libraries": library_versions()}


def _published_notices(curated: Path, manifest: dict | None) -> dict[str, str]:
    """The notices `curated` holds, with their rows' digests (read from the notices table for a
    version published before the manifest listed them)."""
    if not manifest:
        return {}
    if "notices" in manifest:
        return manifest["notices"]
    import pyarrow.parquet as pq

    ids = pq.read_table(curated / "notices", columns=["notice_id"]).column("notice_id").to_pylist()
    return {nid: f"version {manifest.get('version')}" for nid in ids}


def _to_publish(cfg: Config, index: dict[str, str], good: set[str], keep_old: set[str], previously: dict[str, str],
                old_manifest: dict | None) -> tuple[list[NoticeRows], pa.Table]:
    """The notices to publish (this run's pieces of those that passed, the last published rows of
    held-back ones) and the departments table over them, built from the notices' summaries."""
    rows = [NoticeRows(nid, index[nid], partial(NoticeFolder.of(cfg.interim, nid).pieces, index[nid])) for nid in sorted(good)]
    rows += [NoticeRows(nid, previously[nid], partial(published_rows, cfg.curated, nid)) for nid in sorted(keep_old)]
    old_departments = None
    if keep_old:
        import pyarrow.parquet as pq

        from ..model.tables import SCHEMAS
        old_departments = {r["department_canonical"]: DepartmentFacts.published(r)
                           for r in pq.read_table(cfg.curated / "departments", schema=SCHEMAS["departments"]).to_pylist()}

    def department_rows() -> Iterator[list[dict]]:
        for nid in sorted(good | keep_old):
            if nid in good:
                yield NoticeFolder.of(cfg.interim, nid).summary().departments
            else:  # as published, with what the published departments table says of each name
                assert old_departments is not None
                yield notice_departments(published_rows(cfg.curated, nid)["measure_departments"].to_pylist(), old_departments)

    return rows, merge_departments(department_rows())
