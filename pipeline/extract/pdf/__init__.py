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


def _extract(pdf, file: str, lexicon: Lexicon) -> Reading:
    items: list[tuple[int, float, object]] = []  # (page, top, Line | TableBuf)
    pages_lines: list[list[Line]] = []
    heights: list[float] = []
    widths: list[float] = []
    any_text = False
    aligned_before: TableBuf | None = None  # a rule-less table running off the previous page
    no_text: list[int] = []  # pages with images and no text layer: scanned pages
    notes: list[str] = []
    read: dict[int, list] = {}  # page -> the lines OCR read on it
    use_ocr = ocr.available()
    for p_no, page in enumerate(pdf.pages, start=1):
        chars = dedupe_chars(page.chars)
        has_text = any(c["text"].strip() for c in chars)
        if not has_text and page.images and use_ocr and hasattr(page, "to_image"):
            page = _read_scanned(page, p_no, notes, read)
            chars = page.chars
            has_text = bool(chars)
        any_text |= has_text
        if not has_text and page.images:
            no_text.append(p_no)
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
            buf = read_ruled(page, t, in_table[k], p_no)
            if buf:
                items.append((p_no, t.bbox[1], buf))
        aligned = None if tables else ruleless_table(outside, p_no, float(page.height), aligned_before, lexicon)
        aligned_before = None
        if aligned:
            aligned_before, used = aligned
            items.append((p_no, aligned_before.bbox[1], aligned_before))
            outside = [c for c in outside if id(c) not in used]
        lines = lines_of(outside)
        pages_lines.append(lines)
        heights.append(float(page.height))
        widths.append(float(page.width))
        for ln in lines:
            items.append((p_no, ln.top, ln))
        page.close()  # pdfplumber keeps every page's objects until closed: memory stays flat over pages
    if not any_text:
        if read:
            raise ExtractError("no text found on any page, not even by OCR of its scanned pages")
        if no_text:
            raise ExtractError("the PDF has no text layer (scanned pages) and OCR is not installed: " + ocr.EXTRA)
        raise ExtractError("the PDF has no text layer and no page images: nothing to read")
    why = "OCR found no text on it" if use_ocr else f"OCR is not installed ({ocr.EXTRA})"
    unread = [f"page {p} is an image without a text layer (a scanned page): its text is not read; {why}" for p in no_text]
    warnings = ([_ocr_summary(read)] if read else []) + notes + unread
    drop = furniture(pages_lines, heights, lexicon.page_number)
    dropped = {id(pages_lines[p][i]) for p, i in drop}
    items = [it for it in items if id(it[2]) not in dropped]
    items.sort(key=lambda it: (it[0], it[1]))

    # Text margins per page size: a notice may mix portrait prose and landscape tables.
    margins: dict[int, tuple[float, float]] = {}
    for p_no, _, obj in items:
        if isinstance(obj, Line):
            w = round(widths[p_no - 1])
            lo, hi = margins.get(w, (obj.x0, obj.x1))
            margins[w] = (min(lo, obj.x0), max(hi, obj.x1))

    joiner = LineJoiner(lexicon)
    blocks: list[Block] = []
    para: list[tuple[int, Line]] = []
    open_table: TableBuf | None = None
    n_tables = 0

    def flush() -> None:
        if not para:
            return
        text = ""
        for _, ln in para:
            text = join_text(text, ln.text)
        page0, first = para[0]
        same = [ln for p, ln in para if p == page0]
        bbox = (min(ln.x0 for ln in same), first.top, max(ln.x1 for ln in same), max(ln.bottom for ln in same))
        blocks.append(Block("paragraph", Source(file, page=page0, bbox=tuple(round(v, 1) for v in bbox), ocr=ocr_confidence([ln for _, ln in para])),
                            text.strip(),
                            bold=all(ln.bold for _, ln in para), pages=sorted({p for p, _ in para})))
        para.clear()

    def close_table() -> None:
        nonlocal open_table, n_tables
        if open_table is not None:
            blocks.append(Block("table", Source(file, page=open_table.page, table=n_tables), table=to_table(open_table, file, n_tables, joiner)))
            n_tables += 1
            open_table = None

    spacing = line_spacing(items)
    for p_no, _, obj in items:
        if isinstance(obj, TableBuf):
            flush()
            if open_table is not None and obj.page <= open_table.last_page + 1 and same_columns(open_table, obj):
                continue_table(open_table, obj)
            else:
                close_table()
                open_table = obj
            continue
        ln = obj
        assert isinstance(ln, Line)
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
            if (ends_early or indented or lexicon.opens_item(ln.text) or wide
                    or abs(ln.size - prev.size) > 1.0 or (lexicon.opens_item(prev.text) and prev.room >= 1.0)):
                flush()
        para.append((p_no, ln))
    flush()
    close_table()
    if not blocks:
        raise ExtractError("no notice text found: every line repeats on every page (running heads and page numbers only)")
    return Reading(blocks, len(pdf.pages), warnings)
