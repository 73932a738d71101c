"""Chinese numerals one to ninety-nine, both ways (一 ↔ 1, 十二 ↔ 12, 九十九 ↔ 99)."""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"


def cn_to_int(text: str) -> int | None:
    """Read a Chinese numeral up to 99 (also 两, 〇 and Arabic digits); None if it is not one."""
    s = text.strip().replace("两", "二").replace("〇", "零")
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if any(ch not in DIGITS + "十" for ch in s) or s.count("十") > 1:
        return None
    if "十" not in s:
        return DIGITS.index(s) or None if len(s) == 1 else None
    tens, _, ones = s.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    t = DIGITS.index(tens) if tens else 1
    o = DIGITS.index(ones) if ones else 0
    if t == 0:
        return None
    return t * 10 + o


def int_to_cn(n: int) -> str:
    """Write 1..99 as a Chinese numeral."""
    if not 0 < n < 100:
        raise ValueError(f"{n} is outside 1..99")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
