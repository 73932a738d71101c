"""What a backend may be told about words (wording's Lexicon fits it): extraction imports no
wording file, so the shape is stated here and the run hands the words over."""

from __future__ import annotations

import re
from typing import Protocol


class Lexicon(Protocol):
    endings: tuple[str, ...]  # a complete department name ends with one of these, longest first
    fragments: frozenset[str]  # only an ending, never a name of its own
    separators: tuple[str, ...]  # between the names of a list
    header_words: tuple[str, ...]  # table header synonyms and role labels
    fingerprint: str
    # a table whose cells a scrape ran together (glued.py)
    columns: tuple[tuple[str, str], ...]  # header word → its column's kind (number, text, task, due …, department, people), longest first
    role_words: tuple[str, ...]  # words after a name in a department cell (牵头, 配合), longest first
    name_prefixes: tuple[str, ...]  # words a name may open with (各, 相关, 区直), longest first
    levels: str  # one-character levels that open a name (省市区县乡镇)
    divisions: tuple[str, ...]  # bodies after 各 / 相关 (乡镇, 村（居）), longest first
    not_names: tuple[str, ...]  # words that end like a name and are none (场所)
    stops: tuple[str, ...]  # words that begin what a body does (负责, 按照), longest first
    deadline_forms: tuple[re.Pattern[str], ...]  # deadline wordings with a year (group y)
    deadline_forms_without_year: tuple[re.Pattern[str], ...]
    deadline_words: tuple[str, ...]  # 长期, 每年, 每季度 …, longest first
    deadline_joiners: str  # what joins the dates of one deadline cell (、, 至 …)
    # lines of a page that are no text of the notice's (PDF), and lines that are (HTML)
    page_number: re.Pattern[str]  # a page's number line (— 3 —, 第3页)
    date_line: re.Pattern[str]  # a date line (2024年8月21日)
    doc_no_line: re.Pattern[str]  # a 文号 on a line of its own

    def opens_item(self, line: str) -> bool:
        """Does a line open a numbered item (一、 （一） 1. …) or an attachment (附件2)?"""
        ...

    def opens_section(self, text: str) -> bool:
        """Does a text open a section (一、 第一章)?"""
        ...

    def continues(self, piece: str) -> bool:
        """Does a piece (a line's start) go on from the name before it?"""
        ...
