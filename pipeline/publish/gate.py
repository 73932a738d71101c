"""The gate: whether the candidate tables may be published at all (their validation names them
and the registry), and the per-notice arithmetic: the departments rows of a held-back notice's
published rows."""

from __future__ import annotations

import pyarrow as pa

from ..model.tables import to_table


def departments_of(pairs: pa.Table, sources: list[pa.Table]) -> pa.Table:
    """Department rows counted over `pairs`, with what `sources` (departments tables, newest
    first) say of each name: for the rows of a held-back notice as they were published."""
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


def unvalidated(validation: dict, tables_hash: str, registry: str) -> tuple[str, str] | None:
    """Why the candidate tables may not be published as validated: what is wrong ("tables" or
    "registry") and the words; None when they may. The validation must name these very tables
    and the registry it checked them with, whatever run wrote it: a run that found nothing changed
    saved one naming neither, and a publish after another `normalize` skipped the check."""
    again = "run `python -m pipeline validate` again"
    if not validation:
        return "tables", "the candidate tables were not validated: run `python -m pipeline validate` first"
    if not validation.get("tables_hash"):
        return "tables", f"the candidate tables' validation does not name the tables it checked: {again}"
    if validation["tables_hash"] != tables_hash:
        return "tables", f"the candidate tables changed since they were validated: {again}"
    if validation.get("registry") != registry:
        return "registry", "the candidate tables were validated with another registry: run `python -m pipeline normalize` and `validate` with this one first"
    return None
