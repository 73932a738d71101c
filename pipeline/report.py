"""Run report (placeholder)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path


def write_report(report, tables, d: Path, reports: Path) -> Path:  # noqa: ANN001
    (d / "run.json").write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return d
