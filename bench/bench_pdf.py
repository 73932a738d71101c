"""PDF extraction benchmark: the pipeline's extract stage against bare pdfplumber, same pages, same run.

    python bench/bench_pdf.py [PDF ...] [--repeat N]

Baseline: pdfplumber.open + every page's extract_tables() and extract_text(). Pipeline: the
extract stage (pipeline.extract.extract: tables stitched across pages, cells' lines, prose
paragraphs, the document model). Reports pages per second for each and their ratio; runs
alternate so that machine noise hits both alike, and the median of the repeats counts. With the
ocr extra, also seconds per scanned page: the pipeline against RapidOCR alone on the same images.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import pdfplumber

from pipeline.extract import extract
from pipeline.extract.pdf import name_tokenizer, ocr
from pipeline.wording import wording

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sorted((ROOT / "tests" / "data").rglob("*.pdf"))


def bare(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_tables()
            page.extract_text()
        return len(pdf.pages)


def ours(path: Path) -> int:
    return extract(path, wording().lexicon).pages or 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--ocr-pages", type=int, default=3, help="scanned pages for the OCR figures (0: none; needs the ocr extra)")
    a = ap.parse_args()
    pages = sum(bare(p) for p in a.pdfs)  # also warms caches and imports for both sides
    ours(a.pdfs[0])
    name_tokenizer(wording().lexicon)  # jieba's dictionary: loaded once per process, like an import
    t_bare, t_ours = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        for p in a.pdfs:
            bare(p)
        t_bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for p in a.pdfs:
            ours(p)
        t_ours.append(time.perf_counter() - t0)
    b, o = statistics.median(t_bare), statistics.median(t_ours)
    figures = {
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "pdfs": len(a.pdfs), "pages": pages, "repeat": a.repeat,
        "bare_pdfplumber_s": round(b, 3), "pipeline_extract_s": round(o, 3),
        "bare_pages_per_s": round(pages / b, 1), "pipeline_pages_per_s": round(pages / o, 1),
        "ratio_pipeline_to_bare": round(o / b, 3),
    }
    print(f"{figures['pdfs']} PDFs, {pages} pages, median of {a.repeat} runs")
    print(f"  bare pdfplumber extract_tables()+extract_text(): {b:.2f} s  ({figures['bare_pages_per_s']} pages/s)")
    print(f"  pipeline extract stage:                          {o:.2f} s  ({figures['pipeline_pages_per_s']} pages/s)")
    print(f"  ratio pipeline / bare: {figures['ratio_pipeline_to_bare']:.2f}  (target: at most 1.5)")
    if a.ocr_pages and ocr.available():
        figures.update(bench_ocr(a.ocr_pages))
        print(f"OCR, {a.ocr_pages} scanned pages at {ocr.DPI} dpi (the table sample rasterized):")
        print(f"  bare RapidOCR on the page images:   {figures['ocr_bare_s_per_page']:.2f} s/page")
        print(f"  pipeline extract of the scanned PDF: {figures['ocr_pipeline_s_per_page']:.2f} s/page "
              f"(ratio {figures['ratio_ocr_pipeline_to_bare']:.2f}: rendering, deskew, ruling lines, layout)")
    if a.json:
        a.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


def bench_ocr(n: int) -> dict:
    """Per-page OCR time: the pipeline's extract of a scanned PDF against RapidOCR alone on the
    same page images, one run each after a warm-up (OCR is slow enough for one run to count)."""
    import tempfile

    import numpy as np

    sample = ROOT / "tests" / "data" / "samples" / "tj-opening-measures-duty-table.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        images = []
        with pdfplumber.open(sample) as pdf:
            for page in pdf.pages[:n]:
                images.append(page.to_image(resolution=ocr.DPI).original.convert("RGB"))
        scanned = Path(tmp) / "scanned.pdf"
        images[0].save(scanned, "PDF", resolution=ocr.DPI, save_all=True, append_images=images[1:])
        engine = ocr._engine()
        engine(np.asarray(images[0]))  # warm-up: model load
        t0 = time.perf_counter()
        for im in images:
            engine(np.asarray(im))
        t_bare = (time.perf_counter() - t0) / n
        t0 = time.perf_counter()
        ours(scanned)
        t_ours = (time.perf_counter() - t0) / n
    return {"ocr_pages": n, "ocr_bare_s_per_page": round(t_bare, 3), "ocr_pipeline_s_per_page": round(t_ours, 3),
            "ratio_ocr_pipeline_to_bare": round(t_ours / t_bare, 3)}


if __name__ == "__main__":
    raise SystemExit(main())
