"""Department lists, roles, deadlines and numerals on the wordings notices use."""

from __future__ import annotations

import pytest

from pipeline.normalize import department_name_problem, is_collective, parse_deadline, split_departments
from pipeline.numerals import cn_to_int, int_to_cn
from pipeline.structure.tables import dedupe_doubled


@pytest.mark.parametrize(("cn", "n"), [("一", 1), ("九", 9), ("十", 10), ("十二", 12), ("二十", 20), ("二十七", 27),
                                       ("三十一", 31), ("九十九", 99), ("两", 2), ("12", 12)])
def test_numerals_both_ways(cn: str, n: int) -> None:  # cn2an, past the old 1–99 limit too
    assert cn_to_int(cn) == n
    if not cn.isdigit() and cn != "两":
        assert int_to_cn(n) == cn


@pytest.mark.parametrize("bad", ["", "百", "十十", "一二三", "零", "abc"])
def test_not_numerals(bad: str) -> None:
    assert cn_to_int(bad) is None


def test_every_numeral_round_trips() -> None:
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(1, 1000))
    assert cn_to_int("一百零五") == 105


@pytest.mark.parametrize(("raw", "kind", "date"), [
    ("2026年5月", "month", "2026-05-31"),
    ("2026 年 5 月", "month", "2026-05-31"),
    ("2025年6月底前", "month", "2025-06-30"),
    ("2024年2月", "month", "2024-02-29"),
    ("2025年底前", "year", "2025-12-31"),
    ("2025年", "year", "2025-12-31"),
    ("2025年第三季度", "quarter", "2025-09-30"),
    ("2025年上半年", "half", "2025-06-30"),
    ("持续推进", "ongoing", None),
    ("长期坚持", "ongoing", None),
    ("", "none", None),
    ("-", "none", None),
    ("2024年6月底前完成方案，2025年底前全面推开", "year", "2025-12-31"),
])
def test_deadlines(raw: str, kind: str, date: str | None) -> None:
    d = parse_deadline(raw)
    assert (d.kind, d.date, d.raw) == (kind, date, raw)


@pytest.mark.parametrize("raw", ["适时", "另行通知"])
def test_deadlines_not_understood_are_flagged(raw: str) -> None:
    assert parse_deadline(raw).kind == "unparsed"


@pytest.mark.parametrize("raw", ["2026年13月", "2025年2月30日前"])
def test_dates_that_do_not_exist_are_invalid(raw: str) -> None:
    assert parse_deadline(raw).kind == "invalid"


def names(text: str, role: str = "responsible") -> list[tuple[str, str, bool]]:
    return split_departments(text, role)[0]


def test_split_on_every_separator_and_line_breaks() -> None:
    assert [n for n, _, _ in names("发改局、商务局，市场监管局；政务服务办;科技局,财政局")] == ["发改局", "商务局", "市场监管局", "政务服务办", "科技局", "财政局"]
    assert [n for n, _, _ in names("城环局\n政务服务办")] == ["城环局", "政务服务办"]
    assert [n for n, _, _ in names("发改局                     商务局\n投促局\n市场监管局等部门")] == ["发改局", "商务局", "投促局", "市场监管局"]
    assert [n for n, _, _ in names("政务服务办   办公室")] == ["政务服务办", "办公室"]


def test_role_words_removed_and_column_role_kept() -> None:
    assert names("人民银行天津市分行、天津金融监管局按职责分工负责") == [
        ("人民银行天津市分行", "responsible", False), ("天津金融监管局", "responsible", False)]
    assert names("市药监局负责、市数据局按职责分工负责") == [("市药监局", "responsible", False), ("市数据局", "responsible", False)]
    assert names("市通信管理局负责", "lead") == [("市通信管理局", "lead", False)]
    assert names("区财政局牵头") == [("区财政局", "lead", False)]
    assert names("区税务局配合") == [("区税务局", "support", False)]


def test_open_ended_lists() -> None:
    for text in ("发改局、商务局等", "发改局、商务局等部门", "发改局、商务局等相关部门", "发改局、商务局等相关单位"):
        found, open_ended, _ = split_departments(text, "responsible")
        assert [n for n, _, _ in found] == ["发改局", "商务局"] and open_ended, text
    assert split_departments("发改局、商务局", "responsible")[1] is False


def test_a_deng_collective_gives_two_pairs() -> None:
    assert names("社发局等各执法部门") == [("社发局", "responsible", False), ("各执法部门", "responsible", True)]
    assert names("规建局等各相关部门") == [("规建局", "responsible", False), ("各相关部门", "responsible", True)]
    assert names("政务服务办以及各相关执法部门") == [("政务服务办", "responsible", False), ("各相关执法部门", "responsible", True)]


@pytest.mark.parametrize("name", ["各相关部门", "市级各有关部门", "各执法部门", "各政采相关单位", "各相关执法部门", "各区人民政府", "有关单位", "其他成员单位"])
def test_collectives_flagged(name: str) -> None:
    assert names(name + "按职责分工负责") == [(name, "responsible", True)]


def test_single_bodies_are_not_collective() -> None:
    assert [c for _, _, c in names("区相关产业促进中心、市有关部门办公室、区政府办")] == [False, False, False]


def test_wrapped_names_joined() -> None:
    assert names("各政采相关 \n\n单位", "support") == [("各政采相关单位", "support", True)]
    assert names("航空物流区\n管理局") == [("航空物流区管理局", "responsible", False)]
    assert names("人社局等\n相关部门") == [("人社局", "responsible", False)]
    assert names("基建办\n等相关单位") == [("基建办", "responsible", False)]
    assert names("办公室\n(信息中心)") == [("办公室（信息中心）", "responsible", False)]
    assert names("市企联/企协、市工商联") == [("市企联/企协", "responsible", False), ("市工商联", "responsible", False)]


def test_labels_inside_a_cell_give_the_roles() -> None:
    assert names("牵头：区发改委；配合：区财政局、区商务局等") == [("区发改委", "lead", False), ("区财政局", "support", False), ("区商务局", "support", False)]
    assert names("牵头单位:区发改委\n配合单位:区财政局") == [("区发改委", "lead", False), ("区财政局", "support", False)]


def test_empty_department_cells() -> None:
    assert names("-") == [] and names("—") == [] and names("") == []


def test_name_problems() -> None:
    assert department_name_problem("市商务局") is None
    assert department_name_problem("办公室（信息中心）") is None
    assert department_name_problem("管理局") == "only an ending"
    assert department_name_problem("市商务局等") == "trailing 等"
    assert department_name_problem("市商务局负责") == "role word"
    assert department_name_problem("市 商务局") == "whitespace"
    assert department_name_problem("市商务局、") == "punctuation"



def test_doubled_phrase_kept_once() -> None:
    assert dedupe_doubled("规范完善政务服务场所办事服务\n\n规范完善政务服务场所办事服务") == "规范完善政务服务场所办事服务"
    assert dedupe_doubled("落实市场准入制度") == "落实市场准入制度"


@pytest.mark.parametrize(("raw", "kind", "date"), [
    ("6月底前", "month", "2024-06-30"), ("12月", "month", "2024-12-31"), ("年底前", "year", "2024-12-31"),
    ("三季度", "quarter", "2024-09-30"), ("2025年6月底前", "month", "2025-06-30")])
def test_deadlines_without_a_year_take_the_notices(raw: str, kind: str, date: str) -> None:
    assert (parse_deadline(raw, 2024).kind, parse_deadline(raw, 2024).date) == (kind, date)
    if "2025" not in raw:
        assert parse_deadline(raw).kind == "unparsed"  # no year to read it with


@pytest.mark.parametrize(("raw", "kind", "date"), [
    ("二〇二五年六月底前", "month", "2025-06-30"), ("2024年起持续推进", "ongoing", None), ("二〇二五年第三季度", "quarter", "2025-09-30")])
def test_deadlines_real_notices_write(raw: str, kind: str, date: str | None) -> None:
    assert (parse_deadline(raw, 2024).kind, parse_deadline(raw, 2024).date) == (kind, date)


@pytest.mark.parametrize("name", ["市有关部门", "各片区", "国务院相关部门", "地方有关人民政府", "有关方面", "全国质量工作部际联席会议成员单位"])
def test_collective_placeholders_real_notices_use(name: str) -> None:
    assert is_collective(name)


@pytest.mark.parametrize("name", ["市商务局", "省推进工业互联网创新发展专项工作组", "中国出口信用保险公司安徽分公司"])
def test_named_bodies_are_not_collective(name: str) -> None:
    assert not is_collective(name)


@pytest.mark.parametrize(("name", "problem"), [
    ("2024年底前完成", "a deadline or a date"), ("由市商务局", "starts with a preposition or a role verb"),
    ("会同市财政局", "starts with a preposition or a role verb"), ("配合单位：市财政局", "punctuation"),
    ("市财政局配合单位", "holds a role label"), ("市" + "某" * 45 + "局", "longer than 40 characters")])
def test_clean_name_rules_real_notices_need(name: str, problem: str) -> None:
    assert department_name_problem(name) == problem
