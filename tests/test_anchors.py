"""Responsibility statements: every wording issue 9 lists, read into roles, names and deadlines."""

from __future__ import annotations

import pytest

from pipeline.normalize import normalize
from pipeline.structure.anchors import find_statements, parse_statement
from pipeline.structure.measure import Measure


def duties(inner: str) -> list[tuple[str, str]]:
    st = parse_statement(inner)
    assert st is not None, inner
    return [(d.role, d.text) for d in st.duties]


@pytest.mark.parametrize(("inner", "expected"), [
    ("责任单位：发改局、商务局等", [("responsible", "发改局、商务局等")]),
    ("牵头单位：区发改委；配合单位：区财政局、区商务局", [("lead", "区发改委"), ("support", "区财政局、区商务局")]),
    ("牵头单位：区发改委，配合单位：区财政局、区商务局", [("lead", "区发改委"), ("support", "区财政局、区商务局")]),
    ("区商务局、区财政局负责", [("responsible", "区商务局、区财政局")]),
    ("省商务厅牵头，省农业农村厅、合肥海关配合", [("lead", "省商务厅"), ("support", "省农业农村厅、合肥海关")]),
    ("由市发展改革委牵头，市财政局配合", [("lead", "市发展改革委"), ("support", "市财政局")]),
    ("国家发展改革委会同有关部门负责", [("responsible", "国家发展改革委"), ("responsible", "有关部门")]),
    ("省商务厅牵头，省贸促会、省商务厅按职责分工配合", [("lead", "省商务厅"), ("support", "省贸促会、省商务厅")]),
    ("财政部牵头，国务院相关部门及各地区按职责分工负责", [("lead", "财政部"), ("responsible", "国务院相关部门及各地区")]),
    ("人事部等部门配合中央有关部门落实", [("support", "人事部等部门"), ("responsible", "中央有关部门")]),
    ("科技部等有关方面按国务院文件确定的职责分工负责", [("responsible", "科技部等有关方面")]),
    ("生态环境部负责指导", [("responsible", "生态环境部")]),
    ("农业农村部、工业和信息化部牵头负责", [("lead", "农业农村部、工业和信息化部")]),
    ("发展改革委、财政部，省级人民政府按职责分工负责", [("responsible", "发展改革委、财政部、省级人民政府")]),
])
def test_role_words(inner: str, expected: list[tuple[str, str]]) -> None:
    assert duties(inner) == expected


def test_deadline_inside_a_statement_is_not_a_department() -> None:
    st = parse_statement("责任单位：市商务局，2024年底前完成")
    assert st is not None and [(d.role, d.text) for d in st.duties] == [("responsible", "市商务局")] and st.due == "2024年底前完成"
    st = parse_statement("市商务局负责，2025年6月底前完成")
    assert st is not None and st.duties[0].text == "市商务局" and st.due == "2025年6月底前完成"


def test_first_listed_leads_rule_is_read() -> None:
    st = parse_statement("人力资源社会保障部、财政部负责。列第一位者为牵头单位，下同")
    assert st is not None and st.first_is_lead and st.onward
    assert [(d.role, d.text) for d in st.duties] == [("responsible", "人力资源社会保障部、财政部")]


@pytest.mark.parametrize("inner", ["中国海关经认证的经营者", "以下简称联席会", "具体办法由财政部另行制定", "2024年", "含技工院校"])
def test_ordinary_parentheses_are_not_statements(inner: str) -> None:
    assert parse_statement(inner) is None


@pytest.mark.parametrize(("open_", "close"), [("（", "）"), ("(", ")"), ("〔", "〕"), ("【", "】"), ("[", "]")])
def test_statements_in_every_bracket(open_: str, close: str) -> None:
    text = f"加强宣传推介。{open_}责任单位：市发改委、市商务局{close}"
    sts = find_statements(text)
    assert len(sts) == 1 and text[sts[0].start:] == f"{open_}责任单位：市发改委、市商务局{close}"


def test_several_statements_in_one_item_found_in_order() -> None:
    text = "推进跨境电商发展。（省商务厅负责）加快海外仓建设（省商务厅牵头，合肥海关配合），扩大进口。（合肥海关负责）"
    sts = find_statements(text)
    assert [[(d.role, d.text) for d in s.duties] for s in sts] == [
        [("responsible", "省商务厅")], [("lead", "省商务厅"), ("support", "合肥海关")], [("responsible", "合肥海关")]]


def _pairs(duties_: list) -> list[tuple[str, str]]:
    m = Measure("n", 1, 1, "1", "text", "n.txt", "line 1", origin="prose", duties=duties_)
    (nm,), _ = normalize([m])
    return [(a.department, a.role) for a in nm.assignments]


def test_strongest_role_and_first_lead_in_normalize() -> None:
    st1 = parse_statement("省商务厅负责")
    st2 = parse_statement("省外办牵头，省商务厅配合")
    assert _pairs([*st1.duties, *st2.duties]) == [("省商务厅", "responsible"), ("省外办", "lead")]
    st = parse_statement("人力资源社会保障部、财政部，各省级人民政府按职责分工负责")
    st.duties[0].first_lead = True
    assert _pairs(st.duties) == [("人力资源社会保障部", "lead"), ("财政部", "responsible"), ("各省级人民政府", "responsible")]


def test_prose_lists_keep_related_bodies_and_split_at_ji() -> None:
    st = parse_statement("工业和信息化部、中央网信办等相关单位及各地区按职责分工负责")
    assert _pairs(st.duties) == [("工业和信息化部", "responsible"), ("中央网信办", "responsible"),
                                 ("相关单位", "responsible"), ("各地区", "responsible")]
    st = parse_statement("住房城乡建设部等国务院相关部门负责")
    assert _pairs(st.duties) == [("住房城乡建设部", "responsible"), ("国务院相关部门", "responsible")]


@pytest.mark.parametrize(("inner", "expected", "due"), [
    ("责任单位：市商务局；配合单位：各区政府；完成时间：2024年底", [("responsible", "市商务局"), ("support", "各区政府")], "2024年底"),
    ("省发展改革委、省经信厅按职责分工落实", [("responsible", "省发展改革委、省经信厅按职责分工")], ""),
    ("牵头单位：市商务局\u3000责任单位：各区政府", [("lead", "市商务局"), ("responsible", "各区政府")], ""),
    ("由市商务局会同市财政局负责", [("responsible", "市商务局"), ("responsible", "市财政局")], ""),
    ("市商务局负责，各区政府配合", [("responsible", "市商务局"), ("support", "各区政府")], ""),
    ("市发展改革委牵头，市财政局、市商务局等配合", [("lead", "市发展改革委"), ("support", "市财政局、市商务局等")], ""),
])
def test_wordings_of_other_issuers(inner: str, expected: list[tuple[str, str]], due: str) -> None:
    st = parse_statement(inner)
    assert st is not None and [(d.role, d.text) for d in st.duties] == expected and st.due == due
    # and the names come out clean
    assert all(" " not in a and "按职责" not in a for a, _ in _pairs(st.duties))
