"""What a backend may be told about words (wording's Lexicon fits it): extraction imports no
wording file, so the shape is stated here and the run hands the words over."""

from __future__ import annotations

from typing import Protocol


class Lexicon(Protocol):
    endings: tuple[str, ...]  # a complete department name ends with one of these, longest first
    fragments: frozenset[str]  # only an ending, never a name of its own
    header_words: tuple[str, ...]  # table header synonyms and role labels
    fingerprint: str

    def continues(self, piece: str) -> bool:
        """Does a piece (a line's start) go on from the name before it?"""
        ...
