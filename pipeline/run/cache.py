"""What each stage's cached result was made from, so a re-run redoes exactly what changed.

A stage's key for one notice holds what it reads and the code that reads it:
- the code the stage runs: its package's modules and every module of the pipeline they import,
  followed through the imports (code_fingerprint): a comment in report/ redoes no notice, an edit
  in structure/ redoes structure and the stages that import it;
- the wording files the stage reads (STAGE_WORDING) and the versions of the libraries that read
  the words (jieba, cn2an);
- what it reads of the notice: the document's digest (outline, structure) and the key of the
  stage before it. Never when or how fast anything ran: extract.json's seconds are no input.
Editing a wording file therefore redoes the stages that read it, and no others.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import asdict
from functools import cache
from pathlib import Path

from ..extract import BACKEND_VERSIONS
from ..files import write_json
from ..libraries import STRUCTURE, library_versions
from ..model.interim import NoticeRecord
from ..publish import current_manifest
from ..wording import fingerprint as wording_fingerprint
from .folder import NoticeFolder
from .state import PUBLISHED, Config, RunReport, own

PACKAGE = Path(__file__).resolve().parent.parent

# The wording files each stage reads (extraction's words reach it as the lexicon, in its own key).
STAGE_WORDING = {
    "outline": ("numbering", "roles", "columns", "structure", "traditional"),
    "structure": ("roles", "columns", "departments", "deadlines", "numbering", "traditional"),
    "normalize": ("departments", "roles", "deadlines", "traditional"),
}
READS_DOCUMENT = ("outline", "structure")


def _module_file(name: str) -> Path | None:
    """The file of a module of the package (pipeline.a.b), if it is one."""
    rel = PACKAGE.parent.joinpath(*name.split("."))
    for f in (rel.with_suffix(".py"), rel / "__init__.py"):
        if f.is_file():
            return f
    return None


IMPORT = re.compile(r"^\s*(?:from\s+\S+\s+import\b|import\s+\S)")


@cache
def _imported(path: Path) -> frozenset[str]:
    """The pipeline's modules a file imports, anywhere in it (an import inside a function runs
    too). Its import statements are found line by line and only they are parsed: parsing whole
    files cost a small run a tenth of a second. A docstring line that reads like an import only
    adds a module to the key (a redo too many, never one too few)."""
    me = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = me.removesuffix(".__init__") if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    out = set()
    i = 0
    while i < len(lines):
        stmt = lines[i].strip()
        if IMPORT.match(stmt):
            while "(" in stmt and ")" not in stmt and i + 1 < len(lines):  # from x import (a,\n b)
                i += 1
                stmt += " " + lines[i].strip()
            out |= _names(stmt, package)
        i += 1
    return frozenset(m for m in out if m.split(".")[0] == PACKAGE.name)


def _names(stmt: str, package: str) -> set[str]:
    try:
        node = ast.parse(stmt).body[0]
    except (SyntaxError, IndexError):
        return set()  # prose that begins like an import
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    if not isinstance(node, ast.ImportFrom):
        return set()
    base = node.module or ""
    if node.level:
        up = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*up, *([node.module] if node.module else [])])
    return {base, *(f"{base}.{a.name}" for a in node.names)}  # `from . import x` may name a module


def code_files(stage: str) -> list[Path]:
    """The files of the code a stage runs: its package's, and every module of the pipeline they
    import, with the packages that hold them (importing a.b runs a/__init__.py first)."""
    todo = sorted((PACKAGE / stage).rglob("*.py")) if (PACKAGE / stage).is_dir() else [PACKAGE / f"{stage}.py"]
    seen: set[Path] = set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        for name in _imported(f):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                if (g := _module_file(".".join(parts[:i]))) is not None and g not in seen:
                    todo.append(g)
    return sorted(seen)


@cache
def code_fingerprint(stage: str) -> str:
    """A hash of the code a stage runs (code_files): a byte changed there, comments included, is
    a change; a file the stage does not reach is not. Once per process."""
    h = hashlib.sha256()
    for f in code_files(stage):
        h.update(str(f.relative_to(PACKAGE)).encode() + f.read_bytes())
    return h.hexdigest()


CODE = "code.json"  # in interim/.pipeline/: each module's digest when the stages last ran (for `plan` to name what changed)


@cache
def code_digests() -> dict[str, str]:
    """Each module of the pipeline, by its path in the package: the digest of its bytes."""
    return {str(f.relative_to(PACKAGE)): hashlib.sha256(f.read_bytes()).hexdigest()[:16] for f in sorted(PACKAGE.rglob("*.py"))}


def record_code(interim: Path) -> None:
    write_json(own(interim) / CODE, code_digests(), indent=None)


def code_changed(interim: Path, stage: str) -> list[str]:
    """The modules a stage runs whose bytes changed since the stages last ran ([] when unknown)."""
    try:
        before = json.loads((own(interim) / CODE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    now = code_digests()
    return sorted(r for f in code_files(stage) if before.get(r := str(f.relative_to(PACKAGE))) != now.get(r))


@cache
def package_fingerprint() -> str:
    """All of the pipeline's code: whether a run may stop after extract's check (anything changed
    goes through the stages, which redo only what their own keys say)."""
    h = hashlib.sha256()
    for f in sorted(PACKAGE.rglob("*.py")):
        h.update(str(f.relative_to(PACKAGE)).encode() + f.read_bytes())
    return h.hexdigest()


class Key(str):
    """A cache key, and the parts it was made from (written beside it: `plan` tells which changed)."""

    parts: dict[str, str]

    def __new__(cls, digest: str, parts: dict[str, str]) -> Key:
        key = super().__new__(cls, digest)
        key.parts = parts
        return key

    def __reduce__(self) -> tuple:
        """Pickled with its parts (a validation chunk's task carries its notices' keys to a worker):
        str's own way would call __new__ with the digest alone."""
        return (Key, (str(self), self.parts))


def stage_parts(folder: NoticeFolder, stage: str, upstream: str = "") -> dict[str, str]:
    """What a stage's key for one notice holds: its code, its wording, the libraries that read the
    words, what it reads of the notice (the document, the key of the stage before)."""
    return {"code": code_fingerprint(stage), "wording": wording_fingerprint(*STAGE_WORDING[stage]),
            "libraries": json.dumps(library_versions(STRUCTURE), sort_keys=True),  # jieba and cn2an read the words
            "document": folder.document_sha256() if stage in READS_DOCUMENT else "", "upstream": upstream}


def stage_key(folder: NoticeFolder, stage: str, upstream: str = "") -> Key:
    """A stage's cache key for one notice in this run (stage_parts); beside it, not in it, each
    wording file's fingerprint (for `plan` to name the one that changed)."""
    h = hashlib.sha256()
    parts = stage_parts(folder, stage, upstream)
    for part in (stage, *parts.values()):
        h.update(part.encode() + b"\0")
    files = {name: wording_fingerprint(name) for name in STAGE_WORDING[stage]}
    return Key(h.hexdigest(), {**parts, "wording_files": json.dumps(files, sort_keys=True)})


def pieces_key(normalize_key: str, registry: str, record: NoticeRecord) -> Key:
    """A notice's rows: its normalized measures (their key), the registry that resolves its names
    and its record (file, hash, other forms, what it says of itself)."""
    facts = asdict(record)
    digest = hashlib.sha256(json.dumps([normalize_key, registry, facts], ensure_ascii=False).encode()).hexdigest()
    return Key(digest, {"upstream": normalize_key, "registry": registry,
                        "record": hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()})


def validation_key(digest: str, facts: list, suites: str) -> Key:
    """A notice's check: its pieces (their digest), the facts across notices its checks read and
    what every check reads (suites_fingerprint)."""
    return Key(hashlib.sha256(json.dumps([digest, facts, suites], ensure_ascii=False).encode()).hexdigest(),
               {"rows": digest, "facts": hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest(), "suites": suites})


def suites_fingerprint(cfg: Config) -> str:
    """What a notice's check reads besides its pieces and the facts across notices: the suites,
    the wording, the code validate runs, the libraries (GX among them)."""
    h = hashlib.sha256()
    for f in sorted(cfg.expectations.glob("*.json")):
        h.update(f.name.encode() + f.read_bytes())
    h.update(json.dumps([code_fingerprint("validate"), wording_fingerprint(), library_versions()], sort_keys=True).encode())
    return h.hexdigest()


def input_fingerprint(cfg: Config, report: RunReport, unreadable: set[str] | None = None) -> str:
    """Everything the curated tables are made from: the notices read (and which could not be),
    the wording, the registry, the suites and the pipeline's own code. Equal fingerprints make
    equal tables. `unreadable`: the notices whose extraction failed (default: those failed)."""
    h = hashlib.sha256()
    for st in sorted(report.notices, key=lambda n: n.notice_id):
        failed = st.extraction == "failed" if unreadable is None else st.notice_id in unreadable
        h.update(json.dumps([st.notice_id, st.source_file, st.sha256, st.alternates, failed]).encode())
    h.update(json.dumps(BACKEND_VERSIONS, sort_keys=True).encode())
    h.update(json.dumps(library_versions(), sort_keys=True).encode())  # an upgraded GX or pyarrow checks and writes again
    h.update(package_fingerprint().encode())
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
    return last if ok and "validation" in last and "exit_code" in last else None  # a record of an older layout: the work is done again
