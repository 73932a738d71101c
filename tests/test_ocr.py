"""Scanned notices: the samples rasterized at 200 dpi (and again turned slightly, with noise)
read by OCR through the real pipeline, against their gold; without the ocr extra the file is
named with the extra to install."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from . import bad_inputs as bad
from .conftest import NOTICES, SAMPLES, gold_pairs, out_pairs, run_on

ROOT = Path(__file__).parent.parent


def f1(curated: Path, doc: str) -> float:
    got, want = out_pairs(curated, doc), gold_pairs(doc)
    tp = len(got & want)
    return 2 * tp / (len(got) + len(want)) if got or want else 1.0


@pytest.fixture(scope="module", params=[(0.0, 0.0), (0.7, 12.0)], ids=["scanned", "turned-and-noisy"])
def scanned_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    angle, noise = request.param
    tmp = tmp_path_factory.mktemp("scan")
    forms = [bad.scanned_copy(SAMPLES / f"{doc}.pdf", tmp / f"{doc}.pdf", angle=angle if i == 0 else -angle, noise=noise)
             for i, doc in enumerate(NOTICES)]
    return run_on(forms, tmp / "run", timeout=1200.0)


@pytest.mark.slow
@pytest.mark.parametrize("doc", NOTICES)
def test_scanned_samples_score_against_their_gold(scanned_run, doc: str) -> None:
    report, cfg = scanned_run
    assert report.exit_code in (0, 1)
    assert f1(cfg.curated, doc) >= 0.95
    rows = [r for r in pq.read_table(cfg.curated / "measures").to_pylist() if r["notice_id"] == doc]
    # every row says it was read by OCR, from which box of which page, and how surely
    assert rows and all(re.search(r"^p\.\d+ .*box \d+,\d+,\d+,\d+ ocr [01]\.\d{3}$", r["source_ref"]) for r in rows)
    summary = [f.message for f in report.findings if f.notice_id == doc and "read by OCR" in f.message]
    assert summary and summary[0].startswith(f"{ {NOTICES[0]: 12, NOTICES[1]: 19}[doc] } page(s) without a text layer read by OCR")


@pytest.mark.slow
def test_without_the_ocr_extra_a_scanned_pdf_names_the_extra(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    bad.image_only_pdf(raw)
    # the package made unimportable, as in an install without the extra
    code = ("import sys; sys.modules['rapidocr_onnxruntime'] = None; from pipeline.cli import main; "
            f"raise SystemExit(main(['run', '--raw', {str(raw)!r}, '--interim', {str(tmp_path / 'i')!r}, '--curated', {str(tmp_path / 'c')!r}, '--no-progress']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "GX_ANALYTICS_ENABLED": "False"})
    assert done.returncode == 2
    assert ("ERROR   scanned.pdf: the PDF has no text layer (scanned pages) and OCR is not installed: "
            "pip install 'notice-pipeline[ocr]'") in done.stderr.splitlines()
