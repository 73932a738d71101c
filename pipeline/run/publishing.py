"""The publish stage over interim/: carries out what the gate decides (publish.gate.decide) —
writes the new version of curated/ and the run's report, or says why it did not — and takes the
exit code the plan gives for what happened. It decides nothing itself."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import Refused
from ..libraries import library_versions
from ..logs import event
from ..publish import NoticeRows, PublishError, content_hash, current_manifest, make_current, published_rows, published_table, write_version
from ..publish.gate import Previous, PublishPlan, Results, decide, unvalidated
from ..report import RunSummary, prune_reports, put_in_place, record_run, settle, write_report
from ..wording import fingerprint as wording_fingerprint
from .folder import NoticeFolder, StalePieces
from .stages import candidate, pieces_hash, registry_at, summaries
from .state import Config, RunReport, report_parts

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger("pipeline")


def results_of(report: RunReport, candidates: set[str], strict: bool) -> Results:
    """What the run knows of its notices when it comes to publish: its validation, the notices
    that could not be read, the entries of raw/ it did not read."""
    v = report.validation
    return Results(tuple(st.notice_id for st in report.notices), frozenset(candidates), dict(v.get("held_back") or {}),
                   {st.notice_id: st.error for st in report.failed}, tuple(v.get("run_blocked") or ()),
                   bool(report.refused_files) or any(f.code == "alternate-differs" for f in report.findings), strict,
                   frozenset(report.unselected))


def previous_of(curated: Path, manifest: dict | None) -> Previous:
    """The notices `curated` holds, with their rows' digests (read from the notices table for a
    version published before the manifest listed them)."""
    if not manifest:
        return Previous()
    if "notices" in manifest:
        return Previous(manifest["notices"])
    import pyarrow.parquet as pq

    ids = pq.read_table(curated / "notices", columns=["notice_id"]).column("notice_id").to_pylist()
    return Previous({nid: f"version {manifest.get('version')}" for nid in ids})


def stage_publish(cfg: Config, report: RunReport) -> None:
    """The candidate tables to curated/, notice by notice, as the gate decides: a notice whose
    rows fail a blocking check, or that could not be read, is held back and keeps the version
    last published; every other notice is published. With --strict, one failure holds back every notice."""
    index = candidate(cfg.interim)
    registry = registry_at(cfg.registry).fingerprint
    if problem := unvalidated(report.validation, pieces_hash(index), registry):
        what, words = problem
        raise Refused(cfg.registry if what == "registry" else cfg.interim, words)
    old_manifest = current_manifest(cfg.curated)
    previous = previous_of(cfg.curated, old_manifest)
    plan = decide(results_of(report, set(index), cfg.strict), previous)
    for st in report.notices:
        st.status, st.held_because = plan.status.get(st.notice_id, ""), plan.held.get(st.notice_id, [])
    staged: Path | None = None  # this run's report, written whole before the switch, not yet in place
    tried = False  # the report was written, or tried (a report that cannot be written is said once)
    if plan.verdict != "publish":
        report.verdict = plan.verdict
        log.error("nothing published (%s); curated/ left unchanged", plan.reason, extra=event("publish.nothing"))
    else:
        staged, tried = _publish(cfg, report, plan, index, registry, previous, old_manifest)
        if report.verdict != "failed":
            for nid, line in plan.notes_by_notice(previous):
                log.error("%s", line, extra=event("notice.held_back", nid, rules=plan.held[nid]))
    report.exit_code = plan.exit_code(report.verdict)
    if report.verdict == "failed":
        for st in report.notices:
            st.status = "not published"
    if not report.manifest:  # nothing written to curated/: the same manifest, saying why
        report.manifest = {**manifest_of(report, plan, registry, None), "verdict": report.verdict, "published": report.published}
    if not tried:
        staged = _write_report(cfg, report, index, old_manifest)
    if staged is not None and _put_report_in_place(cfg, report, staged):
        _point_at_report(cfg, report)


def _publish(cfg: Config, report: RunReport, plan: PublishPlan, index: dict[str, str], registry: str, previous: Previous,
             old_manifest: dict | None) -> tuple[Path | None, bool]:
    """The plan's notices as a new version of curated/ (or none, when curated/ holds exactly
    these tables): sets the verdict, the files published and the manifest. Returns this run's
    report, staged, and whether it was tried: it is written before the switch (a kill between
    the two leaves it staged for the next run to put in place: report.settle)."""
    rows, departments = _to_publish(cfg, index, plan, previous)
    digest = content_hash(rows, departments)
    if old_manifest and old_manifest.get("content_hash") == digest:
        report.verdict, report.published = "unchanged", old_manifest.get("published", [])
        log.info("curated/ already holds exactly these tables; nothing to publish", extra=event("publish.unchanged"))
        return None, False
    staged = None
    try:
        manifest = manifest_of(report, plan, registry, digest, old_manifest)
        # the one manifest, as written (not read back: a large run's inputs are not held twice)
        final, report.manifest = write_version(rows, departments, cfg.curated, manifest, report.run_id)
        report.verdict, report.published = "published", report.manifest["published"]
        report.exit_code = plan.exit_code(report.verdict)
        staged = _write_report(cfg, report, index, old_manifest)
        make_current(cfg.curated, final, cfg.keep_versions)
    except StalePieces as exc:
        raise Refused(cfg.interim, f"{exc}: the candidate tables changed since they were validated: run `python -m pipeline validate` again") from None
    except (PublishError, OSError) as exc:  # disk full, not writable, a mount point …
        if staged is not None:  # it says "published": this run's report is written again
            shutil.rmtree(staged, ignore_errors=True)
        report.verdict, report.published, report.manifest = "failed", [], {}
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
        report.publish_error = f"{why}{where}"
        log.error("%s: cannot publish: %s%s; curated is left as it was", cfg.curated, why, where, extra=event("publish.failed"))
        return None, False
    rows_of: Counter[str] = Counter()
    for f in report.published:
        rows_of[f["table"]] += f["rows"]
    log.info("published version %s: %s", report.manifest.get("version"), ", ".join(f"{t} ({n} rows)" for t, n in sorted(rows_of.items())),
             extra=event("publish.done", version=report.manifest.get("version"), rows=dict(rows_of)))
    return staged, True


def manifest_of(report: RunReport, plan: PublishPlan, registry: str, digest: str | None, old_manifest: dict | None = None) -> dict:
    """What a publish is made from: built here only, written to curated/ and to the report. The
    notices --select left out are as the manifest before recorded them."""
    left_out = set(report.unselected)
    carried = [i for i in (old_manifest or {}).get("inputs", []) if i.get("notice_id") in left_out]
    held = {**{nid: rules for nid, rules in (old_manifest or {}).get("held_back", {}).items() if nid in left_out}, **plan.held}
    return {"run_id": report.run_id, "pipeline_version": __version__, "content_hash": digest,
            "verdict": "held back" if held else "passed",
            "inputs": sorted([{"notice_id": st.notice_id, "file": st.source_file, "sha256": st.sha256, "alternates": st.alternates,
                               "extraction": st.extraction, "error": st.error, "status": st.status, "held_because": st.held_because}
                              for st in report.notices] + carried, key=lambda i: i["notice_id"]),
            "held_back": dict(sorted(held.items())),
            "fingerprints": {"wording": wording_fingerprint(), "registry": registry}, "curated": report.curated,
            "libraries": library_versions()}


def _to_publish(cfg: Config, index: dict[str, str], plan: PublishPlan, previous: Previous) -> tuple[list[NoticeRows], pa.Table]:
    """The notices to publish (this run's pieces of those that passed, the last published rows of
    held-back ones) and the departments table over them, built from the notices' summaries."""
    from ..normalize.tables import DepartmentFacts, merge_departments, notice_departments

    rows = [NoticeRows(nid, index[nid], partial(_candidate_rows, cfg.interim, nid, index[nid])) for nid in plan.publish]
    rows += [NoticeRows(nid, previous.notices[nid], partial(published_rows, cfg.curated, nid)) for nid in plan.keep]
    published: dict = {}
    if plan.keep:  # what the published departments table says of each name
        published = {r["department_canonical"]: DepartmentFacts.published(r) for r in published_table(cfg.curated, "departments").to_pylist()}

    def department_rows() -> Iterator[list[dict]]:
        fresh = set(plan.publish)
        for nid in sorted(fresh | set(plan.keep)):
            if nid in fresh:
                yield NoticeFolder.of(cfg.interim, nid).summary().departments
            else:  # as published
                yield notice_departments(published_rows(cfg.curated, nid)["measure_departments"].to_pylist(), published)

    return rows, merge_departments(department_rows())


def _candidate_rows(interim: Path, notice_id: str, digest: str) -> dict[str, pa.Table]:
    """A notice's pieces, if they are still the rows validated (its folder found when they are
    loaded: a large run does not hold a folder's path for every notice until its bucket is written)."""
    return NoticeFolder.of(interim, notice_id).pieces(digest)


def _report_failed(cfg: Config, report: RunReport, exc: OSError) -> None:
    """A report that cannot be written (a full disk) is an error naming the path; the publish
    stands, and no earlier report passes for this run's."""
    with contextlib.suppress(OSError):
        (cfg.reports / "latest").unlink(missing_ok=True)
    log.error("%s: cannot write the run report: %s; reports/latest removed", cfg.reports / report.run_id, exc.strerror or exc,
              extra=event("report.failed"))
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


def _point_at_report(cfg: Config, report: RunReport) -> None:
    report_dir = Path(report.report_dir)
    with (report_dir / "unknown_departments.csv").open(encoding="utf-8") as fh:
        unknown = sum(1 for _ in fh) - 1
    if unknown:
        log.warning("%d department name(s) not in the registry: rows ready for departments.csv in %s", unknown,
                    report_dir / "unknown_departments.csv", extra=event("registry.unknown_names", names=unknown))
    log.info("report: %s (all runs: %s)", report_dir / "summary.html", cfg.reports / "index.html", extra=event("report.written"))
