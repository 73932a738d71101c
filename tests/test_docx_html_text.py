"""docx, html, text and legacy backends on files the tests build."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from pipeline.errors import ExtractError
from pipeline.normalize import normalize
from pipeline.outline import outline
from pipeline.structure import structure

from .conftest import FIXTURES, extract


def pairs_of(path: Path) -> dict[int, list[tuple[str, str]]]:
    items, _ = normalize(structure(extract(path))[0])
    return {i.measure.measure_no: [(a.department, a.role) for a in i.assignments] for i in items}


def _header_repeat(row) -> None:
    el = OxmlElement("w:tblHeader")
    row._tr.get_or_add_trPr().append(el)


def build_docx(path: Path) -> None:
    doc = Document()
    doc.add_paragraph("附件2")
    doc.add_paragraph("重点任务清单")
    t = doc.add_table(rows=6, cols=5)
    for k, h in enumerate(["序号", "主要任务", "工作任务", "牵头单位", "完成时间"]):
        t.rows[0].cells[k].text = h
    _header_repeat(t.rows[0])
    for k, h in enumerate(["序号", "主要任务", "工作任务", "牵头单位", "完成时间"]):
        t.rows[2].cells[k].text = h  # a header row repeated inside the table
    t.cell(1, 0).merge(t.cell(1, 4)).text = "一、提升服务效能"
    t.rows[3].cells[0].text = "1"
    t.rows[3].cells[1].text = "优化审批"
    t.rows[3].cells[2].text = "压减审批时限。"
    cell = t.rows[3].cells[3]
    cell.text = "区发展改革委"
    cell.add_paragraph("区数据局")  # one name per paragraph
    t.rows[3].cells[4].text = "2025年6月"
    t.rows[4].cells[0].text = "2"
    t.rows[4].cells[2].text = "推行告知承诺。"
    t.rows[4].cells[3].text = "区市场监管局等"
    t.rows[4].cells[4].text = "2025年底前"
    t.cell(3, 1).merge(t.cell(4, 1))  # 主要任务 merged over both rows
    doc.save(path)


def test_docx_merged_cells_repeated_header_and_multi_paragraph_cells(tmp_path: Path) -> None:
    path = tmp_path / "tasks.docx"
    build_docx(path)
    notice = extract(path)
    assert [p.number for p in outline(notice).parts] == [2]  # the outline finds the parts
    table = next(b.table for b in notice.parts[0].blocks if b.table)
    assert table.header_rows == 1
    section = next(c for c in table.cells if c.row == 1)
    assert (section.col_span, section.text) == (5, "一、提升服务效能")
    merged = next(c for c in table.cells if c.row == 3 and c.col == 1)
    assert (merged.row_span, merged.lines) == (2, ["优化审批"])
    lead = next(c for c in table.cells if c.row == 3 and c.col == 3)
    assert lead.lines == ["区发展改革委", "区数据局"]
    measures, findings = structure(notice)
    assert findings == []
    assert [(m.part, m.measure_no, m.section_no, m.task, m.due_raw) for m in measures] == [
        (2, 1, 1, "优化审批", "2025年6月"), (2, 2, 1, "优化审批", "2025年底前")]
    assert pairs_of(path) == {1: [("区发展改革委", "lead"), ("区数据局", "lead")], 2: [("区市场监管局", "lead")]}


def test_docx_without_table_reads_prose_items() -> None:
    path = FIXTURES / "prose_only.docx"
    notice = extract(path)
    tree = outline(notice)
    assert tree.title == "某区人民政府办公室关于印发提升政务服务效能工作方案的通知"
    assert tree.issuer == "某区人民政府办公室" and tree.issued_on == "2025-03-01"
    measures, _ = structure(notice)
    assert [(m.part, m.measure_no, m.measure_label, m.task, m.section_no) for m in measures] == [
        (0, 1, "（一）", "推进一网通办", 2), (0, 2, "（二）", "优化窗口服务", 2)]
    assert pairs_of(path) == {
        1: [("区政务服务中心", "lead"), ("区数据局", "support"), ("各街道办事处", "support")],
        2: [("区政务服务中心", "responsible"), ("区人力资源社会保障局", "responsible")]}


def test_not_a_docx(tmp_path: Path) -> None:
    bad = tmp_path / "fake.docx"
    bad.write_text("plain text", encoding="utf-8")
    with pytest.raises(ExtractError, match="named .docx but not a Word .docx file: its content is text"):
        extract(bad)


HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>通知</title></head><body>
<div class="top-nav"><a href="/">首页</a><a href="/zw">政务公开</a><a href="/hd">互动交流</a></div>
<div class="breadcrumb">当前位置：首页 &gt; 通知公告</div>
<div class="article"><h2>某区关于印发重点任务分工的通知</h2>
<p>各街道、各部门：</p><p>现将重点任务分工印发给你们，请认真落实。</p><p>2025年2月10日</p>
<p>附件</p>
<table border="1"><tr><th>序号</th><th>重点任务</th><th>责任单位</th><th>完成时限</th></tr>
<tr><td colspan="4">一、优化营商环境</td></tr>
<tr><td>1</td><td>推进证照分离改革。</td><td rowspan="2">区市场监管局<br>区政务服务中心</td><td>2025年6月</td></tr>
<tr><td>2</td><td>深化一件事改革。</td><td>2025年第四季度</td></tr>
<tr><td>3</td><td>提升监管效能。</td><td><p>区城管委</p><p>各街道办事处</p></td><td>持续推进</td></tr>
</table></div>
<div class="footer">主办单位：某区人民政府</div></body></html>"""


def test_html_gbk_page_with_rowspan_table(tmp_path: Path) -> None:
    page = tmp_path / "notice.html"
    page.write_bytes(HTML.encode("gbk"))
    notice = extract(page)
    assert outline(notice).title == "某区关于印发重点任务分工的通知" and outline(notice).issued_on == "2025-02-10"
    texts = [b.text for p in notice.parts for b in p.blocks]
    assert not any("首页" in t or "主办单位" in t for t in texts)  # navigation and footer are not the notice
    assert pairs_of(page) == {
        1: [("区市场监管局", "responsible"), ("区政务服务中心", "responsible")],
        2: [("区市场监管局", "responsible"), ("区政务服务中心", "responsible")],
        3: [("区城管委", "responsible"), ("各街道办事处", "responsible")]}
    measures, _ = structure(notice)
    assert [(m.measure_no, m.section_no, m.due_raw) for m in measures] == [(1, 1, "2025年6月"), (2, 1, "2025年第四季度"), (3, 1, "持续推进")]


TEXT_ROWS = "附件\n\n分工表\n\n序号\t工作任务\t责任单位\t完成时限\n<h3>一、稳就业</h3>\t\t\t\n1\t开展招聘。\t区人社局负责\t2025年5月\n\n二、促创业\n\n2\t发放补贴。\t区财政局、区人社局按职责分工负责\t2025 年 8 月\n"
TEXT_CELLS = "附件2\n\n计划\n\n\t序号\n\t改革领域\n\t具体举措\n\t责任部门\n\t协同单位\n\n\t1\n\t一、稳就业\n\t开展招聘。\n\t人社局\n\t财政局\n\n\t2\n\t\n\t发放补贴。\n\n补贴直达。\n\t财政局\n人社局\n\t-\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_text_tab_rows_with_section_rows(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "rows.txt"
    path.write_bytes(TEXT_ROWS.encode(encoding))
    measures, findings = structure(extract(path))
    assert findings == []
    assert [(m.measure_no, m.section_no, m.section_title, m.due_raw) for m in measures] == [(1, 1, "稳就业", "2025年5月"), (2, 2, "促创业", "2025 年 8 月")]
    assert pairs_of(path) == {1: [("区人社局", "responsible")], 2: [("区财政局", "responsible"), ("区人社局", "responsible")]}


def test_text_one_cell_per_line(tmp_path: Path) -> None:
    path = tmp_path / "cells.txt"
    path.write_text(TEXT_CELLS, encoding="utf-8")
    measures, findings = structure(extract(path))
    assert findings == []
    assert [(m.part, m.measure_no, m.area, m.task, m.text.replace("\n", "")) for m in measures] == [
        (2, 1, "一、稳就业", "", "开展招聘。"), (2, 2, "一、稳就业", "", "发放补贴。补贴直达。")]
    assert pairs_of(path) == {1: [("人社局", "responsible"), ("财政局", "support")], 2: [("财政局", "responsible"), ("人社局", "responsible")]}


def test_empty_and_binary_text(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02PK")
    with pytest.raises(ExtractError, match=r"the file is empty \(0 bytes\)"):
        extract(tmp_path / "empty.txt")
    with pytest.raises(ExtractError, match="not a text file"):
        extract(tmp_path / "bin.txt")


def test_legacy_doc_converted_with_libreoffice(tmp_path: Path) -> None:
    """A .doc goes through LibreOffice into interim/ and is read as .docx (CI installs soffice)."""
    assert shutil.which("soffice"), "LibreOffice (soffice) is needed for this test: apt-get install libreoffice-writer-nogui"
    src = tmp_path / "tasks.docx"
    build_docx(src)
    out = tmp_path / "raw"
    # via .odt: LibreOffice 7.4 drops tables when it writes .doc straight from .docx
    for fmt, inp in (("odt", src), ("doc", tmp_path / "tasks.odt")):
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to", fmt, "--outdir", str(out if fmt == "doc" else tmp_path), str(inp)],
                       check=True, capture_output=True, timeout=180)
    work = tmp_path / "interim"
    notice = extract(out / "tasks.doc", work)
    assert (work / "tasks.docx").exists() and notice.source_file == "tasks.doc"
    assert pairs_of(out / "tasks.doc") == {1: [("区发展改革委", "lead"), ("区数据局", "lead")], 2: [("区市场监管局", "lead")]}


def test_legacy_doc_without_libreoffice_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(ExtractError, match=r"^.doc needs LibreOffice \(soffice\) to convert it"):
        extract(tmp_path / "old.doc")


def _numbered_list(doc, fmt: str, text: str) -> str:
    """Add a list definition to the document's numbering part; return its numId."""
    numbering = doc.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), "90")
    lvl = OxmlElement("w:lvl")
    lvl.set(qn("w:ilvl"), "0")
    for tag, val in (("w:start", "1"), ("w:numFmt", fmt), ("w:lvlText", text)):
        el = OxmlElement(tag)
        el.set(qn("w:val"), val)
        lvl.append(el)
    abstract.append(lvl)
    numbering.insert(0, abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), "90")
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), "90")
    num.append(ref)
    numbering.append(num)
    return "90"


def test_docx_automatic_numbering_gives_the_item_numbers(tmp_path: Path) -> None:
    doc = Document()
    num_id = _numbered_list(doc, "chineseCounting", "（%1）")
    doc.add_paragraph("某局关于做好重点工作的通知")
    doc.add_paragraph("各科室：")
    for text in ("加强统筹协调。（责任单位：办公室）", "强化督促检查。（责任单位：督查科、法规科）"):
        p = doc.add_paragraph(text)
        npr = p._p.get_or_add_pPr().get_or_add_numPr()
        npr.get_or_add_ilvl().val = 0
        npr.get_or_add_numId().val = int(num_id)
    path = tmp_path / "numbered.docx"
    doc.save(path)
    measures, _ = structure(extract(path))
    assert [(m.measure_no, m.measure_label, m.text) for m in measures] == [(1, "（一）", "加强统筹协调。"), (2, "（二）", "强化督促检查。")]
    # the place: the paragraph (from 1, as a person counts) and the label Word's numbering shows, which the text lacks
    assert [m.source_ref for m in measures] == ["para 3 item （一）", "para 4 item （二）"]
    assert [b.source.ref() for p in extract(path).parts for b in p.blocks][:2] == ["para 1", "para 2"]
    assert pairs_of(path) == {1: [("办公室", "responsible")], 2: [("督查科", "responsible"), ("法规科", "responsible")]}


def test_numbered_notes_beside_a_table_are_reported_not_read_as_measures(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(TEXT_ROWS + "\n说明：\n1.本表所列任务按季度报送进展。\n2.完成时限为最迟时间。\n", encoding="utf-8")
    measures, findings = structure(extract(path))
    assert [m.measure_no for m in measures] == [1, 2] and all(m.origin == "table" for m in measures)
    assert [(f.code, f.severity, f.source_ref) for f in findings] == [("item-beside-table", "info", "line 14"), ("item-beside-table", "info", "line 15")]


def test_prose_items_take_the_highest_level_in_each_section(tmp_path: Path) -> None:
    """1. items in one section, （一） items in the next: each section's own top level are the items."""
    path = tmp_path / "points.txt"
    path.write_text("某区工作要点\n各部门：\n一、重点任务\n1.推进一网通办。（牵头单位：区政务服务中心；配合单位：区数据局）\n"
                    "2.优化窗口服务。（区政务服务中心、区人社局负责）\n二、保障措施\n（三）加强组织领导。\n1.明确分工。\n2.压实责任。（责任单位：各相关部门）\n", encoding="utf-8")
    measures, findings = structure(extract(path))
    assert findings == []
    assert [(m.measure_no, m.measure_label, m.section_no, m.text.replace("\n", "")) for m in measures] == [
        (1, "1.", 1, "推进一网通办。"), (2, "2.", 1, "优化窗口服务。"), (3, "（三）", 2, "加强组织领导。1.明确分工。2.压实责任。")]


def test_two_row_header_gives_the_sub_columns_roles(tmp_path: Path) -> None:
    doc = Document()
    t = doc.add_table(rows=4, cols=5)
    for k, h in enumerate(["序号", "任务内容", "责任单位", "责任单位", "完成期限"]):
        t.rows[0].cells[k].text = h
    t.cell(0, 2).merge(t.cell(0, 3))
    t.cell(0, 0).merge(t.cell(1, 0))
    t.cell(0, 1).merge(t.cell(1, 1))
    t.cell(0, 4).merge(t.cell(1, 4))
    t.rows[1].cells[2].text = "牵头单位"
    t.rows[1].cells[3].text = "配合单位"
    for k, v in enumerate(["1", "建设智慧园区。", "区科委", "区数据局", "2025年12月"]):
        t.rows[2].cells[k].text = v
    for k, v in enumerate(["2", "培育创新主体。", "区科委", "-", "2025年6月"]):
        t.rows[3].cells[k].text = v
    path = tmp_path / "twoheader.docx"
    doc.save(path)
    assert pairs_of(path) == {1: [("区科委", "lead"), ("区数据局", "support")], 2: [("区科委", "lead")]}


def test_attachment_marker_with_its_title_on_the_same_line(tmp_path: Path) -> None:
    path = tmp_path / "titled.txt"
    path.write_text("某区关于印发两个方案的通知\n各部门：\n附件：1.甲方案\n2.乙计划\n2025年1月2日\n附件1：甲方案\n一、任务\n（一）做好甲。（责任单位：区甲局）\n"
                    "附件2：乙计划\n序号\t工作任务\t责任单位\t完成时限\n1\t做好乙。\t区乙局\t2025年6月\n", encoding="utf-8")
    notice = extract(path)
    tree = outline(notice)
    assert [(p.number, p.label) for p in tree.parts] == [(0, ""), (1, "附件1"), (2, "附件2")]
    assert tree.parts[1].root.children[0].text == "甲方案"
    items, _ = normalize(structure(notice)[0])
    assert [(i.measure.part, i.measure.measure_no, [a.department for a in i.assignments]) for i in items] == [(1, 1, ["区甲局"]), (2, 1, ["区乙局"])]


def test_scraped_text_keeps_no_html_remnants(tmp_path: Path) -> None:
    path = tmp_path / "scraped.txt"
    path.write_text("附件\n\n表\n\n\t序号\n\t工作任务\n\t责任单位\n\n\t1\n\t<span>推进&nbsp;改革。</span>\n\t区发改委<br>区财政局\n", encoding="utf-8")
    items, _ = normalize(structure(extract(path))[0])
    assert [(i.measure.text, [a.department for a in i.assignments]) for i in items] == [("推进 改革。", ["区发改委", "区财政局"])]
