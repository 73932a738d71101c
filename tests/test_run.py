"""The job as the data team runs it: bad files, several forms of one notice, re-runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.run import Config, run
from pipeline.run.folder import NoticeFolder

from . import bad_inputs as bad
from .conftest import SAMPLES, read, tree_hash

PLAN = "tjftz-business-environment-2024"
TABLE = "tj-opening-measures-duty-table"


def cfg_for(tmp: Path, **kw: object) -> Config:
    return Config(raw=tmp / "raw", interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False, **kw)


def parquet_hash(curated: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for p in sorted(curated.glob("*/*.parquet")):
        h.update(str(p.relative_to(curated)).encode() + p.read_bytes())
    return h.hexdigest()


def test_a_broken_file_is_reported_and_the_others_are_published(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLES / f"{TABLE}.txt", raw)
    (raw / "scrambled.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    (raw / "readme.md").write_text("not a notice", encoding="utf-8")
    report = run(cfg_for(tmp_path))
    assert report.exit_code == 1 and report.verdict == "published"
    assert [(n.source_file, n.extraction) for n in report.notices] == [("scrambled.pdf", "failed"), (f"{TABLE}.txt", "parsed")]
    assert report.notices[0].error == "not a readable PDF (damaged or cut short)"
    assert any("scrambled.pdf" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert report.skipped_files == [{"file": "readme.md", "why": "not a notice format this pipeline reads: not read"}]
    assert {r["notice_id"] for r in read(tmp_path / "curated", "notices")} == {TABLE}
    html = (Path(report.report_dir) / "summary.html").read_text(encoding="utf-8")
    assert "scrambled.pdf" in html and "not a readable PDF" in html


def test_richest_form_is_read_and_the_others_recorded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for ext in ("txt", "docx", "pdf"):
        shutil.copy(SAMPLES / f"{TABLE}.{ext}", raw)
    caplog.set_level("INFO")
    report = run(cfg_for(tmp_path))
    assert report.exit_code == 0
    (row,) = read(tmp_path / "curated", "notices")
    assert (row["source_file"], row["source_format"], row["alternates"]) == (f"{TABLE}.docx", "docx", [f"{TABLE}.pdf", f"{TABLE}.txt"])
    alternates = [r.getMessage() for r in caplog.records if "also present in other forms" in r.getMessage()]
    assert alternates == [f"1 notice(s) also present in other forms: the preferred form is read ({TABLE}.docx over {TABLE}.pdf, {TABLE}.txt)"]


def test_reruns_are_incremental_and_idempotent(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in (f"{TABLE}.pdf", f"{PLAN}.txt"):
        shutil.copy(SAMPLES / name, raw)
    cfg = cfg_for(tmp_path)
    first = run(cfg)
    assert sorted(first.parsed) == [TABLE, PLAN] and first.verdict == "published"
    published = tree_hash(cfg.curated)

    again = run(cfg)  # nothing changed: nothing parsed, nothing re-validated, nothing published
    assert again.parsed == [] and {n.extraction for n in again.notices} == {"cached"}
    assert again.stages_run == ["extract"] and first.stages_run == ["extract", "outline", "structure", "normalize", "validate", "publish"]
    assert again.verdict == "unchanged" and again.exit_code == 0
    assert tree_hash(cfg.curated) == published

    (raw / f"{PLAN}.txt").unlink()  # a notice removed from raw/ leaves the next publish
    third = run(cfg)
    assert third.parsed == [] and third.verdict == "published"
    assert {r["notice_id"] for r in read(cfg.curated, "notices")} == {TABLE}
    assert not NoticeFolder.of(cfg.interim, PLAN).path.exists()

    shutil.copy(SAMPLES / f"{PLAN}.docx", raw)  # a new notice: only it is parsed and structured
    fourth = run(cfg)
    assert fourth.parsed == [PLAN]
    assert [n.notice_id for n in fourth.notices if n.restructured] == [PLAN]
    assert {r["notice_id"] for r in read(cfg.curated, "notices")} == {TABLE, PLAN}


def test_a_registry_change_renormalizes_without_reparsing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLES / f"{TABLE}.pdf", raw)
    expectations = tmp_path / "expectations"
    shutil.copytree(Path(__file__).parent.parent / "expectations", expectations)
    cfg = cfg_for(tmp_path, expectations=expectations)
    run(cfg)
    registry = expectations / "reference" / "departments.csv"
    with registry.open("a", encoding="utf-8") as fh:  # a body of the city's own comes before its standard department
        fh.write("天津市商务局（测试）,市商务局,天津市,government body\n")
    again = run(cfg)
    assert again.parsed == [] and again.verdict == "published"
    canon = {r["department"]: r["department_canonical"] for r in read(cfg.curated, "measure_departments")}
    assert canon["市商务局"] == "天津市商务局（测试）"


def test_a_notice_over_its_time_limit_is_stopped_and_the_rest_go_on(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    bad.dense_glyphs_pdf(raw, 100_000)  # seconds of layout however fast the machine
    shutil.copy(SAMPLES / f"{TABLE}.txt", raw)
    report = run(cfg_for(tmp_path, timeout=0.4, jobs=2))
    status = {n.notice_id: (n.extraction, n.error) for n in report.notices}
    assert status["dense-glyphs"] == ("failed", "reading it took longer than 0.4 s and was stopped")
    assert status[TABLE] == ("parsed", "")
    assert report.exit_code == 1 and {r["notice_id"] for r in read(tmp_path / "curated", "notices")} == {TABLE}


def test_a_killed_run_then_a_rerun_publishes_what_an_uninterrupted_run_does(tmp_path: Path) -> None:
    sources = [SAMPLES / f"{PLAN}.pdf", SAMPLES / f"{TABLE}.pdf"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    for base in (whole, killed):
        (base / "raw").mkdir(parents=True)
        for i in range(3):
            for src in sources:
                shutil.copy(src, base / "raw" / f"{src.stem}-{i}.pdf")
    assert run(cfg_for(whole)).exit_code == 0

    cmd = [sys.executable, "-m", "pipeline", "run", "-q", "--raw", str(killed / "raw"), "--interim", str(killed / "interim"),
           "--curated", str(killed / "curated"), "--reports", str(killed / "reports"), "--jobs", "2"]
    proc = subprocess.Popen(cmd, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list((killed / "interim").glob("*/*/extract.json")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group, workers too
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = len(list((killed / "interim").glob("*/*/extract.json")))
    assert 0 < done < 6 and not (killed / "curated").exists()

    report = run(cfg_for(killed))
    assert report.exit_code == 0 and 0 < len(report.parsed) < 6
    assert parquet_hash(killed / "curated") == parquet_hash(whole / "curated")


def test_stage_subcommands_leave_each_step_in_interim(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLES / f"{TABLE}.txt", raw)
    args = ["--raw", str(raw), "--interim", str(tmp_path / "interim"), "--curated", str(tmp_path / "curated"), "--reports", str(tmp_path / "reports")]
    folder = NoticeFolder.of(tmp_path / "interim", TABLE).path
    expect = {"extract": folder / "document.json", "outline": folder / "outline.json", "structure": folder / "measures.json",
              "normalize": folder / "tables" / "measures.arrow",
              "validate": tmp_path / "interim" / ".pipeline" / "run.json", "publish": tmp_path / "curated" / "_SUCCESS"}
    for stage, made in expect.items():
        res = subprocess.run([sys.executable, "-m", "pipeline", stage, *args], capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr
        assert made.exists(), stage
    assert len(read(tmp_path / "curated", "measures")) == 98
    res = subprocess.run([sys.executable, "-m", "pipeline", "extract", *args], capture_output=True, text=True, check=False)
    assert "no notice was parsed again" in res.stderr


def test_publish_refuses_tables_that_were_not_validated(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLES / f"{TABLE}.txt", raw)
    args = ["--raw", str(raw), "--interim", str(tmp_path / "interim"), "--curated", str(tmp_path / "curated"), "--reports", str(tmp_path / "reports")]

    def stage(name: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline", name, *args], capture_output=True, text=True, check=False)

    for name in ("extract", "outline", "structure", "normalize", "validate"):
        assert stage(name).returncode == 0
    # the candidate tables change after validation (another process wrote them): publish must refuse them
    import pyarrow as pa
    import pyarrow.ipc

    path = NoticeFolder.of(tmp_path / "interim", TABLE).path / "tables" / "measures.arrow"
    table = pa.ipc.open_file(pa.py_buffer(path.read_bytes())).read_all()
    texts = table.column("text").to_pylist()
    texts[0] = texts[0] + "（改）"
    with pa.ipc.new_file(str(path), table.schema) as w:
        w.write_table(table.set_column(table.schema.get_field_index("text"), table.schema.field("text"), pa.array(texts, pa.string())))
    res = stage("publish")
    assert res.returncode != 0 and "changed since they were validated" in res.stderr
    assert not (tmp_path / "curated").exists()


def test_a_worker_killed_from_outside_does_not_hang_the_stage(caplog: pytest.LogCaptureFixture) -> None:
    """Outline, structure and normalize run in forked workers; one that the kernel kills (the OOM
    killer) must not leave the run waiting for it: the notices it held are done in this process."""
    from pipeline.run.executor import LocalExecutor
    from pipeline.run.state import NoticeStatus

    parent = os.getpid()

    def step(st: NoticeStatus) -> tuple[str, list, object]:
        if st.notice_id == "n07" and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return f"done {st.notice_id}", [], os.getpid() == parent

    todo = [NoticeStatus(f"n{i:02d}", f"n{i:02d}.txt", "txt", "", []) for i in range(LocalExecutor.PARALLEL_FROM + 8)]
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the stage waited for a dead worker"))
    signal.alarm(60)
    try:
        got = [(d.item.notice_id, d.result, d.error) for d in LocalExecutor(2).map(step, todo)]
    finally:
        signal.alarm(0)
    assert [nid for nid, _, _ in got] == [st.notice_id for st in todo]
    assert all(out is not None and out[0] == f"done {nid}" and not error for nid, out, error in got)
    assert ("n07", True) in [(nid, out[2]) for nid, out, _ in got]  # done here, after the worker died
    assert "a worker process died" in caplog.text


def test_watch_runs_again_when_raw_or_the_wording_changes_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import json
    import queue
    import threading

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SAMPLES / f"{PLAN}.txt", raw)
    wording = tmp_path / "wording"
    shutil.copytree(Path(__file__).parent.parent / "pipeline" / "wording", wording, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    cfg = cfg_for(tmp_path)
    watcher = subprocess.Popen([sys.executable, "-m", "pipeline", "watch", "--interval", "0.2", "--no-progress", "--raw", str(raw),
                                "--interim", str(cfg.interim), "--curated", str(cfg.curated), "--reports", str(cfg.reports)],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               env={**os.environ, "GX_ANALYTICS_ENABLED": "False", "PIPELINE_WORDING": str(wording)})
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in watcher.stderr], daemon=True)  # type: ignore[union-attr]
    reader.start()

    def run_ends() -> tuple[int, list[str]]:
        """The next run's lines, up to the watcher's line saying it ended, and its exit code."""
        seen = []
        while True:
            line = lines.get(timeout=120)
            seen.append(line)
            if "watch: the run ended with exit code" in line:
                return int(line.split("exit code ")[1].split(";")[0]), seen

    def redone() -> dict[str, list[str]]:
        state = json.loads((cfg.interim / ".pipeline" / "run.json").read_text(encoding="utf-8"))
        return {n["notice_id"]: n["redone"] for n in state["notices"] if n["extraction"] == "cached"}

    try:
        assert run_ends()[0] == 0 and {r["notice_id"] for r in read(cfg.curated, "notices")} == {PLAN}
        shutil.copy(SAMPLES / f"{TABLE}.txt", raw)  # a new notice: read and published, the other's results kept
        code, said = run_ends()
        assert code == 0 and any(f"{TABLE}.txt changed: running again" in x for x in said)
        assert {r["notice_id"] for r in read(cfg.curated, "notices")} == {PLAN, TABLE} and redone() == {PLAN: []}
        with (wording / "traditional.toml").open("a", encoding="utf-8") as fh:  # a wording edit: read again by the next run
            fh.write("\n# edited by a test\n")
        code, said = run_ends()
        assert code == 0 and any("traditional.toml changed: running again" in x for x in said)
        assert redone() == {n: ["outline", "structure", "normalize", "tables"] for n in (PLAN, TABLE)}
        watcher.send_signal(signal.SIGINT)  # while it waits
        assert watcher.wait(timeout=30) == 0
        reader.join(timeout=10)
        assert "watch: stopped" in "".join(lines.get_nowait() for _ in range(lines.qsize()))
    finally:
        if watcher.poll() is None:
            watcher.kill()
