"""Structure stage: a notice's tables and its outline into Measures.

    structure(notice, outline=None) -> (measures, findings)

Tables are read by their headers (tables.py); prose measures are the outline nodes that the
responsibility statements resolve to (anchors.py finds and reads the statements, prose.py
resolves them). `measure_no` is the printed number where it runs on through the part without
repeating, else the ordinal in reading order; `measure_path` keeps the printed labels from the
part down to the measure. Every statement found ends in a measure or in a finding.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import replace

from ..errors import Finding
from ..model import Notice, Part
from ..model.interim import Header
from ..outline import Node, Outline, PartOutline, is_title, outline, unfolded, walk
from ..wording import wording
from ..wording.variants import Unfold, fold
from .anchors import Duty, find_statements, labelled_line, stated_rule, whole_statement
from .measure import Measure, read_measures, write_measures
from .prose import Found, has_statements, prose_measures
from .sentences import sentence_statements
from .tables import _TableReader, squash

__all__ = ["Duty", "Measure", "duty_sentences", "header_of", "read_measures", "role_word_count", "structure", "write_measures"]

WS = re.compile(r"\s+")


def structure(notice: Notice, tree: Outline | None = None) -> tuple[list[Measure], list[Finding]]:
    """`tree`: the notice's outline (interim/<id>/outline.json); built here when not given. A
    notice printed in Traditional characters is read folded to Simplified, and its measures given
    back in the characters it printed."""
    tree = tree or outline(notice)
    unfold = Unfold(*notice.texts())
    if not unfold.needed:
        return _structure(notice, tree)
    measures, findings = _structure(notice.with_text(fold), unfolded(tree, fold))
    for m in measures:
        for name in ("measure_label", "text", "section_title", "area", "task", "scope", "due_raw"):
            setattr(m, name, unfold(getattr(m, name)))
        for d in m.duties:
            d.text = unfold(d.text)
    return measures, [replace(x, raw_text=unfold(x.raw_text)) for x in findings]


def _structure(notice: Notice, tree: Outline) -> tuple[list[Measure], list[Finding]]:
    measures: list[Measure] = []
    findings: list[Finding] = []
    rule = notice_rule(notice)
    tables = [_TableReader(notice, Part(po.number, po.label, _blocks(notice, po)), findings).measures() for po in tree.parts]
    stated = any(tables) or any(has_statements(po.root) for po in tree.parts)
    for po, from_table in zip(tree.parts, tables, strict=True):
        from_prose = [_measure(notice, po, f, duties, due) for f, duties, due in prose_measures(po, rule, stated)]
        if rule:  # 排在第一位的为牵头单位 stated for the notice: a responsibility column's first body leads
            for m in from_table:
                for d in m.duties:
                    if d.role == "responsible":
                        d.first_lead, d.rest_role = True, rule[1]
        _check_placed(notice, po, from_prose, findings)
        if from_table:
            # Beside a responsibility table, numbered paragraphs are notes on it, not measures,
            # unless they name who carries them out.
            taken = {m.source_ref for m in from_prose if m.duties}
            for node, _ in walk(po.root):
                if node.kind == "item" and not is_title(node.text) and node.source.ref() not in taken and not find_statements(node.text):
                    findings.append(Finding(notice.notice_id, "structure", "info", "item-beside-table",
                                            "a numbered paragraph beside the responsibility table, naming no unit, was not read as a measure",
                                            notice.source_file, node.source.ref(), (node.marker.text if node.marker else "") + node.text[:200]))
            from_prose = [m for m in from_prose if m.duties]
        _number(from_table)
        _number(from_prose)
        if from_table and from_prose:
            _renumber_ordinal(from_table + from_prose)
        measures += from_table + from_prose
    if not measures and (first := next(iter(duty_sentences(notice)), None)):
        findings.append(Finding(notice.notice_id, "structure", "warning", "no-measure",
                                "the notice assigns work (a role label, or a body named beside a duty verb) but no measure was found: "
                                "its layout is not read", notice.source_file, first[0], first[1][:300]))
    return measures, findings


def _blocks(notice: Notice, po: PartOutline) -> list:
    k, a, b = po.blocks
    return notice.parts[k].blocks[a:b] if k < len(notice.parts) else []


def _measure(notice: Notice, po: PartOutline, f: Found, duties: list[Duty], due: str) -> Measure:
    section = f.path[0] if f.path and f.path[0] is not f.node else None
    title = _title_of(section) if section else ""
    task = f.task or next((_title_of(n) for n in reversed(f.path[1:]) if n is not f.node and is_title(n.text)), "")
    labels = [n.marker.text for n in f.path if n.marker]
    if f.node.kind != "item":
        labels.append("¶")
    m = Measure(notice.notice_id, po.number, 0, f.label, f.text, notice.source_file, f.source.ref(),
                section_no=section.marker.value if section and section.marker else None, section_title=title,
                task=task, due_raw=due, origin="prose", duties=duties, measure_path="/".join(labels), statements=len(f.statements))
    m.measure_no = f.node.marker.value if f.node.kind == "item" and f.node.marker else 0
    return m


def _title_of(node: Node) -> str:
    text = node.text.strip()
    return WS.sub("", text if is_title(text) else re.split(r"[。；;]", text)[0]).strip("。.：:")


def _number(ms: list[Measure]) -> None:
    """The printed number where it runs on (increasing, never repeating), else 1…N."""
    nums = [m.measure_no for m in ms]
    runs_on = all(nums) and all(b > a for a, b in itertools.pairwise(nums)) and len({_scheme(m) for m in ms}) <= 1
    if not runs_on:
        _renumber_ordinal(ms)


def _scheme(m: Measure) -> str:
    return wording().numbering.number.sub("N", m.measure_label)


def _renumber_ordinal(ms: list[Measure]) -> None:
    for k, m in enumerate(ms, start=1):
        m.measure_no = k


def _check_placed(notice: Notice, po: PartOutline, measures: list[Measure], findings: list[Finding]) -> None:
    """Every statement found in the part's text ends in a measure, or is reported here."""
    found = 0
    where: list[tuple[Node, str]] = []

    def go(n: Node) -> None:
        nonlocal found
        for c in n.children:
            if c.kind == "kv":
                sts = [labelled_line(c.label, c.text)]
                sts = [s for s in sts if s]
            elif c.kind == "para" and whole_statement(c.text):
                sts = [whole_statement(c.text)]
            else:
                sts = find_statements(c.text)
            found += len(sts)
            where.extend((c, s.raw) for s in sts if s)
            go(c)

    go(po.root)
    _check_sentences_placed(notice, po, measures, findings)
    placed = sum(m.statements for m in measures)
    if placed < found:
        placed_refs = {m.source_ref for m in measures}
        for node, raw in where:
            if node.source.ref() not in placed_refs:
                findings.append(Finding(notice.notice_id, "structure", "warning", "statement-unplaced",
                                        "a responsibility statement that no measure takes", notice.source_file, node.source.ref(), raw[:300]))


def _check_sentences_placed(notice: Notice, po: PartOutline, measures: list[Measure], findings: list[Finding]) -> None:
    """Every body a sentence gives a role outright (区交通局负责…) is in a measure, or reported: a
    sentence outside the task list (the covering notice's 各部门要…负责) is the notice's context,
    listed so that nothing is dropped unseen."""
    placed = {squash(d.text) for m in measures for d in m.duties}
    for node, _ in walk(po.root):
        if node.kind == "kv":
            continue
        for st in sentence_statements(node.text):
            for d in st.duties:
                if d.stated and squash(d.text) not in placed:
                    findings.append(Finding(notice.notice_id, "structure", "info", "sentence-duty-unplaced",
                                            f"{d.text} is given a role in a sentence that no measure takes", notice.source_file,
                                            node.source.ref(), st.raw[:300]))


def notice_rule(notice: Notice) -> tuple[bool, str] | None:
    """A first-listed-leads rule the notice states outside its statements: in a note paragraph
    or a table's header. (A rule inside a statement applies from that statement on, in prose.py.)"""
    for p in notice.parts:
        for b in p.blocks:
            texts = [c.text for c in b.table.cells if c.header or c.row == 0] if b.table else [b.text]
            for t in texts:
                if any(st.first_is_lead for st in find_statements(t)):
                    continue
                found = stated_rule(t)
                if found:
                    return found
    return None


def duty_sentences(notice: Notice) -> Iterator[tuple[str, str]]:
    """(place, text) of every sentence that assigns work the way notices write it: a role label
    with its colon or as a column header (责任单位：, 牵头单位), a role word closing a bracket (…负责）),
    or a body named beside a duty verb (区交通局负责…, 会同市财政局…). A stray 负责 in running text
    does not count."""
    roles = wording().roles
    stated = re.compile(roles.label_regex + r"[：:]|(?:" + "|".join(map(re.escape, roles.sentences.closing_verbs)) + r")[）)】〕，,]")
    unfold = Unfold(*notice.texts())
    if unfold.needed:  # printed in Traditional characters: read with the Simplified wording
        yield from ((ref, unfold(text)) for ref, text in duty_sentences(notice.with_text(fold)))
        return
    for p in notice.parts:
        for b in p.blocks:
            if b.table is not None:
                for c in b.table.cells:
                    if (c.header or c.row == 0) and roles.label_role(squash(c.text)):
                        yield c.source.ref(), c.text
                continue
            text = squash(b.text)
            for m in stated.finditer(text):
                yield b.source.ref(), _sentence_around(text, m.start())
            for st in sentence_statements(b.text):
                if any(d.stated for d in st.duties):
                    yield b.source.ref(), st.raw


def _sentence_around(text: str, at: int) -> str:
    start = max(text.rfind(c, 0, at) for c in "。；;\n") + 1
    ends = [e for e in (text.find(c, at) for c in "。；;\n") if e >= 0]
    return text[start:min(ends) + 1 if ends else len(text)]


def role_word_count(notice: Notice) -> int:
    """How often the notice assigns work the way notices write it (`duty_sentences`)."""
    return sum(1 for _ in duty_sentences(notice))


def header_of(notice: Notice, tree: Outline) -> Header:
    """What the notice says of itself (the outline read it), with its pages and role words: what
    its record and the checks of it as a whole need, so that later stages need not read the
    document again."""
    return replace(tree.header(), pages=notice.pages, role_words=role_word_count(notice))
