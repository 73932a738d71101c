"""Prose measures: responsibility statements resolved to the outline nodes they belong to.

A measure is the outline node its statements resolve to:
- a numbered item carrying a statement in its own text is a measure; its text runs from after
  its label to the start of its last statement (statements inside stay, as printed);
- an item whose own text carries none, but whose paragraphs close with one (a lead-in, then
  sub-paragraphs, then the statement) is one measure holding them all;
- where the paragraphs under items each end in their own statement (two or more under one
  item, anywhere in the part at that level), every such paragraph is a measure: the items are
  headings;
- a statement after sub-items (（1）…（4） then （责任单位：…）) that none of them carries
  themselves closes the group: the item holding them is the measure;
- a key–value line (牵头单位：… / 完成时限：…) and a line that is only a statement belong to
  the item or paragraph above them;
- items of the running sequence of measures (the same scheme and depth, numbers running on)
  that carry no statement are measures with no department; preamble and closing sections are
  not, unless their items carry statements.
Rules stated once (列第一位者为牵头单位，下同) apply to the statements after them; carry-over
rules (以下均需…配合落实，不再列出) add their bodies to every later measure; a closing line
(以上任务由…负责) covers the measures of the group above it that name nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import Source
from ..outline import Node, PartOutline, is_title
from ..wording import wording
from .anchors import Duty, Statement, find_statements, labelled_line, parse_statement, whole_statement
from .sentences import sentence_statements
from .written import own_statements, written_measures

WS = re.compile(r"\s+")


@dataclass
class Unit:
    """Text that may become a measure: an item's own text or one paragraph, with its statements."""

    node: Node
    text: str
    statements: list[Statement] = field(default_factory=list)
    trailing: list[Statement] = field(default_factory=list)  # statements on lines of their own after it

    @property
    def all_statements(self) -> list[Statement]:
        return self.statements + self.trailing


@dataclass
class Found:
    """A measure before numbering: the node, its text and its statements, in reading order."""

    node: Node
    text: str
    statements: list[Statement]
    path: list[Node]  # item ancestors, outermost first (the node itself last when it is an item)
    source: Source
    label: str = ""
    task: str = ""
    covered_by: list[Duty] = field(default_factory=list)  # a closing line's bodies (以上任务由A负责)


def _units(node: Node) -> tuple[Unit, list[Unit]]:
    """The node's own text and its paragraphs as units, key–value lines and statement-only
    lines attached to the unit above them."""
    head = Unit(node, node.text, find_statements(node.text) if node.kind == "item" else [])
    paras: list[Unit] = []
    for c in node.children:
        target = paras[-1] if paras else head
        if c.kind == "kv":
            st = labelled_line(c.label, c.text)
            if st:
                target.trailing.append(st)
            continue
        if c.kind != "para":
            if c.kind == "item":
                paras.append(Unit(c, "", []))  # marks where the sub-items stand
            continue
        if _rule_line(c.text):
            continue  # a rule line (以上…由A负责, 以下均需…) is no measure's text
        only = whole_statement(c.text)
        if only:
            target.trailing.append(only)
            continue
        paras.append(Unit(c, c.text, find_statements(c.text)))
    return head, [p for p in paras if p.node.kind == "para"]


def _text_before_last(unit: Unit) -> str:
    """A unit's text up to its last statement (what follows it is not the measure's); where the
    statement opens the item (（一）【牵头单位：A】加强…), the text after it."""
    if unit.statements:
        sts = unit.statements
        k = len(sts) - 1
        while k > 0 and not unit.text[sts[k - 1].end:sts[k].start].strip(" \t\u3000，,。；;"):
            k -= 1  # statements side by side at the end are one: 【牵头单位】A【配合单位】B
        before = unit.text[:sts[k].start].strip()
        return before if before else unit.text[sts[-1].end:].strip()
    return unit.text.strip()


class _Resolver:
    def __init__(self) -> None:
        self.para_levels: set[tuple[str, int]] = set()  # (scheme, depth) whose paragraphs are the measures
        self.item_levels: dict[tuple[str, int], int] = {}  # (scheme, depth) → items there that carry statements themselves

    # -- which level holds the measures -------------------------------------------------------
    def survey(self, node: Node, depth: int) -> None:
        for c in node.items:
            head, paras = _units(c)
            key = (c.marker.scheme if c.marker else "", depth)
            if not head.all_statements and sum(1 for p in paras if p.all_statements) >= 2:
                self.para_levels.add(key)
            if head.statements:
                self.item_levels[key] = self.item_levels.get(key, 0) + 1
            self.survey(c, depth + 1)

    # -- the measures under a node --------------------------------------------------------------
    def resolve(self, node: Node, depth: int, path: list[Node], out: list[Found]) -> None:
        head, paras = _units(node)
        is_root = node.kind == "root"
        key = (node.marker.scheme if node.marker else "", depth - 1)
        para_mode = is_root or key in self.para_levels
        title_head = is_root or is_title(node.text)
        stated_paras = [p for p in paras if p.all_statements]
        if not is_root and (head.all_statements or (not para_mode and stated_paras)):
            if head.all_statements:  # the item's own statements: its text, then each stated paragraph on its own
                out.append(self.found(node, _text_before_last(head), head.all_statements, path))
                owned: list[Unit] = []
            else:  # the paragraphs close with the statement: one measure with the lead-in and all of them
                last = paras.index(stated_paras[-1])
                owned = paras[: last + 1]
                parts = ([] if title_head else [node.text.strip()]) + [p.text.strip() for p in owned[:-1]] + [_text_before_last(owned[-1])]
                sts = [s for p in owned for s in p.all_statements]
                out.append(self.found(node, "".join(x for x in parts if x), sts, path, task=node.text if title_head else ""))
            for p in stated_paras:
                if p not in owned:
                    out.append(self.found(p.node, _text_before_last(p), p.all_statements, path, task=node.text if title_head else ""))
        elif para_mode:
            for p in stated_paras:
                out.append(self.found(p.node, _text_before_last(p), p.all_statements, path, task="" if is_root else node.text))
        children = node.items
        if not stated_paras and self.closes_group(node, children, depth):
            last_head, last_paras = _units(children[-1])
            sts = last_head.all_statements + [s for p in last_paras for s in p.all_statements]
            text = _flatten(node, upto=sts[-1] if sts else None)
            out.append(self.found(node, text, sts, path))
            return
        for c in children:
            self.resolve(c, depth + 1, [*path, c], out)

    def closes_group(self, node: Node, children: list[Node], depth: int) -> bool:
        """Sub-items whose only statement comes after the last of them: the statement is the
        holding item's. A statement at the end of the last sub-item's own text counts so only
        where items at that level do not carry statements of their own elsewhere."""
        if node.kind != "item" or len(children) < 2 or _units(node)[0].all_statements or any(c.items for c in children):
            return False
        if [c for c in children if _has_statement(c)] != [children[-1]]:
            return False
        head, paras = _units(children[-1])
        if not head.statements and not any(p.statements for p in paras):
            return True  # only lines of their own after it
        key = (children[-1].marker.scheme if children[-1].marker else "", depth)
        return self.item_levels.get(key, 0) <= 1 and _ends_with_statement(children[-1])

    def found(self, node: Node, text: str, statements: list[Statement], path: list[Node], task: str = "") -> Found:
        label = node.marker.text if node.kind == "item" and node.marker else ""
        return Found(node, text, statements, path, node.source, label, _clean_task(task))


def _clean_task(text: str) -> str:
    return WS.sub("", text).strip("。.：:") if (text and is_title(text)) or (text and len(text) <= 60) else ""


def _has_statement(node: Node) -> bool:
    head, paras = _units(node)
    return bool(head.all_statements or any(p.all_statements for p in paras) or any(_has_statement(c) for c in node.items))


def _ends_with_statement(node: Node) -> bool:
    head, paras = _units(node)
    last = paras[-1] if paras else head
    return bool(last.statements) and last.statements[-1].end >= len(last.text.rstrip("。；; "))


def _flatten(node: Node, upto: Statement | None) -> str:
    """A node's whole text with its sub-items (labels kept), up to a statement."""
    parts: list[str] = [node.text.strip()] if node.kind == "item" and not is_title(node.text) else []

    def add(n: Node) -> None:
        for c in n.children:
            if c.kind == "kv":
                continue
            if c.kind == "item":
                parts.append((c.marker.text if c.marker else "") + c.text.strip())
            elif c.kind == "para" and not whole_statement(c.text):
                parts.append(c.text.strip())
            add(c)

    add(node)
    text = "".join(parts)
    if upto is not None and upto.raw:
        cut = text.rfind(upto.raw)
        if cut > 0:
            text = text[:cut - 1]
    return text.strip()


# --- rules stated once -----------------------------------------------------------------------

@dataclass
class _Rules:
    first_lead: bool = False  # 列第一位者为牵头单位，下同: in force
    rest_role: str = ""  # … 其余为配合单位: the others support
    carry: list[Duty] = field(default_factory=list)  # 以下均需…配合落实，不再列出


def _rule_line(text: str) -> tuple[str, Duty] | None:
    """A carry-over or a closing line: ('carry' | 'closing', the duty it states)."""
    t = WS.sub("", text)
    roles = wording().roles
    for kind, patterns in (("carry", roles.carry), ("closing", roles.closing)):
        for p in patterns:
            m = p.match(t)
            if m:
                verb = m.group("verb")
                st = parse_statement(m.group("names") + verb)
                role = st.duties[-1].role if st and st.duties else "responsible"
                return kind, Duty(role, m.group("names"))
    return None


def has_statements(root: Node) -> bool:
    """Does a part state responsibility anywhere (a bracket, a labelled line)?"""
    head, paras = _units(root)
    return any(u.all_statements for u in (head, *paras)) or any(has_statements(c) for c in root.children if c.kind == "item")


def prose_measures(part: PartOutline, notice_rule: tuple[bool, str] | None = None,
                   stated: bool = True) -> list[tuple[Found, list[Duty], str]]:
    """The measures of one part: (found, duties, deadline as written) in reading order.
    `notice_rule`: a first-listed-leads rule the notice states outside its statements;
    `stated`: the notice states responsibility in statements or a table somewhere (its sentences
    then make measures only as written.py says)."""
    r = _Resolver()
    r.survey(part.root, 0)
    found: list[Found] = []
    r.resolve(part.root, 0, [], found)
    _late_statements(part.root, found)
    written = [Found(w.node, w.text, w.statements, w.path, w.node.source, w.node.marker.text if w.node.kind == "item" and w.node.marker else "",
                     _clean_task(w.task)) for w in written_measures(part.root, stated, {id(f.node) for f in found})]
    found.extend(_closed_groups(part.root, found))
    found.extend(_running_sequence(part.root, [*found, *written], keep_title=not stated))
    for f in found:  # bodies a measure's own sentences give a role outright (会同Y, 交由X牵头落实) take part too
        for s in sentence_statements(f.text):
            s.duties = [d for d in s.duties if d.stated]
            if s.duties:
                f.statements.append(s)
    found.extend(written)
    order = {id(n): k for k, (n, _) in enumerate(_all_nodes(part.root))}
    found.sort(key=lambda f: order.get(id(f.node), 0))
    return _apply_rules(part.root, found, order, notice_rule)


def _late_statements(root: Node, found: list[Found]) -> None:
    """A statement printed on the heading after an item instead of on the item (…组织实施。 then
    （十五）加强农村道路安全（各级人民政府负责）, 40. …（A负责）): where a heading's own statement
    stands above sub-items that carry their own, and the item just before the heading, at their
    level, carries none, the statement is that item's, printed late."""
    measured = {id(f.node) for f in found}
    items = [n for n, _ in _all_nodes(root) if n.kind == "item"]
    for f in list(found):
        n = f.node
        kids = [c for c in n.items if id(c) in measured and c.marker]
        if n.kind != "item" or not kids or not f.statements:
            continue
        before = [x for x in items[:items.index(n)] if x.marker and x.marker.scheme == kids[0].marker.scheme]
        prev = before[-1] if before else None
        if prev is None or id(prev) in measured or _has_statement(prev) or prev.marker.value + 1 != kids[0].marker.value:
            continue
        found.remove(f)
        late = _statementless(root, prev)
        found.append(Found(prev, late.text, f.statements, late.path, prev.source, late.label, late.task))
        measured.add(id(prev))


def _all_nodes(root: Node) -> list[tuple[Node, int]]:
    out: list[tuple[Node, int]] = []

    def go(n: Node, d: int) -> None:
        for c in n.children:
            out.append((c, d))
            go(c, d + (c.kind == "item"))

    go(root, 0)
    return out


def _running_sequence(root: Node, found: list[Found], keep_title: bool = False) -> list[Found]:
    """Items that carry no statement but stand in the running sequence of measures: the same
    scheme and depth as the measures, numbers running on, outside preamble and closing sections.
    `keep_title`: a task list written in sentences, whose measures keep their headings."""
    measured = {id(f.node) for f in found}
    nodes = _all_nodes(root)
    items = [(n, d) for n, d in nodes if n.kind == "item"]
    levels = {(n.marker.scheme, d) for n, d in items if id(n) in measured and n.marker}
    parent = {id(c): n for n, _ in [(root, 0), *nodes] for c in n.children}
    holding = {id(n) for n, _ in items if any(id(x) in measured for x, _ in _all_nodes(n))}  # headings of measures

    def inside_a_measure(n: Node) -> bool:
        while id(n) in parent:
            n = parent[id(n)]
            if id(n) in measured:
                return True
        return False

    extra: list[Found] = []
    for scheme, depth in levels:
        seq = [n for n, d in items if d == depth and n.marker and n.marker.scheme == scheme]
        started = False
        prev = None
        for n in seq:
            if id(n) in measured:
                started, prev = True, n
                continue
            # preamble and closing items are not measures, unless a sentence gives a body a role outright
            aside = n.section and not any(d.stated for s in own_statements(n) for d in s.duties)
            restart = n.marker.value == 1 and prev is not None and parent[id(n)] is not parent[id(prev)]  # 1. again under a new parent
            if not started or aside or id(n) in holding or inside_a_measure(n) or _has_statement(n) or prev is None \
                    or (n.marker.value != prev.marker.value + 1 and not restart):
                prev = n if started and id(n) in measured else prev
                continue
            extra.append(_statementless(root, n, keep_title))
            prev = n
    return extra


def _statementless(root: Node, n: Node, keep_title: bool = False) -> Found:
    """An item with no statement of its own, as a measure: its text and its paragraphs."""
    _, paras = _units(n)
    title = is_title(n.text) and not keep_title
    text = "".join(([] if title else [n.text.strip()]) + [p.text.strip() for p in paras])
    return Found(n, text, [], _path_to(root, n), n.source, n.marker.text if n.marker else "", _clean_task(n.text) if title else "")


def _closed_groups(root: Node, found: list[Found]) -> list[Found]:
    """Items above a closing line (以上任务由A负责) that name nobody: measures the line covers."""
    measured = {id(f.node) for f in found}
    extra: list[Found] = []

    def cover(items: list[Node], line: Node, duty: Duty) -> None:
        for sib in items:
            if sib.kind == "item" and id(sib) not in measured and not _has_statement(sib):
                f = _statementless(root, sib)
                f.covered_by.append(Duty(duty.role, duty.text, line.source.ref()))
                extra.append(f)
                measured.add(id(sib))

    def go(n: Node, parent: Node | None) -> None:
        for k, c in enumerate(n.children):
            rule = _rule_line(c.text) if c.kind == "para" else None
            if rule and rule[0] == "closing":
                if n.kind == "item" and parent is not None and not any(x.kind == "item" for x in n.children[:k]):
                    # the line follows the last item of the group, so the outline put it under that item
                    cover(parent.children[: parent.children.index(n) + 1], c, rule[1])
                else:
                    cover(n.children[:k], c, rule[1])
            go(c, n)

    go(root, None)
    return extra


def _path_to(root: Node, target: Node) -> list[Node]:
    def go(n: Node, path: list[Node]) -> list[Node] | None:
        for c in n.children:
            if c is target:
                return [*path, c] if c.kind == "item" else path
            if c.kind == "item":
                got = go(c, [*path, c])
                if got is not None:
                    return got
        return None

    return go(root, []) or []


def _apply_rules(root: Node, found: list[Found], order: dict[int, int], notice_rule: tuple[bool, str] | None) -> list[tuple[Found, list[Duty], str]]:
    """Statements into duties, with the rules a notice states once applied in reading order."""
    rules = _Rules(*(notice_rule or (False, "")))
    carries = [(order[id(n)], n) for n, _ in _all_nodes(root) if n.kind == "para" and (_rule_line(n.text) or ("",))[0] == "carry"]
    out: list[tuple[Found, list[Duty], str]] = []
    li = 0
    for f in found:
        at = order.get(id(f.node), 0)
        while li < len(carries) and carries[li][0] < at:
            _, duty = _rule_line(carries[li][1].text)  # type: ignore[misc]
            rules.carry.append(Duty(duty.role, duty.text, carries[li][1].source.ref()))
            li += 1
        duties: list[Duty] = []
        due = ""
        for st in f.statements:
            if st.first_is_lead:
                rules.first_lead, rules.rest_role = st.onward, "support" if st.rest_support else ""
            first = st.first_is_lead or rules.first_lead
            rest = ("support" if st.rest_support else "") if st.first_is_lead else rules.rest_role
            for k, d in enumerate(st.duties):
                lead_here = first and k == 0 and d.role == "responsible"
                duties.append(Duty(d.role, d.text, f.source.ref(), first_lead=lead_here, rest_role=rest if lead_here else ""))
            due = st.due or due
        duties += f.covered_by + [Duty(d.role, d.text, d.source_ref) for d in rules.carry]
        out.append((f, duties, due))
    return out
