"""OFD backend (GB/T 33190, China's fixed-layout format for official documents).

An .ofd is a zip of XML: OFD.xml names each document's Document.xml, which lists its pages
(Pages/Page_N/Content.xml) and the page size; a page holds TextObjects (a box, a font and a size
in millimetres, TextCode runs placed by X/Y with DeltaX advances) and PathObjects (ruling lines
as M/L path data). Glyphs and ruling lines become characters and edges in PDF points, and the
PDF backend's layout code reads them: the same paragraphs, tables and provenance as a text PDF.
The package is guarded like a .docx (size and entry limits), and every part read is parsed by
`guards.parse_xml`: no DTD, entity or network, and a part with a DOCTYPE refused.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import ExtractError
from .guards import guard_zip, parse_xml
from .lexicon import Lexicon
from .pdf import extract_virtual
from .pdf.virtual import VirtualPage, char, edge
from .reading import Reading

MM = 72 / 25.4  # points per millimetre
ASCENT = 0.88  # share of the font size above the baseline
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE]-?\d+)?")


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el: Any, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _find(el: Any, *path: str) -> Any:
    for name in path:
        found = _children(el, name) if el is not None else []
        el = found[0] if found else None
    return el


def _numbers(text: str | None) -> list[float]:
    return [float(x) for x in NUMBER.findall(text or "")]


def _deltas(text: str | None) -> list[float]:
    """DeltaX / DeltaY: numbers, where `g N d` stands for N times d."""
    tokens = (text or "").split()
    out: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out += [float(tokens[i + 2])] * int(float(tokens[i + 1]))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


class _Package:
    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z

    def xml(self, name: str) -> Any:
        name = name.lstrip("/")
        try:
            data = self.z.read(name)
        except KeyError as exc:
            raise ExtractError(f"not a complete OFD file: {name} is missing from the package") from exc
        return parse_xml(data, name, "a readable OFD file")


def _resolve(base: str, ref: str) -> str:
    return posixpath.normpath(ref.lstrip("/") if ref.startswith("/") else posixpath.join(posixpath.dirname(base), ref))


def _fonts(pkg: _Package, doc_path: str, doc: Any) -> dict[str, str]:
    """Font resource ID -> a font name the layout code reads (Bold in it when the font is bold)."""
    out: dict[str, str] = {}
    common = _find(doc, "CommonData")
    refs = [r.text for r in (common if common is not None else []) if _local(r) in ("PublicRes", "DocumentRes") and r.text]
    for ref in refs:
        res = pkg.xml(_resolve(doc_path, ref.strip()))
        for fonts in _children(res, "Fonts"):
            for f in _children(fonts, "Font"):
                name = f.get("FontName") or f.get("FamilyName") or "font"
                out[f.get("ID", "")] = name + ("-Bold" if f.get("Bold") == "true" else "")
    return out


def _page(pkg: _Package, page_path: str, size: tuple[float, float], fonts: dict[str, str], number: int) -> VirtualPage:
    root = pkg.xml(page_path)
    box = _numbers(getattr(_find(root, "Area", "PhysicalBox"), "text", None))
    w, h = (box[2], box[3]) if len(box) == 4 else size
    page = VirtualPage(w * MM, h * MM, page_number=number)
    for obj in root.iter():
        kind = _local(obj)
        if kind not in ("TextObject", "PathObject", "ImageObject"):
            continue
        bx, by, bw, bh = [*_numbers(obj.get("Boundary")), 0.0, 0.0, 0.0, 0.0][:4]
        ctm = _numbers(obj.get("CTM"))
        sx, sy, tx, ty = (ctm[0], ctm[3], ctm[4], ctm[5]) if len(ctm) == 6 else (1.0, 1.0, 0.0, 0.0)
        if kind == "ImageObject":
            page.images.append({"x0": bx * MM, "top": by * MM, "x1": (bx + bw) * MM, "bottom": (by + bh) * MM})
        elif kind == "TextObject":
            _text(obj, page, bx, by, bw, sx, sy, tx, ty, fonts)
        else:
            _path(obj, page, bx, by, sx, sy, tx, ty)
    return page


def _text(obj: Any, page: VirtualPage, bx: float, by: float, bw: float, sx: float, sy: float, tx: float, ty: float,
          fonts: dict[str, str]) -> None:
    size = float(obj.get("Size") or 3.5) * sy
    font = fonts.get(obj.get("Font", ""), "font")
    if int(float(obj.get("Weight") or 400)) >= 700 and "Bold" not in font:
        font += "-Bold"
    x = y = 0.0
    for code in _children(obj, "TextCode"):
        x = float(code.get("X", x))
        y = float(code.get("Y", y))
        text = code.text or ""
        dx = _deltas(code.get("DeltaX"))
        for i, ch in enumerate(text):
            x0 = bx + tx + x * sx
            advance = dx[i] * sx if i < len(dx) else (bw - x * sx if len(text) == 1 else size * (1.0 if ord(ch) > 0x2E80 else 0.5))
            base = by + ty + y * sy
            if ch.strip():
                page.chars.append(char(ch, x0 * MM, (base - ASCENT * size) * MM, (x0 + advance) * MM,
                                       (base - ASCENT * size + size) * MM, font))
            x += advance / sx if sx else advance


def _path(obj: Any, page: VirtualPage, bx: float, by: float, sx: float, sy: float, tx: float, ty: float) -> None:
    """Straight horizontal and vertical segments of the path (ruling lines, cell borders)."""
    data = _find(obj, "AbstractData")
    tokens = (data.text if data is not None else "").split()
    pos = start = None
    i = 0
    while i < len(tokens):
        op = tokens[i]
        if op in ("M", "S") and i + 2 < len(tokens):
            pos = start = (float(tokens[i + 1]), float(tokens[i + 2]))
            i += 3
        elif op == "L" and i + 2 < len(tokens) and pos is not None:
            nxt = (float(tokens[i + 1]), float(tokens[i + 2]))
            _segment(page, pos, nxt, bx, by, sx, sy, tx, ty)
            pos = nxt
            i += 3
        elif op == "C" and pos is not None and start is not None:
            _segment(page, pos, start, bx, by, sx, sy, tx, ty)
            pos = start
            i += 1
        else:  # curves and arcs: their arguments are skipped, they draw no ruling line
            i += 1 + {"B": 6, "Q": 4, "A": 7}.get(op, 0)
            if op in ("B", "Q", "A"):
                pos = (float(tokens[i - 2]), float(tokens[i - 1])) if i - 1 < len(tokens) else pos


def _segment(page: VirtualPage, a: tuple[float, float], b: tuple[float, float], bx: float, by: float,
             sx: float, sy: float, tx: float, ty: float) -> None:
    (x0, y0), (x1, y1) = a, b
    if abs(x0 - x1) > 0.2 and abs(y0 - y1) > 0.2:
        return  # slanted: not a rule
    xs = sorted(((bx + tx + x0 * sx) * MM, (bx + tx + x1 * sx) * MM))
    ys = sorted(((by + ty + y0 * sy) * MM, (by + ty + y1 * sy) * MM))
    if xs[1] - xs[0] < 1 and ys[1] - ys[0] < 1:
        return
    page.edges.append(edge(xs[0], ys[0], xs[1], ys[1]))


def extract_ofd(path: Path, lexicon: Lexicon) -> Reading:
    guard_zip(path, "an OFD file")
    with zipfile.ZipFile(path) as z:
        pkg = _Package(z)
        ofd = pkg.xml("OFD.xml")
        roots = [r.text.strip() for body in _children(ofd, "DocBody") for r in _children(body, "DocRoot") if r.text]
        if not roots:
            raise ExtractError("not a readable OFD file: OFD.xml names no document (DocRoot)")
        doc_path = _resolve("OFD.xml", roots[0])
        doc = pkg.xml(doc_path)
        box = _numbers(getattr(_find(doc, "CommonData", "PageArea", "PhysicalBox"), "text", None))
        size = (box[2], box[3]) if len(box) == 4 else (210.0, 297.0)
        fonts = _fonts(pkg, doc_path, doc)
        refs = [p.get("BaseLoc") for p in _children(_find(doc, "Pages"), "Page")] if _find(doc, "Pages") is not None else []
        if not refs:
            raise ExtractError("not a readable OFD file: its document has no pages")
        pages = [_page(pkg, _resolve(doc_path, ref), size, fonts, n) for n, ref in enumerate(refs, start=1) if ref]
    return extract_virtual(pages, path.name, lexicon)
