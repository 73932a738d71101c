"""Responsibility statements: the anchors that say who carries a measure out.

    find_statements(text) -> [Statement]        bracketed statements anywhere in a text
    parse_statement(inner) -> Statement | None  one statement's words

A statement is a bracket of any kind (（）()〔〕【】[]) whose words are either labelled lists
(责任单位：A、B；配合单位：C；完成时限：2025年底前) or clauses ending in a role verb (A牵头，B、C配合;
由A牵头; A会同B负责; A配合B落实). Every word comes from wording/roles.toml. A clause that is a
deadline gives the statement's deadline; a clause that states a rule (列第一位者为牵头单位，下同)
is kept as a rule for the caller to apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ..numerals import arabic
from ..wording import wording
from .names import is_name

OPEN_CLOSE = {"（": "）", "(": ")", "〔": "〕", "【": "】", "[": "]"}
CLOSERS = set(OPEN_CLOSE.values())
CLAUSE = re.compile(r"[，,；;。]")
WS = re.compile(r"\s+")
MAX_NAME = 40  # a department name longer than this is a sentence, not a name


@dataclass
class Duty:
    """A department list as the notice writes it, with the role its column, label or verb gives.
    `first_lead`: the notice's rule that the first-listed body leads applies to this list."""

    role: str
    text: str
    source_ref: str = ""
    first_lead: bool = False
    rest_role: str = ""  # with first_lead: the role of the bodies after the first ("" keeps this list's)
    stated: bool = True  # the role is stated outright (a label, a role verb); False: read from a sentence's other verb


@dataclass
class Statement:
    start: int  # span of the whole bracket in the text it was found in
    end: int
    duties: list[Duty] = field(default_factory=list)
    due: str = ""
    first_is_lead: bool = False  # states the first-listed-leads rule
    rest_support: bool = False  # … and that the others support (其余为配合单位)
    onward: bool = False  # … and says it holds from here on (下同)
    raw: str = ""
    inline: bool = False  # read from the sentence itself (区财政局负责…): the measure's text keeps it
    bare: bool = False  # a bracket of body names alone (……加强监管。（区市场监管局））


@cache
def _verbs() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(f"(?:{p.pattern})$"), role) for p, role in wording().roles.verbs]


def _trailing_verb(clause: str) -> tuple[str, str] | None:
    """(names, role) when the clause ends in a role verb: the longest verb wins."""
    best: tuple[int, str] | None = None
    for pattern, role in _verbs():
        m = pattern.search(clause)
        if m and (best is None or m.end() - m.start() > best[0]):
            best = (m.end() - m.start(), role)
            cut = m.start()
    if best is None:
        return None
    return clause[:cut], best[1]


def _is_deadline(clause: str) -> bool:
    """A clause that is a deadline (2024年底前完成, 持续推进): recognised by the forms of
    deadlines.toml; normalize reads its value."""
    c = arabic(WS.sub("", clause))
    if not c or len(c) > 24:
        return False
    d = wording().deadlines
    if c in d.none or any(c.startswith(w) for w in d.ongoing):
        return True
    return any(f.regex.search(c) for f in (*d.forms, *d.forms_without_year)) and not any(ch in wording().departments.lists.body_characters for ch in c)


def _joins_as_separators(names: str) -> str:
    """A list with its joins (A会同B, A配合B) read as separators: for the look of a list of bodies."""
    for word in wording().roles.joins:
        names = names.replace(word, "、")
    return names


def _names_ok(names: str) -> bool:
    """Does this look like a list of bodies (not a sentence that happens to end in 负责)?"""
    if not names:
        return False
    seps = "|".join(map(re.escape, wording().departments.separators))
    for piece in re.split(seps, names):
        piece = piece.strip()
        if len(piece) > MAX_NAME or wording().departments.lists.not_in_statements.search(piece):
            return False
    return True


def _strip_prefix(clause: str) -> str:
    for p in wording().roles.prefixes:
        if clause.startswith(p):
            return clause[len(p):]
    return clause


def _split_joins(names: str, role: str) -> list[Duty]:
    """'A会同B' → A, B with the clause's role; 'A配合B' → A support, B the clause's role."""
    for word, left_role in wording().roles.joins.items():
        if word in names:
            left, _, right = names.partition(word)
            if left.strip() and right.strip():
                return [Duty(left_role or role, left), *_split_joins(right, role)]
    return [Duty(role, names)]


def _labelled(inner: str) -> Statement | None:
    roles = wording().roles
    due_labels = wording().columns.fields["due"]
    st = Statement(0, 0, raw=inner)
    segments = re.split(r"[；;]|[，,](?=\s*[^，,、：:]{1,8}[：:])|\s+(?=[^\s，,、：:]{2,8}[：:])", inner)
    found = False
    for seg in segments:
        m = re.match(r"^\s*([^：:]{1,8})\s*[：:]\s*(.*)$", seg, re.S)
        if not m:
            if not found and not (seg.strip() and _is_deadline(WS.sub("", seg))):
                return None  # a deadline may come before the label: （6月底完成，牵头单位：A）
            _add_unlabelled(st, seg)
            continue
        label = WS.sub("", m.group(1))
        role = roles.label_role(label)
        if role:
            found = True
            names, due = _names_and_due(m.group(2))
            if names:
                st.duties.append(Duty(role, names))
            st.due = due or st.due
        elif any(label == d or d in label for d in due_labels):
            found = True
            st.due = m.group(2).strip()
        elif label in roles.people:
            found = True
        else:
            return None
    return st if found and (st.duties or st.due) else None


def _names_and_due(text: str) -> tuple[str, str]:
    """'市商务局，2024年底前完成' → ('市商务局', '2024年底前完成')."""
    keep, due = [], ""
    for piece in re.split(r"[，,]", text):
        if piece.strip() and _is_deadline(WS.sub("", piece)):
            due = piece.strip()
        else:
            keep.append(piece)
    return "，".join(keep).strip(), due


def _add_unlabelled(st: Statement, seg: str) -> None:
    s = WS.sub("", seg)
    if _is_deadline(s):
        st.due = seg.strip()
    elif st.duties and s:
        st.duties[-1].text += "，" + seg


def parse_statement(inner: str) -> Statement | None:
    """The words inside a bracket as a responsibility statement, or None when they are not one."""
    text = inner.strip()
    if not text or len(text) > 400:
        return None
    labelled = _labelled(text)
    if labelled:
        return labelled
    st = Statement(0, 0, raw=inner)
    pending: list[str] = []  # names in clauses with no verb of their own: they take the next verb's role
    for clause in CLAUSE.split(text):
        c = WS.sub("", clause)
        if not c or _states_a_rule(st, c):
            continue
        if _is_deadline(c):
            st.due = clause.strip()
            continue
        c = _strip_prefix(c)
        verb = _trailing_verb(c)
        if verb is None:
            pending.append(c)
            continue
        names, role = verb
        names = _strip_prefix(names)
        names = "、".join([*pending, names]) if names else "、".join(pending)
        pending = []
        if not _names_ok(_joins_as_separators(names)):
            return None
        st.duties.extend(_split_joins(names, role or "responsible"))
    return _closed(st, pending)


def _states_a_rule(st: Statement, c: str) -> bool:
    """A clause that states the list's rule (列第一位者为牵头单位, 下同), noted on the statement."""
    roles = wording().roles
    if any(p.search(c) for p in roles.first_is_lead):
        st.first_is_lead = True
        st.onward |= any(w in c for w in roles.onward)
        st.rest_support |= any(p.search(c) for p in roles.rest_support)
        return True
    if st.first_is_lead and any(p.search(c) for p in roles.rest_support):
        st.rest_support = True
        return True
    if c in roles.onward:
        st.onward = True
        return True
    return False


def _closed(st: Statement, pending: list[str]) -> Statement | None:
    """The statement once its clauses are read: names left without a verb are a bare statement
    when they are all there is ((区市场监管局): responsible), else it is no statement."""
    separators = wording().departments.lists.statement_separators
    if pending and not st.duties and not st.due and all(is_name(n) for c in pending for n in separators.split(c) if n):
        st.duties.append(Duty("responsible", "、".join(pending)))
        st.bare = True
        return st
    if pending or not st.duties:
        return None  # names without a verb at the end, or no list at all: an ordinary parenthesis
    return st


def _matching(text: str, i: int) -> int:
    """Index of the bracket closing the one opened at i, or -1. Brackets nest across families
    (（…(…)…） is common in scraped text)."""
    depth = 0
    for j in range(i, len(text)):
        ch = text[j]
        if ch in OPEN_CLOSE:
            depth += 1
        elif ch in CLOSERS:
            depth -= 1
            if depth == 0:
                return j
    return -1


def find_statements(text: str) -> list[Statement]:
    """Every top-level bracket in the text whose words are a statement, in order."""
    out: list[Statement] = []
    i = 0
    while i < len(text):
        if text[i] in OPEN_CLOSE:
            j = _matching(text, i)
            if j < 0:
                break
            st = parse_statement(text[i + 1:j])
            if st and st.bare and not _closes_sentence(text, i, j):
                st = None  # a bare bracket of names states responsibility after a sentence, not as a qualifier (中心（实验室）)
            if st:
                st.start, st.end = i, j + 1
                out.append(st)
            elif (tail := _bracketed_label(text, i, j)) is not None:
                out.append(tail)
                i = tail.end
                continue
            i = j + 1
            continue
        i += 1
    return out


def _closes_sentence(text: str, i: int, j: int) -> bool:
    """Does the bracket text[i:j+1] stand after a sentence end and close its paragraph or sentence?"""
    before = text[:i].rstrip(" \t\u3000")[-1:]
    after = text[j + 1:]
    return before in ("", *"。；;！!？?") and (not after.strip(" \t\u3000。.；;") or after[:1] in "。；;（(\n")


def stated_rule(text: str) -> tuple[bool, str] | None:
    """A rule stated outside any statement, for a whole notice or table: a note (注：排在第一位的为
    牵头单位，其余为配合单位) or a header (责任单位（排名第一的为牵头单位）). (first leads, role of the rest)."""
    roles = wording().roles
    t = WS.sub("", text)
    if not any(p.search(t) for p in roles.first_is_lead):
        return None
    return True, "support" if any(p.search(t) for p in roles.rest_support) else ""


def _bracketed_label(text: str, i: int, j: int) -> Statement | None:
    """【责任单位】A、B【完成时限】2025年底前: a label in brackets, its list after it, up to the next
    bracket or the end of the text."""
    label = WS.sub("", text[i + 1:j])
    if not wording().roles.label_role(label) and label not in wording().columns.fields["due"]:
        return None
    nxt = min([k for k in (text.find(o, j + 1) for o in OPEN_CLOSE) if k >= 0] or [len(text)])
    value = text[j + 1:nxt].strip().rstrip("。；;，,")
    st = labelled_line(label, value) if value else None
    if st is None:
        return None
    st.start, st.end, st.raw = i, nxt, text[i:nxt]
    return st


def whole_statement(text: str) -> Statement | None:
    """A paragraph that is nothing but a statement (a line of its own after an item)."""
    t = text.strip().rstrip("。.；;")
    if t and t[0] in OPEN_CLOSE and _matching(t, 0) == len(t) - 1:
        st = parse_statement(t[1:-1])
        if st:
            st.start, st.end = 0, len(text)
        return st
    return None


def labelled_line(label: str, value: str) -> Statement | None:
    """A key–value line after an item (牵头单位：A、B / 完成时限：…) as a statement."""
    return _labelled(f"{label}：{value}")
