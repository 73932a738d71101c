"""What each stage's cached result was made from, so a re-run redoes exactly what changed.

A stage's key for one notice holds what it reads: the notice's extraction, the pipeline's code,
the wording files that stage reads (STAGE_WORDING), the versions of the libraries that read the
words (jieba, cn2an) and the key of the stage before it. Editing
a wording file therefore redoes the stages that read it, and no others.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from ..extract import BACKEND_VERSIONS
from ..libraries import STRUCTURE, library_versions
from ..publish import current_manifest
from ..wording import fingerprint as wording_fingerprint
from .folder import NoticeFolder
from .state import PUBLISHED, Config, RunReport, own

# The wording files each stage reads (extraction's words reach it as the lexicon, in its own key).
STAGE_WORDING = {
    "outline": ("numbering", "roles", "columns", "structure", "traditional"),
    "structure": ("roles", "columns", "departments", "deadlines", "numbering", "traditional"),
    "normalize": ("departments", "roles", "deadlines", "traditional"),
}


@cache
def code_fingerprint() -> str:
    """The pipeline's own code: a change re-derives every notice."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for f in sorted(root.glob("**/*.py")):
        h.update(str(f.relative_to(root)).encode() + f.read_bytes())
    return h.hexdigest()


def stage_key(folder: NoticeFolder, stage: str, upstream: str = "") -> str:
    """A stage's cache key for one notice in this run."""
    h = hashlib.sha256(json.dumps(folder.extraction(), sort_keys=True).encode())
    libs = json.dumps(library_versions(STRUCTURE), sort_keys=True)  # jieba and cn2an read the words
    for part in (code_fingerprint(), wording_fingerprint(*STAGE_WORDING[stage]), libs, upstream):
        h.update(part.encode())
    return h.hexdigest()


def input_fingerprint(cfg: Config, report: RunReport) -> str:
    """Everything the curated tables are made from: the notices read, the wording, the registry,
    the suites and the pipeline's own code. Equal fingerprints make equal tables."""
    h = hashlib.sha256()
    for st in sorted(report.notices, key=lambda n: n.notice_id):
        h.update(json.dumps([st.notice_id, st.source_file, st.sha256, st.alternates, st.extraction == "failed"]).encode())
    h.update(json.dumps(BACKEND_VERSIONS, sort_keys=True).encode())
    h.update(json.dumps(library_versions(), sort_keys=True).encode())  # an upgraded GX or pyarrow checks and writes again
    h.update(code_fingerprint().encode())
    h.update(wording_fingerprint().encode())
    for folder, pattern in ((cfg.expectations, "*.json"), (cfg.registry, "*.csv")):
        for f in sorted(folder.glob(pattern)):
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def up_to_date(cfg: Config, fingerprint: str) -> dict | None:
    """What the last publish recorded, when curated/ was published from exactly these inputs and
    is still what was published; None otherwise (or when the record is damaged)."""
    mark = own(cfg.interim) / PUBLISHED
    manifest = current_manifest(cfg.curated)
    if not mark.exists() or manifest is None:
        return None
    try:
        last = json.loads(mark.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None  # a damaged record is no record: the run does the work again
    ok = last.get("input_fingerprint") == fingerprint and last.get("content_hash") == manifest.get("content_hash")
    return last if ok else None


