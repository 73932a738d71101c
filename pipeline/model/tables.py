"""The curated tables: explicit pyarrow schemas, the contract with BI (documented in the README).

SCHEMA_VERSION changes whenever a column is added, removed or retyped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyarrow as pa

from .interim import NoticeRecord

__all__ = ["SCHEMAS", "SCHEMA_VERSION", "NoticeRecord", "conform", "data_dictionary", "dictionary_markdown", "measure_id", "to_table"]

SCHEMA_VERSION = "3.1"  # 1.1: measures.measure_path; 2.0: null for missing text (was ''), one directory per table; 2.1: notices.doc_no,
# attachments; 3.0: measure_id in measures and measure_departments, a column name means one thing in every table
# (the departments table's is_collective, in_registry, n_measures and n_notices renamed), the list columns also as text
# (alternates_text, surface_forms_text); 3.1: notices.issuer_jurisdiction and n_role_words (what two checks read, published)

# A list as one string: BI tools (Power BI, Tableau, a spreadsheet) filter and show a string and
# read a list column badly. The attachments column is only this; alternates and surface_forms
# keep their lists (for DuckDB and pyarrow) with this beside them. No item holds the separator
# (a '|' is taken out of one that does), so splitting it gives the items back.
LIST_SEPARATOR = " | "


def list_text(items: Iterable[str]) -> str | None:
    """The items joined by LIST_SEPARATOR; null for none."""
    return LIST_SEPARATOR.join(n.replace("|", "｜") for n in items) or None


def measure_id(notice_id: str, part: int, measure_no: int) -> str:
    """A measure's one-column key, made of its three: `<notice_id>:<part>:<measure_no>`. It
    depends on nothing but the measure's notice, so it is the same in every run, whichever other
    notices are in it; read from the right it splits back (part and measure_no are numbers)."""
    return f"{notice_id}:{part}:{measure_no}"


MEASURE_DEPARTMENTS = pa.schema([
    pa.field("measure_id", pa.string(), nullable=False),
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
    pa.field("measure_id", pa.string(), nullable=False),
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
    pa.field("doc_no", pa.string()),
    pa.field("attachments", pa.string()),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_format", pa.string(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("alternates", pa.list_(pa.string()), nullable=False),
    pa.field("alternates_text", pa.string()),
    pa.field("pages", pa.int32()),
    pa.field("issuer_jurisdiction", pa.string()),
    pa.field("n_role_words", pa.int32()),
    pa.field("n_measures", pa.int32(), nullable=False),
    pa.field("n_pairs", pa.int32(), nullable=False),
])

DEPARTMENTS = pa.schema([
    pa.field("department_canonical", pa.string(), nullable=False),
    pa.field("surface_forms", pa.list_(pa.string()), nullable=False),
    pa.field("surface_forms_text", pa.string(), nullable=False),
    pa.field("jurisdiction", pa.string()),
    pa.field("kind", pa.string()),
    pa.field("canonical_is_collective", pa.bool_(), nullable=False),
    pa.field("canonical_in_registry", pa.bool_(), nullable=False),
    pa.field("n_measures_named_in", pa.int32(), nullable=False),
    pa.field("n_notices_named_in", pa.int32(), nullable=False),
])

SCHEMAS: dict[str, pa.Schema] = {
    "measure_departments": MEASURE_DEPARTMENTS,
    "measures": MEASURES,
    "notices": NOTICES,
    "departments": DEPARTMENTS,
}

TABLE_MEANINGS = {
    "measure_departments": "one row per measure–department pair",
    "measures": "one row per measure",
    "notices": "one row per notice",
    "departments": "one row per canonical department",
}

_KEY = {
    "measure_id": ("the measure's key in one column: `<notice_id>:<part>:<measure_no>` (`plan:1:12`: measure 12 of 附件1 of plan.docx); the same in every run, "
                   "whichever notices are in it; pairs join measures on it"),
    "notice_id": "raw file name without extension",
    "part": "0 for the notice body, N for 附件N (documents issued without an 附件 label are 1…k in the order the notice names them)",
    "measure_no": "the item's printed number where it runs on through the part without repeating (序号, （十二） → 12), else the ordinal 1…N in reading order",
}

# Columns several tables hold, described once: a column name means one thing in every table.
_SHARED = {
    "department_canonical": ("what BI groups by: the registry's canonical name (市商务局 in a Tianjin notice → 天津市商务局), else the "
                             "pipeline's guess for a name not in it; the key of departments"),
    "source_file": "the raw file read",
    "source_ref": ("where in that file the row was read (a measure: where it starts; a pair: its department's cell or sentence), as a "
                   "person finds it, every number counted from 1: `p.3 l.12` (a PDF's page, and the line on it counted from the top "
                   "without running heads, page numbers and tables), `p.3 table 1 row 5 col 3` (the file's table, its row with the "
                   "header rows counted, its column), `line 42` (a text file), `para 17 item （三）` (a Word paragraph, and the label "
                   "Word's numbering shows), `para 12` (a saved page: the paragraph of its main text, each line the browser shows "
                   "counted), `table 1 row 5 col 3` (a Word or page table)"),
}

MEANINGS: dict[str, dict[str, str]] = {
    "measure_departments": {
        **_KEY,
        "department": ("the name as the notice writes it, cleaned (no whitespace, role words or trailing 等; wrapped names joined; "
                       "qualifiers kept: 办公室（信息中心）)"),
        "department_canonical": _SHARED["department_canonical"],
        "role": "`lead` (牵头), `responsible` (责任单位/部门/分工, 负责), `support` (配合/协同)",
        "is_collective": "the name as written is a placeholder naming no single body (各相关部门, 市级各有关部门)",
        "in_registry": "the name as written resolved in the registry, in the notice's jurisdiction or one above it",
        "position": "order within the measure's list, from 1",
        "department_raw": "the cell or bracket text it came from",
        "source_file": _SHARED["source_file"],
        "source_ref": _SHARED["source_ref"],
    },
    "measures": {
        **_KEY,
        "measure_label": "the number as printed: `12`, `（十二）`; null for an unnumbered paragraph",
        "measure_path": "the printed labels from the part down to the measure: `二/（三）/2` (`¶` for an unnumbered paragraph; `section/序号` in a table)",
        "section_no": "the number of the 一、… section (from a section row, the 改革领域 column or a prose heading)",
        "section_title": "that section's title",
        "area": "改革领域 as printed",
        "task": "主要任务, or a prose item's title",
        "scope": "实施范围",
        "text": "the measure's full text (prose: without the trailing （责任单位：…）)",
        "due_raw": "the deadline as written; null when none is given",
        "due_kind": "`month`, `quarter`, `half`, `year`, `ongoing` (持续推进, 长期坚持), `none`; `unparsed` for a wording not understood (a warning)",
        "due_date": "last day of the deadline's period (6月底前 without a year takes the notice's year); null for ongoing, none and unparsed",
        "departments_open_ended": "the list ended in 等 / 等部门 / 等相关单位 …",
        "n_departments": "pairs for this measure",
        "origin": "`table` or `prose`",
        "source_file": _SHARED["source_file"],
        "source_ref": _SHARED["source_ref"],
    },
    "notices": {
        "notice_id": _KEY["notice_id"],
        "title": "the notice's title (never a 文号, a file name or a page's label): as its text prints it, else as its page gives it",
        "issuer": ("the issuing office, as printed: the title's words before 关于/印发, else the signature above the date, "
                   "else the page's 发文机关/发布机构"),
        "issued_on": "the date the notice was signed: its date line (in run-on text, the date its signature gives), else the page's 成文日期",
        "doc_no": "its 文号 (国办发〔2018〕126号): the line under its title, else the page's 发文字号",
        "attachments": "the files its page links (附件下载), their names as shown, separated by a vertical bar between spaces; null when none",
        "source_file": _SHARED["source_file"],
        "source_format": "its format by content: txt, docx, doc, wps, pdf, html",
        "sha256": "of the file read",
        "alternates": "the notice's other forms present in raw/ (not read)",
        "alternates_text": "the same as one text, separated by a vertical bar between spaces (for BI tools); null when none",
        "pages": "PDF pages; null for formats without pages",
        "issuer_jurisdiction": ("the place whose government issued it (天津市), from the place its issuer or title names, else (a notice "
                                "printing no issuer) the one place its first paragraphs say it speaks for (结合我市实际 … 广州市); the "
                                "jurisdiction its short department names (市商务局) are resolved in; null when none names one the registry knows"),
        "n_role_words": ("role words (责任单位, 牵头, 负责 …) its text holds: a notice with some and no measures had its layout not read "
                         "and is held back; null in rows published before schema 3.1"),
        "n_measures": "measures published for it",
        "n_pairs": "measure–department pairs published for it",
    },
    "departments": {
        "department_canonical": _SHARED["department_canonical"],
        "surface_forms": "every name written for it",
        "surface_forms_text": "the same as one text, separated by a vertical bar between spaces (for BI tools)",
        "jurisdiction": "the registry's jurisdiction (天津市, 安徽省 …); null when not in the registry",
        "kind": "government body, party body, court, company, mass organization, public institution, collective; null when not known",
        "canonical_is_collective": "the canonical name is a placeholder naming no single body",
        "canonical_in_registry": "the canonical name is the registry's (a name written for it resolved there); false: the pipeline's guess for names not in it",
        "n_measures_named_in": "measures it is named in",
        "n_notices_named_in": "notices it is named in",
    },
}


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Rows into a table of the named schema; a missing or unknown column is an error. Missing
    text is null, never '': an empty string in a nullable text column becomes null."""
    schema = SCHEMAS[name]
    want = set(schema.names)
    for r in rows[:1]:
        if set(r) != want:
            raise ValueError(f"{name}: columns {sorted(set(r) ^ want)} do not match the schema")
    blank = [f.name for f in schema if f.nullable and pa.types.is_string(f.type)]
    rows = [{**r, **{c: None for c in blank if r[c] == ""}} for r in rows]
    return pa.Table.from_pylist(rows, schema=schema)


def _measure_ids(table: pa.Table) -> list[str]:
    return [measure_id(*k) for k in zip(*(table.column(c).to_pylist() for c in ("notice_id", "part", "measure_no")), strict=True)]


# Columns added since an earlier schema that the rows of a version published under it give: a
# held-back notice keeps its last published rows, which a publish under this schema rewrites.
DERIVED = {"measure_id": _measure_ids,
           "alternates_text": lambda t: [list_text(x) for x in t.column("alternates").to_pylist()],
           "surface_forms_text": lambda t: [list_text(x) for x in t.column("surface_forms").to_pylist()]}
# Columns renamed since (this name: the name before), per table.
RENAMED = {"departments": {"canonical_is_collective": "is_collective", "canonical_in_registry": "in_registry",
                           "n_measures_named_in": "n_measures", "n_notices_named_in": "n_notices"}}


def conform(name: str, table: pa.Table) -> pa.Table:
    """Rows of the named table as a version published under this schema or an earlier one holds
    them, in this schema: a column renamed since is read under its old name (RENAMED), one added
    since is derived from the others where it can be (DERIVED), null where it may be; a column
    dropped since is left out."""
    schema = SCHEMAS[name]
    old = RENAMED.get(name, {})
    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table.column(f.name).cast(f.type))
        elif old.get(f.name) in table.column_names:
            columns.append(table.column(old[f.name]).cast(f.type))
        elif f.name in DERIVED:
            columns.append(pa.array(DERIVED[f.name](table), f.type))
        elif f.nullable:
            columns.append(pa.nulls(table.num_rows, f.type))
        else:
            raise ValueError(f"{name}: rows published without {f.name}, which cannot be derived")
    return pa.Table.from_arrays(columns, schema=schema)


def pandas_metadata(name: str) -> bytes:
    """The `pandas` metadata the table's Parquet files carry, so that pd.read_parquet without
    dtype_backend gives what the file holds: a nullable integer as pandas' nullable integer
    (section_no Int16, not float64 because some are null) and a date as a date (due_date
    date32[pyarrow], not object). Only those columns are listed: pandas reads the others as it
    would; with dtype_backend="pyarrow" every column is its Arrow type anyway."""
    columns = []
    for f in SCHEMAS[name]:
        if pa.types.is_integer(f.type) and f.nullable:
            columns.append({"name": f.name, "field_name": f.name, "pandas_type": str(f.type), "numpy_type": str(f.type).capitalize(), "metadata": None})
        elif pa.types.is_date32(f.type):
            columns.append({"name": f.name, "field_name": f.name, "pandas_type": "date", "numpy_type": "date32[day][pyarrow]", "metadata": None})
    return json.dumps({"index_columns": [], "column_indexes": [], "columns": columns}).encode()


def _type_name(t: pa.DataType) -> str:
    return f"list<{t.value_type}>" if pa.types.is_list(t) else str(t)


def data_dictionary() -> dict:
    """Every published column with its type, nullability and meaning: published beside the
    tables as _dictionary.json, and the README's table section is generated from it."""
    missing = [(t, c) for t, s in SCHEMAS.items() for c in s.names if c not in MEANINGS[t]]
    extra = [(t, c) for t, cols in MEANINGS.items() for c in cols if c not in SCHEMAS[t].names]
    if missing or extra:
        raise ValueError(f"the data dictionary and the schemas disagree: undocumented {missing}, not in the schema {extra}")
    return {"schema_version": SCHEMA_VERSION, "tables": {
        name: {"meaning": TABLE_MEANINGS[name], "path": f"{name}/",
               "columns": [{"name": f.name, "type": _type_name(f.type), "nullable": f.nullable, "meaning": MEANINGS[name][f.name]}
                           for f in schema]}
        for name, schema in SCHEMAS.items()}}


def dictionary_markdown() -> str:
    """The README's section on the curated tables' columns (tests/test_house.py keeps them equal)."""
    d = data_dictionary()
    out = []
    for name, t in d["tables"].items():
        out += [f"### `{name}` — {t['meaning']}", "", "| column | type | null | meaning |", "|---|---|---|---|"]
        out += [f"| {c['name']} | {c['type']} | {'yes' if c['nullable'] else ''} | {c['meaning']} |" for c in t["columns"]]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
