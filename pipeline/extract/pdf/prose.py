"""Prose: lines outside tables into paragraphs (a paragraph ends where a line stops short at a
sentence end, the next line is indented or starts a numbered item, or the gap is wider than the
page's usual line spacing); page numbers and running headers or footers go."""

from __future__ import annotations

import re
from collections import Counter

from .geometry import Line


def furniture(pages_lines: list[list[Line]], heights: list[float], page_number: re.Pattern[str]) -> set[tuple[int, int]]:
    """(page, line) positions of page numbers and running headers or footers.

    A page number is a number-only line (— 3 —, 第3页, 3/10) in the top or bottom tenth of the
    page; a running header or footer is a short line printed at the same height, with the same
    words (numbers aside), on at least half the pages (three at least).
    """
    def key(ln: Line) -> tuple[str, int]:
        return re.sub(r"\d+", "#", ln.text), round(ln.top / 3)

    out: set[tuple[int, int]] = set()
    repeated = Counter(k for lines in pages_lines for k in {key(ln) for ln in lines})
    n_pages = len(pages_lines)
    for p, lines in enumerate(pages_lines):
        for i, ln in enumerate(lines):
            edge = ln.top < 0.1 * heights[p] or ln.bottom > 0.9 * heights[p]
            if not edge:
                continue
            if page_number.match(ln.text.strip()) or (n_pages >= 3 and len(ln.text) <= 40 and repeated[key(ln)] >= max(3, n_pages // 2)):
                out.add((p, i))
    return out


def line_spacing(items: list[tuple[int, float, object]]) -> dict[int, float]:
    """The usual gap between consecutive text lines on each page (the median)."""
    gaps: dict[int, list[float]] = {}
    prev: tuple[int, Line] | None = None
    for p_no, _, obj in items:
        if not isinstance(obj, Line):
            prev = None
            continue
        if prev is not None and prev[0] == p_no and obj.top > prev[1].bottom:
            gaps.setdefault(p_no, []).append(obj.top - prev[1].bottom)
        prev = (p_no, obj)
    return {p: sorted(g)[len(g) // 2] for p, g in gaps.items() if len(g) >= 3}


def join_text(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


