"""Are two forms under one name the same notice? A cheap look: the Han-character pairs of the
other form's opening found in the text read. Forms of one notice share their wording whatever
their layout; a different notice under the same name shares little."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import Notice

HAN = re.compile(r"[\u4e00-\u9fff]")
SAMPLE = 400  # Han characters of the other form looked at
SAME = 0.5  # share of its character pairs found in the text read


def _pairs(text: str, limit: int | None = None) -> set[str]:
    han = "".join(HAN.findall(text))[:limit]
    return {han[i:i + 2] for i in range(len(han) - 1)}


def notice_text(notice: Notice) -> str:
    out = []
    for part in notice.parts:
        for b in part.blocks:
            out.append(b.text or "")
            if b.table is not None:
                out += [c.text for c in b.table.cells]
    return "".join(out)


def opening_text(path: Path) -> str:
    """The first page, paragraphs or lines of a form, read without its whole backend."""
    from . import format_of

    fmt = format_of(path).name
    if fmt == "pdf":
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            return "".join((p.extract_text() or "") for p in pdf.pages[:2])
    if fmt == "docx":
        from .docx import open_docx

        doc = open_docx(path)
        return "".join(p.text for p in doc.paragraphs[:200]) + "".join(c.text for t in doc.tables[:2] for row in t.rows[:20] for c in row.cells)
    if fmt in ("txt", "html"):
        from .encoding import decode_text

        return re.sub(r"<[^>]+>", "", decode_text(path.read_bytes()[:200_000])[0])
    return ""  # legacy Word needs a conversion: not compared


def same_notice(read_text: str, other: Path) -> bool:
    try:
        theirs = _pairs(opening_text(other), SAMPLE)
    except Exception:  # an unreadable other form says nothing about the one read
        return True
    if len(theirs) < 20:
        return True
    return len(theirs & _pairs(read_text)) / len(theirs) >= SAME
