"""The Dask executor against the local one: `python -m pipeline run` on the synthetic corpus of
bench_scale.py (the committed notices in every format, copied under new names, each copy's bytes
its own), every run from an empty interim/.

    python bench/bench_dask.py [--notices 1000] [--big 10000] [--out bench/out-dask] [--formats pdf docx txt]

Figures (to <out>/dask.json and a Markdown table for the README):
- wall time of the whole run and of its per-notice phase (extract → normalize, stage_seconds
  "notices"): local with 2 jobs, dask with a LocalCluster of 2 workers, and of 1 worker;
- a LocalCluster's start and close (the executor's, in this process, median of 3);
- the driver's peak memory (the run's process, the LocalCluster's scheduler and nannies inside
  it) at --notices and at --big notices under dask.
The machine's load (the 1-minute average before each run) is recorded with each run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import ROOT, build_corpus, fresh, run_pipeline


def one_run(out: Path, n: int, formats: list[str], executor: str, jobs: int) -> dict:
    fresh(out)
    if not (out / "raw").is_dir() or len(list((out / "raw").iterdir())) != n:
        build_corpus(out / "raw", n, formats)
    load = os.getloadavg()[0]
    r = run_pipeline(out, jobs, ["--executor", executor])
    state = json.loads((out / "interim" / ".pipeline" / "run.json").read_text(encoding="utf-8"))
    r.update({"executor": executor, "jobs": jobs, "notices": n, "load_before": round(load, 2),
              "notices_s": state["stage_seconds"].get("notices")})
    print(json.dumps(r), flush=True)
    return r


def start_close() -> list[float]:
    """A LocalCluster of 2 workers started and closed by the executor, three times."""
    sys.path.insert(0, str(ROOT))
    from pipeline.run.cluster import DaskExecutor

    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        DaskExecutor("", 2).close()
        times.append(round(time.perf_counter() - t0, 2))
    return times


def markdown(res: dict) -> str:
    rows = ["| run | notices | wall | per-notice phase | driver peak memory | load before |", "|---|---:|---:|---:|---:|---:|"]
    for r in res["runs"]:
        what = f"{r['executor']}, {r['jobs']} {'jobs' if r['executor'] == 'local' else 'worker(s)'}"
        rows.append(f"| {what} | {r['notices']:,} | {r['wall_s']:.1f} s | {r['notices_s']:.1f} s | {r['peak_mb']:.0f} MB | {r['load_before']:.2f} |")
    return f"Machine: {res['machine']}\n\n" + "\n".join(rows) + f"\n\nLocalCluster start and close: {res['start_close_s']} s\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=1000)
    ap.add_argument("--big", type=int, default=10000, help="the driver's memory at this many notices too (0: not measured)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out-dask")
    ap.add_argument("--formats", nargs="+", default=["pdf", "docx", "txt"])
    a = ap.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    res: dict = {"machine": machine, "start_close_s": start_close(), "runs": []}
    print(f"start and close: {res['start_close_s']}", flush=True)
    for executor, jobs in (("local", 2), ("dask", 2), ("dask", 1)):
        res["runs"].append(one_run(a.out / f"n{a.notices}", a.notices, a.formats, executor, jobs))
        (a.out / "dask.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    if a.big:
        res["runs"].append(one_run(a.out / f"n{a.big}", a.big, a.formats, "dask", 2))
    (a.out / "dask.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    local, two, one = res["runs"][:3]
    print(f"dask 2 workers / local 2 jobs, wall: {two['wall_s'] / local['wall_s']:.3f}")
    print(f"1 worker / 2 workers, wall: {one['wall_s'] / two['wall_s']:.2f}; per-notice phase: {one['notices_s'] / two['notices_s']:.2f}")
    if a.big:
        print(f"driver peak memory at {a.big:,} / at {a.notices:,}: {res['runs'][3]['peak_mb'] / two['peak_mb']:.2f}")
    print(f"start and close: median {statistics.median(res['start_close_s']):.2f} s")
    text = markdown(res)
    (a.out / "dask.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
