"""CSV the pipeline writes for people: safe to open in a spreadsheet.

A cell beginning with = + - @ (or a tab or carriage return) is taken for a formula by Excel,
LibreOffice and Google Sheets, so a department name such as =HYPERLINK(…) written by a notice
would run when a person opens the file. Every such cell gets a leading single quote (the OWASP
rule for CSV injection): the spreadsheet shows it as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet shows it, never as a formula. Numbers stay numbers (a count is
    a value, not a formula); text beginning like a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(path: Path, fieldnames: list[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows as UTF-8 CSV with a header, every cell through safe_cell."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fieldnames)
        w.writeheader()
        w.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
