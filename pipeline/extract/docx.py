"""Word (.docx) backend: body paragraphs and tables in document order, as the author wrote them.

python-docx's `row.cells` repeats a merged cell in every position it covers, so the grid is
read from the XML: `w:gridSpan` gives a column span, `w:vMerge` restart/continue a row span,
and `w:tblHeader` marks repeated header rows. Each paragraph inside a cell is one line.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml.ns import qn

from ..errors import ExtractError
from ..model import Block, Cell, Source, Table
from ..numerals import int_to_cn
from .guards import guard_xml_parts, guard_zip

W_P, W_TBL, W_TR, W_TC, W_SDT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt")
NOUN, READABLE = "a Word .docx file", "a readable Word .docx file"


def _para_text(p) -> str:
    """A paragraph's text: runs, tabs and line breaks (w:br is a line break)."""
    out = []
    for el in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")):
        if el.tag == qn("w:t"):
            out.append(el.text or "")
        elif el.tag == qn("w:tab"):
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _style(p) -> str | None:
    ppr = p.find(qn("w:pPr"))
    if ppr is None:
        return None
    st = ppr.find(qn("w:pStyle"))
    return st.get(qn("w:val")) if st is not None else None


def _cell_lines(tc) -> list[str]:
    """One line per paragraph (and per line break); nested tables add their cells' lines."""
    lines: list[str] = []
    for child in tc:
        if child.tag == W_P:
            lines += _para_text(child).split("\n")
        elif child.tag == W_TBL:
            for p in child.iter(W_P):
                lines += _para_text(p).split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip() and len(lines) > 1 and any(x.strip() for x in lines):
        # a leading empty paragraph carries nothing; keep line structure otherwise
        lines.pop(0)
    return lines


def read_table(tbl, file: str, index: int) -> Table:
    """A w:tbl as a grid of cells with spans; vertically merged continuations extend the cell above."""
    cells: list[Cell] = []
    open_cells: dict[int, Cell] = {}  # grid column -> cell a vMerge may continue
    header_rows = 0
    r = 0
    n_cols = len(tbl.findall(f"{qn('w:tblGrid')}/{qn('w:gridCol')}"))
    for tr in tbl.iterchildren(W_TR):
        trpr = tr.find(qn("w:trPr"))
        col = 0
        if trpr is not None:
            gb = trpr.find(qn("w:gridBefore"))
            col = int(gb.get(qn("w:val"))) if gb is not None else 0
            th = trpr.find(qn("w:tblHeader"))
            if th is not None and th.get(qn("w:val"), "true") not in ("0", "false") and header_rows == r:
                header_rows = r + 1
        row_cells: list[Cell] = []
        for tc in tr.iterchildren(W_TC):
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
                cell = Cell(r, col, _cell_lines(tc), Source(file, table=index, row=r, col=col), col_span=span)
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
    return Table(r, n_cols, cells, Source(file, table=index), header_rows=header_rows)


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
    """Every run with text is bold (w:b set and not switched off)."""
    runs = [r for r in p.iter(qn("w:r")) if "".join(t.text or "" for t in r.iter(qn("w:t"))).strip()]

    def bold(r) -> bool:
        b = r.find(f"{qn('w:rPr')}/{qn('w:b')}")
        return b is not None and b.get(qn("w:val"), "1") not in ("0", "false")

    return bool(runs) and all(bold(r) for r in runs)


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


def extract_docx(path: Path, name: str | None = None) -> tuple[list[Block], int | None]:
    """`name` is the file to cite in provenance (the original of a converted legacy file)."""
    name = name or path.name
    doc = open_docx(path)
    blocks: list[Block] = []
    n_par = n_tbl = 0

    numbering = _Numbering(doc)

    def walk(parent) -> None:
        nonlocal n_par, n_tbl
        for el in parent.iterchildren():
            if el.tag == W_P:
                marker = numbering.label(el)
                text = marker + _para_text(el)
                style = _style(el)
                level = _heading_level(style)
                bold = _all_bold(el)
                for line in text.split("\n"):
                    if line.strip():
                        blocks.append(Block("heading" if level is not None else "paragraph", Source(name, paragraph=n_par), line.strip(), style,
                                            level=level, list_level=numbering.ilvl(el) if marker else None, marker=marker, bold=bold))
                n_par += 1
            elif el.tag == W_TBL:
                blocks.append(Block("table", Source(name, table=n_tbl), table=read_table(el, name, n_tbl)))
                n_tbl += 1
            elif el.tag == W_SDT:  # content controls wrap ordinary paragraphs and tables
                content = el.find(qn("w:sdtContent"))
                if content is not None:
                    walk(content)

    walk(doc.element.body)
    return blocks, None
