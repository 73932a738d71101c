"""The candidate curated tables, built from the normalized measures.

    build_tables(notices, normalized, registry) -> {name: pyarrow.Table}
    write_pieces(folder, record, normalized, registry) -> summary   one notice's rows, as Arrow files
    merge_departments(per-notice department rows) -> the departments table

The schemas are in model/tables.py.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pyarrow as pa

from ..files import atomic_file, write_json
from ..model.tables import NoticeRecord, attachments_text, to_table
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
        "doc_no": n.doc_no, "attachments": attachments_text(n.attachments), "source_file": n.source_file, "source_format": n.source_format, "sha256": n.sha256,
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


# --- per-notice pieces ---------------------------------------------------------------------
# Each notice's rows are kept as Arrow files in interim/<id>/tables/ with a small summary: the
# curated tables are concatenations of these pieces, and every check across notices (the
# departments table, canonical names, copies, the report's charts) reads the summaries only,
# so memory stays flat however many notices the archive holds.

PIECES = ("measures", "measure_departments", "notices")
PIECE_DIR = "tables"
SUMMARY = "summary.json"


def _write_ipc(path: Path, table: pa.Table) -> None:
    with atomic_file(path) as sink, pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)


def _month(kind: str, due: date | None) -> str:
    return "ongoing" if kind == "ongoing" else (due.strftime("%Y-%m") if due else "no deadline")


def notice_summary(record: NoticeRecord, tables: dict[str, pa.Table], digest: str) -> dict:
    """What checks across notices need of one notice, in a few kilobytes."""
    pairs = tables["measure_departments"]
    names: dict[tuple[str, str], list] = {}
    for dept, canon, known, coll, file, ref in zip(*(pairs.column(c).to_pylist() for c in (
            "department", "department_canonical", "in_registry", "is_collective", "source_file", "source_ref")), strict=True):
        row = names.setdefault((dept, canon), [dept, canon, known, coll, 0, ":".join(x for x in (file, ref or "") if x)])
        row[4] += 1
    m = tables["measures"]
    months = Counter(_month(k, d) for k, d in zip(m.column("due_kind").to_pylist(), m.column("due_date").to_pylist(), strict=True))
    return {"notice_id": record.notice_id, "digest": digest, "measures": m.num_rows, "pairs": pairs.num_rows,
            "record": asdict(record), "names": list(names.values()), "months": dict(months),
            "departments": tables["departments"].to_pylist()}


def write_pieces(folder: Path, record: NoticeRecord, normalized: list[NormalizedMeasure], registry: Registry) -> dict:
    """One notice's rows as Arrow files, and its summary (with the pieces' digest)."""
    tables = build_tables([record], normalized, registry)
    out = folder / PIECE_DIR
    out.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    for name in PIECES:
        _write_ipc(out / f"{name}.arrow", tables[name])
        h.update(name.encode() + (out / f"{name}.arrow").read_bytes())
    summary = notice_summary(record, tables, h.hexdigest())
    write_json(folder / SUMMARY, summary, indent=None)
    return summary


class StalePieces(Exception):
    """A notice's pieces are not the ones its digest names (changed since they were checked)."""


def read_pieces(folder: Path, digest: str | None = None) -> dict[str, pa.Table]:
    """One notice's pieces; with `digest`, only if they are still the pieces it names."""
    out = {}
    h = hashlib.sha256()
    for name in PIECES:
        data = (folder / PIECE_DIR / f"{name}.arrow").read_bytes()
        h.update(name.encode() + data)
        out[name] = pa.ipc.open_file(pa.py_buffer(data)).read_all()
    if digest is not None and h.hexdigest() != digest:
        raise StalePieces(f"{folder.name}: its rows changed since they were validated")
    return out


def pieces_exist(folder: Path) -> bool:
    return (folder / SUMMARY).exists() and all((folder / PIECE_DIR / f"{n}.arrow").exists() for n in PIECES)


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
            d["n_measures"] += r["n_measures"]
            d["n_notices"] += r["n_notices"]
    return to_table("departments", [{**d, "surface_forms": sorted(d["surface_forms"])} for _, d in sorted(rows.items())])
