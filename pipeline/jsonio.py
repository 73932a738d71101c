"""Interim files are written whole or not at all: to a temporary name, then renamed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_text(path: Path, text: str) -> None:
    """Whole or not at all: a kill or a full disk while writing leaves the old file (or none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, data: Any, indent: int | None = 1) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def write_readable_json(path: Path, data: dict[str, Any]) -> None:
    """A large dict as JSON a person can read: a line per key and per list item. Written by the
    C encoder (an `indent` makes json use its pure-Python one, several times slower, which a
    run's state of 10,000 notices felt at every stage)."""
    def value(v: Any) -> str:
        if isinstance(v, list) and v:
            return "[\n  " + ",\n  ".join(json.dumps(x, ensure_ascii=False, default=str) for x in v) + "\n ]"
        return json.dumps(v, ensure_ascii=False, default=str)

    write_text(path, "{\n" + ",\n".join(f" {json.dumps(k, ensure_ascii=False)}: {value(v)}" for k, v in data.items()) + "\n}\n")
