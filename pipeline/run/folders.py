"""The folders a run reads and writes must lie apart: interim/ pruned while it holds raw/ deleted
the user's notices, and reports/ inside raw/ would be read as notices. Checked before any folder
is touched."""

from __future__ import annotations

import os
from pathlib import Path

from ..publish import store
from .state import Config


def _where(path: Path, leaf: bool = True) -> Path:
    """Where a folder really is: links resolved (a raw/ that links into interim/ is inside it),
    except the last step when it is `curated`, the link the pipeline itself switches."""
    if leaf:
        return Path(os.path.realpath(path))
    return Path(os.path.realpath(Path(os.path.abspath(path)).parent)) / path.name


def check_folders(cfg: Config) -> tuple[Path, str] | None:
    """None when raw/, interim/, curated (and its versions beside it) and reports/ are folders
    apart; else the path and the line naming the two that meet and how."""
    named = [("raw", cfg.raw, _where(cfg.raw)), ("interim", cfg.interim, _where(cfg.interim)),
             ("curated", cfg.curated, _where(cfg.curated, leaf=False)),
             ("curated versions", store(cfg.curated), _where(store(cfg.curated))), ("reports", cfg.reports, _where(cfg.reports))]
    for i, (b, b_path, b_real) in enumerate(named):
        for a, a_path, a_real in named[i + 1:]:
            if a_real == b_real:
                how = "is"
            elif a_real.is_relative_to(b_real):
                how = "is inside"
            elif b_real.is_relative_to(a_real):
                how = "holds"
            else:
                continue
            return a_path, f"the {a} folder {how} the {b} folder {b_path}; raw, interim, curated and reports must be separate folders, none inside another"
    return None
