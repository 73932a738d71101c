"""A small run's cost: the CPU of `python -m pipeline run` on the two sample notices as text,
from an empty interim/, again with nothing changed, and again after a wording edit (a comment
added to traditional.toml, which outline, structure and normalize read: both notices are
structured, normalized and checked again); of `python -m pipeline validate` after a suite edit
(a blank line added to a suite file: both notices are checked again, and nothing else is done —
what checking the samples costs, Data Docs included); of `--help`; of the same wording edit's re-run inside
`watch` (this commit only); and the CPU the two notices' own work takes (extract, outline,
structure, normalize) in a warm process, which is what the first figure would be without the
fixed cost of starting, importing and reporting.

    python bench/bench_small.py [--rounds N] [--against REF] [--json FILE]

Each figure is the command's CPU, its children's included (user + system), the median of
`--rounds` rounds. `--against REF` measures the pipeline as it was at that git commit too, from
an export of it (`git archive`) run by the same interpreter and libraries; the two sides
alternate within each round, so the machine's noise (up to half from one hour to the next here)
hits both alike and the figures compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "tests" / "data" / "samples").glob("*.txt"))


def env_for(source: Path, wording: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(source), "GX_ANALYTICS_ENABLED": "False", "PIPELINE_WORDING": str(wording),
            "NOTICE_PIPELINE_SERVER": "off"}  # a commit from before the warm server's removal runs in its own process too


def command(source: Path, wording: Path, *args: str) -> float:
    """CPU of one `python -m pipeline …` with `source` first on the path, children included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "pipeline", *args], check=False, cwd=source, capture_output=True, env=env_for(source, wording))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def setup(source: Path, work: Path) -> tuple[Path, list[str]]:
    """raw/ with the samples and a copy of `source`'s wording and suites; the folders' options."""
    (work / "raw").mkdir(parents=True)
    for s in SAMPLES:
        shutil.copy(s, work / "raw")
    shutil.copytree(source / "pipeline" / "wording", work / "wording", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copytree(source / "expectations", work / "expectations")
    return work / "wording", ["--raw", str(work / "raw"), "--interim", str(work / "interim"), "--curated", str(work / "curated"),
                              "--reports", str(work / "reports"), "--expectations", str(work / "expectations"), "--no-progress"]


def edit(wording: Path) -> None:
    with (wording / "traditional.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited by the bench\n")


def one_round(source: Path, work: Path) -> dict[str, float]:
    wording, folders = setup(source, work)
    out = {"two_notice_run": command(source, wording, "run", "-q", *folders),
           "no_change_run": command(source, wording, "run", "-q", *folders)}
    edit(wording)
    out["wording_edit_run"] = command(source, wording, "run", "-q", *folders)
    suite = sorted((work / "expectations").glob("*.json"))[0]
    suite.write_text(suite.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # every notice's check is keyed on the suites
    out["validate_samples"] = command(source, wording, "validate", "-q", *folders)
    out["help"] = command(source, wording, "--help")
    return out


def watch_rerun(source: Path, work: Path) -> float:
    """CPU of the re-run `watch` makes after the same wording edit: the watching process's and
    its children's, from the end of its first run to the end of the re-run."""
    wording, folders = setup(source, work)
    watcher = subprocess.Popen([sys.executable, "-m", "pipeline", "watch", "--interval", "0.2", *folders], cwd=source,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env_for(source, wording))
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:  # utime, stime, cutime, cstime of the watcher
        fields = Path(f"/proc/{watcher.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / ticks

    def run_ends() -> None:
        for line in watcher.stderr:  # type: ignore[union-attr]
            if "watch: the run ended" in line:
                return
        raise SystemExit("the watcher ended before its run did")

    try:
        run_ends()
        before = cpu()
        edit(wording)
        run_ends()
        return cpu() - before
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=60)


def their_work() -> float:
    """CPU of the two notices' own work in this process, warm (the second of two rounds)."""
    import time

    from pipeline.extract import extract
    from pipeline.normalize import normalize
    from pipeline.outline import outline
    from pipeline.structure import structure
    from pipeline.wording import wording

    work = 0.0
    for _ in range(2):
        t0 = time.process_time()
        for s in SAMPLES:
            notice = extract(s, wording().lexicon)
            normalize(structure(notice, outline(notice))[0])
        work = time.process_time() - t0
    return work


def export(ref: str, into: Path) -> Path:
    """The pipeline package and its suites as they were at `ref`."""
    data = subprocess.run(["git", "archive", ref, "pipeline", "expectations"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--against", metavar="REF", help="also measure the pipeline at this git commit, interleaved")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"this": ROOT}
        if a.against:
            sides[a.against] = export(a.against, Path(tmp) / "against")
        runs: dict[str, list[dict[str, float]]] = {k: [] for k in sides}
        for i in range(a.rounds):
            for name, source in sides.items():
                runs[name].append(one_round(source, Path(tmp) / f"{name}-{i}".replace("/", "_")))
            runs["this"][-1]["watch_rerun"] = watch_rerun(ROOT, Path(tmp) / f"watch-{i}")
    figures: dict = {"machine": f"{platform.machine()} {os.cpu_count()} cores python {platform.python_version()}", "rounds": a.rounds}
    print(f"CPU seconds of a command, children included: median of {a.rounds} rounds [min–max]")
    for name, rs in runs.items():
        figures[name] = {}
        for what in sorted({w for r in rs for w in r}, key=list(rs[0]).index):
            xs = [r[what] for r in rs]
            figures[name][what] = {"median": round(statistics.median(xs), 2), "range": [round(min(xs), 2), round(max(xs), 2)]}
            print(f"  {name:12} {what:16} {statistics.median(xs):6.2f} s  [{min(xs):.2f}–{max(xs):.2f}]")
    figures["their_work"] = round(their_work(), 2)
    print(f"  the two notices' own work, warm, in one process: {figures['their_work']:.2f} s")
    if a.json:
        a.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
