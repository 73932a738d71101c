"""The extract stage over raw/ and interim/: each notice's file parsed in a worker process of its
own (scheduler.py), only when it is new or changed; the notices no longer in raw/ leave
interim/. Imports only what extraction needs: a run that finds nothing changed stops after it."""

from __future__ import annotations

import logging
import multiprocessing as mp
import shutil
from pathlib import Path

from ..errors import Finding, Refused
from ..extract import discover, shown_name
from .folder import NoticeFolder
from .scheduler import cache_key, extract_all, is_cached
from .state import Config, FileHashes, NoticeStatus, RunReport, made_folders, record_made

log = logging.getLogger("pipeline")


def stage_extract(cfg: Config, report: RunReport) -> None:
    """raw/ → interim/<id>/document.json, parsing only new or changed files."""
    if not cfg.raw.is_dir():
        raise Refused(cfg.raw, "the raw folder does not exist")
    cfg.interim.mkdir(parents=True, exist_ok=True)
    found = discover(cfg.raw)
    for name, why in found.skipped:
        log.warning("%s: %s", name, why)
        report.skipped_files.append({"file": name, "why": why})
    for name, why in found.refused:
        log.error("%s: %s", name, why)
        report.refused_files.append({"file": name, "problem": why})
        report.findings.append(Finding("", "extract", "error", "file-refused", why, name))
    for name, note in found.warnings:
        log.warning("%s: %s", name, note)
        report.findings.append(Finding("", "extract", "warning", "file-name", note, name))
    todo = []
    hashes = FileHashes(cfg.interim)
    for rn in found.notices:
        sha = hashes.of(rn.path)
        st = NoticeStatus(rn.notice_id, rn.name, rn.format, sha, [shown_name(a)[0] for a in rn.alternates])
        report.notices.append(st)
        key = cache_key(rn, sha, [[shown_name(a)[0], hashes.of(a)] for a in rn.alternates])
        if is_cached(NoticeFolder.of(cfg.interim, rn.notice_id), key):
            st.extraction = "cached"
        else:
            todo.append((rn, key))
    with_alternates = [rn for rn in found.notices if rn.alternates]
    if with_alternates:  # once per run; the report and the notices table list each notice's other forms
        log.info("%d notice(s) also present in other forms: the preferred form is read (%s)", len(with_alternates),
                 ", ".join(f"{rn.name} over {', '.join(shown_name(a)[0] for a in rn.alternates)}" for rn in with_alternates[:3])
                 + (", …" if len(with_alternates) > 3 else ""))
    hashes.save()
    made = made_folders(cfg.interim)
    new = {rn.notice_id for rn, _ in todo if not (cfg.interim / rn.notice_id).exists()} - made
    if new:  # recorded before the workers make them: a run killed midway still knows them
        made |= new
        record_made(cfg.interim, made)
    jobs = cfg.jobs or mp.cpu_count() or 1
    log.info("%d notice(s) in %s: %d to parse, %d unchanged", len(found.notices), cfg.raw, len(todo), len(found.notices) - len(todo))
    results = extract_all(todo, cfg.interim, jobs, cfg.timeout, cfg.progress, cfg.memory_mb) if todo else {}
    for st in report.notices:
        if st.notice_id in results:
            error, detail, secs = results[st.notice_id]
            st.seconds = round(secs, 3)
            st.extraction = "failed" if error else "parsed"
            st.error = error
            if error:
                log.error("%s: %s", st.source_file, error)
                if detail:
                    log.debug("%s: %s", st.source_file, detail)
                report.findings.append(Finding(st.notice_id, "extract", "error", "extract-failed", error, st.source_file))
        if st.extraction != "failed":
            meta = NoticeFolder.of(cfg.interim, st.notice_id).extraction()
            if meta.get("read") and meta["read"] != st.source_file:  # the preferred form could not be read
                st.source_file, st.source_format = meta["read"], Path(meta["read"]).suffix.lower().lstrip(".")
                st.alternates = [a for a in st.alternates if a != meta["read"]]
            st.source_format = meta.get("format") or st.source_format  # what the content is, not what the name says
            st.sha256 = meta.get("read_sha256", st.sha256)  # of the bytes the rows come from, hashed as they were read
            if st.extraction == "parsed" and meta.get("found_sha256", st.sha256) != st.sha256:  # said once, by the run that read it
                changed = (f"the file changed after the run found it (sha256 {meta['found_sha256'][:12]}… then, {st.sha256[:12]}… when read): "
                           "its rows and the sha256 published are of the bytes read")
                log.warning("%s: %s", st.source_file, changed)
                report.findings.append(Finding(st.notice_id, "extract", "warning", "file-changed", changed, st.source_file))
            for n in meta.get("notes", []):
                (log.error if n["severity"] == "error" else log.warning)("%s: %s", st.source_file, n["message"])
                report.findings.append(Finding(st.notice_id, "extract", n["severity"], n["code"], n["message"], st.source_file))
    if not todo:
        log.info("nothing changed in raw/: no notice was parsed again")
    kept = _prune_interim(cfg.interim, made, {n.notice_id for n in report.notices})
    if kept != made:
        record_made(cfg.interim, kept)


def _prune_interim(interim: Path, made: set[str], keep: set[str]) -> set[str]:
    """Interim results of notices no longer in raw/ go, so they cannot leak into a publish: only
    the folders this pipeline made (recorded as it made them), never a folder it does not know.
    Returns the folders it made that remain."""
    for nid in sorted(made - keep):
        d = interim / nid
        if d.is_dir() and not d.is_symlink():
            shutil.rmtree(d)
    return made & keep
