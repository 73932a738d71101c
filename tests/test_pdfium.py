"""PDFium reads the characters and ruling lines of a PDF; the document must be the one pdfminer
(through pdfplumber) reads from the same file, block for block, box for box, on every test PDF.
Where PDFium would read otherwise, the PDF goes to pdfplumber."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.extract.pdf import extract_pdf, pdfium
from pipeline.wording import wording

from . import bad_inputs as bad
from .conftest import SAMPLES

DATA = Path(__file__).parent / "data"
PDFS = sorted(DATA.rglob("*.pdf"))


@pytest.mark.parametrize("pdf", PDFS, ids=[str(p.relative_to(DATA)) for p in PDFS])
def test_pdfium_reads_every_test_pdf_as_pdfplumber_does(pdf: Path) -> None:
    lexicon = wording().lexicon
    assert extract_pdf(pdf, lexicon, "pdfium") == extract_pdf(pdf, lexicon, "pdfplumber")


def test_the_test_pdfs_hold_what_pdfium_reads_unlike_the_content_stream() -> None:
    """The equality above is worth something: the test PDFs hold blank-only text objects PDFium
    skips and many spaces it generates where no space glyph was drawn."""
    import pypdfium2.raw as R

    skipped = generated = 0
    for pdf in PDFS:
        doc = pdfium.PdfiumDocument(pdf)
        with doc:
            for i in range(len(doc.pdf)):
                page = doc.pdf[i]
                text = page.get_textpage()
                generated += sum(R.FPDFText_IsGenerated(text.raw, k) == 1 and R.FPDFText_GetUnicode(text.raw, k) == 32
                                 for k in range(R.FPDFText_CountChars(text.raw)))
                blanks: list[dict] = []
                for k in range(R.FPDFPage_CountObjects(page.raw)):
                    pdfium._walk(R.FPDFPage_GetObject(page.raw, k), pdfium.IDENTITY, page.get_height(), pdfium.PdfiumPage(1, 1), blanks,
                                 pdfium._Fonts())
                skipped += len(blanks)
                text.close()
                page.close()
    assert skipped > 10 and generated > 100


def test_actual_text_goes_to_pdfplumber(tmp_path: Path) -> None:
    """PDFium shows /ActualText instead of the glyphs drawn; pdfminer shows the glyphs."""
    p = tmp_path / "actual-text.pdf"
    p.write_bytes(bad._pdf([b"BT /F1 12 Tf 72 700 Td /Span << /ActualText (Notice) >> BDC (Nxtice) Tj EMC ET"]))
    lexicon = wording().lexicon
    with pytest.raises(pdfium.Unfaithful):
        extract_pdf(p, lexicon, "pdfium")
    got = extract_pdf(p, lexicon)
    blocks, pages = got.blocks, got.pages
    assert [b.text for b in blocks] == ["Nxtice"] and pages == 1


def test_a_turned_page_goes_to_pdfplumber(tmp_path: Path) -> None:
    sample = SAMPLES / "tj-opening-measures-duty-table.pdf"
    w = PdfWriter(clone_from=PdfReader(sample))
    w.pages[0].rotate(90)
    turned = tmp_path / "turned.pdf"
    with turned.open("wb") as fh:
        w.write(fh)
    assert pdfium.open_document(turned) is None
    lexicon = wording().lexicon
    assert extract_pdf(turned, lexicon) == extract_pdf(turned, lexicon, "pdfplumber")


@pytest.mark.parametrize("drawn", [
    b"BT /F1 1 Tf 12 0 0 12 72 700 Tm (Scaled by Tm) Tj ET",
    b"q 2 0 0 2 0 0 cm BT /F1 6 Tf 36 350 Td (Scaled by cm) Tj ET Q",
    b"BT /F1 12 Tf 50 Tz 2 Tc 5 Tw 72 700 Td (Squeezed, spaced out) Tj ET",
], ids=["Tm", "cm", "Tz-Tc-Tw"])
def test_glyph_size_and_advance_follow_the_matrices_as_pdfminer_measures_them(tmp_path: Path, drawn: bytes) -> None:
    """Word processors draw text at 1 pt scaled by the text matrix: the layout's thresholds are
    in the size on the page, so PDFium's glyphs must have pdfminer's size, start and advance."""
    import pdfplumber

    p = tmp_path / "scaled.pdf"
    p.write_bytes(bad._pdf([drawn]))
    with pdfplumber.open(p) as pdf:
        want = [(c["text"], round(c["x0"], 2), round(c["x1"], 2), round(c["size"], 2)) for c in pdf.pages[0].chars]
    doc = pdfium.open_document(p)
    assert doc is not None
    with doc:
        page = next(iter(doc.pages))
        got = [(c["text"], round(c["x0"], 2), round(c["x1"], 2), round(c["size"], 2)) for c in page.chars]
    assert want == got


def test_an_unpainted_glyph_pdfium_skips_goes_to_pdfplumber(tmp_path: Path) -> None:
    """An OCR text layer draws invisible glyphs, one word or character per object; one without
    width is skipped by PDFium whatever glyph it holds, so the PDF is read by pdfplumber."""
    p = tmp_path / "invisible.pdf"
    p.write_bytes(bad._pdf([b"BT /F1 12 Tf 72 700 Td (Shown) Tj ET BT 3 Tr /F1 12 Tf 110 700 Td ( ) Tj ET"]))
    lexicon = wording().lexicon
    with pytest.raises(pdfium.Unfaithful):
        extract_pdf(p, lexicon, "pdfium")
    assert extract_pdf(p, lexicon) == extract_pdf(p, lexicon, "pdfplumber")


def test_a_page_pdfium_cannot_load_goes_to_pdfplumber(tmp_path: Path) -> None:
    """A page dictionary of the wrong /Type: PDFium refuses the page, pdfminer reads the rest."""
    pdf = bad._pdf([b"BT /F1 12 Tf 72 700 Td (Hello) Tj ET", b"BT /F1 12 Tf 72 700 Td (World) Tj ET"])
    p = tmp_path / "bad-page.pdf"
    p.write_bytes(pdf.replace(b"/Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R",
                              b"/Type /Pagx /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R"))
    lexicon = wording().lexicon
    assert pdfium.open_document(p) is None
    got = extract_pdf(p, lexicon)
    blocks, pages = got.blocks, got.pages
    assert [b.text for b in blocks] == ["Hello"] and pages == 1


# a font whose code b is one glyph standing for several characters (its /ToUnicode maps it to two)
LIGATURE_FONT = b"/Type /Font /Subtype /Type1 /BaseFont /NoticeSerif /FirstChar 97 /LastChar 99 /Widths [1000 1690 1000]"


def _cmap(glyph: bytes) -> bytes:
    """The font's /ToUnicode: a is 平, c is 内, b is `glyph` (UTF-16BE in hex)."""
    return (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Notice-UCS def /CMapType 2 def\n"
            b"1 begincodespacerange <00> <FF> endcodespacerange\n"
            b"3 beginbfchar <61> <5E73> <62> <" + glyph + b"> <63> <5185> endbfchar\n"
            b"endcmap CMapName currentdict /CMap defineresource pop end end")


@pytest.mark.parametrize("glyph, text", [(b"20142014", "平——内"), (b"00660069", "平fi内")], ids=["double-dash", "fi"])
def test_a_glyph_of_several_characters_is_one_char_as_pdfminer_reads_it(tmp_path: Path, glyph: bytes, text: str) -> None:
    """LibreOffice draws —— as one glyph mapped to two em dashes. PDFium gives it as two characters
    at the glyph's origin, pdfminer as one char holding both and as wide as the glyph: read as the
    two, the dashes were folded as a glyph drawn twice, and the gap after them read as a space."""
    import pdfplumber

    p = tmp_path / "ligature.pdf"
    p.write_bytes(bad._pdf([b"BT /F1 12 Tf 72 700 Td (abc) Tj ET"], LIGATURE_FONT, _cmap(glyph)))
    with pdfplumber.open(p) as pdf:
        want = [(c["text"], round(c["x0"], 2), round(c["x1"], 2)) for c in pdf.pages[0].chars]
    doc = pdfium.open_document(p)
    assert doc is not None
    with doc:
        got = [(c["text"], round(c["x0"], 2), round(c["x1"], 2)) for c in next(iter(doc.pages)).chars]
    assert got == want and "".join(t for t, _, _ in got) == text
    lexicon = wording().lexicon
    got = extract_pdf(p, lexicon, "pdfium")
    assert got == extract_pdf(p, lexicon, "pdfplumber") and [b.text for b in got.blocks] == [text]


def test_a_turned_glyph_of_several_characters_goes_to_pdfplumber(tmp_path: Path) -> None:
    """Turned a quarter, the glyph's loose box no longer gives its advance."""
    p = tmp_path / "turned-ligature.pdf"
    p.write_bytes(bad._pdf([b"BT /F1 12 Tf 0 1 -1 0 300 500 Tm (abc) Tj ET"], LIGATURE_FONT, _cmap(b"20142014")))
    lexicon = wording().lexicon
    with pytest.raises(pdfium.Unfaithful):
        extract_pdf(p, lexicon, "pdfium")
    assert extract_pdf(p, lexicon) == extract_pdf(p, lexicon, "pdfplumber")
