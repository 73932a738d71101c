"""The numbering grammar at work: markers at the start of a paragraph and inside run-on text.

The schemes themselves are data (wording/numbering.toml); this module only reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..numerals import cn_to_int
from ..wording import Scheme, wording

LEAD = re.compile(r"^[\s\u3000\xa0*#>]+")  # whitespace and Markdown marks before a marker
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass(frozen=True)
class Marker:
    """A numbering marker as printed: its scheme, its value and its text (（十二） → 12)."""

    scheme: str
    value: int
    text: str


def marker_value(raw: str) -> int | None:
    if raw in CIRCLED:
        return CIRCLED.index(raw) + 1
    if re.fullmatch(r"\d+[.．]\d+", raw):  # 2.1: the sub-number counts within its parent
        return int(re.split(r"[.．]", raw)[1])
    return cn_to_int(raw)


def _match(scheme: Scheme, text: str, pos: int) -> tuple[Marker, int] | None:
    m = scheme.regex.match(text, pos)
    if not m:
        return None
    value = marker_value(m.group("n"))
    if value is None:
        return None
    return Marker(scheme.name, value, m.group(0).strip()), m.end()


def leading_marker(text: str, last: dict[str, int] | None = None) -> tuple[Marker, str] | None:
    """The marker a paragraph opens with, and the text after it. Where markers of several schemes
    could be read (12.5G基站建设: 12.5, or 12. then 5G…), the one that continues its scheme's
    running sequence (`last`: the last value seen per scheme) wins: digits after a label that
    break the sequence belong to the title."""
    body = LEAD.sub("", text)
    readings = [found for scheme in wording().numbering.schemes if (found := _match(scheme, body, 0))
                and (not scheme.in_sequence_only or (last is not None and found[0].value == last.get(scheme.name, 0) + 1))]
    if not readings:
        return None
    if last is not None:
        readings.sort(key=lambda r: r[0].value != last.get(r[0].scheme, 0) + 1)  # stable: the grammar's order otherwise
    marker, end = readings[0]
    return marker, body[end:].strip().strip("*").strip()


def split_inline(text: str, last: dict[str, int]) -> list[tuple[Marker | None, str]]:
    """Cut a run-on paragraph where a marker opens a new node: after a sentence end or a closing
    bracket, or close behind the marker of a scheme ranked above it (一、标题（一）…), when its value is 1 or
    follows the last value seen for its scheme (`last`, updated). The first piece keeps the
    paragraph's own leading marker, if any."""
    grammar = wording().numbering
    inline = [s for s in grammar.schemes if s.inline]
    rank = {s.name: k for k, s in enumerate(grammar.schemes)}
    pieces: list[tuple[Marker | None, int, int]] = []  # (marker, start of marker, start of text)
    head = leading_marker(text, last)
    body = LEAD.sub("", text) if head else text
    if head:
        m0, rest = head
        last[m0.scheme] = m0.value
        pieces.append((m0, 0, len(body) - len(rest) if rest else len(body)))
        start = len(body) - len(rest)
    else:
        pieces.append((None, 0, 0))
        start = 0
    prev_marker_at = 0 if head else -10**9
    prev_scheme = head[0].scheme if head else ""
    i = max(start, 1)
    n = len(body)
    while i < n:
        ch = body[i]
        if ch.isspace() or ch in grammar.boundary:
            i += 1
            continue
        before = body[i - 1]
        boundary = before in grammar.boundary
        close = (i - prev_marker_at) <= grammar.run_in
        if not boundary and not close:
            i += 1
            continue
        if before.isdigit() or ("0" <= ch <= "9" and before in "．.、"):
            i += 1
            continue
        hit = None
        for s in inline:
            found = _match(s, body, i)
            if found and (boundary or rank[s.name] > rank.get(prev_scheme, len(rank))):
                mk, end = found
                if mk.value == 1 or mk.value == last.get(mk.scheme, -1) + 1:
                    hit = (mk, end)
                    break
        if hit is None:
            i += 1
            continue
        mk, end = hit
        last[mk.scheme] = mk.value
        pieces.append((mk, i, end))
        prev_marker_at, prev_scheme = i, mk.scheme
        i = end
    out: list[tuple[Marker | None, str]] = []
    for k, (mk, _at, text_at) in enumerate(pieces):
        stop = pieces[k + 1][1] if k + 1 < len(pieces) else n
        out.append((mk, body[text_at:stop].strip()))
    if not out[0][0] and not out[0][1]:
        out.pop(0)
    return out


def is_title(text: str) -> bool:
    """A heading: short and not a sentence (no 。；！？ inside or at its end)."""
    t = text.strip().strip("*").strip()
    return 0 < len(t) <= 50 and not re.search(r"[。；;！!？?]", t)


def title_words_match(title: str, words: tuple[str, ...]) -> bool:
    t = re.sub(r"[\s。.：:]", "", title)
    return any(t == w or (len(t) <= len(w) + 4 and t.endswith(w)) or t.startswith(w) for w in words)
