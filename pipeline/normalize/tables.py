"""The candidate curated tables, built from the normalized measures.

    build_tables(notices, normalized, registry) -> {name: pyarrow.Table}

The schemas are in model/tables.py.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from ..model.tables import NoticeRecord, to_table
from . import NormalizedMeasure
from .registry import Registry


def _date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def build_tables(notices: list[NoticeRecord], normalized: list[NormalizedMeasure], registry: Registry) -> dict[str, pa.Table]:
    pairs, measures = [], []
    per_notice: dict[str, list[int]] = {n.notice_id: [0, 0] for n in notices}
    for n in notices:  # the notice's jurisdiction, once: validation reads it from the record
        if n.jurisdiction is None:
            n.jurisdiction = registry.jurisdiction_of(n.issuer, n.title)
    jurisdiction = {n.notice_id: n.jurisdiction or "" for n in notices}
    dept_rows: dict[str, dict] = {}
    for nm in sorted(normalized, key=lambda x: (x.measure.notice_id, x.measure.part, x.measure.measure_no)):
        m = nm.measure
        per_notice.setdefault(m.notice_id, [0, 0])[0] += 1
        for a in nm.assignments:
            entry = registry.resolve(a.department, jurisdiction.get(m.notice_id, ""))
            canonical = entry.canonical if entry else registry.fallback_canonical(a.department, jurisdiction.get(m.notice_id, ""))
            pairs.append({
                "notice_id": m.notice_id, "part": m.part, "measure_no": m.measure_no,
                "department": a.department, "department_canonical": canonical, "role": a.role,
                "is_collective": a.is_collective, "in_registry": entry is not None, "position": a.position,
                "department_raw": a.raw_text, "source_file": m.source_file, "source_ref": a.source_ref,
            })
            per_notice[m.notice_id][1] += 1
            d = dept_rows.setdefault(canonical, {
                "department_canonical": canonical, "surface_forms": set(),
                "jurisdiction": entry.jurisdiction if entry else jurisdiction.get(m.notice_id, ""),
                "kind": entry.kind if entry else ("collective" if a.is_collective else None),
                "is_collective": a.is_collective, "in_registry": entry is not None,
                "measures": set(), "notices": set(),
            })
            d["surface_forms"].add(a.department)
            d["measures"].add((m.notice_id, m.part, m.measure_no))
            d["notices"].add(m.notice_id)
        measures.append({
            "notice_id": m.notice_id, "part": m.part, "measure_no": m.measure_no, "measure_label": m.measure_label,
            "measure_path": m.measure_path,
            "section_no": m.section_no, "section_title": m.section_title, "area": m.area, "task": m.task,
            "scope": m.scope, "text": m.text, "due_raw": nm.deadline.raw, "due_kind": nm.deadline.kind,
            "due_date": _date(nm.deadline.date), "departments_open_ended": nm.open_ended,
            "n_departments": len(nm.assignments), "origin": m.origin,
            "source_file": m.source_file, "source_ref": m.source_ref,
        })
    notice_rows = [{
        "notice_id": n.notice_id, "title": n.title, "issuer": n.issuer, "issued_on": _date(n.issued_on),
        "source_file": n.source_file, "source_format": n.source_format, "sha256": n.sha256,
        "alternates": n.alternates, "pages": n.pages,
        "n_measures": per_notice[n.notice_id][0], "n_pairs": per_notice[n.notice_id][1],
    } for n in sorted(notices, key=lambda n: n.notice_id)]
    department_rows = [{
        "department_canonical": d["department_canonical"], "surface_forms": sorted(d["surface_forms"]),
        "jurisdiction": d["jurisdiction"], "kind": d["kind"], "is_collective": d["is_collective"],
        "in_registry": d["in_registry"], "n_measures": len(d["measures"]), "n_notices": len(d["notices"]),
    } for _, d in sorted(dept_rows.items())]
    return {
        "measure_departments": to_table("measure_departments", pairs),
        "measures": to_table("measures", measures),
        "notices": to_table("notices", notice_rows),
        "departments": to_table("departments", department_rows),
    }
