"""Scale benchmark: `python -m pipeline run` on a corpus of N notices (default 1,000).

    python bench/bench_scale.py [--notices N] [--out bench/out] [--jobs J]

The corpus is the sample notices in every committed format and layout (tests/data), copied
under new names until there are N. Reports, in one run: the full run's time, PDF seconds per
page, the no-change re-run, the re-run after one new notice (and how many notices it parsed),
peak memory of the run, and the extract stage against bare pdfplumber on a sample of the PDFs.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in (ROOT / "tests" / "data").rglob("*") if p.suffix in (".pdf", ".docx", ".txt"))


def build_corpus(raw: Path, n: int) -> None:
    if raw.exists():
        shutil.rmtree(raw)
    raw.mkdir(parents=True)
    for i, src in zip(range(n), cycle(SOURCES), strict=False):
        shutil.copy(src, raw / f"notice-{i:05d}-{src.parent.name}{src.suffix}")


def run_pipeline(out: Path, jobs: int) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "pipeline", "run", "-q", "--raw", str(out / "raw"), "--interim", str(out / "interim"),
           "--curated", str(out / "curated"), "--reports", str(out / "reports"), "--jobs", str(jobs)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    state = json.loads((out / "interim" / "_run.json").read_text(encoding="utf-8"))
    if res.returncode not in (0, 1):
        print(res.stderr[-2000:], file=sys.stderr)
    return elapsed, state


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--jobs", type=int, default=0)
    a = ap.parse_args()
    out = a.out
    for sub in ("interim", "curated.versions", "reports"):
        shutil.rmtree(out / sub, ignore_errors=True)
    if (out / "curated").is_symlink():  # the link to the current version
        (out / "curated").unlink()
    shutil.rmtree(out / "curated", ignore_errors=True)  # a folder of the layout before versions
    build_corpus(out / "raw", a.notices)

    full_s, state = run_pipeline(out, a.jobs)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    pdf = [json.loads(p.read_text()) for p in (out / "interim").glob("*/extract.json")]
    pdf = [m for m in pdf if m["backend"] == "pdf"]
    pdf_pages = sum(m["pages"] or 0 for m in pdf)
    pdf_seconds = sum(m["seconds"] for m in pdf)
    measures = sum(n["measures"] for n in state["notices"])
    pairs = sum(n["pairs"] for n in state["notices"])

    nochange_s, again = run_pipeline(out, a.jobs)
    reparsed_nochange = sum(n["extraction"] == "parsed" for n in again["notices"])

    extra = SOURCES[0]
    shutil.copy(extra, out / "raw" / f"notice-new{extra.suffix}")
    onenew_s, third = run_pipeline(out, a.jobs)
    reparsed_onenew = sum(n["extraction"] == "parsed" for n in third["notices"])

    sample = sorted((out / "raw").glob("*.pdf"))[:6]
    bench = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_pdf.py"), *map(str, sample), "--repeat", "3",
                            "--json", str(out / "pdf.json")], capture_output=True, text=True, check=True)
    ratio = json.loads((out / "pdf.json").read_text())["ratio_pipeline_to_bare"]

    figures = {
        "machine": f"{platform.machine()}, {shutil.os.cpu_count()} cores, Python {platform.python_version()}",
        "notices": a.notices, "pdf_notices": len(pdf), "pdf_pages": pdf_pages, "measures": measures, "pairs": pairs,
        "verdict": state["verdict"],
        "full_run_s": round(full_s, 1), "pdf_s_per_page_in_worker": round(pdf_seconds / max(pdf_pages, 1), 4),
        "no_change_rerun_s": round(nochange_s, 1), "no_change_rerun_share_of_full": round(nochange_s / full_s, 3),
        "no_change_reparsed": reparsed_nochange,
        "one_new_notice_rerun_s": round(onenew_s, 1), "one_new_notice_reparsed": reparsed_onenew,
        "peak_rss_mb": round(peak_mb), "extract_to_bare_pdfplumber_ratio": ratio,
    }
    (out / "figures.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    for k, v in figures.items():
        print(f"{k:36} {v}")
    print(bench.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
