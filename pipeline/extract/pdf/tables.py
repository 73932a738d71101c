"""Ruled tables: cells read from pdfplumber's table finder, tables stitched across pages (the
repeated header goes, a row split by the break is joined cell by cell, a merged cell cut by the
break takes the value it had above), and cells into the document model's grid."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from ...model import Cell, Source, Table
from .geometry import Line, lines_of, ocr_confidence
from .wraps import SEPARATORS, LineJoiner

TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}


@dataclass
class CellBuf:
    page: int
    bbox: tuple[float, float, float, float]
    lines: list[Line] = field(default_factory=list)

    def empty(self) -> bool:
        return not any(ln.text.strip() for ln in self.lines)


@dataclass
class TableBuf:
    page: int
    bbox: tuple[float, float, float, float]
    col_x: list[float]  # left edges of the columns
    rows: list[list[CellBuf]]  # n_rows × n_cols; a merged cell appears in every position it covers
    last_page: int = 0

    @property
    def n_cols(self) -> int:
        return len(self.col_x)

    def texts(self, r: int) -> list[str]:
        return ["".join(ln.text for ln in c.lines) for c in self.rows[r]]


def read_ruled(page, table, chars: list[dict], page_no: int) -> TableBuf | None:
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
    grid, cells = _cells(rows, col_x, row_y, page_no)
    # Characters to cells by their centre.
    buckets: dict[int, list[dict]] = {}
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        c = bisect_right(col_x, cx) - 1
        r = bisect_right(row_y, cy) - 1
        if 0 <= r < len(row_y) and 0 <= c < len(col_x):
            buckets.setdefault(id(grid[r][c]), []).append(ch)
    for cell in cells:
        cell.lines = lines_of(buckets.get(id(cell), []))
    _set_room(cells)
    return TableBuf(page_no, table.bbox, col_x, grid, page_no)


def _cells(rows: list, col_x: list[float], row_y: list[float], page_no: int) -> tuple[list[list[CellBuf]], list[CellBuf]]:
    """The grid (each position holds the cell covering it: a merged cell fills its span) and the
    cells; a gap in the ruling gets an empty cell of its own."""
    n_rows, n_cols = len(row_y), len(col_x)
    grid: list[list[CellBuf | None]] = [[None] * n_cols for _ in range(n_rows)]
    cells: list[CellBuf] = []
    for r, row in enumerate(rows):
        for bbox in row.cells:
            if not bbox:
                continue
            cell = CellBuf(page_no, bbox)
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
            if grid[r][c] is None:
                cell = CellBuf(page_no, (col_x[c], row_y[r], col_x[c], row_y[r]))
                grid[r][c] = cell
                cells.append(cell)
    return [list(r) for r in grid], cells  # type: ignore[misc]  # every position filled above


def _set_room(cells: list[CellBuf]) -> None:
    """How much room each line leaves before its cell's right edge (less the table's padding,
    taken from how far the first lines stand from their cells' left edges), in characters."""
    pad = None
    for cell in cells:
        for ln in cell.lines[:1]:
            left = ln.x0 - cell.bbox[0]
            pad = left if pad is None else min(pad, left)
    pad = min(max(pad if pad is not None else 5.0, 1.0), 12.0)
    for cell in cells:
        right = cell.bbox[2] - pad
        for ln in cell.lines:
            ln.room = max(0.0, (right - ln.x1) / max(ln.size, 1.0))


# --- tables without rules: columns from the header's words, rows from the 序号 column -----------

def same_columns(a: TableBuf, b: TableBuf) -> bool:
    return a.n_cols == b.n_cols and all(abs(x - y) <= 3 for x, y in zip(a.col_x, b.col_x, strict=True))


def number_column(*tables: TableBuf) -> int | None:
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


def continue_table(prev: TableBuf, nxt: TableBuf) -> None:
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
    num = number_column(prev, nxt)
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


def _replace(rows: list[list[CellBuf]], old: CellBuf, new: CellBuf) -> None:
    for row in rows:
        for k, c in enumerate(row):
            if c is old:
                row[k] = new


def to_table(t: TableBuf, file: str, index: int, joiner: LineJoiner) -> Table:
    seen: dict[int, Cell] = {}
    cells: list[Cell] = []
    for r, row in enumerate(t.rows):
        for c, buf in enumerate(row):
            cell = seen.get(id(buf))
            if cell is None:
                # the place counts from 1, as a person does; the cell's own row and col stay grid indexes
                place = Source(file, page=buf.page, table=index + 1, row=r + 1, col=c + 1, bbox=tuple(round(v, 1) for v in buf.bbox),
                               ocr=ocr_confidence(buf.lines))
                cell = Cell(r, c, cell_lines(buf, joiner), place)
                seen[id(buf)] = cell
                cells.append(cell)
            else:
                cell.row_span = max(cell.row_span, r - cell.row + 1)
                cell.col_span = max(cell.col_span, c - cell.col + 1)
    header = 1 if len(t.rows) > 1 else 0
    return Table(len(t.rows), t.n_cols, cells, Source(file, page=t.page, table=index + 1, bbox=tuple(round(v, 1) for v in t.bbox)), header_rows=header)


def cell_lines(buf: CellBuf, joiner: LineJoiner) -> list[str]:
    if not buf.lines:
        return []
    listy = any(s in ln.text for ln in buf.lines for s in SEPARATORS)
    text = buf.lines[0].text
    for prev, nxt in zip(buf.lines, buf.lines[1:], strict=False):
        if nxt.top < prev.top:  # continued on the next page: decide by the line before the break
            nxt = Line(nxt.text, nxt.x0, nxt.x1, prev.bottom, prev.bottom + nxt.height, nxt.size, ocr=nxt.ocr)
        text += joiner.joiner(prev, nxt, listy) + nxt.text
    return text.split("\n")


