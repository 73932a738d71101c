"""Log lines, as a person reads them or as a log shipper does.

    text  `LEVEL   message`, one record one line: a line break or other control character in a
          message (a file named with one) is shown escaped, so no file name can forge a line
    json  one JSON object a line: time, level, event, notice, message, and the record's fields

A record says what happened and to which notice with `extra=event("extract.failed", notice_id)`;
one without them is event "message", notice null. Fields a shipper may want as numbers (the
closing line's counts) go in `fields`.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime


def event(name: str, notice: str | None = None, **fields: object) -> dict[str, object]:
    """The `extra` of a log call: the event's name, the notice it is about, any fields."""
    return {"event": name, "notice": notice or None, "fields": fields}


def _escaped(text: str) -> str:
    return "".join(ch.encode("unicode_escape").decode("ascii") if (ch < " " and ch != "\t") or ch == "\x7f" else ch for ch in text)


class OneLine(logging.Formatter):
    """`LEVEL   message`: one record, one line; a traceback (a bug, or -v) follows as Python prints it."""

    def __init__(self) -> None:
        super().__init__("%(levelname)-7s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        line = _escaped(self.formatMessage(record))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonLines(logging.Formatter):
    """One JSON object a record, on one line (json escapes every control character)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"), "level": record.levelname.lower(),
               "event": getattr(record, "event", "message"), "notice": getattr(record, "notice", None), "message": record.getMessage(),
               **(getattr(record, "fields", None) or {})}
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class Tally(logging.Handler):
    """Counts the records logged, by level (the closing line's warnings)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname] += 1


def configure(log_format: str, quiet: bool = False, verbose: bool = False) -> Tally:
    """Logging for a command: every record to stderr in `log_format` (in JSON, Python's warnings
    too: a JSON line, not a stray text line). Returns the tally of what was logged."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if log_format == "json" else OneLine())
    tally = Tally()
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, handlers=[handler, tally], force=True)
    logging.captureWarnings(log_format == "json")
    if verbose:
        logging.getLogger("pipeline").setLevel(logging.DEBUG)
    return tally
