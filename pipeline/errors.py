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


class Refused(SystemExit):
    """A command refused before it changed anything — folders that overlap, a setting out of
    range, a folder another run holds, a stage run before the one it needs: a usage error, not a
    bad notice. The message is one line, `ERROR <path>: <problem>`; the command line prints it
    and exits 2 (1 would say "published, some notices held back")."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"ERROR {path}: {problem}")
        self.path, self.problem = str(path), problem
