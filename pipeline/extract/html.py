"""HTML backend: saved web pages. Finds the notice body among the site's navigation, reads
paragraphs and headings in order, and <table> elements as a grid with rowspan / colspan.
<br> and block elements inside a cell are line breaks."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from lxml import etree

from ..errors import ExtractError
from ..model import Block, Cell, Source, Table
from .encoding import decode_text

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
BLOCK_TAGS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "blockquote", "pre", "center"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
NOISE = re.compile(r"nav|menu|header|footer|breadcrumb|sidebar|share|banner|copyright|crumb|toolbar", re.I)


XML_DECLARATION = re.compile(r"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_\-]+)["'][^>]*\?>""", re.I)
ANY_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
DOCTYPE_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.I | re.S)  # an internal subset: entity declarations
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*?(/?)>")
VOID = {"br", "img", "meta", "link", "hr", "input", "col", "area", "base", "wbr", "source", "param", "embed", "track"}
MAX_DEPTH = 200  # nesting kept; libxml2 stops reading a page nested deeper than 255 levels
MAX_BYTES = 64 * 1024 * 1024


def decode(data: bytes) -> str:
    """The page's text: the encoding its XML declaration or <meta> names, else found from the bytes."""
    head = data[:4096]
    m = XML_DECLARATION.search(head.decode("ascii", "replace")) or META_CHARSET.search(head)
    declared = m.group(1) if m else None
    if isinstance(declared, bytes):
        declared = declared.decode("ascii")
    return decode_text(data, declared)[0]


def flatten_deep(html: str, limit: int = MAX_DEPTH) -> tuple[str, int]:
    """Tags nested deeper than `limit` dropped (their text kept), in one pass: a page nested
    absurdly deep is read whole instead of stopping where the parser gives up. Returns the
    page and the deepest nesting seen."""
    depth = deepest = 0
    out: list[str] = []
    last = 0
    for m in TAG.finditer(html):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in VOID or self_closing:
            continue
        if closing:
            drop = depth > limit
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
            drop = depth > limit
        if drop:
            out.append(html[last:m.start()])
            last = m.end()
    if deepest <= limit:
        return html, deepest
    out.append(html[last:])
    return "".join(out), deepest


def _text_lines(el) -> list[str]:
    """An element's text with <br> and block children as line breaks."""
    out = [""]

    def walk(node) -> None:
        if not isinstance(node.tag, str):
            out[-1] += node.tail or ""
            return
        tag = node.tag.lower()
        if tag == "br":
            out.append("")
        elif tag in ("script", "style"):
            pass
        else:
            if tag in BLOCK_TAGS and out[-1].strip():
                out.append("")
            out[-1] += node.text or ""
            for ch in node:
                walk(ch)
            if tag in BLOCK_TAGS:
                out.append("")
        out[-1] += node.tail or "" if node is not el else ""

    walk(el)
    lines = [re.sub(r"[ \t\r\n\u3000\xa0]+", lambda m: " " if "\n" not in m.group(0) else "", ln).strip("\n") for ln in out]
    lines = [ln for ln in (x.strip() for x in lines)]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def read_table(tbl, file: str, index: int) -> Table:
    cells: list[Cell] = []
    taken: set[tuple[int, int]] = set()
    rows = [tr for tr in tbl.iter("tr") if _owner_table(tr) is tbl]
    n_cols = 0
    header_rows = 0
    for r, tr in enumerate(rows):
        c = 0
        is_header = True
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            rs = max(1, int(td.get("rowspan", "1") or 1)) if str(td.get("rowspan", "1")).isdigit() else 1
            cs = max(1, int(td.get("colspan", "1") or 1)) if str(td.get("colspan", "1")).isdigit() else 1
            is_header &= td.tag.lower() == "th"
            cells.append(Cell(r, c, _text_lines(td), Source(file, table=index, row=r, col=c), row_span=rs, col_span=cs))
            for rr in range(r, r + rs):
                for cc in range(c, c + cs):
                    taken.add((rr, cc))
            c += cs
        n_cols = max(n_cols, c)
        if is_header and header_rows == r and len(tr):
            header_rows = r + 1
    n_rows = len(rows)
    for cell in cells:
        cell.row_span = min(cell.row_span, n_rows - cell.row)
    return Table(n_rows, n_cols, cells, Source(file, table=index), header_rows=header_rows)


def _owner_table(el):
    p = el.getparent()
    while p is not None and p.tag != "table":
        p = p.getparent()
    return p


FLOW = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote"}


def _body(root):
    """The element holding the notice: the one whose own paragraphs (p, h1–h6, li) hold the
    most text. Site furniture (nav, header, footer, menus) is dropped first."""
    for bad in root.xpath("//script|//style|//nav|//header|//footer|//aside|//noscript"):
        bad.drop_tree()
    for el in root.xpath("//*[@class or @id]"):
        label = f"{el.get('class', '')} {el.get('id', '')}"
        if NOISE.search(label) and el.tag not in ("body", "html") and el.getparent() is not None:
            el.drop_tree()
    scores: dict = {}
    for el in root.iter(*FLOW):
        parent = el.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + len("".join(el.itertext()).strip())
    if not scores:
        body = root.find("body")
        return body if body is not None else root
    return max(scores, key=scores.get)


def _layout_table(tbl) -> bool:
    """A table used for page layout, not data: one column, or cells that hold tables."""
    rows = [tr for tr in tbl.iter("tr") if _owner_table(tr) is tbl]
    cols = max((sum(1 for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")) for tr in rows), default=0)
    if cols <= 1:
        return True
    return any(x is not tbl for x in tbl.iter("table"))


def extract_html(path: Path) -> tuple[list[Block], int | None, list[str]]:
    if path.stat().st_size > MAX_BYTES:
        raise ExtractError(f"the page is {path.stat().st_size >> 20} MB, over the {MAX_BYTES >> 20} MB a notice page may be")
    text = decode(path.read_bytes())
    # An XHTML page's XML declaration and internal DTD subset go: entities are never expanded
    # (no file or network is read) and lxml's HTML parser takes no declaration in a str.
    text = DOCTYPE_SUBSET.sub("<!DOCTYPE html>", ANY_XML_DECLARATION.sub("", text, count=1), count=1)
    text, deepest = flatten_deep(text)
    warnings = [f"the page nests its tags {deepest} levels deep; read with the nesting below level {MAX_DEPTH} removed"] if deepest > MAX_DEPTH else []
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError("not a readable HTML page", detail=f"{type(exc).__name__}: {exc}") from exc
    body = _body(root)
    blocks: list[Block] = []
    counter = {"p": 0, "t": 0}

    def walk(el) -> None:
        for ch in el:
            if not isinstance(ch.tag, str):
                continue
            tag = ch.tag.lower()
            if tag == "table" and _layout_table(ch):
                for cell in ch.iter("td", "th"):
                    if _owner_table(cell) is ch:
                        walk(cell)
            elif tag == "table":
                blocks.append(Block("table", Source(path.name, table=counter["t"]), table=read_table(ch, path.name, counter["t"])))
                counter["t"] += 1
            elif tag in HEADINGS or tag in ("p", "li", "pre", "blockquote") or (tag in BLOCK_TAGS and not any(
                    isinstance(g.tag, str) and g.tag.lower() in BLOCK_TAGS | {"table"} for g in ch)):
                level = int(tag[1]) if tag in HEADINGS else None
                depth = sum(1 for a in ch.iterancestors() if isinstance(a.tag, str) and a.tag.lower() in ("ol", "ul")) if tag == "li" else 0
                for line in _text_lines(ch):
                    if line:
                        blocks.append(Block("heading" if tag in HEADINGS else "paragraph", Source(path.name, paragraph=counter["p"]), line, tag,
                                            level=level, list_level=depth - 1 if tag == "li" else None))
                counter["p"] += 1
            else:
                walk(ch)
        if el is body and (el.text or "").strip():
            blocks.insert(0, Block("paragraph", Source(path.name, paragraph=0), el.text.strip()))

    walk(body)
    if not blocks:
        raise ExtractError("no notice text found in the page")
    return blocks, None, warnings
