"""The versions of the libraries the pipeline reads, structures and checks with: recorded in
the caches that depend on them (an upgrade that changes extraction redoes it) and in every
manifest (an auditor can tell what made a version)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version

EXTRACTION = ("pdfplumber", "pdfminer.six", "pypdfium2", "python-docx", "lxml", "charset-normalizer",
              "rapidocr-onnxruntime", "onnxruntime", "opencv-python")  # the last three: the ocr extra
STRUCTURE = ("jieba", "cn2an")
TABLES = ("pyarrow", "pandas", "great-expectations")
ALL = EXTRACTION + STRUCTURE + TABLES


@cache
def library_versions(names: tuple[str, ...] = ALL) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out
