"""Extraction in isolated worker processes, with a cache keyed on the file and its backend.

    extract_all(todo, interim, jobs, timeout, progress) -> {notice_id: (error, seconds)}

Each notice is parsed in its own forked process, `jobs` at a time, so a crash or a timeout in
one is reported and the others go on. A worker writes document.json and then extract.json,
whose presence marks a complete extraction; a killed run leaves nothing half-written behind.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing as mp
import os
import signal
import time
from pathlib import Path

from .. import __version__
from ..errors import ExtractError
from ..extract import BACKEND_VERSIONS, BY_EXTENSION, RawNotice, extract, shown_name
from ..extract.compare import notice_text, same_notice
from ..files import sha256_file
from ..libraries import EXTRACTION, library_versions
from ..lock import release_in_child
from ..model import DOCUMENT_SCHEMA_VERSION
from ..wording import wording
from .folder import NoticeFolder
from .progress import Progress

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


def _snapshot(path: Path, name: str, out: NoticeFolder) -> tuple[Path, str]:
    """A copy of the raw file to parse and its SHA-256, both from one read: the sha256 published
    is of exactly the bytes the rows come from, even when the file is rewritten meanwhile. The
    copy takes the name the file is shown by, so provenance is plain text (a GBK name decoded)."""
    copy = out.reading_copy(name)
    return copy, sha256_file(path, copy)


def _extract_worker(rn: RawNotice, out_dir: str, key: dict, memory_mb: int) -> None:
    """Runs in a child process: parse one notice, write document.json, then extract.json.
    The preferred form first; when it cannot be read, the next form in order of preference."""
    if memory_mb:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    out = NoticeFolder(Path(out_dir))
    out.start_extraction()
    t0 = time.perf_counter()
    forms = [(rn.path, rn.name)] + [(a, shown_name(a)[0]) for a in rn.alternates]
    failures: list[tuple[str, str, str]] = []  # (file, problem, the library's words): no exception kept, nor the memory its frames hold
    notice, sha = None, ""
    try:
        for path, name in forms:
            try:
                copy, sha = _snapshot(path, name, out)
                notice = extract(copy, wording().lexicon, out.path)
                break
            except ExtractError as exc:
                failures.append((name, str(exc), exc.detail))
            except OSError as exc:  # gone or unreadable since it was found
                failures.append((name, f"cannot be read: {exc.strerror or exc}", ""))
    finally:
        out.drop_reading_copies()
    if notice is None:
        error = failures[0][1] + "".join(f"; {n}: {e}" for n, e, _ in failures[1:])
        detail = "; ".join(f"{n}: {d}" for n, _, d in failures if d)
        out.write_error(error, detail)
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
    read_text = notice_text(notice)
    for path, name in forms[len(failures) + 1:]:
        if not same_notice(read_text, path):
            notes.append({"severity": "error", "code": "alternate-differs", "message":
                          f"{name} shares the name of {notice.source_file} but holds a different notice: it is not read; "
                          "give it a name of its own"})
    notice.notice_id = rn.notice_id
    # also the format the content was read as (a .docx named .pdf is docx) and its backend's version
    meta = {**key, "read": notice.source_file, "read_sha256": sha, "found_sha256": found, "format": notice.source_format,
            "format_version": BACKEND_VERSIONS.get(notice.source_format, "0"), "seconds": round(time.perf_counter() - t0, 3),
            "pages": notice.pages, "notes": notes}
    out.write_extracted(notice, meta)


def is_cached(folder: NoticeFolder, key: dict) -> bool:
    old = folder.extraction()  # {} when missing or damaged (a kill while it was written): extract again
    if not old or not folder.extracted():
        return False
    if "format" in old and old.get("format_version") != BACKEND_VERSIONS.get(old["format"], "0"):
        return False  # the backend that read it (its content's, not its name's) has changed since
    return all(old.get(k) == v for k, v in key.items())


def _start_worker(rn: RawNotice, out_dir: str, key: dict, memory_mb: int) -> None:
    os.setsid()  # its own process group: a timeout stops it with LibreOffice and anything else it started
    # A worker lives for one notice: collect garbage rarely (pdfminer makes millions of short-lived
    # objects and few cycles), and never walk what it inherited (frozen in the parent before fork).
    gc.set_threshold(100_000, 50, 1000)
    _die_with_parent()
    release_in_child()
    _extract_worker(rn, out_dir, key, memory_mb)


def _die_with_parent() -> None:
    """A killed run takes its workers with it (Linux), though they lead their own groups."""
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def extract_all(todo: list[tuple[RawNotice, dict]], interim: Path, jobs: int, timeout: float,
                progress: bool | None, memory_mb: int = 0) -> dict[str, tuple[str, str, float]]:
    """Parse each notice in its own process, `jobs` at a time. Returns id -> (error, detail, seconds)."""
    ctx = mp.get_context("fork")
    forms = {p.suffix.lower() for rn, _ in todo for p in [rn.path, *rn.alternates]}
    if ".pdf" in forms:
        from ..extract.pdf import name_tokenizer

        name_tokenizer(wording().lexicon)  # load jieba once here; forked workers inherit it
    if forms & {".docx", ".doc", ".wps"}:
        from ..extract import docx  # noqa: F401  # imported once before forking, not in every worker
    gc.collect()
    gc.freeze()  # what the workers inherit stays out of their collections (and its pages unwritten)
    queue = list(todo)
    running: dict[str, tuple[mp.process.BaseProcess, float]] = {}
    results: dict[str, tuple[str, str, float]] = {}
    bar = Progress("extract", len(todo), progress)
    try:
        while queue or running:
            while queue and len(running) < jobs:
                rn, key = queue.pop(0)
                p = ctx.Process(target=_start_worker, args=(rn, str(interim / rn.notice_id), key, memory_mb), daemon=True)
                p.start()
                running[rn.notice_id] = (p, time.monotonic())
            time.sleep(0.01)
            for nid, (p, t0) in list(running.items()):
                elapsed = time.monotonic() - t0
                if p.is_alive() and elapsed <= timeout:
                    continue
                detail = ""
                if p.is_alive():
                    _kill_group(p)
                    error = f"reading it took longer than {timeout:g} s and was stopped"
                else:
                    p.join()
                    _kill_group(p)  # anything it started and left behind
                    folder = NoticeFolder.of(interim, nid)
                    if (said := folder.error()) is not None:
                        error, detail = said
                    elif p.exitcode == -9 and memory_mb:
                        error = f"reading it needed more than the {memory_mb} MB a notice may use; it was stopped"
                    elif p.exitcode == -signal.SIGABRT and memory_mb:
                        # a C library (PDFium) that cannot allocate aborts instead of raising MemoryError
                        error = (f"reading it needed more than the {memory_mb} MB a notice may use (--memory-mb): "
                                 "the reader aborted when an allocation failed")
                    elif p.exitcode is not None and p.exitcode < 0:
                        error = (f"the reader crashed on it ({signal.Signals(-p.exitcode).name}): the file may be damaged; "
                                 "run again with -v for details")
                    elif p.exitcode != 0 or not folder.extraction():
                        error = f"the reader stopped unexpectedly (exit code {p.exitcode}); run again with -v for details"
                    else:
                        error = ""
                results[nid] = (error, detail, elapsed)
                del running[nid]
                bar.step(f"FAILED {nid}" if error else f"ok {nid}")
    finally:
        for p, _ in running.values():
            _kill_group(p)
        bar.close()
        gc.unfreeze()
    return results


def _kill_group(p: mp.process.BaseProcess) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)
    p.join()
