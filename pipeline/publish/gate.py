"""The gate: whether the candidate tables may be published at all (their validation names them
and the registry), and what a publish is to do — a pure decision, tested on its own:

    decide(results, previous) -> PublishPlan

The publish stage (run/publishing.py) only carries the plan out: it writes the version, or says
why it did not, and takes the exit code the plan gives for what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

EXIT_PUBLISHED, EXIT_HELD_BACK, EXIT_NOTHING = 0, 1, 2  # documented in the README
UNREADABLE = "unreadable: "  # what holds back a notice that could not be read, before why


@dataclass(frozen=True)
class Results:
    """What a run knows of its notices when it comes to publish."""

    notices: tuple[str, ...]  # every notice of the run
    candidates: frozenset[str]  # those in the candidate tables (read and normalized)
    held_back: Mapping[str, list[str]]  # notice -> the blocking rules its rows fail
    unreadable: Mapping[str, str]  # notice -> why it could not be read (or a stage failed on it)
    run_blocked: tuple[str, ...] = ()  # blocking failures that belong to no notice (a broken suite, a registry conflict)
    files_not_read: bool = False  # entries of raw/ refused, or a notice's other form that is another notice
    strict: bool = False  # all or nothing
    unselected: frozenset[str] = frozenset()  # notices of raw/ that --select left out of the run


@dataclass(frozen=True)
class Previous:
    """What `curated` holds: its notices with their rows' digests."""

    notices: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishPlan:
    verdict: str  # publish | blocked (a failure that stops every notice) | nothing (no notice passed)
    publish: tuple[str, ...]  # notices published from this run's rows
    keep: tuple[str, ...]  # held-back (or unselected) notices whose last published rows stay in curated/
    held: dict[str, list[str]]  # notice -> why it is held back: the rules it fails, or unreadable: …
    status: dict[str, str]  # notice -> published | held back
    reason: str = ""  # why nothing is published
    files_not_read: bool = False

    def exit_code(self, outcome: str) -> int:
        """The command's exit code once the plan is carried out: `outcome` is published or
        unchanged (curated/ holds the tables), or failed, blocked, nothing (it does not)."""
        if outcome in ("published", "unchanged"):
            return EXIT_HELD_BACK if self.held or self.files_not_read else EXIT_PUBLISHED
        return EXIT_NOTHING

    def notes(self, previous: Previous) -> list[str]:
        """A line per notice held back by its rows (unreadable ones were named already), saying
        what of it curated/ keeps."""
        return [line for _, line in self.notes_by_notice(previous)]

    def notes_by_notice(self, previous: Previous) -> list[tuple[str, str]]:
        """notes(), each with its notice."""
        out = []
        for nid, rules in sorted(self.held.items()):
            checks = [r for r in rules if not r.startswith(UNREADABLE)]
            if checks:
                kept = "its last published version stays in curated/" if nid in previous.notices else "nothing of it is in curated/"
                out.append((nid, f"held back {nid}: {'; '.join(checks)[:300]} ({kept})"))
        return out


def decide(results: Results, previous: Previous) -> PublishPlan:
    """One bad notice holds back only itself: a notice whose rows fail a blocking check, or that
    could not be read, keeps the version last published, and every other candidate is published.
    Nothing is published when a failure belongs to no notice, when --strict and any notice
    failed, or when no notice passed. A notice --select left out keeps what curated/ holds of it,
    as it is."""
    held = {nid: list(rules) for nid, rules in results.held_back.items()}
    for nid, why in results.unreadable.items():
        held.setdefault(nid, []).append(f"{UNREADABLE}{why}")
    good = results.candidates - set(held)
    if results.run_blocked or (results.strict and held) or not good:
        reason = ("; ".join(results.run_blocked) or ("--strict: a notice failed" if results.strict and held else "no notice passed"))
        return PublishPlan("blocked" if results.run_blocked or held else "nothing", (), (), held,
                           dict.fromkeys(results.notices, "held back"), reason, results.files_not_read)
    keep = tuple(sorted((set(held) & set(results.notices) | results.unselected) & set(previous.notices)))
    status = {nid: "held back" if nid in held else "published" for nid in results.notices}
    return PublishPlan("publish", tuple(sorted(good)), keep, held, status, "", results.files_not_read)


def unvalidated(validation: Mapping, tables_hash: str, registry: str) -> tuple[str, str] | None:
    """Why the candidate tables may not be published as validated: what is wrong ("tables" or
    "registry") and the words; None when they may. The validation must name these very tables
    and the registry it checked them with, whatever run wrote it: a publish after another
    `normalize` skipped the check."""
    again = "run `python -m pipeline validate` again"
    if not validation:
        return "tables", "the candidate tables were not validated: run `python -m pipeline validate` first"
    if not validation.get("tables_hash"):
        return "tables", f"the candidate tables' validation does not name the tables it checked: {again}"
    if validation["tables_hash"] != tables_hash:
        return "tables", f"the candidate tables changed since they were validated: {again}"
    if validation.get("registry") != registry:
        return "registry", "the candidate tables were validated with another registry: run `python -m pipeline normalize` and `validate` with this one first"
    return None
