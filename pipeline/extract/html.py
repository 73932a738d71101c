"""HTML backend: saved web pages as portals publish them.

The article is found by its content, not by a template: the container whose own paragraphs and
tables hold the most sentences, widened while its siblings hold sentences too (a notice and its
附件 in two <div>s), never over the page's title, date and share lines. What the page says of
itself outside the article — <meta name=…>, its labelled box (索 引 号：…, 发文字号：…), the
heading above the article, the files it links — is the notice's Metadata, with the labels kept
as printed. In the article: paragraphs and headings in order, text runs split at <br> (also
beside a table in one <div>), and <table> elements as a grid with rowspan / colspan; <br> and
block elements inside a cell are line breaks. A link whose text is a file name is an
attachment, not text."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from ..errors import ExtractError
from ..model import Block, Cell, Metadata, Source, Table
from .encoding import decode_text
from .lexicon import Lexicon
from .reading import Reading

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


def _line_walk(node, out: list[str], top: bool = False) -> None:
    """Append a node's text to `out` (the last entry is the open line): <br> and block children
    break lines; a link naming a file is left out (it is an attachment, kept in the metadata)."""
    if not isinstance(node.tag, str):
        out[-1] += node.tail or ""
        return
    tag = node.tag.lower()
    if tag == "br":
        out.append("")
    elif tag in ("script", "style") or (tag == "a" and FILE_NAME.search(_squash(node.text_content()))):
        pass
    else:
        if tag in BLOCK_TAGS and out[-1].strip():
            out.append("")
        out[-1] += node.text or ""
        for ch in node:
            _line_walk(ch, out)
        if tag in BLOCK_TAGS:
            out.append("")
    if not top:
        out[-1] += node.tail or ""


def _clean_lines(out: list[str]) -> list[str]:
    lines = [re.sub(r"[ \t\r\n\u3000\xa0]+", lambda m: " " if "\n" not in m.group(0) else "", ln).strip("\n") for ln in out]
    lines = [x.strip() for x in lines]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def _text_lines(el) -> list[str]:
    """An element's text with <br> and block children as line breaks."""
    out = [""]
    _line_walk(el, out, top=True)
    return _clean_lines(out)


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
            cells.append(Cell(r, c, _text_lines(td), Source(file, table=index + 1, row=r + 1, col=c + 1), row_span=rs, col_span=cs))
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
    return Table(n_rows, n_cols, cells, Source(file, table=index + 1), header_rows=header_rows)


def _owner_table(el):
    p = el.getparent()
    while p is not None and p.tag != "table":
        p = p.getparent()
    return p


def _cells(tbl) -> list[list]:
    return [[td for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")] for tr in tbl.iter("tr") if _owner_table(tr) is tbl]


def _layout_table(tbl) -> bool:
    """A table used for page layout, not data: one column, or cells that hold tables."""
    cols = max((len(row) for row in _cells(tbl)), default=0)
    if cols <= 1:
        return True
    return any(x is not tbl for x in tbl.iter("table"))


# --- what the page says of itself -------------------------------------------------------------

FILE_NAME = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|zip|rar|7z|pptx?|csv|txt)$", re.I)
SENTENCE = re.compile(r"[。！？；!?;]")
LABEL = r"(?P<key>[^：:。，,；;（）()《》“”\d]{1,10}?)\s*[：:]"  # a label: a few words and a colon (索 引 号：)
LABEL_PAIR = re.compile(r"^\s*" + LABEL + r"\s*(?P<value>\S.*?)\s*$", re.S)
LABEL_CELL = re.compile(r"^\s*" + LABEL + r"\s*$", re.S)
# A label in a line of the page: a word, or single characters spaced out (索 引 号), and a colon,
# at the line's start or after a space (来源：… 时间：… on one line).
_CH = r"[^\s：:。，,；;（）()《》“”\d]"
LABEL_IN_LINE = re.compile(r"(?:^|(?<=\s))(?P<key>" + _CH + r"(?:\s" + _CH + r"){1,9}|" + _CH + r"{1,10})\s*[：:]")


def _pairs_in_line(text: str) -> list[tuple[str, str]]:
    """(label, value) pairs of a line that opens with a label: 索 引 号：PZ001 / 来源：X 时间：Y."""
    found = list(LABEL_IN_LINE.finditer(text))
    if not found or found[0].start() != 0:
        return []
    out = []
    for m, nxt in zip(found, [*found[1:], None], strict=True):
        value = text[m.end():nxt.start() if nxt else len(text)].strip()
        if value:
            out.append((_squash(m.group("key")), value))
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _label_table(tbl) -> bool:
    """A box of labelled values (索 引 号： | … | 发文机关： | …), not a table of data."""
    texts = [_squash(td.text_content()) for row in _cells(tbl) for td in row]
    texts = [t for t in texts if t]
    labels = sum(1 for t in texts if LABEL_CELL.match(t))
    return labels >= 2 and labels * 3 >= len(texts)


def _label_pairs(tbl) -> list[tuple[str, str]]:
    out = []
    for row in _cells(tbl):
        for k, td in enumerate(row[:-1]):
            m = LABEL_CELL.match(_squash(td.text_content()))
            value = " ".join(_text_lines(row[k + 1]))
            if m and value and not LABEL_CELL.match(_squash(value)):
                out.append((m.group("key"), value))
    return out


def _link_name(a) -> str:
    """The name of the file a link points to ('' when it points to no file): its text, else the
    file name in its address."""
    href = (a.get("href") or "").strip()
    text = re.sub(r"\s+", " ", a.text_content()).strip()
    path = unquote(urlsplit(href).path) if href and not href.lower().startswith(("javascript:", "mailto:")) else ""
    if FILE_NAME.search(path):
        return text if text and len(text) > 1 else path.rsplit("/", 1)[-1]
    return text if FILE_NAME.search(text) else ""


# --- the article --------------------------------------------------------------------------------

BLOCK_LEVEL = BLOCK_TAGS | {"table", "ul", "ol", "dl", "dd", "dt", "main", "form", "hr", "tbody", "thead", "tfoot", "td", "th", "address", "figure", "body"}
FLOW = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote"}


class _Page:
    """One parsed page: which elements hold blocks, how much text and how many sentences each
    holds (link text aside), and the article found from them."""

    def __init__(self, root, lexicon: Lexicon) -> None:
        self.root = root
        # the article's own lines beside its sentences (text as squashed: no whitespace): a date line and a 文号 line
        self.own_lines = (lexicon.date_line, lexicon.doc_no_line)
        self.blocky: dict = {}  # element → holds a block-level element (a container)
        for el in reversed(list(root.iter())):  # children before their parents
            if isinstance(el.tag, str):
                self.blocky[el] = any(isinstance(c.tag, str) and (c.tag.lower() in BLOCK_LEVEL or self.blocky.get(c)) for c in el)
        self.own: dict = {}  # container → [sentence chars, text chars] of its own runs, leaf blocks and data tables
        body = root.find("body")
        self.visit(body if body is not None else root)

    def data_table(self, el) -> bool:
        return el.tag.lower() == "table" and not _layout_table(el) and not _label_table(el)

    def add(self, owner, text: str, content: bool = False) -> None:
        t = _squash(text)
        if not t:
            return
        mine = self.own.setdefault(owner, [0, 0])
        mine[1] += len(t)
        if content or SENTENCE.search(t) or any(p.match(t) for p in self.own_lines):
            mine[0] += len(t)

    def visit(self, el) -> None:
        self.own.setdefault(el, [0, 0])
        run = [el.text or ""]
        for ch in el:
            if not isinstance(ch.tag, str):
                run.append(ch.tail or "")
                continue
            tag = ch.tag.lower()
            if tag in BLOCK_LEVEL or self.blocky.get(ch) or tag == "br":
                self.add(el, "".join(run))
                run = []
                if tag != "br" and self.data_table(ch):
                    self.add(el, _visible(ch), content=True)
                elif self.blocky.get(ch):
                    self.visit(ch)
                elif tag != "br":
                    self.add(el, _visible(ch))
            else:
                run.append(_visible(ch))
            run.append(ch.tail or "")
        self.add(el, "".join(run))

    def article(self):
        """The container holding the most sentences of its own, widened to its parent while the
        parent adds sentences (a third of what it adds at least) or nothing at all."""
        total: dict = {}
        for el in reversed(list(self.root.iter())):
            if el in self.own:
                sub = list(self.own[el])
                for c in el:
                    if c in total:
                        sub[0] += total[c][0]
                        sub[1] += total[c][1]
                total[el] = sub
        if not self.own:
            return self.root
        k = 0 if any(v[0] for v in self.own.values()) else 1  # a page without one sentence: by its text
        best = max(self.own, key=lambda el: self.own[el][k])
        while best.getparent() is not None and best.tag != "body":
            parent = best.getparent()
            content, text = (total[parent][i] - total[best][i] for i in (0, 1))
            if text and (content < 6 or content * 3 < text):
                break
            best = parent
        return best


def _visible(el) -> str:
    """An element's text without its links' (menus, share buttons and file lists are links)."""
    out = [el.text or ""] if el.tag.lower() != "a" else []
    for ch in el:
        if isinstance(ch.tag, str) and ch.tag.lower() not in ("script", "style"):
            out.append(_visible(ch))
        out.append(ch.tail or "")
    return "".join(out)


def _drop_furniture(root) -> None:
    for bad in root.xpath("//script|//style|//nav|//header|//footer|//aside|//noscript|//iframe|//button|//select|//input"):
        bad.drop_tree()
    for el in root.xpath("//*[@class or @id]"):
        label = f"{el.get('class', '')} {el.get('id', '')}"
        if NOISE.search(label) and el.tag not in ("body", "html") and el.getparent() is not None:
            el.drop_tree()


def _metadata(page: _Page, article, page_title: str, links: list[str]) -> Metadata:
    """Fields the page prints outside the article: labelled boxes and lines (索 引 号：…, 时间：…);
    the heading above the article (an <h1>–<h3>, or a line the page's <title> holds; else the
    <title> itself); the files it links. (<meta name=… content=…> are read before the furniture goes.)"""
    meta = Metadata(attachments=links)
    inside = set(article.iter())
    boxes = [t for t in page.root.iter("table") if t not in inside and _label_table(t)]
    for tbl in boxes:
        for k, v in _label_pairs(tbl):
            meta.fields.setdefault(k, v)
    in_box = {el for t in boxes for el in t.iter()}
    squashed_title = _squash(page_title)
    before = True
    body = page.root.find("body")
    for el in (body if body is not None else page.root).iter():
        if el is article:
            before = False
        if not isinstance(el.tag, str) or el in inside or el in in_box or page.blocky.get(el) or not page.blocky.get(el.getparent()):
            continue  # the outermost elements that hold no block: a line of the page
        text = re.sub(r"\s+", " ", _visible(el)).strip()
        pairs = _pairs_in_line(text)
        for k, v in pairs:
            meta.fields.setdefault(k, v)
        if not pairs and before and 5 <= len(_squash(text)) <= 200 and not SENTENCE.search(text) and (
                el.tag.lower() in ("h1", "h2", "h3") or _squash(text) in squashed_title):
            meta.heading = text
    if not meta.heading:  # no heading above the article: the page's <title>, its longest part (标题_栏目_站点)
        meta.heading = max((p.strip() for p in re.split(r"[_|｜]|\s[-–—]\s", page_title)), key=len, default="")
    return meta


def extract_html(path: Path, lexicon: Lexicon) -> Reading:
    root, warnings = _parse(path)
    fields = {m.get("name").strip(): re.sub(r"\s+", " ", m.get("content")).strip() for m in root.iter("meta")
              if (m.get("name") or "").strip() and (m.get("content") or "").strip()}
    title = " ".join(t.text_content() for t in root.iter("title"))
    links = list(dict.fromkeys(n for n in (_link_name(a) for a in root.iter("a")) if n))
    _drop_furniture(root)
    page = _Page(root, lexicon)
    body = page.article()
    meta = _metadata(page, body, title, links)
    meta.fields = {**fields, **{k: v for k, v in meta.fields.items() if k not in fields}}
    blocks = _Walker(path.name, page, meta).blocks_of(body)
    if not blocks:
        raise ExtractError("no notice text found in the page")
    return Reading(blocks, None, warnings, meta)


def _parse(path: Path):  # -> (lxml root, warnings)
    """The page's tree, guarded: its size, its XML declaration and DTD subset (entities are
    never expanded), absurd nesting flattened."""
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
        return lxml.html.document_fromstring(text, parser=parser), warnings
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError("not a readable HTML page", detail=f"{type(exc).__name__}: {exc}") from exc


class _Walker:
    """The article's elements in document order as blocks: headings and paragraphs (text sitting
    directly in a container cut at <br> and at the blocks beside it), data tables, and a layout
    table's cells read as blocks."""

    def __init__(self, file: str, page: _Page, meta: Metadata) -> None:
        self.file, self.page, self.meta = file, page, meta
        self.blocks: list[Block] = []
        self.paragraphs = self.tables = 0

    def blocks_of(self, body) -> list[Block]:
        self.walk(body)
        return self.blocks

    def paragraph(self, lines: list[str], tag: str | None) -> None:
        """The lines of one element (tag) or of a run of text between blocks (None)."""
        level = int(tag[1]) if tag in HEADINGS else None
        for line in lines:
            if line:  # each line a browser shows is a paragraph an auditor counts (from 1); an empty element is not
                self.paragraphs += 1
                self.blocks.append(Block("heading" if tag in HEADINGS else "paragraph", Source(self.file, paragraph=self.paragraphs), line,
                                         tag or "p", level=level))

    def walk(self, el) -> None:
        run = [""]  # the text directly in el, in runs between its blocks, cut at <br>
        run[-1] += el.text or ""
        for ch in el:
            tag = ch.tag.lower() if isinstance(ch.tag, str) else ""
            if not tag or not (tag in BLOCK_LEVEL or self.page.blocky.get(ch)):
                _line_walk(ch, run) if tag else run.__setitem__(-1, run[-1] + (ch.tail or ""))
                continue
            self.paragraph(_clean_lines(run), None)
            run = [""]
            self.block(ch, tag)
            run[-1] += ch.tail or ""
        self.paragraph(_clean_lines(run), None)

    def block(self, ch, tag: str) -> None:
        if tag == "table" and _layout_table(ch):
            for cell in ch.iter("td", "th"):
                if _owner_table(cell) is ch:
                    self.walk(cell)
        elif tag == "table" and _label_table(ch) and not self.blocks:
            for k, v in _label_pairs(ch):  # the page's box of labelled values, at the top of the article
                self.meta.fields.setdefault(k, v)
        elif tag == "table":
            self.blocks.append(Block("table", Source(self.file, table=self.tables + 1), table=read_table(ch, self.file, self.tables)))
            self.tables += 1
        elif tag in FLOW or not self.page.blocky.get(ch):
            depth = sum(1 for a in ch.iterancestors() if isinstance(a.tag, str) and a.tag.lower() in ("ol", "ul")) if tag == "li" else 0
            n = len(self.blocks)
            self.paragraph(_text_lines(ch), tag)
            for b in self.blocks[n:]:
                b.list_level = depth - 1 if tag == "li" else None
        else:
            self.walk(ch)
