"""Scale benchmark: `python -m pipeline run` on corpora of N notices (default 100, 1,000, 10,000).

    python bench/bench_scale.py [--notices 100 1000 10000] [--out bench/out] [--jobs J] [--formats pdf docx txt]

Each corpus is the notices in every committed format and layout (tests/data), copied under new
names until there are N, each copy's bytes made unique (a comment after a PDF's end, a zip
comment, trailing blank lines), as no two files of an archive are alike; each copy is parsed.
The "one new notice" is a short table notice of its own. For each N, three runs: the full run from an empty interim/, the re-run with nothing
changed, and the re-run after one new notice; for each, wall time, CPU time, peak memory of the
run's own process (and of its largest worker) and seconds per stage. Figures go to
<out>/scale.json and a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

# Runs one command and prints its own CPU seconds and its children's, as JSON: the pipeline's
# process is the child, its workers the grandchildren (their usage reaches it when reaped).
TIMED = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).returncode
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall_s": time.perf_counter() - t0, "cpu_s": u.ru_utime + u.ru_stime}))
"""


def sources(formats: list[str]) -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.suffix.lstrip(".") in formats and "gold" not in p.parts)


def unique_copy(data: bytes, suffix: str, mark: str) -> bytes:
    """The same notice in bytes no other copy has, as in an archive (no two files alike): a
    comment after a PDF's end, a .docx package's zip comment, a blank line after a text."""
    tag = mark.encode()
    if suffix == ".pdf":
        return data + b"\n%" + tag + b"\n"
    if suffix == ".docx":
        assert data[-22:-18] == b"PK\x05\x06" and data[-2:] == b"\x00\x00", "a .docx without a zip comment"
        return data[:-2] + len(tag).to_bytes(2, "little") + tag
    return data + b"\n" * (1 + int(mark) % 97) + b" " * (int(mark) // 97)


def build_corpus(raw: Path, n: int, formats: list[str]) -> None:
    if raw.exists():
        shutil.rmtree(raw)
    raw.mkdir(parents=True)
    for i, src in zip(range(n), cycle(sources(formats)), strict=False):
        (raw / f"notice-{i:05d}-{src.parent.name}{src.suffix}").write_bytes(unique_copy(src.read_bytes(), src.suffix, str(i)))


# The notice that arrives after the full run: a short table notice of its own (no copy of another).
NEW_NOTICE = """某市人民政府办公厅关于印发某市数据要素市场培育专项行动分工方案的通知

各区人民政府，市政府各委、办、局：

现将《某市数据要素市场培育专项行动分工方案》印发给你们，请认真贯彻落实。

某市人民政府办公厅
2026年3月2日

附件

某市数据要素市场培育专项行动分工方案

序号\t工作任务\t牵头单位\t配合单位\t完成时限
1\t建设公共数据授权运营平台。\t市数据局\t市财政局\t2026年6月底前
2\t开展数据资产入表试点。\t市财政局\t市国资委、市数据局\t2026年9月底前
3\t培育数据标注产业基地。\t市工业和信息化局\t市人力资源社会保障局\t2026年12月底前
"""


def run_pipeline(out: Path, jobs: int, extra: list[str] | None = None) -> dict:
    cmd = [sys.executable, "-m", "pipeline", "run", "-q", "--no-progress", "--raw", str(out / "raw"), "--interim", str(out / "interim"),
           "--curated", str(out / "curated"), "--reports", str(out / "reports"), "--jobs", str(jobs), *(extra or [])]
    res = subprocess.run([sys.executable, "-c", TIMED, *cmd], capture_output=True, text=True, check=True, cwd=ROOT)
    timed = json.loads(res.stdout)
    state = json.loads((out / "interim" / ".pipeline" / "run.json").read_text(encoding="utf-8"))
    if timed["rc"] not in (0, 1):
        raise SystemExit(f"the run failed (exit {timed['rc']})")
    return {"wall_s": round(timed["wall_s"], 2), "cpu_s": round(timed["cpu_s"], 1), "exit": timed["rc"], "verdict": state["verdict"],
            "peak_mb": state["peak_mb"]["run"], "worker_peak_mb": state["peak_mb"]["workers"], "stages_s": state["stage_seconds"],
            "parsed": sum(n["extraction"] == "parsed" for n in state["notices"]), "validated": len(state.get("validated", [])),
            "measures": sum(n["measures"] for n in state["notices"]), "pairs": sum(n["pairs"] for n in state["notices"])}


def fresh(out: Path) -> None:
    for sub in ("interim", "curated.versions", "reports"):
        shutil.rmtree(out / sub, ignore_errors=True)
    if (out / "curated").is_symlink():
        (out / "curated").unlink()


def one_size(out: Path, n: int, jobs: int, formats: list[str]) -> dict:
    fresh(out)
    build_corpus(out / "raw", n, formats)
    full = run_pipeline(out, jobs)
    nochange = run_pipeline(out, jobs)
    (out / "raw" / "notice-new.txt").write_text(NEW_NOTICE, encoding="utf-8")
    onenew = run_pipeline(out, jobs)
    pdfs = [json.loads(p.read_text()) for p in (out / "interim").glob("**/extract.json")]
    pages = sum(m["pages"] or 0 for m in pdfs if m.get("backend") == "pdf")
    return {"notices": n, "pdf_pages": pages, "full": full, "no_change": nochange, "one_new": onenew,
            "no_change_share": round(nochange["wall_s"] / full["wall_s"], 4), "one_new_share": round(onenew["wall_s"] / full["wall_s"], 4)}


def markdown(results: list[dict], machine: str) -> str:
    rows = ["| notices | PDF pages | pairs | full run | CPU | peak memory (run / worker) | no change | one new notice | stages of the full run (s) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        f = r["full"]
        stages = ", ".join(f"{k} {v:g}" for k, v in f["stages_s"].items())
        rows.append(f"| {r['notices']:,} | {r['pdf_pages']:,} | {f['pairs']:,} | {f['wall_s']:.0f} s | {f['cpu_s']:.0f} s | "
                    f"{f['peak_mb']:.0f} / {f['worker_peak_mb']:.0f} MB | {r['no_change']['wall_s']:.1f} s ({100 * r['no_change_share']:.1f}%) | "
                    f"{r['one_new']['wall_s']:.1f} s ({100 * r['one_new_share']:.1f}%) | {stages} |")
    return f"Machine: {machine}\n\n" + "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notices", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--formats", nargs="+", default=["pdf", "docx", "txt"])
    a = ap.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, jobs {a.jobs or os.cpu_count()}"
    results = []
    for n in a.notices:
        t0 = time.perf_counter()
        r = one_size(a.out, n, a.jobs, a.formats)
        results.append(r)
        print(f"{n} notices done in {time.perf_counter() - t0:.0f} s: {json.dumps(r)}", flush=True)
        (a.out / "scale.json").write_text(json.dumps({"machine": machine, "results": results}, indent=1), encoding="utf-8")
    if len(results) > 1:
        big, ref = results[-1], results[-2]
        print(f"peak memory at {big['notices']:,} / at {ref['notices']:,}: {big['full']['peak_mb'] / ref['full']['peak_mb']:.2f}")
    text = markdown(results, machine)
    (a.out / "scale.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
