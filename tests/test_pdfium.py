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
                    pdfium._walk(R.FPDFPage_GetObject(page.raw, k), pdfium.IDENTITY, page.get_height(), pdfium.PdfiumPage(1, 1), blanks)
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
    blocks, pages, _ = extract_pdf(p, lexicon)
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
