"""Notices printed in Traditional characters (牽頭, 負責, 責任單位), read with the Simplified wording.

    fold(text) -> str          the text with Traditional characters read as Simplified (same length)
    Unfold(*originals)(text)   a folded text back to the characters the notice printed

The wording tables hold Simplified forms only. A stage that matches wording reads a notice's text
folded (traditional.toml, one character to one, so every place in a text stays where it is) and
gives back what it found in the characters as printed: the published text is never converted.
"""

from __future__ import annotations

import tomllib
from functools import cache

from . import folder


@cache
def _table(where: str) -> dict[int, str]:
    with (folder() / "traditional.toml").open("rb") as fh:
        chars = tomllib.load(fh)["characters"]
    return {ord(t): s for t, s in chars.items()}


def fold(text: str) -> str:
    """Traditional characters read as Simplified; everything else as it is."""
    return text.translate(_table(str(folder())))


class Unfold:
    """Gives a folded text back in the characters the notice printed. Built from the notice's own
    texts: each folded character maps back to the one it came from there. A character that two
    printed forms fold to in one notice (後 and 后) stays folded: there is no telling which."""

    def __init__(self, *originals: str) -> None:
        table = _table(str(folder()))
        back: dict[str, str] = {}
        seen: dict[str, set[str]] = {}
        for text in originals:
            for ch in set(text):
                f = table.get(ord(ch), ch)
                seen.setdefault(f, set()).add(ch)
        for f, forms in seen.items():
            if len(forms) == 1 and (ch := next(iter(forms))) != f:
                back[f] = ch
        self._back = str.maketrans(back) if back else None

    @property
    def needed(self) -> bool:
        """Did the notice print any character that folding changes?"""
        return self._back is not None

    def __call__(self, text: str) -> str:
        return text.translate(self._back) if self._back else text
