"""Extract stage: one backend per format, each filling the same document model.

    extract(path, lexicon, workdir=None) -> Notice

Backends read geometry and markup only; they import no wording file. The backends that need
words (PDF and OFD: a wrapped department name, a rule-less table's header; text: a table whose
cells a scrape ran together) get them as `lexicon`, handed over by the run, which keys
extraction's cache on its fingerprint. The notice comes back
as one flat part in reading order: parts, title and date are the outline stage's to find.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ExtractError
from ..model import Notice, Part
from .encoding import MIN_PLAUSIBLE, _chinese_share
from .lexicon import Lexicon
from .reading import Reading

Backend = Callable[[Path, Lexicon, Path | None], Reading]
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
    Format("docx", ("docx",), "a Word .docx file", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "4", "docx:extract_docx",
           _zip_with("word/document.xml")),
    Format("doc", ("doc",), "a legacy Word .doc file", "application/msword", "3", "legacy:extract_legacy", lambda head, path: head.startswith(OLE2[:4])),
    Format("wps", ("wps",), "a WPS file", "application/vnd.ms-works", "3", "legacy:extract_legacy", lambda head, path: head.startswith(OLE2[:4])),
    Format("pdf", ("pdf",), "a readable PDF", "application/pdf", "6", "pdf:extract_pdf", lambda head, path: head.lstrip()[:5] == b"%PDF-", needs_lexicon=True),
    Format("ofd", ("ofd",), "an OFD file", "application/ofd", "1", "ofd:extract_ofd", _zip_with("OFD.xml"), needs_lexicon=True),
    Format("html", ("html", "htm"), "an HTML page", "text/html", "4", "html:extract_html", _html, needs_lexicon=True),
    Format("txt", ("txt",), "a text file", "text/plain", "5", "text:extract_text", needs_lexicon=True),
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
        raise ExtractError("the file is empty (0 bytes)")
    found = sniff(path)
    if found is not None and (named is None or found.name != named.name):
        return found
    if named is None:
        raise ExtractError("not a format this pipeline reads")
    if named.sniff is not None and named.name not in ("html",) and found is None:
        with path.open("rb") as fh:
            if fh.read(2) == b"PK" and named.name in ("docx", "ofd"):
                raise ExtractError(f"not a readable {named.noun.split(' ', 1)[1]}: the package is damaged or cut short")
        what = "text" if _looks_like_text(path) else "of no format this pipeline reads"
        raise ExtractError(f"named .{path.suffix.lower().lstrip('.')} but not {named.noun}: its content is {what}")
    return named


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b"\x00" not in head or head.startswith((b"\xff\xfe", b"\xfe\xff"))


def mismatch(path: Path) -> str:
    """A warning when the content's format is not the one the name says ('' when they agree)."""
    named = BY_EXTENSION.get(path.suffix.lower().lstrip("."))
    try:
        fmt = format_of(path)
    except (ExtractError, OSError):
        return ""
    if named is not None and fmt.name != named.name and {fmt.name, named.name} != {"doc", "wps"}:
        return f"named .{path.suffix.lower().lstrip('.')} but its content is {fmt.noun}: read as {fmt.name}"
    return ""


def extract(path: Path, lexicon: Lexicon, workdir: Path | None = None) -> Notice:
    """Read one raw file into a Notice. Raises ExtractError with a message naming the file.

    `lexicon`: wording's Lexicon (the words the PDF, OFD and text backends need). `workdir` (the notice's
    interim folder) receives files a backend makes on the way, such as the .docx LibreOffice
    converts a legacy .doc into.
    """
    fmt = format_of(path)
    out_of_memory = False
    try:
        module, function = fmt.backend.split(":")
        got = _reader(module, function, fmt.needs_lexicon)(path, lexicon, workdir)
    except MemoryError:
        out_of_memory = True  # raised below, once the frames holding the memory are gone
    except ExtractError as exc:
        msg = str(exc)
        if msg.startswith(f"{path.name}: "):  # the run names the file; a backend need not
            raise ExtractError(msg[len(path.name) + 2:], exc.detail) from exc
        raise
    except RecursionError as exc:
        raise ExtractError(f"its structure is nested too deeply to read as {fmt.name}") from exc
    except Exception as exc:  # a library failing on a damaged file: plain words, the library's own with -v
        raise ExtractError(f"cannot be read as {fmt.noun} (damaged or cut short)", detail=f"{type(exc).__name__}: {exc}") from exc
    if out_of_memory:
        raise ExtractError(OUT_OF_MEMORY)
    notes = [w for w in (mismatch(path),) if w] + got.warnings
    return Notice(path.stem, path.name, fmt.name, parts=[Part(0, "", got.blocks)], pages=got.pages, warnings=notes, metadata=got.metadata)


# What a reader that ran out of the memory it may use says (the run words it with the limit).
OUT_OF_MEMORY = "reading it needed more memory than a notice may use (--memory-mb)"


@dataclass
class RawNotice:
    """One notice in raw/: the file to read and the other forms it also arrived in."""

    notice_id: str
    path: Path
    alternates: list[Path] = field(default_factory=list)
    name: str = ""  # the file name as shown and recorded (a GBK name decoded); default: path.name

    def __post_init__(self) -> None:
        self.name = self.name or self.path.name

    @property
    def format(self) -> str:
        return self.path.suffix.lower().lstrip(".")


@dataclass
class Discovery:
    notices: list[RawNotice]
    skipped: list[tuple[str, str]]  # (path in raw/, why): folders, hidden files, other formats (readme.md …): not read
    refused: list[tuple[str, str]]  # (name, why): links out of raw/ or in a loop, names that cannot be read
    warnings: list[tuple[str, str]]  # (name, what): a file name read as GBK …


def shown_name(path: Path) -> tuple[str, str]:
    """A file name as text and a note: names that are not UTF-8 (zips unpacked from Chinese
    Windows keep GBK bytes) are decoded as GB18030; control characters never reach a log line."""
    raw = os.fsencode(path.name)
    try:
        name, note = raw.decode("utf-8"), _ambiguous(raw)
    except UnicodeDecodeError:
        try:
            name, note = raw.decode("gb18030"), "its file name is not UTF-8; read as GB18030 (GBK)"
        except UnicodeDecodeError:
            name, note = raw.decode("utf-8", "backslashreplace"), "its file name is in no known encoding"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        name = _escaped(name)
        note = (note + "; " if note else "") + "its file name holds control characters (shown escaped)"
    return name, note


def _escaped(text: str) -> str:
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _ambiguous(raw: bytes) -> str:
    """A note when a UTF-8 file name is also GBK, and only the GBK reading is Chinese: GBK's 通知
    is valid UTF-8 (two combining marks, U+0368 U+05AA). Which one the sender meant cannot be
    known from the bytes, so the name stays as the file system gives it (UTF-8) and a person is
    told of the other reading."""
    if raw.isascii():
        return ""
    try:
        gbk = raw.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    utf8 = raw.decode("utf-8")
    # every UTF-8 Chinese name is also GB18030 (涓枃…): only a UTF-8 reading that is not Chinese is in doubt
    if _chinese_share(utf8)[0] >= MIN_PLAUSIBLE or _chinese_share(gbk)[0] < MIN_PLAUSIBLE:
        return ""
    return (f"its file name's bytes ({raw.hex(' ')}) read as UTF-8 give {_escaped(utf8)} and as GB18030 (GBK) give {_escaped(gbk)}: "
            "read as UTF-8; if the GBK name is the right one, rename the file")


def _not_a_file(p: Path) -> str:
    """Why an entry of raw/ that is not a file is not read."""
    if p.is_dir():
        return "a folder: not read (only the files directly in raw/ are)"
    return "not a regular file (a pipe, socket or device): not read"


def _checked_entry(p: Path, root: Path) -> tuple[str, str]:
    """('read', '') when the entry may be read; else ('skip' or 'refuse', why). Links may point
    only inside raw/."""
    if not p.is_symlink():
        return ("read", "") if p.is_file() else ("skip", _not_a_file(p))
    try:
        target = p.resolve(strict=True)
    except RuntimeError:
        return "refuse", "a symbolic link in a loop: refused"
    except OSError:
        return "refuse", f"a symbolic link to a missing file ({os.readlink(p)}): refused"
    if not target.is_relative_to(root):
        return "refuse", f"a symbolic link to {target}, outside raw/: refused (copy the file into raw/ instead)"
    return ("read", "") if target.is_file() else ("skip", "a symbolic link to " + _not_a_file(target))


def discover(raw_dir: Path) -> Discovery:
    """Group raw files by name; the richest form of each is read. Every other entry of raw/ is
    skipped or refused with its reason: nothing in raw/ goes unaccounted for."""
    root = raw_dir.resolve()
    groups: dict[str, list[tuple[Path, str]]] = {}
    found = Discovery([], [], [], [])
    for p in sorted(raw_dir.iterdir()):
        name, note = shown_name(p)
        shown = name + "/" if p.is_dir() else name  # a folder is shown as one
        if p.name.startswith("."):  # .DS_Store, .~lock.x.docx#, an editor's swap file
            found.skipped.append((shown, f"a hidden {'folder' if p.is_dir() else 'file'}: not read"))
            continue
        action, why = _checked_entry(p, root)
        if action == "skip":
            found.skipped.append((shown, why))
            continue
        if action == "refuse":
            found.refused.append((name, why))
            continue
        if note:
            found.warnings.append((name, note))
        if p.suffix.lower().lstrip(".") in BY_EXTENSION:
            groups.setdefault(Path(name).stem, []).append((p, name))
        else:
            found.skipped.append((name, "not a notice format this pipeline reads: not read"))
    for stem, paths in sorted(groups.items()):
        paths.sort(key=lambda q: PREFERENCE.index(q[0].suffix.lower().lstrip(".")))
        found.notices.append(RawNotice(stem, paths[0][0], [q[0] for q in paths[1:]], paths[0][1]))
    return found
