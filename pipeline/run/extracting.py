"""The extract stage over raw/ and interim/: each notice's file parsed in a process of its own
(the executor's `isolated`), only when it is new or changed, so a crash, a time-out or a file
that exhausts its reader is reported and the others go on; the notices no longer in raw/ leave
interim/. A child writes document.json and then extract.json, whose presence marks a complete
extraction: a killed run leaves nothing half-written behind. Imports only what extraction
needs: a run that finds nothing changed stops after it."""

from __future__ import annotations

import logging
import shutil
import signal
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .. import __version__
from ..errors import ExtractError, Finding, Refused
from ..extract import BACKEND_VERSIONS, BY_EXTENSION, OUT_OF_MEMORY, RawNotice, discover, extract, shown_name
from ..files import sha256_file
from ..libraries import EXTRACTION, library_versions
from ..logs import event
from ..model import DOCUMENT_SCHEMA_VERSION, Notice
from ..publish import current_manifest
from ..wording import wording
from .executor import Ended, Limits
from .executors import executor_for
from .folder import NoticeFolder
from .progress import Progress
from .selection import select
from .state import Config, FileHashes, NoticeStatus, RunReport, made_folders, record_made

log = logging.getLogger("pipeline")


def cache_key(rn: RawNotice, sha: str, alternates: list[list[str]] | None = None) -> dict:
    """What an extraction depends on: the file's bytes and name, the other forms (read when the
    first cannot be, and compared with it), its backend and version, the libraries that read
    it, and the words its backend is handed (PDF, OFD, text)."""
    key = {"sha256": sha, "source_file": rn.name, "alternates": alternates or [], "backend": rn.format,
           "backend_version": BACKEND_VERSIONS.get(rn.format, "0"), "pipeline_version": __version__,
           "document_schema": DOCUMENT_SCHEMA_VERSION, "libraries": library_versions(EXTRACTION)}
    forms = (rn.format, *(a.suffix.lower().lstrip(".") for a in rn.alternates))
    if any(f in BY_EXTENSION and BY_EXTENSION[f].needs_lexicon for f in forms):
        key["lexicon"] = wording().lexicon.fingerprint
    return key


# Why a notice is read again, by the part of its extraction's key that changed.
WHY_EXTRACT = {"sha256": "its file changed", "source_file": "it is read from another file", "alternates": "its other forms changed",
               "backend": "another reader reads it", "backend_version": "its reader changed", "pipeline_version": "the pipeline's version changed",
               "document_schema": "the document model changed", "libraries": "a library that reads it changed",
               "lexicon": "the wording its reader is handed changed"}


def why_extract(folder: NoticeFolder, key: dict, old: dict | None = None) -> str | None:
    """Why a notice's extraction is not cached, in words; None when it is. `old`: its record, when read already."""
    old = folder.extraction() if old is None else old  # {} when missing or damaged (a kill while it was written): extract again
    if not old or not folder.extracted():
        if folder.error() is not None:
            return "it could not be read last time"
        return "it is new" if not folder.path.exists() else "its extraction is missing or incomplete"
    if "format" in old and old.get("format_version") != BACKEND_VERSIONS.get(old["format"], "0"):
        return f"the {old['format']} reader changed"  # the backend that read it (its content's, not its name's)
    for k, v in key.items():
        if old.get(k) != v:
            if k == "libraries" and isinstance(old.get(k), dict):
                return "a library changed: " + ", ".join(f"{n} {old[k].get(n, '-')} -> {v[n]}" for n in v if old[k].get(n) != v[n])
            return WHY_EXTRACT.get(k, f"its {k} changed")
    return None


def is_cached(folder: NoticeFolder, key: dict) -> dict | None:
    """The extraction's record when its results are there and were made from what `key` describes."""
    old = folder.extraction()
    return old if why_extract(folder, key, old) is None else None


@dataclass
class Work:
    """What extraction found to do: the notices to parse, with their keys, and the records of
    those whose extraction is cached (taken as they were read, in the order of the notices)."""

    todo: list[tuple[RawNotice, dict]]
    cached: dict[str, dict]


def stage_extract(cfg: Config, report: RunReport) -> None:
    """raw/ → interim/<id>/document.json, parsing only new or changed files."""
    work = to_extract(cfg, report)
    results = _extract_all(cfg, work.todo) if work.todo else {}
    for st in report.notices:
        if st.notice_id in results:
            error, detail, secs = results[st.notice_id]
            extracted(st, error, detail, secs, {} if error else NoticeFolder.of(cfg.interim, st.notice_id).extraction(), report)
        elif st.notice_id in work.cached:
            report_read(st, work.cached[st.notice_id], report)
    prune(cfg, report)


def to_extract(cfg: Config, report: RunReport) -> Work:
    """Every entry of raw/ in the report; the notices to extract, with their keys (their folders
    recorded as the pipeline's own before any is made: a run killed midway still knows them)."""
    if not cfg.raw.is_dir():
        raise Refused(cfg.raw, "the raw folder does not exist")
    cfg.interim.mkdir(parents=True, exist_ok=True)
    work = _found(cfg, report)
    if report.selection:
        work.todo = _selected(cfg, report, work.todo)
    todo = work.todo
    made = made_folders(cfg.interim)
    new = {rn.notice_id for rn, _ in todo if not NoticeFolder.of(cfg.interim, rn.notice_id).path.exists()} - made
    if new:
        record_made(cfg.interim, made | new)
    log.info("%d notice(s) in %s: %d to parse, %d unchanged", len(report.notices), cfg.raw, len(todo), len(report.notices) - len(todo),
             extra=event("extract.start", notices=len(report.notices), to_parse=len(todo)))
    if not todo:
        log.info("nothing changed in raw/: no notice was parsed again", extra=event("extract.unchanged"))
    return work


def extracted(st: NoticeStatus, error: str, detail: str, seconds: float, meta: dict, report: RunReport) -> None:
    """A notice's extraction, ended: parsed, as its record says it was read, or failed, and why."""
    st.seconds = round(seconds, 3)
    st.extraction = "failed" if error else "parsed"
    st.error = error
    if error:
        log.error("%s: %s", st.source_file, error, extra=event("extract.failed", st.notice_id, file=st.source_file))
        if detail:
            log.debug("%s: %s", st.source_file, detail)
        report.findings.append(Finding(st.notice_id, "extract", "error", "extract-failed", error, st.source_file))
    else:
        report_read(st, meta, report)


def prune(cfg: Config, report: RunReport) -> None:
    """The notices no longer in raw/ leave interim/."""
    made = made_folders(cfg.interim)
    kept = _prune_interim(cfg.interim, made, {n.notice_id for n in report.notices} | set(report.unselected))
    if kept != made:
        record_made(cfg.interim, kept)


def _found(cfg: Config, report: RunReport) -> Work:
    """Every entry of raw/ accounted for (read, skipped or refused, in the report); the notices
    whose extraction is not cached, with their keys (a cached one is taken as it was read)."""
    found = discover(cfg.raw)
    for name, why in found.skipped:
        log.warning("%s: %s", name, why, extra=event("raw.skipped", file=name))
        report.skipped_files.append({"file": name, "why": why})
    for name, why in found.refused:
        log.error("%s: %s", name, why, extra=event("raw.refused", file=name))
        report.refused_files.append({"file": name, "problem": why})
        report.findings.append(Finding("", "extract", "error", "file-refused", why, name))
    for name, note in found.warnings:
        log.warning("%s: %s", name, note, extra=event("raw.file_name", file=name))
        report.findings.append(Finding("", "extract", "warning", "file-name", note, name))
    work = Work([], {})
    hashes = FileHashes(cfg.interim)
    for rn in found.notices:
        sha = hashes.of(rn.path)
        st = NoticeStatus(rn.notice_id, rn.name, rn.format, sha, [shown_name(a)[0] for a in rn.alternates])
        report.notices.append(st)
        key = cache_key(rn, sha, [[shown_name(a)[0], hashes.of(a)] for a in rn.alternates])
        if (meta := is_cached(NoticeFolder.of(cfg.interim, rn.notice_id), key)) is not None:
            st.extraction = "cached"
            work.cached[st.notice_id] = meta
        else:
            work.todo.append((rn, key))
    with_alternates = [rn for rn in found.notices if rn.alternates]
    if with_alternates:  # once per run; the report and the notices table list each notice's other forms
        log.info("%d notice(s) also present in other forms: the preferred form is read (%s)", len(with_alternates),
                 ", ".join(f"{rn.name} over {', '.join(shown_name(a)[0] for a in rn.alternates)}" for rn in with_alternates[:3])
                 + (", …" if len(with_alternates) > 3 else ""), extra=event("extract.other_forms"))
    hashes.save()
    return work


def _selected(cfg: Config, report: RunReport, todo: list[tuple[RawNotice, dict]]) -> list[tuple[RawNotice, dict]]:
    """Only the notices --select selects go on; the others are left as they are (interim/ and curated/ keep them)."""
    published = {i["notice_id"]: i["sha256"] for i in (current_manifest(cfg.curated) or {}).get("inputs", [])}
    chosen = select([(st.notice_id, st.source_file, st.sha256) for st in report.notices], report.selection, published)
    report.unselected = sorted(st.notice_id for st in report.notices if st.notice_id not in chosen)
    report.notices = [st for st in report.notices if st.notice_id in chosen]
    log.info("--select %s: %d of %d notice(s)", " ".join(report.selection), len(report.notices), len(report.notices) + len(report.unselected),
             extra=event("select", selected=len(report.notices), left_out=len(report.unselected)))
    return [(rn, key) for rn, key in todo if rn.notice_id in chosen]


SAID = ("found_sha256", "notes")  # what report_read reads of an extraction's record besides what as_read took into the status


def as_read(st: NoticeStatus, meta: dict) -> None:
    """The notice as its extraction read it: the form read (when the preferred one could not be),
    its format by content, the hash of the bytes read. Done again, it changes nothing."""
    if meta.get("read") and meta["read"] != st.source_file:  # the preferred form could not be read
        st.source_file, st.source_format = meta["read"], Path(meta["read"]).suffix.lower().lstrip(".")
        st.alternates = [a for a in st.alternates if a != meta["read"]]
    st.source_format = meta.get("format") or st.source_format  # what the content is, not what the name says
    st.sha256 = meta.get("read_sha256", st.sha256)  # of the bytes the rows come from, hashed as they were read


def report_read(st: NoticeStatus, meta: dict, report: RunReport) -> None:
    """The notice as its extraction read it (as_read), and what the reader said."""
    as_read(st, meta)
    if st.extraction == "parsed" and meta.get("found_sha256", st.sha256) != st.sha256:  # said once, by the run that read it
        changed = (f"the file changed after the run found it (sha256 {meta['found_sha256'][:12]}… then, {st.sha256[:12]}… when read): "
                   "its rows and the sha256 published are of the bytes read")
        log.warning("%s: %s", st.source_file, changed, extra=event("extract.file_changed", st.notice_id, file=st.source_file))
        report.findings.append(Finding(st.notice_id, "extract", "warning", "file-changed", changed, st.source_file))
    for n in meta.get("notes", []):
        (log.error if n["severity"] == "error" else log.warning)("%s: %s", st.source_file, n["message"],
                                                                 extra=event(f"extract.{n['code']}", st.notice_id, file=st.source_file))
        report.findings.append(Finding(st.notice_id, "extract", n["severity"], n["code"], n["message"], st.source_file))


def preload(paths: list[Path]) -> None:
    """What the readers of these files load once, before processes fork to read them: the
    children inherit it instead of each loading its own (jieba's dictionary for PDF names)."""
    forms = {p.suffix.lower() for p in paths}
    if ".pdf" in forms:
        from ..extract.pdf import name_tokenizer

        name_tokenizer(wording().lexicon)
    if forms & {".docx", ".doc", ".wps"}:
        from ..extract import docx  # noqa: F401  # imported once before forking, not in every child


def _extract_all(cfg: Config, todo: list[tuple[RawNotice, dict]]) -> dict[str, tuple[str, str, float]]:
    """Each notice parsed in a process of its own. Returns id -> (error, detail, seconds)."""
    preload([p for rn, _ in todo for p in [rn.path, *rn.alternates]])
    limits = Limits(cfg.timeout, cfg.memory_mb)
    jobs = [(rn.notice_id, partial(extract_notice, rn, NoticeFolder.of(cfg.interim, rn.notice_id), key)) for rn, key in todo]
    results = {}
    executor = executor_for(cfg)
    try:
        with Progress("extract", len(todo), cfg.progress) as bar:
            for nid, ended in executor.isolated(jobs, limits):
                error, detail = why_it_ended(ended, NoticeFolder.of(cfg.interim, nid), limits)
                results[nid] = (error, detail, ended.seconds)
                bar.step(f"FAILED {nid}" if error else f"ok {nid}", nid)
    finally:
        executor.close()
    return results


def why_it_ended(ended: Ended, folder: NoticeFolder, limits: Limits) -> tuple[str, str]:
    """A notice's extraction as a person reads it: "" when it was read; else why not, in plain
    words, and the library's own words (shown with -v). Running out of the memory a notice may
    use is said one way however it showed (a MemoryError, a C library's abort, a kill): where the
    allocation fails differs with the process the extraction was forked from, this machine's run
    or a cluster's worker."""
    if ended.timed_out:
        return f"reading it took longer than {limits.timeout:g} s and was stopped", ""
    out_of_memory = f"reading it needed more than the {limits.memory_mb} MB a notice may use (--memory-mb)"
    if (said := folder.error()) is not None:
        return (out_of_memory, said[0]) if said[0] == OUT_OF_MEMORY else said
    code = ended.exitcode
    if code == -signal.SIGKILL and limits.memory_mb:
        return out_of_memory, "killed"
    if code == -signal.SIGABRT and limits.memory_mb:  # a C library (PDFium) that cannot allocate aborts instead of raising MemoryError
        return out_of_memory, "the reader aborted when an allocation failed"
    if code is not None and code < 0:
        return f"the reader crashed on it ({signal.Signals(-code).name}): the file may be damaged; run again with -v for details", ""
    if code != 0 or not folder.extraction():
        return f"the reader stopped unexpectedly (exit code {code}); run again with -v for details", ""
    return "", ""


def extract_notice(rn: RawNotice, out: NoticeFolder, key: dict) -> None:
    """Parse one notice into its folder: document.json, then extract.json; or error.json saying
    why none of its forms could be read. The preferred form first; when it cannot be read, the
    next form in order of preference. (Run in a process of its own.)"""
    out.start_extraction()
    t0 = time.perf_counter()
    forms = [(rn.path, rn.name)] + [(a, shown_name(a)[0]) for a in rn.alternates]
    notice, sha, failures = _read_first(forms, out)
    if notice is None:
        error = failures[0][1] + "".join(f"; {n}: {e}" for n, e, _ in failures[1:])
        out.write_error(error, "; ".join(f"{n}: {d}" for n, _, d in failures if d))
        return
    notes = [{"severity": "warning", "code": "extract-warning", "message": w} for w in notice.warnings]
    # The run hashed each form when it found it; what is published is the hash of the bytes read,
    # and the cache is keyed on them (the next run parses again unless the file still holds them).
    read_name = notice.source_file
    found = (dict(key["alternates"]) | {rn.name: key["sha256"]}).get(read_name, "")
    if found != sha:
        alternates = [[n, sha if n == read_name else h] for n, h in key["alternates"]]
        key = {**key, "sha256": sha if read_name == rn.name else key["sha256"], "alternates": alternates}
    if failures:
        notes.insert(0, {"severity": "warning", "code": "read-alternate", "message":
                         f"read {notice.source_file} because " + "; ".join(f"{n} could not be read ({e})" for n, e, _ in failures)})
    notes += _other_notices(notice, forms[len(failures) + 1:])
    notice.notice_id = rn.notice_id
    # also the format the content was read as (a .docx named .pdf is docx) and its backend's version
    meta = {**key, "read": notice.source_file, "read_sha256": sha, "found_sha256": found, "format": notice.source_format,
            "format_version": BACKEND_VERSIONS.get(notice.source_format, "0"), "seconds": round(time.perf_counter() - t0, 3),
            "pages": notice.pages, "notes": notes}
    out.write_extracted(notice, meta)


def _read_first(forms: list[tuple[Path, str]], out: NoticeFolder) -> tuple[Notice | None, str, list[tuple[str, str, str]]]:
    """The first form that can be read, the SHA-256 of the bytes read, and why each form before it
    could not be: (file, problem, the library's words) — no exception kept, nor the memory its
    frames hold. Each form is copied and hashed in one read and the copy parsed, so the sha256
    published is of exactly the bytes the rows come from, even when the file is rewritten
    meanwhile; the copy takes the name the file is shown by (a GBK name decoded)."""
    failures: list[tuple[str, str, str]] = []
    try:
        for path, name in forms:
            try:
                copy = out.reading_copy(name)
                sha = sha256_file(path, copy)
                return extract(copy, wording().lexicon, out.path), sha, failures
            except ExtractError as exc:
                failures.append((name, str(exc), exc.detail))
            except OSError as exc:  # gone or unreadable since it was found
                failures.append((name, f"cannot be read: {exc.strerror or exc}", ""))
    finally:
        out.drop_reading_copies()
    return None, "", failures


def _other_notices(notice: Notice, others: list[tuple[Path, str]]) -> list[dict]:
    """An error note for each other form under the notice's name that holds another notice."""
    from ..extract.compare import notice_text, same_notice

    read_text = notice_text(notice)
    return [{"severity": "error", "code": "alternate-differs", "message":
             f"{name} shares the name of {notice.source_file} but holds a different notice: it is not read; give it a name of its own"}
            for path, name in others if not same_notice(read_text, path)]


def _prune_interim(interim: Path, made: set[str], keep: set[str]) -> set[str]:
    """Interim results of notices no longer in raw/ go, so they cannot leak into a publish: only
    the folders this pipeline made (recorded as it made them), never a folder it does not know.
    Returns the folders it made that remain."""
    for nid in sorted(made - keep):
        d = NoticeFolder.of(interim, nid).path
        if d.is_dir() and not d.is_symlink():
            shutil.rmtree(d)
    return made & keep
