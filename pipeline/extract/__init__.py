"""Extract stage: one backend per format, each filling the same document model.

    extract(path, lexicon, workdir=None) -> Notice

Backends read geometry and markup only; they import no wording file. The one backend that needs
words (PDF: a wrapped department name, a rule-less table's header) gets them as `lexicon`,
handed over by the run, which keys extraction's cache on its fingerprint. The notice comes back
as one flat part in reading order: parts, title and date are the outline stage's to find.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ExtractError
from ..model import Block, Notice, Part

Backend = Callable[[Path, Any, Path | None], tuple[list[Block], int | None]]
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word (.doc) and WPS files


def _zip_with(member: str) -> Callable[[bytes, Path], bool]:
    def sniff(head: bytes, path: Path) -> bool:
        import zipfile

        if not head.startswith(b"PK"):
            return False
        try:
            with zipfile.ZipFile(path) as z:
                return member in z.namelist()
        except (zipfile.BadZipFile, OSError):
            return False
    return sniff


def _html(head: bytes, path: Path) -> bool:
    h = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return h.startswith((b"<!doctype html", b"<html", b"<head", b"<meta")) or (b"<body" in h and h[:1] == b"<")


@dataclass(frozen=True)
class Format:
    """One format the pipeline reads: how to know it, how much it keeps, which backend reads it."""

    name: str
    extensions: tuple[str, ...]
    noun: str  # what a person calls it, for messages
    mime: str
    version: str  # bumped when the backend's output changes, so cached extractions are redone
    backend: str  # module:function under pipeline.extract, imported only when needed
    sniff: Callable[[bytes, Path], bool] | None = None  # recognises the content, whatever the name says
    needs_lexicon: bool = False


def _reader(module: str, function: str, needs_lexicon: bool) -> Backend:
    import importlib

    fn = getattr(importlib.import_module(f".{module}", __package__), function)
    if needs_lexicon:
        return lambda path, lexicon, workdir: fn(path, lexicon)
    if module == "legacy":
        return lambda path, lexicon, workdir: fn(path, workdir)
    return lambda path, lexicon, workdir: fn(path)


# Richest form first: when one notice arrives in several forms, the first one here is read.
FORMATS: tuple[Format, ...] = (
    Format("docx", ("docx",), "a Word .docx file", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "3", "docx:extract_docx",
           _zip_with("word/document.xml")),
    Format("doc", ("doc",), "a legacy Word .doc file", "application/msword", "3", "legacy:extract_legacy", lambda head, path: head.startswith(OLE2[:4])),
    Format("wps", ("wps",), "a WPS file", "application/vnd.ms-works", "3", "legacy:extract_legacy", lambda head, path: head.startswith(OLE2[:4])),
    Format("pdf", ("pdf",), "a readable PDF", "application/pdf", "4", "pdf:extract_pdf", lambda head, path: head.lstrip()[:5] == b"%PDF-", needs_lexicon=True),
    Format("html", ("html", "htm"), "an HTML page", "text/html", "3", "html:extract_html", _html),
    Format("txt", ("txt",), "a text file", "text/plain", "3", "text:extract_text"),
)
BY_EXTENSION = {ext: f for f in FORMATS for ext in f.extensions}
PREFERENCE = tuple(ext for f in FORMATS for ext in f.extensions)
BACKEND_VERSIONS = {ext: f.version for f in FORMATS for ext in f.extensions}


def sniff(path: Path) -> Format | None:
    """The format the file's content shows (None: no signature; plain text, or not a notice)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    for f in FORMATS:
        if f.sniff is not None and f.sniff(head, path):
            # .doc and .wps share one signature: the name tells them apart
            return BY_EXTENSION.get(path.suffix.lower().lstrip("."), f) if f.name in ("doc", "wps") and path.suffix.lower() in (".doc", ".wps") else f
    return None


def format_of(path: Path) -> Format:
    """The format to read the file as: its content's where the content shows one (a .docx
    renamed .pdf is read as Word), else its extension's."""
    named = BY_EXTENSION.get(path.suffix.lower().lstrip("."))
    if path.stat().st_size == 0:
        raise ExtractError(f"{path.name}: the file is empty")
    found = sniff(path)
    if found is not None and (named is None or found.name != named.name):
        return found
    if named is None:
        raise ExtractError(f"{path.name}: not a format this pipeline reads")
    if named.sniff is not None and named.name not in ("html",) and found is None:
        raise ExtractError(f"{path.name}: not {named.noun} (its content is not {named.mime})")
    return named


def extract(path: Path, lexicon: Any, workdir: Path | None = None) -> Notice:
    """Read one raw file into a Notice. Raises ExtractError with a message naming the file.

    `lexicon`: wording's Lexicon (the words the PDF backend needs). `workdir` (the notice's
    interim folder) receives files a backend makes on the way, such as the .docx LibreOffice
    converts a legacy .doc into.
    """
    fmt = format_of(path)
    try:
        module, function = fmt.backend.split(":")
        blocks, pages = _reader(module, function, fmt.needs_lexicon)(path, lexicon, workdir)
    except ExtractError:
        raise
    except Exception as exc:  # a library failing on a damaged file: report it, name the file
        raise ExtractError(f"{path.name}: cannot be read as {fmt.name}: {type(exc).__name__}: {exc}") from exc
    return Notice(path.stem, path.name, fmt.name, parts=[Part(0, "", blocks)], pages=pages)


@dataclass
class RawNotice:
    """One notice in raw/: the file to read and the other forms it also arrived in."""

    notice_id: str
    path: Path
    alternates: list[Path] = field(default_factory=list)

    @property
    def format(self) -> str:
        return self.path.suffix.lower().lstrip(".")


def discover(raw_dir: Path) -> tuple[list[RawNotice], list[Path]]:
    """Group raw files by name; the richest form of each is read. Returns (notices, ignored)."""
    groups: dict[str, list[Path]] = {}
    ignored = []
    for p in sorted(raw_dir.iterdir()):
        if p.name.startswith(".") or not p.is_file():
            continue
        if p.suffix.lower().lstrip(".") in BY_EXTENSION:
            groups.setdefault(p.stem, []).append(p)
        else:
            ignored.append(p)
    notices = []
    for stem, paths in sorted(groups.items()):
        paths.sort(key=lambda q: PREFERENCE.index(q.suffix.lower().lstrip(".")))
        notices.append(RawNotice(stem, paths[0], paths[1:]))
    return notices, ignored
