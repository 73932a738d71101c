"""Extract stage: one backend per format, each filling the same document model.

    extract(path) -> Notice
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ExtractError
from ..model import Block, Notice
from .assemble import assemble

Backend = Callable[[Path], tuple[list[Block], int | None]]

# Richest form first: when one notice arrives in several forms, the first one here is read.
PREFERENCE = ("docx", "doc", "wps", "pdf", "html", "htm", "txt")

# Bumped when a backend's output changes, so cached extractions are redone.
BACKEND_VERSIONS = {"docx": "2", "doc": "2", "wps": "2", "pdf": "2", "html": "1", "htm": "1", "txt": "2"}


def _backend(fmt: str) -> Backend:
    # Imported lazily: a text-only run need not load pdfplumber.
    if fmt == "txt":
        from .text import extract_text

        return extract_text
    if fmt == "docx":
        from .docx import extract_docx

        return extract_docx
    if fmt == "pdf":
        from .pdf import extract_pdf

        return extract_pdf
    if fmt in ("html", "htm"):
        from .html import extract_html

        return extract_html
    raise ExtractError(f"no backend reads .{fmt} files")


def extract(path: Path, workdir: Path | None = None) -> Notice:
    """Read one raw file into a Notice. Raises ExtractError with a message naming the file.

    `workdir` (the notice's interim folder) receives files a backend makes on the way, such as
    the .docx LibreOffice converts a legacy .doc into.
    """
    fmt = path.suffix.lower().lstrip(".")
    try:
        if fmt in ("doc", "wps"):
            from .legacy import extract_legacy

            blocks, pages = extract_legacy(path, workdir)
        else:
            blocks, pages = _backend(fmt)(path)
    except ExtractError:
        raise
    except Exception as exc:  # a library failing on a damaged file: report it, name the file
        raise ExtractError(f"{path.name}: cannot be read as .{fmt}: {type(exc).__name__}: {exc}") from exc
    return assemble(path.stem, path.name, fmt, blocks, pages)


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
        if p.suffix.lower().lstrip(".") in PREFERENCE:
            groups.setdefault(p.stem, []).append(p)
        else:
            ignored.append(p)
    notices = []
    for stem, paths in sorted(groups.items()):
        paths.sort(key=lambda q: PREFERENCE.index(q.suffix.lower().lstrip(".")))
        notices.append(RawNotice(stem, paths[0], paths[1:]))
    return notices, ignored
