"""A notice's parts and header, read from the flat blocks extraction gives.

    split_parts(notice, title) -> [(Part, (0, first, end))]   附件N markers, then issued documents
    header(notice, is_furniture) -> Header   title, issuer, 文号, date (the text's, else the page's), attachments

Part 0 is the notice body, 附件N is part N (a lone 附件 is 1). Documents a notice issues
without an 附件 label (《A》《B》 named in its 印发 sentence, then standing alone as a title, or
standing outside 《》 inside run-on text) become parts 1…k, and labelled 附件 come after them.
The words are data: wording/structure.toml.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import replace
from datetime import date

from ..model import Block, Notice, Part
from ..model.interim import Header
from ..numerals import cn_to_int
from ..wording import wording
from .grammar import leading_marker

NUMBERED = re.compile(r"^\d+[.．、]")
SENTENCE_END = re.compile(r"[。；;！!？?]$")
SENTENCE_IN = re.compile(r"[。！!？?]")  # a paragraph that holds a sentence
PARAGRAPH_END = re.compile(r"[。；;！!？?：:]$")
LEAD_MARKS = re.compile(r"^[#>\s\u3000]+")
Where = tuple[int, int, int]  # notice part index, first block, end


def part_number(block: Block) -> tuple[int, str, str] | None:
    """(N, label, title) when the block is an attachment marker: 附件, 附件2, 附件二, 附件2：标题."""
    if block.kind == "table":
        return None
    text = re.sub(r"\s+", "", block.text)
    m = wording().structure.marker.match(text)
    if m:
        n = cn_to_int(m.group("n")) if m.group("n") else 1
        return (n, text.rstrip(":："), "") if n else None
    m = wording().structure.marker_titled.match(block.text.strip())
    if m and not SENTENCE_END.search(m.group("title")):
        n = cn_to_int(m.group("n"))
        return (n, f"{wording().structure.part_label}{m.group('n')}", m.group("title").strip()) if n else None
    return None


def _attachments(blocks: list[Block]) -> list[tuple[Part, Where]]:
    """Cut the flat blocks at 附件 markers."""
    out: list[tuple[Part, list[int]]] = [(Part(0, ""), [0, 0])]
    listing = False  # inside the body's list of attachments (附件：1.… 2.…)
    for i, b in enumerate(blocks):
        listing = b.kind != "table" and (bool(wording().structure.listing.match(b.text.strip())) or (listing and bool(NUMBERED.match(b.text.strip()))))
        mark = None if listing else part_number(b)
        if mark:
            out.append((Part(mark[0], mark[1]), [i + 1, i + 1]))
            if mark[2]:  # the title written on the marker's line opens the part
                out[-1][0].blocks.append(Block("heading", b.source, mark[2], b.style))
        else:
            out[-1][0].blocks.append(b)
            out[-1][1][1] = i + 1
    kept = [(p, (0, a, e)) for p, (a, e) in out if p.blocks or p.number]
    for p, _ in kept:
        _mark_attachment_list(p.blocks)
    return kept


def is_date_line(text: str) -> bool:
    """A notice's date line, alone or after its signature on one line (某某管委会 2016年12月29日)."""
    words = text.split()
    return bool(words) and bool(wording().structure.date_line.match(words[-1]))


def _mark_attachment_list(blocks: list[Block]) -> None:
    """Mark the body's list of attachments (附件：1.… 2.…) so it is not read as measures."""
    inside = False
    for b in blocks:
        if b.kind == "table":
            inside = False
            continue
        t = b.text.strip()
        if wording().structure.listing.match(t):
            inside = True
        elif inside and (is_date_line(t) or SENTENCE_END.search(t)
                         or not (NUMBERED.match(t) or len(t) < 40)):
            inside = False  # the list ends at the signature's date (平潭…管委会 2016年12月29日), a sentence or a long line
        if inside:
            b.style = "attachment-list"


def _norm_title(text: str) -> str:
    return re.sub(r"[\s*#《》〈〉<>“”\"'‘’（）()【】\[\]、，,。.:：\-—－]", "", text)


def issued_titles(title: str, body: list[Block]) -> list[str]:
    """Titles of the documents the notice issues (印发): 《A》《B》 in its issuing sentence, the X of
    its title 关于印发X的通知, or the title its 附件：… line names."""
    words = wording().structure.issuing
    out: list[str] = []
    m = wording().structure.issued_in_title.search(title)
    if m:
        out.append(m.group(1))
    listing = wording().structure.listing
    for b in body[:40]:
        if b.kind != "table" and any(w in b.text for w in words):
            out += re.findall(r"《([^《》]*(?:〈[^〉]*〉[^《》]*)*)》", b.text)
        if b.kind != "table" and (m := listing.match(b.text.strip())):  # 附件：X, a document printed after without its label
            out.append(NUMBERED.sub("", b.text.strip()[m.end():].strip()))
    seen, titles = set(), []
    for t in out:
        n = _norm_title(t)
        if len(n) >= 4 and n not in seen:
            seen.add(n)
            titles.append(n)
    return titles


def _page_furniture(blocks: list[Block], title: str) -> list[Block]:
    """A page's text run on around the notice's (a crawler's one-line body: 当前位置：首页… 时间：…
    微信 微博 QQ空间 文号 标题 各有关单位：…。… 来源：… 附件下载): cut before the title where it is
    printed last ahead of the first sentence, and the labelled lines the page adds after the last
    sentence (来源：…). Blocks keep their places (a cut block is blanked), so `Where` holds."""
    out = list(blocks)
    lead: list[tuple[int, int]] = []  # (block, where its text starts in `joined`) ahead of the first sentence
    joined = ""
    for i, b in enumerate(out[:40]):
        if b.kind == "table":
            continue
        lead.append((i, len(joined) + 1))
        joined += " " + b.text
        if re.search(r"[。！？]", b.text):
            break
    head = re.split(r"[。！？]", joined)[0]
    found = list(re.finditer(_loose(title), head)) if title else []
    if found and lead and found[-1].start() > lead[0][1]:
        at = found[-1].start()
        k, start = max((x for x in lead if x[1] <= at), key=lambda x: x[1])
        out[:k] = [x if x.kind == "table" else Block(x.kind, x.source, "", x.style) for x in out[:k]]
        out[k] = Block(out[k].kind, out[k].source, out[k].text[max(0, at - start):], out[k].style)
    labels = [w for words in wording().structure.page.values() for w in words if re.fullmatch(r"[\u4e00-\u9fff]+", w)]
    label = re.compile(r"(?:^|\s)(?:" + "|".join(r"\s*".join(map(re.escape, w)) for w in labels) + r")\s*[：:]")
    tail = ""  # the text after the last sentence, from the end back
    for i in range(len(out) - 1, max(len(out) - 6, -1), -1):
        b = out[i]
        if b.kind == "table":
            break
        last = max((m.end() for m in re.finditer(r"[。！？；）)]", b.text)), default=0)
        tail = b.text[last:] + " " + tail
        found = [m for m in label.finditer(b.text) if m.start() >= last]
        if found and len(re.sub(r"\s+", "", tail)) <= 80:  # 来源：… 附件下载: what the page adds after the notice
            out[i] = Block(b.kind, b.source, b.text[:found[0].start()].rstrip(), b.style)
            out[i + 1:] = [x if x.kind == "table" else Block(x.kind, x.source, "", x.style) for x in out[i + 1:]]
            break
        if last:
            break
    return out


def split_parts(notice: Notice, title: str) -> list[tuple[Part, Where]]:
    """The notice's parts, and where each one's blocks are in the notice (`title`: its title)."""
    flat = [b for p in notice.parts for b in p.blocks]
    if notice.metadata.fields:  # a page, or a scraper's header: its text may run on around the notice's
        flat = _page_furniture(flat, title)
    parts = _attachments(flat)
    body, (_, b0, _) = parts[0]
    if body.number != 0:
        return parts
    titles = issued_titles(title, body.blocks)
    words = wording().structure.issuing
    issuing_at = next((i for i, b in enumerate(body.blocks) if b.kind != "table" and any(w in b.text for w in words)
                       and re.search(r"[，,。]", b.text)), len(body.blocks))  # the issuing sentence, not the title's 印发
    def title_line(b: Block) -> str:
        if b.kind == "table" or b.style == "attachment-list" or leading_marker(b.text) or len(b.text.strip()) > 80:
            return ""
        if re.search(r"[。；;，,]", b.text.strip().rstrip("。")) or any(w in b.text for w in words):
            return ""
        return _norm_title(b.text)

    def names_a_title(t: str) -> bool:
        return any(t == x or (len(t) >= 6 and (t in x or x in t) and min(len(t), len(x)) / max(len(t), len(x)) >= 0.7) for x in titles)

    cuts = [0]
    lines = [title_line(b) for b in body.blocks]
    i = issuing_at + 1
    while titles and i < len(body.blocks):
        # a title printed over two or three lines (…贯彻落实《国务院关于 / 加强…意见》任务分工方案)
        span = next((n for n in (1, 2, 3) if all(lines[i:i + n]) and i + n <= len(lines) and names_a_title("".join(lines[i:i + n]))), 0)
        if span:
            cuts.append(i)
        i += max(span, 1)
    if len(cuts) == 1:
        return _split_run_on(parts, titles, issuing_at) or parts
    cuts.append(len(body.blocks))
    out = [(Part(n, "", body.blocks[a:e]), (0, b0 + a, b0 + e)) for n, (a, e) in enumerate(itertools.pairwise(cuts))]
    issued = len(cuts) - 2
    labelled = parts[1:]
    if labelled and labelled[0][0].number == issued:
        # the issued document's own 附件 right after it (附件 printed inside 《办法》): its part
        # goes on there, under its printed number, instead of being moved past the issued ones
        (last, (k, a, _)), (first, (_, _, e)) = out[-1], labelled[0]
        out[-1] = (Part(last.number, first.label, [*last.blocks, *first.blocks]), (k, a, e))
        labelled = labelled[1:]
    return out + [(Part(p.number + issued, p.label, p.blocks), where) for p, where in labelled]  # other 附件 come after them


def _split_run_on(parts: list[tuple[Part, Where]], titles: list[str], issuing_at: int) -> list[tuple[Part, Where]] | None:
    """A scrape that lost its line breaks: the issued title stands inside the run-on paragraph,
    outside 《》, after the notice (…2022年6月10日减污降碳协同增效实施方案一、…). Cut the
    paragraph there; the rest is part 1."""
    body, (_, b0, e0) = parts[0]
    listing = wording().structure.listing
    for i, b in enumerate(body.blocks):
        if b.kind == "table" or b.style == "attachment-list" or (i < issuing_at and len(b.text) < 400):
            continue
        for title in titles:
            loose = r"[\s《》〈〉“”（）()、，,]*".join(map(re.escape, title))
            # the title standing on its own: not quoted (《…》), not the body's 附件：… line
            hits = [m for m in re.finditer(f"({loose})", b.text) if m.start() > 0 and b.text[m.start() - 1] not in "《〈“"
                    and (m.end() == len(b.text) or b.text[m.end()] not in "》〉”")
                    and not listing.match(b.text[max(0, m.start() - 4):m.start()].strip())]
            if hits:
                at = hits[-1].start()
                first = Part(0, "", [*body.blocks[:i], Block(b.kind, b.source, b.text[:at], b.style)])
                second = Part(1, "", [Block(b.kind, b.source, b.text[at:], b.style), *body.blocks[i + 1:]])
                rest = [(Part(p.number + 1, p.label, p.blocks), where) for p, where in parts[1:]]
                return [(first, (0, b0, b0 + i + 1)), (second, (0, b0 + i, e0)), *rest]
    return None


def title_of(blocks: list[Block]) -> tuple[str, str]:
    """(title, 文号) of the title block: the leading run of short lines before the addressee line
    or the first body text. A 文号 line is not the title: lines after it are (above it stood a
    letterhead), else the lines before it (a title printed twice is read once). A letterhead set
    as a table above the title is passed over. Run-on text gives the words before its addressees."""
    stops = wording().structure.addressee_suffix
    lines: list[str] = []
    before: list[str] = []  # the lines above a 文号 line
    doc_no = ""
    for b in blocks:
        if b.kind == "table":
            if lines or doc_no:
                break
            continue
        t = b.text.strip()
        if not lines and not before and (">" in t or "＞" in t):
            continue  # navigation (首页 > …) a page left above the title
        number = _doc_no(t, whole=True)
        if number:
            doc_no, before, lines = doc_no or number, before or lines, []
            continue
        t, doc_no = _without_trailing_doc_no(t, doc_no)
        if not lines and not before and len(t) > 150:
            return _run_on_title(t)
        if lines and _same("".join(lines), t):
            lines = [t]  # a title printed twice (a scraper's copy, then the document's): the document's
            continue
        if _ends_title_block(t, lines, stops):
            break
        if not lines and re.match(r"^[^：:]{1,10}[：:]", t):
            continue  # a label line (索 引 号：…) is never the title
        if not t.endswith(wording().structure.letterhead):
            lines.append(t)
        if len("".join(lines)) > 150:
            break
    lines = lines or [x for x in before if not x.endswith(wording().structure.letterhead)]
    return _printed_once(re.sub(r"\s+", " ", "".join(lines)).strip()), doc_no


def _without_trailing_doc_no(t: str, doc_no: str) -> tuple[str, str]:
    """A line that ends with its 文号 (标题国办发〔2020〕24号 on one line): the line without it, and
    the 文号 (the first one found stays)."""
    trailing = _doc_no(t)
    if trailing and t.endswith(trailing) and len(t) > len(trailing):
        return t[:-len(trailing)].strip(), doc_no or trailing
    return t, doc_no


def _ends_title_block(t: str, lines: list[str], stops: tuple[str, ...]) -> bool:
    """The addressee line, a sentence, a long line after the title's, a numbered item."""
    return bool(t.endswith(stops) or SENTENCE_END.search(t) or (len(t) > 60 and lines) or (not lines and leading_marker(t)))


def _printed_once(title: str) -> str:
    """A title a page printed twice in one line, once."""
    half = len(title) // 2
    return title[:half] if len(title) % 2 == 0 and title[:half] == title[half:] else title


def _same(a: str, b: str) -> bool:
    """Two printings of one line (half- or full-width brackets, a dash for a hyphen)."""
    def norm(x: str) -> str:
        return re.sub(r"[—–－‐-]", "-", re.sub(r"\s+", "", unicodedata.normalize("NFKC", x)))
    return norm(a) == norm(b)


def _doc_no(text: str, whole: bool = False) -> str:
    """The 文号 in a text (whole: the text is nothing else): the bracketed year and number with
    the short name before them, which in run-on text starts after a title's end, a letterhead or a
    space."""
    st = wording().structure
    if whole:
        text = re.sub(r"^[（(〔【\[]\s*(.*?)\s*[）)〕】\]]$", r"\1", text.strip())  # （皖政办秘〔2021〕82号）
    for m in st.doc_no.finditer(text):
        before = text[:m.start()]
        if sum(before.count(c) for c in "《（(") > sum(before.count(c) for c in "》）)"):
            continue  # a document cited inside brackets
        head = re.search(r"[\u4e00-\u9fff]{1,12}$", before)
        if not head:
            continue
        name = head.group(0)
        for word in (*st.title_ends, *st.letterhead):
            if word in name[:-1]:
                name = name[name.rindex(word) + len(word):]
        number = name + re.sub(r"\s+", "", m.group(0))
        if not whole:
            return number
        return number if re.sub(r"\s+", "", text) == number else ""
    return ""


def _run_on_title(text: str) -> tuple[str, str]:
    """(title, 文号) at the start of run-on text: the words up to a title's end (…的通知 first,
    then any) that the addressees follow (words up to a colon, no sentence end), outside 《》;
    a letterhead and 文号 before the title are not part of it."""
    st = wording().structure
    ends = sorted(st.title_ends, key=len, reverse=True)
    for pattern in (re.escape(st.of) + "(?:" + "|".join(ends) + ")", "(?:" + "|".join(ends) + ")"):
        for m in re.finditer(pattern, text[:300]):
            head, rest = text[:m.end()], text[m.end():m.end() + 400]
            colon = re.search(r"[：:]", rest)
            if head.count("《") != head.count("》") or not colon or re.search(r"[。；;！!？?]", rest[:colon.start()]):
                continue
            number = _doc_no(head) or _doc_no(rest[:colon.start()])
            start = head.rfind(number) + len(number) if number and number in head else 0
            return re.sub(r"\s+", " ", head[start:]).strip(), number
    return "", ""


def _valid_title(text: str) -> bool:
    """A title is never a 文号, a file name, a label (索 引 号：…) or a numbered heading."""
    t = re.sub(r"\s+", "", text)
    st = wording().structure
    return (len(t) >= 4 and not _doc_no(t, whole=True) and not st.file_name.search(t) and not re.match(r"^[^：:]{1,10}[：:]", t)
            and not leading_marker(t) and not SENTENCE_END.search(t)
            and not (re.search(r"[，,；;]", t) and not _names_a_kind(t)))  # a clause of a sentence, not a title


def _names_a_kind(title: str) -> bool:
    """Does a title end with the kind of document it is (…的通知, …方案（试行）)? A page's heading
    that does not (its site's or column's name) is not the notice's title."""
    ends = "|".join(map(re.escape, wording().structure.title_ends))
    return bool(re.search(f"(?:{ends})(?:[（(][^（）()]{{1,20}}[）)])?$", re.sub(r"\s+", "", title)))


def _page_fact(fields: dict[str, str], fact: str) -> list[str]:
    """What the page gives for a fact, under each of its labels in turn."""
    fields = {re.sub(r"\s+", "", k): v.strip() for k, v in fields.items()}
    return [fields[label] for label in wording().structure.page.get(fact, ()) if fields.get(label)]


_CJK = r"[\u4e00-\u9fff]"


def _label_splitter() -> re.Pattern[str]:
    """Where a label starts in a line of a printed box: a known label anywhere (spaced out or
    not: 标　　题：), any short label at the line's start or after a space."""
    known = {w for words in wording().structure.page.values() for w in words if re.fullmatch(f"{_CJK}+", w)}
    loose = [r"\s*".join(map(re.escape, w)) for w in sorted(known, key=len, reverse=True)]
    generic = f"(?:(?<=^)|(?<=\\s)){_CJK}(?:[ \u3000]*{_CJK}){{0,5}}"
    return re.compile(f"(?P<key>{'|'.join(loose)}|{generic})\\s*[：:]")


def _leading_labels(blocks: list[Block]) -> tuple[dict[str, str], int]:
    """The box of labelled values a page printed above the notice, as a document made from the page
    keeps it (索 引 号：…  发文机关：…), as lines or as a table: its fields, and how many blocks it took.
    Navigation lines (首页 > …) among them are passed over."""
    split = _label_splitter()
    fields: dict[str, str] = {}
    taken, open_key, skipped = 0, "", 0
    for i, b in enumerate(blocks):
        found = list(split.finditer(b.text)) if b.kind != "table" and len(b.text) <= 200 else []  # not a run-on body
        if b.kind != "table" and (not found or found[0].start() != 0):
            if open_key and not fields.get(open_key) and wording().structure.page_date_wrapped.fullmatch(b.text):
                fields[open_key] = b.text.strip()  # a value the page wrapped onto the next line
                open_key, taken = "", i + 1
                continue
            if not fields and skipped < 2 and len(b.text) <= 40 and not SENTENCE_END.search(b.text):
                skipped += 1  # navigation residue above the box (…其他收藏留言)
                continue
            break
        if b.kind == "table" and b.table is not None:
            cells = [[c.text for c in row] for row in ([x for x in b.table.cells if x.row == r] for r in range(b.table.n_rows))]
            pairs = [(re.sub(r"\s+", "", row[k])[:-1], row[k + 1].strip()) for row in cells for k in range(len(row) - 1)
                     if re.fullmatch(f"{_CJK}(?:\\s*{_CJK}){{0,9}}\\s*[：:]", row[k].strip())]
            if len(pairs) < 2:
                break
            for k, v in pairs:
                fields.setdefault(k, v)
        else:
            for m, nxt in zip(found, [*found[1:], None], strict=True):
                value = b.text[m.end():nxt.start() if nxt else len(b.text)].strip()
                open_key = re.sub(r"\s+", "", m.group("key"))
                if value:
                    fields.setdefault(open_key, value)
        taken = i + 1
    return (fields, taken) if fields else ({}, 0)


def _loose(text: str) -> str:
    """A pattern for text whatever whitespace stands inside it."""
    return r"\s*".join(map(re.escape, re.sub(r"\s+", "", text)))


def header(notice: Notice, is_furniture) -> Header:
    """Title, issuer, 文号 and date as the notice's text prints them — the title block read without
    scraper furniture and Markdown, the title's words before 关于/印发 (else the signature above the
    date), the date line nearest the end of the body (else the signature's date in run-on text) —
    and what the page says of itself (structure.toml [page]) where the text prints none. A title
    the page gives and the text prints is taken whole (the text may wrap it over lines)."""
    flat = [b for p in notice.parts for b in p.blocks]
    parts = _attachments(flat)
    body = parts[0][0].blocks if parts else []
    clean = [Block(b.kind, b.source, LEAD_MARKS.sub("", b.text).strip("* "), b.style, b.table)
             for b in body if b.kind == "table" or not is_furniture(b.text)]
    clean = [b for b in clean if b.kind == "table" or b.text]
    printed, taken = _leading_labels(clean)  # a page's box the document kept as text
    clean = clean[taken:]
    fields = {**printed, **notice.metadata.fields}
    text_title, doc_no = title_of(clean)
    text_title = text_title if _valid_title(text_title) else ""
    page_titles = [t for t in (*_page_fact(fields, "title"), notice.metadata.heading) if t and _valid_title(t) and _names_a_kind(t)]
    page_title = page_titles[0] if page_titles else ""
    leading = re.sub(r"\s+", "", " ".join(b.text for b in clean[:12] if b.kind != "table"))[:3000]
    named = bool(wording().structure.issuer_before.match(page_title))  # the page's title names its issuer: it is whole
    if text_title and (not page_title or (re.sub(r"\s+", "", page_title) in re.sub(r"\s+", "", text_title) and not named)):
        title = text_title  # the page's title without the issuer the text's has
    elif page_title and re.sub(r"\s+", "", page_title) in leading:
        title = page_title  # printed, but wrapped or run into page furniture
    else:
        title = text_title or page_title
    title = re.sub(r"\s+", " ", title).strip()
    doc_no = doc_no or _doc_no_before(clean, title) or next((n for n in map(_doc_no, _page_fact(fields, "doc_no")) if n), "")
    m = wording().structure.issuer_before.match(title)
    issuer = m.group("issuer") if m and _valid_issuer(m.group("issuer")) else ""
    issued_on, signer = _issued_on(clean)
    if not issued_on:  # run-on text: its signature, read from the words around the date
        issued_on, signer = _signed_in_run_on(clean)
    issued_on = issued_on or next((d for d in map(_date_of, _page_fact(fields, "issued_on")) if d), None)
    issuer = issuer or signer or next(iter(_page_fact(fields, "issuer")), "")
    head = Header(title, issuer, issued_on, doc_no, list(notice.metadata.attachments))
    return head if issuer else replace(head, **_lead(clean))


LEAD_BLOCKS, LEAD_CHARS = 12, 3000  # the first paragraphs of a body: where a notice says what it is for and where


def _lead(blocks: list[Block]) -> dict[str, str]:
    """A notice's opening — its first paragraph that holds a sentence, which says why and on what
    basis it is made — and its first paragraphs: where its place is read when it prints no issuer."""
    texts: list[str] = []
    for b in blocks:
        t = b.text.strip()
        if b.kind == "table" or not t:
            continue
        if texts and not PARAGRAPH_END.search(texts[-1]) and not leading_marker(t):
            texts[-1] += t  # a paragraph a line or page break cut (结合我 | 市实际): one again
        elif len(texts) == LEAD_BLOCKS:
            break
        else:
            texts.append(t)
    opening = next((t for t in texts if SENTENCE_IN.search(t)), "")
    return {"opening": opening, "lead": "\n".join(texts)[:LEAD_CHARS]}


def _valid_issuer(text: str) -> bool:
    return 2 <= len(text) <= 60 and not re.search(r"[〔〕《》：:]", text) and not leading_marker(text)


def _doc_no_before(blocks: list[Block], title: str) -> str:
    """A 文号 a page printed above the title where the text runs on (…QQ空间 岚综管办〔2016〕88号
    标题 各有关单位：…): looked for before the title's last printing ahead of the first sentence."""
    if not title:
        return ""
    lead = ""
    for b in blocks[:40]:
        if b.kind != "table":
            lead += " " + b.text
            if re.search(r"[。！？]", b.text):
                break
    lead = re.split(r"[。！？]", lead)[0]
    found = list(re.finditer(_loose(title), lead))
    return _doc_no(lead[:found[-1].start()]) if found else ""


def _date_of(text: str) -> str | None:
    m = wording().structure.page_date.search(text)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat() if m else None
    except ValueError:
        return None


def _issued_on(blocks: list[Block]) -> tuple[str | None, str]:
    """(date, signer): the date line nearest the end of the body with the signature lines above it."""
    st = wording().structure
    for i in range(len(blocks) - 1, -1, -1):
        b = blocks[i]
        m = st.date_line.match(b.text.strip()) if b.kind != "table" else None
        if m:
            names: list[str] = []
            for above in reversed(blocks[max(0, i - 8):i]):
                t = above.text.strip()
                if above.kind == "table" or SENTENCE_END.search(t) or len(t) > 60 or not _valid_issuer(t) or NUMBERED.match(t):
                    break
                names[:0] = t.split()
            return _date_of(m.group(0)), "、".join(names) if names and all(_valid_issuer(n) for n in names) else ""
    return None, ""


def _signed_in_run_on(blocks: list[Block]) -> tuple[str | None, str]:
    """(date, signer) in run-on text: the first date that signs (not one a sentence speaks of),
    with the words between it and the sentence before."""
    st = wording().structure
    for b in blocks:
        if b.kind == "table":
            continue
        m = st.signature_date.search(b.text)
        if m:
            before = re.split(r"[。！？；;：:]", b.text[:m.start()])[-1].split()
            return _date_of(m.group(0)), "、".join(before) if before and all(_valid_issuer(n) and len(n) <= 30 for n in before) else ""
    return None, ""
