"""Word (.docx) backend: body paragraphs and tables in document order, as the author wrote them.

python-docx's `row.cells` repeats a merged cell in every position it covers, so the grid is
read from the XML: `w:gridSpan` gives a column span, `w:vMerge` restart/continue a row span,
and `w:tblHeader` marks repeated header rows. Each paragraph inside a cell is one line.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

from ..errors import ExtractError
from ..model import Block, Cell, Source, Table

W_P, W_TBL, W_TR, W_TC, W_SDT = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:sdt")


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


def extract_docx(path: Path, name: str | None = None) -> tuple[list[Block], int | None]:
    """`name` is the file to cite in provenance (the original of a converted legacy file)."""
    name = name or path.name
    if not zipfile.is_zipfile(path):
        raise ExtractError(f"{name}: not a Word .docx file (not a zip package)")
    try:
        doc = Document(str(path))
    except Exception as exc:
        raise ExtractError(f"{name}: not a readable Word document: {exc}") from exc
    blocks: list[Block] = []
    n_par = n_tbl = 0

    def walk(parent) -> None:
        nonlocal n_par, n_tbl
        for el in parent.iterchildren():
            if el.tag == W_P:
                text = _para_text(el)
                for line in text.split("\n"):
                    if line.strip():
                        style = _style(el)
                        kind = "heading" if style and style.lower().startswith(("heading", "title")) else "paragraph"
                        blocks.append(Block(kind, Source(name, paragraph=n_par), line.strip(), style))
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
