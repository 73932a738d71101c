"""The command line as a scheduler, a data team and a log shipper use it (issue 27, items 2-4):
exit codes, settings from a file, the environment and options (under `make curated` too), a bad
setting refused in one line, per-command help, `plan`, `status`, `--select`, JSON log lines and the
closing line. Every case runs the real command in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.run.folder import NoticeFolder
from pipeline.settings import NAMES

from .conftest import NOTICES, SAMPLES
from .test_gate import THIRD
from .test_red_team_folders import HEAD, ROWS, files_under

ROOT = Path(__file__).parent.parent
CLOSING = re.compile(r"published (\d+) notices \((\d+) measures, (\d+) pairs\), held back (\d+), warnings (\d+) in [\d.]+ s")
MAKE_VARIABLES = ("RAW", "INTERIM", "CURATED", "REPORTS", "JOBS", "ARGS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")


def environment(**extra: str) -> dict[str, str]:
    """This environment without the pipeline's settings or make's variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTICE_PIPELINE_") and k not in MAKE_VARIABLES}
    return {**env, "GX_ANALYTICS_ENABLED": "False", **extra}


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, env=environment(**env), timeout=300)


def project(tmp: Path, **notices: str) -> Path:
    """A folder holding raw/ with the notices given (name -> text): the pipeline's defaults there."""
    (tmp / "raw").mkdir(parents=True)
    for name, text in notices.items():
        (tmp / "raw" / f"{name}.txt").write_text(text, encoding="utf-8")
    return tmp


def rows(curated: Path) -> dict[str, int]:
    return {t: pq.read_table(curated / t).num_rows for t in ("notices", "measures", "measure_departments")}


def closing(stderr: str) -> tuple[int, ...]:
    found = CLOSING.findall(stderr)
    assert len(found) == 1, stderr
    return tuple(map(int, found[0]))


def warnings_before_closing(stderr: str) -> int:
    lines = stderr.splitlines()
    end = next(i for i, ln in enumerate(lines) if CLOSING.search(ln))
    return sum(ln.startswith("WARNING") for ln in lines[:end])


# -- exit codes, the closing line, JSON log lines, status ---------------------------------------

def test_held_back_is_1_nothing_published_is_2_and_the_closing_line_counts_the_published_rows(tmp_path: Path) -> None:
    root = project(tmp_path, good=HEAD + ROWS, empty="")
    done = cli("run", "--log-format", "json", cwd=root)
    assert done.returncode == 1, done.stderr  # published, one notice held back
    records = [json.loads(line) for line in done.stderr.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "event", "notice", "message"} <= r.keys() for r in records)
    failed = [r for r in records if r["event"] == "extract.failed"]
    assert [(r["level"], r["notice"], r["file"]) for r in failed] == [("error", "empty", "empty.txt")]
    assert {r["notice"] for r in records if r["event"] == "notices.progress"} == {"good", "empty"}  # one task a notice: extract to normalize
    done_line = records[-1]
    assert done_line["event"] == "run.done" and done_line["level"] == "warning"
    published = rows(root / "curated")
    assert (done_line["published"], done_line["measures"], done_line["pairs"]) == (published["notices"], published["measures"],
                                                                                      published["measure_departments"]) == (1, 2, 3)
    assert done_line["held_back"] == 1 and done_line["exit_code"] == 1
    assert done_line["warnings"] == sum(r["level"] == "warning" for r in records[:-1])
    assert done_line["message"] == f"published 1 notices (2 measures, 3 pairs), held back 1, warnings {done_line['warnings']} in {done_line['seconds']:.1f} s"

    # status: the last run, the notice held back and why, what changed in raw/ since; nothing written
    before = files_under(root / "interim")
    (root / "raw" / "third.txt").write_text(THIRD, encoding="utf-8")
    status = cli("status", cwd=root)
    assert status.returncode == 0, status.stderr
    assert re.search(r"^last run   \S+ \(started .*\): published, exit code 1$", status.stdout, re.M), status.stdout
    assert "curated    curated -> version" in status.stdout and "1 notices, 2 measures, 3 pairs" in status.stdout
    assert "held back  1\n  empty: unreadable: the file is empty (0 bytes) (nothing of it is in curated/)\n" in status.stdout
    assert "raw/       since the last run: 1 added (third.txt)\n" in status.stdout
    assert files_under(root / "interim") == before
    (root / "raw" / "third.txt").unlink()

    # every notice fails: nothing is published, 2, and the closing line says so
    (root / "raw" / "good.txt").unlink()
    nothing = cli("run", cwd=root)
    assert nothing.returncode == 2, nothing.stderr
    assert closing(nothing.stderr) == (0, 0, 0, 1, warnings_before_closing(nothing.stderr))
    assert re.search(r"^ERROR   published 0 notices", nothing.stderr, re.M)
    assert rows(root / "curated") == published  # curated/ as it was


def json_of(*args: str, cwd: Path) -> dict:
    """One command's stdout, which must be one JSON document, and nothing on stderr."""
    done = cli(*args, "--format", "json", cwd=cwd)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return json.loads(done.stdout)


ZERO_STEPS = dict.fromkeys(("extract", "outline", "structure", "normalize", "rows", "checks"), 0)
THEN = "outline, structure, normalize, its rows and checks redone where the document read differs"


def test_plan_and_status_print_one_json_document_a_scheduler_reads(tmp_path: Path) -> None:
    """`plan --format json` and `status --format json` on the sample notices before a run, after
    it, and after raw/ changed: what a run would redo and why, the last run, what is held back and
    why, and the files of raw/ added, changed and removed — each value as the runs made it."""
    root = project(tmp_path)
    first, second = sorted(NOTICES)
    for name in NOTICES:
        shutil.copy(SAMPLES / f"{name}.txt", root / "raw" / f"{name}.txt")

    # before any run: everything new, nothing published, no run
    plan = json_of("plan", cwd=root)
    assert plan == {"command": "plan", "raw": "raw", "interim": "interim", "curated": "curated", "select": [], "notices": 2, "up_to_date": 0,
                    "redo": [{"notice_id": n, "source_file": f"{n}.txt", "steps": {"extract": "it is new"}, "then": THEN} for n in (first, second)],
                    "leave_curated": [], "steps": {**ZERO_STEPS, "extract": 2}, "nothing_changed": False, "publish": True,
                    "summary": "2 notice(s), 0 up to date; a run would redo: extract 2; then publish"}
    assert json_of("status", cwd=root) == {
        "command": "status", "interim": "interim", "last_run": None, "held_back": [], "held_back_as_of": None,
        "curated": {"path": "curated", "version": None, "run_id": None, "notices": 0, "measures": 0, "pairs": 0},
        "raw": {"path": "raw", "exists": True, "notices": 2, "added": None, "changed": None, "removed": None}}

    assert cli("run", cwd=root).returncode == 0
    published = rows(root / "curated")
    manifest = json.loads((root / "curated" / "_manifest.json").read_text(encoding="utf-8"))
    state = json.loads((root / "interim" / ".pipeline" / "run.json").read_text(encoding="utf-8"))
    plan = json_of("plan", cwd=root)
    assert (plan["redo"], plan["up_to_date"], plan["steps"], plan["nothing_changed"], plan["publish"]) == ([], 2, ZERO_STEPS, True, False)
    assert plan["summary"] == "2 notice(s): nothing changed since the last publish: a run would look at raw/ and stop"
    status = json_of("status", cwd=root)
    assert status["last_run"] == {"run_id": state["run_id"], "started": state["started"], "finished": True, "verdict": "published", "exit_code": 0,
                                  "notices": 2, "stages_run": ["extract", "outline", "structure", "normalize", "validate", "publish"],
                                  "select": [], "left_out": 0, "report": str(Path(state["report_dir"]) / "summary.html")}
    assert status["curated"] == {"path": "curated", "version": manifest["version"], "run_id": manifest["run_id"], "notices": published["notices"],
                                 "measures": published["measures"], "pairs": published["measure_departments"]}
    assert (status["held_back"], status["raw"]["added"], status["raw"]["changed"], status["raw"]["removed"]) == ([], [], [], [])

    # raw/ changes: a file added, one changed, one removed, and an empty one a run holds back
    (root / "raw" / "third.txt").write_text(THIRD, encoding="utf-8")
    (root / "raw" / f"{first}.txt").write_text((SAMPLES / f"{first}.txt").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (root / "raw" / f"{second}.txt").unlink()
    (root / "raw" / "empty.txt").write_text("", encoding="utf-8")
    status = json_of("status", cwd=root)
    assert status["raw"] == {"path": "raw", "exists": True, "notices": 3, "added": ["empty.txt", "third.txt"], "changed": [f"{first}.txt"],
                             "removed": [f"{second}.txt"]}
    plan = json_of("plan", cwd=root)
    assert [(r["notice_id"], r["steps"], r["then"]) for r in plan["redo"]] == sorted([  # in the order of the notices' ids
        ("empty", {"extract": "it is new"}, THEN), (first, {"extract": "its file changed"}, THEN), ("third", {"extract": "it is new"}, THEN)])
    assert plan["leave_curated"] == [{"notice_id": second, "why": "its file is no longer in raw"}]
    assert (plan["notices"], plan["up_to_date"], plan["steps"], plan["publish"]) == (3, 0, {**ZERO_STEPS, "extract": 3}, True)

    assert cli("run", cwd=root).returncode == 1  # the empty file is held back
    status = json_of("status", cwd=root)
    assert (status["last_run"]["verdict"], status["last_run"]["exit_code"], status["last_run"]["notices"]) == ("published", 1, 3)
    assert status["held_back"] == [{"notice_id": "empty", "why": ["unreadable: the file is empty (0 bytes)"], "curated_keeps": False}]
    assert status["curated"]["notices"] == rows(root / "curated")["notices"] == 2
    assert json_of("plan", "--select", "third", cwd=root)["select"] == ["third"]


def test_a_bug_exits_3_with_its_traceback_never_1(tmp_path: Path) -> None:
    """An exception the pipeline does not expect is a bug: 3 and the traceback as Python prints it
    (1 would tell a scheduler "published, some notices held back"). A run state of another shape
    than the pipeline writes is one such (valid JSON, a list)."""
    (tmp_path / "interim" / ".pipeline").mkdir(parents=True)
    (tmp_path / "interim" / ".pipeline" / "run.json").write_text("[1]", encoding="utf-8")
    done = cli("status", cwd=tmp_path)
    assert done.returncode == 3
    lines = done.stderr.splitlines()
    assert lines[0] == "CRITICAL the pipeline failed (a bug; please report it with this traceback)"
    assert lines[1] == "Traceback (most recent call last):" and lines[-1].startswith("TypeError: ")


# -- settings: refused in one line, with their source, key, value and what they must be ---------

MUST = {"jobs": "a whole number, 0 or more (0: one per core)", "timeout": "a number of seconds above 0"}


@pytest.mark.parametrize(("files", "args", "env", "line"), [
    ({"notice-pipeline.toml": 'jobs = "two"\n'}, [], {}, '{cwd}/notice-pipeline.toml: jobs must be ' + MUST["jobs"] + ', not "two"'),
    ({"pyproject.toml": "[tool.notice-pipeline]\ntimeout = 0\n"}, [], {}, "{cwd}/pyproject.toml: timeout must be " + MUST["timeout"] + ", not 0"),
    ({}, [], {"NOTICE_PIPELINE_JOBS": "two"}, "NOTICE_PIPELINE_JOBS: jobs must be " + MUST["jobs"] + ", not two"),
    ({}, ["--jobs", "2.5"], {}, "--jobs: jobs must be " + MUST["jobs"] + ", not 2.5"),
    ({}, ["--log-format", "xml"], {}, '--log-format: log_format must be "text" or "json", not xml'),
    ({"notice-pipeline.toml": "keep_version = 3\n"}, [], {},
     "{cwd}/notice-pipeline.toml: unknown setting(s) keep_version (did you mean keep_versions?); known: raw, interim, curated, reports, "
     "expectations, registry, jobs, timeout, memory_mb, strict, keep_versions, keep_reports, progress, log_format, executor, scheduler"),
    ({"notice-pipeline.toml": "jobs = 1\n", "pyproject.toml": "[tool.notice-pipeline]\njobs = 2\n"}, [], {},
     "pyproject.toml: holds settings and so does notice-pipeline.toml: keep them in one file (or name one with --config)"),
    ({}, ["--raw", "inbox"], {}, "inbox: the raw folder does not exist"),
    ({}, ["--select", "state:new"], {}, "--select: state:new is no selector; there are ids, shell patterns and state:modified"),
])
def test_a_bad_setting_is_refused_in_one_line_with_2(tmp_path: Path, files: dict[str, str], args: list[str], env: dict[str, str], line: str) -> None:
    root = project(tmp_path, good=HEAD + ROWS)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    done = cli("run", *args, cwd=root, **env)
    assert (done.returncode, done.stderr) == (2, f"ERROR {line.format(cwd=root)}\n")
    assert not (root / "interim").exists() and not (root / "curated").exists()


def test_a_refusal_is_a_json_line_too(tmp_path: Path) -> None:
    root = project(tmp_path, good=HEAD + ROWS)
    (root / "notice-pipeline.toml").write_text("strict = 1\n", encoding="utf-8")
    done = cli("run", "--log-format", "json", cwd=root)
    assert done.returncode == 2
    record = json.loads(done.stderr)
    assert (record["level"], record["event"], record["notice"], record["key"]) == ("error", "refused", None, str(root / "notice-pipeline.toml"))
    assert record["message"].endswith("strict must be true or false, not 1")


def test_an_environment_variable_that_names_no_setting_is_said_and_ignored(tmp_path: Path) -> None:
    """A variable of an older version (or a typo) in a scheduler's environment stops no run: a warning names it."""
    done = cli("config", "jobs", cwd=tmp_path, NOTICE_PIPELINE_JOB="2")
    assert (done.returncode, done.stdout) == (0, "0\n")
    assert done.stderr.startswith("WARNING NOTICE_PIPELINE_JOB names no setting (did you mean NOTICE_PIPELINE_JOBS?): ignored (known: raw, ")


# -- the README's settings file under `make curated`, with nothing set on make's command line ----

def readme_settings() -> str:
    return re.search(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)  # type: ignore[union-attr]


def test_the_readmes_settings_file_is_honoured_by_make_curated_and_shown_by_config(tmp_path: Path) -> None:
    """make runs in a folder of its own (the Makefile, the files its set-up depends on and this
    venv beside it); the README's example, copied into notice-pipeline.toml, decides every folder."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy2(ROOT / name, tmp_path / name)  # their times kept: the venv is up to date for them
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (tmp_path / "notice-pipeline.toml").write_text(readme_settings(), encoding="utf-8")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "good.txt").write_text(HEAD + ROWS, encoding="utf-8")
    shutil.copytree(ROOT / "expectations", tmp_path / "my-suites", ignore=shutil.ignore_patterns("reference"))
    shutil.copytree(ROOT / "expectations" / "reference", tmp_path / "my-registry")

    done = subprocess.run(["make", "curated"], cwd=tmp_path, capture_output=True, text=True, env=environment(), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"-m pipeline run\s*$", done.stdout, re.M) and "--" not in done.stdout  # no setting on the command line
    assert rows(tmp_path / "out" / "curated") == {"notices": 1, "measures": 2, "measure_departments": 3}
    assert closing(done.stderr)[:4] == (1, 2, 3, 0)
    assert (tmp_path / "out" / "reports" / "latest" / "summary.html").exists() and NoticeFolder.of(tmp_path / "interim", "good").path.is_dir()
    assert not (tmp_path / "raw").exists() and not (tmp_path / "curated").exists()

    shown = cli("config", cwd=tmp_path, NOTICE_PIPELINE_JOBS="1").stdout
    settings = str(tmp_path / "notice-pipeline.toml")
    assert re.search(rf'^raw += "{re.escape(str(tmp_path))}/inbox"  # {re.escape(settings)}$', shown, re.M), shown
    assert re.search(r"^jobs += 1  # NOTICE_PIPELINE_JOBS$", shown, re.M)  # the environment over the file
    sources = dict(re.findall(r"^(\w+) += .*  # (.*)$", shown, re.M))
    in_file = tomllib.loads(readme_settings())["tool"]["notice-pipeline"]
    assert sources == {**dict.fromkeys(NAMES, "default"), **dict.fromkeys(in_file, settings), "jobs": "NOTICE_PIPELINE_JOBS"}
    assert re.search(r"^jobs += 3  # --jobs$", cli("config", "--jobs", "3", cwd=tmp_path, NOTICE_PIPELINE_JOBS="1").stdout, re.M)
    assert cli("config", "registry", cwd=tmp_path).stdout == f"{tmp_path}/my-registry\n"

    # make clean empties the interim/ the settings name, and only it
    assert subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, env=environment()).returncode == 0
    assert [p.name for p in (tmp_path / "interim").iterdir()] == [".lock"] and (tmp_path / "inbox" / "good.txt").exists()


# -- help ---------------------------------------------------------------------------------------

def test_each_command_offers_its_own_options_with_what_they_do_and_help_lists_the_exit_codes() -> None:
    top = cli("--help", cwd=ROOT).stdout
    for command in ("run", "plan", "status", "config", "extract", "publish"):
        assert re.search(rf"^    {command} +\S", top, re.M), command
    assert "exit codes" in top and re.search(r"^  1  published, but notices were held back", top, re.M)
    extract = cli("extract", "--help", cwd=ROOT).stdout.split("\nexit codes")[0]  # its options, not the codes after them
    assert "--jobs N" in extract and "--timeout S" in extract and "--select" in extract
    assert "--strict" not in extract and "--keep-versions" not in extract
    publish = cli("publish", "--help", cwd=ROOT).stdout.split("\nexit codes")[0]
    assert "--strict, --no-strict" in publish and "--timeout" not in publish and "--select" not in publish
    for text in (extract, publish):  # every option says what it does
        options = re.findall(r"^  (-\S.*?)(?:  +(\S.*))?$", text, re.M)
        assert options and all(words or opt.startswith(("-s ", "--select")) for opt, words in options), options


PROBE = """
import json, sys
from pipeline.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in ("great_expectations", "pandas", "pyarrow", "pydantic") if m in sys.modules)))
"""


def test_help_imports_no_heavy_library_nor_pydantic() -> None:
    for args in (["--help"], ["run", "--help"]):
        done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=environment(), check=True)
        assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# -- plan, --select ------------------------------------------------------------------------------

def redone(root: Path) -> dict[str, list[str]]:
    state = json.loads((root / "interim" / ".pipeline" / "run.json").read_text(encoding="utf-8"))
    return {n["notice_id"]: (["extract"] if n["extraction"] == "parsed" else []) + n["redone"] for n in state["notices"]}


def planned(stdout: str) -> dict[str, list[str]]:
    """`plan`'s lines as notice -> the steps it names (the steps a run redoes, as run.json names them)."""
    names = {"rows": "tables"}
    out = {}
    for line in stdout.splitlines():
        nid, _, steps = line.partition("  ")
        if steps.strip() and re.match(r"^\s*(extract|outline|structure|normalize|rows|checks):", steps):
            out[nid.strip()] = [names.get(s, s) for s in re.findall(r"(?:^|; )(extract|outline|structure|normalize|rows): ", steps.strip())]
    return out


def test_plan_says_what_a_run_redoes_and_select_runs_only_the_notices_it_names(tmp_path: Path) -> None:
    root = project(tmp_path / "p", a=HEAD + ROWS, b=THIRD)
    assert cli("run", cwd=root).returncode == 0
    before = files_under(root / "interim")
    assert cli("plan", cwd=root).stdout == "2 notice(s): nothing changed since the last publish: a run would look at raw/ and stop\n"

    # a wording file edited: plan names it, and the run redoes exactly what plan said
    wording = tmp_path / "wording"
    shutil.copytree(ROOT / "pipeline" / "wording", wording, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    with (wording / "traditional.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited by a test\n")
    plan = cli("plan", cwd=root, PIPELINE_WORDING=str(wording))
    assert "a  outline: the wording it reads changed (traditional.toml); structure: outline is redone;" in plan.stdout, plan.stdout
    assert files_under(root / "interim") == before  # plan changes nothing
    assert cli("run", cwd=root, PIPELINE_WORDING=str(wording)).returncode == 0
    assert redone(root) == planned(plan.stdout) == {n: ["outline", "structure", "normalize", "tables"] for n in "ab"}

    # a's file changed: --select a publishes its new rows, and curated/ keeps b as it holds it
    b_rows = pq.read_table(root / "curated" / "measures", filters=[("notice_id", "=", "b")]).to_pylist()
    (root / "raw" / "a.txt").write_text(HEAD + ROWS + THIRD.splitlines()[-1].replace("1\t", "3\t", 1) + "\n", encoding="utf-8")
    shutil.copy(SAMPLES / f"{NOTICES[0]}.txt", root / "raw" / "c.txt")
    plan = cli("plan", "--select", "state:modified", cwd=root, PIPELINE_WORDING=str(wording)).stdout
    assert planned(plan) == {"a": ["extract"], "c": ["extract"]} and "a  extract: its file changed;" in plan and "c  extract: it is new;" in plan
    assert (cli("run", "--select", "nope", cwd=root).returncode, cli("plan", "--select", "z*", cwd=root).returncode) == (2, 2)
    done = cli("run", "--select", "a", cwd=root, PIPELINE_WORDING=str(wording))
    assert done.returncode == 0, done.stderr
    assert list(redone(root)) == ["a"]
    assert rows(root / "curated") == {"notices": 2, "measures": 4, "measure_departments": 5}  # a: 3 measures (4 pairs), b: 1
    assert pq.read_table(root / "curated" / "measures", filters=[("notice_id", "=", "b")]).to_pylist() == b_rows
    manifest = json.loads((root / "curated" / "_manifest.json").read_text(encoding="utf-8"))
    assert [(i["notice_id"], i["status"]) for i in manifest["inputs"]] == [("a", "published"), ("b", "published")]  # c is not in it
    # state:modified: c alone is new since the last publish
    done = cli("run", "--select", "state:modified", cwd=root, PIPELINE_WORDING=str(wording))
    assert done.returncode == 0 and list(redone(root)) == ["c"], done.stderr
    assert closing(done.stderr)[0] == 3
    nothing = cli("run", "--select", "state:modified", cwd=root, PIPELINE_WORDING=str(wording))
    assert nothing.returncode == 0 and "--select state:modified selects no notice: nothing to do" in nothing.stderr
