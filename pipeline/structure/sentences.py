"""Responsibility written in sentences: bodies as the subjects of the task sentences
(区交通局负责…；X要牵头相关单位…；由X负责，Y组织实施，Z配合), and as the objects of the verbs that
give the object a role (会同Y, 联合Y, 组织Y; X配合Y right after its subject).

    sentence_statements(text) -> [Statement]    one per clause that names a body, `inline`

A subject is a list of names (names.py) at the start of a clause, after its connectives and an
opener (由, 交由, 经), followed by a predicate; it takes the role of the predicate's first verb
after the modals (roles.toml [sentences]), `responsible` for any verb the table does not list.
A body that is only acted on or told (督促X, 通报给X, 向X备案) is no subject and no listed object:
it is not assigned. Book titles and quotations are not read. Every word comes from the wording.
"""

from __future__ import annotations

import re

from ..wording import Sentences, wording
from .anchors import Duty, Statement, find_statements
from .names import names_at, opens_name, tagged, words

SENTENCE = re.compile(r"[^。；;！!？?\n]+")
CLAUSE = re.compile(r"[^，,：:。；;！!？?\n]+")
QUOTED = re.compile(r"《[^《》]*》|“[^“”]*”|\"[^\"]*\"")
BRACKET = re.compile(r"\s*[（(][^（）()]*[）)]")
SPACE = re.compile(r"[\s\u3000]*")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _masked(text: str) -> str:
    """The text with book titles, quotations and bracketed statements blanked (same length): the
    names in a title are no actors, and a statement is read by anchors.py."""
    out = QUOTED.sub(lambda m: m.group(0)[0] + "＿" * (len(m.group(0)) - 2) + m.group(0)[-1], text)
    for st in find_statements(out):
        out = out[:st.start + 1] + "＿" * (st.end - st.start - 2) + out[st.end - 1:]
    return out


def _skip(text: str, at: int, options: tuple[str, ...]) -> int:
    """Past any of `options` standing at `at`, repeatedly (要积极 …)."""
    moved = True
    while moved:
        moved = False
        at = SPACE.match(text, at).end()
        for w in options:
            if text.startswith(w, at):
                at += len(w)
                moved = True
                break
    return at


def _is_word(text: str, at: int, word: str) -> bool:
    """Does `word` stand at `at` as a word of its own (not inside 组织部 or 由于)?"""
    return any(a == at and b - a >= len(word) and text[a:a + len(word)] == word for a, b in words(text))


def _opener(text: str, at: int, s: Sentences) -> int:
    """Past an opener (由, 交由 …) at `at`, or `at` when there is none."""
    if any(text.startswith(w, at) for w in s.not_openers):
        return at
    for w in s.openers:
        if text.startswith(w, at):
            return at + len(w)
    return at


class _Clause:
    def __init__(self, text: str, masked: str, start: int, end: int, s: Sentences) -> None:
        self.text, self.m, self.start, self.end, self.s = text, masked, start, end, s
        self.duties: list[Duty] = []
        self.taken: list[tuple[int, int]] = []  # spans already read as names

    def add(self, role: str, a: int, b: int, stated: bool = True) -> None:
        self.duties.append(Duty(role, self.text[a:b].strip(), stated=stated))
        self.taken.append((a, b))

    def subject(self, at: int) -> bool:
        """A subject at `at`: its names, then its predicate's role."""
        got = names_at(self.m, at)
        if got is None:
            return False
        _, end = got
        q = BRACKET.match(self.m, end)
        q_at = q.end() if q else end  # …（以下统称专区监管部门）落实
        if q_at >= len(self.m) or not CJK.match(self.m[q_at]) or self.m.startswith(self.s.not_predicates, q_at):
            return False  # 的, 是, a list going on (、): no subject
        head = _skip(self.m, q_at, self.s.modals)
        if self.m.startswith(self.s.not_duties, head):
            return False  # 由X负责解释: no measure's duty
        role = next((r for v, r in self.s.subject.items() if self.m.startswith(v, head)), "responsible")
        self.add(role, at, end, stated=self.m.startswith(self.s.role_verbs, head))
        for verb, obj_role in self.s.subject_object.items():
            if self.m.startswith(verb, head):
                got2 = names_at(self.m, head + len(verb))
                if got2:
                    self.add(obj_role, head + len(verb), got2[1])
                break
        return True

    def objects(self) -> None:
        """会同Y, 联合Y, 组织Y wherever they stand in the clause."""
        for verb, role in self.s.object.items():
            for m in re.finditer(re.escape(verb), self.m[self.start:self.end]):
                k = self.start + m.start()
                if any(a <= k < b for a, b in self.taken) or not _is_word(self.m, k, verb):
                    continue
                got = names_at(self.m, k + len(verb))
                if got and _acts(self.m, got[1]):
                    self.add(role, k + len(verb), got[1])

    def agents(self) -> None:
        """资金由X统筹安排, 交由X安排: an agent inside the clause."""
        for w in self.s.inside_openers:
            for m in re.finditer(re.escape(w), self.m[self.start:self.end]):
                k = self.start + m.start()
                if any(a <= k < b for a, b in self.taken) or any(self.m.startswith(n, k) for n in self.s.not_openers):
                    continue
                if k > self.start and self.m[k - 1] in self.s.opener_compounds:  # 交由 is read as itself
                    continue
                self.subject(k + len(w))


def _acts(text: str, at: int) -> bool:
    """Does what follows an object say what it does (会同市财政局开展…)? A noun or a list going on
    after it (联合实验室、实训基地; 联合循环电站工程) makes the verb an attribute, not a role."""
    nxt = next(((a, flag) for a, _, flag in tagged(text) if a >= at), None)
    return nxt is not None and nxt[0] == at and CJK.match(text[at]) is not None and not nxt[1].startswith("n")


def sentence_statements(text: str, heading_run_in: bool = False) -> list[Statement]:
    """Every clause of the text that names a body as a subject or as a listed object.
    `heading_run_in`: the text is an item's own, whose heading a scrape may have run into its
    first sentence (保障建设用地各相关单位要…): a subject may begin right after such a heading."""
    s = wording().roles.sentences
    masked = _masked(text)
    out: list[Statement] = []
    for k, c in enumerate(CLAUSE.finditer(masked)):
        clause = _Clause(text, masked, c.start(), c.end(), s)
        at = _skip(masked, c.start(), s.connectives)
        opened = _opener(masked, at, s)
        if not clause.subject(opened) and not (heading_run_in and k == 0 and _after_heading(clause, masked, c.start())):
            clause.agents()
        clause.objects()
        if clause.duties:
            out.append(Statement(c.start(), c.end(), clause.duties, raw=text[c.start():c.end()], inline=True))
    return out


HEADING = re.compile(r"[\u4e00-\u9fff]{4,12}")


def _after_heading(clause: _Clause, masked: str, start: int) -> bool:
    """A subject that opens with a level or a word for "each" right after a short heading run
    into it (抓好乡村绿化区财政金融局负责…)."""
    run = HEADING.match(masked, start)
    if not run:
        return False
    return any(opens_name(masked, at) and clause.subject(at) for at in range(start + 4, run.end() + 1))


def duty_key(text: str) -> tuple[str, int] | None:
    """A duty list's paragraph, `X：负责…`: the key's names and where the duty after the colon
    begins, or None."""
    at = SPACE.match(text).end()
    got = names_at(text, at)
    if not got:
        return None
    _, end = got
    if not text.startswith(("：", ":"), end) or len(text) - end < 4:
        return None
    return text[at:end], end + 1
