"""The format-independent document model every extract backend fills.

A Notice is a sequence of Parts (the body is part 0, 附件N is part N); a part is a sequence of
Blocks in reading order: paragraphs, headings and tables. A Table is a grid of Cells that
know their row and column spans. Every block and cell keeps its Source, so any finding can
point a reader back to the file, page, paragraph or line it came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ..files import write_json

DOCUMENT_SCHEMA_VERSION = "6"  # 2: blocks keep level hints and every page they span; cells know header rows; 3: warnings; 4: metadata;
# 5: a PDF paragraph's line on its page, a Word paragraph's numbering label (Source.item); 6: paragraphs, tables, rows and
# columns counted from 1 in a Source (were from 0)

BlockKind = Literal["paragraph", "heading", "table"]


@dataclass
class Source:
    """Where an element came from, as a person opening the file counts: every number from 1
    (a Cell's own row and col stay grid indexes from 0). Only the fields that make sense for the
    format are set."""

    file: str
    page: int | None = None  # PDF page, 1-based
    line: int | None = None  # 1-based: a text file's line; on a PDF page, its text lines counted from the top (see `ref`)
    paragraph: int | None = None  # 1-based: a Word paragraph in its story; a page's text block in its article (html)
    item: str | None = None  # Word: the label its automatic numbering draws before the paragraph, as shown (（三）, 3.)
    table: int | None = None  # 1-based: the table in the file (in its story for Word)
    row: int | None = None  # 1-based: the table's row, its header rows counted
    col: int | None = None  # 1-based: the table's grid column
    bbox: tuple[float, float, float, float] | None = None  # PDF points: x0, top, x1, bottom
    ocr: float | None = None  # read by OCR from a page image: the mean confidence of its characters
    story: str | None = None  # Word: the text outside the body it is in ("footnote 2", "text box 1"); paragraphs and tables count within it

    def ref(self) -> str:
        """A locator a person can follow in a viewer: 'p.3 l.12' (a PDF page and the line on it
        where the paragraph starts: the page's text lines counted from the top, as Word numbers
        lines, without running heads, page numbers and tables), 'p.3 table 1 row 5 col 2',
        'line 42' (a text file), 'para 79 item （三）' (a Word paragraph and the label its
        numbering shows), 'footnote 1 para 1'. Every number counts from 1."""
        line = ("l." if self.page is not None else "line ", self.line)
        parts = [f"{label}{value}" for label, value in (("", self.story), ("p.", self.page), line, ("para ", self.paragraph),
                                                        ("item ", self.item), ("table ", self.table), ("row ", self.row), ("col ", self.col))
                 if value is not None and value != ""]
        if self.ocr is not None:  # OCR: the box on the page image and how sure the reading is
            box = ",".join(f"{v:.0f}" for v in self.bbox) if self.bbox else "?"
            parts.append(f"box {box} ocr {self.ocr:.3f}")
        return " ".join(parts) or "file"


@dataclass
class Cell:
    row: int
    col: int
    lines: list[str]  # one entry per line as written (paragraph in Word, line in text/PDF)
    source: Source
    row_span: int = 1
    col_span: int = 1
    header: bool = False  # in a header row the format marks (Word's tblHeader, HTML th, a repeated first row)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Table:
    n_rows: int
    n_cols: int
    cells: list[Cell]
    source: Source
    header_rows: int = 0  # leading rows the author marked as (repeated) header

    def __post_init__(self) -> None:
        for c in self.cells:
            c.header = c.header or c.row < self.header_rows

    def full_width_rows(self) -> list[int]:
        """Rows held by one cell across every column (section rows such as 一、贸易便利方面)."""
        return [c.row for c in self.cells if c.col == 0 and c.col_span >= self.n_cols > 1]

    def grid(self) -> list[list[Cell | None]]:
        """Dense rows × cols: each position holds the cell that covers it."""
        out: list[list[Cell | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for c in self.cells:
            for r in range(c.row, min(c.row + c.row_span, self.n_rows)):
                for k in range(c.col, min(c.col + c.col_span, self.n_cols)):
                    out[r][k] = c
        return out


@dataclass
class Block:
    kind: BlockKind
    source: Source
    text: str = ""
    style: str | None = None  # the author's style name where the format has one
    table: Table | None = None
    # Level hints the format gives, for the outline to weigh (none is required):
    level: int | None = None  # heading level: HTML h1–h6, Word's Heading N (Title is 0)
    list_level: int | None = None  # nesting of a list item: Word's numPr/ilvl, HTML ol/ul depth (0 = outermost)
    marker: str = ""  # a numbering label the format draws but the text lacks (Word's automatic numbering)
    bold: bool = False  # every character bold (PDF font, Word runs, HTML b/strong)
    pages: list[int] = field(default_factory=list)  # every PDF page the block spans


@dataclass
class Part:
    number: int  # 0 for the notice body, N for 附件N (a lone 附件 is 1)
    label: str  # as printed: "", "附件", "附件2"
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Metadata:
    """What a page says of itself beside the notice's text: its labelled fields as printed (a
    portal's 索引号/发布机构/发文字号/成文日期 box, <meta name=… content=…>, a scraper's header lines
    `标题: …`), the heading it shows above the text, and the names of the files it links. Keys are
    data: which label means title, issuer, 文号 or date is wording (structure.toml), read by the
    outline, which prefers what the notice's own text prints."""

    fields: dict[str, str] = field(default_factory=dict)  # label (whitespace and colon removed) → value; the first one printed wins
    heading: str = ""  # the title line a page shows above its article, outside it
    attachments: list[str] = field(default_factory=list)  # linked files' names, as the page shows them


@dataclass
class Notice:
    notice_id: str
    source_file: str
    source_format: str
    parts: list[Part] = field(default_factory=list)
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)  # what extraction could not read and went on without (a scanned page …)
    metadata: Metadata = field(default_factory=Metadata)  # what a page or a scraper's header says of the notice (html, txt)

    def texts(self) -> list[str]:
        """Every text the notice holds: its blocks', its table cells' and what its page says of it."""
        m = self.metadata
        return [x for p in self.parts for b in p.blocks
                for x in ([c.text for c in b.table.cells] if b.table else [b.text])] + [*m.fields, *m.fields.values(), m.heading, *m.attachments]

    def with_text(self, f: Callable[[str], str]) -> Notice:
        """A copy whose every text (blocks, cell lines) is passed through f: the same places."""
        def block(b: Block) -> Block:
            table = None
            if b.table is not None:
                cells = [replace(c, lines=[f(x) for x in c.lines]) for c in b.table.cells]
                table = replace(b.table, cells=cells)
            return replace(b, text=f(b.text), table=table)

        m = self.metadata
        metadata = Metadata({f(k): f(v) for k, v in m.fields.items()}, f(m.heading), [f(a) for a in m.attachments])
        return replace(self, parts=[replace(p, blocks=[block(b) for b in p.blocks]) for p in self.parts], metadata=metadata)

    def write(self, path: Path) -> None:
        # compact: no indent, and no None or False (the defaults the reader fills in again); a
        # page of many short paragraphs would otherwise make interim/ five times its size
        write_json(path, _compact({"schema_version": DOCUMENT_SCHEMA_VERSION, **asdict(self)}), indent=None)

    @staticmethod
    def read(path: Path) -> Notice:
        return notice_from_dict(json.loads(path.read_text(encoding="utf-8")))


def _compact(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _compact(x) for k, x in v.items() if x is not None and x is not False}
    if isinstance(v, list):
        return [_compact(x) for x in v]
    return v


def _source(d: dict[str, Any]) -> Source:
    bbox = d.get("bbox")
    return Source(**{**d, "bbox": tuple(bbox) if bbox else None})


class SchemaMismatch(ValueError):
    """A document written by a pipeline of another document schema: it is read again, not guessed at."""


def notice_from_dict(d: dict[str, Any]) -> Notice:
    found = d.get("schema_version")
    if found != DOCUMENT_SCHEMA_VERSION:
        raise SchemaMismatch(f"the document is of schema {found or 'unknown'}, this pipeline reads schema {DOCUMENT_SCHEMA_VERSION}: "
                             "extract it again")
    parts = []
    for p in d["parts"]:
        blocks = []
        for b in p["blocks"]:
            table = None
            if b.get("table"):
                t = b["table"]
                cells = [Cell(**{**c, "source": _source(c["source"])}) for c in t["cells"]]
                table = Table(t["n_rows"], t["n_cols"], cells, _source(t["source"]), t.get("header_rows", 0))
            blocks.append(Block(b["kind"], _source(b["source"]), b.get("text", ""), b.get("style"), table, b.get("level"),
                                b.get("list_level"), b.get("marker", ""), b.get("bold", False), b.get("pages", [])))
        parts.append(Part(p["number"], p["label"], blocks))
    d = {k: v for k, v in d.items() if k != "schema_version"}
    return Notice(**{**d, "parts": parts, "metadata": Metadata(**d.get("metadata", {}))})
