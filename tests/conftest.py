"""Shared helpers: run the real pipeline on a folder, read the gold, compare."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.extract import extract as _extract
from pipeline.model import Notice
from pipeline.run import Config, RunReport, run
from pipeline.wording import wording

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

DATA = Path(__file__).parent / "data"
SAMPLES = DATA / "samples"
GOLD = DATA / "gold"
LAYOUTS = DATA / "layouts"
FIXTURES = Path(__file__).parent / "fixtures"
NOTICES = ("tj-opening-measures-duty-table", "tjftz-business-environment-2024")


def extract(path: Path, workdir: Path | None = None) -> Notice:
    """The real extract stage, handed the wording's lexicon as the run hands it."""
    return _extract(path, wording().lexicon, workdir)


def norm(s: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if s is None else str(s)))


def run_on(files: list[Path], tmp: Path, **kw: object) -> tuple[RunReport, Config]:
    """Copy files into tmp/raw and run every stage, as `make curated` does."""
    raw = tmp / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, raw / f.name)
    cfg = Config(raw=raw, interim=tmp / "interim", curated=tmp / "curated", reports=tmp / "reports", progress=False, **kw)
    return run(cfg), cfg


def rerun(cfg: Config) -> RunReport:
    return run(cfg)


def read(curated: Path, name: str) -> list[dict]:
    return pq.read_table(curated / name).to_pylist()


def gold_pairs(doc: str) -> set[tuple]:
    with open(GOLD / f"{doc}.pairs.csv", encoding="utf-8") as fh:
        return {(int(r["part"]), int(r["measure_no"]), norm(r["department"]), r["role"], r["collective"] == "1") for r in csv.DictReader(fh)}


def gold_measures(doc: str) -> dict[tuple, dict]:
    with open(GOLD / f"{doc}.measures.csv", encoding="utf-8") as fh:
        return {(int(r["part"]), int(r["measure_no"])): r for r in csv.DictReader(fh)}


def out_pairs(curated: Path, doc: str) -> set[tuple]:
    return {(r["part"], r["measure_no"], norm(r["department"]), r["role"], r["is_collective"])
            for r in read(curated, "measure_departments") if r["notice_id"] == doc}


def due_key(kind: str, date: object) -> str:
    if kind == "ongoing":
        return "ongoing"
    return "" if date is None else str(date)[:7]


def assert_matches_gold(curated: Path, doc: str) -> None:
    """Every pair and every measure exactly as the gold has them."""
    got, want = out_pairs(curated, doc), gold_pairs(doc)
    assert got == want, f"{doc}: missing {sorted(want - got)[:5]}, extra {sorted(got - want)[:5]}"
    measures = {(r["part"], r["measure_no"]): r for r in read(curated, "measures") if r["notice_id"] == doc}
    gold = gold_measures(doc)
    assert measures.keys() == gold.keys()
    for key, g in gold.items():
        m = measures[key]
        assert norm(m["text"]) == norm(g["text"]), key
        assert due_key(m["due_kind"], m["due_date"]) == g["due"], key
        assert (m["section_no"] or "") == (int(g["section_no"]) if g["section_no"] else ""), key
        assert norm(m["section_title"]) == norm(g["section_title"]), key
        assert norm(m["area"]) == norm(g["area"]) and norm(m["task"]) == norm(g["task"]) and norm(m["scope"]) == norm(g["scope"]), key


def tree_hash(folder: Path) -> str:
    """A hash of every file's name and bytes under folder (curated/ must not change)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def sample_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[RunReport, Config]]:
    """The two sample notices through the whole pipeline, one format (or layout) at a time."""
    runs = {}
    for label, folder, ext in (("txt", SAMPLES, "txt"), ("docx", SAMPLES, "docx"), ("pdf", SAMPLES, "pdf"),
                               ("docx-compact", LAYOUTS / "compact", "docx"), ("docx-large", LAYOUTS / "large", "docx"),
                               ("pdf-compact", LAYOUTS / "compact", "pdf"), ("pdf-large", LAYOUTS / "large", "pdf")):
        runs[label] = run_on(sorted(folder.glob(f"*.{ext}")), tmp_path_factory.mktemp(label))
    return runs
