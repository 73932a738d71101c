"""The candidate curated tables, built from the normalized measures.

    notice_record(notice_id, header, source, registry) -> NoticeRecord   its row of the notices table, jurisdiction included
    build_tables(records, normalized, registry) -> {name: pyarrow.Table}
    notice_summary(record, tables, digest) -> Summary                   what checks across notices need of one notice
    notice_departments(pairs, facts) -> rows                             one notice's rows of the departments table
    merge_departments(per-notice department rows) -> the departments table

The schemas are in model/tables.py; a notice's pieces are written by its folder (run/folder.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from ..model.interim import Header, NameUse, NoticeRecord, Summary
from ..model.tables import list_text, measure_id, to_table
from . import NormalizedMeasure
from .registry import Entry, Registry


@dataclass(frozen=True)
class Source:
    """Where a notice's rows come from: the file read, as the run found and read it."""

    file: str
    format: str
    sha256: str
    alternates: list[str]


def notice_record(notice_id: str, header: Header, source: Source, registry: Registry) -> NoticeRecord:
    """The notice's row of the notices table, with the jurisdiction it speaks for (the one place
    it is computed: every table and check reads it from the record)."""
    # a notice that prints neither issuer nor title naming a place: its text may say where it speaks for
    jurisdiction = registry.jurisdiction_of(header.issuer, header.title) or registry.jurisdiction_in_text(header.opening, header.lead)
    return NoticeRecord(notice_id, header.title, header.issuer, header.issued_on, source.file, source.format, source.sha256,
                        source.alternates, header.pages, header.role_words, jurisdiction, header.doc_no, header.attachments)


@dataclass(frozen=True)
class DepartmentFacts:
    """What is known of a canonical department name beside the pairs that write it."""

    jurisdiction: str | None
    kind: str | None
    is_collective: bool
    in_registry: bool

    @classmethod
    def resolved(cls, entry: Entry | None, jurisdiction: str | None, is_collective: bool) -> DepartmentFacts:
        """From the registry's entry; a name not in it takes the notice's jurisdiction, and its
        kind is known only for a collective placeholder."""
        if entry is not None:
            return cls(entry.jurisdiction, entry.kind, is_collective, True)
        return cls(jurisdiction, "collective" if is_collective else None, is_collective, False)

    @classmethod
    def published(cls, row: Mapping) -> DepartmentFacts:
        """As a departments table row says."""
        return cls(row["jurisdiction"], row["kind"], row["canonical_is_collective"], row["canonical_in_registry"])


def _date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def build_tables(notices: list[NoticeRecord], normalized: list[NormalizedMeasure], registry: Registry) -> dict[str, pa.Table]:
    pairs, measures = [], []
    per_notice: dict[str, list[int]] = {n.notice_id: [0, 0] for n in notices}
    jurisdiction = {n.notice_id: n.jurisdiction for n in notices}
    facts: dict[str, dict[str, DepartmentFacts]] = {}  # per notice: what the registry says of each canonical name
    for nm in sorted(normalized, key=lambda x: (x.measure.notice_id, x.measure.part, x.measure.measure_no)):
        m = nm.measure
        per_notice.setdefault(m.notice_id, [0, 0])[0] += 1
        for a in nm.assignments:
            entry = registry.resolve(a.department, jurisdiction.get(m.notice_id, ""))
            canonical = entry.canonical if entry else registry.fallback_canonical(a.department, jurisdiction.get(m.notice_id, ""))
            pairs.append({
                "measure_id": measure_id(m.notice_id, m.part, m.measure_no), "notice_id": m.notice_id, "part": m.part, "measure_no": m.measure_no,
                "department": a.department, "department_canonical": canonical, "role": a.role,
                "is_collective": a.is_collective, "in_registry": entry is not None, "position": a.position,
                "department_raw": a.raw_text, "source_file": m.source_file, "source_ref": a.source_ref,
            })
            per_notice[m.notice_id][1] += 1
            facts.setdefault(m.notice_id, {}).setdefault(
                canonical, DepartmentFacts.resolved(entry, jurisdiction.get(m.notice_id, ""), a.is_collective))
        measures.append(_measure_row(nm))
    notice_rows = [{
        "notice_id": n.notice_id, "title": n.title, "issuer": n.issuer, "issued_on": _date(n.issued_on),
        "doc_no": n.doc_no, "attachments": list_text(n.attachments), "source_file": n.source_file, "source_format": n.source_format, "sha256": n.sha256,
        "alternates": n.alternates, "alternates_text": list_text(n.alternates), "pages": n.pages,
        "issuer_jurisdiction": n.jurisdiction or None, "n_role_words": n.role_words,
        "n_measures": per_notice[n.notice_id][0], "n_pairs": per_notice[n.notice_id][1],
    } for n in sorted(notices, key=lambda n: n.notice_id)]
    by_notice: dict[str, list[dict]] = {}
    for r in pairs:
        by_notice.setdefault(r["notice_id"], []).append(r)
    return {
        "measure_departments": to_table("measure_departments", pairs),
        "measures": to_table("measures", measures),
        "notices": to_table("notices", notice_rows),
        "departments": merge_departments(notice_departments(rows, facts[nid]) for nid, rows in sorted(by_notice.items())),
    }


def _measure_row(nm: NormalizedMeasure) -> dict:
    m = nm.measure
    return {
        "measure_id": measure_id(m.notice_id, m.part, m.measure_no), "notice_id": m.notice_id, "part": m.part, "measure_no": m.measure_no,
        "measure_label": m.measure_label,
        "measure_path": m.measure_path,
        "section_no": m.section_no, "section_title": m.section_title, "area": m.area, "task": m.task,
        "scope": m.scope, "text": m.text, "due_raw": nm.deadline.raw, "due_kind": nm.deadline.kind,
        "due_date": _date(nm.deadline.date), "departments_open_ended": nm.open_ended,
        "n_departments": len(nm.assignments), "origin": m.origin,
        "source_file": m.source_file, "source_ref": m.source_ref,
    }


def notice_departments(pairs: Iterable[Mapping], facts: Mapping[str, DepartmentFacts]) -> list[dict]:
    """One notice's rows of the departments table: per canonical name, the surface forms its
    pairs write, the measures naming it, and what `facts` says of it (a name it lacks is taken as
    the registry would leave it: not in it, no jurisdiction)."""
    rows: dict[str, dict] = {}
    for r in pairs:
        canonical = r["department_canonical"]
        d = rows.get(canonical)
        if d is None:
            f = facts.get(canonical) or DepartmentFacts.resolved(None, None, r["is_collective"])
            d = rows[canonical] = {"department_canonical": canonical, "surface_forms": set(), "jurisdiction": f.jurisdiction, "kind": f.kind,
                                   "canonical_is_collective": f.is_collective, "canonical_in_registry": f.in_registry, "measures": set()}
        d["surface_forms"].add(r["department"])
        d["measures"].add((r["part"], r["measure_no"]))
    return [{**{k: v for k, v in d.items() if k != "measures"}, **_forms(d["surface_forms"]),
             "n_measures_named_in": len(d["measures"]), "n_notices_named_in": 1} for _, d in sorted(rows.items())]


def _forms(names: Iterable[str]) -> dict:
    """A department's surface forms, as a list and as text."""
    forms = sorted(names)
    return {"surface_forms": forms, "surface_forms_text": list_text(forms)}


def _month(kind: str, due: date | None) -> str:
    return "ongoing" if kind == "ongoing" else (due.strftime("%Y-%m") if due else "no deadline")


def notice_summary(record: NoticeRecord, tables: dict[str, pa.Table], digest: str) -> Summary:
    """What checks across notices need of one notice (whose tables these are), in a few kilobytes."""
    pairs = tables["measure_departments"]
    names: dict[tuple[str, str], NameUse] = {}
    for dept, canon, known, coll, file, ref in zip(*(pairs.column(c).to_pylist() for c in (
            "department", "department_canonical", "in_registry", "is_collective", "source_file", "source_ref")), strict=True):
        use = names.setdefault((dept, canon), NameUse(dept, canon, known, coll, 0, ":".join(x for x in (file, ref or "") if x)))
        use.pairs += 1
    m = tables["measures"]
    months = Counter(_month(k, d) for k, d in zip(m.column("due_kind").to_pylist(), m.column("due_date").to_pylist(), strict=True))
    return Summary(record.notice_id, digest, m.num_rows, pairs.num_rows, record, list(names.values()), dict(months),
                   tables["departments"].to_pylist())


def merge_departments(per_notice: Iterable[list[dict]]) -> pa.Table:
    """The departments table from each notice's department rows (in notice order): surface forms
    united, measures and notices summed; what the registry says is taken from the first notice
    naming the department."""
    rows: dict[str, dict] = {}
    for notice_rows in per_notice:
        for r in notice_rows:
            d = rows.get(r["department_canonical"])
            if d is None:
                rows[r["department_canonical"]] = {**r, "surface_forms": set(r["surface_forms"])}
                continue
            d["surface_forms"].update(r["surface_forms"])
            d["n_measures_named_in"] += r["n_measures_named_in"]
            d["n_notices_named_in"] += r["n_notices_named_in"]
    return to_table("departments", [{**d, **_forms(d["surface_forms"])} for _, d in sorted(rows.items())])
