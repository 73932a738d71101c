"""Wrap or break: whether a line break inside a cell continues a department name (人民银行某市分
+ 行) or starts the next one. The lexicon's word rule first, then the line's geometry, then jieba
with the name endings as words where geometry cannot tell."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from ..lexicon import Lexicon
from .geometry import Line

if TYPE_CHECKING:
    import jieba

SEPARATORS = ("、", "，", ",", "；", ";")


class LineJoiner:
    """Decides whether a line break inside a cell is a wrap (join with nothing) or a real break:
    the lexicon's word rule first, then the line's geometry."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.endings = lexicon.endings
        self._jieba = None

    def tokenizer(self) -> jieba.Tokenizer:
        if self._jieba is None:
            self._jieba = name_tokenizer(self.lexicon)
        return self._jieba

    def word_boundary(self, left: str, right: str) -> bool:
        """Does jieba, with the name endings as words, cut left+right exactly between them?"""
        pos = 0
        for tok in self.tokenizer().cut(left[-8:] + right[:8], HMM=False):
            pos += len(tok)
            if pos == len(left[-8:]):
                return True
            if pos > len(left[-8:]):
                return False
        return False

    def joiner(self, prev: Line, nxt: Line, listy: bool) -> str:
        """'' for a wrap, ' ' where spaces ended the line, '\\n' for a real break."""
        if nxt.top - prev.bottom > 0.9 * max(prev.height, nxt.height):
            return "\n\n"  # an empty paragraph between
        if prev.trailing_space:
            return " "
        head = nxt.text
        if self.lexicon.continues(head):
            return ""
        if prev.room >= 2.0:
            return "\n"
        if prev.text.endswith(SEPARATORS):
            return ""
        ends_name = prev.text.endswith(self.endings)
        if prev.room >= 1.0:
            return "\n" if ends_name else ""
        # The line is full: a wrap, unless a list written one name per line happens to end a
        # name exactly at the edge and the next line begins a new one.
        if listy or not ends_name:
            return ""
        return "\n" if self.word_boundary(prev.text, head) else ""


@cache
def name_tokenizer(lexicon: Lexicon) -> jieba.Tokenizer:
    """jieba with the department-name endings as words. Loading its dictionary takes most of a
    second, so it happens once per process (the run warms it before forking workers)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    for w in {*lexicon.endings, *lexicon.fragments}:
        tk.add_word(w, freq=200000)
    tk.initialize()
    return tk


