"""What a backend may be told about words (wording's Lexicon fits it): extraction imports no
wording file, so the shape is stated here and the run hands the words over."""

from __future__ import annotations

from typing import Protocol


class Lexicon(Protocol):
    endings: tuple[str, ...]  # a complete department name ends with one of these, longest first
    fragments: frozenset[str]  # only an ending, never a name of its own
    header_words: tuple[str, ...]  # table header synonyms and role labels
    fingerprint: str

    def opens_item(self, line: str) -> bool:
        """Does a line open a numbered item (一、 （一） 1. …) or an attachment (附件2)?"""
        ...

    def opens_section(self, text: str) -> bool:
        """Does a text open a section (一、 第一章)?"""
        ...

    def continues(self, piece: str) -> bool:
        """Does a piece (a line's start) go on from the name before it?"""
        ...
