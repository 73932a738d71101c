"""PDF extraction benchmark: the pipeline's extract stage against the floors under it, same pages, same process.

    python bench/bench_pdf.py [PDF ...] [--repeat N] [--json FILE]

Floors, each as seconds per page:
- pdfplumber `page.chars` + `find_tables()`: what the pipeline's PDF backend itself asks of
  pdfplumber (the honest baseline: the pipeline cannot be faster than its own reads);
- pdfplumber `extract_tables()` + `extract_text()`: what a bare pdfplumber script does;
- pypdfium2 characters with their boxes: the physical floor of reading the text layer.
Pipeline: `pipeline.extract.extract` (tables stitched across pages, cells' lines, prose
paragraphs, the document model), with the garbage-collector setting its workers use. Runs
alternate (one round: every side once) so that machine noise hits all alike; the median of the
rounds counts. With the ocr extra, also seconds per scanned page: the pipeline against RapidOCR
alone on the same images. A small run's cost is bench_small.py's.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium

from pipeline.extract import extract
from pipeline.extract.pdf import name_tokenizer, ocr
from pipeline.extract.pdf.tables import TABLE_SETTINGS
from pipeline.wording import wording

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = sorted((ROOT / "tests" / "data").rglob("*.pdf"))


def plumber_chars_tables(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            _ = page.chars
            page.find_tables(TABLE_SETTINGS)
            page.close()
        return len(pdf.pages)


def plumber_tables_text(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_tables()
            page.extract_text()
            page.close()
        return len(pdf.pages)


def pdfium_chars(path: Path) -> int:
    pdf = pdfium.PdfDocument(str(path))
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            text = page.get_textpage()
            for k in range(text.count_chars()):
                text.get_charbox(k, loose=True)
            text.get_text_range()
            text.close()
            page.close()
        return len(pdf)
    finally:
        pdf.close()


def ours(path: Path) -> int:
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)  # as in the pipeline's extraction processes (run/executor.py)
    try:
        return extract(path, wording().lexicon).pages or 0
    finally:
        gc.set_threshold(*before)


SIDES = {"pdfplumber chars + find_tables": plumber_chars_tables, "pdfplumber extract_tables + extract_text": plumber_tables_text,
         "pypdfium2 chars with boxes": pdfium_chars, "pipeline extract": ours}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdfs", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--ocr-pages", type=int, default=3, help="scanned pages for the OCR figures (0: none; needs the ocr extra)")
    a = ap.parse_args()
    pages = sum(plumber_chars_tables(p) for p in a.pdfs)  # also warms caches and imports for every side
    for f in SIDES.values():
        f(a.pdfs[0])
    name_tokenizer(wording().lexicon)  # jieba's dictionary: loaded once per process, like an import
    times: dict[str, list[float]] = {k: [] for k in SIDES}
    for _ in range(a.repeat):
        for name, f in SIDES.items():
            t0 = time.perf_counter()
            for p in a.pdfs:
                f(p)
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    o = med["pipeline extract"]
    figures: dict = {
        "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}".strip(),
        "pdfs": len(a.pdfs), "pages": pages, "repeat": a.repeat,
        "s_per_page": {k: round(v / pages, 4) for k, v in med.items()},
        "pipeline_ratio_to": {k: round(o / v, 3) for k, v in med.items() if k != "pipeline extract"},
    }
    figures["ratio_pipeline_to_bare"] = figures["pipeline_ratio_to"]["pdfplumber extract_tables + extract_text"]  # the older figure's name
    print(f"{figures['pdfs']} PDFs, {pages} pages, median of {a.repeat} interleaved rounds")
    for k, v in med.items():
        ratio = "" if k == "pipeline extract" else f"   pipeline / this: {o / v:.2f}"
        print(f"  {k:42} {v / pages * 1000:7.1f} ms/page{ratio}")
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
