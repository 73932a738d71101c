"""Word (.docx) backend: the text Word shows, in reading order, as the author wrote it.

python-docx's `row.cells` repeats a merged cell in every position it covers, so the grid is
read from the XML: `w:gridSpan` gives a column span, `w:vMerge` restart/continue a row span,
and `w:tblHeader` marks repeated header rows. Each paragraph inside a cell is one line.

What Word shows is not every w:t in the file:
- tracked changes read as if accepted: deleted and moved-away text (w:del, w:moveFrom) is out,
  inserted and moved-in text (w:ins, w:moveTo) in; a deleted row is out, and a paragraph whose
  mark was deleted runs on into the next one;
- wrappers around paragraphs, tables, rows and cells (content controls w:sdt, w:customXml) are
  read through, as if they were not there;
- alternate content (mc:AlternateContent) is read once, from its first Choice (what Word draws),
  never also from its Fallback copy;
- a text box (w:txbxContent) is a story of its own: its paragraphs and tables are blocks after
  the paragraph that anchors it, not text glued into that paragraph;
- a table of one cell is a layout box, not data: what it holds is read as blocks (a table in it
  is a table);
- footnotes and endnotes are read after the body, their blocks citing the note.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn

from ..errors import ExtractError
from ..model import Block, Cell, Source, Table
from ..numerals import int_to_cn
from .guards import guard_xml_parts, guard_zip, parse_xml
from .reading import Reading

W_P, W_TBL, W_TR, W_TC, W_R, W_T = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:r"), qn("w:t")
W_TAB, W_BR, W_CR = qn("w:tab"), qn("w:br"), qn("w:cr")
W_SDT, W_SDT_CONTENT, W_CUSTOM_XML, W_TXBX = qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:txbxContent")
W_DEL, W_MOVE_FROM = qn("w:del"), qn("w:moveFrom")
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
MC_ALTERNATE, MC_CHOICE, MC_FALLBACK = f"{MC}AlternateContent", f"{MC}Choice", f"{MC}Fallback"
NOT_SHOWN = {W_DEL, W_MOVE_FROM, qn("w:pPr"), qn("w:rPr")}  # text deleted or moved away; properties (tab stops) hold none
NOUN, READABLE = "a Word .docx file", "a readable Word .docx file"


def _chosen(alternate: Any) -> Any:
    """mc:AlternateContent: its first Choice, what Word draws; the Fallback only where no Choice is."""
    branch = alternate.find(MC_CHOICE)
    return branch if branch is not None else alternate.find(MC_FALLBACK)


def _unwrapped(parent: Any) -> Iterator[Any]:
    """parent's children, read through the wrappers Word puts around paragraphs, tables, rows and
    cells (content controls, custom XML, alternate content)."""
    for el in parent.iterchildren():
        if el.tag == W_SDT:
            content = el.find(W_SDT_CONTENT)
            if content is not None:
                yield from _unwrapped(content)
        elif el.tag == W_CUSTOM_XML:
            yield from _unwrapped(el)
        elif el.tag == MC_ALTERNATE:
            branch = _chosen(el)
            if branch is not None:
                yield from _unwrapped(branch)
        else:
            yield el


def _inline(el: Any) -> Iterator[Any]:
    """el's descendants as Word shows them: no deleted or moved-away runs, one branch of alternate
    content; a text box is yielded but not entered (its paragraphs are blocks of their own)."""
    for child in el.iterchildren():
        if child.tag in NOT_SHOWN:
            continue
        if child.tag == MC_ALTERNATE:
            branch = _chosen(child)
            if branch is not None:
                yield from _inline(branch)
            continue
        yield child
        if child.tag != W_TXBX:
            yield from _inline(child)


def _para(p: Any) -> tuple[str, list[Any]]:
    """A paragraph's text (w:br is a line break) and the text boxes anchored in it."""
    out: list[str] = []
    boxes = []
    for el in _inline(p):
        if el.tag == W_T:
            out.append(el.text or "")
        elif el.tag == W_TAB:
            out.append("\t")
        elif el.tag in (W_BR, W_CR):
            out.append("\n")
        elif el.tag == W_TXBX:
            boxes.append(el)
    return "".join(out), boxes


def _mark_removed(p: Any) -> bool:
    """The paragraph mark is deleted or moved away: what is left of the paragraph joins the next."""
    rpr = p.find(f"{qn('w:pPr')}/{qn('w:rPr')}")
    return rpr is not None and (rpr.find(W_DEL) is not None or rpr.find(W_MOVE_FROM) is not None)


def _style(p) -> str | None:
    ppr = p.find(qn("w:pPr"))
    if ppr is None:
        return None
    st = ppr.find(qn("w:pStyle"))
    return st.get(qn("w:val")) if st is not None else None


def _rows(tbl: Any) -> list[Any]:
    """The table's rows as shown: through wrappers, without rows deleted as a tracked change."""
    return [tr for tr in _unwrapped(tbl) if tr.tag == W_TR and tr.find(f"{qn('w:trPr')}/{qn('w:del')}") is None]


def _cells(tr: Any) -> list[Any]:
    return [tc for tc in _unwrapped(tr) if tc.tag == W_TC]


def _lines(container: Any) -> list[str]:
    """One line per paragraph and line break; nested tables and text boxes add their lines."""
    lines: list[str] = []
    carried = ""
    for el in _unwrapped(container):
        if el.tag == W_P:
            text, boxes = _para(el)
            if _mark_removed(el):
                carried += text
            else:
                lines += (carried + text).split("\n")
                carried = ""
            for box in boxes:
                lines += _lines(box)
        elif el.tag == W_TBL:
            for tr in _rows(el):
                for tc in _cells(tr):
                    lines += _lines(tc)
    return lines + ([carried] if carried else [])


def _cell_lines(tc) -> list[str]:
    """One line per paragraph (and per line break); nested tables add their cells' lines."""
    lines = _lines(tc)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip() and len(lines) > 1 and any(x.strip() for x in lines):
        # a leading empty paragraph carries nothing; keep line structure otherwise
        lines.pop(0)
    return lines


def read_table(tbl, file: str, index: int, story: str | None = None) -> Table:
    """A w:tbl as a grid of cells with spans; vertically merged continuations extend the cell above."""
    cells: list[Cell] = []
    open_cells: dict[int, Cell] = {}  # grid column -> cell a vMerge may continue
    header_rows = 0
    r = 0
    n_cols = len(tbl.findall(f"{qn('w:tblGrid')}/{qn('w:gridCol')}"))
    for tr in _rows(tbl):
        trpr = tr.find(qn("w:trPr"))
        col = 0
        if trpr is not None:
            gb = trpr.find(qn("w:gridBefore"))
            col = int(gb.get(qn("w:val"))) if gb is not None else 0
            th = trpr.find(qn("w:tblHeader"))
            if th is not None and th.get(qn("w:val"), "true") not in ("0", "false") and header_rows == r:
                header_rows = r + 1
        row_cells: list[Cell] = []
        for tc in _cells(tr):
            tcpr = tc.find(qn("w:tcPr"))
            span, vmerge = 1, None
            if tcpr is not None:
                gs = tcpr.find(qn("w:gridSpan"))
                span = int(gs.get(qn("w:val"))) if gs is not None else 1
                vm = tcpr.find(qn("w:vMerge"))
                if vm is not None:
                    vmerge = vm.get(qn("w:val")) or "continue"
            if vmerge == "continue" and col in open_cells:
                open_cells[col].row_span = r - open_cells[col].row + 1
            else:
                cell = Cell(r, col, _cell_lines(tc), Source(file, table=index, row=r + 1, col=col + 1, story=story), col_span=span)
                row_cells.append(cell)
                for k in range(col, col + span):
                    open_cells.pop(k, None)
                open_cells[col] = cell
            col += span
        n_cols = max(n_cols, col)
        cells += row_cells
        r += 1
    # trailing rows with no text at all do not belong to the grid
    while r > 0 and all(not c.text.strip() for c in cells if c.row == r - 1) and not any(c.row < r - 1 and c.row + c.row_span > r - 1 for c in cells):
        cells = [c for c in cells if c.row != r - 1]
        r -= 1
    for c in cells:
        c.row_span = min(c.row_span, r - c.row)
    return Table(r, n_cols, cells, Source(file, table=index, story=story), header_rows=header_rows)


CHINESE_FORMATS = {"chineseCounting", "chineseCountingThousand", "ideographTraditional", "chineseLegalSimplified",
                   "ideographDigital", "japaneseCounting", "taiwaneseCounting", "taiwaneseCountingThousand"}


class _Numbering:
    """Word's automatic numbering: the label (（一）, 1., 一、) Word draws but the text lacks.

    Counters run per list (w:numId) and level; a level restarts when a level above it moves on.
    """

    def __init__(self, doc) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> (format, text, start)
        self.counters: dict[str, dict[int, int]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {}
        for an in root.findall(qn("w:abstractNum")):
            lvls = {}
            for lvl in an.findall(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                txt = lvl.find(qn("w:lvlText"))
                start = lvl.find(qn("w:start"))
                lvls[int(lvl.get(qn("w:ilvl"), "0"))] = (fmt.get(qn("w:val")) if fmt is not None else "decimal",
                                                        txt.get(qn("w:val")) if txt is not None else "",
                                                        int(start.get(qn("w:val"))) if start is not None else 1)
            abstract[an.get(qn("w:abstractNumId"))] = lvls
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                self.levels[num.get(qn("w:numId"))] = abstract.get(ref.get(qn("w:val")), {})
        for st in doc.styles.element.findall(qn("w:style")):
            npr = st.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            if npr is not None and npr.find(qn("w:numId")) is not None:
                ilvl = npr.find(qn("w:ilvl"))
                self.style_num[st.get(qn("w:styleId"))] = (npr.find(qn("w:numId")).get(qn("w:val")), int(ilvl.get(qn("w:val"))) if ilvl is not None else 0)

    def ilvl(self, p) -> int | None:
        """The paragraph's list level (0 = outermost), where Word numbers it."""
        npr = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if npr is not None and npr.find(qn("w:ilvl")) is not None:
            return int(npr.find(qn("w:ilvl")).get(qn("w:val")))
        return self.style_num[_style(p)][1] if _style(p) in self.style_num else None

    def label(self, p) -> str:
        npr = p.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
        if npr is not None and npr.find(qn("w:numId")) is not None:
            ilvl_el = npr.find(qn("w:ilvl"))
            num_id, ilvl = npr.find(qn("w:numId")).get(qn("w:val")), int(ilvl_el.get(qn("w:val"))) if ilvl_el is not None else 0
        elif _style(p) in self.style_num:
            num_id, ilvl = self.style_num[_style(p)]
        else:
            return ""
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels or num_id == "0":
            return ""
        counters = self.counters.setdefault(num_id, {})
        fmt, text, start = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        for k in range(ilvl + 1):
            value = counters.get(k, levels.get(k, ("decimal", "", 1))[2])
            kfmt = levels.get(k, ("decimal", "", 1))[0]
            shown = int_to_cn(value) if kfmt in CHINESE_FORMATS and 0 < value < 100 else str(value)
            text = text.replace(f"%{k + 1}", shown)
        return "" if fmt == "bullet" else text


def _heading_level(style: str | None) -> int | None:
    """Word's heading styles: Heading N → N, Title → 0."""
    if not style:
        return None
    s = style.lower().replace(" ", "")
    if s.startswith("title"):
        return 0
    if s.startswith("heading") and s[7:].isdigit():
        return int(s[7:])
    return None


def _all_bold(p) -> bool:
    """Every run Word shows with text is bold (w:b set and not switched off)."""
    runs = [r for r in _inline(p) if r.tag == W_R and "".join(t.text or "" for t in r.iterchildren(W_T)).strip()]

    def bold(r) -> bool:
        b = r.find(f"{qn('w:rPr')}/{qn('w:b')}")
        return b is not None and b.get(qn("w:val"), "1") not in ("0", "false")

    return bool(runs) and all(bold(r) for r in runs)


class _Reader:
    """The blocks of one document in reading order. Paragraphs and tables are numbered per story
    (the body, each text box, each note), so the body's numbers do not depend on its text boxes."""

    def __init__(self, name: str, numbering: _Numbering) -> None:
        self.name, self.numbering = name, numbering
        self.blocks: list[Block] = []
        self.counts: Counter[tuple[str | None, str]] = Counter()

    def _next(self, story: str | None, kind: str) -> int:
        """The next paragraph's, table's or text box's number in its story, from 1 as a person counts."""
        self.counts[story, kind] += 1
        return self.counts[story, kind]

    def read(self, parent: Any, story: str | None = None) -> None:
        carried = ""  # what is left of paragraphs whose mark was deleted: it runs on into the next one
        for el in _unwrapped(parent):
            if el.tag == W_P:
                carried = self.paragraph(el, story, carried)
            elif el.tag == W_TBL:
                self.table(el, story)
        if carried.strip():  # no paragraph followed in this story: its own
            self.blocks.append(Block("paragraph", Source(self.name, paragraph=self.counts[story, "paragraph"], story=story), carried.strip()))

    def paragraph(self, p: Any, story: str | None, carried: str) -> str:
        """Adds the paragraph's lines; returns the text that runs on into the next paragraph."""
        text, boxes = _para(p)
        n = self._next(story, "paragraph")
        if _mark_removed(p):  # not a paragraph of its own once the change is accepted, nor a number in its list
            carried += text
        else:
            marker = self.numbering.label(p)
            style = _style(p)
            level, bold = _heading_level(style), _all_bold(p)
            item = marker.strip() or None  # the label Word's numbering shows: part of the place
            for line in (marker + carried + text).split("\n"):
                if line.strip():
                    self.blocks.append(Block("heading" if level is not None else "paragraph", Source(self.name, paragraph=n, item=item, story=story),
                                             line.strip(), style, level=level,
                                             list_level=self.numbering.ilvl(p) if marker else None, marker=marker, bold=bold))
            carried = ""
        for box in boxes:
            self.read(box, f"text box {self._next(None, 'text box')}")
        return carried

    def table(self, tbl: Any, story: str | None) -> None:
        n = self._next(story, "table")
        rows = _rows(tbl)
        cells = _cells(rows[0]) if len(rows) == 1 else []
        if len(cells) == 1:  # a layout box: its paragraphs and tables are the notice's own
            self.read(cells[0], story)
            return
        self.blocks.append(Block("table", Source(self.name, table=n, story=story), table=read_table(tbl, self.name, n, story)))

    def notes(self, doc: Any, kind: str, reltype: str) -> None:
        """Footnotes or endnotes after the body, in the order the body cites them, each a story."""
        parts = [rel.target_part for rel in doc.part.rels.values() if rel.reltype == reltype and not rel.is_external]
        if not parts:
            return
        root = parse_xml(parts[0].blob, str(parts[0].partname).lstrip("/"), READABLE)
        notes = {n.get(qn("w:id")): n for n in root.iterchildren(qn(f"w:{kind}")) if n.get(qn("w:type"), "normal") == "normal"}
        cited = [r.get(qn("w:id")) for r in doc.element.body.iter(qn(f"w:{kind}Reference"))]
        for number, nid in enumerate(dict.fromkeys([c for c in cited if c in notes] + list(notes)), start=1):
            self.read(notes[nid], f"{kind} {number}")


def open_docx(path: Path) -> Any:
    """python-docx's Document of a guarded package: sizes within bounds, and every XML part parsed
    without a DOCTYPE before python-docx parses any. The bytes are read once, so the parts checked
    are the parts read."""
    data = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ExtractError("not a Word .docx file (not a zip package)")
    guard_zip(io.BytesIO(data), NOUN)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        guard_xml_parts(z, READABLE)
    try:
        return Document(io.BytesIO(data))
    except Exception as exc:
        raise ExtractError("not a readable Word document (a part of the package is missing or damaged)", detail=f"{type(exc).__name__}: {exc}") from exc


def extract_docx(path: Path, name: str | None = None) -> Reading:
    """`name` is the file to cite in provenance (the original of a converted legacy file)."""
    doc = open_docx(path)
    reader = _Reader(name or path.name, _Numbering(doc))
    reader.read(doc.element.body)
    for kind, reltype in (("footnote", RT.FOOTNOTES), ("endnote", RT.ENDNOTES)):
        reader.notes(doc, kind, reltype)
    return Reading(reader.blocks)
