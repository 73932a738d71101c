"""PDF backend: ruled tables stitched across pages, prose joined into paragraphs.

Characters and ruling lines are read by PDFium (pdfium.py) where it reads them as the content
stream has them, else by pdfplumber; pdfplumber's table finder runs on either.
The jobs live in their own modules: geometry.py (glyphs, lines, words), tables.py (ruled tables
and their stitching), ruleless.py (tables drawn without rules), wraps.py (wrap or break inside a
cell), prose.py (paragraphs, page furniture); this module runs them page by page.

What no common extractor does, done here from the characters' geometry:
- a table that continues on the next page is one table: the repeated header row goes, a row
  split by the page break is joined to its first half cell by cell, and a vertically merged
  cell cut by the break (empty at the top of the new page) takes the value it had above;
- inside a cell, a line that stops short of the cell's right edge ends there (a new name in a
  one-per-line list); a line that fills the cell wraps onto the next (人民银行某市分 + 行).
  Where geometry cannot tell, the department-name lexicon decides (see `LineJoiner`);
- prose lines outside tables become paragraphs (a paragraph ends where a line stops short, or
  the next line is indented or starts a numbered item); page numbers and running headers go.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

from ...errors import ExtractError
from ...model import Block, Source
from ..lexicon import Lexicon
from ..reading import Reading
from . import ocr, pdfium
from .geometry import LINE_END, Line, dedupe_chars, lines_of, ocr_confidence
from .prose import furniture, join_text, line_spacing
from .ruleless import ruleless_table
from .tables import TABLE_SETTINGS, TableBuf, continue_table, read_ruled, same_columns, to_table
from .virtual import VirtualDocument
from .wraps import LineJoiner, name_tokenizer

__all__ = ["READERS", "extract_pdf", "extract_virtual", "name_tokenizer"]

log = logging.getLogger(__name__)


READERS = ("auto", "pdfium", "pdfplumber")


def extract_pdf(path: Path, lexicon: Lexicon, reader: str = "auto") -> Reading:
    """The PDF's blocks, page count and warnings. Characters and ruling lines come from PDFium
    where it reads them as the content stream has them (pdfium.py), else from pdfplumber; `reader`
    forces one ("pdfium" raises `pdfium.Unfaithful` where it would not be faithful)."""
    if reader not in READERS:
        raise ValueError(f"reader must be one of {', '.join(READERS)}, not {reader!r}")
    if reader != "pdfplumber":
        doc = pdfium.open_document(path)
        if doc is None and reader == "pdfium":
            raise pdfium.Unfaithful("PDFium cannot open it, or its pages are turned or offset")
        if doc is not None:
            try:
                with doc:
                    return _extract(doc, path.name, lexicon)
            except (pdfium.Unfaithful, pdfium.PdfiumError):
                if reader == "pdfium":
                    raise
                # not faithful, or a page PDFium cannot load that pdfminer may get past
                log.debug("%s: read by pdfplumber instead of PDFium", path.name, exc_info=True)
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
            raise ExtractError("the PDF is protected by a password; ask the sender for a copy without one", detail=f"{name}: {exc}") from exc
        raise ExtractError("not a readable PDF (damaged or cut short)", detail=f"{name}: {exc}") from exc
    with pdf:
        return _extract(pdf, path.name, lexicon)


def _read_scanned(page, p_no: int, notes: list[str], read: dict[int, list]):
    """A page with no text layer, read by OCR; uncertain lines are noted with page, box and text."""
    image = page.to_image(resolution=ocr.DPI).original
    virtual, lines = ocr.ocr_page(image, float(page.width), float(page.height), p_no)
    read[p_no] = lines
    for x in lines:
        if x.confidence < ocr.LOW_CONFIDENCE:
            box = ",".join(f"{v:.0f}" for v in x.box)
            notes.append(f"p.{p_no} box {box}: read by OCR with confidence {x.confidence:.2f}: {x.text}")
    page.close()
    return virtual


def _ocr_summary(read: dict[int, list]) -> str:
    lines = [x for v in read.values() for x in v]
    mean = sum(x.confidence for x in lines) / len(lines) if lines else 0.0
    low = sum(x.confidence < ocr.LOW_CONFIDENCE for x in lines)
    return (f"{len(read)} page(s) without a text layer read by OCR (pages {_ranges(sorted(read))}): {len(lines)} lines, "
            f"mean confidence {mean:.3f}, {low} below {ocr.LOW_CONFIDENCE:.2f}")


def _ranges(pages: list[int]) -> str:
    out: list[str] = []
    for p in pages:
        if out and out[-1].split("–")[-1] == str(p - 1):
            out[-1] = f"{out[-1].split('–')[0]}–{p}"
        else:
            out.append(str(p))
    return ", ".join(out)


def extract_virtual(pages: list, file: str, lexicon: Lexicon) -> Reading:
    """Pages of another source (OFD, OCR) read like a text PDF's: see virtual.py."""
    return _extract(VirtualDocument(pages), file, lexicon)


Item = tuple[int, float, object]  # (page, top, Line | TableBuf), sorted into reading order


@dataclass
class _Pages:
    """What the pages give, page by page: lines and tables in place, each page's lines and size,
    and what could not be read as text."""

    items: list[Item] = field(default_factory=list)
    lines: list[list[Line]] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    any_text: bool = False
    no_text: list[int] = field(default_factory=list)  # pages with images and no text layer: scanned pages
    notes: list[str] = field(default_factory=list)
    read: dict[int, list] = field(default_factory=dict)  # page -> the lines OCR read on it


def _extract(pdf, file: str, lexicon: Lexicon) -> Reading:
    use_ocr = ocr.available()
    pages = _read_pages(pdf, lexicon, use_ocr)
    warnings = _text_found(pages, use_ocr)
    drop = furniture(pages.lines, pages.heights, lexicon.page_number)
    dropped = {id(pages.lines[p][i]) for p, i in drop}
    items = sorted((it for it in pages.items if id(it[2]) not in dropped), key=lambda it: (it[0], it[1]))
    blocks = _Blocks(file, lexicon, _margins(items, pages.widths), pages.widths, line_spacing(items), _line_numbers(pages.lines, drop)).of(items)
    if not blocks:
        raise ExtractError("no notice text found: every line repeats on every page (running heads and page numbers only)")
    return Reading(blocks, len(pdf.pages), warnings)


def _read_pages(pdf, lexicon: Lexicon, use_ocr: bool) -> _Pages:
    out = _Pages()
    aligned_before: TableBuf | None = None  # a rule-less table running off the previous page
    for p_no, page in enumerate(pdf.pages, start=1):
        chars = dedupe_chars(page.chars)
        has_text = any(c["text"].strip() for c in chars)
        if not has_text and page.images and use_ocr and hasattr(page, "to_image"):
            page = _read_scanned(page, p_no, out.notes, out.read)
            chars = page.chars
            has_text = bool(chars)
        out.any_text |= has_text
        if not has_text and page.images:
            out.no_text.append(p_no)
        aligned_before = _read_page(page, p_no, chars, lexicon, aligned_before, out)
        page.close()  # pdfplumber keeps every page's objects until closed: memory stays flat over pages
    return out


def _read_page(page, p_no: int, chars: list[dict], lexicon: Lexicon, aligned_before: TableBuf | None, out: _Pages) -> TableBuf | None:
    """One page's ruled tables, rule-less table and lines into `out`; the rule-less table it
    leaves running onto the next page."""
    tables = [t for t in page.find_tables(TABLE_SETTINGS) if len(t.rows) >= 2 and len(t.rows[0].cells) >= 2]
    in_table, outside = _by_table(chars, [t.bbox for t in tables])
    for k, t in enumerate(tables):
        buf = read_ruled(page, t, in_table[k], p_no)
        if buf:
            out.items.append((p_no, t.bbox[1], buf))
    aligned = None if tables else ruleless_table(outside, p_no, float(page.height), aligned_before, lexicon)
    running = None
    if aligned:
        running, used = aligned
        out.items.append((p_no, running.bbox[1], running))
        outside = [c for c in outside if id(c) not in used]
    lines = lines_of(outside)
    out.lines.append(lines)
    out.heights.append(float(page.height))
    out.widths.append(float(page.width))
    out.items.extend((p_no, ln.top, ln) for ln in lines)
    return running


def _by_table(chars: list[dict], boxes: list[tuple]) -> tuple[list[list[dict]], list[dict]]:
    """The characters inside each table's box (by their centre), and those outside every table."""
    in_table: list[list[dict]] = [[] for _ in boxes]
    outside = []
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        for k, (x0, t0, x1, b0) in enumerate(boxes):
            if x0 <= cx <= x1 and t0 <= cy <= b0:
                in_table[k].append(ch)
                break
        else:
            outside.append(ch)
    return in_table, outside


def _text_found(pages: _Pages, use_ocr: bool) -> list[str]:
    """The warnings of what was not read; an error when no page gave any text."""
    if not pages.any_text:
        if pages.read:
            raise ExtractError("no text found on any page, not even by OCR of its scanned pages")
        if pages.no_text:
            raise ExtractError("the PDF has no text layer (scanned pages) and OCR is not installed: " + ocr.EXTRA)
        raise ExtractError("the PDF has no text layer and no page images: nothing to read")
    why = "OCR found no text on it" if use_ocr else f"OCR is not installed ({ocr.EXTRA})"
    unread = [f"page {p} is an image without a text layer (a scanned page): its text is not read; {why}" for p in pages.no_text]
    return ([_ocr_summary(pages.read)] if pages.read else []) + pages.notes + unread


def _line_numbers(pages_lines: list[list[Line]], furniture: set[tuple[int, int]]) -> dict[int, int]:
    """Each text line's number on its page (by id), as a reader counts them from the top and as
    Word numbers lines: running heads, page numbers and the lines inside tables are not counted.
    A page's lines are in reading order already (`lines_of`), one per row of text."""
    out: dict[int, int] = {}
    for p, lines in enumerate(pages_lines):
        body = [ln for i, ln in enumerate(lines) if (p, i) not in furniture]
        out.update((id(ln), n) for n, ln in enumerate(body, start=1))
    return out


def _margins(items: list[Item], widths: list[float]) -> dict[int, tuple[float, float]]:
    """Text margins per page width: a notice may mix portrait prose and landscape tables."""
    margins: dict[int, tuple[float, float]] = {}
    for p_no, _, obj in items:
        if isinstance(obj, Line):
            w = round(widths[p_no - 1])
            lo, hi = margins.get(w, (obj.x0, obj.x1))
            margins[w] = (min(lo, obj.x0), max(hi, obj.x1))
    return margins


class _Blocks:
    """The items in reading order as blocks: lines joined into paragraphs, tables stitched across pages."""

    def __init__(self, file: str, lexicon: Lexicon, margins: dict[int, tuple[float, float]], widths: list[float],
                 spacing: dict[int, float], line_numbers: dict[int, int]) -> None:
        self.file, self.lexicon, self.margins, self.widths, self.spacing = file, lexicon, margins, widths, spacing
        self.line_numbers = line_numbers  # id(Line) -> its number on its page
        self.joiner = LineJoiner(lexicon)
        self.blocks: list[Block] = []
        self.para: list[tuple[int, Line]] = []
        self.open_table: TableBuf | None = None
        self.n_tables = 0

    def of(self, items: list[Item]) -> list[Block]:
        for p_no, _, obj in items:
            if isinstance(obj, TableBuf):
                self.flush()
                if self.open_table is not None and obj.page <= self.open_table.last_page + 1 and same_columns(self.open_table, obj):
                    continue_table(self.open_table, obj)
                else:
                    self.close_table()
                    self.open_table = obj
                continue
            assert isinstance(obj, Line)
            self.close_table()
            self.line(p_no, obj)
        self.flush()
        self.close_table()
        return self.blocks

    def line(self, p_no: int, ln: Line) -> None:
        left, right = self.margins[round(self.widths[p_no - 1])]
        ln.room = (right - ln.x1) / max(ln.size, 1.0)
        if self.para and self.ends_paragraph(*self.para[-1], p_no, ln, left):
            self.flush()
        self.para.append((p_no, ln))

    def ends_paragraph(self, prev_page: int, prev: Line, p_no: int, ln: Line, left: float) -> bool:
        """Does a paragraph end between `prev` and `ln`?"""
        indented = ln.x0 - left > 1.5 * ln.size
        gap = ln.top - prev.bottom if prev_page == p_no else 0.0
        # A line that ends early ends its paragraph, unless it stops mid-sentence with little room
        # left: a word that cannot be broken (IPv6, 5G, a number) pushed to the next line.
        ends_early = prev.room >= 1.5 and (bool(LINE_END.search(prev.text)) or prev.room > 6)
        # a gap wider than this page's usual spacing between lines (fixed spacing may be wide) parts paragraphs
        wide = gap > max(1.2 * max(prev.height, ln.height), 1.5 * self.spacing.get(p_no, 0.0))
        return (ends_early or indented or self.lexicon.opens_item(ln.text) or wide
                or abs(ln.size - prev.size) > 1.0 or (self.lexicon.opens_item(prev.text) and prev.room >= 1.0))

    def flush(self) -> None:
        if not self.para:
            return
        text = ""
        for _, ln in self.para:
            text = join_text(text, ln.text)
        page0, first = self.para[0]
        same = [ln for p, ln in self.para if p == page0]
        bbox = (min(ln.x0 for ln in same), first.top, max(ln.x1 for ln in same), max(ln.bottom for ln in same))
        self.blocks.append(Block("paragraph", Source(self.file, page=page0, line=self.line_numbers[id(first)], bbox=tuple(round(v, 1) for v in bbox),
                                                     ocr=ocr_confidence([ln for _, ln in self.para])),
                                 text.strip(), bold=all(ln.bold for _, ln in self.para), pages=sorted({p for p, _ in self.para})))
        self.para.clear()

    def close_table(self) -> None:
        if self.open_table is not None:
            self.blocks.append(Block("table", Source(self.file, page=self.open_table.page, table=self.n_tables + 1),
                                     table=to_table(self.open_table, self.file, self.n_tables, self.joiner)))
            self.n_tables += 1
            self.open_table = None
