"""What one notice's stages hand each other through its folder in interim/, besides the document
and the outline (run/folder.py names the files; these are their contents, typed):

    Header      structure → normalize       what the notice says of itself, its pages, its role words
    NoticeRecord                            what the notices table says of the notice
    Summary     normalize → validate, publish, report   what checks across notices need of it
    Facts       a run's notice task → validate          what validate reads of a Summary, carried back by the task
    Validation  validate → the verdict      what its rows gave each expectation

Each reads and writes its JSON here (`to_json`, `from_json`), so a field is named once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

NOTICE_TABLES = ("measure_departments", "measures", "notices")  # the curated tables a notice has rows in (its pieces)


@dataclass
class Header:
    """What a notice says of itself — title, issuer, 文号, date (the text's, else its page's) and
    the files its page links, as the outline reads them — with what the notices table and its
    checks need of the document: pages, and how often its text assigns work (role words)."""

    title: str = ""
    issuer: str = ""
    issued_on: str | None = None
    doc_no: str = ""  # its 文号
    attachments: list[str] = field(default_factory=list)
    pages: int | None = None
    role_words: int = 0
    # Kept only when the text prints no issuer: where the registry looks for the place a notice
    # speaks for when neither issuer nor title names one (normalize.notice_record).
    opening: str = ""  # the body's first paragraph that holds a sentence (why and on what basis it is made)
    lead: str = ""  # the body's first paragraphs, one a line, at most LEAD_CHARS characters

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Header:
        return cls(**d)


@dataclass
class NoticeRecord:
    """What the notices table says of one notice (from the extract stage, raw/ and its header)."""

    notice_id: str
    title: str
    issuer: str
    issued_on: str | None
    source_file: str
    source_format: str
    sha256: str
    alternates: list[str] = field(default_factory=list)
    pages: int | None = None
    role_words: int = 0  # role words (责任单位, 牵头, 负责 …) in its text: the notices suite checks measures were found
    jurisdiction: str = ""  # from the registry, by issuer and title, when the record is made (normalize.notice_record)
    doc_no: str = ""
    attachments: list[str] = field(default_factory=list)


@dataclass
class NameUse:
    """A department name as one notice writes it, with its canonical form: what the checks across
    notices (a name given two canonical forms) and the report (names not in the registry) read."""

    department: str
    canonical: str
    in_registry: bool
    is_collective: bool
    pairs: int  # pairs of the notice that write it so
    first_seen: str  # file:place of the first of them


@dataclass
class Summary:
    """What checks across notices need of one notice, in a few kilobytes: every check across
    notices, the departments table and the report's charts read these, never the rows."""

    notice_id: str
    digest: str  # of its Arrow pieces: equal digests, equal rows
    measures: int
    pairs: int
    record: NoticeRecord
    names: list[NameUse]
    months: dict[str, int]  # deadline month (ongoing, no deadline) -> measures
    departments: list[dict[str, Any]]  # its rows of the departments table

    def to_json(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "record": asdict(self.record),
                "names": [vars(n) for n in self.names]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Summary:
        return cls(**{**d, "record": NoticeRecord(**d["record"]), "names": [NameUse(**n) for n in d["names"]]})


@dataclass(frozen=True)
class Facts:
    """What the validate stage reads of one notice's Summary, a few hundred bytes: a run's notice
    task hands it back, so the driver computes the facts across notices and the validation keys
    without reading every summary again (on a cluster, one file per notice off a shared filesystem)."""

    notice_id: str
    digest: str  # of its Arrow pieces
    rows: int  # measures and pairs: what a validation chunk is sized by
    record: NoticeRecord  # the checks across notices read its hash, title, issuer, date, jurisdiction
    names: tuple[tuple[str, str], ...]  # (department as written, canonical), each once, sorted

    @classmethod
    def of(cls, s: Summary) -> Facts:
        return cls(s.notice_id, s.digest, s.measures + s.pairs, s.record, tuple(sorted({(n.department, n.canonical) for n in s.names})))

    def shared(self, pool: dict[tuple[str, str], tuple[str, str]]) -> Facts:
        """These facts with each (name, canonical) pair the one `pool` holds: a run keeps every
        notice's facts until validate, and the same departments recur across notices."""
        return replace(self, names=tuple(pool.setdefault(n, n) for n in self.names))


# The column a failing row's value is shown from, per suite (numbering: the printed label): in
# failures.parquet and on the console alike.
VALUE_OF = {"numbering": "measure_label", "departments": "department", "completion_dates": "due_raw", "completeness": "measure_label",
            "notices": "title"}


@dataclass
class Check:
    """What one notice's rows gave one expectation."""

    order: list[Any]  # [suite, its index in the suite]: the expectation, across notices
    suite: str
    expectation: str
    column: str
    description: str  # the rule in words, as Data Docs show it
    severity: str  # critical | warning (GX's words for the suites' blocking | warning)
    elements: int  # rows of the notice it checked
    unexpected: int
    rows: list[dict[str, Any]]  # the failing rows, traced to file and place
    why: str = ""  # meta.why: why the rule exists
    failing: str = ""  # meta.failing: what a failing row is, after its count
    frame: str = ""  # measures | pairs | notices
    error: str = ""  # the expectation could not run on these rows: it says nothing of them
    values: str = ""  # an in_set rule's value set: two rules on one column are told apart by it


@dataclass
class Validation:
    """One notice's results: what its rows gave each expectation of every suite."""

    checks: list[Check]

    def to_json(self) -> list[dict[str, Any]]:
        return [vars(c) for c in self.checks]

    @classmethod
    def from_json(cls, d: list[dict[str, Any]]) -> Validation:
        return cls([Check(**c) for c in d])
