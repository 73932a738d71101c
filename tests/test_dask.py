"""The Dask executor against a real cluster: one LocalCluster of two single-thread worker
processes for the session, started as the README tells a user to start one (workers that may
fork, a task rerun once when its worker dies). Each run connects to it with --scheduler."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import dask
import distributed
import pytest

from pipeline.run import Config, RunReport, run
from pipeline.run.folder import NoticeFolder
from tests import bad_inputs as bad
from tests.conftest import SAMPLES, read, run_on

ROOT = Path(__file__).resolve().parent.parent
TXT = sorted(SAMPLES.glob("*.txt"))


@pytest.fixture(scope="session")
def scheduler() -> Iterator[str]:
    from pipeline.run.cluster import CONFIG

    with dask.config.set(CONFIG), distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def parquet(curated: Path) -> dict[str, bytes]:
    """The current version's Parquet files, by table and name."""
    return {str(p.relative_to(curated)): p.read_bytes() for p in sorted(curated.glob("*/*.parquet"))}


def validations(cfg: Config, report: RunReport) -> dict[str, str]:
    return {st.notice_id: (NoticeFolder.of(cfg.interim, st.notice_id).path / "validation.json").read_text(encoding="utf-8")
            for st in report.notices if st.extraction != "failed"}


def manifest(curated: Path) -> dict:
    return json.loads((curated / "_manifest.json").read_text(encoding="utf-8"))


def same_run(a: tuple[RunReport, Config], b: tuple[RunReport, Config]) -> None:
    """Byte-identical Parquet, the same manifest content hash, the same validation.json files and exit code."""
    (ra, ca), (rb, cb) = a, b
    assert ra.exit_code == rb.exit_code
    assert parquet(ca.curated) == parquet(cb.curated) != {}
    assert manifest(ca.curated)["content_hash"] == manifest(cb.curated)["content_hash"]
    assert validations(ca, ra) == validations(cb, rb)


def redone(report: RunReport) -> dict[str, tuple[str, list[str]]]:
    return {st.notice_id: (st.extraction, st.redone) for st in report.notices}


def test_a_dask_run_gives_the_local_run_s_tables(tmp_path: Path, scheduler: str, sample_runs: dict) -> None:
    dask_run = run_on(TXT, tmp_path / "dask", executor="dask", scheduler=scheduler)
    assert dask_run[0].exit_code == 0 and dask_run[0].stages_run == sample_runs["txt"][0].stages_run
    same_run(sample_runs["txt"], dask_run)


@pytest.mark.slow
def test_a_dask_run_after_a_local_run_redoes_nothing_and_the_reverse(tmp_path: Path, scheduler: str) -> None:
    local = run_on(TXT, tmp_path / "local")
    dask_run = run_on(TXT, tmp_path / "dask", executor="dask", scheduler=scheduler)
    same_run(local, dask_run)
    # a file that cannot be read makes each run go through every notice: the others redo nothing
    for cfg, executor in ((local[1], "dask"), (dask_run[1], "local")):
        (cfg.raw / "empty.txt").write_bytes(b"")
        cfg.executor, cfg.scheduler = executor, scheduler if executor == "dask" else ""
        again = run(cfg)
        assert again.exit_code == 1
        assert redone(again) == {**{p.stem: ("cached", []) for p in TXT}, "empty": ("failed", [])}
    same_run(local, dask_run)


@pytest.mark.slow
def test_chunks_checked_on_two_workers_give_the_local_run_s_files_and_one_data_docs_site(tmp_path: Path, scheduler: str,
                                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A notice a chunk: the two chunks are checked on the cluster's workers, each rendering its
    pages into the one Data Docs folder; the driver's index lists both runs' validations."""
    from pipeline.run import validating

    monkeypatch.setattr(validating, "CHUNK_NOTICES", 1)
    local = run_on(TXT, tmp_path / "local")
    dask_run = run_on(TXT, tmp_path / "dask", executor="dask", scheduler=scheduler)
    same_run(local, dask_run)
    for report, _ in (local, dask_run):
        docs = Path(report.report_dir) / "data_docs"
        runs = {p.parent.parent.name for p in docs.glob("validations/*/*/*/*.html")}
        assert runs == {report.run_id, f"{report.run_id}.2"}
        index = (docs / "index.html").read_text(encoding="utf-8")
        assert f"{report.run_id}.2" in index and "cover the 2 notice(s) checked in this run" in index
        assert sorted(p.name for p in (docs / "static").rglob("*") if p.is_file()) == ["data_docs.css", "favicon.ico", "logo-long.png"]


def test_a_worker_whose_code_differs_from_the_run_is_refused(tmp_path: Path, scheduler: str) -> None:
    """The run from a copy of the pipeline with one comment more: the workers' code is not the
    run's, so every cache key would differ; the run is refused before any notice is read."""
    code = tmp_path / "code"
    shutil.copytree(ROOT / "pipeline", code / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "expectations", code / "expectations")
    with (code / "pipeline" / "structure" / "measure.py").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited by a test\n")
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(TXT[0], raw)
    args = ["--raw", str(raw), "--interim", str(tmp_path / "interim"), "--curated", str(tmp_path / "curated"), "--reports",
            str(tmp_path / "reports"), "--executor", "dask", "--scheduler", scheduler, "--no-progress"]
    res = subprocess.run([sys.executable, "-m", "pipeline", "run", *args], capture_output=True, text=True, check=False, cwd=code,
                         env={**os.environ, "PYTHONPATH": str(code), "GX_ANALYTICS_ENABLED": "False"})
    assert res.returncode == 2, res.stderr
    assert "runs other code than this run" in res.stderr and "install the same pipeline, wording and libraries on every worker" in res.stderr
    assert not (tmp_path / "curated").exists()
    # the cluster's workers run this pipeline's notices again
    ok = run_on(TXT[:1], tmp_path / "after", executor="dask", scheduler=scheduler)[0]
    assert ok.exit_code == 0 and ok.notices[0].extraction == "parsed"


def test_a_cluster_with_no_worker_stops_the_run_instead_of_waiting_for_ever(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scheduler no worker ever joins (as when every worker dies while starting): the run stops
    once it has had none for NO_WORKERS_FOR seconds, with a line naming the scheduler (exit 2)."""
    from pipeline.errors import Refused
    from pipeline.run import cluster

    monkeypatch.setattr(cluster, "NO_WORKERS_FOR", 1.0)
    monkeypatch.setattr(cluster, "POLL", 0.2)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty, pytest.raises(Refused) as refused:
        run_on(TXT[:1], tmp_path, executor="dask", scheduler=empty.scheduler_address)
    said = str(refused.value)
    assert said.startswith("ERROR --scheduler: ") and f"the Dask scheduler {empty.scheduler_address} has had no worker for 1 s" in said
    assert not (tmp_path / "curated").exists()


def test_a_cluster_of_the_run_whose_workers_cannot_start_is_said_in_a_line(tmp_path: Path) -> None:
    """The run starts its own cluster and every worker dies while starting (here: a preload that
    does not import): one line naming the cause, exit 2, no traceback, nothing published."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(TXT[0], raw)
    args = ["--raw", str(raw), "--interim", str(tmp_path / "interim"), "--curated", str(tmp_path / "curated"), "--reports",
            str(tmp_path / "reports"), "--executor", "dask", "--jobs", "1", "--no-progress"]
    res = subprocess.run([sys.executable, "-m", "pipeline", "run", *args], capture_output=True, text=True, check=False, cwd=ROOT,
                         env={**os.environ, "GX_ANALYTICS_ENABLED": "False", "DASK_DISTRIBUTED__WORKER__PRELOAD": '["no_such_module_here"]'})
    assert res.returncode == 2, res.stderr
    said = [ln for ln in res.stderr.splitlines() if ln.startswith("ERROR --executor: ")]
    assert len(said) == 1 and "the run's Dask cluster could not start its workers" in said[0] and "no_such_module_here" in said[0], res.stderr
    assert "CRITICAL" not in res.stderr and "Traceback" not in res.stderr and "Port 8787" not in res.stderr
    assert not (tmp_path / "curated").exists()


@pytest.mark.slow
def test_the_executor_and_a_scheduler_file_come_from_the_settings_file(tmp_path: Path, scheduler: str) -> None:
    settings = tmp_path / "settings" / "notice-pipeline.toml"
    (tmp_path / "settings" / "cluster").mkdir(parents=True)
    (tmp_path / "settings" / "cluster" / "scheduler.json").write_text(json.dumps({"address": scheduler}), encoding="utf-8")
    settings.write_text('executor = "dask"\nscheduler = "cluster/scheduler.json"\nraw = "raw"\ninterim = "interim"\ncurated = "curated"\n',
                        encoding="utf-8")
    (tmp_path / "settings" / "raw").mkdir()
    shutil.copy(TXT[0], tmp_path / "settings" / "raw")
    res = subprocess.run([sys.executable, "-m", "pipeline", "run", "--config", str(settings), "--no-progress"], capture_output=True, text=True,
                         check=False, cwd=tmp_path, env={**os.environ, "GX_ANALYTICS_ENABLED": "False"})
    assert res.returncode == 0, res.stderr
    assert f"dask: 2 worker(s), 2 thread(s) at {scheduler}" in res.stderr
    assert [r["notice_id"] for r in read(tmp_path / "settings" / "curated", "notices")] == [TXT[0].stem]


class KillWorker(distributed.WorkerPlugin):
    """A test hook: the worker running `notice`'s task SIGKILLs itself a second into it, while it
    still holds the notice — once (when `once` is a path: the first worker to get there makes that
    file), or every time. A second in, as a notice would in the middle of its work, and after the
    nanny that restarted the worker is done starting it (one killed while starting stays dead)."""

    name = "test-kill-worker"

    def __init__(self, notice: str, once: str = "") -> None:
        self.notice, self.once = notice, once

    def setup(self, worker: distributed.Worker) -> None:
        self.worker = worker

    def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
        if finish == "executing" and isinstance(key, tuple) and len(key) > 1 and key[1] == self.notice:
            threading.Timer(1.0, self.kill, (key,)).start()

    def kill(self, key: object) -> None:
        task = self.worker.state.tasks.get(key)
        if task is None or task.state != "executing":
            return
        if self.once:
            try:
                os.close(os.open(self.once, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)


def slow_notice(raw: Path, name: str) -> None:
    """A notice whose extraction takes seconds (a PDF of 100,000 glyphs): a worker killed a
    second into it still holds it."""
    bad.dense_glyphs_pdf(raw, 100_000).rename(raw / f"{name}.pdf")


def corpus(raw: Path, n: int) -> list[Path]:
    """n notices: the samples as text and Word, under names of their own."""
    raw.mkdir(parents=True)
    out = []
    sources = sorted(SAMPLES.glob("*.txt")) + sorted(SAMPLES.glob("*.docx"))
    for i in range(n):
        src = sources[i % len(sources)]
        out.append(raw / f"n{i:02d}{src.suffix}")
        shutil.copy(src, out[-1])
    return out


@pytest.fixture
def killing(scheduler: str) -> Iterator[distributed.Client]:
    with distributed.Client(scheduler) as client:
        yield client
        client.unregister_worker_plugin(KillWorker.name)
        client.wait_for_workers(2, timeout=180)  # restarted by their nannies


@pytest.mark.slow
def test_a_worker_killed_while_it_holds_a_notice_loses_nothing(tmp_path: Path, scheduler: str, killing: distributed.Client) -> None:
    files = corpus(tmp_path / "files", 8)
    slow_notice(tmp_path / "files", "slow")
    files.append(tmp_path / "files" / "slow.pdf")
    local = run_on(files, tmp_path / "local")
    killing.register_plugin(KillWorker("slow", str(tmp_path / "killed-once")))
    dask_run = run_on(files, tmp_path / "dask", executor="dask", scheduler=scheduler)
    assert (tmp_path / "killed-once").exists()  # a worker did die holding it
    assert {st.notice_id: st.status for st in dask_run[0].notices} == {f.stem: "published" for f in files}
    same_run(local, dask_run)


@pytest.mark.slow
def test_a_notice_that_kills_its_worker_every_time_fails_alone(tmp_path: Path, scheduler: str, killing: distributed.Client) -> None:
    files = corpus(tmp_path / "files", 6)
    slow_notice(tmp_path / "files", "slow")
    killing.register_plugin(KillWorker("slow"))
    report, cfg = run_on([*files, tmp_path / "files" / "slow.pdf"], tmp_path / "dask", executor="dask", scheduler=scheduler)
    assert report.exit_code == 1
    failed = {st.notice_id: st.error for st in report.notices if st.extraction == "failed"}
    assert list(failed) == ["slow"] and failed["slow"].startswith("its worker process died each time it ran it")
    assert sorted(r["notice_id"] for r in read(cfg.curated, "notices")) == sorted(f.stem for f in files)


@pytest.mark.slow
def test_time_and_memory_limits_say_the_same_under_both_executors(tmp_path: Path, scheduler: str) -> None:
    """The limits count what the extraction itself takes (a cluster's worker, which it is forked
    from, is larger than this machine's run), and an overrun is said one way however it shows."""
    said = {}
    for executor in ("local", "dask"):
        raw = tmp_path / executor / "raw"
        raw.mkdir(parents=True)
        bad.dense_glyphs_pdf(raw, 100_000)
        shutil.copy(TXT[0], raw)
        kw = {"scheduler": scheduler} if executor == "dask" else {}
        said[executor] = [{st.notice_id: (st.extraction, st.error) for st in run(Config(
            raw=raw, interim=tmp_path / executor / f"i{i}", curated=tmp_path / executor / f"c{i}", reports=tmp_path / executor / f"r{i}",
            progress=False, executor=executor, **limits, **kw)).notices} for i, limits in enumerate(({"timeout": 0.4}, {"memory_mb": 40}))]
    assert said["local"] == said["dask"]
    assert said["local"] == [{"dense-glyphs": ("failed", "reading it took longer than 0.4 s and was stopped"), TXT[0].stem: ("parsed", "")},
                             {"dense-glyphs": ("failed", "reading it needed more than the 40 MB a notice may use (--memory-mb)"),
                              TXT[0].stem: ("parsed", "")}]
