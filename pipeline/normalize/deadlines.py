"""Deadline wordings into a kind and the last day of their period (wording/deadlines.toml)."""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..numerals import arabic
from ..wording import Deadlines, wording

WS = re.compile(r"\s+")


@dataclass
class Deadline:
    raw: str
    kind: str  # month | quarter | half | year | ongoing | none | unparsed (wording not understood) | invalid (no such date)
    date: str | None  # ISO date, the last day of the period


def _last_day(kind: str, y: int, m: int = 12, q: int = 4, h: int = 2) -> date:
    if kind == "quarter":
        m = q * 3
    elif kind == "half":
        m = 6 * h
    elif kind == "year":
        m = 12
    return date(y, m, calendar.monthrange(y, m)[1])


def _period_end(kind: str, g: dict[str, Any], year: int | None, d: Deadlines) -> date:
    """The last day of the period a deadline form's groups name; ValueError for a date that does
    not exist (2026年13月, 2月30日)."""
    y = int(g["y"]) if g.get("y") else year
    assert y is not None  # a form without a year is read only with the notice's
    if kind == "month":
        when = _last_day(kind, y, m=int(g["m"]))
        if g.get("d"):
            date(y, int(g["m"]), int(g["d"]))  # the day must exist too
        return when
    if kind == "quarter":
        return _last_day(kind, y, q=int(g["q"]) if g["q"].isdigit() else d.quarters.index(g["q"]) + 1)
    if kind == "half":
        return _last_day(kind, y, h=d.halves.index(g["h"]) + 1)
    return _last_day(kind, y)


def parse_deadline(raw: str, year: int | None = None) -> Deadline:
    """2026年5月, 2025年底前, 2025年第三季度, 持续推进 … into kind and the period's last day.

    `year` is the notice's own year, for wordings that leave it out (6月底前, 年底前)."""
    d = wording().deadlines
    s = arabic(WS.sub("", unicodedata.normalize("NFKC", raw or "")))
    if not s or s in d.none:
        return Deadline(raw or "", "none", None)
    if any(s.startswith(w) for w in d.ongoing):
        return Deadline(raw, "ongoing", None)  # 持续推进
    found: list[tuple[int, int, date, str]] = []  # (start, end, date, kind)
    for form in (*d.forms, *(d.forms_without_year if year else ())):
        for m in form.regex.finditer(s):
            if s.startswith(d.starts, m.end()):
                continue  # 2024年起: when the work starts, not its deadline
            kind = form.kind
            try:
                when = _period_end(kind, m.groupdict(), year, d)
            except (ValueError, calendar.IllegalMonthError):
                return Deadline(raw, "invalid", None)  # 2026年13月: a date that does not exist
            if m.group(0) == s:
                return Deadline(raw, kind, when.isoformat())
            found.append((m.start(), m.end(), when, kind))
    # Several deadlines in one cell ("…6月底前完成方案，2025年底前全面推开"): the last one
    # counts; a match inside a longer one (2024年 inside 2024年6月) is not a deadline of its own.
    spans = [f for f in found if not any(o is not f and o[0] <= f[0] and f[1] <= o[1] and (o[1] - o[0]) > (f[1] - f[0]) for o in found)]
    if spans:  # a dated milestone wins over what follows it (5月底取得明显成效并持续推进)
        _, _, when, kind = max(spans, key=lambda f: f[2])
        return Deadline(raw, kind, when.isoformat())
    if any(w in s for w in d.ongoing):
        return Deadline(raw, "ongoing", None)  # 2024年起持续推进
    return Deadline(raw, "unparsed", None)
