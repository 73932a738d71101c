"""The per-notice gate's arithmetic: which rows of which notices go to curated/."""

from __future__ import annotations

import pyarrow as pa

from ..model.tables import to_table


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
