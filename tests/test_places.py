"""Places a person can open: a PDF place is its page and the line on that page (`p.3 l.12`),
counted from the top as a reader counts the text lines, as Word numbers lines: running heads,
page numbers and the lines inside tables are not counted. Every number counts from 1: a Word
paragraph, a saved page's paragraph of its main text, a table, its row and its column. Read from
real files by the real extractors (committed samples, real development notices, and a Word file
LibreOffice prints to PDF), and checked against what other libraries read of the same files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Pt

from pipeline.structure import structure

from .conftest import SAMPLES, extract
from .fixtures.make_fixtures import page_number_footer


def _places(path: Path) -> dict[str, str]:
    """Each paragraph's text → its place."""
    return {b.text: b.source.ref() for p in extract(path).parts for b in p.blocks if b.kind != "table"}


def _at(places: dict[str, str], start: str) -> str:
    """The place of the one paragraph that begins with `start`."""
    found = [ref for text, ref in places.items() if text.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def test_a_sample_pdf_gives_page_and_line_as_a_reader_counts_them() -> None:
    """Counted on the rendered pages by eye: page 1 has the title on lines 1–4, the letter's seven
    lines on 6–12 and its attachments line on 13; page 3 begins with a paragraph carried over
    from no other page, and its heading （一） stands on line 15."""
    places = _places(SAMPLES / "tjftz-business-environment-2024.pdf")
    assert _at(places, "各有关单位：") == "p.1 l.5"
    assert _at(places, "为贯彻党中央、国务院关于优") == "p.1 l.6"
    assert _at(places, "附件: 1.天津港保税区") == "p.1 l.13"
    assert _at(places, "2024年8月21日") == "p.1 l.16"
    assert _at(places, "坚持系统集成。紧扣国家重大") == "p.3 l.1"
    assert _at(places, "（一）聚焦投资准入促进区域") == "p.3 l.15"
    assert _at(places, "全面落实全国统一的市场准入") == "p.3 l.16"
    assert _at(places, "（二）维护公平竞争市场秩序") == "p.3 l.23"
    measures, _ = structure(extract(SAMPLES / "tjftz-business-environment-2024.pdf"))
    first = min((m for m in measures if m.origin == "prose"), key=lambda m: (m.part, m.measure_no))
    assert (first.measure_label, first.source_ref) == ("（一）", "p.3 l.15")


def _laid_out(tmp_path: Path) -> Path:
    """Three pages with a running head and a page number; page 2 holds a table between prose."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.size, style.font.name = Pt(12), "Noto Sans CJK SC"
    section = doc.sections[0]
    section.header.paragraphs[0].text = "某区人民政府办公室"
    page_number_footer(section)
    doc.add_paragraph().add_run("某区关于做好重点工作的通知").font.size = Pt(16)
    doc.add_paragraph("各街道、各部门：")
    doc.add_paragraph("现将重点工作通知如下。")
    doc.add_paragraph("一、第一页的最后一项。").add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("二、表前的段落。")
    table = doc.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    for r, row in enumerate((("序号", "工作任务", "责任单位"), ("1", "开展招聘。", "区人社局"), ("2", "发放补贴。", "区财政局"))):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    doc.add_paragraph("三、表后的段落。")
    doc.add_paragraph("四、第二页的最后一项。").add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("五、第三页的第一项。")
    src = tmp_path / "laid-out.docx"
    doc.save(src)
    assert shutil.which("soffice"), "LibreOffice (soffice) is needed for this test: make system-deps installs it"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=180)
    return tmp_path / "laid-out.pdf"


def test_running_heads_page_numbers_and_table_lines_are_not_counted(tmp_path: Path) -> None:
    pdf = _laid_out(tmp_path)
    import pypdfium2 as pdfium

    with pdfium.PdfDocument(pdf) as doc:  # what the pages print, heads and numbers with the text
        printed = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    assert len(printed) == 3 and all("某区人民政府办公室" in p for p in printed) and "— 2 —" in printed[1]
    assert "开展招聘" in printed[1]
    places = _places(pdf)
    assert places == {"某区关于做好重点工作的通知": "p.1 l.1", "各街道、各部门：": "p.1 l.2", "现将重点工作通知如下。": "p.1 l.3",
                      "一、第一页的最后一项。": "p.1 l.4",
                      "二、表前的段落。": "p.2 l.1", "三、表后的段落。": "p.2 l.2", "四、第二页的最后一项。": "p.2 l.3",
                      "五、第三页的第一项。": "p.3 l.1"}
    table = next(b for p in extract(pdf).parts for b in p.blocks if b.kind == "table")
    assert [c.source.ref() for c in table.table.cells if c.row == 1] == ["p.2 table 1 row 2 col 1", "p.2 table 1 row 2 col 2", "p.2 table 1 row 2 col 3"]


# Every number in a place counts from 1, as a person opening the file counts: checked against the
# files themselves, read by other libraries than the extractor that wrote the place.
REAL = SAMPLES.parent / "real" / "raw"


def _measure(path: Path, part: int, measure_no: int, label: str):
    """The file's measure (part, measure_no), read by the real stages; it prints `label`."""
    measures, _ = structure(extract(path))
    [m] = [m for m in measures if (m.part, m.measure_no) == (part, measure_no)]
    assert m.measure_label == label
    return m


def test_a_real_word_files_measure_is_at_the_paragraph_a_person_counts() -> None:
    """`para 10`: python-docx's tenth body paragraph (index 9) holds the measure's label and text."""
    path = REAL / "sh-qiye-jichuyanjiu-2025.docx"
    m = _measure(path, 1, 2, "二、")
    assert m.source_ref == "para 10"
    paragraphs = Document(str(path)).paragraphs
    assert paragraphs[10 - 1].text.startswith("二、" + m.text[:20])
    assert paragraphs[9 - 1].text.startswith("一、")  # the measure before it, one paragraph up


def test_a_word_tables_cell_is_at_the_table_row_and_column_a_person_counts() -> None:
    """`table 1 row 3 col 4`: python-docx's first table, its third row (the header and a section
    row above it), its fourth column holds the measure's department cell."""
    path = SAMPLES / "tj-opening-measures-duty-table.docx"
    measures, _ = structure(extract(path))
    first = min((m for m in measures if m.origin == "table"), key=lambda m: (m.part, m.measure_no))
    assert first.source_ref == "table 1 row 3 col 1"
    [duty] = first.duties
    assert duty.source_ref == "table 1 row 3 col 4"
    row = Document(str(path)).tables[1 - 1].rows[3 - 1]
    assert row.cells[1 - 1].text == "1" and first.text.startswith(row.cells[2 - 1].text[:20])
    assert row.cells[4 - 1].text == duty.text


def test_a_real_pdfs_measure_is_at_the_page_and_line_a_person_counts() -> None:
    """`p.2 l.4`: pdfplumber's page 2 (index 1) prints the measure's first line as its fourth."""
    import pdfplumber

    path = REAL / "sh-qiye-jichuyanjiu-2025.pdf"
    m = _measure(path, 1, 2, "二、")
    assert m.source_ref == "p.2 l.4"
    with pdfplumber.open(path) as pdf:
        lines = pdf.pages[2 - 1].extract_text().splitlines()
    assert lines[4 - 1].startswith("二、" + m.text[:10])
    assert not any(line.startswith("二、") for line in lines[:3])


def test_a_pdf_tables_cell_is_at_the_page_table_row_and_column_a_person_counts() -> None:
    import pdfplumber

    path = SAMPLES / "tj-opening-measures-duty-table.pdf"
    measures, _ = structure(extract(path))
    first = min((m for m in measures if m.origin == "table"), key=lambda m: (m.part, m.measure_no))
    [duty] = first.duties
    assert (first.source_ref, duty.source_ref) == ("p.1 table 1 row 3 col 1", "p.1 table 1 row 3 col 4")
    with pdfplumber.open(path) as pdf:
        [table] = pdf.pages[1 - 1].extract_tables()
    row = table[3 - 1]
    assert row[1 - 1] == "1" and row[4 - 1].replace("\n", "") == duty.text.replace("\n", "")


def _page_paragraphs(path: Path, start: str) -> tuple[list[str], int]:
    """The texts of the <p> elements with text in the container of the <p> that begins with
    `start` (the page's main text), and that paragraph's number among them, from 1: what an
    auditor counts in a browser."""
    import lxml.html

    root = lxml.html.parse(str(path)).getroot()
    [hit] = [p for p in root.iter("p") if p.text_content().strip().startswith(start)]
    container = next(a for a in hit.iterancestors() if a.tag in ("div", "td", "body"))
    texts = [p.text_content().strip() for p in container.iter("p") if p.text_content().strip()]
    return texts, texts.index(hit.text_content().strip()) + 1


def test_a_saved_pages_measure_is_at_the_paragraph_of_its_main_text_a_person_counts() -> None:
    """`para 15`: the fifteenth paragraph with text of the page's main text holds the measure; its
    department statement is in the same paragraph."""
    path = REAL / "fj-pt-shangye-xiaofei-2020.html"
    m = _measure(path, 1, 2, "（二）")
    texts, number = _page_paragraphs(path, "（二）" + m.text[:10])
    assert m.source_ref == f"para {number}" == "para 15"
    assert [d.source_ref for d in m.duties] == ["para 15"]
    assert texts[15 - 1].startswith("（二）" + m.text[:20])


def test_a_saved_pages_table_cell_is_at_the_table_row_and_column_a_person_counts() -> None:
    """`table 1 row 2 col 5`: the page's first <table>, its second row, its fifth cell."""
    import lxml.html

    path = REAL / "fj-pt-xiaofang-junshan-2023.html"
    m = _measure(path, 1, 1, "1")
    assert (m.source_ref, [d.source_ref for d in m.duties]) == ("table 1 row 2 col 1", ["table 1 row 2 col 5"])
    table = lxml.html.parse(str(path)).getroot().xpath("//table")[1 - 1]
    cells = [c.text_content().strip() for c in table.xpath(".//tr")[2 - 1].xpath("./td|./th")]
    assert cells[1 - 1] == "1" and cells[5 - 1] == m.duties[0].text
