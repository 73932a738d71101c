"""Text backend: notices scraped from web pages and saved as plain text.

Three table forms survive scraping: one row per line with tab-separated cells (section rows
may keep their <h3> markup or lose their tabs); one cell per line, where a cell starts
with a tab and continues over the following lines, blank lines included; and cells run
together with nothing between them, rebuilt from the header's column words (glued.py, with the
lexicon the run hands over).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..model import Block, Cell, Metadata, Source, Table
from ..model.document import BlockKind
from . import glued
from .encoding import decode_text
from .lexicon import Lexicon
from .reading import Reading

TAG = re.compile(r"<[^>]+>")
HEADING_TAG = re.compile(r"^\s*<h\d[^>]*>(.*?)</h\d>", re.I)


def decode(data: bytes) -> str:
    return decode_text(data)[0]


INLINE_TAG = re.compile(r"</?(?:span|font|b|strong|i|em|u|a|p|div|td|tr|th)\b[^>]*>", re.I)
BREAK_TAG = re.compile(r"<br\s*/?>", re.I)


def _clean(line: str) -> str:
    # a <br> inside a cell separates names like a run of spaces does
    line = BREAK_TAG.sub("  ", INLINE_TAG.sub("", line))
    return html.unescape(line).replace("\xa0", " ").replace("\u3000", " ")


def extract_text(path: Path, lexicon: Lexicon) -> Reading:
    text = decode(path.read_bytes())
    # scraped pages keep HTML entities (&nbsp;) and stray inline tags (<span>, <br>) in cells too
    lines = [_clean(ln) for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    metadata = header_block(lines)
    reader = _Reader(path.name, lines, lexicon)
    if metadata.fields:
        reader.run_on_breaks = True
    return Reading(reader.blocks(), None, reader.warnings, metadata)


# A scraper's header: `key: value` lines (Markdown marks allowed) before a separator line
# (`=====  正文  =====`, `---`) near the top. The keys are kept as printed: which of them is the
# title or the date is the outline's to say.
SEPARATOR = re.compile(r"^\s*[=\-_*~]{3,}\s*(?:\S{1,10}\s*[=\-_*~]{3,}\s*)?$")
KEY_VALUE = re.compile(r"^\s*[*#>\s]*(?P<key>[^\s:：*#>][^:：*。，；,;（）()]{0,15}?)\s*\**\s*[:：]\s*\**\s*(?P<value>.*?)\s*$")
HEADER_LINES = 40  # how far down a header's separator may stand


def header_block(lines: list[str]) -> Metadata:
    """The header's fields, and the line it opens with as its heading (`# 标题`); the header is
    the scraper's, not the notice's: its lines are blanked in `lines` (line numbers stay). No
    separator near the top, or too few key–value lines before it: no header."""
    end = next((i for i, ln in enumerate(lines[:HEADER_LINES]) if SEPARATOR.match(ln)), None)
    if end is None:
        return Metadata()
    found = [(i, KEY_VALUE.match(lines[i])) for i in range(end) if lines[i].strip()]
    pairs = [(i, m) for i, m in found if m]
    if len(pairs) < 2 or len(pairs) * 2 < len(found):
        return Metadata()
    fields: dict[str, str] = {}
    for _, m in pairs:
        fields.setdefault(re.sub(r"\s+", "", m.group("key")), m.group("value").strip())
    heading = " ".join(TAG.sub("", lines[i]).strip(" #*>\t") for i, _ in found[:next(k for k, (_, m) in enumerate(found) if m)])
    for i in range(end + 1):
        lines[i] = ""
    return Metadata(fields, heading.strip())


# A crawler that saved a page's body on one line put a space where each line of the page ended:
# below its header block, a long line is cut at spaces between Chinese characters (or before a
# numbered item: 。 1.), never inside a number or a Latin word.
RUN_ON = 300
LINE_BREAK_SPACE = re.compile(r"(?<=[^\x00-\x7f])[ \t\u3000\xa0]+(?=[^\x00-\x7f]|\d+[.．、])")


class _Reader:
    def __init__(self, file: str, lines: list[str], lexicon: Lexicon) -> None:
        self.file = file
        self.lines = lines
        self.lexicon = lexicon
        self.out: list[Block] = []
        self.warnings: list[str] = []
        self.n_tables = 0
        self.run_on_breaks = False  # a crawler's one-line body under its header: spaces were line ends

    def src(self, i: int, table: int | None = None, row: int | None = None, col: int | None = None) -> Source:
        """Line i's place, with a table's, row's and column's indexes: every number from 1, as a person counts."""
        return Source(self.file, line=i + 1, **{k: v + 1 for k, v in (("table", table), ("row", row), ("col", col)) if v is not None})

    def blocks(self) -> list[Block]:
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            if line.startswith("\t"):
                i = self.cell_per_line_table(i)
            elif "\t" in line.strip("\t ") or (HEADING_TAG.match(line) and "\t" in line):
                i = self.tab_row_table(i)
            else:
                self.paragraph(i, line)
                i += 1
        return self.out

    def paragraph(self, i: int, line: str) -> None:
        m = HEADING_TAG.match(line)
        text = TAG.sub("", line).strip()
        pieces = LINE_BREAK_SPACE.split(text) if self.run_on_breaks and len(text) > RUN_ON else [text]
        for piece in pieces:
            self.piece(i, piece.strip(), "heading" if m else "paragraph")

    def piece(self, i: int, text: str, kind: BlockKind) -> None:
        """A paragraph, or the table a scrape ran together inside it and the text around it."""
        found = glued.find(text, self.lexicon) if text else None
        t = self.n_tables
        if found is not None:  # the place: the line, and the table when there is one
            self.warnings += [f"line {i + 1}{f' table {t + 1}' if found.cells else ''}: {w}" for w in found.warnings]
        if found is None or not found.cells:
            if text:
                self.out.append(Block(kind, self.src(i), text))
            return
        if text[:found.start].strip():
            self.out.append(Block(kind, self.src(i), text[:found.start].strip()))
        cells = [Cell(c.row, c.col, c.lines if c.lines is not None else ([c.text] if c.text else []),
                      self.src(i, table=t, row=c.row, col=c.col), row_span=c.row_span) for c in found.cells]
        table = Table(found.n_rows, found.n_cols, cells, self.src(i, table=t), header_rows=1)
        self.out.append(Block("table", self.src(i, table=t), table=table))
        self.n_tables += 1
        if text[found.end:].strip():
            self.out.append(Block("paragraph", self.src(i), text[found.end:].strip()))

    def next_nonblank(self, i: int) -> int:
        while i < len(self.lines) and not self.lines[i].strip():
            i += 1
        return i

    # -- one row per line, cells separated by tabs ------------------------------------------
    def tab_row_table(self, start: int) -> int:
        t = self.n_tables
        rows: list[list[tuple[str, int]]] = []  # cells as (text, line index)
        i = start
        while i < len(self.lines):
            line = self.lines[i]
            if not line.strip():
                i += 1
                continue
            if "\t" in line:
                rows.append([(TAG.sub("", c).strip(), i) for c in line.split("\t")])
                i += 1
                continue
            # A line without tabs inside the table is a full-width row (a section row whose
            # merged cell lost its tabs) when the table goes on after it.
            j = self.next_nonblank(i + 1)
            if j < len(self.lines) and "\t" in self.lines[j] and not self.lines[j].startswith("\t"):
                rows.append([(TAG.sub("", line).strip(), i)])
                i += 1
                continue
            break
        n_cols = max(len(r) for r in rows)
        cells = []
        for r, row in enumerate(rows):
            filled = [k for k, (txt, _) in enumerate(row) if txt]
            if r > 0 and filled == [0] and not row[0][0].isdigit():
                # one text across the row: a merged full-width cell (a section row)
                txt, li = row[0]
                cells.append(Cell(r, 0, [txt], self.src(li, table=t, row=r, col=0), col_span=n_cols))
                continue
            for k in range(n_cols):
                txt, li = row[k] if k < len(row) else ("", row[0][1])
                cells.append(Cell(r, k, [txt] if txt else [], self.src(li, table=t, row=r, col=k)))
        self.out.append(Block("table", self.src(start, table=t), table=Table(len(rows), n_cols, cells, self.src(start, table=t), header_rows=1)))
        self.n_tables += 1
        return i

    # -- one cell per line: a cell starts with a tab ------------------------------------------
    def cell_per_line_table(self, start: int) -> int:
        t = self.n_tables
        i = start
        header: list[tuple[list[str], int]] = []
        while i < len(self.lines) and self.lines[i].startswith("\t"):
            header.append(([self.lines[i].strip()], i))
            i += 1
        rows, i = self._cell_rows(i, len(header))
        rows.insert(0, header)
        cells = []
        for r, rw in enumerate(rows):
            for k, (lines, li) in enumerate(rw):
                while lines and not lines[-1].strip():
                    lines.pop()
                cells.append(Cell(r, k, lines, self.src(li, table=t, row=r, col=k)))
        while i > start and not self.lines[i - 1].strip():
            i -= 1  # hand trailing blank lines back
        self.out.append(Block("table", self.src(start, table=t), table=Table(len(rows), len(header), cells, self.src(start, table=t), header_rows=1)))
        self.n_tables += 1
        return i

    def _cell_rows(self, i: int, n_cols: int) -> tuple[list[list[tuple[list[str], int]]], int]:
        """The rows after the header, from line i: a cell per tab-led line, `n_cols` to a row, a
        cell going on over the lines after it; and the line where the table ends."""
        rows: list[list[tuple[list[str], int]]] = []
        row: list[tuple[list[str], int]] = []
        while i < len(self.lines):
            line = self.lines[i]
            if line.startswith("\t"):
                if len(row) == n_cols:
                    rows.append(row)
                    row = []
                row.append(([line[1:]], i))
            elif not row and not line.strip():
                pass
            elif not row or not (len(row) < n_cols or not line.strip() or self._continues(i)):
                break
            else:
                row[-1][0].append(line)  # the cell goes on, blank lines included
            i += 1
        if row:
            rows.append(row)
        return rows, i

    def _continues(self, i: int) -> bool:
        """A text line after a complete row still belongs to its last cell when the table
        goes on right after it (the next non-blank line past this run starts a cell)."""
        j = i
        while j < len(self.lines) and self.lines[j].strip() and not self.lines[j].startswith("\t"):
            j += 1
        j = self.next_nonblank(j)
        return j < len(self.lines) and self.lines[j].startswith("\t")
