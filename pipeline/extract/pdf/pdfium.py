"""Characters, ruling lines and images of PDF pages read with PDFium (pypdfium2, which pdfplumber
itself installs), as virtual pages the layout code reads like pdfplumber's.

Why: pdfminer's pure-Python content-stream interpreter and pdfplumber's per-character dicts are
nine tenths of extraction time; PDFium's C++ reads the same characters with their positions many
times faster. pdfplumber's table finder still runs on the ruling lines (virtual.py), so tables
are found by the same code.

The geometry follows pdfplumber's: `top` and `bottom` from the top of the page, a character's box
as wide as its advance (the font's /Widths) and as tall as its size, standing on its baseline.
Ruling lines are the axis-aligned segments of every path (a rectangle gives its four sides).

PDFium's text page is made for reading, not for layout, and differs from the content stream in
a few known ways; each is undone here or the document goes to pdfplumber (`Unfaithful`):
- spaces it generates between words that have no space glyph are dropped (pdfminer sees none);
- a space glyph it folds into such a generated space (a run keeps one) comes back where the next
  glyph's origin shows it was: the layout counts a run of blanks as one gap anyway;
- a text object of blanks only has no width, and PDFium skips it: it comes back as one blank;
- a glyph whose /ToUnicode holds several characters (LibreOffice draws —— as one glyph) is as
  many characters at the glyph's origin: they are one char again, as wide as the glyph, as pdfminer
  reads it (the two dashes were folded as a glyph drawn twice and the gap after them read as a space);
- a hyphen it rewrites at a line end, a glyph without Unicode, text replaced by /ActualText, an
  unpainted one-glyph object it skips (could be any glyph), a glyph of several characters drawn
  turned (its advance is not given), a rotated page or a box not at the origin: pdfplumber reads
  that document.
Known differences left (none in the test PDFs): a glyph box stands on the baseline, where pdfminer
lowers a simple font's box by its /Descent (a fifth of the size at most; lines and cells are found
with tolerances wider than that); a text object drawn again a little to the side (fake bold more
than 1 pt off) is dropped by PDFium, which pdfminer keeps twice.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as R

from .virtual import VirtualPage, edge

_TEXT, _PATH, _IMAGE, _FORM = R.FPDF_PAGEOBJ_TEXT, R.FPDF_PAGEOBJ_PATH, R.FPDF_PAGEOBJ_IMAGE, R.FPDF_PAGEOBJ_FORM
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
NO_WIDTH = 0.01  # PDFium skips a text object narrower than this (kSizeEpsilon)
# render modes that paint glyphs: a painted text object without width holds blank glyphs only
PAINTED = {R.FPDF_TEXTRENDERMODE_FILL, R.FPDF_TEXTRENDERMODE_STROKE, R.FPDF_TEXTRENDERMODE_FILL_STROKE,
           R.FPDF_TEXTRENDERMODE_FILL_CLIP, R.FPDF_TEXTRENDERMODE_STROKE_CLIP, R.FPDF_TEXTRENDERMODE_FILL_STROKE_CLIP}
FOLDED = 0.5  # points between a generated space and the next glyph that betray a folded space glyph
HYPHEN, NO_UNICODE = 0x2, 0xFFFE  # what PDFium puts for a line-end hyphen it joins, a glyph without Unicode


PdfiumError = pdfium.PdfiumError


class Unfaithful(Exception):
    """PDFium would read this document differently from its content stream: use pdfplumber."""


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF's row-vector convention)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _matrix(obj: object) -> Matrix:
    m = R.FS_MATRIX()
    if not R.FPDFPageObj_GetMatrix(obj, m):
        return IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def open_document(path: Path) -> PdfiumDocument | None:
    """The document, when PDFium can open it and every page, and lays them out as pdfplumber does."""
    try:
        doc = PdfiumDocument(path)
    except PdfiumError:
        return None  # damaged, protected: pdfplumber's path names the problem
    try:
        if doc.usable():
            return doc
    except PdfiumError:
        pass  # a page PDFium cannot load, which pdfminer may get past
    doc.close()
    return None


class PdfiumDocument:
    """What the layout code iterates (`pages`, with a length), one page read at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pdf = pdfium.PdfDocument(str(path))
        self.pages = _Pages(self)

    def usable(self) -> bool:
        """Every page without rotation and with its boxes at the origin."""
        for i in range(len(self.pdf)):
            page = self.pdf[i]
            try:
                media, crop = page.get_mediabox(), page.get_cropbox()
                if page.get_rotation() or media[:2] != (0, 0) or tuple(crop) != tuple(media):
                    return False
            finally:
                page.close()
        return True

    def close(self) -> None:
        self.pdf.close()

    def __enter__(self) -> PdfiumDocument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Pages:
    def __init__(self, doc: PdfiumDocument) -> None:
        self.doc = doc

    def __len__(self) -> int:
        return len(self.doc.pdf)

    def __iter__(self) -> Iterator[VirtualPage]:
        for i in range(len(self.doc.pdf)):
            yield read_page(self.doc, i)


class PdfiumPage(VirtualPage):
    """A virtual page that can still be rendered (OCR of a scanned page)."""

    doc: PdfiumDocument | None = None

    def to_image(self, resolution: int) -> object:  # pdfplumber's PageImage
        import pdfplumber

        with pdfplumber.open(self.doc.path) as pdf:  # type: ignore[union-attr]
            image = pdf.pages[self.page_number - 1].to_image(resolution=resolution)
            image.original.load()
            return image


def read_page(doc: PdfiumDocument, index: int) -> PdfiumPage:
    page = doc.pdf[index]
    try:
        width, height = page.get_size()
        vp = PdfiumPage(float(width), float(height), page_number=index + 1)
        vp.doc = doc
        raw = page.raw
        fonts = _Fonts()
        blanks: list[dict] = []
        for k in range(R.FPDFPage_CountObjects(raw)):
            _walk(R.FPDFPage_GetObject(raw, k), IDENTITY, float(height), vp, blanks, fonts)
        vp.chars = _chars(page, float(height), index + 1, fonts) + blanks
        return vp
    finally:
        page.close()


class _Fonts:
    """Per font of a page: its name and its glyphs' advances, asked of PDFium once each."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.widths: dict[tuple[int, int, float], float] = {}
        self.buf = ctypes.create_string_buffer(256)
        self.w = ctypes.c_float()

    def name(self, font: object) -> str:
        key = ctypes.cast(font, ctypes.c_void_p).value or 0
        name = self.names.get(key)
        if name is None:
            n = R.FPDFFont_GetBaseFontName(font, self.buf, 256)
            name = self.names[key] = self.buf.raw[:max(n - 1, 0)].decode("utf-8", "replace")
        return name

    def advance(self, font: object, code: int, size: float) -> float:
        key = (ctypes.cast(font, ctypes.c_void_p).value or 0, code, size)
        adv = self.widths.get(key)
        if adv is None:
            adv = self.widths[key] = self.w.value if R.FPDFFont_GetGlyphWidth(font, code, ctypes.c_float(size), self.w) else 0.0
        return adv


def _char(text: str, x0: float, baseline: float, adv: float, size: float, font: str, upright: bool) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + adv, "top": baseline - size, "bottom": baseline, "size": size,
            "height": size, "width": adv, "fontname": font, "upright": upright, "object_type": "char"}


def _chars(page: pdfium.PdfPage, height: float, p_no: int, fonts: _Fonts) -> list[dict]:
    tp = page.get_textpage()
    try:
        raw = tp.raw
        n = R.FPDFText_CountChars(raw)
        out: list[dict] = []
        x, y = ctypes.c_double(), ctypes.c_double()
        m = R.FS_MATRIX()
        folded: tuple[float, float] | None = None  # a space PDFium generated inside a text object: its origin
        last: int | None = None  # the index of the character last appended
        for i in range(n):
            u = R.FPDFText_GetUnicode(raw, i)
            if R.FPDFText_IsGenerated(raw, i) == 1:
                obj = R.FPDFText_GetTextObject(raw, i)
                if u == 32 and obj:
                    R.FPDFText_GetCharOrigin(raw, i, x, y)
                    folded = (x.value, y.value)
                continue  # its line breaks, and spaces where no space glyph was drawn
            if u in (0, HYPHEN, NO_UNICODE) or R.FPDFText_HasUnicodeMapError(raw, i) == 1:
                raise Unfaithful(f"p.{p_no}: a glyph PDFium reads without its own Unicode")
            R.FPDFText_GetCharOrigin(raw, i, x, y)
            if last == i - 1 and out[-1]["x0"] == x.value and out[-1]["bottom"] == height - y.value and _same_glyph(raw, i):
                # one glyph mapped to several characters: pdfminer reads it as one char holding them all
                R.FPDFText_GetMatrix(raw, i, m)
                c = out[-1]
                c["text"] += chr(u)
                c["width"] = _glyph_advance(raw, i, x.value, m, p_no)
                c["x1"] = c["x0"] + c["width"]
                last = i
                continue
            obj = R.FPDFText_GetTextObject(raw, i)
            font = R.FPDFTextObj_GetFont(obj)
            # the Tf size, drawn larger or smaller by the text and page matrices (Tm, cm, Tz):
            # the size and the advance on the page, as pdfminer measures them
            tf = R.FPDFText_GetFontSize(raw, i)
            R.FPDFText_GetMatrix(raw, i, m)
            size = tf * math.hypot(m.c, m.d)
            stretch = math.hypot(m.a, m.b)
            upright = m.a * m.d > 0 and m.b * m.c <= 0
            name = fonts.name(font)
            if folded is not None:
                # the generated space stands where the next glyph would be, unless a space glyph
                # it swallowed pushed this one further along
                if x.value - folded[0] > FOLDED and abs(y.value - folded[1]) < 0.1:
                    out.append(_char(" ", folded[0], height - folded[1], fonts.advance(font, 32, tf) * stretch, size, name, upright))
                folded = None
            out.append(_char(chr(u), x.value, height - y.value, fonts.advance(font, u, tf) * stretch, size, name, upright))
            last = i
        return out
    finally:
        tp.close()


def _same_glyph(raw: object, i: int) -> bool:
    """Character i is one more character of the glyph before it (called where both have the same
    origin). A glyph whose /ToUnicode holds several characters (LibreOffice's one-glyph ——, a ﬁ
    ligature mapped to "fi") is as many characters to PDFium, each with the glyph's object, origin
    and box; two glyphs drawn at one place differ in box unless they are one glyph drawn twice,
    which PDFium drops as a twin."""
    if ctypes.cast(R.FPDFText_GetTextObject(raw, i), ctypes.c_void_p).value != ctypes.cast(
            R.FPDFText_GetTextObject(raw, i - 1), ctypes.c_void_p).value:
        return False
    return _box(raw, i) == _box(raw, i - 1)


def _box(raw: object, i: int) -> tuple[float, float, float, float]:
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    R.FPDFText_GetCharBox(raw, i, left, right, bottom, top)
    return (left.value, right.value, bottom.value, top.value)


def _glyph_advance(raw: object, i: int, x0: float, m: R.FS_MATRIX, p_no: int) -> float:
    """The advance on the page of a glyph read as several characters. `_Fonts.advance` asks the
    font by Unicode, which cannot name such a glyph; PDFium's loose box runs from the origin as far
    as the glyph's width times the matrix's a. Where it is the ink box instead (a font without
    ascent and descent) or the text is turned or mirrored (a ≤ 0), pdfplumber reads the document."""
    loose = R.FS_RECTF()
    if (R.FPDFText_GetLooseCharBox(raw, i, loose) and m.a > 0 and abs(loose.left - x0) < 1e-3
            and loose.right >= loose.left and (loose.left, loose.right, loose.bottom, loose.top) != _box(raw, i)):
        return (loose.right - loose.left) / m.a * math.hypot(m.a, m.b)
    raise Unfaithful(f"p.{p_no}: a glyph read as several characters whose advance PDFium does not give")


def _walk(obj: object, outer: Matrix, height: float, vp: VirtualPage, blanks: list[dict], fonts: _Fonts) -> None:
    kind = R.FPDFPageObj_GetType(obj)
    if kind == _FORM:
        inner = _mul(_matrix(obj), outer)
        for k in range(R.FPDFFormObj_CountObjects(obj)):
            _walk(R.FPDFFormObj_GetObject(obj, k), inner, height, vp, blanks, fonts)
    elif kind == _IMAGE:
        vp.images.append({"object_type": "image"})
    elif kind == _PATH:
        _edges(obj, _mul(_matrix(obj), outer), height, vp.edges)
    elif kind == _TEXT:
        _text_object(obj, outer, height, blanks, fonts)


def _text_object(obj: object, outer: Matrix, height: float, blanks: list[dict], fonts: _Fonts) -> None:
    """Refuse /ActualText (PDFium shows it instead of the glyphs); keep a blank-only object."""
    for k in range(R.FPDFPageObj_CountMarks(obj)):
        mark = R.FPDFPageObj_GetMark(obj, k)
        n = ctypes.c_ulong()
        if R.FPDFPageObjMark_GetParamStringValue(mark, b"ActualText", None, 0, n):
            raise Unfaithful("a text object carries /ActualText")
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    if not R.FPDFPageObj_GetBounds(obj, left, bottom, right, top) or abs(right.value - left.value) >= NO_WIDTH:
        return
    if R.FPDFTextObj_GetTextRenderMode(obj) not in PAINTED:
        # an unpainted glyph has no width whatever it is (an OCR text layer's glyph-less font)
        raise Unfaithful("a one-glyph text object that is not painted, which PDFium skips")
    a, b, c, d, e, f = outer
    px, py = a * left.value + c * bottom.value + e, b * left.value + d * bottom.value + f
    a, b, c, d, _, _ = _mul(_matrix(obj), outer)
    tf = ctypes.c_float()
    if not R.FPDFTextObj_GetFontSize(obj, tf):
        return
    font = R.FPDFTextObj_GetFont(obj)
    blanks.append(_char(" ", px, height - py, fonts.advance(font, 32, tf.value) * math.hypot(a, b), tf.value * math.hypot(c, d),
                        fonts.name(font), a * d > 0 and b * c <= 0))


def _edges(obj: object, m: Matrix, height: float, out: list[dict]) -> None:
    """The axis-aligned segments of a path's subpaths, in page coordinates from the top."""
    a, b, c, d, e, f = m
    x, y = ctypes.c_float(), ctypes.c_float()
    subpaths: list[tuple[list[tuple[float, float]], bool]] = []
    for k in range(R.FPDFPath_CountSegments(obj)):
        seg = R.FPDFPath_GetPathSegment(obj, k)
        R.FPDFPathSegment_GetPoint(seg, x, y)
        px, py = a * x.value + c * y.value + e, b * x.value + d * y.value + f
        pt = (px, height - py)
        if R.FPDFPathSegment_GetType(seg) == R.FPDF_SEGMENT_MOVETO or not subpaths:
            subpaths.append(([pt], False))
        else:
            subpaths[-1][0].append(pt)
        if R.FPDFPathSegment_GetClose(seg):
            subpaths[-1] = (subpaths[-1][0], True)
    for pts, closed in subpaths:
        if closed and len(pts) >= 3 and pts[-1] != pts[0]:
            pts = [*pts, pts[0]]
        for (x0, y0), (x1, y1) in pairwise(pts):
            if (y0 == y1 and x0 != x1) or (x0 == x1 and y0 != y1):
                out.append(edge(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
