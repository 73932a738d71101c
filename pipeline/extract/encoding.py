"""Text encodings of scraped text and saved pages: found from the bytes, never assumed.

    decode_text(data, declared=None) -> (text, encoding)      raises ExtractError

Order: a byte-order mark (UTF-8, UTF-16, UTF-32); the encoding the page declares; strict UTF-8;
then the Chinese encodings (GB18030, which covers GBK and GB2312, and Big5), the one whose text
reads most like Chinese; then charset-normalizer for anything else. Whatever is chosen must read
as text: a decoding that gives mostly characters a Chinese notice never holds (kana read from
Big5 bytes as GBK, Latin letters from UTF-8 read as Latin-1 and saved again) is refused.
"""

from __future__ import annotations

import codecs
import unicodedata

from ..errors import ExtractError

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
CHINESE = ("gb18030", "big5")
ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "big5-hkscs": "big5hkscs"}
MIN_PLAUSIBLE = 0.85  # share of the non-ASCII characters that a Chinese text is made of


def _chinese_share(text: str) -> tuple[float, int]:
    """The share of non-ASCII characters that are Han ideographs or CJK/full-width punctuation,
    and how many non-ASCII characters there are."""
    good = total = 0
    for ch in text:
        if ch < "\x80":
            continue
        total += 1
        o = ord(ch)
        if (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF
                or 0x2000 <= o <= 0x206F or o in (0xA0, 0xB7, 0xD7, 0x2460) or 0x2460 <= o <= 0x24FF or 0x2160 <= o <= 0x217F
                or 0x20000 <= o <= 0x2FFFF):
            good += 1
    return (good / total if total else 1.0), total


def plausible(text: str) -> bool:
    share, total = _chinese_share(text)
    return total < 20 or share >= MIN_PLAUSIBLE


def _strict(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ExtractError("the file holds no text (only blank space)")
    for bom, enc in BOMS:
        if data.startswith(bom):
            text = _strict(data, enc)
            if text is None:
                raise ExtractError(f"it starts with a {enc.upper()} byte-order mark but is not valid {enc.upper()}")
            return _checked(text, enc)
    tried: list[str] = []
    if declared:
        enc = ALIASES.get(declared.lower(), declared.lower())
        text = _strict(data, enc)
        tried.append(enc)
        if text is not None and plausible(text):
            return text, enc
    if b"\x00" in data[:4096]:  # UTF-16 without a byte-order mark, or not text at all
        return _without_bom(data)
    text = _strict(data, "utf-8")
    if text is not None:
        return _checked(text, "utf-8")
    found = _chinese(data, tried) or _normalizer(data)
    if found is not None and plausible(found[0]):
        return found
    raise ExtractError(f"the text cannot be decoded as Chinese (tried {', '.join(dict.fromkeys(tried))}, and detection); "
                       "save it as UTF-8")


def _without_bom(data: bytes) -> tuple[str, str]:
    """Text with zero bytes and no byte-order mark: UTF-16 or UTF-32 as detection finds it, or binary."""
    guess = _normalizer(data)
    share, total = _chinese_share(guess[0]) if guess else (0.0, 0)
    if guess is None or total < 20 or share < MIN_PLAUSIBLE:
        raise ExtractError("not a text file (binary content)")
    return guess


def _chinese(data: bytes, tried: list[str]) -> tuple[str, str] | None:
    """The Chinese encoding that decodes the bytes to the most Chinese, when that is plausible."""
    scored = []
    for enc in CHINESE:
        text = _strict(data, enc)
        tried.append(enc)
        if text is not None:
            scored.append((_chinese_share(text)[0], enc, text))
    if scored:
        share, enc, text = max(scored)
        if share >= MIN_PLAUSIBLE:
            return text, enc
    return None


def _normalizer(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None:
        return None
    text = _strict(data, best.encoding)
    return (text, best.encoding) if text is not None else None


def _checked(text: str, enc: str) -> tuple[str, str]:
    if not plausible(text):
        sample = "".join(ch for ch in unicodedata.normalize("NFC", text) if not ch.isspace())[:24]
        raise ExtractError(f"its text decodes ({enc}) to characters a Chinese notice does not hold ({sample} …): "
                           "it was garbled before it arrived (saved in the wrong encoding); ask for the original")
    return text, enc
