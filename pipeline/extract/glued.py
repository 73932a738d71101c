"""Tables whose cells a scrape ran together.

A crawler that saved a page as text kept a table's cell texts and dropped every boundary between
them: `序号工作任务工作举措完成时限责任单位1加强组织领导每季度…。每季度（9月18日）政法综治处2运用…`.
The header is still there, three or more column words one after another, and it says what each
column holds; the rows are rebuilt from that:

- with a 序号 column a row opens with its number, the numbers running on (1, 2, 3 …; the header
  printed again mid-table is skipped); without one a row closes with its department cell;
- a row's last columns are read from its end: a department cell is a list of body names with
  role words (`A牵头，B配合，C落实`, names told by their endings and the words that open them), a
  deadline cell a deadline form; the texts stand before them. A 序号 row holding several
  (deadline, department) pairs after sentence ends is one measure over several lines, as a 序号
  merged over several rows is;
- two text cells are told apart only where the second opens with a dated deadline; elsewhere the
  run is read as the last text cell, the others left empty (the table reader carries a merged
  cell down), and a warning says which rows.

Every word comes from the lexicon; nothing here names a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicon import Lexicon

CJK = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_END = "。；;！!？?"
HEADER_BOUNDARY = SENTENCE_END + "：: \t\u3000"
OPEN, CLOSE = "（(", "）)"
MAX_NAME = 20  # a body's name inside a run is at most this long
MAX_PREFIX = 6  # words printed before a header word in its cell (整改目标和措施)
TYPED = ("due", "department")


@dataclass
class Cell:
    row: int
    col: int
    text: str
    lines: list[str] | None = None  # as separate lines (names run together in one cell); default: [text]
    row_span: int = 1


@dataclass
class Glued:
    """A table read from a run: where it stands in the text and its cells (row 0 the header)."""

    start: int
    end: int
    n_rows: int
    n_cols: int
    cells: list[Cell]
    warnings: list[str] = field(default_factory=list)  # what could not be told with confidence


@dataclass
class _Tail:
    """A row's last columns: (start, end) of each typed column, in the header's order."""

    spans: list[tuple[int, int]]
    lines: list[str]  # the department cell, one name per line where names ran together

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]


@dataclass
class _SubRow:
    start: int  # where its text begins
    text_end: int
    tail: _Tail | None  # None: a line with no columns of its own (they are merged from above)


def find(text: str, lexicon: Lexicon) -> Glued | None:
    """The glued table in `text` (a paragraph), or None when it holds none."""
    return _Reader(text, lexicon).read()


class _Reader:
    def __init__(self, text: str, lexicon: Lexicon) -> None:
        self.text = text
        self.lx = lexicon
        self.kinds = {w: k if k in ("number", "people", *TYPED) else "text" for w, k in lexicon.columns}
        # words that a shorter ending or division inside them must not cut (委员会, 乡镇, 村（居）)
        self.long_words = tuple(w for w in (*lexicon.endings, *lexicon.divisions) if len(w) > 1)
        self.name_ends = (*lexicon.endings, *lexicon.divisions, *CLOSE)  # what a name's last character can be
        self._deadline_items: dict[tuple[int, int], int | None] = {}
        self.typed: list[str] = []  # the header's columns after its texts: due, department
        self.header_names: list[str] = []
        self.number_word = "number"  # the number column's header as printed (序号), for warnings
        self.warnings: list[str] = []

    # -- the header ------------------------------------------------------------------------
    def read(self) -> Glued | None:
        for p in (0, *(i + 1 for i, ch in enumerate(self.text) if ch in HEADER_BOUNDARY)):
            cols = self.header_at(p)
            if cols:
                return self.table(p, cols)
        return None

    def word_at(self, q: int) -> tuple[int, str] | None:
        return next(((len(w), self.kinds[w]) for w, _ in self.lx.columns if self.text.startswith(w, q)), None)

    def header_at(self, p: int) -> list[tuple[str, str]]:
        """The longest run of column words at p that makes a responsibility table's header:
        [序号] texts… then its deadline and department columns. The first is a column word
        itself; a later cell may print words before its column word (整改目标和措施)."""
        cells: list[tuple[str, str]] = []
        q = p
        while q < len(self.text):
            found = self.word_at(q)
            if found is None and cells:
                for g in range(1, MAX_PREFIX + 1):
                    if q + g >= len(self.text) or not CJK.match(self.text[q + g - 1]):
                        break
                    after = self.word_at(q + g)
                    if after and after[1] == "text":
                        found = (g + after[0], "text")
                        break
            if found is None:
                break
            cells.append((self.text[q:q + found[0]], found[1]))
            q += found[0]
        while len(cells) >= 3 and not _is_header([k for _, k in cells]):
            cells.pop()
        return cells if len(cells) >= 3 else []

    # -- the body ----------------------------------------------------------------------------
    def table(self, p: int, cols: list[tuple[str, str]]) -> Glued | None:
        kinds = [k for _, k in cols]
        header = "".join(t for t, _ in cols)
        self.number_word = next((t for t, k in cols if k == "number"), self.number_word)
        start = p + len(header)
        self.typed = kinds[kinds.index(next(k for k in kinds if k in (*TYPED, "people"))):]
        self.header_names = [t for t, _ in cols]
        shown = " | ".join(self.header_names)
        if self.typed.count("department") != 1 or self.typed.count("due") > 1 or "people" in self.typed:
            self.warnings.append(f"a table whose cells ran together ({shown}) was not rebuilt: only one department column, "
                                 "and at most one deadline column, can be told apart without separators")
            return self.unread(p)
        # the header printed again mid-table (a page break in the original) closes a stretch of rows
        stretches, at = [], start
        while (k := self.text.find(header, at)) != -1:
            stretches.append((at, k))
            at = k + len(header)
        stretches.append((at, len(self.text)))
        rows = self.numbered(stretches) if kinds[0] == "number" else self.unnumbered(start, len(self.text))
        if not any(sub.tail for _, subs in rows or [] for sub in subs):  # nothing told apart: no table to give
            self.warnings = [f"a table whose cells ran together ({shown}) was not rebuilt: its rows could not be told apart"]
            return self.unread(p)
        last = rows[-1][1][-1]
        end = last.tail.end if kinds[0] != "number" and last.tail else len(self.text)  # a numbered table runs to the end
        return self.grid(p, end, cols, rows)

    def grid(self, p: int, end: int, cols: list[tuple[str, str]], rows: list[tuple[str, list[_SubRow]]]) -> Glued:
        """The rows as a table's cells: a 序号 row of several lines spans them with its number and
        its leading texts; a line without columns of its own shares the ones above (merged)."""
        kinds = [k for _, k in cols]
        text_cols = [k for k, kind in enumerate(kinds) if kind == "text"]
        typed_cols = [k for k, kind in enumerate(kinds) if kind in TYPED]
        cells = [Cell(0, k, t) for k, (t, _) in enumerate(cols)]
        unsure: list[str] = []
        r = 1
        for n, (label, subs) in enumerate(rows, 1):
            if label:
                cells.append(Cell(r, 0, label, row_span=len(subs)))
            texts, sure = self.split_texts(self.text[subs[0].start:subs[0].text_end], len(text_cols))
            if not sure:
                unsure.append(label or str(n))
            cells += [Cell(r, k, texts[j], row_span=len(subs)) for j, k in enumerate(text_cols[:-1])]
            for i, sub in enumerate(subs):
                cells.append(Cell(r + i, text_cols[-1], texts[-1] if i == 0 else self.text[sub.start:sub.text_end]))
                if sub.tail is None:
                    continue
                span = 1 + next((j for j, later in enumerate(subs[i + 1:]) if later.tail is not None), len(subs) - i - 1)
                for (a, b), k in zip(sub.tail.spans, typed_cols, strict=True):
                    lines = sub.tail.lines if kinds[k] == "department" else None
                    cells.append(Cell(r + i, k, self.text[a:b], lines, row_span=span))
            r += len(subs)
        if unsure:
            names = [self.header_names[k] for k in text_cols]
            self.warnings.append(f"rows {', '.join(unsure)}: the cells {' and '.join(names)} ran together with nothing to tell where one "
                                 f"ends: the run is read as {names[-1]}, {' and '.join(names[:-1])} left empty (carried down from the row "
                                 "above, as a merged cell is)")
        return Glued(p, end, r, len(cols), cells, self.warnings)

    def split_texts(self, run: str, n: int) -> tuple[list[str], bool]:
        """A row's run of text cells as its n text columns, and whether that was told for sure:
        two cells are told apart where the second opens with a dated deadline (2016年6月底前…)
        glued to the first; at the run's start, the first cell is empty (merged from above)."""
        if n == 1:
            return [run], True
        cuts = set()
        for form in self.lx.deadline_forms:
            for m in form.finditer(run):
                year = m.group("y") if "y" in form.groupindex else None
                if not year or m.end() - m.start() <= len(year) + 1:
                    continue  # a bare year (2015年…) dates what the cell says, it opens no cell
                if m.start() == 0 or CJK.match(run[m.start() - 1]) or run[m.start() - 1] in CLOSE + "”’":
                    cuts.add(m.start())
        if n == 2 and len(cuts) == 1:
            cut = cuts.pop()
            return [run[:cut], run[cut:]], True
        return [""] * (n - 1) + [run], False

    def unread(self, p: int) -> Glued:
        return Glued(p, p, 0, 0, [], self.warnings)

    def numbered(self, stretches: list[tuple[int, int]]) -> list[tuple[str, list[_SubRow]]] | None:
        """Rows that open with their 序号: each number the one after the last, standing right
        after a complete row (its last columns read back from the number)."""
        rows: list[tuple[str, list[_SubRow]]] = []
        n = 1
        for a, b in stretches:
            if a == b:
                continue
            opened = _number(n).match(self.text, a)
            if opened is None:
                return None  # a stretch that does not open with the next number
            while opened is not None:
                nxt = self.next_number(opened.end(), b, n + 1)
                hi = nxt.start() if nxt else b
                subs = self.sub_rows(opened.end(), hi, closed=nxt is not None or b < len(self.text))
                if subs is None:
                    return None
                rows.append((opened.group(), subs))
                n += 1
                opened = nxt
        return rows

    def next_number(self, lo: int, hi: int, n: int) -> re.Match[str] | None:
        """The next row's number: the first n after lo that a complete row stands before."""
        return next((m for m in _number(n).finditer(self.text, lo + 1, hi) if self.tail_before(lo, m.start()) is not None), None)

    def sub_rows(self, lo: int, hi: int, closed: bool) -> list[_SubRow] | None:
        """A numbered row's lines: (text, deadline, department) repeated where a line's columns
        follow a sentence end; the last ones end the row. A line after the last (deadline,
        department) shares them (merged cells), as the row's last line of the table may."""
        final = self.tail_before(lo, hi)
        if closed and final is None:
            return None
        inner = final.start if final else hi
        subs: list[_SubRow] = []
        pos = lo
        while (t := self.tail_from(pos, inner, after_sentence=True)) is not None:
            subs.append(_SubRow(pos, t.start, t))
            pos = t.end
        if final is not None:
            subs.append(_SubRow(pos, final.start, final))
        elif pos < hi or not subs:
            if not subs:
                self.warnings.append(f"the last {self.number_word} ({_quote(self.text[lo:hi])}) has no deadline or department cell that could be told apart: "
                                     "read as its text alone")
            else:
                self.warnings.append(f"what follows the last {self.number_word}'s department cell ({_quote(self.text[pos:hi])}) was read as a further "
                                     f"line of that {self.number_word}: nothing marks where the table ends")
            subs.append(_SubRow(pos, hi, None))
        return subs

    def unnumbered(self, lo: int, hi: int) -> list[tuple[str, list[_SubRow]]] | None:
        """Rows without a 序号: each closes with its department cell."""
        rows: list[tuple[str, list[_SubRow]]] = []
        pos = lo
        while pos < hi and (t := self.tail_from(pos, hi, after_sentence=False)) is not None:
            rows.append(("", [_SubRow(pos, t.start, t)]))
            pos = t.end
        if pos < hi and rows:
            self.warnings.append(f"the text after the table's last department cell ({_quote(self.text[pos:hi])}) was not read as a row: "
                                 "no department cell closes it")
        return rows

    # -- a row's last columns ------------------------------------------------------------------
    def tail_before(self, lo: int, hi: int) -> _Tail | None:
        """The row's typed columns ending exactly at hi (its text before them not empty)."""
        if self.typed == ["department"]:
            s = self.list_before(lo, hi)
            return self.tail([(s, hi)], s, hi) if s is not None and s > lo else None
        if self.typed == ["department", "due"]:
            a = self.deadline_before(lo, hi)
            s = self.list_before(lo, a) if a is not None else None
            return self.tail([(s, a), (a, hi)], s, a) if s is not None and a is not None and s > lo else None
        # deadline, then departments: the deadline nearest to the end after which a list runs to hi
        best: tuple[int, int] | None = None
        for a in range(lo + 1, hi):
            b = self.deadline_end(a, hi)
            if b is None or b >= hi or not self.list_reaches(b, hi):
                continue
            if best is None or b > best[1]:
                best = (a, b)
        if best is None:
            return None
        a, b = best
        return self.tail([(a, b), (b, hi)], b, hi)

    def tail_from(self, lo: int, hi: int, after_sentence: bool) -> _Tail | None:
        """The first typed columns after lo (with text before them); `after_sentence`: only right
        after a sentence end and with text after them (a line of a 序号 row before its last)."""
        if self.typed[0] == "department":
            return self.cell_from(lo, hi, after_sentence)
        for a in range(lo + 1, hi):
            if after_sentence and self.text[a - 1] not in SENTENCE_END:
                continue
            b = self.deadline_end(a, hi)
            if b is None or b >= hi:
                continue
            parsed = self.names(b, hi, bounded=False)
            if parsed is not None and (not after_sentence or parsed[0] < hi):
                return self.tail([(a, b), (b, parsed[0])], b, parsed[0])
        return None

    def cell_from(self, lo: int, hi: int, after_sentence: bool) -> _Tail | None:
        """The first department cell after lo that no deadline introduces: found at its first
        name's ending, its start the nearest one a name opens with."""
        for e in range(lo + 2, hi + 1):
            s = self.anchored_start(lo, e, hi)
            if s is None or (after_sentence and self.text[s - 1] not in SENTENCE_END):
                continue
            parsed = self.names(s, hi, bounded=False)
            if parsed is None:
                continue
            end = parsed[0]
            if self.typed == ["department", "due"]:
                due = self.deadline_end(end, hi)
                if due is None:
                    continue
                return self.tail([(s, end), (end, due)], s, end)
            if after_sentence and end >= hi:
                continue
            return self.tail([(s, end)], s, end)
        return None

    def tail(self, spans: list[tuple[int, int]], s: int, e: int) -> _Tail:
        parsed = self.names(s, e, bounded=True)
        return _Tail(spans, parsed[1] if parsed else [self.text[s:e]])

    def anchored_start(self, lo: int, e: int, hi: int) -> int | None:
        """The start of a name of a cell's own that ends at e: the nearest point before it a name
        opens at (a level, 各, 相关), not the object of a word before it (组织区财政局…)."""
        t = self.text
        if not t.endswith(self.name_ends, lo, e):
            return None
        for s in range(e - 2, max(lo, e - MAX_NAME), -1):
            if not CJK.match(t[s]) and t[s] not in OPEN + CLOSE:
                return None
            if not self.opens_name(s):
                continue
            for start in dict.fromkeys((self.widened(s, lo + 1), s)):
                if self.is_anchor(start, e) and self.name_end(start, hi, bounded=False) == e:
                    return None if any(t.endswith(w, lo, start) for w in self.lx.stops) else start
            return None
        return None

    def is_anchor(self, s: int, e: int) -> bool:
        """A name of a cell's own: with a name's ending, or a division after 各 / 相关."""
        return self.ends_name(s, e) in ("proper", "prefixed")

    # -- deadlines -------------------------------------------------------------------------------
    def deadline_item(self, a: int, hi: int) -> int | None:
        """Where one deadline wording that begins at a ends (the longest one)."""
        key = (a, hi)
        if key not in self._deadline_items:
            ends = [a + len(w) for w in self.lx.deadline_words if self.text.startswith(w, a, hi)]
            for form in (*self.lx.deadline_forms, *self.lx.deadline_forms_without_year):
                m = form.match(self.text, a, hi)
                if m and m.end() > a:
                    ends.append(m.end())
            self._deadline_items[key] = max(ends, default=None)
        return self._deadline_items[key]

    def deadline_end(self, a: int, hi: int) -> int | None:
        """Where a deadline cell that begins at a ends: its wordings, joined (6月、12月), with
        their dates in brackets (每季度（9月18日、12月18日）)."""
        pos = self.deadline_item(a, hi)
        if pos is None:
            return None
        while pos < hi:
            ch = self.text[pos]
            if ch in OPEN:
                close = next((k for k in range(pos + 1, min(hi, pos + 40)) if self.text[k] in CLOSE), None)
                if close is not None and self.all_deadlines(pos + 1, close):
                    pos = close + 1
                    continue
            if ch in self.lx.deadline_joiners and (nxt := self.deadline_item(pos + 1, hi)) is not None:
                pos = nxt
                continue
            break
        return pos

    def all_deadlines(self, a: int, b: int) -> bool:
        pos = a
        while pos < b:
            nxt = self.deadline_item(pos, b)
            if nxt is None:
                return False
            pos = nxt + (1 if nxt < b and self.text[nxt] in self.lx.deadline_joiners else 0)
        return pos == b and b > a

    def deadline_before(self, lo: int, hi: int) -> int | None:
        """The start of the longest deadline cell that ends exactly at hi."""
        return next((a for a in range(lo + 1, hi) if self.deadline_end(a, hi) == hi), None)

    # -- names -------------------------------------------------------------------------------------
    def opens_name(self, s: int) -> bool:
        """A name opens with a level (区, 市 …, not the first character of a word such as 市场) or
        a word for "each / related" (各, 相关, 区直)."""
        t = self.text
        if t.startswith(self.lx.name_prefixes, s):
            return True
        return t[s] in self.lx.levels and not t.startswith(self.lx.not_names, s)

    def widened(self, s: int, lo: int) -> int:
        """A name's start moved back over the words it opens with: 乡镇 around 镇, then 相关."""
        t = self.text
        while s > lo:
            inside = next((s - j for w in self.lx.divisions if len(w) > 1 for j in range(1, len(w)) if s - j >= lo and t.startswith(w, s - j)), None)
            if inside is not None:
                s = inside
                continue
            prefix = next((w for w in self.lx.name_prefixes if s - len(w) >= lo and t.startswith(w, s - len(w))), None)
            if prefix is None:
                break
            s -= len(prefix)
        return s

    def ends_name(self, s: int, e: int) -> str | None:
        """Is text[s:e] a body's name? 'proper' (a name's ending: 局, 政府), 'prefixed' (各村（居）,
        相关乡镇), 'bare' (片区), 'placed' (a place and its division: 某某镇; read only where the
        list plainly goes on or ends after it); None."""
        t = self.text
        piece = t[s:e]
        if any(e - j >= s and t.startswith(w, e - j) for w in self.long_words for j in range(1, len(w))):
            return None  # cut inside a longer ending (委 of 委员会, 乡 of 乡镇)
        if piece.endswith(CLOSE) and (k := max(piece.rfind("（"), piece.rfind("("))) > 0 and e - s - k <= 14:
            base = self.ends_name(s, s + k)  # 办公室（信息中心）: a qualifier kept with its name
            if base in ("proper", "prefixed"):
                return base
        if any(piece.endswith(w) and len(w) < len(piece) and w in piece[-len(w) - 4:] for w in self.lx.not_names):
            return None  # 场所, 全部: words that end like a name
        division = next((w for w in self.lx.divisions if piece.endswith(w)), None)
        if division is not None:
            head = piece[:-len(division)]
            if head in self.lx.name_prefixes:
                return "prefixed"
            if not head:
                return "bare" if len(division) > 1 else None
            return "placed" if CJK.match(head[-1]) else None
        ending = next((w for w in self.lx.endings if piece.endswith(w)), None)
        return "proper" if ending and len(piece) > len(ending) else None

    def closes(self, e: int, hi: int) -> bool:
        """Does a name plainly end at e: the cell's end, a separator, a role word, a digit or a
        mark?"""
        t = self.text
        return (e >= hi or not CJK.match(t[e]) or t.startswith(self.lx.separators, e)
                or t.startswith(self.lx.role_words, e))

    def starts_new(self, e: int) -> bool:
        """After a complete name, a level, a word for "each" or a stop word begins something else."""
        t = self.text
        return self.opens_name(e) or t.startswith(self.lx.stops, e)

    def scan_ends(self, s: int, e: int, open_name: bool) -> bool:
        """Does a name begun at s stop before e: a mark or digit, a stop word of two characters or
        more, or (once it could end) a new name or any stop word (区财政局区发改委, 各村（居）对…)?"""
        t = self.text
        if not CJK.match(t[e]):
            return True
        if e > s and any(len(w) > 1 and t.startswith(w, e) for w in self.lx.stops):
            return True
        return e > s and not open_name and self.starts_new(e)

    def name_end(self, s: int, hi: int, bounded: bool) -> int | None:
        """Where a name that begins at s ends: the first point where it ends like a name and
        plainly ends; else the first where it ends like a name and other text (`bounded`: only
        another name) follows."""
        t = self.text
        if s >= hi or not CJK.match(t[s]) or any(len(w) > 1 and t.startswith(w, s) for w in self.lx.stops):
            return None
        found: list[tuple[int, str]] = []
        depth = 0
        e = s
        while e < min(hi, s + MAX_NAME):
            ch = t[e]
            if ch in OPEN:
                depth += 1
            elif ch in CLOSE:
                if depth == 0:
                    break
                depth -= 1
            elif self.scan_ends(s, e, depth > 0 or not found):
                break
            e += 1
            kind = self.ends_name(s, e) if depth == 0 else None
            if kind:
                found.append((e, kind))
        plain = [x for x, _ in found if self.closes(x, hi)]
        if plain:
            return plain[0]
        # else other text follows: a cell whose end is known goes on only with another name
        rest = [x for x, k in found if k != "placed" and (not bounded or self.opens_name(x))]
        return rest[0] if rest else None

    def names(self, s: int, hi: int, bounded: bool) -> tuple[int, list[str]] | None:
        """A department cell's list from s: names, each with its role word, after separators
        (and, inside a cell whose end is known, run together: paragraphs of one cell). Where it
        ends, and its lines (one per name run together with the one before)."""
        t = self.text
        pos, start = s, s
        lines: list[str] = []
        count = 0
        while True:
            e = self.name_end(pos, hi, bounded)
            if e is None:
                break
            count += 1
            pos = e
            role = next((w for w in self.lx.role_words if t.startswith(w, pos, hi)), "")
            pos += len(role)
            sep = next((w for w in self.lx.separators if t.startswith(w, pos, hi)), "")
            if sep and self.name_end(pos + len(sep), hi, bounded) is not None:
                pos += len(sep)
                continue
            glued = t.startswith(self.lx.name_prefixes, pos) or (bounded and pos < hi and self.opens_name(pos))
            if not sep and glued and self.name_end(pos, hi, bounded) is not None:
                lines.append(t[start:pos])
                start = pos
                continue
            break
        if not count or (bounded and pos != hi):
            return None
        lines.append(t[start:pos])
        return pos, lines

    def list_reaches(self, s: int, hi: int) -> bool:
        return self.names(s, hi, bounded=True) is not None

    def list_before(self, lo: int, hi: int) -> int | None:
        """The start of a department list that ends exactly at hi, its first name's start told by
        the words names open with: the nearest such start before the last name's ending, then back
        over the names listed before it."""
        start = self.name_before(lo, hi)
        while start is not None and start > lo and self.text[start - 1] in self.lx.separators:
            k = start - 1
            k -= len(next((w for w in self.lx.role_words if self.text.endswith(w, lo, k)), ""))
            before = self.name_before(lo, k, whole=False)
            if before is None:
                break
            start = before
        return start if start is not None and self.list_reaches(start, hi) else None

    def name_before(self, lo: int, hi: int, whole: bool = True) -> int | None:
        end = hi - len(next((w for w in self.lx.role_words if self.text.endswith(w, lo, hi)), ""))
        for s in range(end - 2, max(lo, end - MAX_NAME) - 1, -1):
            if not CJK.match(self.text[s]) and self.text[s] not in OPEN + CLOSE:
                return None
            if self.opens_name(s) and self.name_end(s, end, bounded=True) == end:
                w = self.widened(s, lo + 1)
                return w if self.name_end(w, end, bounded=True) == end else s
        return None


def _number(n: int) -> re.Pattern[str]:
    """A row's number as printed: n, n. or n、, not part of a longer number."""
    return re.compile(rf"(?<!\d){n}(?!\d)[.．、]?")


def _is_header(kinds: list[str]) -> bool:
    """[序号] then one or more text columns, then the deadline and department columns (at least a
    department column; people columns are recognised, to be refused)."""
    i = 1 if kinds[0] == "number" else 0
    texts = 0
    while i < len(kinds) and kinds[i] == "text":
        i, texts = i + 1, texts + 1
    tail = kinds[i:]
    return texts > 0 and bool(tail) and all(k in (*TYPED, "people") for k in tail) and "department" in tail


def _quote(text: str, n: int = 24) -> str:
    return text if len(text) <= n else text[:n] + "…"
