"""The gate: whether the candidate tables may be published at all (their validation names them
and the registry)."""

from __future__ import annotations


def unvalidated(validation: dict, tables_hash: str, registry: str) -> tuple[str, str] | None:
    """Why the candidate tables may not be published as validated: what is wrong ("tables" or
    "registry") and the words; None when they may. The validation must name these very tables
    and the registry it checked them with, whatever run wrote it: a run that found nothing changed
    saved one naming neither, and a publish after another `normalize` skipped the check."""
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
