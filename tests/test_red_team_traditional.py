"""Issue 23, case 12: a notice printed in Traditional characters (UTF-8 or Big5) is read with the
Simplified wording and published in the characters it printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.wording.variants import Unfold, fold

from .conftest import read, run_on

NOTICE = ("某市關於印發重點工作分工方案的通知\n各區人民政府，市政府各部門：\n現將方案印發給你們，請認真貫徹執行。\n2024年3月1日\n"
          "一、優化服務\n（一）推進一網通辦。（市政務服務辦牽頭，市數據局配合）\n（二）優化窗口服務。（責任單位：市財政局、市稅務局）\n"
          "二、強化監管\n（一）提升監管效能。（市市場監管局負責，2024年底前完成）\n")


@pytest.mark.parametrize("encoding", ["utf-8", "big5"])
def test_a_notice_in_traditional_characters_is_read_and_published_as_printed(tmp_path: Path, encoding: str) -> None:
    src = tmp_path / "src" / "trad.txt"
    src.parent.mkdir()
    src.write_bytes(NOTICE.encode(encoding))
    report, cfg = run_on([src], tmp_path / "run")
    assert report.exit_code == 0 and {n.status for n in report.notices} == {"published"}
    pairs = sorted((r["measure_no"], r["department"], r["role"]) for r in read(cfg.curated, "measure_departments"))
    assert pairs == sorted([(1, "市政務服務辦", "lead"), (1, "市數據局", "support"), (2, "市財政局", "responsible"), (2, "市稅務局", "responsible"),
                            (3, "市市場監管局", "responsible")])
    measures = {r["measure_no"]: (r["text"], r["due_kind"], str(r["due_date"])[:7] if r["due_date"] else "") for r in read(cfg.curated, "measures")}
    assert measures == {1: ("推進一網通辦。", "none", ""), 2: ("優化窗口服務。", "none", ""), 3: ("提升監管效能。", "year", "2024-12")}
    assert read(cfg.curated, "notices")[0]["title"] == "某市關於印發重點工作分工方案的通知"


def test_folding_keeps_places_and_gives_back_the_printed_characters() -> None:
    text = "（市政務服務辦牽頭，市數據局配合）"
    folded = fold(text)
    assert folded == "（市政务服务办牵头，市数据局配合）" and len(folded) == len(text)
    assert Unfold(text)(folded[1:7]) == "市政務服務辦"
    # a notice that prints both forms of one character keeps the folded one there: no telling which
    assert Unfold("後來", "后来")("后") == "后"
