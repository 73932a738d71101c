"""Tables drawn without rules: columns from the header's words, rows from the 序号 column,
continued across pages."""

from __future__ import annotations

from bisect import bisect_right
from itertools import pairwise

from ..lexicon import Lexicon
from .geometry import Word, char_rows, lines_of, words_of
from .tables import CellBuf, TableBuf


def header_words(words: list[Word], synonyms: tuple[str, ...]) -> bool:
    hits = sum(any(s == w.text or (len(s) > 1 and s in w.text) for s in synonyms) for w in words)
    return len(words) >= 3 and hits >= 3 and hits >= len(words) - 1


def ruleless_table(chars: list[dict], page_no: int, height: float, before: TableBuf | None,
                   lexicon: Lexicon) -> tuple[TableBuf, set[int]] | None:
    """A table drawn without rules: its header line (words that are column names) gives the
    columns, a number in the first column starts a row; it runs to the end of the page, and on
    the next page when that page has no rules either."""
    lines = [ln for ln in char_rows(chars) if not (
        lexicon.page_number.match("".join(c["text"] for c in ln).strip()) and (ln[0]["top"] < 0.1 * height or ln[0]["bottom"] > 0.9 * height))]
    if before is not None:
        col_x, right, start = before.col_x, before.bbox[2], 0
    else:
        start = next((i for i, ln in enumerate(lines) if header_words(words_of(ln), lexicon.header_words)), None)
        if start is None:
            return None
        col_x, right = _columns(lines, start)
    rows, tops, full_width, used = _rows(lines[start:], col_x, before is None, lexicon)
    if len(rows) < 2 and before is None:
        return None
    grid = _grid(rows, tops, full_width, col_x, right, page_no)
    bbox = (col_x[0], tops[0][0], right, tops[-1][1])
    return TableBuf(page_no, bbox, list(col_x), grid, page_no), used


def _columns(lines: list[list[dict]], start: int) -> tuple[list[float], float]:
    """The columns' left edges and the table's right edge, from the header line at `start`: a
    column starts where its own text starts."""
    head = words_of(lines[start])
    bounds = [(a.x1 + b.x0) / 2 for a, b in pairwise(head)]
    body = [w for ln in lines[start + 1:] for w in words_of(ln)]
    for k in range(len(bounds)):
        mine = [w.x0 for w in body if bisect_right(bounds, (w.x0 + w.x1) / 2) == k + 1]
        if mine:
            bounds[k] = min(bounds[k], min(mine) - 1)
    return [min([head[0].x0, *(w.x0 for w in body)]) - 1, *bounds], max([head[-1].x1, *(w.x1 for w in body)]) + 1


def _rows(lines: list[list[dict]], col_x: list[float], opens_with_header: bool, lexicon: Lexicon
          ) -> tuple[list[list[list[dict]]], list[tuple[float, float]], list[bool], set[int]]:
    """The lines into rows (row -> column -> chars), with each row's top and bottom and whether
    it is a section row across the table; and the characters taken."""
    rows: list[list[list[dict]]] = []
    tops: list[tuple[float, float]] = []
    full_width: list[bool] = []
    used: set[int] = set()
    after_header = False
    for i, ln in enumerate(lines):
        header = (i == 0 and opens_with_header) or header_words(words_of(ln), lexicon.header_words)
        cells: list[list[dict]] = [[] for _ in col_x]
        for w in words_of(ln):
            cells[max(0, bisect_right(col_x, (w.x0 + w.x1) / 2) - 1)] += w.chars
        text0 = "".join(c["text"] for c in cells[0]).strip()
        filled = [k for k, c in enumerate(cells) if c]
        section = len(filled) == 1 and lexicon.opens_section("".join(c["text"] for c in cells[filled[0]]))
        new_row = header or after_header or text0.isdigit() or section or not rows
        after_header = header
        if new_row:
            rows.append(cells)
            tops.append((ln[0]["top"], max(c["bottom"] for c in ln)))
            full_width.append(section)
        else:
            for k, c in enumerate(cells):
                rows[-1][k] += c
            tops[-1] = (tops[-1][0], max(c["bottom"] for c in ln))
        used |= {id(c) for c in ln}
    return rows, tops, full_width, used


def _grid(rows: list[list[list[dict]]], tops: list[tuple[float, float]], full_width: list[bool], col_x: list[float], right: float,
          page_no: int) -> list[list[CellBuf]]:
    grid: list[list[CellBuf]] = []
    edges = [*col_x, right]
    limits = [max((c["x1"] for r in rows for c in r[k]), default=edges[k + 1]) for k in range(len(col_x))]
    for cells, (top, bottom), wide in zip(rows, tops, full_width, strict=True):
        if wide:
            one = CellBuf(page_no, (col_x[0], top, right, bottom), lines_of([c for col in cells for c in col]))
            grid.append([one] * len(col_x))
            continue
        row = []
        for k, chars_k in enumerate(cells):
            cell = CellBuf(page_no, (edges[k], top, edges[k + 1], bottom), lines_of(chars_k))
            for ln in cell.lines:
                ln.room = max(0.0, (limits[k] - ln.x1) / max(ln.size, 1.0))
            row.append(cell)
        grid.append(row)
    return grid
