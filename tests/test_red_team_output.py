"""What leaves the pipeline, and what it says of its inputs, through the real command: text a
spreadsheet would run is neutralised in every CSV and held back by the clean-name check; a file
name whose bytes read two ways says so; the sha256 published is of the bytes the rows were read
from; and every entry of raw/ that is not read is listed with its path (issue 23: cases 5, 13,
16 and 20)."""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.csvio import safe_cell, write_csv
from pipeline.extract import shown_name
from pipeline.normalize.departments import department_name_problem
from pipeline.run import EXIT_HELD_BACK, EXIT_PUBLISHED, Config, run

from . import bad_inputs as bad
from .conftest import DATA, NOTICES, SAMPLES
from .test_bad_input import GOOD, ROOT, pipeline

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


@pytest.mark.parametrize(("name", "problem"), [
    ('=HYPERLINK（"恶意"）', "begins like a spreadsheet formula"), ("@SUM（1+1）", "begins like a spreadsheet formula"),
    ("+1+1", "begins like a spreadsheet formula"), ("-1+2", "begins like a spreadsheet formula"),
    ('"市商务局"）', 'holds ", which no department name holds'), ("市商务局(外事办)", "holds (, which no department name holds"),
    ("市商务局+市财政局", "holds +, which no department name holds"), ("市@局", "holds @, which no department name holds"),
    ("/市商务局", "holds /, which no department name holds"), ("市商务局/", "holds /, which no department name holds")])
def test_the_clean_name_check_rejects_characters_no_department_name_holds(name: str, problem: str) -> None:
    assert department_name_problem(name) == problem


def test_no_name_real_notices_write_is_made_unclean_by_those_characters() -> None:
    names = {"办公室（信息中心）", "市企联/企协", "省推进“三地一区”建设领导小组", '市“一站式"政务服务中心'}  # the last as real notices close quotes
    for path in glob.glob(str(DATA / "**" / "*.pairs.csv"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            names.update(r["department"] for r in csv.DictReader(fh))
    with (ROOT / "expectations" / "reference" / "departments.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            names.update([r["canonical"], *filter(None, r["aliases"].split("|"))])
    assert len(names) > 300
    flagged = {n: department_name_problem(n) for n in names}
    assert not {n: p for n, p in flagged.items() if p and ("which no department name holds" in p or "formula" in p)}


def test_formula_names_are_held_back_and_neutralised_in_the_csv(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(bad.TABLE_NOTICE, raw / f"{GOOD}.txt")
    (raw / "-formula.txt").write_text(FORMULA_NOTICE, encoding="utf-8")  # its name begins like a formula too
    done = pipeline(raw, tmp_path)
    assert done.returncode == EXIT_HELD_BACK, done.stderr
    lines = console(done.stderr)
    where = "-formula.txt:line 7 table 1 row 3 col 3"
    for value in ('=HYPERLINK（"恶意"）', "@SUM（1+1）", "+1+1", "-1+2"):
        assert f"ERROR   {RULE} | -formula | {where} | {value} | {FORMULAS}" in lines, value
    assert f"ERROR   held back -formula: {RULE} (nothing of it is in curated/)" in lines
    assert set(published_notices(tmp_path / "curated")) == {GOOD}
    assert_curated_matches_its_manifest(tmp_path / "curated")
    # the names are still offered for the registry, as text a spreadsheet shows and never runs
    with (tmp_path / "reports" / "latest" / "unknown_departments.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["canonical"]: r for r in csv.DictReader(fh)}
    assert rows["'=HYPERLINK(\"恶意\")"] == {"canonical": "'=HYPERLINK(\"恶意\")", "aliases": "'=HYPERLINK（\"恶意\"）", "jurisdiction": "",
                                             "kind": "", "count": "1", "notices": "1", "first_source": f"'{where}"}
    assert {"'@SUM(1+1)", "'+1+1", "'-1+2", "市政务服务办"} <= set(rows)
    assert rows["市政务服务办"]["first_source"] == "'-formula.txt:line 6 table 1 row 2 col 3"
    cells = [c for r in rows.values() for c in r.values()]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


# --- case 13: a file name whose bytes are UTF-8 and GBK -------------------------------------

GBK_TONGZHI = "通知.txt".encode("gbk")  # cd a8 d6 aa: valid UTF-8 too, as two combining marks
AS_UTF8 = "\u0368\u05aa"  # COMBINING LATIN SMALL LETTER C, HEBREW ACCENT YERAH BEN YOMO


def test_a_name_read_two_ways_is_reported_and_a_utf8_chinese_name_is_not() -> None:
    assert GBK_TONGZHI.decode("utf-8") == f"{AS_UTF8}.txt"
    assert shown_name(Path(os.fsdecode(GBK_TONGZHI))) == (f"{AS_UTF8}.txt", (
        f"its file name's bytes (cd a8 d6 aa 2e 74 78 74) read as UTF-8 give {AS_UTF8}.txt and as GB18030 (GBK) give 通知.txt: "
        "read as UTF-8; if the GBK name is the right one, rename the file"))
    # a UTF-8 Chinese name is valid GB18030 too (涓枃…), but only its UTF-8 reading is Chinese: no doubt
    assert shown_name(Path("中文名称通知.txt")) == ("中文名称通知.txt", "")
    assert shown_name(Path(os.fsdecode("关于印发通知.txt".encode("gbk")))) == ("关于印发通知.txt", "its file name is not UTF-8; read as GB18030 (GBK)")


def test_an_ambiguous_file_name_encoding_is_reported(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(bad.TABLE_NOTICE, raw / f"{GOOD}.txt")
    with open(os.path.join(os.fsencode(raw), GBK_TONGZHI), "wb") as fh:
        fh.write((SAMPLES / f"{NOTICES[1]}.txt").read_bytes())
    done = pipeline(raw, tmp_path)
    assert done.returncode == EXIT_PUBLISHED, done.stderr
    message = (f"WARNING {AS_UTF8}.txt: its file name's bytes (cd a8 d6 aa 2e 74 78 74) read as UTF-8 give {AS_UTF8}.txt and as GB18030 (GBK) give "
               "通知.txt: read as UTF-8; if the GBK name is the right one, rename the file")
    assert console(done.stderr).count(message) == 1
    notices = published_notices(tmp_path / "curated")
    assert set(notices) == {GOOD, AS_UTF8} and notices[AS_UTF8]["n_measures"] > 0
    assert_curated_matches_its_manifest(tmp_path / "curated")
    assert "give 通知.txt: read as UTF-8" in (tmp_path / "reports" / "latest" / "summary.html").read_text(encoding="utf-8")


# --- case 16: a raw file rewritten between hashing and reading ------------------------------

class RewriteOnceHashed(logging.Handler):
    """The hook: the extract stage logs how many notices it will parse once every raw file is
    hashed and before any is read; this rewrites one of them at that moment, as another
    process writing into raw/ would, and keeps the console's lines."""

    def __init__(self, path: Path, data: bytes) -> None:
        super().__init__(logging.INFO)
        self.path, self.data, self.lines, self.done = path, data, [], False

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.lines.append(f"{record.levelname:<7} {message}")
        if not self.done and re.fullmatch(r"\d+ notice\(s\) in .*: \d+ to parse, \d+ unchanged", message):
            self.path.write_bytes(self.data)
            self.done = True


def test_the_sha256_published_is_of_the_bytes_the_rows_were_read_from(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(bad.TABLE_NOTICE, raw / f"{GOOD}.txt")
    old, new = bad.TABLE_NOTICE.read_bytes(), SMALL_TABLE.encode("utf-8")
    (raw / "changing.txt").write_bytes(old)
    cfg = Config(raw=raw, interim=tmp_path / "interim", curated=tmp_path / "curated", reports=tmp_path / "reports", progress=False)
    log = logging.getLogger("pipeline")
    hook = RewriteOnceHashed(raw / "changing.txt", new)
    level = log.level
    log.setLevel(logging.INFO)
    log.addHandler(hook)
    try:
        report = run(cfg)
        assert hook.done  # the file was rewritten after it was hashed, before it was read
        assert report.exit_code == EXIT_PUBLISHED
        assert hook.lines.count(f"WARNING changing.txt: the file changed after the run found it (sha256 {sha256(old)[:12]}… then, "
                                f"{sha256(new)[:12]}… when read): its rows and the sha256 published are of the bytes read") == 1
        notices = published_notices(cfg.curated)
        assert set(notices) == {GOOD, "changing"}
        assert notices["changing"]["n_measures"] == 2  # the rows are the new bytes' …
        assert notices["changing"]["sha256"] == sha256(new)  # … and so is the sha256
        assert notices[GOOD]["sha256"] == sha256(old)
        assert_curated_matches_its_manifest(cfg.curated)
        # the extraction is kept for the bytes it read: the file still holds them, so nothing is parsed again, and no warning
        hook.lines.clear()
        again = run(cfg)
        assert again.parsed == [] and again.exit_code == EXIT_PUBLISHED
        assert not [ln for ln in hook.lines if "changed after" in ln]
    finally:
        log.removeHandler(hook)
        log.setLevel(level)


def test_the_sha256_published_is_of_the_form_read_when_the_preferred_one_cannot_be(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.docx").write_bytes(b"PK\x03\x04 not really a zip")
    shutil.copy(bad.TABLE_NOTICE, raw / "a.txt")
    report = run(Config(raw=raw, interim=tmp_path / "interim", curated=tmp_path / "curated", reports=tmp_path / "reports", progress=False))
    assert report.exit_code == EXIT_PUBLISHED
    notice = published_notices(tmp_path / "curated")["a"]
    assert (notice["source_file"], notice["sha256"]) == ("a.txt", sha256(bad.TABLE_NOTICE.read_bytes()))
    assert_curated_matches_its_manifest(tmp_path / "curated")


# --- case 20: every entry of raw/ accounted for ---------------------------------------------

SKIPPED = [(".DS_Store", "a hidden file: not read"), (".~lock.good.docx#", "a hidden file: not read"),
           ("linked/", "a symbolic link to a folder: not read (only the files directly in raw/ are)"),
           ("notes.md", "not a notice format this pipeline reads: not read"),
           ("sub/", "a folder: not read (only the files directly in raw/ are)")]


def test_every_entry_of_raw_that_is_not_read_is_listed_with_its_path(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    shutil.copy(bad.TABLE_NOTICE, raw / f"{GOOD}.txt")
    shutil.copy(SAMPLES / f"{NOTICES[1]}.txt", raw / "sub" / "inside.txt")
    (raw / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (raw / ".~lock.good.docx#").write_text(",someone,host,01.01.2026 09:00,file:///home/someone/.config/libreoffice/4;", encoding="utf-8")
    (raw / "notes.md").write_text("# what came in this week\n", encoding="utf-8")
    os.symlink("sub", raw / "linked")
    summary = [f"WARNING {len(SKIPPED)} entries of {raw} skipped, not read (path | why):",
               *(f"WARNING skipped | {path} | {why}" for path, why in SKIPPED)]
    for attempt in ("first", "nothing changed"):
        done = pipeline(raw, tmp_path)
        assert done.returncode == EXIT_PUBLISHED, done.stderr
        lines = console(done.stderr)
        for path, why in SKIPPED:  # once where raw/ is read …
            assert lines.count(f"WARNING {path}: {why}") == 1, (attempt, path)
        at = lines.index(summary[0])  # … and again at the end, with the others
        assert lines[at:at + len(summary)] == summary, attempt
        assert set(published_notices(tmp_path / "curated")) == {GOOD}
        assert_curated_matches_its_manifest(tmp_path / "curated")
    assert "nothing changed since the last publish" in done.stderr
    html = (tmp_path / "reports" / "latest" / "summary.html").read_text(encoding="utf-8")
    listed = re.findall(r"<tr><td><code>([^<]*)</code></td><td>([^<]*)</td></tr>", html[html.index('id="skipped"'):])
    assert listed == SKIPPED
