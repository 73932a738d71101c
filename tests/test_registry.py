"""The department registry across the country: national bodies, a local government's standard
departments named after the notice's jurisdiction, the jurisdiction from the issuer, and the names
not in the registry grouped for review — through the real pipeline and on the shipped data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.normalize.registry import Registry
from pipeline.run import Config, run

from .conftest import read

ROOT = Path(__file__).parent.parent
REGISTRY = Registry.load(ROOT / "expectations" / "reference")

CITY = ("广州市人民政府办公厅关于印发重点工作分工方案的通知\n各区人民政府，市政府各部门：\n现将方案印发给你们，请认真贯彻执行。\n"
        "一、优化服务\n（一）推进教育数字化。（市教委牵头，市发展改革委、市财政局配合）\n（二）加强市场监管。（市场监管局、省药监局负责）\n"
        "（三）争取国家支持。（国家发展改革委、财政部负责）\n（四）推进政务公开。（市委网信办、市星空办负责）\n")
DISTRICT = ("广州市天河区人民政府办公室关于印发年度工作要点的通知\n各街道办事处，区政府各部门：\n现将要点印发给你们，请认真贯彻执行。\n"
            "一、重点任务\n（一）规范市场秩序。（区市场监管局牵头，区公安分局配合）\n（二）办好教育。（区教育局、市教育局负责）\n"
            "（三）推进项目建设。（发展改革局、发展改革委负责）\n（四）做好宣传。（区星空办负责）\n")
NATIONAL = ("国务院办公厅关于进一步优化营商环境的意见\n各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n经国务院同意，现提出如下意见。\n"
            "一、重点任务\n（一）降低制度性交易成本。（发展改革委牵头，教育部、卫生健康委、市场监管总局按职责分工负责）\n"
            "（二）减轻企业负担。（财政部、税务总局、人民银行负责）\n（三）改进服务。（国务院星空办负责）\n")


@pytest.mark.parametrize(("name", "jurisdiction", "canonical", "place"), [
    ("市教委", "广州市", "广州市教育委员会", "广州市"),
    ("区市场监管局", "广州市天河区", "广州市天河区市场监督管理局", "广州市天河区"),
    ("市场监管局", "广州市天河区", "广州市天河区市场监督管理局", "广州市天河区"),  # as written: the issuer's own
    ("发展改革委", "全国", "国家发展和改革委员会", "全国"),  # a national notice: the national body
    ("发展改革委", "广州市", "广州市发展和改革委员会", "广州市"),  # a local notice: its own
    ("发展改革委", "广州市天河区", "广州市发展和改革委员会", "广州市"),  # a county has a 局, not a 委: the nearest parent that has one
    ("发展改革局", "广州市天河区", "广州市天河区发展和改革局", "广州市天河区"),
    ("国家发展改革委", "广州市", "国家发展和改革委员会", "全国"),
    ("财政部", "广州市", "财政部", "全国"),  # no local department is called so
    ("财政部", "", "财政部", "全国"),
    ("教育厅", "广州市", "广东省教育厅", "广东省"),  # a 厅 is a province's
    ("省教育厅", "广州市天河区", "广东省教育厅", "广东省"),
    ("市委组织部", "济南市", "济南市委组织部", "济南市"),
    ("自治区发展改革委", "包头市", "内蒙古自治区发展和改革委员会", "内蒙古自治区"),
    ("市科委", "上海市", "上海市科学技术委员会", "上海市"),  # a municipality's departments are written 市…
    ("济南市政府", "山东省", "济南市人民政府", "济南市"),  # a name opening with its place
    ("崂山区财政局", "青岛市", "青岛市崂山区财政局", "青岛市崂山区"),
    ("鼓楼区政府", "福州市", "福州市鼓楼区人民政府", "福州市鼓楼区"),  # several cities have a 鼓楼区: the notice's
    ("统计局", "全国", "国家统计局", "全国"),
    ("统计局", "济南市", "济南市统计局", "济南市"),
    ("农业部", "全国", "农业部", "全国"),  # a ministry of earlier years
    ("市商务局", "天津市", "天津市商务局", "天津市"),
    ("商务局", "天津港保税区", "天津港保税区商务局", "天津港保税区"),  # departments.csv's own bodies first
])
def test_a_name_resolves_by_its_words_and_its_notices_jurisdiction(name: str, jurisdiction: str, canonical: str, place: str) -> None:
    entry = REGISTRY.resolve(name, jurisdiction)
    assert entry is not None and (entry.canonical, entry.jurisdiction) == (canonical, place)


@pytest.mark.parametrize(("name", "jurisdiction", "suggested"), [
    ("发展改革委", "", "发展改革委"),  # a notice whose jurisdiction is unknown: national or local, nobody can say
    ("鼓楼区政府", "山东省", "鼓楼区政府"),  # no 鼓楼区 in Shandong: which one is not known
    ("县公安局", "广州市天河区", "县公安局"),  # no county above the notice
    ("区县公安局", "平潭综合实验区", "区县公安局"),  # a class of levels, not a level
    ("市星空办", "天津市", "天津市星空办"),
    ("区经发局", "平潭综合实验区", "平潭综合实验区经发局"),
])
def test_a_name_not_in_the_registry_gets_a_suggested_canonical_name(name: str, jurisdiction: str, suggested: str) -> None:
    assert REGISTRY.resolve(name, jurisdiction) is None
    assert REGISTRY.fallback_canonical(name, jurisdiction) == suggested


@pytest.mark.parametrize(("issuer", "title", "jurisdiction"), [
    ("国务院办公厅", "", "全国"),
    ("生态环境部、国家发展和改革委员会", "", "全国"),  # a national body's notice
    ("", "全国深化放管服改革电视电话会议重点任务分工方案", "全国"),
    ("广州市人民政府办公厅", "", "广州市"),
    ("广州市天河区人民政府办公室", "", "广州市天河区"),
    ("天津港保税区管理委员会", "", "天津港保税区"),
    ("", "山东省服务业数字化转型行动方案", "山东省"),
    ("平潭综合实验区管委会办公室", "", "平潭综合实验区"),  # a place the registry does not list, by its level word
    ("中共济南市委办公厅", "", "济南市"),  # a listed place after a word
    ("", "关于加快科创济南建设的若干政策措施", "济南市"),  # the one place a title names
    ("某区人民政府办公室", "", ""),
    ("", "", ""),
])
def test_a_notices_jurisdiction_comes_from_its_issuer(issuer: str, title: str, jurisdiction: str) -> None:
    assert REGISTRY.jurisdiction_of(issuer, title) == jurisdiction


OWN_CITY = "为加快人工智能产业集聚发展，结合我市实际，制定本实施方案。"


@pytest.mark.parametrize("opening, lead, jurisdiction", [
    # the text names its jurisdiction by its level (我市: a city) and names one city, the districts inside it
    (OWN_CITY, OWN_CITY + "\n一、总体目标\n把青岛市人工智能产业园和崂山区科创走廊打造成产业高地。", "青岛市"),
    (OWN_CITY, OWN_CITY + "\n一、总体目标\n到2026年，本市算力规模达到12EFLOPS，青岛市产业园初具规模。", "青岛市"),
    # two cities, or a place of another city beside it: not sure whose, so none
    (OWN_CITY, OWN_CITY + "\n一、总体目标\n学习深圳市经验，把青岛市建设成产业高地。", ""),
    (OWN_CITY, OWN_CITY + "\n一、总体目标\n对接广州市天河区，把青岛市建设成产业高地。", ""),
    # a city by its level, but only its province named: none (never the province for a city's names)
    (OWN_CITY, OWN_CITY + "\n一、总体目标\n贯彻山东省部署。", ""),
    # 我市 and 我省 in one text: which level is the notice's is not sure
    (OWN_CITY, OWN_CITY + "\n我省各市要结合我省实际，把青岛市建设成产业高地。", ""),
    # no level named: the one place the opening names, titles of other documents in 《》 left out
    ("为加快济南市科技创新，根据《青岛市人民政府关于支持科技创新的意见》，制定本措施。", "", "济南市"),
    ("为推动本区域协调发展，加快济南市科技创新，制定本措施。", "", "济南市"),  # 本区域 names no jurisdiction
    ("为加快济南市和青岛市协同创新，制定本措施。", "", ""),  # two places that part
    # a place the later paragraphs name in passing, with no level named by the text: none
    ("为推进产业发展，制定本方案。", "为推进产业发展，制定本方案。\n一、学习深圳市经验。", ""),
    ("", "", ""),
])
def test_a_notice_that_names_no_issuer_nor_place_in_its_title_takes_its_place_from_its_text(opening: str, lead: str, jurisdiction: str) -> None:
    assert REGISTRY.jurisdiction_in_text(opening, lead) == jurisdiction


def test_the_shipped_registry_has_no_conflicts_and_knows_the_country() -> None:
    assert REGISTRY.conflicts() == []
    assert REGISTRY.chain("广州市天河区") == ["广州市天河区", "广州市", "广东省", "全国", ""]
    assert [REGISTRY.level(j) for j in ("全国", "广东省", "广州市", "广州市天河区", "平潭综合实验区")] == [
        "national", "province", "city", "county", "county"]


def _run(tmp_path: Path, notices: dict[str, str]) -> Config:
    cfg = Config(raw=tmp_path / "raw", interim=tmp_path / "interim", curated=tmp_path / "curated", reports=tmp_path / "reports", progress=False)
    cfg.raw.mkdir(parents=True)
    for name, text in notices.items():
        (cfg.raw / f"{name}.txt").write_text(text, encoding="utf-8")
    assert run(cfg).exit_code == 0
    return cfg


def _canonical(cfg: Config) -> dict[tuple[str, str], tuple[str, bool]]:
    return {(r["notice_id"], r["department"]): (r["department_canonical"], r["in_registry"]) for r in read(cfg.curated, "measure_departments")}


def test_departments_are_named_after_the_issuers_jurisdiction_through_the_pipeline(tmp_path: Path) -> None:
    cfg = _run(tmp_path, {"city": CITY, "district": DISTRICT, "national": NATIONAL})
    assert _canonical(cfg) == {
        ("city", "市教委"): ("广州市教育委员会", True),
        ("city", "市发展改革委"): ("广州市发展和改革委员会", True),
        ("city", "市财政局"): ("广州市财政局", True),
        ("city", "市场监管局"): ("广州市市场监督管理局", True),
        ("city", "省药监局"): ("广东省药品监督管理局", True),
        ("city", "国家发展改革委"): ("国家发展和改革委员会", True),
        ("city", "财政部"): ("财政部", True),
        ("city", "市委网信办"): ("广州市委网络安全和信息化委员会办公室", True),
        ("city", "市星空办"): ("广州市星空办", False),
        ("district", "区市场监管局"): ("广州市天河区市场监督管理局", True),
        ("district", "区公安分局"): ("广州市天河区公安分局", False),
        ("district", "区教育局"): ("广州市天河区教育局", True),
        ("district", "市教育局"): ("广州市教育局", True),
        ("district", "发展改革局"): ("广州市天河区发展和改革局", True),
        ("district", "发展改革委"): ("广州市发展和改革委员会", True),
        ("district", "区星空办"): ("广州市天河区星空办", False),
        ("national", "发展改革委"): ("国家发展和改革委员会", True),
        ("national", "教育部"): ("教育部", True),
        ("national", "卫生健康委"): ("国家卫生健康委员会", True),
        ("national", "市场监管总局"): ("国家市场监督管理总局", True),
        ("national", "财政部"): ("财政部", True),
        ("national", "税务总局"): ("国家税务总局", True),
        ("national", "人民银行"): ("中国人民银行", True),
        ("national", "国务院星空办"): ("国务院星空办", False),
    }
    departments = {r["department_canonical"]: r for r in read(cfg.curated, "departments")}
    # one row per body across the country: 发展改革委 of the national notice and 国家发展改革委 of the city's are one
    assert departments["国家发展和改革委员会"]["surface_forms"] == ["发展改革委", "国家发展改革委"]
    assert (departments["国家发展和改革委员会"]["jurisdiction"], departments["国家发展和改革委员会"]["n_notices_named_in"]) == ("全国", 2)
    assert departments["广州市发展和改革委员会"]["surface_forms"] == ["发展改革委", "市发展改革委"]
    assert [(departments[c]["jurisdiction"], departments[c]["kind"]) for c in ("广州市教育委员会", "广东省药品监督管理局", "广州市委网络安全和信息化委员会办公室")] == [
        ("广州市", "government body"), ("广东省", "government body"), ("广州市", "party body")]


# A notice that prints neither issuer nor title: its first paragraphs say whose it is (我市, 青岛市)
UNSIGNED = (OWN_CITY + "\n一、总体目标\n到2026年，把青岛市人工智能产业园和崂山区科创走廊打造成具有影响力的产业园区。\n二、主要任务\n"
            "（一）建设算力设施。（责任单位：市工业和信息化局、市大数据局）\n（二）培育创新企业。（责任单位：市科技局、区财政局）\n")
# The same text under a title naming its issuer: the issuer's place wins over every place the text names
SIGNED = "济南市人民政府办公厅关于印发人工智能产业实施方案的通知\n" + UNSIGNED


def test_a_notice_with_neither_issuer_nor_title_names_its_departments_after_the_place_its_text_speaks_for(tmp_path: Path) -> None:
    cfg = _run(tmp_path, {"unsigned": UNSIGNED, "signed": SIGNED})
    notices = {r["notice_id"]: (r["title"], r["issuer"]) for r in read(cfg.curated, "notices")}
    assert notices == {"unsigned": (None, None), "signed": ("济南市人民政府办公厅关于印发人工智能产业实施方案的通知", "济南市人民政府办公厅")}
    assert _canonical(cfg) == {
        ("unsigned", "市工业和信息化局"): ("青岛市工业和信息化局", True),
        ("unsigned", "市大数据局"): ("青岛市大数据局", True),
        ("unsigned", "市科技局"): ("青岛市科学技术局", True),
        ("unsigned", "区财政局"): ("区财政局", False),  # a district's: which one the text does not say
        ("signed", "市工业和信息化局"): ("济南市工业和信息化局", True),
        ("signed", "市大数据局"): ("济南市大数据局", True),
        ("signed", "市科技局"): ("济南市科学技术局", True),
        ("signed", "区财政局"): ("区财政局", False),
    }
    departments = {r["department_canonical"]: r["jurisdiction"] for r in read(cfg.curated, "departments")}
    assert (departments["青岛市科学技术局"], departments["济南市科学技术局"]) == ("青岛市", "济南市")


def test_a_names_canonical_form_does_not_depend_on_the_other_notices_of_the_run(tmp_path: Path) -> None:
    alone = _canonical(_run(tmp_path / "alone", {"district": DISTRICT}))
    together = _canonical(_run(tmp_path / "together", {"city": CITY, "district": DISTRICT, "national": NATIONAL}))
    assert alone == {k: v for k, v in together.items() if k[0] == "district"}


def test_names_not_in_the_registry_are_grouped_by_name_ready_to_append(tmp_path: Path) -> None:
    again = DISTRICT.replace("年度工作要点", "专项行动方案").replace("（区星空办负责）", "（区星空办牵头）\n（五）做好服务。（区星空办负责）")
    cfg = _run(tmp_path, {"city": CITY, "district": DISTRICT, "district-2": again, "national": NATIONAL})
    with (cfg.reports / "latest" / "unknown_departments.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["canonical"], r["aliases"], r["jurisdiction"], r["kind"], r["count"], r["notices"]) for r in rows] == [
        ("广州市天河区星空办", "区星空办", "广州市天河区", "", "3", "2"),  # one row for the name, however many pairs and notices
        ("广州市天河区公安分局", "区公安分局", "广州市天河区", "", "2", "2"),
        ("国务院星空办", "国务院星空办", "全国", "", "1", "1"),
        ("广州市星空办", "市星空办", "广州市", "", "1", "1"),
    ]
    assert rows[0]["first_source"].startswith("district")
    # appended to the registry as they stand (kind filled in), the names resolve
    registry = tmp_path / "registry"
    registry.mkdir()
    for f in (ROOT / "expectations" / "reference").glob("*.csv"):
        (registry / f.name).write_bytes(f.read_bytes())
    with (registry / "departments.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r["canonical"], r["aliases"], r["jurisdiction"], "government body"] for r in rows)
    grown = Registry.load(registry)
    assert grown.conflicts() == []
    assert [grown.resolve(r["aliases"], r["jurisdiction"]) is not None for r in rows] == [True] * 4
    # the report lists each name once, not once per pair
    page = (cfg.reports / "latest" / "summary.html").read_text(encoding="utf-8")
    assert page.count("<td>广州市天河区星空办</td>") == 1 and "name a department not in the registry" in page
