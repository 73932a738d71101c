"""PDF backend on committed fixtures (made by tests/fixtures/make_fixtures.py) and broken files."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from pipeline.errors import ExtractError
from pipeline.extract.pdf.tables import TABLE_SETTINGS
from pipeline.normalize import normalize
from pipeline.structure import structure

from .conftest import FIXTURES, extract

PDF = FIXTURES / "split_table.pdf"
EXPECTED = {
    1: ("一、优化政务服务", [("人民银行上海市分行", "responsible"), ("国家外汇管理局上海市分局", "responsible"), ("区财政局", "support")]),
    2: ("一、优化政务服务", [("区城管委", "responsible"), ("区政务服务中心", "responsible")]),
    3: ("一、优化政务服务", [("区数据局", "responsible"), ("区发展改革委", "support"), ("区商务委", "support")]),
    4: ("一、优化政务服务", [("区市场监管局", "responsible"), ("各相关部门", "support")]),
    5: ("一、优化政务服务", [("区人力资源社会保障局", "responsible"), ("区总工会", "support")]),
    6: ("二、扩大对外开放", [("区商务委", "responsible"), ("区投资促进中心", "responsible"), ("区税务局", "support")]),
    7: ("二、扩大对外开放", [("区生态环境局", "responsible"), ("区城管委", "support"), ("区应急局", "support")]),
    8: ("二、扩大对外开放", [("区教育局", "responsible"), ("区卫生健康委", "responsible")]),
    9: ("二、扩大对外开放", [("区规划资源局", "responsible"), ("区住房城乡建设委", "support")]),
    10: ("二、扩大对外开放", [("区科委", "responsible"), ("区经济信息化委", "support")]),
}
FILLER = "围绕企业全生命周期优化服务流程，压减办理环节和时限，推动数据共享和业务协同，提升经营主体办事便利度和满意度，"
REPEATS = {1: 2, 2: 3, 3: 6, 4: 2, 5: 5, 6: 4, 7: 7, 8: 3, 9: 6, 10: 2}


def _page_tops() -> list[list]:
    with pdfplumber.open(PDF) as pdf:
        return [p.find_tables(TABLE_SETTINGS)[0].extract()[:2] for p in pdf.pages]


def test_fixture_exercises_the_page_break_cases() -> None:
    """The fixture really has split rows, a merged cell cut by a break and repeated headers."""
    tops = _page_tops()
    assert len(tops) >= 3
    assert all(t[0][0] == "序号" for t in tops)  # header repeated on every page
    assert any(t[1][0] == "" and t[1][2] for t in tops[1:])  # a row continues at the top of a page
    assert any(t[1][1] == "" for t in tops[1:])  # the merged 改革领域 cell goes on, empty, after a break


@pytest.fixture(scope="module")
def measures() -> dict:
    notice = extract(PDF)
    found, findings = structure(notice)
    assert findings == []
    items, nfind = normalize(found)
    assert nfind == []
    return {it.measure.measure_no: it for it in items}


def test_split_rows_are_joined_and_headers_dropped(measures: dict) -> None:
    assert sorted(measures) == list(range(1, 11))
    for no, it in measures.items():
        assert it.measure.text.replace("\n", "") == f"第{no}项措施。" + FILLER * REPEATS[no]


def test_merged_cell_cut_by_page_break_keeps_its_value(measures: dict) -> None:
    assert {no: it.measure.area for no, it in measures.items()} == {no: area for no, (area, _) in EXPECTED.items()}


def test_wrapped_names_and_one_per_line_lists(measures: dict) -> None:
    for no, (_, depts) in EXPECTED.items():
        assert [(a.department, a.role) for a in measures[no].assignments] == depts, no


def test_deadlines_read_from_wrapped_cells(measures: dict) -> None:
    assert measures[3].deadline.kind == "quarter" and measures[3].deadline.date == "2025-09-30"
    assert measures[10].deadline.kind == "ongoing"


def test_provenance_has_page_and_box() -> None:
    notice = extract(PDF)
    table = next(b.table for p in notice.parts for b in p.blocks if b.table)
    cell = next(c for c in table.cells if c.row == 3 and c.col == 0)
    assert cell.source.page is not None and cell.source.bbox is not None
    assert cell.source.ref().startswith(f"p.{cell.source.page} table 1 row 4 col 1")


def test_pdf_and_docx_give_the_same_measures(measures: dict) -> None:
    docx_items, _ = normalize(structure(extract(FIXTURES / "split_table.docx"))[0])
    assert [(i.measure.measure_no, i.measure.text, [a.department for a in i.assignments]) for i in docx_items] == \
           [(n, it.measure.text.replace("\n", ""), [a.department for a in it.assignments]) for n, it in sorted(measures.items())]


def test_damaged_pdf(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(PDF.read_bytes()[:2000])
    with pytest.raises(ExtractError, match=r"^not a readable PDF \(damaged or cut short\)$"):
        extract(bad)


def test_not_a_pdf(tmp_path: Path) -> None:
    bad = tmp_path / "fake.pdf"
    bad.write_text("这不是PDF", encoding="utf-8")
    with pytest.raises(ExtractError, match="named .pdf but not a readable PDF: its content is text"):
        extract(bad)


def test_image_only_pdf(tmp_path: Path) -> None:
    """A page with no text layer (drawn with pdfplumber's own PDF writer, pdfminer has none)."""
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length 22>>stream\n0 0 m 100 100 l S\nendstream endobj\n"
        b"xref\n0 5\n0000000000 65535 f \ntrailer<</Size 5/Root 1 0 R>>\nstartxref\n0\n%%EOF\n")
    with pytest.raises(ExtractError, match="no text layer"):
        extract(scan)


def test_encrypted_pdf(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(PDF).pages[:1]:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(ExtractError, match="the PDF is protected by a password; ask the sender for a copy without one"):
        extract(locked)


def test_prose_over_pages_without_page_numbers() -> None:
    """Items cut by page breaks are whole again, the footer's — 2 — is gone, and the PDF gives
    what the Word file it was printed from gives."""
    pdf = extract(FIXTURES / "long_prose.pdf")
    texts = [b.text for p in pdf.parts for b in p.blocks]
    assert not any(t.strip("— ").isdigit() or "— 2 —" in t for t in texts)
    from_pdf = normalize(structure(pdf)[0])[0]
    from_docx = normalize(structure(extract(FIXTURES / "long_prose.docx"))[0])[0]
    assert len(from_pdf) == 10
    assert [(i.measure.measure_no, i.measure.task, i.measure.text, [(a.department, a.role) for a in i.assignments]) for i in from_pdf] == \
           [(i.measure.measure_no, i.measure.task, i.measure.text, [(a.department, a.role) for a in i.assignments]) for i in from_docx]


def test_table_without_rules_read_by_text_alignment() -> None:
    """The same table printed with no borders: columns from the header words, rows from 序号."""
    path = FIXTURES / "borderless_table.pdf"
    with pdfplumber.open(path) as pdf:
        assert not any(p.lines or p.rects for p in pdf.pages) and len(pdf.pages) > 1
    items, findings = normalize(structure(extract(path))[0])
    assert findings == []
    assert {it.measure.measure_no: (it.measure.area, [(a.department, a.role) for a in it.assignments]) for it in items} == EXPECTED
    for it in items:
        assert it.measure.text.replace("\n", "") == f"第{it.measure.measure_no}项措施。" + FILLER * REPEATS[it.measure.measure_no]
