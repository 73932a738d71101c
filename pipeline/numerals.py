"""Chinese numerals, read and written with cn2an (a maintained library: it handles 百, 〇 and
digit strings such as 二〇二五, which a hand-written reader kept to 1–99 did not)."""

from __future__ import annotations

from functools import cache
from types import ModuleType


@cache
def _cn2an() -> ModuleType:
    """cn2an, imported when a numeral is first read: its import builds its converters (a quarter
    of a second), which a run that reads no notice (nothing changed) does not need."""
    import cn2an

    return cn2an


def cn_to_int(text: str) -> int | None:
    """A Chinese numeral (一, 十二, 一百零五, 两) or Arabic digits as a positive number; None if
    the text is not one. The characters cn2an does not read (两) are folded as the numbering
    wording says."""
    from .wording import wording  # read when a numeral is, not by whoever imports this module (extraction)

    s = wording().numbering.numeral(text.strip())
    if not s:
        return None
    if s.isdigit():
        return int(s)
    try:
        n = _cn2an().cn2an(s, "strict")
    except (ValueError, KeyError, TypeError):
        return None
    return int(n) if n == int(n) and n > 0 else None


def int_to_cn(n: int) -> str:
    """A positive number as a Chinese numeral (12 → 十二)."""
    if n <= 0:
        raise ValueError(f"{n} is not a positive number")
    return _cn2an().an2cn(n)


def arabic(text: str) -> str:
    """Chinese numerals inside a phrase as Arabic digits: 二〇二五年六月底前 → 2025年6月底前."""
    try:
        return _cn2an().transform(text, "cn2an")
    except (ValueError, KeyError, TypeError):
        return text
