"""The curated tables: explicit pyarrow schemas, the contract with BI (documented in the README).

SCHEMA_VERSION changes whenever a column is added, removed or retyped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

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
    jurisdiction: str | None = None  # from the registry, by issuer and title: computed once, by build_tables


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Rows into a table of the named schema; a missing or unknown column is an error."""
    schema = SCHEMAS[name]
    want = set(schema.names)
    for r in rows[:1]:
        if set(r) != want:
            raise ValueError(f"{name}: columns {sorted(set(r) ^ want)} do not match the schema")
    return pa.Table.from_pylist(rows, schema=schema)


