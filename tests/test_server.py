"""The warm server (`serve`): commands run in a fork of it give what they give in their own
process, exit with the same codes, take Ctrl-C, and a server answers only to the code it loaded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.bad_inputs import dense_glyphs_pdf
from tests.conftest import NOTICES, SAMPLES, assert_matches_gold

ROOT = Path(__file__).resolve().parent.parent


def _env(sockets: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NOTICE_PIPELINE_SERVER"}  # the suite switches it off elsewhere
    env["NOTICE_PIPELINE_SOCKETS"] = str(sockets)
    return env


def cli(env: dict[str, str], *args: str, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env, capture_output=True, text=True, **kw)


def served(env: dict[str, str]) -> int:
    out = cli(env, "serve", "--status")
    assert out.returncode == 0, out.stdout + out.stderr
    return int(out.stdout.split(": ")[1].split(" command")[0])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    sockets = tmp_path_factory.mktemp("sockets")
    env = _env(sockets)
    started = cli(env, "serve", "--detach", "--idle", "10")
    assert started.returncode == 0 and "server ready" in started.stdout, started.stdout + started.stderr
    assert (sockets.stat().st_mode & 0o777) == 0o700
    yield env
    cli(env, "serve", "--stop")


def _folders(tmp: Path, files: list[Path]) -> list[str]:
    raw = tmp / "raw"
    raw.mkdir(parents=True)
    for f in files:
        shutil.copy(f, raw)
    return ["--raw", str(raw), "--interim", str(tmp / "interim"), "--curated", str(tmp / "curated"), "--reports", str(tmp / "reports")]


def test_a_served_run_publishes_what_its_own_process_publishes(server: dict[str, str], tmp_path: Path) -> None:
    files = [SAMPLES / f"{n}.txt" for n in NOTICES]
    before = served(server)
    there = cli(server, "run", "--no-progress", *_folders(tmp_path / "served", files))
    assert served(server) == before + 1
    here = cli(server, "run", "--no-progress", "--no-server", *_folders(tmp_path / "own", files))
    assert served(server) == before + 1  # --no-server ran it in its own process
    assert there.returncode == here.returncode == 0, there.stderr + here.stderr
    assert "published version" in there.stderr and "2 notice(s) to check" in there.stderr  # the run's log, on the caller's stderr
    for n in NOTICES:
        assert_matches_gold(tmp_path / "served" / "curated", n)
    hashes = [json.loads((tmp_path / side / "curated" / "_manifest.json").read_text(encoding="utf-8"))["content_hash"] for side in ("served", "own")]
    assert hashes[0] == hashes[1]
    rows = duckdb.connect().execute(f"SELECT count(*), count(DISTINCT notice_id) FROM read_parquet('{tmp_path}/served/curated/measure_departments/*.parquet')").fetchone()
    assert rows == (569, 2)


def test_exit_codes_and_usage_errors_come_back_as_they_are(server: dict[str, str], tmp_path: Path) -> None:
    bad = cli(server, "run", "--no-such-option")
    assert bad.returncode == 2 and "unrecognized arguments: --no-such-option" in bad.stderr
    empty = cli(server, "run", "--no-progress", *_folders(tmp_path, []))
    own = cli(server, "run", "--no-progress", "--no-server", "--interim", str(tmp_path / "i2"), "--raw", str(tmp_path / "raw"),
              "--curated", str(tmp_path / "c2"), "--reports", str(tmp_path / "r2"))
    assert empty.returncode == own.returncode != 0
    listed = cli(server, "versions", "--curated", str(tmp_path / "curated"))
    assert listed.returncode == 0 and "no published versions" in listed.stdout  # stdout reaches the caller too


def test_ctrl_c_reaches_the_served_run(server: dict[str, str], tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    dense_glyphs_pdf(raw)  # seconds of layout: still running when Ctrl-C comes
    args = ["--raw", str(raw), "--interim", str(tmp_path / "interim"), "--curated", str(tmp_path / "curated"), "--reports", str(tmp_path / "r")]
    before = served(server)
    client = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--no-progress", "--jobs", "1", *args], cwd=ROOT, env=server,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "interim").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    client.send_signal(signal.SIGINT)
    _, err = client.communicate(timeout=60)
    assert client.returncode == -signal.SIGINT, err  # as a run in its own process ends on Ctrl-C
    assert "KeyboardInterrupt" in err
    assert served(server) == before + 1
    assert not (tmp_path / "curated").exists()


def test_a_client_that_dies_takes_its_run_with_it(server: dict[str, str], tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    dense_glyphs_pdf(raw)  # about 10 s of layout
    before = served(server)
    client = subprocess.Popen([sys.executable, "-m", "pipeline", "extract", "-q", "--no-progress", "--jobs", "1", "--raw", str(raw),
                               "--interim", str(tmp_path / "interim"), "--curated", str(tmp_path / "c"), "--reports", str(tmp_path / "r")],
                              cwd=ROOT, env=server, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    client.kill()
    client.wait()
    deadline = time.monotonic() + 4  # well before the layout would have ended
    while served(server) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served(server) == before + 1
    assert not (tmp_path / "interim" / "dense-glyphs" / "extract.json").exists()


def test_a_server_answers_only_to_the_code_it_loaded(tmp_path: Path) -> None:
    """A copy of the package with its code changed, or another wording in use, has another
    fingerprint, so its commands find no server: the one started before is never used for them."""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "pipeline", copy / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))

    def fp() -> str:
        return subprocess.run([sys.executable, "-c", "from pipeline.server import fingerprint; print(fingerprint())"], cwd=copy,
                              env={**os.environ, "PYTHONPATH": str(copy)}, capture_output=True, text=True, check=True).stdout.strip()

    first = fp()
    assert first == fp()
    code = copy / "pipeline" / "structure" / "anchors.py"
    code.write_text(code.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed_code = fp()
    assert changed_code != first
    team = tmp_path / "team-wording"  # a team's own wording ($PIPELINE_WORDING), one word added
    shutil.copytree(ROOT / "pipeline" / "wording", team, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    os.environ["PIPELINE_WORDING"] = str(team)
    try:
        same = fp()
        (team / "roles.toml").write_text((team / "roles.toml").read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        assert fp() != same
    finally:
        del os.environ["PIPELINE_WORDING"]


def test_a_server_folder_open_to_others_is_not_used(server: dict[str, str], tmp_path: Path) -> None:
    sockets = Path(server["NOTICE_PIPELINE_SOCKETS"])
    before = served(server)
    sockets.chmod(0o755)
    try:
        done = cli(server, "versions", "--curated", str(tmp_path / "curated"))
    finally:
        sockets.chmod(0o700)
    assert done.returncode == 0 and served(server) == before  # run in its own process


def test_an_idle_server_ends_and_leaves_no_socket(tmp_path: Path) -> None:
    env = _env(tmp_path / "sockets")
    assert cli(env, "serve", "--detach", "--idle", "0.02").returncode == 0  # 1.2 s
    assert list((tmp_path / "sockets").glob("*.sock"))
    deadline = time.monotonic() + 30
    while list((tmp_path / "sockets").glob("*.sock")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not list((tmp_path / "sockets").glob("*.sock"))
    assert cli(env, "serve", "--status").returncode == 1
    assert "stopped" in next((tmp_path / "sockets").glob("*.log")).read_text(encoding="utf-8")


def test_the_callers_limits_hold_in_the_served_run(server: dict[str, str], tmp_path: Path) -> None:
    """A caller limited to 1-byte files (ulimit -f): its run cannot write, served or not."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    env = {**server, "PYTHONDONTWRITEBYTECODE": "1"}
    before = served(server)
    ends = []
    for side, flags in (("served", []), ("own", ["--no-server"])):
        args = _folders(tmp_path / side, [SAMPLES / f"{NOTICES[0]}.txt"])
        done = subprocess.run([sys.executable, "-m", "pipeline", "run", "-q", *flags, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, preexec_fn=limit)
        ends.append((done.returncode, "cannot write: File too large" in done.stderr))
    assert ends == [(2, True), (2, True)]
    assert served(server) == before + 1


def test_a_stopped_server_lets_its_runs_end(tmp_path: Path) -> None:
    env = _env(tmp_path / "sockets")
    assert cli(env, "serve", "--detach").returncode == 0
    raw = tmp_path / "raw"
    raw.mkdir()
    dense_glyphs_pdf(raw, 100_000)  # a few seconds of layout
    client = subprocess.Popen([sys.executable, "-m", "pipeline", "extract", "-q", "--no-progress", "--jobs", "1", "--raw", str(raw),
                               "--interim", str(tmp_path / "interim"), "--curated", str(tmp_path / "c"), "--reports", str(tmp_path / "r")],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "interim").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cli(env, "serve", "--stop").returncode == 0
    time.sleep(0.5)
    assert not list((tmp_path / "sockets").glob("*.sock"))  # no new command goes to it
    _, err = client.communicate(timeout=60)
    assert client.returncode == 0, err  # the run under way ended and said so
    assert (tmp_path / "interim" / "dense-glyphs" / "extract.json").exists()
