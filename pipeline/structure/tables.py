"""Responsibility tables into Measures.

The header row is recognised by column synonyms (wording/columns.toml) and the role labels
(wording/roles.toml); section rows (一、…) give the section; an empty cell under a vertically
merged one takes the value above; a 序号 cell spanning several rows is one measure. Department
text is kept as written: the normalize stage splits and cleans it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Finding
from ..model import Block, Cell, Notice, Part, Table
from ..outline.grammar import leading_marker
from ..wording import wording
from .anchors import Duty
from .measure import Measure

SECTION_SCHEMES = ("cn-comma", "chapter")  # the numbering grammar's section-level markers: 一、 第一章
SENTENCE_END = re.compile(r"[。；;！!？?]")
WS = re.compile(r"\s+")


def squash(text: str) -> str:
    return WS.sub("", text)


def dedupe_doubled(text: str) -> str:
    """A merged cell cut by a page break can carry its phrase twice: keep it once."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if len(lines) >= 2 and len(set(lines)) == 1:
        return lines[0]
    flat = squash(text)
    half = len(flat) // 2
    if flat and len(flat) % 2 == 0 and flat[:half] == flat[half:] and len(lines) > 1:
        return flat[:half]
    return text.strip()


SUB_NUMBER = re.compile(r"^([0-9]+)[.．]([0-9]+)[.．、]?$")  # 2.1: a sub-row of measure 2


def row_number(label: str) -> int | None:
    """序号 as printed: 12, 12., 12、, （12）, （十二）: a bare number or one marker of the grammar."""
    if label.isdigit():
        return int(label)
    found = leading_marker(label)
    return found[0].value if found and not found[1] and found[0].scheme != "num-sub" else None


def section_of(text: str) -> tuple[int, str] | None:
    """(number, title) of a section heading: 一、标题 (the grammar's section-level schemes)."""
    found = leading_marker(text.strip())
    if not found or found[0].scheme not in SECTION_SCHEMES or not found[1].strip():
        return None
    return found[0].value, squash(found[1])


def _any_section(text: str, before: tuple[int, str] | None) -> tuple[int, str] | None:
    """A full-width row is a section whatever its marker (（一）贸易便利, or none): its number is the
    marker's, else the one after the section before."""
    found = leading_marker(text.strip())
    if found and found[1].strip():
        return found[0].value, squash(found[1])
    t = squash(text)
    return ((before[0] + 1) if before else 1, t) if t and len(t) <= 60 else None


def section_heading(b: Block) -> tuple[int, str] | None:
    """A paragraph that is a section heading (一、…): short, not a sentence."""
    text = b.text.strip()
    return section_of(text) if len(text) < 60 and not SENTENCE_END.search(text[:-1]) else None


# --- tables ----------------------------------------------------------------------------------

@dataclass
class ColumnMap:
    fields: dict[str, int]  # field -> column
    departments: list[tuple[int, str]]  # (column, role)
    header: list[str]


def match_header(texts: list[str]) -> ColumnMap | None:
    """Map header cells to fields by synonym and department columns by role label; None unless
    it looks like a responsibility table. Columns of people (责任领导) are left out."""
    people = wording().roles.people
    fields: dict[str, int] = {}
    departments: list[tuple[int, str]] = []
    for k, raw in enumerate(texts):
        t = squash(raw)
        best = _column_kind(t) if t and not any(w in t for w in people) else None
        if not best:
            continue
        if best[1] == "dept":
            departments.append((k, best[2]))
        elif best[2] == "text" and "text" in fields and "task" not in fields:
            fields["task"], fields["text"] = fields["text"], k  # a title column, then the content column
        elif best[2] not in fields:
            fields[best[2]] = k
    if "text" not in fields and "task" in fields:
        fields["text"] = fields.pop("task")  # 序号｜主要任务｜责任单位: the task column is the measure
    if "text" not in fields or not (departments or "due" in fields):
        return None
    return ColumnMap(fields, departments, [squash(t) for t in texts])


def _column_kind(t: str) -> tuple[int, str, str] | None:
    """What a header cell names: (how well: the synonym's length, an exact one far ahead; "dept"
    and its role, or "field" and its field); None for no column the pipeline reads."""
    roles = wording().roles
    best: tuple[int, str, str] | None = None
    label = re.sub(r"[（(][^）)]*[）)]", "", t)  # 责任单位（排名第一的为牵头单位）: the label before its note
    role = roles.label_role(label) or next((r for syn, r in roles.labels.items() if len(syn) > 2 and syn in label), None)
    if role:
        best = (len(label) + (100 if label == t else 0), "dept", role)
    for name, syns in wording().columns.fields.items():
        for syn in syns:
            if t == syn or syn in t:
                best = max(best or (0, "", ""), (len(syn) + (100 if t == syn else 0), "field", name))
    return best


class _TableReader:
    def __init__(self, notice: Notice, part: Part, findings: list[Finding]) -> None:
        self.notice, self.part, self.findings = notice, part, findings

    def measures(self) -> list[Measure]:
        out: list[Measure] = []
        cmap: ColumnMap | None = None
        section: tuple[int, str] | None = None
        for b in self.part.blocks:
            if b.kind != "table" or b.table is None:
                section = section_heading(b) or section
                continue
            table = b.table
            grid = table.grid()
            texts = [[c.text if c else "" for c in row] for row in grid]
            start = 0
            for r in range(min(3, table.n_rows)):
                found = match_header(texts[r])
                if found:
                    cmap, start = found, r + 1
                    # a two-row header: 责任单位 over 牵头单位 | 配合单位
                    if r + 1 < table.n_rows and row_number(squash(texts[r + 1][found.fields.get("number", 0)])) is None:
                        combined = [low if squash(low) and low != high else high for high, low in zip(texts[r], texts[r + 1], strict=True)]
                        sub = match_header(combined)
                        if sub and sub.departments != found.departments:
                            cmap, start = sub, r + 2
                    break
            else:
                if cmap is None or len(cmap.header) != table.n_cols:
                    if table.n_rows:
                        self.finding("info", "table-skipped", "a table with no recognised header was not read as measures", b, " | ".join(texts[0]))
                    continue
            section = self.read_rows(table, grid, start, cmap, section, out)
        return out

    def read_rows(self, table: Table, grid: list[list[Cell | None]], start: int, cmap: ColumnMap,
                  section: tuple[int, str] | None, out: list[Measure]) -> tuple[int, str] | None:
        f = cmap.fields
        carry: dict[str, str] = {}  # values of grouping columns, filled down
        full_width = set(table.full_width_rows())  # section rows: one cell across the table
        for r in range(start, table.n_rows):
            row = grid[r]
            texts = [dedupe_doubled(c.text) if c else "" for c in row]
            distinct = {squash(t) for t in texts if squash(t)}
            if [squash(t) for t in texts] == cmap.header or not distinct:
                continue  # a repeated header row, or an empty one
            spans_all = r in full_width
            if spans_all or (len(distinct) == 1 and section_of(texts[0]) and not texts[f.get("number", 0)].strip().isdigit()):
                section = self.section_row(texts, row, spans_all, section)
                continue
            for name in ("area", "task", "scope", "due"):
                if name in f:
                    k = f[name]
                    if squash(texts[k]):
                        carry[name] = texts[k].strip()
                    texts[k] = carry.get(name, "")
            num_cell = row[f["number"]] if "number" in f else None
            if num_cell is not None and r > start and grid[r - 1][f["number"]] is num_cell and out:
                self.continue_row(out[-1], row, texts, cmap)  # a 序号 spanning several rows: one measure
                continue
            m = self.measure(row, texts, cmap, num_cell, section, out)
            if m is not None:
                out.append(m)
        return section

    def section_row(self, texts: list[str], row: list[Cell | None], spans_all: bool,
                    section: tuple[int, str] | None) -> tuple[int, str] | None:
        """A row across the table: the section it opens (else a warning, and the section goes on)."""
        full = next(iter(t for t in texts if t.strip()))
        s = section_of(full) or (_any_section(full, section) if spans_all else None)
        if not s:
            self.finding("warning", "row-unread", "a full-width row that is not a section heading", row[0], texts[0])
        return s or section

    def measure(self, row: list[Cell | None], texts: list[str], cmap: ColumnMap, num_cell: Cell | None,
                section: tuple[int, str] | None, out: list[Measure]) -> Measure | None:
        """The measure a numbered row gives; None for a row that is not one (said as a finding, or
        read as the row above going on)."""
        f = cmap.fields
        label = squash(texts[f["number"]]) if "number" in f else ""
        text = texts[f["text"]].strip()
        number = row_number(label)
        sub = SUB_NUMBER.match(label)
        if "number" in f and number is None and not sub:
            self.unnumbered(row, texts, cmap, label, text, num_cell or row[f["text"]], out)
            return None
        if not text:
            self.finding("warning", "row-unread", "a numbered row with no measure text was not read", num_cell, " | ".join(texts))
            return None
        area = texts[f["area"]].strip() if "area" in f else ""
        sec = (section_of(area) if area else None) or section
        src = (num_cell or row[f["text"]])
        m = Measure(
            self.notice.notice_id, self.part.number, number if number is not None else 0, label, text,  # a sub-row (2.1): numbered in reading order
            self.notice.source_file, src.source.ref() if src else "",
            section_no=sec[0] if sec else None, section_title=sec[1] if sec else "",
            area=area, task=squash(texts[f["task"]]) if "task" in f else "",
            scope=texts[f["scope"]].strip() if "scope" in f else "",
            due_raw=texts[f["due"]].strip() if "due" in f else "",
            measure_path="/".join(x for x in (str(sec[0]) if sec else "", sub.group(1) if sub else "", label or "¶") if x),
        )
        for k, role in cmap.departments:
            cell = row[k]
            if cell and cell.text.strip():
                m.duties.append(Duty(role, cell.text, cell.source.ref()))
        return m

    def unnumbered(self, row: list[Cell | None], texts: list[str], cmap: ColumnMap, label: str, text: str, where: Cell | None,
                   out: list[Measure]) -> None:
        """A row without a number goes on from the row above; one whose number is not a number is not read."""
        number_header = cmap.header[cmap.fields["number"]]
        if not label and out and (text or any(row[k] for k, _ in cmap.departments)):
            self.finding("warning", "row-without-number", f"a row without {number_header} was read as the continuation of the row above",
                         where, " | ".join(texts))
            out[-1].text += text
            self.continue_departments(out[-1], row, cmap)
        else:
            self.finding("warning", "row-unread", f"a row whose {number_header} is not a number ({label!r}) was not read", where, " | ".join(texts))

    def continue_row(self, m: Measure, row: list[Cell | None], texts: list[str], cmap: ColumnMap) -> None:
        text = texts[cmap.fields["text"]].strip()
        if text and text not in m.text:
            m.text += "\n" + text
        self.continue_departments(m, row, cmap)

    @staticmethod
    def continue_departments(m: Measure, row: list[Cell | None], cmap: ColumnMap) -> None:
        """A department cell that goes on in the next row (a row cut by a page break, a 序号 over
        several rows) goes on in its column's list, on a line of its own: a name wrapped there
        (市卫 | 生健康委) is joined by the normalizer's wrapped-name rule, not read as two bodies."""
        for k, role in cmap.departments:
            cell = row[k]
            if not cell or not cell.text.strip() or any(d.text == cell.text and d.role == role for d in m.duties):
                continue
            # the duty read from this column: its place names the column as this cell's does
            same = next((d for d in reversed(m.duties) if d.role == role and re.search(rf"\bcol {cell.source.col}\b", d.source_ref)), None)
            if same is not None and cell.text not in same.text:
                same.text += "\n" + cell.text
            elif same is None:
                m.duties.append(Duty(role, cell.text, cell.source.ref()))

    def finding(self, severity: str, code: str, message: str, where: Block | Cell | None, raw: str) -> None:
        self.findings.append(Finding(self.notice.notice_id, "structure", severity, code, message,  # type: ignore[arg-type]
                                     self.notice.source_file, where.source.ref() if where else "", raw[:500]))
