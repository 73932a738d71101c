"""Validate stage (placeholder until the GX suites land)."""

from __future__ import annotations


def validate(tables, records, normalized, registry, expectations):  # noqa: ANN001, ANN201
    df = tables["measures"].to_pandas()
    dup = df.duplicated(["notice_id", "part", "measure_no"], keep=False)
    ok = not dup.any()
    return {"passed": ok, "blocking_failed": [] if ok else ["numbering_unique"], "results": [], "findings_objects": []}
