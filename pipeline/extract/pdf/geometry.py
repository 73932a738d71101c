"""Character geometry: glyphs deduplicated, grouped into lines, lines cut into words."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

LINE_END = re.compile(r"[。；;！!？?：:）)」』”】〕]$")  # marks a paragraph may end with
BOLD = re.compile(r"bold|heavy|black|semibold|demi", re.I)  # font names of bold faces


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    trailing_space: bool = False
    room: float = 0.0  # free width left before the right edge, in characters
    bold: bool = False  # every visible character in a bold face
    ocr: float | None = None  # read by OCR: the mean confidence of its characters

    @property
    def height(self) -> float:
        return self.bottom - self.top


def dedupe_chars(chars: list[dict], tolerance: float = 1.0) -> list[dict]:
    """Drop glyphs drawn twice at the same place (fake bold, shadows), as pdfplumber's
    dedupe_chars does, in one pass over the characters in drawing order."""
    out: list[dict] = []
    seen: dict[tuple, dict[int, list[dict]]] = {}  # (text, font, size) -> grid cell of side `tolerance` -> glyphs
    for c in chars:
        kind = (c["text"], c.get("fontname"), round(c.get("size", 0)))
        cells = seen.get(kind)
        if cells is None:
            cells = seen[kind] = {}
        x0, top = c["x0"], c["top"]
        gx, gy = int(x0 // tolerance), int(top // tolerance)
        # a twin lies in this cell or a neighbouring one: linear time, however many glyphs share a line
        twin = False
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for o in cells.get((gx + dx) * 1_000_003 + gy + dy, ()):
                    if abs(o["x0"] - x0) <= tolerance and abs(o["top"] - top) <= tolerance:
                        twin = True
                        break
        if twin:
            continue
        cells.setdefault(gx * 1_000_003 + gy, []).append(c)
        out.append(c)
    return out


def char_rows(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into lines by their top, each line left to right."""
    out: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if out and abs(c["top"] - out[-1][0]["top"]) <= max(2.0, 0.45 * out[-1][0]["size"]):
            out[-1].append(c)
        else:
            out.append([c])
    for line in out:
        line.sort(key=lambda c: c["x0"])
    return out


def ocr_confidence(lines: list[Line]) -> float | None:
    """The mean OCR confidence of lines (None when none was read by OCR)."""
    confs = [ln.ocr for ln in lines if ln.ocr is not None]
    return round(sum(confs) / len(confs), 3) if confs else None


def lines_of(chars: list[dict]) -> list[Line]:
    """Group characters into lines by their top, each line read left to right."""
    out = []
    for g in char_rows(chars):
        parts: list[str] = []
        prev = None
        for c in g:
            if prev is not None and c["x0"] - prev["x1"] > 0.9 * c["size"] and c["text"].strip() and prev["text"].strip():
                parts.append(" ")  # a visible gap with no space glyph still separates
            # a run of blank glyphs (space, ideographic space) is one gap: which and how many a
            # producer drew is layout, not text
            t = " " if c["text"].isspace() else c["text"]
            if not (t == " " and parts and parts[-1] == " "):
                parts.append(t)
            prev = c
        raw = "".join(parts)
        text = raw.rstrip()
        visible = [c for c in g if c["text"].strip()]
        if not visible:
            continue
        size = Counter(round(c["size"], 1) for c in visible).most_common(1)[0][0]
        confs = [c["ocr_conf"] for c in visible if "ocr_conf" in c]
        out.append(Line(text.lstrip(), min(c["x0"] for c in visible), max(c["x1"] for c in visible),
                         min(c["top"] for c in visible), max(c["bottom"] for c in visible), size,
                         trailing_space=len(text) < len(raw), bold=all(BOLD.search(c.get("fontname") or "") for c in visible),
                         ocr=sum(confs) / len(confs) if confs else None))
    return out


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    chars: list[dict]


def words_of(line: list[dict]) -> list[Word]:
    """A line cut where a space or a gap of half a character separates its glyphs."""
    words: list[Word] = []
    for c in line:
        if not c["text"].strip():
            words.append(Word("", c["x1"], c["x1"], []))  # a space ends the word before it
            continue
        w = words[-1] if words else None
        if w is not None and w.chars and c["x0"] - w.x1 <= 0.5 * c["size"]:
            w.text += c["text"]
            w.x1 = c["x1"]
            w.chars.append(c)
        else:
            words.append(Word(c["text"], c["x0"], c["x1"], [c]))
    return [w for w in words if w.chars]


