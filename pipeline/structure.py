"""Structure stage: a Notice's tables and prose into Measures.

    structure(notice) -> (measures, findings)

Tables: the header row is recognised by column synonyms (wording/columns.toml); section rows
(一、…) give the section; an empty cell under a vertically merged one takes the value above.
Prose: numbered items （一）… or 1. … with their responsibility parenthesis; items of a
preamble section (总体要求 …) are not measures. Department text is kept as written: the
normalize stage splits and cleans it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import Finding
from .jsonio import write_json
from .model import Block, Cell, Notice, Part, Table
from .numerals import cn_to_int
from .wording import wording

SECTION = re.compile(r"^\s*([一二三四五六七八九十]+)\s*[、.．]\s*(.+?)\s*$", re.S)
ITEM_CN = re.compile(r"^\s*[（(]\s*([一二三四五六七八九十]+)\s*[）)]\s*(.*)$", re.S)
ITEM_NUM = re.compile(r"^\s*(\d{1,3})\s*(?:[.．、]|\s)\s*(?!\d)(.*)$", re.S)
SENTENCE_END = re.compile(r"[。；;！!？?]")
WS = re.compile(r"\s+")


@dataclass
class Duty:
    """A department list as the notice writes it, with the role its column or label gives."""

    role: str
    text: str
    source_ref: str


@dataclass
class Measure:
    notice_id: str
    part: int
    measure_no: int
    measure_label: str
    text: str
    source_file: str
    source_ref: str
    section_no: int | None = None
    section_title: str = ""
    area: str = ""
    task: str = ""
    scope: str = ""
    due_raw: str = ""
    origin: str = "table"  # table | prose
    duties: list[Duty] = field(default_factory=list)


def write_measures(measures: list[Measure], path: Path) -> None:
    write_json(path, [asdict(m) for m in measures])


def read_measures(path: Path) -> list[Measure]:
    out = []
    for d in json.loads(path.read_text(encoding="utf-8")):
        duties = [Duty(**x) for x in d.pop("duties")]
        out.append(Measure(**d, duties=duties))
    return out


def structure(notice: Notice) -> tuple[list[Measure], list[Finding]]:
    measures: list[Measure] = []
    findings: list[Finding] = []
    for part in notice.parts:
        from_table = _TableReader(notice, part, findings).measures()
        from_prose = _ProseReader(notice, part, findings).measures()
        if from_table:
            # Beside a responsibility table, numbered paragraphs are notes on it, not measures,
            # unless they name who carries them out.
            for m in from_prose:
                if not m.duties:
                    findings.append(Finding(notice.notice_id, "structure", "info", "item-beside-table",
                                            "a numbered paragraph beside the responsibility table, naming no unit, was not read as a measure",
                                            notice.source_file, m.source_ref, m.measure_label + m.text[:200]))
            from_prose = [m for m in from_prose if m.duties]
        measures += from_table + from_prose
    return measures, findings


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


ROW_NUMBER = re.compile(r"^[（(]?\s*([0-9]+|[一二三四五六七八九十]+)\s*[）)]?[.．、]?$")


def row_number(label: str) -> int | None:
    """序号 as printed: 12, 12., 12、, （12）, （十二）."""
    m = ROW_NUMBER.match(label)
    return cn_to_int(m.group(1)) if m else None


def section_of(text: str) -> tuple[int, str] | None:
    m = SECTION.match(text.strip())
    if not m:
        return None
    n = cn_to_int(m.group(1))
    return (n, squash(m.group(2))) if n else None


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
    """Map header cells to fields by synonym; None unless it looks like a responsibility table."""
    cols = wording().columns
    fields: dict[str, int] = {}
    departments: list[tuple[int, str]] = []
    for k, raw in enumerate(texts):
        t = squash(raw)
        if not t:
            continue
        best: tuple[int, str, str] | None = None  # (synonym length, kind, value)
        for syn, role in cols["departments"].items():
            if t == syn or syn in t:
                best = max(best or (0, "", ""), (len(syn) + (100 if t == syn else 0), "dept", role))
        for name, syns in cols["fields"].items():
            for syn in syns:
                if t == syn or syn in t:
                    best = max(best or (0, "", ""), (len(syn) + (100 if t == syn else 0), "field", name))
        if not best:
            continue
        if best[1] == "dept":
            departments.append((k, best[2]))
        elif best[2] not in fields:
            fields[best[2]] = k
    if "text" not in fields or not (departments or "due" in fields):
        return None
    return ColumnMap(fields, departments, [squash(t) for t in texts])


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
        for r in range(start, table.n_rows):
            row = grid[r]
            texts = [dedupe_doubled(c.text) if c else "" for c in row]
            if [squash(t) for t in texts] == cmap.header:
                continue  # a repeated header row
            distinct = {squash(t) for t in texts if squash(t)}
            if not distinct:
                continue
            spans_all = row[0] is not None and all(c is row[0] for c in row)
            if spans_all or (len(distinct) == 1 and section_of(texts[0]) and not texts[f.get("number", 0)].strip().isdigit()):
                s = section_of(next(iter(t for t in texts if t.strip())))
                if s:
                    section = s
                else:
                    self.finding("warning", "row-unread", "a full-width row that is not a section heading", row[0], texts[0])
                continue
            for name in ("area", "task", "scope", "due"):
                if name in f:
                    k = f[name]
                    if squash(texts[k]):
                        carry[name] = texts[k].strip()
                    texts[k] = carry.get(name, "")
            num_cell = row[f["number"]] if "number" in f else None
            label = squash(texts[f["number"]]) if "number" in f else ""
            text = texts[f["text"]].strip()
            number = row_number(label)
            if "number" in f and number is None:
                where = num_cell or row[f["text"]]
                if not label and out and text:
                    self.finding("warning", "row-without-number", "a row without 序号 was read as the continuation of the row above", where, text)
                    out[-1].text += text
                else:
                    self.finding("warning", "row-unread", f"a row whose 序号 is not a number ({label!r}) was not read", where, " | ".join(texts))
                continue
            if not text:
                self.finding("warning", "row-unread", "a numbered row with no measure text was not read", num_cell, " | ".join(texts))
                continue
            no = number if number is not None else len([m for m in out if m.part == self.part.number]) + 1
            area = texts[f["area"]].strip() if "area" in f else ""
            sec = section_of(area) if area else None
            sec = sec or section
            src = (num_cell or row[f["text"]])
            m = Measure(
                self.notice.notice_id, self.part.number, no, label or str(no), text,
                self.notice.source_file, src.source.ref() if src else "",
                section_no=sec[0] if sec else None, section_title=sec[1] if sec else "",
                area=area, task=squash(texts[f["task"]]) if "task" in f else "",
                scope=texts[f["scope"]].strip() if "scope" in f else "",
                due_raw=texts[f["due"]].strip() if "due" in f else "",
            )
            for k, role in cmap.departments:
                cell = row[k]
                if cell and cell.text.strip():
                    m.duties.append(Duty(role, cell.text, cell.source.ref()))
            out.append(m)
        return section

    def finding(self, severity: str, code: str, message: str, where: Block | Cell | None, raw: str) -> None:
        self.findings.append(Finding(self.notice.notice_id, "structure", severity, code, message,  # type: ignore[arg-type]
                                     self.notice.source_file, where.source.ref() if where else "", raw[:500]))


# --- prose -----------------------------------------------------------------------------------

def split_responsibility(text: str) -> tuple[str, list[tuple[str, str]], str]:
    """Split a trailing （责任单位：…） off an item's text.

    Returns (text without it, [(role, names)], due text). Recognises labelled segments
    (责任单位：…；配合单位：…；完成时限：…) and unlabelled 'A、B负责' / 'A牵头'.
    """
    t = re.sub(r"[）)]\s*[。.；;]+$", "）", text.rstrip())  # "（责任部门：…）。"
    if not t.endswith(("）", ")")):
        return text.strip(), [], ""
    depth, i = 0, len(t) - 1
    while i >= 0:
        if t[i] in "）)":
            depth += 1
        elif t[i] in "（(":
            depth -= 1
            if depth == 0:
                break
        i -= 1
    if i < 0:
        return text.strip(), [], ""
    inner = t[i + 1:-1]
    labels = wording().roles["labels"]
    due_labels = wording().columns["fields"]["due"]
    duties: list[tuple[str, str]] = []
    due = ""
    for seg in re.split(r"[；;]|[，,](?=\s*[^，,、：:]{1,8}[：:])", inner):
        m = re.match(r"^\s*([^：:]{1,8})\s*[：:]\s*(.*)$", seg, re.S)
        if m:
            label = squash(m.group(1))
            if label in labels:
                duties.append((labels[label], m.group(2)))
                continue
            if any(label == d or d in label for d in due_labels):
                due = m.group(2).strip()
                continue
            return text.strip(), [], ""
        trailing = wording().roles["trailing"]
        s = squash(seg)
        word = next((w for w in sorted(trailing, key=len, reverse=True) if s.endswith(w)), None)
        if word is None:
            return text.strip(), [], ""  # an ordinary parenthesis, not a responsibility one
        duties.append((trailing[word] or "responsible", seg))
    if not duties and not due:
        return text.strip(), [], ""
    return t[:i].rstrip(), duties, due


class _ProseReader:
    def __init__(self, notice: Notice, part: Part, findings: list[Finding]) -> None:
        self.notice, self.part, self.findings = notice, part, findings
        self.preamble_words = wording().structure["preamble_titles"]

    def is_preamble(self, title: str) -> bool:
        return any(w in title for w in self.preamble_words)

    def measures(self) -> list[Measure]:
        blocks = [b for b in self.part.blocks if b.kind != "table" and b.style != "attachment-list"]
        out: list[Measure] = []
        section: tuple[int, str] | None = None
        preamble = False
        item: dict | None = None

        def close() -> None:
            if item is None:
                return
            body = "\n".join(item["paras"]).strip()
            text, duties, due = split_responsibility(body)
            if not text:
                self.findings.append(Finding(self.notice.notice_id, "structure", "warning", "item-empty",
                                             "a numbered item with no text was not read", self.notice.source_file,
                                             item["block"].source.ref(), item["label"] + item["task"]))
                return
            m = Measure(self.notice.notice_id, self.part.number, item["no"], item["label"], text,
                        self.notice.source_file, item["block"].source.ref(),
                        section_no=section[0] if section else None, section_title=section[1] if section else "",
                        task=item["task"], due_raw=due, origin="prose")
            m.duties = [Duty(role, names, item["block"].source.ref()) for role, names in duties]
            out.append(m)

        # Items are the highest numbered level under a section heading: （一） where the section
        # has any, else 1. (then 1. under （一） is part of the item's text).
        heads = [section_heading(b) for b in blocks]
        starts = [i for i, h in enumerate(heads) if h] + [len(blocks)]
        level = {}
        for a, b in zip([0, *starts], starts, strict=False):
            chunk = blocks[a:b]
            level[a] = ITEM_CN if any(ITEM_CN.match(x.text) for x in chunk) else ITEM_NUM
        item_re = level[0]
        for i, b in enumerate(blocks):
            text = b.text.strip()
            s = heads[i]
            if s:
                close()
                item = None
                section, preamble = s, self.is_preamble(s[1])
                item_re = level.get(i, ITEM_CN)
                continue
            m = item_re.match(text)
            if m:
                close()
                item = None
                no = cn_to_int(m.group(1))
                rest = m.group(2).strip()
                label = text[: len(text) - len(m.group(2))].strip()
                if preamble or no is None:
                    continue
                title = rest if rest and len(rest) <= 40 and not SENTENCE_END.search(rest) else ""
                if title and self.is_preamble(title) and not out:
                    continue
                item = {"no": no, "label": label, "task": squash(title), "paras": [] if title else [rest], "block": b}
                continue
            if item is not None:
                item["paras"].append(text)
        close()
        return out
