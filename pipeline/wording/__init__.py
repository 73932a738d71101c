"""Wording quirks of Chinese notices, kept as data (one TOML file per concern)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


def _load(name: str) -> dict[str, Any]:
    with resources.files(__package__).joinpath(f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Wording:
    columns: dict[str, Any]
    roles: dict[str, Any]
    deadlines: dict[str, Any]
    departments: dict[str, Any]
    structure: dict[str, Any]


@cache
def wording() -> Wording:
    """The wording tables, read once per process (they are read-only)."""
    return Wording(**{n: _load(n) for n in ("columns", "roles", "deadlines", "departments", "structure")})


def fingerprint() -> str:
    """A hash of every wording table: a change to any of them re-runs normalization."""
    import hashlib

    h = hashlib.sha256()
    for name in sorted(("columns", "roles", "deadlines", "departments", "structure")):
        h.update(resources.files(__package__).joinpath(f"{name}.toml").read_bytes())
    return h.hexdigest()[:16]
