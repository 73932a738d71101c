"""Outline stage: a notice's paragraphs into a tree of numbered levels.

    outline(notice) -> Outline

A paragraph opening with a marker of the numbering grammar (wording/numbering.toml) opens a
node; a scheme met while another is open is a level below it, and a marker of an open scheme
closes everything below it and opens a sibling, so numbers may restart under each parent.
Paragraphs without a marker are `para` children of the open node; key–value lines that state
who is responsible (牵头单位：…, 完成时限：…) are `kv` children. Run-on text (a scrape that
lost its line breaks) is cut at inline markers first. Scraper furniture lines are dropped.
The parts (附件N, and documents issued without a label) and the header come from parts.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from ..files import write_json
from ..model import Block, Notice, Part, Source
from ..model.interim import Header
from ..wording import wording
from ..wording.variants import Unfold, fold
from .grammar import Marker, is_title, leading_marker, split_inline, title_words_match
from .parts import header, is_date_line, split_parts

NodeKind = Literal["root", "item", "para", "kv"]
SCHEMA_VERSION = "3"  # 2: doc_no and attachments; 3: opening and lead, when no issuer is printed


@dataclass
class Node:
    kind: NodeKind
    text: str  # after the marker (item), the whole paragraph (para), the value (kv)
    source: Source
    marker: Marker | None = None
    label: str = ""  # kv: the label (牵头单位)
    children: list[Node] = field(default_factory=list)
    section: str = ""  # preamble | closing | "" (top-level items whose title says so)
    hints: dict = field(default_factory=dict)  # what the format said of its paragraph: level, list_level, bold, pages

    @property
    def items(self) -> list[Node]:
        return [c for c in self.children if c.kind == "item"]


@dataclass
class PartOutline:
    number: int
    label: str
    root: Node
    blocks: tuple[int, int, int] = (0, 0, 0)  # where its blocks are: notice part index, first, end


@dataclass
class Outline:
    notice_id: str
    parts: list[PartOutline]
    schema_version: str = SCHEMA_VERSION
    title: str = ""  # the notice's header, read past scraper furniture and Markdown marks (parts.header)
    issuer: str = ""
    issued_on: str | None = None
    doc_no: str = ""  # its 文号
    attachments: list[str] = field(default_factory=list)  # the files its page links
    opening: str = ""  # where its place may be read when no issuer is printed (Header)
    lead: str = ""

    def header(self) -> Header:
        """What the notice says of itself, as read: for its record and its checks."""
        return Header(self.title, self.issuer, self.issued_on, self.doc_no, list(self.attachments), opening=self.opening, lead=self.lead)

    def write(self, path: Path) -> None:
        write_json(path, asdict(self))

    @staticmethod
    def read(path: Path) -> Outline:
        d = json.loads(path.read_text(encoding="utf-8"))
        return Outline(d["notice_id"], [PartOutline(p["number"], p["label"], _node(p["root"]), tuple(p["blocks"])) for p in d["parts"]],
                       d.get("schema_version", ""), d.get("title", ""), d.get("issuer", ""), d.get("issued_on"), d.get("doc_no", ""),
                       d.get("attachments", []), d.get("opening", ""), d.get("lead", ""))


def _node(d: dict) -> Node:
    src = d["source"]
    source = Source(**{**src, "bbox": tuple(src["bbox"]) if src.get("bbox") else None})
    return Node(d["kind"], d["text"], source, Marker(**d["marker"]) if d.get("marker") else None, d.get("label", ""),
                [_node(c) for c in d["children"]], d.get("section", ""), d.get("hints", {}))


def is_furniture(text: str) -> bool:
    t = re.sub(r"[\s*\u3000]", "", text)
    return any(p.match(t) for p in wording().numbering.furniture)


SENTENCE_END = re.compile(r"[。；;！!？?：:）)】〕」』”]$")
KV = re.compile(r"^\s*[（(]?\s*([^：:，,。；;（）()]{2,8})\s*[：:]\s*(.*?)[）)]?\s*$", re.S)


def kv_line(text: str) -> tuple[str, str] | None:
    """(label, value) when a paragraph states a role or a deadline on its own: 牵头单位：A、B."""
    m = KV.match(text)
    if not m:
        return None
    label = re.sub(r"\s+", "", m.group(1))
    roles = wording().roles
    due = wording().columns.fields["due"]
    if roles.label_role(label) or label in due:
        return label, m.group(2).strip()  # the list's own end is trimmed where it is cut (add_kv): the value may run on into the next item
    return None


def _label_split(marker: Marker | None, text: str) -> list[tuple[Marker | None, str, bool]]:
    """Cut run-on text at labels standing after a sentence end, outside brackets: the label that
    introduces an item's sub-measures ('…（A负责）具体措施：…', the piece becomes a `para`; the bool
    says so) and a role or deadline label ('…。牵头单位：A；配合单位：B。', a key–value line that lost
    its line break, each piece a `kv`)."""
    grammar, roles = wording().numbering, wording().roles
    words = [w for w in (*grammar.sub_measure_labels, *wording().columns.fields["due"]) if len(w) > 2]
    names = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    pattern = re.compile(r"(?:(?<=[。；;）)])|^)(" + names + "|" + roles.label_regex + r")[:：]")
    cuts: list[tuple[int, int, bool]] = [(0, 0, False)]  # (where the cut is, where its text starts, opens with a sub-measure label)
    for m in pattern.finditer(text):
        before = text[:m.start()]
        if m.start() == 0 or sum(before.count(c) for c in "（([〔【") > sum(before.count(c) for c in "）)]〕】"):
            continue  # the paragraph's own opening label, or inside a statement's bracket
        sub = m.group(1) in grammar.sub_measure_labels
        cuts.append((m.start(), m.end() if sub else m.start(), sub))
    out: list[tuple[Marker | None, str, bool]] = []
    for k, (_, start, sub) in enumerate(cuts):
        end = cuts[k + 1][0] if k + 1 < len(cuts) else len(text)
        out.append((marker if k == 0 else None, text[start:end], sub))
    return [(mk, t.strip(), lab) for mk, t, lab in out if t.strip() or mk is not None]


class _Builder:
    def __init__(self, part: Part, last: dict[str, int]) -> None:
        self.root = Node("root", "", Source(""))
        self.stack: list[Node] = [self.root]
        self.last = last
        self.hints: dict = {}

    def add_block(self, b: Block) -> None:
        self.hints = {k: v for k, v in (("level", b.level), ("list_level", b.list_level), ("bold", b.bold), ("pages", b.pages)) if v}
        self.add_text(b.text, b.source)

    def add_text(self, text: str, source: Source) -> None:
        kv = kv_line(text)
        if kv:
            self.add_kv(kv, source)
            return
        for marker, run in split_inline(text, self.last):
            for mk, piece, labelled in _label_split(marker, run):
                if mk is not None:
                    self.open(mk, piece, source)
                elif labelled:
                    self.stack[-1].children.append(Node("para", piece, source, hints=dict(self.hints)))
                else:
                    kv2 = kv_line(piece)
                    if kv2:
                        self.add_kv(kv2, source)
                    elif not self.continue_para(piece):
                        self.stack[-1].children.append(Node("para", piece, source, hints=dict(self.hints)))

    def continue_para(self, text: str) -> bool:
        """A paragraph cut by the layout (a page break, a line the PDF reader took for a paragraph
        end) goes on in this one: the one before stops mid-sentence or inside a bracket."""
        top = self.stack[-1]
        if top.children and top.children[-1].kind == "para":
            target = top.children[-1]
        elif not top.children and top.kind == "item":
            target = top  # an item whose own first paragraph was cut
        else:
            return False
        prev = target.text.rstrip()
        open_bracket = sum(prev.count(c) for c in "（([〔【") > sum(prev.count(c) for c in "）)]〕】")
        if open_bracket or (len(prev) >= 25 and not SENTENCE_END.search(prev)):
            target.text = prev + text.strip()
            return True
        return False

    def add_kv(self, kv: tuple[str, str], source: Source) -> None:
        label, value = kv
        cut = self.list_ends(value)
        self.stack[-1].children.append(Node("kv", value[:cut].rstrip("。；;，, "), source, label=label))
        if cut < len(value):  # 责任单位：A、B（二）加快…: the next item, run into the list by a scrape
            self.add_text(value[cut:], source)

    def list_ends(self, value: str) -> int:
        """Where a label's list ends: at a numbering marker that continues its sequence right after
        a complete name (…资源生态局（二）…, …管理局二、…); else the value's end."""
        endings = tuple(wording().departments.endings)
        for i in range(2, len(value)):
            if not value[:i].endswith(endings):
                continue
            found = leading_marker(value[i:], self.last)
            if found and found[0].value == self.last.get(found[0].scheme, 0) + 1 and found[1]:
                return i
        return len(value)

    def open(self, marker: Marker, text: str, source: Source) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            m = self.stack[i].marker
            if m is not None and m.scheme == marker.scheme:
                del self.stack[i:]
                break
        node = Node("item", text, source, marker, hints=dict(self.hints))
        if len(self.stack) == 1:  # a top-level section: preamble or closing by its title words
            title = text if is_title(text) else re.split(r"[。；;]", text)[0]
            grammar = wording().numbering
            node.section = "preamble" if title_words_match(title, grammar.preamble) else "closing" if title_words_match(title, grammar.closing) else ""
        elif self.stack[-1].section:
            node.section = self.stack[-1].section
        self.stack[-1].children.append(node)
        self.stack.append(node)


def outline(notice: Notice) -> Outline:
    """A notice printed in Traditional characters is read folded to Simplified (the wording's
    forms) and its outline given back in the characters it printed."""
    unfold = Unfold(*notice.texts())
    if not unfold.needed:
        return _outline(notice)
    return unfolded(_outline(notice.with_text(fold)), unfold)


def unfolded(tree: Outline, f: Callable[[str], str]) -> Outline:
    """The outline with every text passed through f (Traditional ↔ Simplified: the same places)."""
    def node(n: Node) -> Node:
        marker = Marker(n.marker.scheme, n.marker.value, f(n.marker.text)) if n.marker else None
        return Node(n.kind, f(n.text), n.source, marker, f(n.label), [node(c) for c in n.children], n.section, n.hints)

    parts = [PartOutline(p.number, f(p.label), node(p.root), p.blocks) for p in tree.parts]
    return Outline(tree.notice_id, parts, tree.schema_version, f(tree.title), f(tree.issuer), tree.issued_on, f(tree.doc_no),
                   [f(a) for a in tree.attachments], f(tree.opening), f(tree.lead))


def _outline(notice: Notice) -> Outline:
    head = header(notice, is_furniture)
    parts = []
    last: dict[str, int] = {}
    for part, where in split_parts(notice, head.title):
        builder = _Builder(part, last)
        for b in part.blocks:
            if b.kind == "table" or b.style == "attachment-list" or not b.text.strip() or is_furniture(b.text):
                continue
            builder.add_block(b)
        parts.append(PartOutline(part.number, part.label, builder.root, where))
    return Outline(notice.notice_id, parts, SCHEMA_VERSION, head.title, head.issuer, head.issued_on, head.doc_no, head.attachments,
                   head.opening, head.lead)


def walk(node: Node, depth: int = 0):
    """Every node under `node` in reading order, with its depth (items only count)."""
    for c in node.children:
        yield c, depth
        yield from walk(c, depth + (1 if c.kind == "item" else 0))


__all__ = ["Marker", "Node", "Outline", "PartOutline", "is_date_line", "is_title", "kv_line", "leading_marker", "outline", "unfolded", "walk"]
