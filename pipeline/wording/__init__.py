"""Wording quirks of Chinese notices, kept as data: one TOML file per concern.

    numbering.toml    the numbering grammar (一、 （一） 1. （1） ① 第一条 一是 …), section kinds, furniture
    roles.toml        the one role-word table: labels, people, verbs, joins, rules
    columns.toml      table header synonyms → fields
    deadlines.toml    deadline forms
    departments.toml  separators, name endings, 等 forms, collective placeholders
    structure.toml    title block, date line, 附件 markers, issuing words

`wording()` loads and checks them once per process; every table comes back typed, with its
regexes compiled and its roles known, so a bad entry fails at load with its file named.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

FILES = ("columns", "roles", "deadlines", "departments", "structure", "numbering")
ROLE_NAMES = ("lead", "responsible", "support")


class WordingError(ValueError):
    """A wording file that cannot be used as written."""


def folder() -> Path:
    """Where the wording files are read from: the package's own, or $PIPELINE_WORDING (a team's
    copy, kept beside their notices)."""
    env = os.environ.get("PIPELINE_WORDING")
    return Path(env) if env else Path(str(resources.files(__package__)))


def _load(name: str) -> dict[str, Any]:
    with (folder() / f"{name}.toml").open("rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise WordingError(f"wording/{name}.toml: {exc}") from exc


def _compile(file: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise WordingError(f"wording/{file}.toml: bad regex {pattern!r}: {exc}") from exc


def _role(file: str, role: str, allow_empty: bool = False) -> str:
    if role in ROLE_NAMES or (allow_empty and role == ""):
        return role
    raise WordingError(f"wording/{file}.toml: unknown role {role!r} (one of {', '.join(ROLE_NAMES)})")


@dataclass(frozen=True)
class Scheme:
    """One kind of numbering marker: 一、 or （一） or 1. …"""

    name: str
    regex: re.Pattern[str]  # matched at the start of a paragraph; group n is the value
    inline: bool  # may also open a node inside a run-on paragraph


@dataclass(frozen=True)
class Numbering:
    schemes: tuple[Scheme, ...]
    boundary: str  # characters that may stand before an inline marker
    run_in: int  # how close a marker of another scheme may stand before an inline one
    preamble: tuple[str, ...]
    closing: tuple[str, ...]
    sub_measure_labels: tuple[str, ...]
    furniture: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Roles:
    labels: dict[str, str]  # label → role (责任单位 → responsible)
    people: tuple[str, ...]  # labels and headers that name people (责任领导)
    verbs: tuple[tuple[re.Pattern[str], str], ...]  # clause-final role verb → role, longest pattern first
    joins: dict[str, str]  # word between two lists → role of the left list ("" keeps the clause's)
    prefixes: tuple[str, ...]  # 由 …
    trailing: dict[str, str]  # words after a name in a department list → role ("" keeps the column's)
    first_is_lead: tuple[re.Pattern[str], ...]
    rest_support: tuple[re.Pattern[str], ...]
    onward: tuple[str, ...]
    carry: tuple[re.Pattern[str], ...]
    closing: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Departments:
    separators: tuple[str, ...]
    endings: tuple[str, ...]
    fragments: tuple[str, ...]
    open_ended: tuple[str, ...]
    open_ended_prose: tuple[str, ...]
    plural_prefixes: tuple[str, ...]
    collective_prefixes: tuple[str, ...]
    vague_words: tuple[str, ...]
    collective_endings: tuple[str, ...]
    member_endings: tuple[str, ...]
    bare: tuple[str, ...]
    group_role_endings: tuple[str, ...]
    empty: tuple[str, ...]


@dataclass(frozen=True)
class DeadlineForm:
    kind: str  # month | quarter | half | year
    regex: re.Pattern[str]  # groups y, m, d, q, h


@dataclass(frozen=True)
class Deadlines:
    ongoing: tuple[str, ...]
    none: tuple[str, ...]
    forms: tuple[DeadlineForm, ...]
    forms_without_year: tuple[DeadlineForm, ...]  # read with the notice's year


@dataclass(frozen=True)
class Columns:
    fields: dict[str, tuple[str, ...]]  # field → header synonyms


@dataclass(frozen=True)
class Structure:
    addressee_suffix: tuple[str, ...]
    date_line: re.Pattern[str]
    issuer_before: re.Pattern[str]
    marker: re.Pattern[str]
    marker_titled: re.Pattern[str]
    listing: re.Pattern[str]
    issuing: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """The words a PDF backend needs to tell a wrapped department name from the next name and a
    rule-less table's header from prose. Extraction reads no wording file: the run hands it this
    (and keys extraction's cache on its fingerprint), so the words still live in one place."""

    endings: tuple[str, ...]  # a complete name ends with one of these (longest first)
    fragments: frozenset[str]  # only an ending: never a name of its own
    continuations: tuple[str, ...]  # a piece starting with one goes on from the one before
    separators: tuple[str, ...]
    header_words: tuple[str, ...]  # table header synonyms and role labels
    item_markers: tuple[re.Pattern[str], ...]  # the numbering grammar's paragraph-opening markers and the 附件 marker
    section_markers: tuple[re.Pattern[str], ...]  # the section-level ones (一、 第一章)
    fingerprint: str

    def opens_item(self, line: str) -> bool:
        """Does a line open a numbered item (or an attachment)? A PDF paragraph ends before it."""
        t = line.lstrip()
        return any(p.match(t) for p in self.item_markers)

    def opens_section(self, text: str) -> bool:
        return any(p.match(text.strip()) for p in self.section_markers)

    def continues(self, piece: str) -> bool:
        """The one wrapped-name rule on words: a piece that starts with 等, a bracket, a
        separator or a role word, or is only an ending, continues the name before it."""
        return piece.startswith(self.continuations) or piece.rstrip("".join(self.separators)) in self.fragments


@dataclass(frozen=True)
class Wording:
    columns: Columns
    roles: Roles
    deadlines: Deadlines
    departments: Departments
    structure: Structure
    numbering: Numbering
    lexicon: Lexicon


def _numbering(d: dict[str, Any]) -> Numbering:
    schemes = tuple(Scheme(s["name"], _compile("numbering", s["regex"]), bool(s.get("inline", False))) for s in d["scheme"])
    for s in schemes:
        if "n" not in s.regex.groupindex:
            raise WordingError(f"wording/numbering.toml: scheme {s.name!r} has no group n")
    return Numbering(schemes, d["inline"]["boundary"], int(d["inline"]["run_in"]), tuple(d["sections"]["preamble"]),
                     tuple(d["sections"]["closing"]), tuple(d["labels"]["sub_measures"]),
                     tuple(_compile("numbering", p) for p in d["furniture"]["lines"]))


def _roles(d: dict[str, Any]) -> Roles:
    verbs = sorted(((_compile("roles", p), _role("roles", r, True)) for p, r in d["verbs"].items()), key=lambda v: -len(v[0].pattern))
    rules = d["rules"]
    return Roles({k: _role("roles", v) for k, v in d["labels"].items()}, tuple(d["people"]["words"]), tuple(verbs),
                 {k: _role("roles", v, True) for k, v in d["joins"].items()}, tuple(d["prefixes"]["words"]),
                 {k: _role("roles", v, True) for k, v in d["trailing"].items()},
                 tuple(_compile("roles", p) for p in rules["first_is_lead"]), tuple(_compile("roles", p) for p in rules.get("rest_support", [])),
                 tuple(rules["onward"]),
                 tuple(_compile("roles", p) for p in rules["carry"]), tuple(_compile("roles", p) for p in rules["closing"]))


@cache
def wording() -> Wording:
    """The wording tables, read and checked once per process (they are read-only)."""
    raw = {n: _load(n) for n in FILES}
    roles = _roles(raw["roles"])
    numbering = _numbering(raw["numbering"])
    departments = Departments(**{k: tuple(v) for k, v in raw["departments"].items()})
    columns = Columns({k: tuple(v) for k, v in raw["columns"]["fields"].items()})
    structure = _structure(raw["structure"])
    return Wording(columns, roles, _deadlines(raw["deadlines"]), departments, structure, numbering,
                   _lexicon(departments, roles, columns, numbering, structure))


def _deadlines(d: dict[str, Any]) -> Deadlines:
    def forms(items: list[dict]) -> tuple[DeadlineForm, ...]:
        return tuple(DeadlineForm(f["kind"], _compile("deadlines", f["regex"])) for f in items)

    return Deadlines(tuple(d["ongoing"]), tuple(d["none"]), forms(d["patterns"]), forms(d.get("patterns_without_year", [])))


def _structure(d: dict[str, Any]) -> Structure:
    h, p = d["header"], d["parts"]
    return Structure(tuple(h["addressee_suffix"]), _compile("structure", h["date_line"]), _compile("structure", h["issuer_before"]),
                     _compile("structure", p["marker"]), _compile("structure", p["marker_titled"]), _compile("structure", p["listing"]),
                     tuple(p["issuing"]))


LEXICON_FILES = ("departments", "roles", "columns", "numbering", "structure")


def _lexicon(d: Departments, roles: Roles, columns: Columns, numbering: Numbering, structure: Structure) -> Lexicon:
    seps = ("、", "，", ",", "；", ";")
    headers = [s for syns in columns.fields.values() for s in syns] + list(roles.labels)
    # schemes that open an item on a line of their own (一是 and 第一， run on inside paragraphs)
    items = (*(s.regex for s in numbering.schemes if s.inline), structure.marker)
    sections = tuple(s.regex for s in numbering.schemes if s.name in ("cn-comma", "chapter"))
    return Lexicon(tuple(sorted(d.endings, key=len, reverse=True)), frozenset(d.fragments),
                   ("等", "（", "(", "）", ")", *seps, *roles.trailing), seps, tuple(headers), items, sections, fingerprint(*LEXICON_FILES))


def fingerprint(*names: str) -> str:
    """A hash of the named wording files (all of them when none is named): a stage's cache key
    holds exactly the files it reads. Read once per process and folder, as `wording()` reads the
    files: every notice's cache key asks for it, and it describes the wording this process loaded."""
    return _fingerprint(folder(), tuple(sorted(names or FILES)))


@cache
def _fingerprint(where: Path, names: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + (where / f"{name}.toml").read_bytes())
    return h.hexdigest()[:16]
