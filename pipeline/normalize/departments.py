"""Department lists as notices write them: split, cleaned of role words and 等, wrapped names
joined, collectives flagged, and the check that a published name is clean. Every word comes from
wording/departments.toml and wording/roles.toml."""

from __future__ import annotations

import re
import unicodedata

from ..csvio import FORMULA_START
from ..structure.names import is_name, is_place, tagged
from ..wording import wording

WS = re.compile(r"\s+")


def clean_name(name: str) -> str:
    """Whitespace out, brackets full-width, so one name is written one way."""
    name = WS.sub("", name)
    return name.replace("(", "（").replace(")", "）")


def canonical_form(name: str) -> str:
    """The comparison form of a name: NFKC folded, no whitespace."""
    return WS.sub("", unicodedata.normalize("NFKC", name))


def is_collective(name: str) -> bool:
    d = wording().departments
    if name.startswith(tuple(d.plural_prefixes)) or name in d.bare or name.endswith(tuple(d.member_endings)):
        return True
    if name.startswith((*d.collective_prefixes, *d.class_prefixes)) and name.endswith(tuple(d.collective_endings)):
        return True
    if any(w in name for w in d.vague_words) and name.endswith(tuple(d.collective_endings)):
        return True
    return defines_a_role(name)


def defines_a_role(name: str) -> bool:
    """运营单位, 申报主体, 数据提供方, 专区监管部门: words that say what a body does, then a word for a
    body, with no place or level before them — a role the notice defines, naming no single body.
    (公安部门, 区宣传部门 name one: a sector, or a level before it.)"""
    d = wording().departments
    if not name or name[0] in d.running_text.levels:
        return False
    ending = next((e for e in (*d.role_endings, *d.activity_endings) if name.endswith(e) and len(name) > len(e)), None)
    # the ending first: most names have none, and the place test loads jieba's tagger (1 s of CPU)
    if ending is None or is_place(name[:2]) or is_place(name[:3]):
        return False
    if ending in d.role_endings:
        return True
    core = name[: -len(ending)]
    words = [(core[a:b], flag) for a, b, flag in tagged(core)]
    # 部门 after a noun and a verb (专区监管部门, 数据提供部门), not after a sector alone (宣传部门, 安监部门)
    return any(f.startswith("n") and len(w) > 1 for w, f in words[:-1]) and words[-1][1] in ("v", "vn") and len(words[-1][0]) > 1


def _strip_role(piece: str) -> tuple[str, str | None]:
    """Remove trailing role words (按职责分工负责, 负责, 牵头 …); return the role they give."""
    trailing = wording().roles.trailing
    role: str | None = None
    changed = True
    while changed:
        changed = False
        for word in sorted(trailing, key=len, reverse=True):
            if piece.endswith(word) and len(piece) > len(word):
                piece = piece[: -len(word)]
                role = role or (trailing[word] or None)
                changed = True
                break
    return piece, role


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Split on separators (hard) and on line breaks and runs of spaces (soft: may be a wrap)."""
    d = wording().departments
    seps = "|".join(re.escape(s) for s in sorted(d.separators, key=len, reverse=True))
    out: list[tuple[str, bool]] = []
    for hard_chunk in re.split(seps, text):
        first = True
        for soft in re.split(r"\s+", hard_chunk):
            if soft:
                out.append((soft, first))
                first = False
    return out


def _joins_previous(prev: str, piece: str) -> bool:
    """Does a soft-separated piece continue the name before it (a wrapped name)?"""
    d = wording().departments
    if wording().lexicon.continues(piece):  # the one wrapped-name rule on words, shared with the PDF backend
        return True
    if prev.endswith(d.lists.open_mark):
        return True
    endings = tuple(d.endings)
    return not prev.endswith(endings) and (prev + piece).endswith(endings) and not piece.startswith((*d.collective_prefixes, *d.plural_prefixes))


def _labelled_segments(text: str) -> list[tuple[str | None, str]] | None:
    """Segments of a cell that labels its lists (牵头单位：…；配合单位：…), or None."""
    roles = wording().roles
    parts = [p for p in re.split(r"[；;\n]", text) if p.strip()]
    out: list[tuple[str | None, str]] = []
    found = False
    for p in parts:
        m = re.match(r"^\s*([^：:]{1,8})\s*[：:]\s*(.*)$", p, re.S)
        role = roles.label_role(m.group(1)) if m else None
        if m and role:
            out.append((role, m.group(2)))
            found = True
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + p)
        else:
            out.append((None, p))
    return out if found else None


HIDDEN = ("\x01", "\x02")  # the separators inside a list that is one name (、 and 及), hidden: no separators there
GROUP = re.compile(r"[^，,；;\n]+")


def listed_as_one(group: str) -> bool:
    """A list that names one body or one placeholder, as printed: its shared head printed once
    after places or levels (济南、青岛、烟台市政府; 区、县交通与建设局), or a word for "each"
    that governs the whole list (各部门、单位及行业协会、商会; 各牵头单位、责任单位)."""
    d = wording().departments
    pieces = [p for p in re.split("|".join(map(re.escape, d.lists.inside_one)), group.strip()) if p]
    if len(pieces) < 2:
        return False
    last = _strip_role(pieces[-1])[0]
    if all(is_place(p) and not p.endswith(tuple(d.endings)) for p in pieces[:-1]) and last.endswith(tuple(d.endings)):
        return True
    if d.lists.counted.search(last):  # 苏澳、平原、芦洋、中楼、岚城等5个乡镇: a counted list is one name
        return True
    second = _strip_role(pieces[1])[0]
    placeholder = second.startswith((*d.plural_prefixes, *d.collective_prefixes)) or second in d.bare  # 各相关部门、地方: two
    return pieces[0].startswith(tuple(d.plural_prefixes)) and not placeholder and (
        second in d.collective_endings or not second.endswith(tuple(d.endings)))


def _keep_whole(text: str) -> str:
    """The text with the separators inside a list that is one name hidden, and 和 between two
    complete names made a separator (相关行业主管部门和相关区政府)."""
    lists = wording().departments.lists
    between = re.compile(f"(?<=[^、，,；;]){re.escape(lists.and_word)}(?=[^、，,；;])")

    def one(m: re.Match[str]) -> str:
        g = m.group(0)
        if listed_as_one(g):
            for sep, hidden in zip(lists.inside_one, HIDDEN, strict=True):
                g = g.replace(sep, hidden)
            return g
        return between.sub(lambda a: "、" if _and_joins(g, a.start(), len(a.group(0))) else a.group(0), g)
    return GROUP.sub(one, text)


def _and_joins(group: str, at: int, width: int) -> bool:
    inside = "|".join(map(re.escape, wording().departments.lists.inside_one))
    left = re.split(inside, group[:at])[-1].strip()
    right = re.split(inside, group[at + width:])[0].strip()
    return is_name(left) and is_name(_strip_role(right)[0])


def split_departments(text: str, role: str, prose: bool = False) -> tuple[list[tuple[str, str, bool]], bool, list[str]]:
    """A department cell or list into [(name, role, is_collective)], open-ended flag, leftovers.

    'A、B等' → A, B (open-ended); 'A等各执法部门' → A and the collective 各执法部门;
    'A负责、B按职责分工负责' → A, B; wrapped names ('人民银行某市分' + '行') are joined.
    """
    d = wording().departments
    if WS.sub("", text) in d.empty:
        return [], False, []
    labelled = _labelled_segments(text)
    if labelled:  # "牵头：A；配合：B" inside one cell: each segment with the role its label gives
        out: list[tuple[str, str, bool]] = []
        open_any, left = False, []
        for seg_role, seg in labelled:
            found, open_ended, rest = split_departments(seg, seg_role or role, prose)
            out += found
            open_any |= open_ended
            left += rest
        return out, open_any, left
    names: list[tuple[str, str, bool]] = []
    open_ended = False
    leftovers: list[str] = []
    for piece in _merged(text):
        piece, piece_role = _strip_role(piece.strip())
        parts, open_here = _open_end(piece, prose)
        open_ended |= open_here
        for p in parts:
            p, r2 = _strip_role(p)
            p = clean_name(p)
            if not p or p in d.empty:
                continue
            if p in d.fragments:
                leftovers.append(p)
            group = next((e for e in d.group_role_endings if p.endswith(e) and is_name(p[: -len(e)])), None)
            if group:  # …工作专班牵头单位: the bodies of that group (建设项目牵头单位 names no group: it stays whole)
                names.append((p[: -len(group)], piece_role or r2 or role, True))
                continue
            names.append((p, piece_role or r2 or role, is_collective(p)))
    return names, open_ended, leftovers


def _merged(text: str) -> list[str]:
    """The list's pieces, a wrapped name's pieces joined again."""
    inside = wording().departments.lists.inside_one
    merged: list[str] = []
    for piece, hard in _pieces(_keep_whole(text)):
        for sep, hidden in zip(inside, HIDDEN, strict=True):
            piece = piece.replace(hidden, sep)
        if merged and not hard and _joins_previous(merged[-1], piece):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _open_end(piece: str, prose: bool) -> tuple[list[str], bool]:
    """A piece without the words that leave its list open (A等部门 → A), or cut where a collective
    follows 等 (A等各执法部门 → A, 各执法部门); and whether it left the list open."""
    d = wording().departments
    for tail in (d.open_ended_prose if prose else d.open_ended):
        if piece.endswith(tail) and len(piece) > len(tail):
            return [piece[: -len(tail)]], True
    m = re.match(f"^(.+?){re.escape(d.lists.open_mark)}(.+)$", piece)
    if m and is_collective(m.group(2)):
        return [m.group(1), m.group(2)], True
    return [piece], False


# Quotes are not listed: a body's name may quote a nickname (省推进“三地一区”建设领导小组).
PUNCTUATION = re.compile(r"[、，,；;。.:：!！?？《》<>\[\]【】{}|\\&]")  # &: an HTML entity left as text
MAX_NAME_LENGTH = 40  # far longer than any body's name: a sentence was taken for one
# Characters no body's name holds (none of the names in tests/data or the registry does): a
# formula's or a link's = @ + " and half-width brackets (clean_name makes every bracket it keeps
# full-width: 办公室（信息中心）); a slash only between two names of one body (市企联/企协).
FOREIGN = re.compile(r'[=@+"()]|(?<![\u4e00-\u9fff])/|/(?![\u4e00-\u9fff])')
# A nickname in quotes is part of a name (省推进“三地一区”建设领导小组), also when a notice closes
# it with a half-width quote (“一站式"), as real notices do.
NICKNAME = re.compile(r'(?<=[\u4e00-\u9fff])[“"][\u4e00-\u9fff0-9A-Za-z]+[”"]')


def _body_then_label(name: str) -> bool:
    """A complete name followed by a role label (市财政局配合单位): a label run into its list. A
    placeholder built on a label (建设项目牵头单位) has no complete name before it."""
    roles, endings = wording().roles, tuple(wording().departments.endings)
    return any(name[:i].endswith(endings) and roles.label_role(name[i:]) for i in range(2, len(name) - 1)
               if name[i:].startswith(tuple(roles.grammar.words)))


def department_name_problem(name: str) -> str | None:
    """Why a published department name is not clean, or None when it is."""
    if not name or not name.strip():
        return "empty"
    if WS.search(name):
        return "whitespace"
    if name.startswith(FORMULA_START):  # a spreadsheet would run it
        return "begins like a spreadsheet formula"
    foreign = FOREIGN.search(NICKNAME.sub("", name))
    if foreign:
        return f"holds {foreign.group()}, which no department name holds"
    if PUNCTUATION.search(name.replace("、", "") if listed_as_one(name) else name):
        return "punctuation"
    if wording().deadlines.in_names.search(name):
        return "a deadline or a date"
    return _wording_problem(name)


def _wording_problem(name: str) -> str | None:
    """What the role and list wording says is wrong with a name: a role verb before it or a role
    word after it, a label run into it, an ending alone, the word that leaves a list open."""
    d, roles = wording().departments, wording().roles
    if name.startswith((*roles.prefixes, *roles.joins, *roles.not_in_names)):
        return "starts with a preposition or a role verb"
    if _body_then_label(name):
        return "holds a role label"
    if len(name) > MAX_NAME_LENGTH:
        return f"longer than {MAX_NAME_LENGTH} characters"
    if name in d.fragments and not is_collective(name):
        return "only an ending"
    mark = d.lists.open_mark
    if name.endswith(mark) or any(name.endswith(t) for t in d.open_ended if not is_collective(t.removeprefix(mark))):
        return f"trailing {mark}"
    if any(name.endswith(w) for w in roles.trailing):
        return "role word"
    if name.count("（") != name.count("）"):
        return "unbalanced brackets"
    return None
