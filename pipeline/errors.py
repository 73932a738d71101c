"""Errors and findings: what went wrong, with which file, and where in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


class ExtractError(Exception):
    """A file that cannot be read: the message says why in plain words (the run prefixes the
    file's name); `detail` keeps the library's own exception, shown with -v."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


@dataclass
class Finding:
    """Something a stage noticed that a person should see: an unparsed row, an unknown name …"""

    notice_id: str
    stage: str
    severity: Severity
    code: str
    message: str
    source_file: str = ""
    source_ref: str = ""
    raw_text: str = ""
