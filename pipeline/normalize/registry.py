"""The department registry: canonical names, their aliases, jurisdiction and kind (data).

Kept as CSV under expectations/reference/ so the data team extends it without code:
    departments.csv   canonical, aliases (| separated), jurisdiction, kind
    jurisdictions.csv jurisdiction, parent, aliases (| separated)
A surface name resolves in the notice's own jurisdiction first, then in its parents.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..wording import wording
from .departments import canonical_form

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "expectations" / "reference"


@dataclass(frozen=True)
class Entry:
    canonical: str
    jurisdiction: str
    kind: str


@dataclass
class Conflict:
    surface: str
    jurisdiction: str
    canonicals: tuple[str, ...]


class Registry:
    def __init__(self, entries: dict[tuple[str, str], list[Entry]], parents: dict[str, str], aliases: dict[str, str], fingerprint: str) -> None:
        self._entries = entries  # (jurisdiction, folded surface) -> entries
        self._parents = parents
        self._jur_aliases = aliases  # alias -> jurisdiction
        self.fingerprint = fingerprint

    @staticmethod
    def load(folder: Path = DEFAULT_DIR) -> Registry:
        h = hashlib.sha256()
        entries: dict[tuple[str, str], list[Entry]] = {}
        parents: dict[str, str] = {}
        aliases: dict[str, str] = {}
        jpath, dpath = folder / "jurisdictions.csv", folder / "departments.csv"
        if jpath.exists():
            h.update(jpath.read_bytes())
            for r in csv.DictReader(jpath.open(encoding="utf-8")):
                j = r["jurisdiction"].strip()
                parents[j] = (r.get("parent") or "").strip()
                for a in [j, *(r.get("aliases") or "").split("|")]:
                    if a.strip():
                        aliases[a.strip()] = j
        if dpath.exists():
            h.update(dpath.read_bytes())
            for r in csv.DictReader(dpath.open(encoding="utf-8")):
                e = Entry(r["canonical"].strip(), (r.get("jurisdiction") or "").strip(), (r.get("kind") or "").strip())
                for surface in {e.canonical, *(a.strip() for a in (r.get("aliases") or "").split("|") if a.strip())}:
                    lst = entries.setdefault((e.jurisdiction, canonical_form(surface)), [])
                    if e not in lst:
                        lst.append(e)
        return Registry(entries, parents, aliases, h.hexdigest()[:16])

    def jurisdiction_of(self, *texts: str) -> str:
        """The jurisdiction a notice speaks for: the longest known name its issuer or title starts with."""
        for text in texts:
            hits = [a for a in self._jur_aliases if text and text.startswith(a)]
            if hits:
                return self._jur_aliases[max(hits, key=len)]
        return ""

    def chain(self, jurisdiction: str) -> list[str]:
        out, seen = [], set()
        j = jurisdiction
        while j and j not in seen:
            out.append(j)
            seen.add(j)
            j = self._parents.get(j, "")
        out.append("")  # national or unspecified entries last
        return out

    def resolve(self, name: str, jurisdiction: str) -> Entry | None:
        key = canonical_form(name)
        for j in self.chain(jurisdiction):
            found = self._entries.get((j, key))
            if found:
                return found[0]
        return None

    def fallback_canonical(self, name: str, jurisdiction: str) -> str:
        """For a name not in the registry: 市X in a city's notice is <city>X; else the name."""
        city = wording().departments.fallback
        if jurisdiction.endswith(city.city) and name.startswith(city.city) and not name.startswith(city.not_the_city):
            return jurisdiction + name[len(city.city):]
        return canonical_form(name)

    def conflicts(self) -> list[Conflict]:
        """Surface names that map to two canonical names within one jurisdiction."""
        return [Conflict(s, j, tuple(sorted({e.canonical for e in es})))
                for (j, s), es in sorted(self._entries.items()) if len({e.canonical for e in es}) > 1]
