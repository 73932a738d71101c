"""One small notice per layout real notices use (issue 9), read through extract → outline →
structure → normalize, with the exact rows a careful reader writes down."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.normalize import normalize
from pipeline.outline import outline, walk
from pipeline.structure import structure

from .conftest import extract

Row = tuple[int, int, str, str, list[tuple[str, str]], str]  # part, measure_no, label, text, [(department, role)], due


def read_rows(tmp_path: Path, text: str, name: str = "n.txt") -> list[Row]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    measures, findings = structure(extract(path))
    assert not [f for f in findings if f.code == "statement-unplaced"], findings
    items, _ = normalize(measures, 2024)
    return [(x.measure.part, x.measure.measure_no, x.measure.measure_label, x.measure.text,
             [(a.department, a.role) for a in x.assignments], x.deadline.raw) for x in items]


def test_numbering_restarts_in_each_section(tmp_path: Path) -> None:
    text = ("某市关于做好重点工作的通知\n一、优化服务\n（一）推进一网通办。（市政务服务办负责）\n（二）优化窗口服务。（市数据局负责）\n"
            "二、强化监管\n（一）提升监管效能。（市市场监管局负责）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "（一）", "推进一网通办。", [("市政务服务办", "responsible")], ""),
        (0, 2, "（二）", "优化窗口服务。", [("市数据局", "responsible")], ""),
        (0, 3, "（一）", "提升监管效能。", [("市市场监管局", "responsible")], ""),
    ]


def test_unnumbered_paragraphs_each_with_a_statement_under_headings(tmp_path: Path) -> None:
    text = ("某区支持政策\n一、支持平台建设\n培育平台。给予奖补。（责任单位：区经信局、区财政局）\n推动企业上云。（责任单位：区经信局）\n"
            "二、支持人才培养\n打造服务队伍。（责任单位：区人社局）\n本政策自发布之日起施行。\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "", "培育平台。给予奖补。", [("区经信局", "responsible"), ("区财政局", "responsible")], ""),
        (0, 2, "", "推动企业上云。", [("区经信局", "responsible")], ""),
        (0, 3, "", "打造服务队伍。", [("区人社局", "responsible")], ""),
    ]


def test_sub_items_each_with_their_own_statement_are_measures(tmp_path: Path) -> None:
    text = ("某方案\n一、放要放出活力\n（一）精简审批事项。（市政府办公室牵头，各区政府负责）具体措施：\n"
            "1．编制清单。（市司法局负责）\n2．规范备案。（市政府办公室牵头，市司法局配合）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "（一）", "精简审批事项。", [("市政府办公室", "lead"), ("各区政府", "responsible")], ""),
        (0, 2, "1．", "编制清单。", [("市司法局", "responsible")], ""),
        (0, 3, "2．", "规范备案。", [("市政府办公室", "lead"), ("市司法局", "support")], ""),
    ]


def test_a_statement_closing_sub_items_belongs_to_the_item_holding_them(tmp_path: Path) -> None:
    text = ("某计划\n一、重点任务\n1.推广新模式。\n（1）智能化制造。\n（2）网络化协同。\n（责任单位：市工信局、市商务局）\n"
            "2.提升安全生产。（责任单位：市应急局）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "推广新模式。（1）智能化制造。（2）网络化协同。", [("市工信局", "responsible"), ("市商务局", "responsible")], ""),
        (0, 2, "2.", "提升安全生产。", [("市应急局", "responsible")], ""),
    ]


def test_role_verbs_and_a_rule_stated_once(tmp_path: Path) -> None:
    text = ("某意见\n（一）稳定就业。（人社部、财政部负责。列第一位者为牵头单位，下同）\n（二）加强培训。（教育部、人社部，各省级人民政府负责）\n"
            "（三）扩大进口。（由商务部牵头，海关总署配合）\n（四）完善机制。（发展改革委会同有关部门负责）\n（五）推进落实。（农业农村部、工业和信息化部牵头负责）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "（一）", "稳定就业。", [("人社部", "lead"), ("财政部", "responsible")], ""),
        (0, 2, "（二）", "加强培训。", [("教育部", "lead"), ("人社部", "responsible"), ("各省级人民政府", "responsible")], ""),
        (0, 3, "（三）", "扩大进口。", [("商务部", "lead"), ("海关总署", "support")], ""),
        (0, 4, "（四）", "完善机制。", [("发展改革委", "lead"), ("有关部门", "responsible")], ""),
        (0, 5, "（五）", "推进落实。", [("农业农村部", "lead"), ("工业和信息化部", "lead")], ""),
    ]


def test_statements_in_other_brackets_mid_item_and_with_deadlines(tmp_path: Path) -> None:
    text = ("某实施方案\n1.推进跨境电商。〔责任单位：市商务局〕建设海外仓【市商务局牵头，市海关配合】，扩大进口。[责任单位：市海关，2025年底前完成]\n"
            "2.开展试点。（责任部门：市城管委；完成时限：2025年6月底前）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "推进跨境电商。〔责任单位：市商务局〕建设海外仓【市商务局牵头，市海关配合】，扩大进口。",
         [("市商务局", "lead"), ("市海关", "responsible")], "2025年底前完成"),
        (0, 2, "2.", "开展试点。", [("市城管委", "responsible")], "2025年6月底前"),
    ]


def test_statements_on_lines_of_their_own_after_an_item(tmp_path: Path) -> None:
    text = ("某任务分工\n一、优化营商环境\n1.推进一网通办。\n牵头单位：市政务服务办\n配合单位：市数据局、各区政府\n完成时限：2025年12月底前\n"
            "2.优化窗口服务。\n责任单位：市政务服务办\n完成时限：持续推进\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "推进一网通办。", [("市政务服务办", "lead"), ("市数据局", "support"), ("各区政府", "support")], "2025年12月底前"),
        (0, 2, "2.", "优化窗口服务。", [("市政务服务办", "responsible")], "持续推进"),
    ]


def test_a_closing_statement_covers_its_group_and_a_carry_over_rule_applies_onward(tmp_path: Path) -> None:
    text = ("某自贸片区措施\n一、贸易便利\n1.优化通关流程。\n2.推广电子单证。\n以上任务由市商务局负责。\n"
            "二、投资便利\n以下均需各片区配合落实，不再列出。\n3.放宽市场准入。（市发展改革委负责）\n4.简化外资登记。（市市场监管局负责）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "优化通关流程。", [("市商务局", "responsible")], ""),
        (0, 2, "2.", "推广电子单证。", [("市商务局", "responsible")], ""),
        (0, 3, "3.", "放宽市场准入。", [("市发展改革委", "responsible"), ("各片区", "support")], ""),
        (0, 4, "4.", "简化外资登记。", [("市市场监管局", "responsible"), ("各片区", "support")], ""),
    ]


def test_scraped_markdown_and_crawler_lines_do_not_hide_headings(tmp_path: Path) -> None:
    text = ("# 某市人民政府办公厅关于印发《某市支持企业创新的若干措施》的通知\n\n**发布日期**: 2025-08-07\n**原文链接**: [http://example.invalid/a.html]\n"
            "【法宝引证码】 CLI.12.1\n\n各区人民政府：\n  《某市支持企业创新的若干措施》已经市政府同意，现印发给你们，请认真贯彻执行。\n"
            "  某市人民政府办公厅\n2025年7月23日\n**某市支持企业创新的若干措施**\n  一、支持企业参与决策咨询。健全机制。（责任单位：市科委、市发展改革委）\n"
            "  二、支持企业设立基金。（责任单位：市民政局）\n【原文下载】\n")
    rows = read_rows(tmp_path, text)
    assert rows == [
        (1, 1, "一、", "支持企业参与决策咨询。健全机制。", [("市科委", "responsible"), ("市发展改革委", "responsible")], ""),
        (1, 2, "二、", "支持企业设立基金。", [("市民政局", "responsible")], ""),
    ]
    path = tmp_path / "n.txt"
    assert outline(extract(path)).title == "某市人民政府办公厅关于印发《某市支持企业创新的若干措施》的通知"


def test_run_on_text_without_line_breaks(tmp_path: Path) -> None:
    text = ("某意见各地区：现提出以下意见：一、坚决遏制无序增长严格控制新增产能。（能源局、发展改革委按职责分工负责）"
            "二、切实减轻企业负担（一）清理收费。（财政部负责）（二）降低成本。（发展改革委牵头，财政部配合）促进平稳运行。某办公厅2013年11月18日")
    assert read_rows(tmp_path, text) == [
        (0, 1, "一、", "坚决遏制无序增长严格控制新增产能。", [("能源局", "responsible"), ("发展改革委", "responsible")], ""),
        (0, 2, "（一）", "清理收费。", [("财政部", "responsible")], ""),
        (0, 3, "（二）", "降低成本。", [("发展改革委", "lead"), ("财政部", "support")], ""),
    ]


TABLE_PAGE = """<html><head><meta charset="utf-8"></head><body><div class="nav">首页 &gt; 政策</div>
<div id="content"><p>某市关于推广改革举措的通知</p><p>各区人民政府：</p><p>现将改革举措印发给你们，请认真贯彻执行。</p>
<p>某市人民政府办公厅</p><p>2024年5月6日</p><p>附件</p><p>改革举措推广清单</p>
<table border="1">
<tr><th>序号</th><th>工作事项</th><th>主要内容</th><th>指导部门</th><th>责任领导</th></tr>
<tr><td colspan="5">一、贸易便利方面</td></tr>
<tr><td rowspan="2">1</td><td rowspan="2">通关一体化</td><td>推行提前申报。</td><td rowspan="2">市商务局、海关</td><td rowspan="2">张三</td></tr>
<tr><td>推行两步申报。</td></tr>
<tr><td>2</td><td>单证电子化</td><td>推广电子单证。</td><td>市商务局</td><td>李四</td></tr>
<tr><td>2.1</td><td>电子签章</td><td>推广电子签章。</td><td>市数据局</td><td>李四</td></tr>
<tr><td colspan="5">二、投资便利方面</td></tr>
<tr><td>1</td><td>准入便利</td><td>放宽准入。</td><td>市发展改革委</td><td>王五</td></tr>
</table></div></body></html>"""


def test_an_html_table_with_spanning_numbers_sub_rows_restarts_and_a_people_column(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(TABLE_PAGE, encoding="utf-8")
    notice = extract(path)
    assert [p.number for p in outline(notice).parts] == [0, 1]  # the saved page's 附件 is a part
    measures, findings = structure(notice)
    items, _ = normalize(measures, 2024)
    rows = [(x.measure.part, x.measure.measure_no, x.measure.measure_label, x.measure.measure_path, x.measure.task, x.measure.text,
             [(a.department, a.role) for a in x.assignments]) for x in items]
    assert rows == [
        (1, 1, "1", "1/1", "通关一体化", "推行提前申报。\n推行两步申报。", [("市商务局", "responsible"), ("海关", "responsible")]),
        (1, 2, "2", "1/2", "单证电子化", "推广电子单证。", [("市商务局", "responsible")]),
        (1, 3, "2.1", "1/2/2.1", "电子签章", "推广电子签章。", [("市数据局", "responsible")]),
        (1, 4, "1", "2/1", "准入便利", "放宽准入。", [("市发展改革委", "responsible")]),
    ]
    assert not [f for f in findings if f.severity != "info"]


def test_the_document_model_keeps_the_formats_level_hints(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("某区工作方案", style="Title")
    doc.add_paragraph("一、总体要求", style="Heading 1")
    p = doc.add_paragraph()
    p.add_run("加强统筹。").bold = True
    path = tmp_path / "levels.docx"
    doc.save(path)
    blocks = extract(path).parts[0].blocks
    assert [(b.text, b.level, b.bold) for b in blocks] == [("某区工作方案", 0, False), ("一、总体要求", 1, False), ("加强统筹。", None, True)]
    html = tmp_path / "levels.html"
    html.write_text("<html><body><div><h2>某区方案</h2><p>说明。</p><ol><li>甲</li><li>乙<ol><li>丙</li></ol></li></ol></div></body></html>", encoding="utf-8")
    assert [(b.text, b.level, b.list_level) for b in extract(html).parts[0].blocks][:2] == [("某区方案", 2, None), ("说明。", None, None)]
    tree = outline(extract(path))
    assert tree.parts[0].root.children[1].hints == {"level": 1}  # the outline keeps the hint beside the marker


def test_labels_on_one_line_and_a_table_whose_measure_column_is_its_task(tmp_path: Path) -> None:
    text = ("某区任务分工\n一、重点任务\n1.推进一网通办。\n牵头单位：区政务服务办  配合单位：区数据局\n"
            "附件\n序号\t主要任务\t责任单位\t完成时限\n1\t建设数据平台。\t区数据局\t2025年10月\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "推进一网通办。", [("区政务服务办", "lead"), ("区数据局", "support")], ""),
        (1, 1, "1", "建设数据平台。", [("区数据局", "responsible")], "2025年10月"),
    ]


def test_a_first_listed_leads_rule_stated_for_the_notice_applies_to_its_table_and_prose(tmp_path: Path) -> None:
    text = ("某市任务分工\n注：责任单位排在第一位的为牵头单位，其余为配合单位。\n一、优化服务\n1.推进一网通办。（市政务服务办、市数据局负责）\n"
            "附件\n序号\t工作任务\t责任单位\t完成时限\n1\t建设数据平台。\t市数据局、市财政局\t2025年10月\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "推进一网通办。", [("市政务服务办", "lead"), ("市数据局", "support")], ""),
        (1, 1, "1", "建设数据平台。", [("市数据局", "lead"), ("市财政局", "support")], "2025年10月"),
    ]


def test_a_statement_before_the_items_text(tmp_path: Path) -> None:
    text = "某方案\n一、重点任务\n（一）【牵头单位：市发展改革委】加强统筹协调，建立工作机制。\n（二）【牵头单位：市财政局】保障资金。\n"
    assert read_rows(tmp_path, text) == [
        (0, 1, "（一）", "加强统筹协调，建立工作机制。", [("市发展改革委", "lead")], ""),
        (0, 2, "（二）", "保障资金。", [("市财政局", "lead")], ""),
    ]


def test_key_value_statements_that_lost_their_line_breaks(tmp_path: Path) -> None:
    text = ("某方案各区：一、重点任务1．推进一网通办。牵头单位：市政务服务办；配合单位：市数据局。完成时限：2025年底前。"
            "2．优化窗口服务。（市政务服务办负责）")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1．", "推进一网通办。", [("市政务服务办", "lead"), ("市数据局", "support")], "2025年底前"),
        (0, 2, "2．", "优化窗口服务。", [("市政务服务办", "responsible")], ""),
    ]


def test_labels_written_in_brackets_before_their_lists(tmp_path: Path) -> None:
    text = ("某行动方案\n一、重点任务\n1.推进一网通办。【牵头单位】市政务服务办【配合单位】市数据局、各区政府【完成时限】2025年底前\n"
            "2.优化窗口服务。【责任单位】市政务服务办\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "推进一网通办。", [("市政务服务办", "lead"), ("市数据局", "support"), ("各区政府", "support")], "2025年底前"),
        (0, 2, "2.", "优化窗口服务。", [("市政务服务办", "responsible")], ""),
    ]


def test_role_words_count_statements_not_every_fuzheng(tmp_path: Path) -> None:
    from pipeline.structure import role_word_count

    plain = tmp_path / "plain.txt"
    plain.write_text("某市关于做好防汛工作的通知\n各区要落实属地负责制，切实负责本地区防汛工作。\n", encoding="utf-8")
    stated = tmp_path / "stated.txt"
    stated.write_text("某方案\n1.做好防汛。（市水务局负责）\n2.做好救灾。\n责任单位：市应急局\n", encoding="utf-8")
    assert role_word_count(extract(plain)) == 0 and role_word_count(extract(stated)) == 2


def test_tables_without_a_number_column_and_with_other_section_rows(tmp_path: Path) -> None:
    page = ("<html><body><div><p>某区任务清单</p><table border='1'>"
            "<tr><th>工作任务</th><th>牵头单位</th><th>配合单位</th></tr>"
            "<tr><td colspan='3'>（一）贸易便利</td></tr>"
            "<tr><td>推行提前申报。</td><td>区商务局</td><td>区海关</td></tr>"
            "<tr><td>推广电子单证。</td><td>区商务局</td><td></td></tr>"
            "<tr><td colspan='3'>投资便利</td></tr>"
            "<tr><td>放宽准入。</td><td>区发展改革委</td><td>各街道</td></tr>"
            "</table></div></body></html>")
    path = tmp_path / "list.html"
    path.write_text(page, encoding="utf-8")
    measures, findings = structure(extract(path))
    items, _ = normalize(measures, 2024)
    assert [(x.measure.measure_no, x.measure.measure_label, x.measure.section_no, x.measure.section_title, x.measure.text,
             [(a.department, a.role) for a in x.assignments]) for x in items] == [
        (1, "", 1, "贸易便利", "推行提前申报。", [("区商务局", "lead"), ("区海关", "support")]),
        (2, "", 1, "贸易便利", "推广电子单证。", [("区商务局", "lead")]),
        (3, "", 2, "投资便利", "放宽准入。", [("区发展改革委", "lead"), ("各街道", "support")]),
    ]
    assert not [f for f in findings if f.severity != "info"]


# --- responsibility as local governments write it (issue 22) ----------------------------------

def test_bodies_as_the_subjects_of_a_task_list(tmp_path: Path) -> None:
    """No statement anywhere: every item of the task list is a measure, its text keeps its heading
    and its bodies; 由X负责 / X配合 / X要牵头Y / X业务指导 give their roles, a body acted on (督促各镇)
    none; an item that names nobody is a measure with no pairs; preamble and closing are not."""
    text = ("某区关于印发管网改造工作方案的通知\n各镇人民政府，区直有关单位：\n现将《管网改造工作方案》印发给你们，请认真贯彻执行。\n"
            "某区人民政府办公室\n2024年3月1日\n管网改造工作方案\n一、总体要求\n坚持统筹推进。\n二、重点任务\n（一）改造管网\n"
            "由区住建局负责开展管网改造工作，区财政局配合。\n（二）整治交通\n区交通局要牵头相关单位开展道路整治；区公安局业务指导。\n"
            "（三）加强宣传\n区委宣传部负责组织宣传，督促各镇落实。\n（四）完善制度\n建立长效机制。\n三、保障措施\n（一）加强领导\n强化组织保障。\n")
    assert read_rows(tmp_path, text) == [
        (1, 1, "（一）", "改造管网由区住建局负责开展管网改造工作，区财政局配合。", [("区住建局", "responsible"), ("区财政局", "support")], ""),
        (1, 2, "（二）", "整治交通区交通局要牵头相关单位开展道路整治；区公安局业务指导。",
         [("区交通局", "lead"), ("相关单位", "support"), ("区公安局", "support")], ""),
        (1, 3, "（三）", "加强宣传区委宣传部负责组织宣传，督促各镇落实。", [("区委宣传部", "responsible")], ""),
        (1, 4, "（四）", "完善制度建立长效机制。", [], ""),
    ]


def test_a_duty_list_gives_one_measure_per_body(tmp_path: Path) -> None:
    """X：duty, one paragraph per body: the duty after the colon is the measure's text; a body the
    duty only assists (配合区水利局) is not assigned; a list before the colon gives each body."""
    text = ("某区水资源管理委员会成员单位职责\n一、主要职能\n统筹全区水资源管理。\n二、成员单位职责\n"
            "区发展改革局：负责统筹协调节水规划，配合区水利局开展评估。\n区财政局：负责资金保障。\n区电信分公司、移动分公司：确保通讯畅通。\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "", "负责统筹协调节水规划，配合区水利局开展评估。", [("区发展改革局", "responsible")], ""),
        (0, 2, "", "负责资金保障。", [("区财政局", "responsible")], ""),
        (0, 3, "", "确保通讯畅通。", [("区电信分公司", "responsible"), ("移动分公司", "responsible")], ""),
    ]


def test_a_bare_bracket_of_body_names_closing_an_item(tmp_path: Path) -> None:
    text = ("某区实施方案\n一、重点任务\n（一）加强市场巡查。开展专项整治。（区市场监管局）\n"
            "（二）提升预警能力。完善监测网络（含研究中心（实验室））。（区气象局、区应急局，各镇政府）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "（一）", "加强市场巡查。开展专项整治。", [("区市场监管局", "responsible")], ""),
        (0, 2, "（二）", "提升预警能力。完善监测网络（含研究中心（实验室））。",
         [("区气象局", "responsible"), ("区应急局", "responsible"), ("各镇政府", "responsible")], ""),
    ]


def test_labels_with_qualifiers_and_deadlines_sharing_their_bracket(tmp_path: Path) -> None:
    """A label is read by its role word (牵头考核单位 → lead, 主责单位 → responsible, 参加单位 →
    support); a deadline may stand before it in the same bracket; a dated milestone wins over
    持续推进; 按进度推进 sets none."""
    text = ("某市2024年考评指标\n一、政务服务\n1．全面开通网上办理。（6月底完成，牵头考核单位：市审批服务局）\n"
            "2．完善自助终端布局。（5月底取得明显成效并持续推进，主责单位：市数据局；参加单位：市财政局）\n"
            "3．优化窗口服务。（按进度推进，牵头考核单位：市审批服务局、市住建局）\n")
    path = tmp_path / "n.txt"
    path.write_text(text, encoding="utf-8")
    items, _ = normalize(structure(extract(path))[0], 2024)
    assert [(x.measure.measure_no, x.measure.text, [(a.department, a.role) for a in x.assignments], x.deadline.kind, x.deadline.date)
            for x in items] == [
        (1, "全面开通网上办理。", [("市审批服务局", "lead")], "month", "2024-06-30"),
        (2, "完善自助终端布局。", [("市数据局", "responsible"), ("市财政局", "support")], "month", "2024-05-31"),
        (3, "优化窗口服务。", [("市审批服务局", "lead"), ("市住建局", "lead")], "none", None),
    ]


def test_numbering_read_like_a_person(tmp_path: Path) -> None:
    """2.5G…: item 2, whose title begins with digits (it continues the running sequence, 2.5 would
    not); a section number the notice skips (（一） then （三）) does not stop the reading."""
    text = ("某市信息基础设施行动方案\n一、重点任务\n（一）加快网络建设\n1.推进千兆光网建设。（责任单位：市通信管理局）\n"
            "2.5G基站建设提速。（责任单位：市通信管理局、市住建局）\n（三）强化应用\n3.推动工业互联网应用。（责任单位：市工信局）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1.", "推进千兆光网建设。", [("市通信管理局", "responsible")], ""),
        (0, 2, "2.", "5G基站建设提速。", [("市通信管理局", "responsible"), ("市住建局", "responsible")], ""),
        (0, 3, "3.", "推动工业互联网应用。", [("市工信局", "responsible")], ""),
    ]


def test_elliptical_and_governed_lists_stay_whole(tmp_path: Path) -> None:
    """济南、青岛、烟台市政府: places sharing one head printed once; 各部门、单位及行业协会: a 各
    governing the list; 公安、市场监管等部门: sector words that 等部门 makes bodies."""
    text = ("某省行动方案\n1．推进试点。（牵头单位：济南、青岛、烟台市政府，省大数据局）\n2．加强宣传。（各部门、单位及行业协会、商会负责）\n"
            "3．强化监管。市数据局会同公安、市场监管等部门开展检查。（牵头单位：市数据局）\n")
    assert read_rows(tmp_path, text) == [
        (0, 1, "1．", "推进试点。", [("济南、青岛、烟台市政府", "lead"), ("省大数据局", "lead")], ""),
        (0, 2, "2．", "加强宣传。", [("各部门、单位及行业协会、商会", "responsible")], ""),
        (0, 3, "3．", "强化监管。市数据局会同公安、市场监管等部门开展检查。",
         [("市数据局", "lead"), ("公安", "support"), ("市场监管", "support")], ""),
    ]


def test_a_department_cell_continued_in_the_next_row_joins_its_wrapped_name(tmp_path: Path) -> None:
    """A row cut in two (a page break, a cell listing one body per line): the cell goes on in its
    column's list, and a name wrapped there (市卫 | 生健康委) is one body."""
    page = ("<html><body><div><p>某市任务分工表</p><table><tr><th>序号</th><th>工作任务</th><th>牵头单位</th></tr>"
            "<tr><td>1</td><td>推进医疗数据共享。</td><td>市发展改革委<br>市卫</td></tr>"
            "<tr><td></td><td>建设平台。</td><td>生健康委</td></tr>"
            "<tr><td>2</td><td>完善服务。</td><td>市教育局</td></tr></table></div></body></html>")
    rows = read_rows(tmp_path, page, "n.html")
    assert [(r[1], r[4]) for r in rows] == [(1, [("市发展改革委", "lead"), ("市卫生健康委", "lead")]), (2, [("市教育局", "lead")])]


# --- pages as local portals publish them (issue 22) --------------------------------------------

def published(tmp_path: Path, name: str, content: str) -> tuple[dict, list[tuple], list[tuple]]:
    """One page through every stage, as `make curated` runs it: its `notices` row, its measures
    (part, measure_no, label, text, due_raw) and its pairs (part, measure_no, department, role)."""
    from .conftest import read, run_on

    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_text(content, encoding="utf-8")
    report, cfg = run_on([src], tmp_path / "run")
    assert report.exit_code == 0, report.validation.get("held_back")
    [notice] = read(cfg.curated, "notices")
    measures = sorted((m["part"], m["measure_no"], m["measure_label"] or "", m["text"], m["due_raw"] or "") for m in read(cfg.curated, "measures"))
    pairs = sorted((p["part"], p["measure_no"], p["department"], p["role"]) for p in read(cfg.curated, "measure_departments"))
    return notice, measures, pairs


CMS_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>某区人民政府办公室关于印发某区优化营商环境行动方案的通知_政策文件_某区人民政府</title>
<meta name="ArticleTitle" content="某区人民政府办公室关于印发某区优化营商环境行动方案的通知">
<meta name="PubDate" content="2024-03-06 10:20"><meta name="ContentSource" content="某区政务服务数据管理局">
<script>var siteId = 12;</script></head>
<body><div class="page">
<div class="top-bar"><div class="menu"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div></div>
<div class="location">您当前的位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/zcwj/">政策文件</a></div>
<div class="wrap"><div class="row"><div class="col-main">
<div class="xxgk-meta"><table>
<tr><td>索 引 号：</td><td>11350000-2024-00031</td><td>主题分类：</td><td>综合政务</td></tr>
<tr><td>发布机构：</td><td>某区政务服务数据管理局</td><td>成文日期：</td><td>2024年03月05日</td></tr>
<tr><td>标　　题：</td><td colspan="3">某区人民政府办公室关于印发某区优化营商环境行动方案的通知</td></tr>
<tr><td>发文字号：</td><td>某政办〔2024〕7号</td><td>发布日期：</td><td>2024年03月06日</td></tr>
</table></div>
<div class="article">
<h1 class="art-title">某区人民政府办公室关于印发某区优化营商环境行动方案的通知</h1>
<div class="art-info"><span>发布时间：2024-03-06 10:20</span> <span>来源：某区政务服务数据管理局</span> <span>浏览次数：</span>
<span class="share-to">分享到：<a href="#">微信</a><a href="#">微博</a><a href="#">QQ空间</a></span></div>
<div class="art-body"><div class="TRS_Editor">
<p>各镇人民政府，区直各单位：</p>
<p>《某区优化营商环境行动方案》已经区政府同意，现印发给你们，请认真贯彻落实。</p>
<p style="text-align:right">某区人民政府办公室</p>
<p style="text-align:right">2024年3月5日</p>
<p style="text-align:center"><b>某区优化营商环境行动方案</b></p>
<p>为持续优化营商环境，制定本方案。</p>
<p>一、提升政务服务效能</p>
<p>（一）推行一窗通办。整合窗口资源，推行综合受理。（责任单位：区政务服务数据管理局，各镇人民政府）</p>
<p>（二）压缩审批时限。全面梳理审批事项，2024年底前办理时限压缩一半。（区政务服务数据管理局牵头，区发展和改革局配合）</p>
<p>二、强化要素保障</p>
<p>（三）保障用地需求。优先保障重点项目用地。（区自然资源局负责）</p>
<p>（四）加强组织领导。建立工作专班，定期调度。</p>
</div></div>
<div class="art-files"><div class="title">附件下载：</div><ul>
<li><a href="/zwgk/zcwj/202403/P020240306001.pdf">某区优化营商环境行动方案.pdf</a></li>
<li><a href="/zwgk/zcwj/202403/P020240306002.docx">任务分工表</a></li>
</ul></div>
<div class="art-tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
</div></div>
<div class="col-side"><div class="rel"><h3>相关文件</h3><ul><li><a href="/a.html">某区关于做好2023年政务公开工作的通知</a></li></ul></div></div>
</div></div>
<div class="foot">主办：某区人民政府办公室　承办：某区政务服务数据管理局　地址：某区人民路1号　网站标识码：1234000000</div>
</div></body></html>"""


def test_a_page_in_a_cms_template_gives_its_facts_and_its_article(tmp_path: Path) -> None:
    """Nested <div>s of a portal's template: menu, breadcrumb, a metadata table, the title and
    share line above the article, the attachment list and tools below, a sidebar and a footer.
    The article is found by its sentences; the facts come from the notice's text where it prints
    them (issuer from the title, date from the date line), from the page where it does not (文号)."""
    notice, measures, pairs = published(tmp_path, "cms.html", CMS_PAGE)
    assert (notice["title"], notice["issuer"], notice["doc_no"], str(notice["issued_on"]), notice["attachments"]) == (
        "某区人民政府办公室关于印发某区优化营商环境行动方案的通知", "某区人民政府办公室", "某政办〔2024〕7号", "2024-03-05",
        "某区优化营商环境行动方案.pdf | 任务分工表")
    assert measures == [
        (1, 1, "（一）", "推行一窗通办。整合窗口资源，推行综合受理。", ""),
        (1, 2, "（二）", "压缩审批时限。全面梳理审批事项，2024年底前办理时限压缩一半。", ""),
        (1, 3, "（三）", "保障用地需求。优先保障重点项目用地。", ""),
        (1, 4, "（四）", "加强组织领导。建立工作专班，定期调度。", ""),
    ]
    assert pairs == sorted([
        (1, 1, "区政务服务数据管理局", "responsible"), (1, 1, "各镇人民政府", "responsible"),
        (1, 2, "区政务服务数据管理局", "lead"), (1, 2, "区发展和改革局", "support"),
        (1, 3, "区自然资源局", "responsible"),
    ])
    text = " ".join(b.text for b in extract(tmp_path / "in" / "cms.html").parts[0].blocks)
    assert not [w for w in ("首页", "发布时间", "分享到", "微信", "附件下载", "打印本页", "相关文件", "主办", ".pdf") if w in text]


RECTIFICATION_PAGE = """<html><head><meta charset="utf-8"></head><body><div class="content"><div class="text">
<div><p>某区办公室印发环境问题整改任务分解表的通知</p><p>各有关单位：</p><p>现将环境问题整改任务分解印发给你们，请认真抓好落实。</p>
<p>某区办公室</p><p>2016年5月10日</p></div>
<span><br clear="all"></span>
<div><p>附件</p><p>环境问题整改任务分解表</p>
<table><tr><td><p><b>存在问题</b></p></td><td><p><b>整改目标和措施</b></p></td><td><p><b>责任单位</b></p></td></tr>
<tr><td rowspan="3"><p>河道污染严重</p></td><td><p>开展入河排污口排查，6月底前完成整治。</p></td><td><p>区生态环境局牵头，区水利局配合</p></td></tr>
<tr><td><p>关闭禁养区畜禽养殖场。</p></td><td><p>区农业农村局牵头，区水利局配合，相关乡镇落实</p></td></tr>
<tr><td><p>建设污水收集管网。</p></td><td><p>区住建局</p></td></tr>
<tr><td rowspan="2"><p>医疗废物处置不规范</p></td><td><p>建成医疗废物贮存场所。</p></td><td><p>区卫健局，区生态环境局配合</p></td></tr>
<tr><td><p>开展专项检查。</p></td><td><p>相关乡镇人民政府、区卫健局</p></td></tr>
</table></div></div></div>
<div class="share">分享到：<a href="#">微信</a></div></body></html>"""


def test_a_table_with_rowspan_merged_problems_and_role_words_inside_its_cells(tmp_path: Path) -> None:
    """The notice and its 附件 in sibling <div>s; no 序号: one measure per 措施 row in reading order,
    the merged 存在问题 cell its task on every row it spans; 'X牵头，Y配合，Z落实' read in the cell,
    a first body without a role word takes the column's; a date inside the text is no deadline."""
    path = tmp_path / "rectification.html"
    path.write_text(RECTIFICATION_PAGE, encoding="utf-8")
    measures, findings = structure(extract(path))
    items, _ = normalize(measures, 2016)
    assert [(x.measure.part, x.measure.measure_no, x.measure.task, x.measure.text, [(a.department, a.role) for a in x.assignments],
             x.deadline.kind) for x in items] == [
        (1, 1, "河道污染严重", "开展入河排污口排查，6月底前完成整治。", [("区生态环境局", "lead"), ("区水利局", "support")], "none"),
        (1, 2, "河道污染严重", "关闭禁养区畜禽养殖场。", [("区农业农村局", "lead"), ("区水利局", "support"), ("相关乡镇", "responsible")], "none"),
        (1, 3, "河道污染严重", "建设污水收集管网。", [("区住建局", "responsible")], "none"),
        (1, 4, "医疗废物处置不规范", "建成医疗废物贮存场所。", [("区卫健局", "responsible"), ("区生态环境局", "support")], "none"),
        (1, 5, "医疗废物处置不规范", "开展专项检查。", [("相关乡镇人民政府", "responsible"), ("区卫健局", "responsible")], "none"),
    ]
    assert not [f for f in findings if f.severity != "info"]


WORD_PAGE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta http-equiv=Content-Type content="text/html; charset=utf-8">
<title>某片区管理局关于印发消防安全宣传任务分解表的通知_部门文件_某区人民政府</title></head>
<body><div class="main"><div class="con">
<div class=Section0><p class=MsoNormal><span style='font-family:仿宋_GB2312'>各处室，各村（居）：</span></p>
<p class=MsoNormal><span style='font-family:仿宋_GB2312'>现将《消防安全宣传任务分解表》印发给你们，请认真抓好落实。</span></p>
<p class=MsoNormal align=right><span>某片区管理局</span></p>
<p class=MsoNormal align=right><span lang=EN-US>2023</span><span>年</span><span lang=EN-US>8</span><span>月</span><span lang=EN-US>15</span><span>日</span></p></div>
<span><br clear=all></span>
<p class=MsoNormal align=center><b><span>消防安全宣传任务分解表</span></b></p>
<div><table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;mso-table-layout-alt:fixed'>
<tr style='mso-yfti-irow:0;mso-yfti-firstrow:yes'><td width=40><p class=MsoNormal align=center><b><span>序号</span></b></p></td>
<td width=90><p class=MsoNormal align=center><b><span>工作任务</span></b></p></td><td width=300><p class=MsoNormal align=center><b><span>工作举措</span></b></p></td>
<td width=90><p class=MsoNormal align=center><b><span>完成时限</span></b></p></td><td width=90><p class=MsoNormal align=center><b><span>责任单位</span></b></p></td></tr>
<tr><td><p class=MsoNormal><span lang=EN-US>1<o:p></o:p></span></p></td><td><p class=MsoNormal><span>加强组织领导</span></p></td>
<td><p class=MsoNormal><span>每季度总结工作情况，及时报送材料。</span></p></td>
<td><p class=MsoNormal><span>每季度（</span><span lang=EN-US>9</span><span>月</span><span lang=EN-US>18</span><span>日、</span><span lang=EN-US>12</span><span>月</span><span lang=EN-US>18</span><span>日）</span></p></td>
<td><p class=MsoNormal><span>综治办</span></p></td></tr>
<tr><td><p class=MsoNormal><span lang=EN-US>2</span></p></td><td><p class=MsoNormal><span>成立宣讲站</span></p></td>
<td><p class=MsoNormal><span>落实宣讲站场地和人员配备。</span></p></td>
<td><p class=MsoNormal><span lang=EN-US>8</span><span>月</span><span lang=EN-US>20</span><span>日</span></p></td>
<td><p class=MsoNormal><span>综治办</span></p><p class=MsoNormal><span>各村（居）</span></p></td></tr>
<tr style='page-break-before:always'><td><p class=MsoNormal align=center><b><span>序号</span></b></p></td>
<td><p class=MsoNormal align=center><b><span>工作任务</span></b></p></td><td><p class=MsoNormal align=center><b><span>工作举措</span></b></p></td>
<td><p class=MsoNormal align=center><b><span>完成时限</span></b></p></td><td><p class=MsoNormal align=center><b><span>责任单位</span></b></p></td></tr>
<tr><td rowspan=2><p class=MsoNormal><span lang=EN-US>3</span></p></td><td rowspan=2><p class=MsoNormal><span>督促落实职责</span></p></td>
<td><p class=MsoNormal><span>每周开展入户宣传。</span></p></td><td rowspan=2><p class=MsoNormal><span>长期</span></p></td>
<td rowspan=2><p class=MsoNormal><span>各村（居）</span></p></td></tr>
<tr><td><p class=MsoNormal><span>建立宣传培训台账。</span></p></td></tr>
<tr><td><p class=MsoNormal><span lang=EN-US>4</span></p></td><td><p class=MsoNormal><span>强化保障激励</span></p></td>
<td><p class=MsoNormal><span>组织开展评选表彰。</span></p></td><td><p class=MsoNormal><span>每年</span></p></td><td><p class=MsoNormal><span>综治办</span></p></td></tr>
</table></div>
<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>
</div></div>
<div class="side"><a href="/map.html">网站地图</a></div></body></html>"""


def test_a_word_made_table_on_a_page_with_a_repeated_header_and_a_deadline_column(tmp_path: Path) -> None:
    """Word's HTML: a table that is most of the page's text beside the covering notice (both are
    the article), its header row repeated after a page break, a 序号 spanning two rows with merged
    完成时限 and 责任单位 cells, a responsibility cell of two paragraphs; deadlines read with the
    notice's year, recurring ones (长期, 每年) ongoing, a recurring one with dates by its last date.
    The title is the page's: the article prints none."""
    path = tmp_path / "word.html"
    path.write_text(WORD_PAGE, encoding="utf-8")
    notice = extract(path)
    tree = outline(notice)
    assert (tree.title, tree.issuer, tree.issued_on) == ("某片区管理局关于印发消防安全宣传任务分解表的通知", "某片区管理局", "2023-08-15")
    measures, findings = structure(notice, tree)
    items, _ = normalize(measures, 2023)
    assert [(x.measure.part, x.measure.measure_no, x.measure.task, x.measure.text, [(a.department, a.role) for a in x.assignments],
             x.deadline.raw, x.deadline.kind, x.deadline.date) for x in items] == [
        (1, 1, "加强组织领导", "每季度总结工作情况，及时报送材料。", [("综治办", "responsible")], "每季度（9月18日、12月18日）", "month", "2023-12-31"),
        (1, 2, "成立宣讲站", "落实宣讲站场地和人员配备。", [("综治办", "responsible"), ("各村（居）", "responsible")], "8月20日", "month", "2023-08-31"),
        (1, 3, "督促落实职责", "每周开展入户宣传。\n建立宣传培训台账。", [("各村（居）", "responsible")], "长期", "ongoing", None),
        (1, 4, "强化保障激励", "组织开展评选表彰。", [("综治办", "responsible")], "每年", "ongoing", None),
    ]
    assert not [f for f in findings if f.severity != "info"]


ARCHIVE_TITLE = "某区管委会关于印发某区促进消费若干措施的通知"
ARCHIVE_TEXT = (
    f"标题: {ARCHIVE_TITLE}\n发布时间: 2020-05-12 16:09\n文号: \n发布机构: 某区经济发展局\n栏目: 区管委会文件\n"
    "原文链接: https://www.example.invalid/zwgk/t20200512_1.htm\n页面链接与图片详见 links.tsv(同目录)\n"
    "==================== 正文 ====================\n"
    "当前位置： 首页政务公开最新文件区管委会文件 索 引 号： 001-2020-00030 主题分类： 无 发文机关： 某区管委会 成文日期： 2020-05-11 "
    f"标 题： {ARCHIVE_TITLE} 发文字号： 某综〔2020〕30号 发布日期： 2020-05-12 有 效 性： 有效 "
    f"{ARCHIVE_TITLE} 时间：2020-05-12 16:09 微信 微博 QQ空间 某综〔2020〕30号 某区管委会 关于印发某区促进消费 若干措施的通知 "
    "各片区管理局，区直各有关单位： 《某区促进消费若干措施》已经区管委会研究同意，现印发给你们，请认真组织实施。 某区管委会 2020年5月11日 "
    "某区促进消费若干措施 为持续激发消费潜力，制定本措施。 一、开展提振消费信心活动 （一）启动消费月活动。通过发放消费券促进市民消费。 "
    "责任单位：区经发局 （二）方便群众出行。法定节假日可免费乘坐公交车。 责任单位：区交建局、区财金局 二、支持商贸企业发展 "
    "（一）支持新增限上企业。给予一次性奖励5万元。（区经发局负责） 来源：某区经济发展局 附件下载\n")


def test_the_archive_text_of_a_page_with_its_header_block_and_one_line_body(tmp_path: Path) -> None:
    """A crawler's page.txt: `key: value` lines before `===== 正文 =====` are the page's metadata;
    the body is one line whose spaces were the page's line ends, opening with the breadcrumb, the
    page's box, the title, the share links and the 文号, closing with 来源：… 附件下载. The notice
    starts at the title's last printing; its facts come from its text first (the header's 发布机构
    and 发布时间 are the web page's, not the notice's)."""
    notice, measures, pairs = published(tmp_path, "archive.txt", ARCHIVE_TEXT)
    assert (notice["title"], notice["issuer"], notice["doc_no"], str(notice["issued_on"]), notice["attachments"]) == (
        ARCHIVE_TITLE, "某区管委会", "某综〔2020〕30号", "2020-05-11", None)
    assert measures == [
        (1, 1, "（一）", "启动消费月活动。通过发放消费券促进市民消费。", ""),
        (1, 2, "（二）", "方便群众出行。法定节假日可免费乘坐公交车。", ""),
        (1, 3, "（一）", "支持新增限上企业。给予一次性奖励5万元。", ""),
    ]
    assert pairs == sorted([(1, 1, "区经发局", "responsible"), (1, 2, "区交建局", "responsible"), (1, 2, "区财金局", "responsible"),
                            (1, 3, "区经发局", "responsible")])
    tree = outline(extract(tmp_path / "in" / "archive.txt"))
    text = " ".join(n.text for po in tree.parts for n, _ in walk(po.root))
    assert not [w for w in ("当前位置", "索引号", "微信", "来源", "附件下载", "links.tsv") if w in re.sub(r"\s+", "", text)]


def test_text_in_br_runs_beside_a_table_in_one_div(tmp_path: Path) -> None:
    """Issue 23, case 14: the notice's lines are text runs cut by <br> around a <table>, all in one
    <div>: each run is a paragraph, in its place before and after the table."""
    page = ("<html><head><meta charset='utf-8'><title>通知</title></head><body>"
            "<div class='nav'><a href='/'>首页</a> | <a href='/tzgg/'>通知公告</a></div>"
            "<div id='zoom'>某县关于印发安全生产任务清单的通知<br>各乡镇人民政府，县直各单位：<br>"
            "&nbsp;&nbsp;现将《安全生产任务清单》印发给你们，请认真落实。<br><br>某县人民政府<br>2024年4月8日<br>附件<br>安全生产任务清单<br>"
            "<table border='1' cellspacing='0'><tr><td>序号</td><td>工作任务</td><td>责任单位</td><td>完成时限</td></tr>"
            "<tr><td>1</td><td>开展隐患排查。</td><td>县应急管理局</td><td>2024年6月底前</td></tr>"
            "<tr><td>2</td><td>加强执法检查。</td><td>县应急管理局、县公安局</td><td>长期</td></tr></table>"
            "<br>联系人：王五，电话：12345678。</div><div class='footer'>版权所有：某县人民政府</div></body></html>")
    path = tmp_path / "runs.html"
    path.write_text(page, encoding="utf-8")
    notice = extract(path)
    assert [b.text if b.kind != "table" else "<table>" for b in notice.parts[0].blocks] == [
        "某县关于印发安全生产任务清单的通知", "各乡镇人民政府，县直各单位：", "现将《安全生产任务清单》印发给你们，请认真落实。", "某县人民政府",
        "2024年4月8日", "附件", "安全生产任务清单", "<table>", "联系人：王五，电话：12345678。"]
    tree = outline(notice)
    assert (tree.title, tree.issuer, tree.issued_on) == ("某县关于印发安全生产任务清单的通知", "某县", "2024-04-08")
    measures, _ = structure(notice, tree)
    items, _ = normalize(measures, 2024)
    assert [(x.measure.part, x.measure.measure_no, x.measure.text, [(a.department, a.role) for a in x.assignments], x.deadline.raw)
            for x in items] == [
        (1, 1, "开展隐患排查。", [("县应急管理局", "responsible")], "2024年6月底前"),
        (1, 2, "加强执法检查。", [("县应急管理局", "responsible"), ("县公安局", "responsible")], "长期"),
    ]


def test_a_title_is_never_a_file_name_a_label_or_a_doc_no(tmp_path: Path) -> None:
    """A page whose article opens with its box's label, its 文号 and a link to the file, whose
    <title> is its column's name: no title rather than a wrong one; the file is an attachment,
    the 文号 the notice's, the issuer the signature's."""
    page = ("<html><head><meta charset='utf-8'><title>政策文件</title></head><body><div class='box'>"
            "<p>索 引 号：001-2024-0001</p><p>某政办〔2024〕9号</p><p><a href='/files/P0201.pdf'>某区安全生产工作方案.pdf</a></p>"
            "<p>各镇人民政府，区直各单位：</p><p>现将《某区安全生产工作方案》印发给你们，请认真贯彻落实。</p><p>某区人民政府办公室</p><p>2024年4月1日</p>"
            "<p>一、开展隐患排查。（区应急管理局负责）</p><p>二、加强执法检查。（区应急管理局、区公安局负责）</p></div></body></html>")
    path = tmp_path / "bare.html"
    path.write_text(page, encoding="utf-8")
    notice = extract(path)
    tree = outline(notice)
    assert (tree.title, tree.issuer, tree.doc_no, tree.issued_on, tree.attachments) == (
        "", "某区人民政府办公室", "某政办〔2024〕9号", "2024-04-01", ["某区安全生产工作方案.pdf"])
    assert not [b for b in notice.parts[0].blocks if ".pdf" in b.text]


def test_a_page_in_traditional_characters_gives_its_facts(tmp_path: Path) -> None:
    """The page's labels (標　　題：, 發文字號：) are read folded like its text, and the facts come
    back in the characters the page printed."""
    page = ("<html><head><meta charset='utf-8'><title>政策文件</title></head><body><div class='meta'><table>"
            "<tr><td>索 引 號：</td><td>001</td><td>發文字號：</td><td>某政辦〔2024〕9號</td></tr>"
            "<tr><td>成文日期：</td><td>2024年04月01日</td><td>標　　題：</td><td>某區政府辦公室關於印發安全生產工作方案的通知</td></tr></table></div>"
            "<div class='art'><p>各鎮人民政府：</p><p>現將《安全生產工作方案》印發給你們，請認真貫徹落實。</p>"
            "<p>一、開展隱患排查。（區應急管理局負責）</p></div></body></html>")
    path = tmp_path / "trad.html"
    path.write_text(page, encoding="utf-8")
    tree = outline(extract(path))
    assert (tree.title, tree.issuer, tree.doc_no, tree.issued_on) == (
        "某區政府辦公室關於印發安全生產工作方案的通知", "某區政府辦公室", "某政辦〔2024〕9號", "2024-04-01")


# --- tables whose cells a crawler ran together (issue 22) ----------------------------------------

def crawled(title: str, body: str) -> str:
    """A crawler's page.txt: its header block, then the page's body on one line."""
    return (f"标题: {title}\n发布时间: 2024-05-11 15:47\n发布机构: 某区办公室\n栏目: 部门文件\n"
            f"==================== 正文 ====================\n当前位置： 首页政务公开部门文件 {title} 时间：2024-05-11 15:47 微信 微博 {body} "
            "来源：某区办公室 附件下载\n")


GLUED_NUMBERED = crawled(
    "某片区管理局关于印发《消防安全宣传任务分解表》的通知",
    "各处室，各村（居）：现将《消防安全宣传任务分解表》印发给你们，请认真抓好落实。 某片区管理局 2024年5月10日 消防安全宣传任务分解表 "
    "序号工作任务工作举措完成时限责任单位1加强组织领导每季度总结工作情况，及时报送材料。每季度（9月18日、12月18日）综治办"
    "2成立宣讲站落实宣讲站场地，配备2名宣导员。8月20日综治办各村（居）序号工作任务工作举措完成时限责任单位"
    "3督促落实职责每周开展入户宣传。长期各村（居）建立宣传培训台账；长期各村（居）"
    "4强化保障激励组织开展评选表彰。每年片区、各村（居）对表现突出的个人给予表彰。")


def test_a_numbered_table_whose_cells_a_crawler_ran_together(tmp_path: Path) -> None:
    """`序号工作任务…责任单位1加强…综治办2成立…`: the header's column words one after another; rows
    open with their running numbers (2 in 配备2名 opens none: no row ends before it), the header
    printed again is skipped; each row closes with a deadline (每季度 with its dates, 8月20日, 长期)
    and its department cell (two names run together are two lines); a 序号 holding several
    (deadline, department) pairs after sentence ends is one measure over several lines. 工作任务
    and 工作举措 cannot be told apart: both are the text, and the file's warnings say so."""
    notice, measures, pairs = published(tmp_path, "glued.txt", GLUED_NUMBERED)
    assert notice["title"] == "某片区管理局关于印发《消防安全宣传任务分解表》的通知"
    assert [(p, n, label, re.sub(r"\s+", "", text), due) for p, n, label, text, due in measures] == [
        (1, 1, "1", "加强组织领导每季度总结工作情况，及时报送材料。", "每季度（9月18日、12月18日）"),
        (1, 2, "2", "成立宣讲站落实宣讲站场地，配备2名宣导员。", "8月20日"),
        (1, 3, "3", "督促落实职责每周开展入户宣传。建立宣传培训台账；", "长期"),
        (1, 4, "4", "强化保障激励组织开展评选表彰。对表现突出的个人给予表彰。", "每年"),
    ]
    assert pairs == sorted([(1, 1, "综治办", "responsible"), (1, 2, "综治办", "responsible"), (1, 2, "各村（居）", "responsible"),
                            (1, 3, "各村（居）", "responsible"), (1, 4, "片区", "responsible"), (1, 4, "各村（居）", "responsible")])
    notice_read = extract(tmp_path / "in" / "glued.txt")
    [table] = [b.table for p in notice_read.parts for b in p.blocks if b.table]
    assert (table.n_rows, table.n_cols) == (7, 5)  # the header, then rows 1, 2, 3 (two lines), 4 (two lines)
    assert [c.lines for c in table.cells if c.col == 4 and c.row == 2] == [["综治办", "各村（居）"]]
    trailing, unsure = notice_read.warnings
    assert trailing.startswith("line 6 table 1: what follows the last 序号's department cell (对表现突出的个人给予表彰。)")
    assert unsure.startswith("line 6 table 1: rows 1, 2, 3, 4: the cells 工作任务 and 工作举措 ran together")


GLUED_MERGED = crawled(
    "某区办公室印发环境问题整改任务分解表的通知",
    "各有关单位：现将环境问题整改任务分解印发给你们，请认真抓好落实。 附件：环境问题整改任务分解表 某区办公室 2024年5月10日 附件 环境问题整改任务分解表 "
    "存在问题整改目标和措施责任单位河道污染严重2024年6月底前完成入河排污口排查区生态环境局牵头，区水利局配合"
    "2024年9月底前关闭禁养区和可养区畜禽养殖场区农业农村局牵头，区水利局配合，相关乡镇落实建设污水收集管网区住建局"
    "医疗废物处置不规范2024年底前建成医疗废物贮存场所区卫健局，区生态环境局配合开展专项检查相关乡镇人民政府、区卫健局")


def test_a_table_without_numbers_whose_cells_a_crawler_ran_together(tmp_path: Path) -> None:
    """`存在问题整改目标和措施责任单位河道污染严重2024年6月底前…区生态环境局牵头，区水利局配合2024年…`:
    no 序号, so each row closes with its department cell, a list of names (told by their endings
    and the words they open with: 区, 相关) with role words; what follows a role word without a
    separator opens the next row. A measure that opens with a dated deadline is told from the
    problem before it; a row with no problem of its own takes the one above (a merged cell); a
    row where nothing tells the two apart is read as the measure, with a warning."""
    notice, measures, pairs = published(tmp_path, "merged.txt", GLUED_MERGED)
    assert (notice["title"], notice["issuer"]) == ("某区办公室印发环境问题整改任务分解表的通知", "某区办公室")
    assert [(p, n, text, due) for p, n, _, text, due in measures] == [
        (1, 1, "2024年6月底前完成入河排污口排查", ""),
        (1, 2, "2024年9月底前关闭禁养区和可养区畜禽养殖场", ""),
        (1, 3, "建设污水收集管网", ""),
        (1, 4, "2024年底前建成医疗废物贮存场所", ""),
        (1, 5, "开展专项检查", ""),
    ]
    assert pairs == sorted([
        (1, 1, "区生态环境局", "lead"), (1, 1, "区水利局", "support"),
        (1, 2, "区农业农村局", "lead"), (1, 2, "区水利局", "support"), (1, 2, "相关乡镇", "responsible"),
        (1, 3, "区住建局", "responsible"),
        (1, 4, "区卫健局", "responsible"), (1, 4, "区生态环境局", "support"),
        (1, 5, "相关乡镇人民政府", "responsible"), (1, 5, "区卫健局", "responsible"),
    ])
    notice_read = extract(tmp_path / "in" / "merged.txt")
    measures_read, _ = structure(notice_read)
    assert [m.task for m in measures_read] == ["河道污染严重"] * 3 + ["医疗废物处置不规范"] * 2
    [unsure] = notice_read.warnings
    assert unsure.startswith("line 6 table 1: rows 3, 5: the cells 存在问题 and 整改目标和措施 ran together")


def test_column_words_in_prose_are_no_table(tmp_path: Path) -> None:
    """A sentence naming the columns, or a header whose rows cannot be told apart, stays text."""
    path = tmp_path / "prose.txt"
    path.write_text("某区关于报送任务清单的通知\n请明确工作任务完成时限责任单位，于5月底前报送。\n序号工作任务完成时限责任单位待定\n", encoding="utf-8")
    notice = extract(path)
    assert [b.kind for b in notice.parts[0].blocks] == ["paragraph"] * 3
    [unread] = notice.warnings
    assert unread.startswith("line 3: a table whose cells ran together (序号 | 工作任务 | 完成时限 | 责任单位) was not rebuilt")
