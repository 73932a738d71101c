"""A notice's parts and header, read from the flat blocks extraction gives.

    split_parts(notice, title) -> [(Part, (0, first, end))]   附件N markers, then issued documents
    header(notice) -> (title, issuer, issued_on)

Part 0 is the notice body, 附件N is part N (a lone 附件 is 1). Documents a notice issues
without an 附件 label (《A》《B》 named in its 印发 sentence, then standing alone as a title, or
standing outside 《》 inside run-on text) become parts 1…k, and labelled 附件 come after them.
The words are data: wording/structure.toml.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

from ..model import Block, Notice, Part
from ..numerals import cn_to_int
from ..wording import wording
from .grammar import leading_marker

NUMBERED = re.compile(r"^\d+[.．、]")
SENTENCE_END = re.compile(r"[。；;！!？?]$")
LEAD_MARKS = re.compile(r"^[#>\s\u3000]+")
Where = tuple[int, int, int]  # notice part index, first block, end


def part_number(block: Block) -> tuple[int, str, str] | None:
    """(N, label, title) when the block is an attachment marker: 附件, 附件2, 附件二, 附件2：标题."""
    if block.kind == "table":
        return None
    text = re.sub(r"\s+", "", block.text)
    m = wording().structure.marker.match(text)
    if m:
        n = cn_to_int(m.group("n")) if m.group("n") else 1
        return (n, text.rstrip(":："), "") if n else None
    m = wording().structure.marker_titled.match(block.text.strip())
    if m and not SENTENCE_END.search(m.group("title")):
        n = cn_to_int(m.group("n"))
        return (n, f"附件{m.group('n')}", m.group("title").strip()) if n else None
    return None


def _attachments(blocks: list[Block]) -> list[tuple[Part, Where]]:
    """Cut the flat blocks at 附件 markers."""
    out: list[tuple[Part, list[int]]] = [(Part(0, ""), [0, 0])]
    listing = False  # inside the body's list of attachments (附件：1.… 2.…)
    for i, b in enumerate(blocks):
        listing = b.kind != "table" and (bool(wording().structure.listing.match(b.text.strip())) or (listing and bool(NUMBERED.match(b.text.strip()))))
        mark = None if listing else part_number(b)
        if mark:
            out.append((Part(mark[0], mark[1]), [i + 1, i + 1]))
            if mark[2]:  # the title written on the marker's line opens the part
                out[-1][0].blocks.append(Block("heading", b.source, mark[2], b.style))
        else:
            out[-1][0].blocks.append(b)
            out[-1][1][1] = i + 1
    kept = [(p, (0, a, e)) for p, (a, e) in out if p.blocks or p.number]
    for p, _ in kept:
        _mark_attachment_list(p.blocks)
    return kept


def _mark_attachment_list(blocks: list[Block]) -> None:
    """Mark the body's list of attachments (附件：1.… 2.…) so it is not read as measures."""
    inside = False
    for b in blocks:
        if b.kind == "table":
            inside = False
            continue
        t = b.text.strip()
        if wording().structure.listing.match(t):
            inside = True
        elif inside and (wording().structure.date_line.match(t) or SENTENCE_END.search(t) or not (NUMBERED.match(t) or len(t) < 40)):
            inside = False
        if inside:
            b.style = "attachment-list"


def _norm_title(text: str) -> str:
    return re.sub(r"[\s*#《》〈〉<>“”\"'‘’（）()【】\[\]、，,。.:：\-—－]", "", text)


def issued_titles(title: str, body: list[Block]) -> list[str]:
    """Titles of the documents the notice issues (印发): 《A》《B》 in its issuing sentence, or the
    X of its title 关于印发X的通知."""
    words = wording().structure.issuing
    out: list[str] = []
    m = re.search(r"印发(.+?)的通知", title)
    if m:
        out.append(m.group(1))
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


def split_parts(notice: Notice, title: str) -> list[tuple[Part, Where]]:
    """The notice's parts, and where each one's blocks are in the notice (`title`: its title)."""
    flat = [b for p in notice.parts for b in p.blocks]
    parts = _attachments(flat)
    body, (_, b0, _) = parts[0]
    if body.number != 0:
        return parts
    titles = issued_titles(title, body.blocks)
    words = wording().structure.issuing
    issuing_at = next((i for i, b in enumerate(body.blocks) if b.kind != "table" and i > 0 and any(w in b.text for w in words)
                       and re.search(r"[，,。]", b.text)), len(body.blocks))  # the issuing sentence, not the title's 印发
    def title_line(b: Block) -> str:
        if b.kind == "table" or b.style == "attachment-list" or leading_marker(b.text) or len(b.text.strip()) > 80:
            return ""
        if re.search(r"[。；;，,]", b.text.strip().rstrip("。")) or any(w in b.text for w in words):
            return ""
        return _norm_title(b.text)

    def names_a_title(t: str) -> bool:
        return any(t == x or (len(t) >= 6 and (t in x or x in t) and min(len(t), len(x)) / max(len(t), len(x)) >= 0.7) for x in titles)

    cuts = [0]
    lines = [title_line(b) for b in body.blocks]
    i = issuing_at + 1
    while titles and i < len(body.blocks):
        # a title printed over two or three lines (…贯彻落实《国务院关于 / 加强…意见》任务分工方案)
        span = next((n for n in (1, 2, 3) if all(lines[i:i + n]) and i + n <= len(lines) and names_a_title("".join(lines[i:i + n]))), 0)
        if span:
            cuts.append(i)
        i += max(span, 1)
    if len(cuts) == 1:
        return _split_run_on(parts, titles, issuing_at) or parts
    cuts.append(len(body.blocks))
    out = [(Part(n, "", body.blocks[a:e]), (0, b0 + a, b0 + e)) for n, (a, e) in enumerate(itertools.pairwise(cuts))]
    issued = len(cuts) - 2
    labelled = parts[1:]
    if labelled and labelled[0][0].number == issued:
        # the issued document's own 附件 right after it (附件 printed inside 《办法》): its part
        # goes on there, under its printed number, instead of being moved past the issued ones
        (last, (k, a, _)), (first, (_, _, e)) = out[-1], labelled[0]
        out[-1] = (Part(last.number, first.label, [*last.blocks, *first.blocks]), (k, a, e))
        labelled = labelled[1:]
    return out + [(Part(p.number + issued, p.label, p.blocks), where) for p, where in labelled]  # other 附件 come after them


def _split_run_on(parts: list[tuple[Part, Where]], titles: list[str], issuing_at: int) -> list[tuple[Part, Where]] | None:
    """A scrape that lost its line breaks: the issued title stands inside the run-on paragraph,
    outside 《》, after the notice (…2022年6月10日减污降碳协同增效实施方案一、…). Cut the
    paragraph there; the rest is part 1."""
    body, (_, b0, e0) = parts[0]
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
                rest = [(Part(p.number + 1, p.label, p.blocks), where) for p, where in parts[1:]]
                return [(first, (0, b0, b0 + i + 1)), (second, (0, b0 + i, e0)), *rest]
    return None


def title_of(blocks: list[Block]) -> str:
    """The leading run of short lines before the addressee line or the first body text."""
    stops = wording().structure.addressee_suffix
    lines: list[str] = []
    for b in blocks:
        if b.kind == "table":
            break
        t = b.text.strip()
        if t.endswith(stops) or SENTENCE_END.search(t) or (len(t) > 60 and lines):
            break
        lines.append(t)
        if len("".join(lines)) > 150:
            break
    return re.sub(r"\s+", " ", "".join(lines)).strip()


def header(notice: Notice, is_furniture) -> tuple[str, str, str | None]:
    """Title, issuer and date: the title block read without scraper furniture and Markdown, the
    date line nearest the end of the body."""
    flat = [b for p in notice.parts for b in p.blocks]
    parts = _attachments(flat)
    body = parts[0][0].blocks if parts else []
    clean = [Block(b.kind, b.source, LEAD_MARKS.sub("", b.text).strip("* "), b.style, b.table)
             for b in body if b.kind == "table" or not is_furniture(b.text)]
    title = title_of([b for b in clean if b.kind == "table" or b.text])
    m = wording().structure.issuer_before.match(title)
    return title, (m.group("issuer") if m else ""), _issued_on(body)


def _issued_on(blocks: list[Block]) -> str | None:
    for b in reversed(blocks):
        if b.kind == "table":
            continue
        m = wording().structure.date_line.match(b.text.strip())
        if m:
            try:
                return date(int(m.group("y")), int(m.group("m")), int(m.group("d"))).isoformat()
            except ValueError:
                return None
    return None
