"""What the structure stage hands on: Measures with their department lists as written."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..files import write_json
from .anchors import Duty


@dataclass
class Measure:
    notice_id: str
    part: int
    measure_no: int
    measure_label: str  # the number as printed: 12, （十二）; "" for an unnumbered paragraph
    text: str
    source_file: str
    source_ref: str
    section_no: int | None = None
    section_title: str = ""
    area: str = ""
    task: str = ""
    scope: str = ""
    due_raw: str = ""
    origin: str = "table"  # table | prose
    duties: list[Duty] = field(default_factory=list)
    measure_path: str = ""  # the printed labels from the part down to the measure: 二/（三）/2
    statements: int = 0  # responsibility statements anchored to this measure


def write_measures(measures: list[Measure], path: Path) -> None:
    write_json(path, [asdict(m) for m in measures])


def read_measures(path: Path) -> list[Measure]:
    out = []
    for d in json.loads(path.read_text(encoding="utf-8")):
        duties = [Duty(**x) for x in d.pop("duties")]
        out.append(Measure(**d, duties=duties))
    return out
