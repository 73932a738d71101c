"""Work that grows with the change, not with the archive: a notice's rows are checked once when
they change (or when a fact about other notices that its checks read changes), publishing
rewrites only the files holding changed notices, and what is published equals a run from
scratch over the same raw/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.publish import NOTICE_TABLES, bucket_of, current_manifest, part_name, read_curated
from pipeline.run import Config, RunReport, run

from .conftest import NOTICES, SAMPLES
from .test_gate import GOOD_ROWS, notice


def cfg_for(tmp: Path) -> Config:
    return Config(raw=tmp / "raw", interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False)


def checks(report: RunReport) -> list[tuple]:
    return [(r["suite"], r["expectation"], r["column"], r["element_count"], r["unexpected_count"], r["success"])
            for r in report.validation["results"]]


def test_one_new_notice_is_checked_alone_and_the_result_equals_a_run_from_scratch(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path / "grown")
    cfg.raw.mkdir(parents=True)
    shutil.copy(SAMPLES / f"{NOTICES[0]}.txt", cfg.raw)
    first = run(cfg)
    assert first.validated == [NOTICES[0]]
    shutil.copy(SAMPLES / f"{NOTICES[1]}.txt", cfg.raw)
    second = run(cfg)
    assert second.validated == [NOTICES[1]]  # the first notice kept its results
    assert [st.notice_id for st in second.notices if "normalize" in st.redone] == [NOTICES[1]]

    scratch = cfg_for(tmp_path / "scratch")
    shutil.copytree(cfg.raw, scratch.raw)
    whole = run(scratch)
    assert sorted(whole.validated) == sorted(NOTICES)
    assert checks(second) == checks(whole)
    assert second.validation["held_back"] == whole.validation["held_back"]
    mine, theirs = read_curated(cfg.curated), read_curated(scratch.curated)
    for name in mine:
        assert mine[name].equals(theirs[name]), name
    assert current_manifest(cfg.curated)["content_hash"] == current_manifest(scratch.curated)["content_hash"]


def test_a_copy_elsewhere_rechecks_the_notice_it_copies_and_no_other(tmp_path: Path) -> None:
    """A file's copies are a fact about other notices: the copied notice's cached result no longer
    holds, the unrelated one's does."""
    cfg = cfg_for(tmp_path)
    cfg.raw.mkdir()
    for n in NOTICES:
        shutil.copy(SAMPLES / f"{n}.txt", cfg.raw)
    run(cfg)
    shutil.copy(SAMPLES / f"{NOTICES[1]}.txt", cfg.raw / "copy-of-the-second.txt")
    again = run(cfg)
    assert sorted(again.validated) == sorted([NOTICES[1], "copy-of-the-second"])
    copies = next(r for r in again.validation["results"] if r["column"] == "sha256")
    assert copies["failing_notices"] == sorted([NOTICES[1], "copy-of-the-second"]) and copies["severity"] == "warning"


def rows_of(tables: dict, notice_id: str) -> dict:
    import pyarrow.compute as pc

    return {name: tables[name].filter(pc.equal(tables[name].column("notice_id"), notice_id)) for name in NOTICE_TABLES}


def test_a_held_back_notice_keeps_its_published_rows_in_the_file_a_new_neighbour_rewrites(tmp_path: Path) -> None:
    """A notice that fails a blocking check keeps its last published rows; when a new notice lands
    in the same file, that file is written from those rows and the newcomer's."""
    cfg = cfg_for(tmp_path)
    cfg.raw.mkdir()
    (cfg.raw / "good.txt").write_text(notice(GOOD_ROWS), encoding="utf-8")
    run(cfg)
    before = read_curated(cfg.curated)
    old_file = (cfg.curated / "measures" / part_name(bucket_of("good"))).resolve()
    (cfg.raw / "good.txt").write_text(notice([*GOOD_ROWS, "4\t月份有误。\t市政务服务办负责\t2026年13月"]), encoding="utf-8")  # a month that does not exist
    neighbour = next(f"neighbour-{i}" for i in range(10_000) if bucket_of(f"neighbour-{i}") == bucket_of("good"))
    shutil.copy(SAMPLES / f"{NOTICES[0]}.txt", cfg.raw / f"{neighbour}.txt")
    again = run(cfg)
    assert sorted(again.validated) == sorted(["good", neighbour]) and "good" in again.validation["held_back"]
    assert again.verdict == "published"
    new_file = (cfg.curated / "measures" / part_name(bucket_of("good"))).resolve()
    assert new_file != old_file and new_file.stat().st_ino != old_file.stat().st_ino  # written again, not linked
    assert set(pq.read_table(new_file).column("notice_id").to_pylist()) == {"good", neighbour}
    after = read_curated(cfg.curated)
    for name, table in rows_of(after, "good").items():
        assert table.equals(rows_of(before, "good")[name]), name  # the held-back notice's rows as published
    assert after["measures"].num_rows == before["measures"].num_rows + 98
