"""What leaves the pipeline, and what it says of its inputs, through the real command: text a
spreadsheet would run is neutralised in every CSV (issue 23: case 5)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.csvio import safe_cell, write_csv

RULE = "departments.expect_column_values_to_be_clean_department_names(department)"
# a table notice whose second row names "departments" a spreadsheet would run as formulas
FORMULAS = '=HYPERLINK("恶意")、@SUM(1+1)、+1+1、-1+2'
FORMULA_NOTICE = ("附件\n\n某市重点任务分工表\n\n序号\t主要任务\t责任单位\t完成时限\n"
                  f"1\t推进一网通办。\t市政务服务办\t2026年5月\n2\t优化窗口服务。\t{FORMULAS}\t2026年6月\n")
SMALL_TABLE = ("附件\n\n某区年度工作分工表\n\n序号\t主要任务\t责任单位\t完成时限\n"
               "1\t完善投诉渠道。\t区信访办负责\t2026年9月\n2\t建设数据平台。\t区数据局负责\t2026年10月\n")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def console(done_stderr: str) -> list[str]:
    return done_stderr.splitlines()


def published_notices(curated: Path) -> dict[str, dict]:
    return {r["notice_id"]: r for r in pq.read_table(curated / "notices").to_pylist()}


def assert_curated_matches_its_manifest(curated: Path) -> dict:
    """Every file of the version is in its manifest with its bytes' sha256 and its rows, and the
    notices table holds the sha256 the manifest gives each input."""
    manifest = json.loads((curated / "_manifest.json").read_text(encoding="utf-8"))
    listed = {f["file"]: f for f in manifest["published"]}
    files = {str(p.relative_to(curated)) for p in curated.rglob("*.parquet")}
    assert files == set(listed)
    for name, f in listed.items():
        assert sha256((curated / name).read_bytes()) == f["sha256"], name
        assert pq.read_metadata(curated / name).num_rows == f["rows"], name
    inputs = {i["file"]: i["sha256"] for i in manifest["inputs"]}
    for n in published_notices(curated).values():
        assert inputs[n["source_file"]] == n["sha256"], n["source_file"]
    return manifest


# --- case 5: formulas in department names ---------------------------------------------------

def test_every_csv_cell_that_a_spreadsheet_would_run_is_neutralised(tmp_path: Path) -> None:
    for cell in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(cell) == "'" + cell
    assert [safe_cell(c) for c in ("市商务局", "办公室（信息中心）", "a=b", "", 3, -1)] == ["市商务局", "办公室（信息中心）", "a=b", "", 3, -1]
    path = tmp_path / "x.csv"
    write_csv(path, ["a", "b"], [{"a": "\t=cmd|' /C calc'!A0", "b": 2}])
    with path.open(encoding="utf-8", newline="") as fh:
        assert list(csv.DictReader(fh)) == [{"a": "'\t=cmd|' /C calc'!A0", "b": "2"}]
