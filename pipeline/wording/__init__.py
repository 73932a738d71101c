"""Wording quirks of Chinese notices, kept as data: one TOML file per concern.

    numbering.toml    the numbering grammar (一、 （一） 1. （1） ① 第一条 一是 …), section kinds, furniture
    roles.toml        the one role-word table: labels, people, verbs, joins, rules
    columns.toml      table header synonyms → fields
    deadlines.toml    deadline forms
    departments.toml  separators, name endings, 等 forms, collective placeholders
    structure.toml    title block, date line, 附件 markers, issuing words
    traditional.toml  Traditional characters read as Simplified for matching (variants.py)

`wording()` loads and checks them once per process; every table comes back typed, with its
regexes compiled and its roles known, so a bad entry fails at load with its file named.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
FILES = ("columns", "roles", "deadlines", "departments", "structure", "numbering", "traditional")
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
    in_sequence_only: bool = False  # read only where its value continues the scheme's running sequence


@dataclass(frozen=True)
class Numbering:
    schemes: tuple[Scheme, ...]
    boundary: str  # characters that may stand before an inline marker
    run_in: int  # how close a marker of another scheme may stand before an inline one
    preamble: tuple[str, ...]
    closing: tuple[str, ...]
    sub_measure_labels: tuple[str, ...]
    furniture: tuple[re.Pattern[str], ...]
    numeral_fold: dict[str, str]  # characters read as others in a numeral (两 → 二)
    number: re.Pattern[str]  # a printed number inside a label
    page_number: re.Pattern[str]  # a PDF page's number line
    in_label: re.Pattern[str]  # each number a label prints (2.1: 2 and 1), for the numbering checks

    def numeral(self, text: str) -> str:
        """A numeral as cn2an reads it (第两章: 二)."""
        for a, b in self.numeral_fold.items():
            text = text.replace(a, b)
        return text


@dataclass(frozen=True)
class LabelGrammar:
    """How a role label is built: [qualifier] role word [qualifier] body noun (牵头考核单位)."""

    words: dict[str, str]  # role word → role (牵头 → lead)
    nouns: tuple[str, ...]  # 单位, 部门 …
    qualifier: int  # at most this many characters on either side of the role word

    @cached_property
    def regex(self) -> re.Pattern[str]:
        q = f"[\\u4e00-\\u9fff]{{0,{self.qualifier}}}?"
        words = "|".join(map(re.escape, sorted(self.words, key=len, reverse=True)))
        nouns = "|".join(map(re.escape, sorted(self.nouns, key=len, reverse=True)))
        return re.compile(f"{q}(?P<word>{words}){q}(?:{nouns})")


@dataclass(frozen=True)
class Sentences:
    """How responsibility is written in sentences (roles.toml [sentences])."""

    openers: tuple[str, ...]  # 由X负责: before a subject, at a clause's start
    inside_openers: tuple[str, ...]  # 资金由X统筹安排: also inside a clause
    not_openers: tuple[str, ...]  # 由于, 经济: words that hold an opener's characters
    connectives: tuple[str, ...]
    modals: tuple[str, ...]
    not_predicates: tuple[str, ...]
    role_verbs: tuple[str, ...]  # verbs that state a role outright (负责, 牵头, 配合 …)
    not_duties: tuple[str, ...]  # predicates that give no duty (负责解释)
    subject: dict[str, str]  # first verb of the predicate → the subject's role ("responsible" otherwise)
    object: dict[str, str]  # 会同Y: Y's role, wherever the verb stands
    subject_object: dict[str, str]  # X配合Y: Y's role, only right after the subject
    opener_compounds: tuple[str, ...] = ()  # 交, 经: before an inside opener, another word (交由)
    closing_verbs: tuple[str, ...] = ()  # 负责, 牵头, 配合 closing a bracket or a clause


@dataclass(frozen=True)
class Roles:
    labels: dict[str, str]  # labels the grammar does not give → role (责任分工 → responsible)
    grammar: LabelGrammar
    people: tuple[str, ...]  # labels and headers that name people (责任领导)
    verbs: tuple[tuple[re.Pattern[str], str], ...]  # clause-final role verb → role, longest pattern first
    joins: dict[str, str]  # word between two lists → role of the left list ("" keeps the clause's)
    prefixes: tuple[str, ...]  # 由 …
    not_in_names: tuple[str, ...]  # 负责, 按: no department name opens with one
    trailing: dict[str, str]  # words after a name in a department list → role ("" keeps the column's)
    first_is_lead: tuple[re.Pattern[str], ...]
    rest_support: tuple[re.Pattern[str], ...]
    onward: tuple[str, ...]
    carry: tuple[re.Pattern[str], ...]
    closing: tuple[re.Pattern[str], ...]
    sentences: Sentences

    def label_role(self, label: str) -> str | None:
        """The role a label gives (责任单位, 牵头考核单位 → its role), or None when it is no role
        label (a people label such as 责任领导 is none)."""
        label = re.sub(r"\s+", "", label)
        if label in self.labels:
            return self.labels[label]
        if any(w in label for w in self.people):
            return None
        m = self.grammar.regex.fullmatch(label)
        return self.grammar.words[m.group("word")] if m else None

    @cached_property
    def label_regex(self) -> str:
        """A regex fragment for any role label (no groups), to find labels inside text."""
        listed = "|".join(map(re.escape, sorted(self.labels, key=len, reverse=True)))
        return "(?:" + self.grammar.regex.pattern.replace("(?P<word>", "(?:") + f"|{listed})"


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
    class_prefixes: tuple[str, ...]  # 乡镇, 县乡: a class of divisions
    role_endings: tuple[str, ...]  # 单位, 方, 主体 after what a body does: a role the text defines
    activity_endings: tuple[str, ...]  # 部门 after a noun and a verb (专区监管部门)
    group_role_endings: tuple[str, ...]
    empty: tuple[str, ...]
    running_text: RunningText
    lists: Lists
    registry: RegistryWords


@dataclass(frozen=True)
class Lists:
    """How a list of names is printed (departments.toml [lists])."""

    marks: tuple[str, ...]  # 、，,；; between names
    continuations: tuple[str, ...]  # 等, brackets: a wrapped name's piece goes on
    open_mark: str  # 等
    counted: re.Pattern[str]  # 等5个 in a department cell
    counted_in_text: re.Pattern[str]  # 岚城等5个 in running text
    inside_one: tuple[str, ...]  # 、 and 及 inside a list that names one body
    and_word: str  # 和
    statement_separators: re.Pattern[str]
    not_in_statements: re.Pattern[str]
    body_characters: str
    sector_list: re.Pattern[str]


@dataclass(frozen=True)
class RegistryWords:
    """How a department's name says whose it is (departments.toml [registry])."""

    levels: dict[str, tuple[str, ...]]  # level (province, city, county) → the words a name of that level ends with (省, 市, 区 …)
    not_levels: tuple[str, ...]  # 市级, 区县, 市场: a level word that says no level here
    place_min: int  # characters before the level word of a place an issuer opens with
    place_max: int
    own: tuple[str, ...]  # 我, 本: before a level word, the notice's own jurisdiction (我市)
    not_own: tuple[str, ...]  # 本区域: no jurisdiction

    @cached_property
    def words(self) -> tuple[str, ...]:
        """Every level word, longest first."""
        return tuple(sorted({w for ws in self.levels.values() for w in ws}, key=len, reverse=True))

    def own_levels(self, text: str) -> set[str]:
        """The levels a text names its own jurisdiction by: {"city"} for 结合我市实际."""
        found: set[str] = set()
        for m in re.finditer("|".join(map(re.escape, self.own)), text) if self.own else ():
            if text.startswith(self.not_own, m.start()) or text.startswith(self.not_levels, m.end()):
                continue
            word = next((w for w in self.words if text.startswith(w, m.end())), None)
            if word:
                found.add(self.level_of(word))
        return found

    def level_of(self, place: str) -> str:
        """The level a place's name ends with ("" when none)."""
        word = next((w for w in self.words if place.endswith(w)), None)
        return next((lv for lv, ws in self.levels.items() if word in ws), "") if word else ""


@dataclass(frozen=True)
class RunningText:
    """How a body's name is told inside running text (departments.toml [running_text])."""

    max_length: int
    endings: tuple[str, ...]  # besides the name endings
    divisions: tuple[str, ...]  # 区, 乡镇 …: bodies after 各 / 相关
    not_names: frozenset[str]  # texts never a name of their own (单位, 我局)
    not_name_words: tuple[str, ...]  # words that end like a name but are not (平台, 部署)
    after_verb: tuple[str, ...]  # words for a body that may follow a verb or a stop inside its name (数据提供部门)
    sector_verbs: frozenset[str]  # verbs that name a sector inside a name (审批服务局)
    determiners: tuple[str, ...]  # 本, 该: open a name (本单位)
    levels: str  # 省市区县乡镇: one-character levels that open a name
    level_words: tuple[str, ...]  # 区直, 市级: the level of a placeholder (区直其他有关部门)
    stops: frozenset[str]
    joiners: tuple[str, ...]


@dataclass(frozen=True)
class DeadlineForm:
    kind: str  # month | quarter | half | year
    regex: re.Pattern[str]  # groups y, m, d, q, h


@dataclass(frozen=True)
class Deadlines:
    ongoing: tuple[str, ...]
    none: tuple[str, ...]
    starts: tuple[str, ...]  # words after a date that make it a start (2024年起)
    forms: tuple[DeadlineForm, ...]
    forms_without_year: tuple[DeadlineForm, ...]  # read with the notice's year
    recurring: tuple[str, ...]  # 每季度, 每月: a deadline cell may open with one, its dates in brackets
    quarters: tuple[str, ...]  # 一 … 四: group q's words, in order
    halves: tuple[str, ...]  # 上, 下: group h's words, in order
    year_in_title: re.Pattern[str]
    in_names: re.Pattern[str]  # a deadline or a date inside a department name
    joiners: str  # what joins the dates of one deadline cell
    month_with_year: re.Pattern[str]  # group 1: a month a deadline names with its year


@dataclass(frozen=True)
class Columns:
    fields: dict[str, tuple[str, ...]]  # field → header synonyms


@dataclass(frozen=True)
class Structure:
    addressee_suffix: tuple[str, ...]
    date_line: re.Pattern[str]
    issuer_before: re.Pattern[str]
    doc_no: re.Pattern[str]
    title_ends: tuple[str, ...]
    letterhead: tuple[str, ...]  # a line ending with one is a letterhead (国务院文件)
    file_name: re.Pattern[str]
    signature_date: re.Pattern[str]
    page: dict[str, tuple[str, ...]]  # fact (title, issuer, doc_no, issued_on) → the labels a page gives it under; others: the box's other labels
    marker: re.Pattern[str]
    marker_titled: re.Pattern[str]
    listing: re.Pattern[str]
    issuing: tuple[str, ...]
    of: str  # 的 before a title's kind
    doc_no_line: re.Pattern[str]
    issued_in_title: re.Pattern[str]
    part_label: str  # 附件
    page_date: re.Pattern[str]
    page_date_wrapped: re.Pattern[str]
    mojibake: re.Pattern[str]  # what a wrong encoding leaves in a title


@dataclass(frozen=True)
class Lexicon:
    """The words a backend needs: the PDF's to tell a wrapped department name from the next name
    and a rule-less table's header from prose, the text's to rebuild a table whose cells a scrape
    ran together. Extraction reads no wording file: the run hands it this (and keys extraction's
    cache on its fingerprint), so the words still live in one place."""

    endings: tuple[str, ...]  # a complete name ends with one of these (longest first)
    fragments: frozenset[str]  # only an ending: never a name of its own
    continuations: tuple[str, ...]  # a piece starting with one goes on from the one before
    separators: tuple[str, ...]
    header_words: tuple[str, ...]  # table header synonyms and role labels
    item_markers: tuple[re.Pattern[str], ...]  # the numbering grammar's paragraph-opening markers and the 附件 marker
    section_markers: tuple[re.Pattern[str], ...]  # the section-level ones (一、 第一章)
    fingerprint: str
    # -- a table whose cells were run together (extract/glued.py) --
    columns: tuple[tuple[str, str], ...] = ()  # header word → its column's kind: a field of columns.toml, department, people (longest first)
    role_words: tuple[str, ...] = ()  # words after a name in a department cell (牵头, 配合, 落实 …), longest first
    name_prefixes: tuple[str, ...] = ()  # words a name may open with (各, 相关, 区直 …), longest first
    levels: str = ""  # one-character levels that open a name (省市区县乡镇)
    divisions: tuple[str, ...] = ()  # 乡镇, 片区, 村（居）: bodies after 各 / 相关, longest first
    not_names: tuple[str, ...] = ()  # words that end like a name but are none (场所, 市场)
    stops: tuple[str, ...] = ()  # words that begin what a body does (负责, 对, 按照): never inside a name, longest first
    deadline_forms: tuple[re.Pattern[str], ...] = ()  # deadline wordings with a year (group y)
    deadline_forms_without_year: tuple[re.Pattern[str], ...] = ()
    deadline_words: tuple[str, ...] = ()  # a deadline of its own (长期, 每年, 无) or its opening (每季度), longest first
    deadline_joiners: str = ""  # what joins the dates of one deadline cell
    # -- lines of a page that are no text of the notice's, and lines that are (PDF, HTML) --
    page_number: re.Pattern[str] = re.compile(r"(?!)")  # a page's number line
    date_line: re.Pattern[str] = re.compile(r"(?!)")  # a date line
    doc_no_line: re.Pattern[str] = re.compile(r"(?!)")  # a 文号 line

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
    schemes = tuple(Scheme(s["name"], _compile("numbering", s["regex"]), bool(s.get("inline", False)), bool(s.get("in_sequence_only", False)))
                    for s in d["scheme"])
    for s in schemes:
        if "n" not in s.regex.groupindex:
            raise WordingError(f"wording/numbering.toml: scheme {s.name!r} has no group n")
    return Numbering(schemes, d["inline"]["boundary"], int(d["inline"]["run_in"]), tuple(d["sections"]["preamble"]),
                     tuple(d["sections"]["closing"]), tuple(d["labels"]["sub_measures"]),
                     tuple(_compile("numbering", p) for p in d["furniture"]["lines"]), dict(d["numerals"]["fold"]),
                     _compile("numbering", d["numerals"]["number"]), _compile("numbering", d["furniture"]["page_number"]),
                     _compile("numbering", d["numerals"]["in_label"]))


def _roles(d: dict[str, Any]) -> Roles:
    verbs = sorted(((_compile("roles", p), _role("roles", r, True)) for p, r in d["verbs"].items()), key=lambda v: -len(v[0].pattern))
    rules = d["rules"]
    g = d["label_grammar"]
    grammar = LabelGrammar({k: _role("roles", v) for k, v in g["words"].items()}, tuple(g["nouns"]), int(g["qualifier"]))
    return Roles({k: _role("roles", v) for k, v in d["labels"].items()}, grammar, tuple(d["people"]["words"]), tuple(verbs),
                 {k: _role("roles", v, True) for k, v in d["joins"].items()}, tuple(d["prefixes"]["words"]), tuple(d["prefixes"]["not_in_names"]),
                 {k: _role("roles", v, True) for k, v in d["trailing"].items()},
                 tuple(_compile("roles", p) for p in rules["first_is_lead"]), tuple(_compile("roles", p) for p in rules.get("rest_support", [])),
                 tuple(rules["onward"]),
                 tuple(_compile("roles", p) for p in rules["carry"]), tuple(_compile("roles", p) for p in rules["closing"]),
                 _sentences(d["sentences"]))


def _sentences(s: dict[str, Any]) -> Sentences:
    def longest(words: list[str]) -> tuple[str, ...]:
        return tuple(sorted(words, key=len, reverse=True))

    return Sentences(longest(s["openers"]), longest(s["inside_openers"]), tuple(s["not_openers"]), longest(s["connectives"]),
                     longest(s["modals"]), tuple(s["not_predicates"]), longest(s["role_verbs"]), longest(s["not_duties"]),
                     *({k: _role("roles", v) for k, v in sorted(s[t].items(), key=lambda kv: -len(kv[0]))}
                       for t in ("subject", "object", "subject_object")), tuple(s["opener_compounds"]), tuple(s["closing_verbs"]))


@cache
def wording() -> Wording:
    """The wording tables, read and checked once per process (they are read-only)."""
    raw = {n: _load(n) for n in FILES if n != "traditional"}  # the character table is read by variants.py
    roles, numbering = _read("roles", _roles, raw), _read("numbering", _numbering, raw)
    departments, structure = _read("departments", _departments, raw), _read("structure", _structure, raw)
    columns, deadlines = _read("columns", lambda d: Columns({k: tuple(v) for k, v in d["fields"].items()}), raw), _read("deadlines", _deadlines, raw)
    return Wording(columns, roles, deadlines, departments, structure, numbering,
                   _lexicon(departments, roles, columns, numbering, structure, deadlines))


def _read(name: str, build: Callable[[dict[str, Any]], T], raw: dict[str, dict[str, Any]]) -> T:
    """A file's tables, typed; a key the file lacks (a team's copy older than the pipeline) named."""
    try:
        return build(raw[name])
    except KeyError as exc:
        raise WordingError(f"wording/{name}.toml: no {exc.args[0]!r}: the pipeline reads it (add it from the package's own copy)") from None


def _departments(d: dict[str, Any]) -> Departments:
    d = dict(d)
    rt = d.pop("running_text")
    lists, reg = _lists(d.pop("lists")), d.pop("registry")
    running = RunningText(int(rt["max_length"]), tuple(rt["endings"]), tuple(rt["divisions"]), frozenset(rt["not_names"]),
                          tuple(rt["not_name_words"]), tuple(rt["after_verb"]), frozenset(rt["sector_verbs"]), tuple(rt["determiners"]),
                          str(rt["levels"]), tuple(rt["level_words"]), frozenset(rt["stops"]),
                          tuple(rt["joiners"]))
    return Departments(**{k: tuple(v) for k, v in d.items()}, running_text=running, lists=lists,
                       registry=_registry_words(reg))


def _registry_words(d: dict[str, Any]) -> RegistryWords:
    levels = {lv: tuple(d[lv]) for lv in ("province", "city", "county")}
    return RegistryWords(levels, tuple(d["not_levels"]), int(d["place_min"]), int(d["place_max"]), tuple(d["own"]), tuple(d["not_own"]))


def _deadlines(d: dict[str, Any]) -> Deadlines:
    def forms(items: list[dict]) -> tuple[DeadlineForm, ...]:
        return tuple(DeadlineForm(f["kind"], _compile("deadlines", f["regex"])) for f in items)

    return Deadlines(tuple(d["ongoing"]), tuple(d["none"]), tuple(d["starts"]), forms(d["patterns"]), forms(d.get("patterns_without_year", [])),
                     tuple(d.get("recurring", [])), tuple(d["quarters"]), tuple(d["halves"]), _compile("deadlines", d["year_in_title"]),
                     _compile("deadlines", d["in_names"]), str(d["joiners"]), _compile("deadlines", d["month_with_year"]))


def _lists(d: dict[str, Any]) -> Lists:
    def rx(key: str) -> re.Pattern[str]:
        return _compile("departments", d[key])

    return Lists(tuple(d["marks"]), tuple(d["continuations"]), str(d["open_mark"]), rx("counted"), rx("counted_in_text"),
                 tuple(d["inside_one"]), str(d["and_word"]), rx("statement_separators"), rx("not_in_statements"), str(d["body_characters"]),
                 rx("sector_list"))


PAGE_FACTS = ("title", "issuer", "doc_no", "issued_on")


def _structure(d: dict[str, Any]) -> Structure:
    h, p = d["header"], d["parts"]
    page = {k: tuple(v) for k, v in d.get("page", {}).items()}
    unknown = set(page) - {*PAGE_FACTS, "others"}
    if unknown:
        raise WordingError(f"wording/structure.toml: [page] names no fact {sorted(unknown)} (one of {', '.join(PAGE_FACTS)})")
    v = d["page_values"]
    return Structure(tuple(h["addressee_suffix"]), _compile("structure", h["date_line"]), _compile("structure", h["issuer_before"]),
                     _compile("structure", h["doc_no"]), tuple(h["title_ends"]), tuple(h["letterhead"]),
                     _compile("structure", h["file_name"]), _compile("structure", h["signature_date"]), page,
                     _compile("structure", p["marker"]), _compile("structure", p["marker_titled"]), _compile("structure", p["listing"]),
                     tuple(p["issuing"]), str(h["of"]), _compile("structure", h["doc_no_line"]), _compile("structure", h["issued_in_title"]),
                     str(p["label"]), _compile("structure", v["date"]), _compile("structure", v["date_wrapped"]),
                     _compile("structure", h["mojibake"]))


LEXICON_FILES = ("departments", "roles", "columns", "numbering", "structure", "deadlines")


def _longest(words: Any) -> tuple[str, ...]:
    return tuple(sorted(set(words), key=lambda w: (-len(w), w)))


def _lexicon(d: Departments, roles: Roles, columns: Columns, numbering: Numbering, structure: Structure, deadlines: Deadlines) -> Lexicon:
    seps = d.lists.marks
    labels = [w + n for w in roles.grammar.words for n in roles.grammar.nouns]  # 牵头单位, 配合部门 …
    headers = [s for syns in columns.fields.values() for s in syns] + labels + list(roles.labels)
    # schemes that open an item on a line of their own (一是 and 第一， run on inside paragraphs)
    items = (*(s.regex for s in numbering.schemes if s.inline), structure.marker)
    sections = tuple(s.regex for s in numbering.schemes if s.name in ("cn-comma", "chapter"))
    kinds = {w: "department" for w in (*labels, *roles.labels)} | {w: "people" for w in roles.people}
    kinds |= {s: name for name, syns in columns.fields.items() for s in syns}
    rt = d.running_text
    return Lexicon(tuple(sorted(d.endings, key=len, reverse=True)), frozenset(d.fragments),
                   (*d.lists.continuations, *seps, *roles.trailing), seps, tuple(headers), items, sections, fingerprint(*LEXICON_FILES),
                   columns=tuple(sorted(kinds.items(), key=lambda kv: (-len(kv[0]), kv[0]))), role_words=_longest(roles.trailing),
                   name_prefixes=_longest((*d.plural_prefixes, *d.collective_prefixes, *rt.level_words)), levels=rt.levels,
                   divisions=_longest(rt.divisions), not_names=_longest(rt.not_name_words), stops=_longest(rt.stops),
                   deadline_forms=tuple(f.regex for f in deadlines.forms),
                   deadline_forms_without_year=tuple(f.regex for f in deadlines.forms_without_year),
                   deadline_words=_longest((*deadlines.ongoing, *deadlines.none, *deadlines.recurring)), deadline_joiners=deadlines.joiners,
                   page_number=numbering.page_number, date_line=structure.date_line, doc_no_line=structure.doc_no_line)


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
