"""PDF backend on pdfplumber: ruled tables stitched across pages, prose joined into paragraphs.

What no common extractor does, done here from the characters' geometry:
- a table that continues on the next page is one table: the repeated header row goes, a row
  split by the page break is joined to its first half cell by cell, and a vertically merged
  cell cut by the break (empty at the top of the new page) takes the value it had above;
- inside a cell, a line that stops short of the cell's right edge ends there (a new name in a
  one-per-line list); a line that fills the cell wraps onto the next (人民银行某市分 + 行).
  Where geometry cannot tell, the department-name lexicon decides (see `_LineJoiner`);
- prose lines outside tables become paragraphs (a paragraph ends where a line stops short, or
  the next line is indented or starts a numbered item); page numbers and running headers go.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import pdfplumber

from ..errors import ExtractError
from ..model import Block, Cell, Source, Table
from .lexicon import Lexicon

if TYPE_CHECKING:
    import jieba

TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}

PAGE_NUMBER = re.compile(r"^(?:[-—–－~\s]*\d{1,4}[-—–－~\s]*|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
NEW_ITEM = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d{1,3}[.．、](?!\d)|附\s*件\s*[0-9一二三四五六七八九十]*\s*[:：]?$)")
SEPARATORS = ("、", "，", ",", "；", ";")
LINE_END = re.compile(r"[。；;！!？?：:）)」』”】〕]$")  # marks a paragraph may end with
BOLD = re.compile(r"bold|heavy|black|semibold|demi", re.I)  # font names of bold faces


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    trailing_space: bool = False
    room: float = 0.0  # free width left before the right edge, in characters
    bold: bool = False  # every visible character in a bold face

    @property
    def height(self) -> float:
        return self.bottom - self.top


def dedupe_chars(chars: list[dict], tolerance: float = 1.0) -> list[dict]:
    """Drop glyphs drawn twice at the same place (fake bold, shadows), as pdfplumber's
    dedupe_chars does, in one pass over the characters in drawing order."""
    out: list[dict] = []
    seen: dict[tuple, list[dict]] = {}
    for c in chars:
        key = (c["text"], round(c["top"]), c.get("fontname"), round(c.get("size", 0)))
        near = seen.setdefault(key, [])
        if any(abs(o["x0"] - c["x0"]) <= tolerance and abs(o["top"] - c["top"]) <= tolerance for o in near):
            continue
        near.append(c)
        out.append(c)
    return out


def _lines(chars: list[dict]) -> list[_Line]:
    """Group characters into lines by their top, each line read left to right."""
    if not chars:
        return []
    chars = sorted(chars, key=lambda c: (c["top"], c["x0"]))
    groups: list[list[dict]] = [[chars[0]]]
    for c in chars[1:]:
        g = groups[-1]
        if abs(c["top"] - g[0]["top"]) <= max(2.0, 0.45 * g[0]["size"]):
            g.append(c)
        else:
            groups.append([c])
    out = []
    for g in groups:
        g.sort(key=lambda c: c["x0"])
        parts: list[str] = []
        prev = None
        for c in g:
            if prev is not None and c["x0"] - prev["x1"] > 0.9 * c["size"] and c["text"].strip() and prev["text"].strip():
                parts.append(" ")  # a visible gap with no space glyph still separates
            parts.append(c["text"])
            prev = c
        raw = "".join(parts)
        text = raw.rstrip()
        visible = [c for c in g if c["text"].strip()]
        if not visible:
            continue
        size = Counter(round(c["size"], 1) for c in visible).most_common(1)[0][0]
        out.append(_Line(text.lstrip(), min(c["x0"] for c in visible), max(c["x1"] for c in visible),
                         min(c["top"] for c in visible), max(c["bottom"] for c in visible), size,
                         trailing_space=len(text) < len(raw), bold=all(BOLD.search(c.get("fontname") or "") for c in visible)))
    return out


class _LineJoiner:
    """Decides whether a line break inside a cell is a wrap (join with nothing) or a real break:
    the lexicon's word rule first, then the line's geometry."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.endings = lexicon.endings
        self._jieba = None

    def tokenizer(self) -> jieba.Tokenizer:
        if self._jieba is None:
            self._jieba = name_tokenizer(self.lexicon)
        return self._jieba

    def word_boundary(self, left: str, right: str) -> bool:
        """Does jieba, with the name endings as words, cut left+right exactly between them?"""
        pos = 0
        for tok in self.tokenizer().cut(left[-8:] + right[:8], HMM=False):
            pos += len(tok)
            if pos == len(left[-8:]):
                return True
            if pos > len(left[-8:]):
                return False
        return False

    def joiner(self, prev: _Line, nxt: _Line, listy: bool) -> str:
        """'' for a wrap, ' ' where spaces ended the line, '\\n' for a real break."""
        if nxt.top - prev.bottom > 0.9 * max(prev.height, nxt.height):
            return "\n\n"  # an empty paragraph between
        if prev.trailing_space:
            return " "
        head = nxt.text
        if self.lexicon.continues(head):
            return ""
        if prev.room >= 2.0:
            return "\n"
        if prev.text.endswith(SEPARATORS):
            return ""
        ends_name = prev.text.endswith(self.endings)
        if prev.room >= 1.0:
            return "\n" if ends_name else ""
        # The line is full: a wrap, unless a list written one name per line happens to end a
        # name exactly at the edge and the next line begins a new one.
        if listy or not ends_name:
            return ""
        return "\n" if self.word_boundary(prev.text, head) else ""


@cache
def name_tokenizer(lexicon: Lexicon) -> jieba.Tokenizer:
    """jieba with the department-name endings as words. Loading its dictionary takes most of a
    second, so it happens once per process (the run warms it before forking workers)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    for w in {*lexicon.endings, *lexicon.fragments}:
        tk.add_word(w, freq=200000)
    tk.initialize()
    return tk


@dataclass
class _CellBuf:
    page: int
    bbox: tuple[float, float, float, float]
    lines: list[_Line] = field(default_factory=list)

    def empty(self) -> bool:
        return not any(ln.text.strip() for ln in self.lines)


@dataclass
class _TableBuf:
    page: int
    bbox: tuple[float, float, float, float]
    col_x: list[float]  # left edges of the columns
    rows: list[list[_CellBuf]]  # n_rows × n_cols; a merged cell appears in every position it covers
    last_page: int = 0

    @property
    def n_cols(self) -> int:
        return len(self.col_x)

    def texts(self, r: int) -> list[str]:
        return ["".join(ln.text for ln in c.lines) for c in self.rows[r]]


def _read_table(page, table, chars: list[dict], page_no: int) -> _TableBuf | None:
    """A pdfplumber table as a grid of cells holding their lines."""
    rows = table.rows
    if not rows:
        return None
    xs = sorted({round(c[0], 1) for r in rows for c in r.cells if c})
    col_x: list[float] = []
    for x in xs:
        if not col_x or x - col_x[-1] > 2:
            col_x.append(x)
    row_y = [r.bbox[1] for r in rows]
    n_rows, n_cols = len(rows), len(col_x)
    grid: list[list[_CellBuf | None]] = [[None] * n_cols for _ in range(n_rows)]
    cells: list[_CellBuf] = []
    for r, row in enumerate(rows):
        for bbox in row.cells:
            if not bbox:
                continue
            cell = _CellBuf(page_no, bbox)
            cells.append(cell)
            c0 = max(0, bisect_right(col_x, bbox[0] + 2) - 1)
            c1 = max(c0 + 1, bisect_right(col_x, bbox[2] - 2))
            r1 = max(r + 1, bisect_right(row_y, bbox[3] - 2))
            for rr in range(r, min(r1, n_rows)):
                for cc in range(c0, min(c1, n_cols)):
                    if grid[rr][cc] is None:
                        grid[rr][cc] = cell
    for r in range(n_rows):
        for c in range(n_cols):
            if grid[r][c] is None:  # a gap in the ruling: give it an empty cell of its own
                cell = _CellBuf(page_no, (col_x[c], row_y[r], col_x[c], row_y[r]))
                grid[r][c] = cell
                cells.append(cell)
    # Characters to cells by their centre.
    buckets: dict[int, list[dict]] = {}
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        c = bisect_right(col_x, cx) - 1
        r = bisect_right(row_y, cy) - 1
        if 0 <= r < n_rows and 0 <= c < n_cols:
            buckets.setdefault(id(grid[r][c]), []).append(ch)
    pad = None
    for cell in cells:
        cell.lines = _lines(buckets.get(id(cell), []))
        for ln in cell.lines[:1]:
            left = ln.x0 - cell.bbox[0]
            pad = left if pad is None else min(pad, left)
    pad = min(max(pad if pad is not None else 5.0, 1.0), 12.0)
    for cell in cells:
        right = cell.bbox[2] - pad
        for ln in cell.lines:
            ln.room = max(0.0, (right - ln.x1) / max(ln.size, 1.0))
    return _TableBuf(page_no, table.bbox, col_x, [list(r) for r in grid], page_no)  # type: ignore[arg-type]


# --- tables without rules: columns from the header's words, rows from the 序号 column -----------

@dataclass
class _Word:
    text: str
    x0: float
    x1: float
    chars: list[dict]


def _physical_lines(chars: list[dict]) -> list[list[dict]]:
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


def _words(line: list[dict]) -> list[_Word]:
    """A line cut where a space or a gap of half a character separates its glyphs."""
    words: list[_Word] = []
    for c in line:
        if not c["text"].strip():
            words.append(_Word("", c["x1"], c["x1"], []))  # a space ends the word before it
            continue
        w = words[-1] if words else None
        if w is not None and w.chars and c["x0"] - w.x1 <= 0.5 * c["size"]:
            w.text += c["text"]
            w.x1 = c["x1"]
            w.chars.append(c)
        else:
            words.append(_Word(c["text"], c["x0"], c["x1"], [c]))
    return [w for w in words if w.chars]


def _header_words(words: list[_Word], synonyms: tuple[str, ...]) -> bool:
    hits = sum(any(s == w.text or (len(s) > 1 and s in w.text) for s in synonyms) for w in words)
    return len(words) >= 3 and hits >= 3 and hits >= len(words) - 1


def _text_table(chars: list[dict], page_no: int, height: float, before: _TableBuf | None,
                headers: tuple[str, ...]) -> tuple[_TableBuf, set[int]] | None:
    """A table drawn without rules: its header line (words that are column names) gives the
    columns, a number in the first column starts a row; it runs to the end of the page, and on
    the next page when that page has no rules either."""
    lines = [ln for ln in _physical_lines(chars) if not (
        PAGE_NUMBER.match("".join(c["text"] for c in ln).strip()) and (ln[0]["top"] < 0.1 * height or ln[0]["bottom"] > 0.9 * height))]
    if before is not None:
        col_x, right, start = before.col_x, before.bbox[2], 0
    else:
        start = next((i for i, ln in enumerate(lines) if _header_words(_words(ln), headers)), None)
        if start is None:
            return None
        head = _words(lines[start])
        bounds = [(a.x1 + b.x0) / 2 for a, b in pairwise(head)]
        body = [w for ln in lines[start + 1:] for w in _words(ln)]
        for k in range(len(bounds)):  # a column starts where its own text starts
            mine = [w.x0 for w in body if bisect_right(bounds, (w.x0 + w.x1) / 2) == k + 1]
            if mine:
                bounds[k] = min(bounds[k], min(mine) - 1)
        col_x = [min([head[0].x0, *(w.x0 for w in body)]) - 1, *bounds]
        right = max([head[-1].x1, *(w.x1 for w in body)]) + 1
    rows: list[list[list[dict]]] = []  # row -> column -> chars
    tops: list[tuple[float, float]] = []
    full_width: list[bool] = []
    used: set[int] = set()
    after_header = False
    for i, ln in enumerate(lines[start:]):
        header = (i == 0 and before is None) or _header_words(_words(ln), headers)
        cells: list[list[dict]] = [[] for _ in col_x]
        for w in _words(ln):
            cells[max(0, bisect_right(col_x, (w.x0 + w.x1) / 2) - 1)] += w.chars
        text0 = "".join(c["text"] for c in cells[0]).strip()
        filled = [k for k, c in enumerate(cells) if c]
        section = len(filled) == 1 and bool(re.match(r"^[一二三四五六七八九十]+、", "".join(c["text"] for c in cells[filled[0]]).strip()))
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
    if len(rows) < 2 and before is None:
        return None
    grid: list[list[_CellBuf]] = []
    edges = [*col_x, right]
    limits = [max((c["x1"] for r in rows for c in r[k]), default=edges[k + 1]) for k in range(len(col_x))]
    for cells, (top, bottom), wide in zip(rows, tops, full_width, strict=True):
        if wide:
            one = _CellBuf(page_no, (col_x[0], top, right, bottom), _lines([c for col in cells for c in col]))
            grid.append([one] * len(col_x))
            continue
        row = []
        for k, chars_k in enumerate(cells):
            cell = _CellBuf(page_no, (edges[k], top, edges[k + 1], bottom), _lines(chars_k))
            for ln in cell.lines:
                ln.room = max(0.0, (limits[k] - ln.x1) / max(ln.size, 1.0))
            row.append(cell)
        grid.append(row)
    bbox = (col_x[0], tops[0][0], right, tops[-1][1])
    return _TableBuf(page_no, bbox, list(col_x), grid, page_no), used


def _same_columns(a: _TableBuf, b: _TableBuf) -> bool:
    return a.n_cols == b.n_cols and all(abs(x - y) <= 3 for x, y in zip(a.col_x, b.col_x, strict=True))


def _number_column(*tables: _TableBuf) -> int | None:
    """The column whose own cells (not full-width rows) are almost all whole numbers (序号)."""
    n_cols = tables[0].n_cols
    for c in range(n_cols):
        filled = []
        for t in tables:
            for r in range(1, len(t.rows)):
                row = t.rows[r]
                if all(x is row[0] for x in row):
                    continue  # a section row spanning the table
                v = "".join(ln.text for ln in row[c].lines).strip()
                if v:
                    filled.append(v)
        if len(filled) >= 2 and sum(v.isdigit() for v in filled) >= 0.8 * len(filled):
            return c
    return None


def _continue_table(prev: _TableBuf, nxt: _TableBuf) -> None:
    """Append the next part of a table (on the next page, or cut off on the same one) to `prev`,
    mending what the page break cut."""
    rows = nxt.rows
    if rows and prev.rows and nxt.texts(0) == prev.texts(0):
        rows = rows[1:]  # the repeated header row
    if not rows:
        return
    merging = {c for c in range(prev.n_cols) if any(prev.rows[r][c] is prev.rows[r - 1][c] for r in range(1, len(prev.rows)))}
    merging |= {c for c in range(nxt.n_cols) if any(rows[r][c] is rows[r - 1][c] for r in range(1, len(rows)))}
    last = prev.rows[-1]
    num = _number_column(prev, nxt)
    top = rows[0]
    split_row = num is not None and top[num].empty() and any(not c.empty() for c in top)
    for c in range(prev.n_cols):
        cell = top[c]
        above = last[c]
        if split_row and not cell.empty() and above is not cell:
            above.lines += cell.lines  # the second half of a row cut by the page break
            _replace(rows, cell, above)
        elif cell.empty() and (c in merging or split_row) and not (num is not None and c == num and not split_row):
            _replace(rows, cell, above)  # a merged cell cut by the break goes on below it
    if split_row and all(rows[0][c] is last[c] for c in range(prev.n_cols)):
        rows = rows[1:]  # that row was the rest of the last one
    prev.rows += rows
    prev.last_page = nxt.page


def _replace(rows: list[list[_CellBuf]], old: _CellBuf, new: _CellBuf) -> None:
    for row in rows:
        for k, c in enumerate(row):
            if c is old:
                row[k] = new


def _to_table(t: _TableBuf, file: str, index: int, joiner: _LineJoiner) -> Table:
    seen: dict[int, Cell] = {}
    cells: list[Cell] = []
    for r, row in enumerate(t.rows):
        for c, buf in enumerate(row):
            cell = seen.get(id(buf))
            if cell is None:
                cell = Cell(r, c, _cell_lines(buf, joiner), Source(file, page=buf.page, table=index, row=r, col=c, bbox=tuple(round(v, 1) for v in buf.bbox)))
                seen[id(buf)] = cell
                cells.append(cell)
            else:
                cell.row_span = max(cell.row_span, r - cell.row + 1)
                cell.col_span = max(cell.col_span, c - cell.col + 1)
    header = 1 if len(t.rows) > 1 else 0
    return Table(len(t.rows), t.n_cols, cells, Source(file, page=t.page, table=index, bbox=tuple(round(v, 1) for v in t.bbox)), header_rows=header)


def _cell_lines(buf: _CellBuf, joiner: _LineJoiner) -> list[str]:
    if not buf.lines:
        return []
    listy = any(s in ln.text for ln in buf.lines for s in SEPARATORS)
    text = buf.lines[0].text
    for prev, nxt in zip(buf.lines, buf.lines[1:], strict=False):
        if nxt.top < prev.top:  # continued on the next page: decide by the line before the break
            nxt = _Line(nxt.text, nxt.x0, nxt.x1, prev.bottom, prev.bottom + nxt.height, nxt.size)
        text += joiner.joiner(prev, nxt, listy) + nxt.text
    return text.split("\n")


# --- prose -----------------------------------------------------------------------------------

def _furniture(pages_lines: list[list[_Line]], heights: list[float]) -> set[tuple[int, int]]:
    """(page, line) positions of page numbers and running headers or footers.

    A page number is a number-only line (— 3 —, 第3页, 3/10) in the top or bottom tenth of the
    page; a running header or footer is a short line printed at the same height, with the same
    words (numbers aside), on at least half the pages (three at least).
    """
    def key(ln: _Line) -> tuple[str, int]:
        return re.sub(r"\d+", "#", ln.text), round(ln.top / 3)

    out: set[tuple[int, int]] = set()
    repeated = Counter(k for lines in pages_lines for k in {key(ln) for ln in lines})
    n_pages = len(pages_lines)
    for p, lines in enumerate(pages_lines):
        for i, ln in enumerate(lines):
            edge = ln.top < 0.1 * heights[p] or ln.bottom > 0.9 * heights[p]
            if not edge:
                continue
            if PAGE_NUMBER.match(ln.text.strip()) or (n_pages >= 3 and len(ln.text) <= 40 and repeated[key(ln)] >= max(3, n_pages // 2)):
                out.add((p, i))
    return out


def _line_spacing(items: list[tuple[int, float, object]]) -> dict[int, float]:
    """The usual gap between consecutive text lines on each page (the median)."""
    gaps: dict[int, list[float]] = {}
    prev: tuple[int, _Line] | None = None
    for p_no, _, obj in items:
        if not isinstance(obj, _Line):
            prev = None
            continue
        if prev is not None and prev[0] == p_no and obj.top > prev[1].bottom:
            gaps.setdefault(p_no, []).append(obj.top - prev[1].bottom)
        prev = (p_no, obj)
    return {p: sorted(g)[len(g) // 2] for p, g in gaps.items() if len(g) >= 3}


def _join_text(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


def extract_pdf(path: Path, lexicon: Lexicon) -> tuple[list[Block], int | None]:
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:
        # pdfplumber wraps pdfminer's errors: look at the whole chain for the real one
        chain, e = [], exc
        while e is not None and len(chain) < 5:
            chain.append(e)
            e = e.__cause__ or e.__context__ or (e.args[0] if e.args and isinstance(e.args[0], BaseException) else None)
        name = " ".join(type(x).__name__ for x in chain)
        if "Password" in name or "Encrypt" in name:
            raise ExtractError(f"{path.name}: the PDF is encrypted and cannot be read") from exc
        raise ExtractError(f"{path.name}: not a readable PDF ({name}: {exc})") from exc
    with pdf:
        return _extract(pdf, path.name, lexicon)


def _extract(pdf, file: str, lexicon: Lexicon) -> tuple[list[Block], int | None]:
    items: list[tuple[int, float, object]] = []  # (page, top, _Line | _TableBuf)
    pages_lines: list[list[_Line]] = []
    heights: list[float] = []
    widths: list[float] = []
    any_text = False
    aligned_before: _TableBuf | None = None  # a rule-less table running off the previous page
    for p_no, page in enumerate(pdf.pages, start=1):
        chars = dedupe_chars(page.chars)
        any_text |= any(c["text"].strip() for c in chars)
        tables = [t for t in page.find_tables(TABLE_SETTINGS) if len(t.rows) >= 2 and len(t.rows[0].cells) >= 2]
        boxes = [t.bbox for t in tables]
        in_table: list[list[dict]] = [[] for _ in tables]
        outside = []
        for ch in chars:
            cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
            for k, (x0, t0, x1, b0) in enumerate(boxes):
                if x0 <= cx <= x1 and t0 <= cy <= b0:
                    in_table[k].append(ch)
                    break
            else:
                outside.append(ch)
        for k, t in enumerate(tables):
            buf = _read_table(page, t, in_table[k], p_no)
            if buf:
                items.append((p_no, t.bbox[1], buf))
        aligned = None if tables else _text_table(outside, p_no, float(page.height), aligned_before, lexicon.header_words)
        aligned_before = None
        if aligned:
            aligned_before, used = aligned
            items.append((p_no, aligned_before.bbox[1], aligned_before))
            outside = [c for c in outside if id(c) not in used]
        lines = _lines(outside)
        pages_lines.append(lines)
        heights.append(float(page.height))
        widths.append(float(page.width))
        for ln in lines:
            items.append((p_no, ln.top, ln))
    if not any_text:
        raise ExtractError(f"{file}: the PDF has no text layer (a scanned image?); it needs OCR first")
    drop = _furniture(pages_lines, heights)
    dropped = {id(pages_lines[p][i]) for p, i in drop}
    items = [it for it in items if id(it[2]) not in dropped]
    items.sort(key=lambda it: (it[0], it[1]))

    # Text margins per page size: a notice may mix portrait prose and landscape tables.
    margins: dict[int, tuple[float, float]] = {}
    for p_no, _, obj in items:
        if isinstance(obj, _Line):
            w = round(widths[p_no - 1])
            lo, hi = margins.get(w, (obj.x0, obj.x1))
            margins[w] = (min(lo, obj.x0), max(hi, obj.x1))

    joiner = _LineJoiner(lexicon)
    blocks: list[Block] = []
    para: list[tuple[int, _Line]] = []
    open_table: _TableBuf | None = None
    n_tables = 0

    def flush() -> None:
        if not para:
            return
        text = ""
        for _, ln in para:
            text = _join_text(text, ln.text)
        page0, first = para[0]
        same = [ln for p, ln in para if p == page0]
        bbox = (min(ln.x0 for ln in same), first.top, max(ln.x1 for ln in same), max(ln.bottom for ln in same))
        blocks.append(Block("paragraph", Source(file, page=page0, bbox=tuple(round(v, 1) for v in bbox)), text.strip(),
                            bold=all(ln.bold for _, ln in para), pages=sorted({p for p, _ in para})))
        para.clear()

    def close_table() -> None:
        nonlocal open_table, n_tables
        if open_table is not None:
            blocks.append(Block("table", Source(file, page=open_table.page, table=n_tables), table=_to_table(open_table, file, n_tables, joiner)))
            n_tables += 1
            open_table = None

    spacing = _line_spacing(items)
    for p_no, _, obj in items:
        if isinstance(obj, _TableBuf):
            flush()
            if open_table is not None and obj.page <= open_table.last_page + 1 and _same_columns(open_table, obj):
                _continue_table(open_table, obj)
            else:
                close_table()
                open_table = obj
            continue
        ln = obj
        assert isinstance(ln, _Line)
        close_table()
        left, right = margins[round(widths[p_no - 1])]
        ln.room = (right - ln.x1) / max(ln.size, 1.0)
        if para:
            prev_page, prev = para[-1]
            indented = ln.x0 - left > 1.5 * ln.size
            gap = ln.top - prev.bottom if prev_page == p_no else 0.0
            # A line that ends early ends its paragraph, unless it stops mid-sentence with little room
            # left: a word that cannot be broken (IPv6, 5G, a number) pushed to the next line.
            ends_early = prev.room >= 1.5 and (bool(LINE_END.search(prev.text)) or prev.room > 6)
            # a gap wider than this page's usual spacing between lines (fixed spacing may be wide) parts paragraphs
            wide = gap > max(1.2 * max(prev.height, ln.height), 1.5 * spacing.get(p_no, 0.0))
            if (ends_early or indented or NEW_ITEM.match(ln.text) or wide
                    or abs(ln.size - prev.size) > 1.0 or (NEW_ITEM.match(prev.text) and prev.room >= 1.0)):
                flush()
        para.append((p_no, ln))
    flush()
    close_table()
    return blocks, len(pdf.pages)
