"""`--select`: the notices a run works on, as dbt selects models.

    <id>             a notice by its id (its file's name without the extension)
    <glob>           ids or file names matching a shell pattern: 'sd-*', '*.pdf'
    state:modified   notices new or changed in raw/ since the last publish (their bytes are not
                     what curated's manifest records, or it does not list them)

Several selectors select every notice any of them selects. A selector of an id or a pattern that
selects nothing is refused (a typo would otherwise run nothing without a word); state:modified
may select nothing. What becomes of the notices left out is the gate's to decide
(publish.gate.decide: curated/ keeps what it holds of them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

from ..errors import Refused

STATES = {"state:modified": "notices new or changed in raw/ since the last publish"}


def check(selectors: Iterable[str]) -> None:
    """Refuses a `state:` selector there is none of, before anything runs."""
    for s in selectors:
        if s.startswith("state:") and s not in STATES:
            raise Refused("--select", f"{s} is no selector; there are ids, shell patterns and {', '.join(STATES)}")


def modified(notices: Iterable[tuple[str, str, str]], published: Mapping[str, str]) -> set[str]:
    """The notices whose bytes are not the ones last published: (id, file, sha256) each,
    against id -> sha256 as the manifest records them."""
    return {nid for nid, _, sha in notices if published.get(nid) != sha}


def select(notices: list[tuple[str, str, str]], selectors: Iterable[str], published: Mapping[str, str]) -> set[str]:
    """The ids of `notices` ((id, file, sha256) each) that `selectors` select."""
    check(selectors)
    chosen: set[str] = set()
    for s in selectors:
        if s == "state:modified":
            chosen |= modified(notices, published)
            continue
        hit = {nid for nid, name, _ in notices if nid == s or fnmatchcase(nid, s) or fnmatchcase(name, s)}
        if not hit:
            raise Refused("--select", f"{s} matches no notice in raw/ (an id is a file's name without its extension)")
        chosen |= hit
    return chosen
