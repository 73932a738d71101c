"""Measures whose bodies are written in their own sentences, with no statement (ANNOTATION.md):

- a task list whose sentences name their bodies as subjects (`1.区交通局负责…；`, `由X负责，Y组织
  实施`): every item of the list so written is a measure, its text the item with its paragraphs
  (the bodies stay in it);
- a duty list (`各部门职责：` then one paragraph or item per body, `X：负责…`): one measure per
  paragraph, its text the duty after the colon, X `responsible`, unless the duty names its own
  subject (`财政部门：市财政局负责…` gives 市财政局).

    written_measures(root, stated, measured) -> [Written]

In a part whose measures carry statements (`stated`), sentences make measures only where at least
two sibling items are written so, outside closing sections (a lone sentence such as 各部门要…
beside bracketed statements is the notice's context, not a measure); duty lists always do.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..outline import Node, is_date_line, is_title
from .anchors import Duty, Statement
from .sentences import duty_key, sentence_statements


@dataclass
class Written:
    node: Node
    text: str
    statements: list[Statement]
    path: list[Node]  # item ancestors, outermost first (the node itself last when it is an item)
    task: str = ""
    keyed: bool = False  # a duty list's paragraph
    subitems: list[Node] = field(default_factory=list)


def node_text(n: Node) -> str:
    """An item's whole text as printed: its own, then its paragraphs and sub-items (labels kept),
    up to the signature and its date line (the notice's close, which follows its last item)."""
    parts = [n.text.strip()] if n.kind == "item" else []

    def add(x: Node) -> bool:
        for c in x.children:
            if c.kind == "para" and is_date_line(c.text):
                if parts and len(parts) > 1 and not re.search(r"[。；;，,]", parts[-1]) and len(parts[-1]) <= 40:
                    parts.pop()  # the signature above the date
                return False
            if c.kind == "item":
                parts.append((c.marker.text if c.marker else "") + c.text.strip())
            elif c.kind == "para":
                parts.append(c.text.strip())
            if not add(c):
                return False
        return True

    add(n)
    return "".join(p for p in parts if p)


def own_statements(n: Node) -> list[Statement]:
    """The sentence statements of an item's own text and its paragraphs (not its sub-items)."""
    out = sentence_statements(n.text, heading_run_in=True) if n.kind == "item" else []
    for c in n.children:
        if c.kind == "para":
            out += sentence_statements(c.text)
    return out


def _keyed(n: Node, text: str, path: list[Node]) -> Written | None:
    """A duty list's entry: X：duty."""
    got = duty_key(text)
    if got is None:
        return None
    key, at = got
    duty = text[at:].strip()
    paras = [c.text.strip() for c in n.children if c.kind == "para"] if n.kind == "item" else []
    full = "".join([duty, *paras])
    sts = [s for s in sentence_statements(full) if s.duties]
    if not any(not _object_only(s) for s in sts):  # the duty names no subject of its own: the key carries it
        sts.insert(0, Statement(0, 0, [Duty("responsible", key)], raw=key, inline=True))
    return Written(n, full, sts, path, keyed=True)


def _object_only(st: Statement) -> bool:
    return all(d.role == "support" for d in st.duties)


def _descendants(n: Node) -> list[Node]:
    out: list[Node] = []
    for c in n.children:
        out.append(c)
        out += _descendants(c)
    return out


def written_measures(root: Node, stated: bool, measured: set[int]) -> list[Written]:
    """The measures of a part written in sentences (`measured`: nodes already measures)."""
    out: list[Written] = []
    written: list[tuple[Written, int]] = []  # items written so, with their depth

    def visit(node: Node, path: list[Node]) -> None:
        paras = [c for c in node.children if c.kind == "para"]
        keyed = [w for c in paras if (w := _keyed(c, c.text, path))]
        if len(keyed) >= 2:
            out.extend(keyed)
        items = [c for c in node.items if c.section != "preamble" and id(c) not in measured]
        keyed_items = [w for c in items if (w := _keyed(c, c.text, [*path, c]))]
        if len(keyed_items) >= 2:
            out.extend(keyed_items)
            items = [c for c in items if not any(w.node is c for w in keyed_items)]
        siblings: list[Written] = []
        for c in items:
            below = _descendants(c)
            listed = sum(1 for x in c.children if x.kind == "para" and duty_key(x.text)) >= 2  # its paragraphs are a duty list
            if listed or any(id(x) in measured for x in below) or any(x.kind == "item" and _writes(x) for x in below):
                visit(c, [*path, c])
                continue
            sts = own_statements(c)
            if any(not _object_only(s) for s in sts):
                siblings.append(Written(c, node_text(c), sts, [*path, c], task=""))
        if stated:  # beside statements, an item written so names its body in its first sentence
            siblings = [w for w in siblings if w.node.section != "closing" and _subject_first(w.node)]
            siblings = siblings if len(siblings) >= 2 else []
        if siblings and node.kind == "item":  # a paragraph leading into the items, naming who carries it (由X负责组织实施)
            out.extend(Written(c, c.text.strip(), sts, path) for c in paras
                       if not duty_key(c.text) and (sts := [s for s in sentence_statements(c.text) if any(d.stated for d in s.duties)]))
        written.extend((w, len(path)) for w in siblings)

    visit(root, [])
    # a task list is items of one level written so: a lone item among others is the notice's prose
    level = Counter((w.node.marker.scheme if w.node.marker else "", d) for w, d in written)
    out += [w for w, d in written if level[(w.node.marker.scheme if w.node.marker else "", d)] >= 2]
    return out


def _subject_first(n: Node) -> bool:
    """Does the item's first sentence name a body as its subject?"""
    text = n.text if n.text.strip() and not is_title(n.text) else next((c.text for c in n.children if c.kind == "para"), "")
    first = re.split(r"[。；;]", text, maxsplit=1)[0]
    return any(not _object_only(s) for s in sentence_statements(first))


def _writes(n: Node) -> bool:
    """Does an item's own text or paragraph name a body as a subject?"""
    return any(not _object_only(s) for s in own_statements(n))


def title_of(n: Node) -> str:
    return n.text if is_title(n.text) else ""
