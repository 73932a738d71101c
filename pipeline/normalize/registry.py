"""The department registry: canonical names, their aliases, jurisdiction and kind (data).

Kept as CSV under expectations/reference/ so the data team extends it without code:
    jurisdictions.csv  jurisdiction, parent, level (national, province, city, county), aliases and
                       short name: the country, its provinces, cities and counties (the national
                       statistics office's division codes) and the areas a team adds
    national.csv       the national bodies (the State Council's ministries, commissions, directly
                       affiliated agencies, the national bureaus, the Party's central departments,
                       the people's organizations, and the bodies of earlier years with the year
                       they went): canonical name, aliases (short forms), category, kind, until
    templates.csv      a local government's standard departments: function, the levels that have
                       it, its full name and short forms, kind. Its canonical name in a place is
                       the place's name and the full name (市教委 in a Guangzhou notice →
                       广州市教育委员会)
    departments.csv    particular bodies: canonical, aliases, jurisdiction, kind
A notice's name resolves, in this order:
    1. departments.csv, in the notice's jurisdiction first, then its parents;
    2. as written, with no place or level (发展改革委, 市场监管局, 财政部): a national body in a
       national notice; in a local notice the standard department of the notice's own
       jurisdiction, or of the nearest parent whose level has it (教育厅 in a city's notice is the
       province's), else a national body whose name no local department shares (财政部); in a
       notice whose jurisdiction is unknown only a national body whose name no local department
       shares;
    3. opening with a place (济南市政府, 崂山区财政局): that place's standard department (a county's
       name that several cities share is the one nearest the notice's jurisdiction);
    4. opening with a level word (市教委, 区市场监管局, 省财政厅 — wording/departments.toml
       [registry]): the standard department of the nearest jurisdiction of the notice whose name
       ends with that word.
A name's canonical form depends on its own words and its notice's jurisdiction only, never on the
other notices of a run.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from ..wording import wording
from .departments import canonical_form

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "expectations" / "reference"
NATIONAL = "national"
CJK = re.compile(r"[\u4e00-\u9fff]+")
QUOTED_TITLE = re.compile(r"《[^《》]*》")  # another document's title: the place it names is its issuer's


@dataclass(frozen=True)
class Entry:
    canonical: str
    jurisdiction: str
    kind: str


@dataclass(frozen=True)
class Template:
    """A local government's standard department: its full name after the place's name."""

    name: str
    levels: frozenset[str]
    kind: str


@dataclass(frozen=True)
class Place:
    name: str
    parent: str
    level: str


@dataclass
class Conflict:
    surface: str
    jurisdiction: str
    canonicals: tuple[str, ...]


def _split(cell: str | None) -> list[str]:
    return [a.strip() for a in (cell or "").split("|") if a.strip()]


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...


def _rows(path: Path, h: _Hasher) -> Iterator[dict[str, str]]:
    if path.exists():
        h.update(path.name.encode() + path.read_bytes())
        with path.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)


def _national_of(places: dict[str, Place]) -> str:
    return next((p.name for p in places.values() if p.level == NATIONAL), "")


@dataclass
class _Data:
    """What the registry's files hold, as read."""

    entries: dict[tuple[str, str], list[Entry]]  # (jurisdiction, folded surface) -> particular bodies
    national: dict[str, list[Entry]]  # folded surface -> national bodies
    templates: dict[str, list[Template]]  # folded surface -> standard local departments
    places: dict[str, Place]
    aliases: dict[str, list[str]]  # a place's name or alias -> the places it names
    shorts: dict[str, str]  # short name (济南) -> place


class Registry:
    def __init__(self, data: _Data, fingerprint: str, folder: Path | None = None) -> None:
        self._d = data
        self.national_jurisdiction = _national_of(data.places)
        # what an issuer speaking for the whole country opens with: the country's aliases and the
        # national bodies' names that no local department shares
        national_names = [s for s in data.national if s not in data.templates]
        self._issuer_national = {a for a, js in data.aliases.items() if self.national_jurisdiction in js} | set(national_names)
        self.fingerprint = fingerprint
        self.folder = folder  # where it was loaded from: the registry check reads it there

    @staticmethod
    def load(folder: Path = DEFAULT_DIR) -> Registry:
        h = hashlib.sha256()
        d = _Data({}, {}, {}, {}, {}, {})
        for r in _rows(folder / "jurisdictions.csv", h):
            p = Place(r["jurisdiction"].strip(), (r.get("parent") or "").strip(), (r.get("level") or "").strip())
            d.places[p.name] = p
            for a in {p.name, *_split(r.get("aliases"))}:
                d.aliases.setdefault(a, []).append(p.name)
            for s in _split(r.get("short")):
                d.shorts[s] = p.name
        country = _national_of(d.places)
        for r in _rows(folder / "national.csv", h):
            e = Entry(r["canonical"].strip(), country, (r.get("kind") or "").strip())
            for surface in {e.canonical, *_split(r.get("aliases"))}:
                d.national.setdefault(canonical_form(surface), []).append(e)
        for r in _rows(folder / "templates.csv", h):
            t = Template(r["name"].strip(), frozenset(_split(r.get("levels"))), (r.get("kind") or "").strip())
            for surface in {t.name, *_split(r.get("aliases"))}:
                d.templates.setdefault(canonical_form(surface), []).append(t)
        for r in _rows(folder / "departments.csv", h):
            e = Entry(r["canonical"].strip(), (r.get("jurisdiction") or "").strip(), (r.get("kind") or "").strip())
            for surface in {e.canonical, *_split(r.get("aliases"))}:
                lst = d.entries.setdefault((e.jurisdiction, canonical_form(surface)), [])
                if e not in lst:
                    lst.append(e)
        return Registry(d, h.hexdigest()[:16], folder)

    # --- the notice's jurisdiction ------------------------------------------------------------

    def jurisdiction_of(self, issuer: str | None, title: str | None = None) -> str:
        """The jurisdiction a notice speaks for, from its issuer, else its title: the country when
        the issuer is the State Council, the Party's centre or a national body; else the longest
        place either opens with; else a place the issuer opens with that the registry does not
        list (a name ending in a level word: 平潭综合实验区管委会); else the one place the title
        names (科创济南). "" when none says."""
        for text in (issuer, title):
            found = self._opening_place(text or "")
            if found:
                return found
        return self._unlisted_place(issuer or "") or self._named_place(title or "")

    def _opening_place(self, text: str) -> str:
        for n in range(min(len(text), 40), 1, -1):
            head = text[:n]
            if head in self._issuer_national:
                return self.national_jurisdiction
            places = self._d.aliases.get(head, [])
            if len(places) == 1:
                return places[0]
        return ""

    def _unlisted_place(self, issuer: str) -> str:
        words = wording().departments.registry
        lead = CJK.match(issuer)
        if not lead:
            return ""
        text = lead.group()
        for end in range(words.place_min, min(len(text), words.place_max)):
            word = next((w for w in words.words if text.startswith(w, end)), None)
            if word and end + len(word) < len(text) and not text.startswith(words.not_levels, end):
                return self._listed_end(text[: end + len(word)])
        return ""

    def _listed_end(self, place: str) -> str:
        """A place whose name ends with a listed place's (a word before it: 中共济南市) is that place."""
        listed = next((places[0] for i in range(1, len(place) - 1) if len(places := self._d.aliases.get(place[i:], [])) == 1), None)
        return listed or place

    def _named_place(self, title: str) -> str:
        return self._deepest(self._places_in(title) | {p for s, p in self._d.shorts.items() if s in title})

    def _places_in(self, text: str) -> set[str]:
        """The places a text names by a name or alias that names one place (the country aside)."""
        named = {p for a, ps in self._d.aliases.items() if len(ps) == 1 and len(a) > 1 and a in text for p in ps}
        named.discard(self.national_jurisdiction)
        return named

    def _deepest(self, named: set[str]) -> str:
        """The one place the others contain or lie above (济南市 of 山东省 and 济南市); "" when they part."""
        deepest = {p for p in named if not any(p != q and p in self.chain(q) for q in named)}
        return deepest.pop() if len(deepest) == 1 else ""

    def jurisdiction_in_text(self, opening: str, lead: str) -> str:
        """The place a notice whose issuer and title name none speaks for, from its text, or "":
        when its first paragraphs name their own jurisdiction by its level (结合我市实际: a city;
        departments.toml [registry] own), the one place of that level they name, every other
        place they name lying inside it or above it; else the one place its opening (the first
        paragraph that holds a sentence: why and on what basis it is made) names. Titles in 《》
        are left out: they name the issuers of other documents. A text that names its level but
        not one such place, or places that part, gives none: a wrong jurisdiction resolves names
        to another place's bodies, none leaves them unresolved."""
        lead, opening = QUOTED_TITLE.sub("", lead), QUOTED_TITLE.sub("", opening)
        own = wording().departments.registry.own_levels(lead)
        if not own:
            return self._deepest(self._places_in(opening))
        named = self._places_in(lead)
        mine = {p for p in named if self.level(p) in own}
        if len(own) != 1 or len(mine) != 1:
            return ""
        place = mine.pop()
        return place if all(p in self.chain(place) or place in self.chain(p) for p in named) else ""

    def chain(self, jurisdiction: str) -> list[str]:
        """The jurisdiction, its parents, the country, then "" (entries of no jurisdiction)."""
        out, seen = [], set()
        j = jurisdiction
        while j and j not in seen:
            out.append(j)
            seen.add(j)
            j = self._d.places[j].parent if j in self._d.places else ""
        if self.national_jurisdiction and self.national_jurisdiction not in seen:
            out.append(self.national_jurisdiction)
        out.append("")
        return out

    def level(self, jurisdiction: str) -> str:
        """national, province, city or county: as listed, else as its name ends."""
        place = self._d.places.get(jurisdiction)
        return place.level if place else wording().departments.registry.level_of(jurisdiction)

    def is_national(self, jurisdiction: str) -> bool:
        return bool(jurisdiction) and jurisdiction == self.national_jurisdiction

    def _local_chain(self, jurisdiction: str) -> list[str]:
        return [j for j in self.chain(jurisdiction) if j and not self.is_national(j)]

    # --- a name ---------------------------------------------------------------------------------

    def resolve(self, name: str, jurisdiction: str) -> Entry | None:
        key = canonical_form(name)
        for j in self.chain(jurisdiction):
            found = self._d.entries.get((j, key))
            if found:
                return found[0]
        return self._as_written(key, jurisdiction) or self._placed(key, jurisdiction) or self._levelled(key, jurisdiction)

    def _as_written(self, key: str, jurisdiction: str) -> Entry | None:
        """A name with no place or level: decided by the notice's issuer."""
        national = (self._d.national.get(key) or [None])[0]
        if self.is_national(jurisdiction):
            return national
        local = next((e for j in self._local_chain(jurisdiction) if (e := self._standard(key, j))), None)
        return local or (national if key not in self._d.templates else None)

    def _standard(self, key: str, place: str) -> Entry | None:
        """The place's standard department that a name without its place's words writes."""
        level = self.level(place)
        t = next((t for t in self._d.templates.get(key, []) if level in t.levels), None)
        return Entry(place + t.name, place, t.kind) if t else None

    def _placed(self, key: str, jurisdiction: str) -> Entry | None:
        """A name opening with a place's name (济南市政府, 崂山区财政局)."""
        for n in range(min(len(key) - 1, 40), 1, -1):
            places = [p for p in self._d.aliases.get(key[:n], []) if not self.is_national(p)]
            place = self._nearest(places, jurisdiction)
            if place:
                return self._standard(key[n:], place)
        return None

    def _nearest(self, places: list[str], jurisdiction: str) -> str:
        """Of places sharing a name, the one whose parents meet the notice's jurisdiction's first."""
        if len(places) <= 1:
            return places[0] if places else ""
        mine = self._local_chain(jurisdiction)
        depth = {p: next((i for i, j in enumerate(mine) if j in self.chain(p)), len(mine)) for p in places}
        best = min(depth.values())
        nearest = [p for p, d in depth.items() if d == best]
        return nearest[0] if best < len(mine) and len(nearest) == 1 else ""

    def _level_split(self, key: str, jurisdiction: str) -> tuple[str, str] | None:
        """A name opening with a level word: the jurisdiction of the notice it names, and the rest."""
        words = wording().departments.registry
        if key.startswith(words.not_levels):
            return None
        word = next((w for w in words.words if key.startswith(w) and len(key) > len(w)), None)
        if word is None:
            return None
        place = next((j for j in self._local_chain(jurisdiction) if j.endswith(word)), None)
        return (place, key[len(word):]) if place else None

    def _levelled(self, key: str, jurisdiction: str) -> Entry | None:
        split = self._level_split(key, jurisdiction)
        return self._standard(split[1], split[0]) if split else None

    def fallback_canonical(self, name: str, jurisdiction: str) -> str:
        """For a name not in the registry, the canonical name to suggest: one opening with a level
        word is that jurisdiction's (市商务局 in a Tianjin notice → 天津市商务局); else the name."""
        key = canonical_form(name)
        split = self._level_split(key, jurisdiction)
        return split[0] + split[1] if split else key

    def conflicts(self) -> list[Conflict]:
        """Surface names that map to two canonical names within one jurisdiction, two national
        bodies, or two standard departments of one level."""
        out = [Conflict(s, j, tuple(sorted({e.canonical for e in es})))
               for (j, s), es in sorted(self._d.entries.items()) if len({e.canonical for e in es}) > 1]
        out += [Conflict(s, self.national_jurisdiction, tuple(sorted({e.canonical for e in es})))
                for s, es in sorted(self._d.national.items()) if len({e.canonical for e in es}) > 1]
        for s, ts in sorted(self._d.templates.items()):
            for level in sorted({lv for t in ts for lv in t.levels}):
                names = tuple(sorted({t.name for t in ts if level in t.levels}))
                if len(names) > 1:
                    out.append(Conflict(s, level, names))
        return out


def registry_at(folder: Path) -> Registry:
    """The registry in `folder`, read once per process however many stages and checks need it
    (the validate stage and the registry check among them: the registry is thousands of rows),
    keyed on its files' bytes so that an edited file is read again."""
    folder = folder.resolve()
    key = tuple((f.name, f.read_bytes()) for f in sorted(folder.glob("*.csv")))
    return _registry_of(folder, key)


@cache
def _registry_of(folder: Path, key: tuple) -> Registry:
    return Registry.load(folder)
