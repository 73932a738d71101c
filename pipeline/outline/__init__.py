"""Outline stage: a notice's paragraphs into a tree of numbered levels.

    outline(notice) -> Outline

A paragraph opening with a marker of the numbering grammar (wording/numbering.toml) opens a
node; a scheme met while another is open is a level below it, and a marker of an open scheme
closes everything below it and opens a sibling, so numbers may restart under each parent.
Paragraphs without a marker are `para` children of the open node; key–value lines that state
who is responsible (牵头单位：…, 完成时限：…) are `kv` children. Run-on text (a scrape that
lost its line breaks) is cut at inline markers first. Scraper furniture lines are dropped.
Documents a notice issues without an 附件 label (《…》 named in its 印发 sentence, then
standing alone as a title) become parts of their own.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from ..jsonio import write_json
from ..model import Block, Notice, Part, Source
from ..wording import wording
from .grammar import Marker, is_title, leading_marker, split_inline, title_words_match

NodeKind = Literal["root", "item", "para", "kv"]
SCHEMA_VERSION = "1"


@dataclass
class Node:
    kind: NodeKind
    text: str  # after the marker (item), the whole paragraph (para), the value (kv)
    source: Source
    marker: Marker | None = None
    label: str = ""  # kv: the label (牵头单位)
    children: list[Node] = field(default_factory=list)
    section: str = ""  # preamble | closing | "" (top-level items whose title says so)

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
    title: str = ""  # the notice's header, read past scraper furniture and Markdown marks
    issuer: str = ""
    issued_on: str | None = None

    def write(self, path: Path) -> None:
        write_json(path, asdict(self))

    @staticmethod
    def read(path: Path) -> Outline:
        d = json.loads(path.read_text(encoding="utf-8"))
        return Outline(d["notice_id"], [PartOutline(p["number"], p["label"], _node(p["root"]), tuple(p["blocks"])) for p in d["parts"]],
                       d.get("schema_version", ""), d.get("title", ""), d.get("issuer", ""), d.get("issued_on"))


def _node(d: dict) -> Node:
    src = d["source"]
    source = Source(**{**src, "bbox": tuple(src["bbox"]) if src.get("bbox") else None})
    return Node(d["kind"], d["text"], source, Marker(**d["marker"]) if d.get("marker") else None, d.get("label", ""),
                [_node(c) for c in d["children"]], d.get("section", ""))


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
    due = wording().columns["fields"]["due"]
    if label in roles.labels or label in due:
        return label, m.group(2).strip()
    return None


def _sub_measure_split(marker: Marker | None, text: str) -> list[tuple[Marker | None, str, bool]]:
    """Cut '…（A负责）具体措施：…' at the label that introduces an item's sub-measures.
    The bool says the piece opens with that label (it becomes a `para`)."""
    labels = wording().numbering.sub_measure_labels
    pattern = re.compile(r"(?:(?<=[。；;）)])|^)(" + "|".join(map(re.escape, labels)) + r")[:：]")
    out: list[tuple[Marker | None, str, bool]] = []
    pos, first = 0, True
    for m in pattern.finditer(text):
        out.append((marker if first else None, text[pos:m.start()], not first))
        pos, first = m.end(), False
    out.append((marker if first else None, text[pos:], not first))
    return [(mk, t.strip(), lab) for mk, t, lab in out if t.strip() or mk is not None]


class _Builder:
    def __init__(self, part: Part, last: dict[str, int]) -> None:
        self.root = Node("root", "", Source(""))
        self.stack: list[Node] = [self.root]
        self.last = last

    def add_block(self, b: Block) -> None:
        kv = kv_line(b.text)
        if kv:
            self.add_kv(kv, b.source)
            return
        for marker, text in split_inline(b.text, self.last):
            for mk, piece, labelled in _sub_measure_split(marker, text):
                if mk is not None:
                    self.open(mk, piece, b.source)
                elif labelled:
                    self.stack[-1].children.append(Node("para", piece, b.source))
                else:
                    kv2 = kv_line(piece)
                    if kv2:
                        self.add_kv(kv2, b.source)
                    elif not self.continue_para(piece):
                        self.stack[-1].children.append(Node("para", piece, b.source))

    def continue_para(self, text: str) -> bool:
        """A paragraph cut by the layout (a page break, a line the PDF reader took for a paragraph
        end) goes on in this one: the one before stops mid-sentence or inside a bracket."""
        kids = self.stack[-1].children
        if not kids or kids[-1].kind != "para":
            return False
        prev = kids[-1].text.rstrip()
        open_bracket = sum(prev.count(c) for c in "（([〔【") > sum(prev.count(c) for c in "）)]〕】")
        if open_bracket or (len(prev) >= 25 and not SENTENCE_END.search(prev)):
            kids[-1].text = prev + text.strip()
            return True
        return False

    def add_kv(self, kv: tuple[str, str], source: Source) -> None:
        self.stack[-1].children.append(Node("kv", kv[1], source, label=kv[0]))

    def open(self, marker: Marker, text: str, source: Source) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            m = self.stack[i].marker
            if m is not None and m.scheme == marker.scheme:
                del self.stack[i:]
                break
        node = Node("item", text, source, marker)
        if len(self.stack) == 1:  # a top-level section: preamble or closing by its title words
            title = text if is_title(text) else re.split(r"[。；;]", text)[0]
            grammar = wording().numbering
            node.section = "preamble" if title_words_match(title, grammar.preamble) else "closing" if title_words_match(title, grammar.closing) else ""
        elif self.stack[-1].section:
            node.section = self.stack[-1].section
        self.stack[-1].children.append(node)
        self.stack.append(node)


def _norm_title(text: str) -> str:
    return re.sub(r"[\s*#《》〈〉<>“”\"'‘’（）()【】\[\]、，,。.:：\-—－]", "", text)


def issued_titles(notice: Notice) -> list[str]:
    """Titles of the documents the notice issues (印发): 《A》《B》 in its issuing sentence, or the
    X of its title 关于印发X的通知."""
    words = wording().structure["issuing"]
    out: list[str] = []
    m = re.search(r"印发(.+?)的通知", notice.title)
    if m:
        out.append(m.group(1))
    body = notice.parts[0].blocks if notice.parts else []
    for b in body[:40]:
        if b.kind != "table" and any(w in b.text for w in words):
            out += re.findall(r"《([^《》]*(?:〈[^〉]*〉[^《》]*)*)》", b.text)
    seen, titles = set(), []
    for t in out:
        n = _norm_title(t)
        if len(n) >= 4 and n not in seen:
            seen.add(n)
            titles.append(n)
    return titles


def split_parts(notice: Notice) -> list[tuple[Part, tuple[int, int, int]]]:
    """The notice's parts, with part 0 cut where a title the notice issues stands alone (each
    such document is a part of its own), and where each part's blocks are in the notice."""
    whole = [(p, (k, 0, len(p.blocks))) for k, p in enumerate(notice.parts)]
    if not notice.parts or notice.parts[0].number != 0:
        return whole
    titles = issued_titles(notice)
    body = notice.parts[0]
    words = wording().structure["issuing"]
    issuing_at = next((i for i, b in enumerate(body.blocks) if b.kind != "table" and i > 0 and any(w in b.text for w in words)), len(body.blocks))
    cuts = [0]
    for i, b in enumerate(body.blocks):
        t = _norm_title(b.text) if b.kind != "table" and b.style != "attachment-list" and not leading_marker(b.text) else ""
        if i > issuing_at and titles and t and len(b.text.strip()) <= 80 and not re.search(r"[。；;，,]", b.text.strip().rstrip("。")) \
                and not any(w in b.text for w in words) and any(
                t == x or (len(t) >= 6 and (t in x or x in t) and min(len(t), len(x)) / max(len(t), len(x)) >= 0.7) for x in titles):
            cuts.append(i)
    if len(cuts) == 1:
        return _split_run_on(notice, titles, issuing_at) or whole
    cuts.append(len(body.blocks))
    out = [(Part(n, "", body.blocks[a:b]), (0, a, b)) for n, (a, b) in enumerate(itertools.pairwise(cuts))]
    issued = len(cuts) - 2
    # labelled 附件 come after the issued documents
    out += [(Part(p.number + issued, p.label, p.blocks), where) for p, where in whole[1:]]
    return out


def _split_run_on(notice: Notice, titles: list[str], issuing_at: int) -> list[tuple[Part, tuple[int, int, int]]] | None:
    """A scrape that lost its line breaks: the issued title stands inside the run-on paragraph,
    outside 《》, after the notice (…2022年6月10日减污降碳协同增效实施方案一、…). Cut the
    paragraph there; the rest is part 1."""
    body = notice.parts[0]
    for i, b in enumerate(body.blocks):
        if b.kind == "table" or (i < issuing_at and len(b.text) < 400):
            continue
        for title in titles:
            loose = r"[\s《》〈〉“”（）()、，,]*".join(map(re.escape, title))
            hits = [m for m in re.finditer(f"({loose})", b.text) if m.start() > 0 and b.text[m.start() - 1] not in "《〈“"
                    and b.text[m.end():m.end() + 1] not in "》〉”"]
            if hits:
                at = hits[-1].start()
                first = Part(0, "", [*body.blocks[:i], Block(b.kind, b.source, b.text[:at], b.style)])
                second = Part(1, "", [Block(b.kind, b.source, b.text[at:], b.style), *body.blocks[i + 1:]])
                rest = [(Part(p.number + 1, p.label, p.blocks), (k, 0, len(p.blocks))) for k, p in enumerate(notice.parts) if k > 0]
                return [(first, (0, 0, i + 1)), (second, (0, i, len(body.blocks))), *rest]
    return None


def outline(notice: Notice) -> Outline:
    parts = []
    last: dict[str, int] = {}
    for part, where in split_parts(notice):
        builder = _Builder(part, last)
        for b in part.blocks:
            if b.kind == "table" or b.style == "attachment-list" or not b.text.strip() or is_furniture(b.text):
                continue
            builder.add_block(b)
        parts.append(PartOutline(part.number, part.label, builder.root, where))
    return Outline(notice.notice_id, parts, SCHEMA_VERSION, *header(notice))


def header(notice: Notice) -> tuple[str, str, str | None]:
    """Title, issuer and date: the title block read again without furniture and Markdown."""
    from ..extract.assemble import ISSUER_BEFORE, title_of

    body = notice.parts[0].blocks if notice.parts else []
    clean = [Block(b.kind, b.source, LEAD_MARKS.sub("", b.text).strip("* "), b.style, b.table)
             for b in body if b.kind == "table" or not is_furniture(b.text)]
    clean = [b for b in clean if b.kind == "table" or b.text]
    title = title_of(clean) or notice.title
    m = ISSUER_BEFORE.match(title)
    return title, (m.group(1) if m else notice.issuer), notice.issued_on


LEAD_MARKS = re.compile(r"^[#>\s\u3000]+")


def walk(node: Node, depth: int = 0):
    """Every node under `node` in reading order, with its depth (items only count)."""
    for c in node.children:
        yield c, depth
        yield from walk(c, depth + (1 if c.kind == "item" else 0))


__all__ = ["Marker", "Node", "Outline", "PartOutline", "is_title", "kv_line", "leading_marker", "outline", "walk"]
