"""Extraction in isolated worker processes, with a cache keyed on the file and its backend.

    extract_all(todo, interim, jobs, timeout, progress) -> {notice_id: (error, seconds)}

Each notice is parsed in its own forked process, `jobs` at a time, so a crash or a timeout in
one is reported and the others go on. A worker writes document.json and then extract.json,
whose presence marks a complete extraction; a killed run leaves nothing half-written behind.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import time
from pathlib import Path

from .. import __version__
from ..errors import ExtractError
from ..extract import BACKEND_VERSIONS, RawNotice, extract
from ..jsonio import write_json
from ..libraries import EXTRACTION, library_versions
from ..model import DOCUMENT_SCHEMA_VERSION
from ..wording import wording
from .progress import Progress

log = logging.getLogger("pipeline")


def cache_key(rn: RawNotice, sha: str) -> dict:
    """What an extraction depends on: the file's bytes and name, its backend and version, the
    libraries that read it, and the words its backend is handed (PDF)."""
    key = {"sha256": sha, "source_file": rn.path.name, "backend": rn.format,
           "backend_version": BACKEND_VERSIONS.get(rn.format, "0"), "pipeline_version": __version__,
           "document_schema": DOCUMENT_SCHEMA_VERSION, "libraries": library_versions(EXTRACTION)}
    if rn.format == "pdf":
        key["lexicon"] = wording().lexicon.fingerprint
    return key


def _extract_worker(path: str, out_dir: str, key: dict) -> None:
    """Runs in a child process: parse one file, write document.json, then extract.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "extract.json").unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        notice = extract(Path(path), wording().lexicon, out)
    except ExtractError as exc:
        (out / "error.json").write_text(json.dumps({"error": str(exc)}, ensure_ascii=False), encoding="utf-8")
        return
    notice.write(out / "document.json")
    (out / "error.json").unlink(missing_ok=True)
    meta = {**key, "seconds": round(time.perf_counter() - t0, 3), "pages": notice.pages}
    write_json(out / "extract.json", meta)  # last: its presence means document.json is complete


def is_cached(out_dir: Path, key: dict) -> bool:
    meta = out_dir / "extract.json"
    if not meta.exists() or not (out_dir / "document.json").exists():
        return False
    old = json.loads(meta.read_text(encoding="utf-8"))
    return all(old.get(k) == v for k, v in key.items())


def extract_all(todo: list[tuple[RawNotice, dict]], interim: Path, jobs: int, timeout: float,
                progress: bool | None) -> dict[str, tuple[str, float]]:
    """Parse each notice in its own process, `jobs` at a time. Returns id -> (error, seconds)."""
    ctx = mp.get_context("fork")
    if any(rn.format == "pdf" for rn, _ in todo):
        from ..extract.pdf import name_tokenizer

        name_tokenizer(wording().lexicon)  # load jieba once here; forked workers inherit it
    queue = list(todo)
    running: dict[str, tuple[mp.process.BaseProcess, float]] = {}
    results: dict[str, tuple[str, float]] = {}
    bar = Progress("extract", len(todo), progress)
    try:
        while queue or running:
            while queue and len(running) < jobs:
                rn, key = queue.pop(0)
                p = ctx.Process(target=_extract_worker, args=(str(rn.path), str(interim / rn.notice_id), key), daemon=True)
                p.start()
                running[rn.notice_id] = (p, time.monotonic())
            time.sleep(0.01)
            for nid, (p, t0) in list(running.items()):
                elapsed = time.monotonic() - t0
                if p.is_alive() and elapsed <= timeout:
                    continue
                if p.is_alive():
                    p.kill()
                    p.join()
                    error = f"extraction took longer than {timeout:g} s and was stopped"
                else:
                    p.join()
                    err_file = interim / nid / "error.json"
                    if err_file.exists():
                        error = json.loads(err_file.read_text(encoding="utf-8"))["error"]
                    elif p.exitcode != 0 or not (interim / nid / "extract.json").exists():
                        error = f"the extractor crashed (exit code {p.exitcode})"
                    else:
                        error = ""
                results[nid] = (error, elapsed)
                del running[nid]
                bar.step(f"FAILED {nid}: {error}" if error else f"ok {nid}", failed=bool(error))
    finally:
        for p, _ in running.values():
            p.kill()
        bar.close()
    return results
