"""Turn a backend's blocks, in reading order, into a Notice: parts, title, issuer, date.

Shared by every backend so that what a part or a title is does not depend on the format.
"""

from __future__ import annotations

import re
from datetime import date

from ..model import Block, Notice, Part
from ..numerals import cn_to_int
from ..wording import wording

PART_MARK = re.compile(r"^附\s*件\s*([0-9一二三四五六七八九十]*)\s*[:：]?$")
# 附件2：某某实施计划 — a numbered marker with the attachment's title on the same line
PART_MARK_TITLED = re.compile(r"^附\s*件\s*([0-9]+|[一二三四五六七八九十]+)\s*[:：]\s*(?![0-9一二三四五六七八九十]+[.．、])(\S.{1,58})$")
ATTACHMENT_LIST = re.compile(r"^附\s*件\s*[:：]")
DATE_LINE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
NUMBERED = re.compile(r"^\d+[.．、]")
SENTENCE_END = re.compile(r"[。；;！!？?]$")
ISSUER_BEFORE = re.compile(r"^(.+?)(?:关于|印发|转发)")


def part_number(block: Block) -> tuple[int, str, str] | None:
    """(N, label, title) when the block is an attachment marker: 附件, 附件2, 附件二, 附件2：标题."""
    if block.kind == "table":
        return None
    text = re.sub(r"\s+", "", block.text)
    m = PART_MARK.match(text)
    if m:
        n = cn_to_int(m.group(1)) if m.group(1) else 1
        return (n, text.rstrip(":："), "") if n else None
    m = PART_MARK_TITLED.match(block.text.strip())
    if m and not SENTENCE_END.search(m.group(2)):
        n = cn_to_int(m.group(1))
        return (n, f"附件{m.group(1)}", m.group(2).strip()) if n else None
    return None


def assemble(notice_id: str, source_file: str, source_format: str, blocks: list[Block], pages: int | None = None) -> Notice:
    parts: list[Part] = [Part(0, "")]
    listing = False  # inside the body's list of attachments (附件：1.… 2.…)
    for b in blocks:
        listing = b.kind != "table" and (bool(ATTACHMENT_LIST.match(b.text.strip())) or (listing and bool(NUMBERED.match(b.text.strip()))))
        mark = None if listing else part_number(b)
        if mark:
            parts.append(Part(mark[0], mark[1]))
            if mark[2]:  # the title written on the marker's line opens the part
                parts[-1].blocks.append(Block("heading", b.source, mark[2], b.style))
        else:
            parts[-1].blocks.append(b)
    parts = [p for p in parts if p.blocks or p.number]
    for p in parts:
        _mark_attachment_list(p.blocks)
    notice = Notice(notice_id, source_file, source_format, parts=parts, pages=pages)
    first = parts[0]
    notice.title = title_of(first.blocks)
    m = ISSUER_BEFORE.match(notice.title)
    notice.issuer = m.group(1) if m else ""
    notice.issued_on = _issued_on(parts)
    return notice


def title_of(blocks: list[Block]) -> str:
    """The leading run of short lines before the addressee line or the first body text."""
    stops = tuple(wording().structure["addressee_suffix"])
    lines = []
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


def _issued_on(parts: list[Part]) -> str | None:
    """The date line (2024年8月21日 on a line of its own) nearest the end of the body."""
    for p in parts:
        for b in reversed(p.blocks):
            if b.kind == "table":
                continue
            m = DATE_LINE.match(b.text.strip())
            if m:
                try:
                    return date(*map(int, m.groups())).isoformat()
                except ValueError:
                    return None
        if p.number == 0 and len(parts) > 1:
            continue
    return None


def _mark_attachment_list(blocks: list[Block]) -> None:
    """Mark the body's list of attachments (附件：1.… 2.…) so it is not read as measures."""
    inside = False
    for b in blocks:
        if b.kind == "table":
            inside = False
            continue
        t = b.text.strip()
        if ATTACHMENT_LIST.match(t):
            inside = True
        elif inside and (DATE_LINE.match(t) or SENTENCE_END.search(t) or not (NUMBERED.match(t) or len(t) < 40)):
            inside = False
        if inside:
            b.style = "attachment-list"
