"""The curated tables: explicit pyarrow schemas and the functions that build them.

    build_tables(notices, normalized, registry) -> {name: pyarrow.Table}

The schemas are the contract with BI (documented in the README); SCHEMA_VERSION changes
whenever a column is added, removed or retyped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from .normalize import NormalizedMeasure
from .registry import Registry

SCHEMA_VERSION = "1.1"  # 1.1: measures.measure_path

MEASURE_DEPARTMENTS = pa.schema([
    pa.field("notice_id", pa.string(), nullable=False),
    pa.field("part", pa.int16(), nullable=False),
    pa.field("measure_no", pa.int32(), nullable=False),
    pa.field("department", pa.string(), nullable=False),
    pa.field("department_canonical", pa.string(), nullable=False),
    pa.field("role", pa.string(), nullable=False),
    pa.field("is_collective", pa.bool_(), nullable=False),
    pa.field("in_registry", pa.bool_(), nullable=False),
    pa.field("position", pa.int16(), nullable=False),
    pa.field("department_raw", pa.string()),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_ref", pa.string()),
])

MEASURES = pa.schema([
    pa.field("notice_id", pa.string(), nullable=False),
    pa.field("part", pa.int16(), nullable=False),
    pa.field("measure_no", pa.int32(), nullable=False),
    pa.field("measure_label", pa.string()),
    pa.field("measure_path", pa.string()),
    pa.field("section_no", pa.int16()),
    pa.field("section_title", pa.string()),
    pa.field("area", pa.string()),
    pa.field("task", pa.string()),
    pa.field("scope", pa.string()),
    pa.field("text", pa.string(), nullable=False),
    pa.field("due_raw", pa.string()),
    pa.field("due_kind", pa.string(), nullable=False),
    pa.field("due_date", pa.date32()),
    pa.field("departments_open_ended", pa.bool_(), nullable=False),
    pa.field("n_departments", pa.int16(), nullable=False),
    pa.field("origin", pa.string(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_ref", pa.string()),
])

NOTICES = pa.schema([
    pa.field("notice_id", pa.string(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("issuer", pa.string()),
    pa.field("issued_on", pa.date32()),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_format", pa.string(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("alternates", pa.list_(pa.string()), nullable=False),
    pa.field("pages", pa.int32()),
    pa.field("n_measures", pa.int32(), nullable=False),
    pa.field("n_pairs", pa.int32(), nullable=False),
])

DEPARTMENTS = pa.schema([
    pa.field("department_canonical", pa.string(), nullable=False),
    pa.field("surface_forms", pa.list_(pa.string()), nullable=False),
    pa.field("jurisdiction", pa.string()),
    pa.field("kind", pa.string()),
    pa.field("is_collective", pa.bool_(), nullable=False),
    pa.field("in_registry", pa.bool_(), nullable=False),
    pa.field("n_measures", pa.int32(), nullable=False),
    pa.field("n_notices", pa.int32(), nullable=False),
])

SCHEMAS: dict[str, pa.Schema] = {
    "measure_departments": MEASURE_DEPARTMENTS,
    "measures": MEASURES,
    "notices": NOTICES,
    "departments": DEPARTMENTS,
}


@dataclass
class NoticeRecord:
    """What the notices table says of one notice (from the extract stage and raw/)."""

    notice_id: str
    title: str
    issuer: str
    issued_on: str | None
    source_file: str
    source_format: str
    sha256: str
    alternates: list[str] = field(default_factory=list)
    pages: int | None = None
    role_words: int = 0  # role words (责任单位, 牵头, 负责 …) in its text: the notices suite checks measures were found


def _date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Rows into a table of the named schema; a missing or unknown column is an error."""
    schema = SCHEMAS[name]
    want = set(schema.names)
    for r in rows[:1]:
        if set(r) != want:
            raise ValueError(f"{name}: columns {sorted(set(r) ^ want)} do not match the schema")
    return pa.Table.from_pylist(rows, schema=schema)


def build_tables(notices: list[NoticeRecord], normalized: list[NormalizedMeasure], registry: Registry) -> dict[str, pa.Table]:
    pairs, measures = [], []
    per_notice: dict[str, list[int]] = {n.notice_id: [0, 0] for n in notices}
    jurisdiction = {n.notice_id: registry.jurisdiction_of(n.issuer, n.title) for n in notices}
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


def filter_notices(tables: dict[str, pa.Table], keep: set[str]) -> dict[str, pa.Table]:
    """The rows of the notice tables that belong to the kept notices (departments aside)."""
    import pyarrow.compute as pc

    out = {}
    for name in ("measure_departments", "measures", "notices"):
        t = tables[name]
        out[name] = t.filter(pc.is_in(t.column("notice_id"), value_set=pa.array(sorted(keep), pa.string())))
    return out


def combine(new: dict[str, pa.Table], kept_new: set[str], old: dict[str, pa.Table] | None, kept_old: set[str]) -> dict[str, pa.Table]:
    """This run's rows of `kept_new` notices with the last published rows of `kept_old` ones
    (notices held back or unreadable keep the version BI already has); the departments table
    is counted again over the combined pairs."""
    tables = filter_notices(new, kept_new)
    dept_sources = [new["departments"]]
    if old is not None and kept_old:
        prev = filter_notices(old, kept_old)
        tables = {k: pa.concat_tables([tables[k], prev[k]]).sort_by([("notice_id", "ascending")] + (
            [("part", "ascending"), ("measure_no", "ascending")] if k != "notices" else [])) for k in tables}
        dept_sources.append(old["departments"])
    tables["departments"] = _departments(tables["measure_departments"], dept_sources)
    return tables


def _departments(pairs: pa.Table, sources: list[pa.Table]) -> pa.Table:
    info: dict[str, dict] = {}
    for src in reversed(sources):  # the newest source wins
        for r in src.to_pylist():
            info[r["department_canonical"]] = r
    rows: dict[str, dict] = {}
    for r in pairs.to_pylist():
        d = rows.setdefault(r["department_canonical"], {"surface": set(), "measures": set(), "notices": set()})
        d["surface"].add(r["department"])
        d["measures"].add((r["notice_id"], r["part"], r["measure_no"]))
        d["notices"].add(r["notice_id"])
        d.setdefault("pair", r)
    out = []
    for canonical, d in sorted(rows.items()):
        i = info.get(canonical, {})
        out.append({"department_canonical": canonical, "surface_forms": sorted(d["surface"]), "jurisdiction": i.get("jurisdiction"),
                    "kind": i.get("kind"), "is_collective": bool(i.get("is_collective", d["pair"]["is_collective"])),
                    "in_registry": bool(i.get("in_registry", d["pair"]["in_registry"])),
                    "n_measures": len(d["measures"]), "n_notices": len(d["notices"])})
    return to_table("departments", out)
