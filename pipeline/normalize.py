"""Normalize stage: department lists into Assignments, deadline wordings into Deadlines.

    normalize(measures) -> (NormalizedMeasure list, findings)

Every rule reads its words from wording/*.toml: separators, role words, open-ended endings
(等 / 等部门 …), name endings and fragments, collective placeholders, deadline forms.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from .errors import Finding
from .jsonio import write_json
from .numerals import arabic
from .structure import Measure
from .wording import wording

WS = re.compile(r"\s+")
ROLE_ORDER = {"lead": 0, "responsible": 1, "support": 2}


@dataclass
class Assignment:
    """One department named for one measure."""

    department: str
    role: str
    is_collective: bool
    position: int
    source_ref: str
    raw_text: str


@dataclass
class Deadline:
    raw: str
    kind: str  # month | quarter | half | year | ongoing | none | unparsed (wording not understood) | invalid (no such date)
    date: str | None  # ISO date, the last day of the period


@dataclass
class NormalizedMeasure:
    measure: Measure
    deadline: Deadline
    assignments: list[Assignment] = field(default_factory=list)
    open_ended: bool = False


# --- departments -----------------------------------------------------------------------------

def clean_name(name: str) -> str:
    """Whitespace out, brackets full-width, so one name is written one way."""
    name = WS.sub("", name)
    return name.replace("(", "（").replace(")", "）")


def canonical_form(name: str) -> str:
    """The comparison form of a name: NFKC folded, no whitespace."""
    return WS.sub("", unicodedata.normalize("NFKC", name))


def is_collective(name: str) -> bool:
    d = wording().departments
    if name.startswith(tuple(d["plural_prefixes"])) or name in d["bare"] or name.endswith(tuple(d["member_endings"])):
        return True
    if name.startswith(tuple(d["collective_prefixes"])) and name.endswith(tuple(d["collective_endings"])):
        return True
    return any(w in name for w in d["vague_words"]) and name.endswith(tuple(d["collective_endings"]))


def _strip_role(piece: str) -> tuple[str, str | None]:
    """Remove trailing role words (按职责分工负责, 负责, 牵头 …); return the role they give."""
    trailing = wording().roles.trailing
    role: str | None = None
    changed = True
    while changed:
        changed = False
        for word in sorted(trailing, key=len, reverse=True):
            if piece.endswith(word) and len(piece) > len(word):
                piece = piece[: -len(word)]
                role = role or (trailing[word] or None)
                changed = True
                break
    return piece, role


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Split on separators (hard) and on line breaks and runs of spaces (soft: may be a wrap)."""
    d = wording().departments
    seps = "|".join(re.escape(s) for s in sorted(d["separators"], key=len, reverse=True))
    out: list[tuple[str, bool]] = []
    for hard_chunk in re.split(seps, text):
        first = True
        for soft in re.split(r"\s+", hard_chunk):
            if soft:
                out.append((soft, first))
                first = False
    return out


def _joins_previous(prev: str, piece: str) -> bool:
    """Does a soft-separated piece continue the name before it (a wrapped name)?"""
    d = wording().departments
    if piece in d["fragments"] or piece.startswith(("等", "（", "(", "）", ")")) or piece in wording().roles.trailing:
        return True
    if prev.endswith("等"):
        return True
    endings = tuple(d["endings"])
    return not prev.endswith(endings) and (prev + piece).endswith(endings) and not piece.startswith((*d["collective_prefixes"], *d["plural_prefixes"]))


def _labelled_segments(text: str) -> list[tuple[str | None, str]] | None:
    """Segments of a cell that labels its lists (牵头单位：…；配合单位：…), or None."""
    labels = wording().roles.labels
    parts = [p for p in re.split(r"[；;\n]", text) if p.strip()]
    out: list[tuple[str | None, str]] = []
    found = False
    for p in parts:
        m = re.match(r"^\s*([^：:]{1,6})\s*[：:]\s*(.*)$", p, re.S)
        if m and WS.sub("", m.group(1)) in labels:
            out.append((labels[WS.sub("", m.group(1))], m.group(2)))
            found = True
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + p)
        else:
            out.append((None, p))
    return out if found else None


def split_departments(text: str, role: str, prose: bool = False) -> tuple[list[tuple[str, str, bool]], bool, list[str]]:
    """A department cell or list into [(name, role, is_collective)], open-ended flag, leftovers.

    'A、B等' → A, B (open-ended); 'A等各执法部门' → A and the collective 各执法部门;
    'A负责、B按职责分工负责' → A, B; wrapped names ('人民银行某市分' + '行') are joined.
    """
    d = wording().departments
    if WS.sub("", text) in d["empty"]:
        return [], False, []
    labelled = _labelled_segments(text)
    if labelled:  # "牵头：A；配合：B" inside one cell: each segment with the role its label gives
        out: list[tuple[str, str, bool]] = []
        open_any, left = False, []
        for seg_role, seg in labelled:
            found, open_ended, rest = split_departments(seg, seg_role or role, prose)
            out += found
            open_any |= open_ended
            left += rest
        return out, open_any, left
    merged: list[str] = []
    for piece, hard in _pieces(text):
        if merged and not hard and _joins_previous(merged[-1], piece):
            merged[-1] += piece
        else:
            merged.append(piece)
    names: list[tuple[str, str, bool]] = []
    open_ended = False
    leftovers: list[str] = []
    for piece in merged:
        piece = piece.strip()
        piece, piece_role = _strip_role(piece)
        parts = [piece]
        for tail in d["open_ended_prose" if prose else "open_ended"]:
            if piece.endswith(tail) and len(piece) > len(tail):
                parts = [piece[: -len(tail)]]
                open_ended = True
                break
        else:
            m = re.match(r"^(.+?)等(.+)$", piece)
            if m and is_collective(m.group(2)):
                parts = [m.group(1), m.group(2)]
                open_ended = True
        for p in parts:
            p, r2 = _strip_role(p)
            p = clean_name(p)
            if not p or p in d["empty"]:
                continue
            if p in d["fragments"]:
                leftovers.append(p)
            group = next((e for e in d["group_role_endings"] if p.endswith(e) and len(p) > len(e) + 1), None)
            if group:  # …工作专班牵头单位: the bodies of that group
                names.append((p[: -len(group)], piece_role or r2 or role, True))
                continue
            names.append((p, piece_role or r2 or role, is_collective(p)))
    return names, open_ended, leftovers


# --- deadlines -------------------------------------------------------------------------------

def _last_day(kind: str, y: int, m: int = 12, q: int = 4, h: int = 2) -> date:
    if kind == "quarter":
        m = q * 3
    elif kind == "half":
        m = 6 * h
    elif kind == "year":
        m = 12
    return date(y, m, calendar.monthrange(y, m)[1])


def parse_deadline(raw: str, year: int | None = None) -> Deadline:
    """2026年5月, 2025年底前, 2025年第三季度, 持续推进 … into kind and the period's last day.

    `year` is the notice's own year, for wordings that leave it out (6月底前, 年底前)."""
    d = wording().deadlines
    s = arabic(WS.sub("", unicodedata.normalize("NFKC", raw or "")))
    if not s or s in d["none"]:
        return Deadline(raw or "", "none", None)
    if any(s.startswith(w) for w in d["ongoing"]) or (any(w in s for w in d["ongoing"]) and "前" not in s):
        return Deadline(raw, "ongoing", None)  # 持续推进, 2024年起持续推进
    found: list[tuple[int, int, date, str]] = []  # (start, end, date, kind)
    patterns = d["patterns"] + (d.get("patterns_without_year", []) if year else [])
    for pat in patterns:
        for m in re.finditer(pat["regex"], s):
            g = m.groupdict()
            kind = pat["kind"]
            try:
                y = int(g["y"]) if g.get("y") else year
                if kind == "month":
                    when = _last_day(kind, y, m=int(g["m"]))
                    if g.get("d"):
                        date(y, int(g["m"]), int(g["d"]))  # the day must exist too
                elif kind == "quarter":
                    qv = g["q"]
                    when = _last_day(kind, y, q=int(qv) if qv.isdigit() else "一二三四".index(qv) + 1)
                elif kind == "half":
                    when = _last_day(kind, y, h=1 if g["h"] == "上" else 2)
                else:
                    when = _last_day(kind, y)
            except (ValueError, calendar.IllegalMonthError):
                return Deadline(raw, "invalid", None)  # 2026年13月: a date that does not exist
            if m.group(0) == s:
                return Deadline(raw, kind, when.isoformat())
            found.append((m.start(), m.end(), when, kind))
    # Several deadlines in one cell ("…6月底前完成方案，2025年底前全面推开"): the last one
    # counts; a match inside a longer one (2024年 inside 2024年6月) is not a deadline of its own.
    spans = [f for f in found if not any(o is not f and o[0] <= f[0] and f[1] <= o[1] and (o[1] - o[0]) > (f[1] - f[0]) for o in found)]
    if spans:
        _, _, when, kind = max(spans, key=lambda f: f[2])
        return Deadline(raw, kind, when.isoformat())
    return Deadline(raw, "unparsed", None)


# --- the stage -------------------------------------------------------------------------------

def normalize(measures: list[Measure], year: int | None = None) -> tuple[list[NormalizedMeasure], list[Finding]]:
    """`year`: the notice's year, for deadlines written without one."""
    out: list[NormalizedMeasure] = []
    findings: list[Finding] = []
    for m in measures:
        nm = NormalizedMeasure(m, parse_deadline(m.due_raw, year))
        if nm.deadline.kind in ("unparsed", "invalid"):
            what = "names a date that does not exist" if nm.deadline.kind == "invalid" else "is not a wording this pipeline knows"
            findings.append(Finding(m.notice_id, "normalize", "warning", f"deadline-{nm.deadline.kind}",
                                    f"deadline {m.due_raw!r} {what}", m.source_file, m.source_ref, m.due_raw))
        seen: dict[str, Assignment] = {}
        for duty in m.duties:
            names, open_ended, leftovers = split_departments(duty.text, duty.role, m.origin == "prose")
            nm.open_ended |= open_ended
            for frag in leftovers:
                findings.append(Finding(m.notice_id, "normalize", "warning", "department-fragment",
                                        f"a department name that is only an ending: {frag!r}", m.source_file, duty.source_ref, duty.text))
            for k, (name, role, coll) in enumerate(names):
                if duty.first_lead and role == "responsible" and k == 0:
                    role = "lead"  # the notice's rule: the first-listed body leads
                key = canonical_form(name)
                if key in seen:  # named twice for one measure: the strongest role stays
                    if ROLE_ORDER[role] < ROLE_ORDER[seen[key].role]:
                        seen[key].role = role
                    continue
                seen[key] = Assignment(name, role, coll, len(nm.assignments) + 1, duty.source_ref, duty.text)
                nm.assignments.append(seen[key])
        out.append(nm)
    return out, findings


def write_normalized(items: list[NormalizedMeasure], path: Path) -> None:
    write_json(path, [asdict(x) for x in items])


# Quotes are not listed: a body's name may quote a nickname (省推进“三地一区”建设领导小组).
PUNCTUATION = re.compile(r"[、，,；;。.:：!！?？《》<>\[\]【】{}|\\]")
DATE_IN_NAME = re.compile(r"\d{2,4}\s*年|\d{1,2}\s*月|年底|年末|底前|季度|完成|持续推进|长期")
MAX_NAME_LENGTH = 40  # far longer than any body's name: a sentence was taken for one


def department_name_problem(name: str) -> str | None:
    """Why a published department name is not clean, or None when it is."""
    d = wording().departments
    roles = wording().roles
    if not name or not name.strip():
        return "empty"
    if WS.search(name):
        return "whitespace"
    if PUNCTUATION.search(name):
        return "punctuation"
    if DATE_IN_NAME.search(name):
        return "a deadline or a date"
    if name.startswith((*roles.prefixes, *roles.joins, "负责", "牵头", "按")):
        return "starts with a preposition or a role verb"
    if any(label in name for label in roles.labels if len(label) > 2 and label not in d["group_role_endings"]):
        return "holds a role label"
    if len(name) > MAX_NAME_LENGTH:
        return f"longer than {MAX_NAME_LENGTH} characters"
    if name in d["fragments"] and not is_collective(name):
        return "only an ending"
    if name.endswith("等") or any(name.endswith(t) for t in d["open_ended"] if not is_collective(t.removeprefix("等"))):
        return "trailing 等"
    if any(name.endswith(w) for w in roles.trailing):
        return "role word"
    if name.count("（") != name.count("）"):
        return "unbalanced brackets"
    return None


def read_normalized(path: Path) -> list[NormalizedMeasure]:
    from .structure import Duty

    out = []
    for d in json.loads(path.read_text(encoding="utf-8")):
        m = d["measure"]
        measure = Measure(**{**m, "duties": [Duty(**x) for x in m["duties"]]})
        out.append(NormalizedMeasure(measure, Deadline(**d["deadline"]), [Assignment(**a) for a in d["assignments"]], d["open_ended"]))
    return out
