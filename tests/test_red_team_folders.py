"""The pipeline's folders, locks, gate and usage errors, tried as a careless or hostile user would
(issue 23, cases 1-4, 15 and 17-19). Each case runs the real command in a subprocess and checks
the exact message, the exit code, that the good notices are published and that `curated` matches
its manifest, file by file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.lock import exclusive
from pipeline.publish import current_manifest
from pipeline.run import EXIT_NOTHING, EXIT_PUBLISHED, Config, run, run_stage
from pipeline.run.folder import NoticeFolder

from .conftest import NOTICES, SAMPLES

ROOT = Path(__file__).parent.parent
HEAD = "附件\n\n某市重点任务分工表\n\n序号\t工作任务\t责任单位\t完成时限\n一、优化服务\t\t\t\n"
ROWS = "1\t推进一网通办。\t市政务服务办负责\t2026年5月\n2\t优化窗口服务。\t市政务服务办、市数据局按职责分工负责\t2026年6月\n"


def small_notice(title: str) -> str:
    """A two-measure responsibility table: quick to read, check and publish."""
    return HEAD.replace("某市重点任务分工表", title) + ROWS


def cli(*args: str, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "GX_ANALYTICS_ENABLED": "False"}, **kw)


def folders(cfg: Config) -> list[str]:
    return ["--raw", str(cfg.raw), "--interim", str(cfg.interim), "--curated", str(cfg.curated), "--reports", str(cfg.reports), "--no-progress"]


def config(tmp: Path, **notices: str) -> Config:
    """Folders side by side under tmp, raw/ holding the notices given (name -> text)."""
    cfg = Config(raw=tmp / "raw", interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False)
    cfg.raw.mkdir(parents=True)
    for name, text in notices.items():
        (cfg.raw / f"{name}.txt").write_text(text, encoding="utf-8")
    return cfg


def files_under(folder: Path) -> dict[str, str]:
    """Every file under folder (links not followed) with the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def assert_published(curated: Path, notices: set[str]) -> dict:
    """`curated` holds exactly these notices, and every file of it is the one its manifest names."""
    manifest = current_manifest(curated)
    assert manifest is not None, f"{curated} holds no complete version"
    assert set(pq.read_table(curated / "notices").column("notice_id").to_pylist()) == notices
    listed = {f["file"]: f["sha256"] for f in manifest["published"]}
    assert {k: v for k, v in files_under(curated.resolve()).items() if k.endswith(".parquet")} == listed
    return manifest


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """One good notice published, beside the user's own files in raw/ (a sub-folder, a hidden
    file) that the pipeline does not read; the refusals below must leave all of it as it is."""
    cfg = config(tmp_path_factory.mktemp("published"), good=small_notice("某市重点任务分工表"))
    (cfg.raw / "archive" / "2023").mkdir(parents=True)
    (cfg.raw / "archive" / "2023" / "old.txt").write_text(small_notice("某区年度工作分工表"), encoding="utf-8")
    (cfg.raw / ".notes").write_text("who sent what", encoding="utf-8")
    assert run(cfg).exit_code == EXIT_PUBLISHED
    return cfg


# -- case 1: the pipeline's folders lie apart ------------------------------------------------------

@pytest.mark.parametrize(("option", "where", "message"), [
    ("--interim", "raw", "ERROR {raw}: the interim folder is the raw folder {raw}"),
    ("--interim", "parent of raw", "ERROR {top}: the interim folder holds the raw folder {raw}"),
    ("--reports", "inside raw", "ERROR {raw}/reports: the reports folder is inside the raw folder {raw}"),
    ("--curated", "inside interim", "ERROR {interim}/curated: the curated folder is inside the interim folder {interim}"),
])
def test_folders_that_meet_are_refused_and_every_file_of_the_user_stays(published: Config, option: str, where: str, message: str) -> None:
    top = published.raw.parent
    path = {"raw": published.raw, "parent of raw": top, "inside raw": published.raw / "reports",
            "inside interim": published.interim / "curated"}[where]
    before = files_under(top)
    done = cli("run", *folders(published), option, str(path))
    line = message.format(raw=published.raw, top=top, interim=published.interim)
    assert (done.returncode, done.stderr) == (EXIT_NOTHING, f"{line}; raw, interim, curated and reports must be separate folders, none inside another\n")
    assert files_under(top) == before  # nothing deleted, nothing made: the user's folders and the pipeline's
    assert_published(published.curated, {"good"})


# -- case 15: settings no run may take ------------------------------------------------------------

@pytest.mark.parametrize(("option", "value", "message"), [
    ("--jobs", "-1", "ERROR --jobs: jobs must be a whole number, 0 or more (0: one per core), not -1"),
    ("--timeout", "0", "ERROR --timeout: timeout must be a number of seconds above 0, not 0"),
    ("--timeout", "-5", "ERROR --timeout: timeout must be a number of seconds above 0, not -5"),
    ("--memory-mb", "0", "ERROR --memory-mb: memory_mb must be a whole number of MB above 0, not 0"),
    ("--memory-mb", "-1", "ERROR --memory-mb: memory_mb must be a whole number of MB above 0, not -1"),
])
def test_a_setting_no_run_may_take_is_refused_with_its_option(published: Config, option: str, value: str, message: str) -> None:
    before = files_under(published.interim)
    done = cli("run", *folders(published), option, value, timeout=60)  # --jobs -1 used to wait for ever
    assert (done.returncode, done.stderr) == (EXIT_NOTHING, message + "\n")
    assert_published(published.curated, {"good"})
    assert files_under(published.interim) == before


@pytest.mark.parametrize(("line", "message"), [
    ("jobs = -1", "jobs must be a whole number, 0 or more (0: one per core), not -1"),
    ("timeout = 0", "timeout must be a number of seconds above 0, not 0"),
    ("timeout = -0.5", "timeout must be a number of seconds above 0, not -0.5"),
    ("memory_mb = 0", "memory_mb must be a whole number of MB above 0, not 0"),
    ('jobs = "2"', 'jobs must be a whole number, 0 or more (0: one per core), not "2"'),
    ("strict = 1", "strict must be true or false, not 1"),
    ('executor = "ray"', 'executor must be "local" or "dask", not "ray"'),
])
def test_a_setting_no_run_may_take_is_refused_with_its_file(published: Config, tmp_path: Path, line: str, message: str) -> None:
    settings = tmp_path / "notice-pipeline.toml"
    settings.write_text(line + "\n", encoding="utf-8")
    done = cli("run", "--config", str(settings), *folders(published), timeout=60)
    assert (done.returncode, done.stderr) == (EXIT_NOTHING, f"ERROR {settings}: {message}\n")
    assert_published(published.curated, {"good"})


# -- case 17: refusals are usage errors (2), never "published, some held back" (1) ----------------

def test_interim_in_use_by_another_run_is_refused_with_2(published: Config) -> None:
    with exclusive(published.interim, "interim/", "run"):  # the lock a run holds, taken here as a run would
        done = cli("run", *folders(published))
    assert done.returncode == EXIT_NOTHING
    assert done.stderr == (f"ERROR {published.interim}: interim/ is in use by run pid {os.getpid()} started "
                           f"{(published.interim / '.lock').read_text().split(' started ')[1]}; wait for it to finish, or use another folder\n")
    assert_published(published.curated, {"good"})


def test_publish_before_extract_is_refused_with_2(published: Config, tmp_path: Path) -> None:
    done = cli("publish", *folders(published), "--interim", str(tmp_path / "fresh"))
    state = tmp_path / "fresh" / ".pipeline" / "run.json"
    assert (done.returncode, done.stderr) == (EXIT_NOTHING, f"ERROR {state}: not found: run `python -m pipeline extract` first\n")
    assert_published(published.curated, {"good"})


def test_a_missing_raw_folder_is_refused_with_2(published: Config, tmp_path: Path) -> None:
    done = cli("run", *folders(published), "--raw", str(tmp_path / "no-such-raw"))
    assert (done.returncode, done.stderr) == (EXIT_NOTHING, f"ERROR {tmp_path / 'no-such-raw'}: the raw folder does not exist\n")
    assert_published(published.curated, {"good"})


# -- case 2: no raw file can take a state file's name -----------------------------------------------

def test_raw_files_named_like_state_files_are_ordinary_notices(tmp_path: Path) -> None:
    cfg = config(tmp_path, good=small_notice("某市重点任务分工表"), _candidate=small_notice("某区年度工作分工表"))
    (cfg.raw / "_published.json.txt").write_text(small_notice("某县专项行动分工表"), encoding="utf-8")
    shutil.copy(SAMPLES / f"{NOTICES[0]}.docx", cfg.raw / "_run.json.docx")
    shutil.copy(SAMPLES / f"{NOTICES[1]}.pdf", cfg.raw / "_hashes.json.pdf")
    first = cli("run", *folders(cfg))
    assert first.returncode == EXIT_PUBLISHED, first.stderr
    assert "ERROR" not in first.stderr and "Traceback" not in first.stderr
    assert_published(cfg.curated, {"good", "_candidate", "_published.json", "_run.json", "_hashes.json"})
    again = cli("run", *folders(cfg))  # the state written by the first run reads back
    assert again.returncode == EXIT_PUBLISHED and "nothing changed since the last publish" in again.stderr, again.stderr


def test_state_of_the_layout_before_moves_and_pruning_removes_only_the_folders_the_pipeline_made(tmp_path: Path) -> None:
    cfg = config(tmp_path, good=small_notice("某市重点任务分工表"), gone=small_notice("某区年度工作分工表"))
    assert run(cfg).exit_code == EXIT_PUBLISHED
    state = cfg.interim / ".pipeline"
    old = {"_run.json": "run.json", "_hashes.json": "hashes.json", "_published.json": "published.json", "_candidate/index.json": "candidate.json"}
    (cfg.interim / "_candidate").mkdir()
    for before, now in old.items():  # interim/ as the layout before .pipeline/ left it
        (state / now).rename(cfg.interim / before)
    shutil.rmtree(state)
    for nid in ("good", "gone"):  # and notice folders at interim/<id>/, before they were sharded
        NoticeFolder.of(cfg.interim, nid).path.rename(cfg.interim / nid)
    (cfg.interim / "mine").mkdir()  # a folder the pipeline did not make
    (cfg.interim / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    moved = cli("run", *folders(cfg))
    assert moved.returncode == EXIT_PUBLISHED and "nothing changed since the last publish" in moved.stderr, moved.stderr
    assert sorted(p.name for p in state.iterdir()) == ["candidate.json", "hashes.json", "notices.json", "published.json", "run.json", "sharded"]
    assert not [p for p in cfg.interim.iterdir() if p.name.startswith("_")]
    assert json.loads((state / "notices.json").read_text(encoding="utf-8")) == ["gone", "good"]
    assert not (cfg.interim / "good").exists() and (NoticeFolder.of(cfg.interim, "good").path / "extract.json").is_file()
    (cfg.raw / "gone.txt").unlink()
    pruned = cli("run", *folders(cfg))
    assert pruned.returncode == EXIT_PUBLISHED, pruned.stderr
    assert sorted(p.name for p in cfg.interim.iterdir() if p.name in (".lock", ".pipeline", "good", "gone", "mine")) == [".lock", ".pipeline", "mine"]
    assert NoticeFolder.of(cfg.interim, "good").path.is_dir() and not NoticeFolder.of(cfg.interim, "gone").path.exists()
    assert (cfg.interim / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert_published(cfg.curated, {"good"})


# -- case 3: one lock for run, publish and rollback ------------------------------------------------

def holds_lock(pid: int, lock: Path) -> bool:
    """Whether process `pid` holds the flock on `lock` (read from /proc/locks: looking takes no lock)."""
    inode = lock.stat().st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        f = line.split()
        if len(f) >= 6 and f[1] == "FLOCK" and f[4] == str(pid) and f[5].rsplit(":", 1)[-1] == str(inode):
            return True
    return False


def test_a_rollback_while_a_publish_holds_curated_is_refused(tmp_path: Path) -> None:
    cfg = config(tmp_path, good=small_notice("某市重点任务分工表"))
    assert run(cfg).exit_code == EXIT_PUBLISHED  # version 1
    (cfg.raw / "two.txt").write_text(small_notice("某区年度工作分工表"), encoding="utf-8")
    for stage in ("extract", "outline", "structure", "normalize", "validate"):
        run_stage(cfg, stage)
    lock = tmp_path / "curated.versions" / ".lock"
    publish = subprocess.Popen([sys.executable, "-m", "pipeline", "publish", *folders(cfg)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        holder = f"publish pid {publish.pid} started "
        # stopped while it holds the lock and has signed it: the rollback comes in the middle of the publish
        while not (holds_lock(publish.pid, lock) and lock.read_text().startswith(holder)):
            assert publish.poll() is None and time.monotonic() < deadline, "the publish ended without being seen holding curated's lock"
            time.sleep(0.002)  # it holds the lock for about half a second
        publish.send_signal(signal.SIGSTOP)
        assert holds_lock(publish.pid, lock)
        refused = cli("rollback", "--curated", str(cfg.curated))
    finally:
        publish.send_signal(signal.SIGCONT)
    _, err = publish.communicate(timeout=120)
    started = lock.read_text().split(" started ")[1]
    assert (refused.returncode, refused.stderr) == (
        EXIT_NOTHING, f"ERROR {cfg.curated}: curated is in use by publish pid {publish.pid} started {started}; wait for it to finish, or use another folder\n")
    assert publish.returncode == EXIT_PUBLISHED, err
    assert_published(cfg.curated, {"good", "two"})
    back = cli("rollback", "--curated", str(cfg.curated))  # once the publish is over, the rollback goes through
    assert back.returncode == 0, back.stderr
    assert_published(cfg.curated, {"good"})


# -- case 4: the gate cannot be stepped around ------------------------------------------------------

def test_publish_refuses_tables_not_validated_as_they_are_or_with_another_registry(tmp_path: Path) -> None:
    cfg = config(tmp_path / "run", good=small_notice("某市重点任务分工表"))
    other = tmp_path / "other-registry"  # resolves a name the notice writes (its rows change), and validate blocks it: two canonical names
    shutil.copytree(ROOT / "expectations" / "reference", other)
    with (other / "departments.csv").open("a", encoding="utf-8") as fh:
        fh.write("某市数据局,市数据局,,government body\n另一数据局,市数据局,,government body\n")
    assert run(cfg).exit_code == EXIT_PUBLISHED
    published = assert_published(cfg.curated, {"good"})
    # a run that finds nothing changed, then the candidate tables made again with the other registry
    assert run(cfg).verdict == "unchanged"
    run_stage(Config(**{**vars(cfg), "registry": other}), "normalize")
    done = cli("publish", *folders(cfg), "--registry", str(other))
    assert (done.returncode, done.stderr) == (
        EXIT_NOTHING, f"ERROR {cfg.interim}: the candidate tables changed since they were validated: run `python -m pipeline validate` again\n")
    assert assert_published(cfg.curated, {"good"}) == published
    # the tables validated, then published with another registry than the one they were checked with
    assert run(cfg).verdict == "unchanged"
    run_stage(cfg, "normalize")
    done = cli("publish", *folders(cfg), "--registry", str(other))
    assert (done.returncode, done.stderr) == (
        EXIT_NOTHING, f"ERROR {other}: the candidate tables were validated with another registry: "
                      "run `python -m pipeline normalize` and `validate` with this one first\n")
    assert assert_published(cfg.curated, {"good"}) == published
    # with the registry they were validated with, they go through (curated already holds them)
    done = cli("publish", *folders(cfg))
    assert done.returncode == EXIT_PUBLISHED and "curated/ already holds exactly these tables" in done.stderr, done.stderr
    assert assert_published(cfg.curated, {"good"}) == published


# -- case 18: reports/ cannot be written ------------------------------------------------------------

def test_a_reports_folder_that_cannot_be_written_is_named_and_the_tables_are_published_all_the_same(tmp_path: Path) -> None:
    """Every write under reports/ fails, as on a full disk: its parent is a file (ENOTDIR), which
    needs no privilege and fails the same on every machine."""
    cfg = config(tmp_path, good=small_notice("某市重点任务分工表"))
    (tmp_path / "full").write_text("a file where reports/ would go", encoding="utf-8")
    cfg.reports = tmp_path / "full" / "reports"
    done = cli("run", *folders(cfg))
    run_id = json.loads((cfg.interim / ".pipeline" / "run.json").read_text(encoding="utf-8"))["run_id"]
    assert done.returncode == EXIT_PUBLISHED, done.stderr
    assert [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR")] == [
        f"ERROR   {cfg.reports / run_id}: cannot write the run report: Not a directory; reports/latest removed"]
    assert_published(cfg.curated, {"good"})
    again = cli("run", *folders(cfg))  # nothing changed: the run is only added to the runs index, which cannot be written either
    assert again.returncode == EXIT_PUBLISHED, again.stderr
    assert [ln for ln in again.stderr.splitlines() if ln.startswith("ERROR")] == [
        f"ERROR   {cfg.reports}: cannot add the run to the runs index: Not a directory"]
    assert_published(cfg.curated, {"good"})


# -- case 19: a kill right after the link switch ------------------------------------------------------

def test_a_run_killed_right_after_the_switch_leaves_its_report_whole_and_the_next_run_indexes_it(tmp_path: Path) -> None:
    cfg = config(tmp_path, good=small_notice("某市重点任务分工表"))
    assert run(cfg).exit_code == EXIT_PUBLISHED
    for attempt in range(3):  # a run that ends before it is seen switching is not the case: again, with another notice
        before = os.readlink(cfg.curated)
        (cfg.raw / f"new{attempt}.txt").write_text(small_notice(f"某区第{attempt + 1}号工作分工表"), encoding="utf-8")
        killed = subprocess.Popen([sys.executable, "-m", "pipeline", "run", *folders(cfg)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        while killed.poll() is None and os.readlink(cfg.curated) == before:
            time.sleep(0.0002)
        killed.send_signal(signal.SIGKILL)  # the moment curated points at the new version
        if killed.wait() == -signal.SIGKILL:
            break
    assert killed.returncode == -signal.SIGKILL
    new = {"good", *(f"new{i}" for i in range(attempt + 1))}
    run_id = assert_published(cfg.curated, new)["run_id"]
    # the report of the version now current was written whole before the switch (staged, or already in place)
    assert (cfg.reports / f".staging-{run_id}" / "summary.html").exists() or (cfg.reports / run_id / "summary.html").exists()
    after = cli("run", *folders(cfg))
    assert after.returncode == EXIT_PUBLISHED, after.stderr
    assert "curated/ already holds exactly these tables" in after.stderr
    assert (cfg.reports / run_id / "summary.html").exists() and not (cfg.reports / f".staging-{run_id}").exists()
    docs = json.loads((cfg.reports / run_id / "validation.json").read_text(encoding="utf-8"))["data_docs"]
    assert docs == str(cfg.reports / run_id / "data_docs" / "index.html") and Path(docs).exists()  # moved in from interim/
    index = [json.loads(ln) for ln in (cfg.reports / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [x["run_id"] for x in index].count(run_id) == 1
    assert next(x for x in index if x["run_id"] == run_id)["verdict"] == "published"
    assert f'href="{run_id}/summary.html"' in (cfg.reports / "index.html").read_text(encoding="utf-8")
    assert_published(cfg.curated, new)
