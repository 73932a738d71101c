"""Normalize stage: department lists into Assignments, deadline wordings into Deadlines.

    normalize(measures) -> (NormalizedMeasure list, findings)

Every rule reads its words from wording/*.toml: separators, role words, open-ended endings
(等 / 等部门 …), name endings and fragments, collective placeholders, deadline forms.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..errors import Finding
from ..files import write_json
from ..model.interim import Header
from ..structure import Duty, Measure
from ..wording import wording
from ..wording.variants import Unfold, fold
from .deadlines import Deadline, parse_deadline
from .departments import canonical_form, department_name_problem, is_collective, split_departments

__all__ = [
    "Assignment",
    "Deadline",
    "NormalizedMeasure",
    "department_name_problem",
    "is_collective",
    "normalize",
    "notice_year",
    "parse_deadline",
    "read_normalized",
    "split_departments",
    "write_normalized",
]

WS = re.compile(r"\s+")
ROLE_ORDER = {"lead": 0, "responsible": 1, "support": 2}


@dataclass
class Assignment:
    """One department named for one measure."""

    department: str
    role: str
    is_collective: bool
    position: int
    source_ref: str
    raw_text: str


@dataclass
class NormalizedMeasure:
    measure: Measure
    deadline: Deadline
    assignments: list[Assignment] = field(default_factory=list)
    open_ended: bool = False


# --- the stage -------------------------------------------------------------------------------

def normalize(measures: list[Measure], year: int | None = None) -> tuple[list[NormalizedMeasure], list[Finding]]:
    """`year`: the notice's year, for deadlines written without one."""
    out: list[NormalizedMeasure] = []
    findings: list[Finding] = []
    for m in measures:
        nm = NormalizedMeasure(m, replace(parse_deadline(fold(m.due_raw), year), raw=m.due_raw))
        if nm.deadline.kind in ("unparsed", "invalid"):
            what = "names a date that does not exist" if nm.deadline.kind == "invalid" else "is not a wording this pipeline knows"
            findings.append(Finding(m.notice_id, "normalize", "warning", f"deadline-{nm.deadline.kind}",
                                    f"deadline {m.due_raw!r} {what}", m.source_file, m.source_ref, m.due_raw))
        seen: dict[str, Assignment] = {}
        for duty in m.duties:
            unfold = Unfold(duty.text)  # a list printed in Traditional characters is read with the Simplified wording
            names, open_ended, leftovers = split_departments(fold(duty.text), duty.role, m.origin == "prose")
            names = [(unfold(n), r, c) for n, r, c in names]
            leftovers = [unfold(x) for x in leftovers]
            nm.open_ended |= open_ended
            for frag in leftovers:
                findings.append(Finding(m.notice_id, "normalize", "warning", "department-fragment",
                                        f"a department name that is only an ending: {frag!r}", m.source_file, duty.source_ref, duty.text))
            for k, (name, role, coll) in enumerate(names):
                if duty.first_lead and role == "responsible":  # the notice's rule: the first-listed body leads
                    role = "lead" if k == 0 else (duty.rest_role or role)
                key = canonical_form(name)
                if key in seen:  # named twice for one measure: the strongest role stays
                    if ROLE_ORDER[role] < ROLE_ORDER[seen[key].role]:
                        seen[key].role = role
                    continue
                seen[key] = Assignment(name, role, coll, len(nm.assignments) + 1, duty.source_ref, duty.text)
                nm.assignments.append(seen[key])
        out.append(nm)
    return out, findings


def notice_year(header: Header) -> int | None:
    """The year a notice speaks in, for deadlines written without one: its date line's, else the
    first year in its title."""
    if header.issued_on:
        return int(header.issued_on[:4])
    m = wording().deadlines.year_in_title.search(header.title or "")
    return int(m.group(1)) if m else None


def write_normalized(items: list[NormalizedMeasure], path: Path) -> None:
    write_json(path, [asdict(x) for x in items])


def read_normalized(path: Path) -> list[NormalizedMeasure]:
    out = []
    for d in json.loads(path.read_text(encoding="utf-8")):
        m = d["measure"]
        measure = Measure(**{**m, "duties": [Duty(**x) for x in m["duties"]]})
        out.append(NormalizedMeasure(measure, Deadline(**d["deadline"]), [Assignment(**a) for a in d["assignments"]], d["open_ended"]))
    return out
