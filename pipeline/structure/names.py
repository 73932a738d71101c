"""Department names inside running text: where a body is named as the subject or the object of a
sentence (区财政金融局负责…, 由X会同Y组织…) instead of in a statement.

A name is a run of words that ends, at a word boundary, with a name ending (局, 委, 中心 …, and the
running-text endings: 方, 主体 …); it holds none of the stop words (the words that begin what the
body does: 负责, 会同, 委托 …) and is at most `max_length` long. The longest such run wins, so a
sub-unit stays with its body (区农村发展局林业发展服务中心). Every word comes from
wording/departments.toml; jieba gives the word boundaries.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from ..wording import wording

CJK = re.compile(r"[\u4e00-\u9fff]")
QUALIFIER = re.compile(r"[（(]([^（）()]{1,12})[）)]")


@cache
def _tagger():
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return jieba.posseg.POSTokenizer(tk)


@lru_cache(maxsize=8192)
def tagged(text: str) -> tuple[tuple[int, int, str], ...]:
    """The words of a text as jieba cuts and tags them: (start, end, part of speech)."""
    out, at = [], 0
    for pair in _tagger().cut(text, HMM=False):
        out.append((at, at + len(pair.word), pair.flag))
        at += len(pair.word)
    return tuple(out)


def words(text: str) -> tuple[tuple[int, int], ...]:
    """The word spans of a text."""
    return tuple((a, b) for a, b, _ in tagged(text))


# A name never begins with a verb, an adverb, a preposition or a conjunction (强化政府, 履行); a
# verb inside a name stands before a word for a role (数据提供部门, not 数据专区采取政府).
NOT_FIRST = {"v", "vd", "d", "a", "ad", "p", "c", "u", "y", "e", "o", "f"}
NOT_LAST = {"c", "u", "p", "d"}  # 数据专区所需…: 所 there is no ending


@cache
def _endings() -> tuple[str, ...]:
    d = wording().departments
    return tuple(sorted({*d.endings, *d.running_text.endings}, key=len, reverse=True))


@cache
def _division_name() -> re.Pattern[str]:
    """各区, 相关乡镇, 各片区: a division after a word for "each / related" is a body."""
    d = wording().departments
    prefixes = "|".join(map(re.escape, sorted({*d.plural_prefixes, *d.collective_prefixes}, key=len, reverse=True)))
    divisions = "|".join(map(re.escape, sorted(d.running_text.divisions, key=len, reverse=True)))
    return re.compile(f"(?:{prefixes})(?:{divisions})")


def _ends_like_a_name(text: str, last_word: str) -> bool:
    rt = wording().departments.running_text
    if text in rt.not_names or len(text) < 2:
        return False
    if _division_name().fullmatch(text):
        return True
    return text.endswith(_endings()) and not last_word.endswith(rt.not_name_words)


def name_at(text: str, i: int) -> int | None:
    """Where the longest body name starting at i ends, or None (i must begin a word)."""
    rt = wording().departments.running_text
    spans = tagged(text)
    k = next((n for n, (a, _, _) in enumerate(spans) if a == i), None)
    if k is None:
        return None
    d = wording().departments
    if _is_verb(text[i:spans[k][1]], spans[k][2]) and not text.startswith((*d.plural_prefixes, *d.collective_prefixes), i) \
            and text[i] not in d.running_text.levels:  # 区直其他有关部门: jieba takes 区直 for a verb
        return None
    best = None
    verb_inside = False
    while k < len(spans):
        a, b, flag = spans[k]
        w = text[a:b]
        if best == a and (q := QUALIFIER.match(text, a)) and (len(q.group(1)) <= 2 or is_name(q.group(1))):
            best = q.end()  # 办公室（信息中心）, 村（居）: a qualifier kept with its name
            k = next((n for n, (x, _, _) in enumerate(spans) if x >= best), len(spans))
            continue
        if best == a and w in rt.joiners:
            break  # A和B: a list of two names, read by names_at
        if best is not None and best < a and _opens_name(text, a, flag):
            break  # 市工业和信息化局函请市财政局: a name, words, then another name
        if (_stops(w, spans, k) and not text.startswith(rt.after_verb, b)) or not CJK.match(w):
            break
        if b - i > rt.max_length:
            break
        if _ends_like_a_name(text[i:b], w) and flag not in NOT_LAST and (not verb_inside or w in rt.after_verb) \
                and not _verb_then_name(text, i, b):
            best = b
        verb_inside |= a > i and flag == "v" and _is_verb(w, flag)  # 和, 与 may stand inside (经济和信息化局)
        k += 1
    return best


def _opens_name(text: str, a: int, flag: str) -> bool:
    """Does a name begin at a (a level, a place, a word for "each")?"""
    d = wording().departments
    return flag == "ns" or text[a] in d.running_text.levels or text.startswith((*d.plural_prefixes, *d.collective_prefixes), a)


def opens_name(text: str, a: int) -> bool:
    """Does a word at `a` open a name with a level, a place or a word for "each"?"""
    word = next(((x, f) for x, _, f in tagged(text) if x == a), None)
    return word is not None and _opens_name(text, a, word[1])


def _stops(w: str, spans: tuple[tuple[int, int, str], ...], k: int) -> bool:
    """Does this word end a name? A stop word does, but a one-character one only before a word of
    more characters: between single characters it is part of an abbreviation (区经济发展局经信处)."""
    if w not in wording().departments.running_text.stops:
        return False
    if len(w) > 1 or k + 1 >= len(spans):
        return True
    a, b, _ = spans[k + 1]
    return b - a > 1


def _verb_then_name(text: str, i: int, end: int) -> bool:
    """充分发挥天津港…联席会, 压实各部门, 细化本单位: words that are no name, then a name that
    begins with a place, a level or a word for "each / this". (中国人民银行平潭支行 is one name: the
    words before the place are a complete name themselves; 各旗县区人民政府 and 区绿岛花城…办公室
    begin as names do.)"""
    d = wording().departments
    prefixes = (*d.plural_prefixes, *d.collective_prefixes)
    lead = 0  # the name's own prefixes: 全市各, 区直 + 其他有关 …
    while step := max((len(p) for p in (*prefixes, *d.running_text.level_words) if text.startswith(p, i + lead)), default=0):
        lead += step
    spans = tagged(text)
    name_like_start = bool(lead) or text[i] in d.running_text.levels or any(f == "ns" for x, _, f in spans if x == i)
    inside = [(a, flag) for a, _, flag in spans if i + lead < a < end]
    for k, (a, flag) in enumerate(inside):
        if text.startswith(d.running_text.determiners, a) and flag == "r":
            return True  # 细化本单位
        by_prefix = text.startswith(prefixes, a)
        by_place = (flag == "ns" and k == 0 and a - i >= 3) or text[a] in d.running_text.levels  # 充分发挥 + 天津港…
        if not by_prefix and (not by_place or name_like_start):
            continue
        head = text[i:a]
        if not _ends_like_a_name(head, head) and _ends_like_a_name(text[a:end], text[a:end]):
            return True
    return False


def _is_verb(word: str, flag: str) -> bool:
    """A word that begins a predicate: a verb, adverb, preposition … as jieba tags it, but not a
    one-character piece of an abbreviation (市住建局) nor a sector's verb (审批服务局)."""
    if flag not in NOT_FIRST:
        return False
    return flag != "v" or (len(word) >= 2 and word not in wording().departments.running_text.sector_verbs)


def is_name(text: str) -> bool:
    """Is the whole text one body's name?"""
    t = text.strip()
    return bool(t) and name_at(t, 0) == len(t)


def is_place(word: str) -> bool:
    """A level (区, 县) or a place name (济南): what a list of places sharing one head holds."""
    levels = wording().departments.running_text.levels
    if word and all(ch in levels for ch in word):
        return True
    spans = tagged(word)
    return len(spans) == 1 and spans[0][2] == "ns"


def names_at(text: str, i: int) -> tuple[list[str], int] | None:
    """A list of names starting at i and where it ends: A、B和C; A等相关部门 (A and the collective
    after 等); A、B等部门 (the generic tail read past). Short words listed before 等部门 are names
    as printed (公安、市场监管等部门); a list whose only complete name is its last one, carrying
    the head the others share, is one name (济南、青岛、烟台市政府)."""
    d = wording().departments
    first = name_at(text, i)
    if first is None:
        return _listed_words(text, i)
    names, end = [text[i:first]], first
    joiners = sorted((*d.running_text.joiners, d.lists.open_mark), key=len, reverse=True)
    while True:
        for joiner in joiners:
            nxt = name_at(text, end + len(joiner)) if text.startswith(joiner, end) else None
            if nxt is not None and (joiner != d.lists.open_mark or _is_placeholder(text[end + len(joiner):nxt])):
                names.append(text[end + len(joiner):nxt])
                end = nxt
                break
        else:
            break
    tail = next((t for t in sorted(d.open_ended_prose, key=len, reverse=True) if text.startswith(t, end)), "")
    return names, end + len(tail)


def _is_placeholder(name: str) -> bool:
    d = wording().departments
    return name.startswith((*d.plural_prefixes, *d.collective_prefixes)) or any(w in name for w in d.vague_words)


SHARED_HEAD = re.compile(r"(?:[\u4e00-\u9fff]{1,4}、){1,8}")


def _listed_words(text: str, i: int) -> tuple[list[str], int] | None:
    first = next(((b, f) for a, b, f in tagged(text) if a == i), None)
    if first is None or text[i:first[0]] in wording().departments.running_text.stops or _is_verb(text[i:first[0]], first[1]):
        return None  # 会同城管执法、…: the list begins after the verb
    m = wording().departments.lists.sector_list.match(text, i)
    if m:  # 城管执法、市场监管、审批服务等部门: sector words that 等部门 makes bodies
        return [*m.group(1).rstrip("、").split("、"), m.group(2)], m.end()
    m = SHARED_HEAD.match(text, i)
    if not m:
        return None
    tail = wording().departments.lists.counted_in_text.match(text, m.end())  # …岚城等5个乡镇
    if tail:
        division = next((x for x in sorted(wording().departments.running_text.divisions, key=len, reverse=True)
                         if text.startswith(x, tail.end())), None)
        end = tail.end() + len(division) if division else None
    else:
        end = name_at(text, m.end())
    return ([text[i:end]], end) if end is not None else None
