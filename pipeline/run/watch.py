"""`watch`: run, then run again whenever raw/, the wording, the registry or the suites change, for
the person who edits a wording file and looks at what it does. In the foreground, until Ctrl-C.

Changes are found by polling `stat` (names, sizes, times, inodes) every `interval` seconds: the
standard library only, and it works where file-system events do not (network mounts, containers'
bind mounts); a few thousand files cost milliseconds a poll. A change is acted on once two polls
in a row agree (a file still being copied is not read half-written).

The libraries a run uses are imported once, here; each run is a fork of this process, so it
starts warm yet reads the wording, the registry and the code's fingerprint afresh: whatever a run
derives from them (the wording's tables, jieba's words, every cache built on them) leaves with
it. When the pipeline's own code changes, the watcher starts itself again (the code that runs
must be the code the cache keys describe).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from ..logs import event
from ..wording import folder as wording_folder
from .state import Config

log = logging.getLogger("pipeline")

PACKAGE = Path(__file__).resolve().parent.parent
Snapshot = dict[str, tuple[int, int, int]]


def _stat(paths: list[Path]) -> Snapshot:
    out: Snapshot = {}
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            continue  # gone between the listing and the stat: the next poll sees it gone
        out[str(p)] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def _entries(folder: Path, pattern: str = "*") -> list[Path]:
    try:
        return sorted(folder.glob(pattern))
    except OSError:
        return []


def inputs(cfg: Config) -> Snapshot:
    """What the tables are made from: the entries of raw/ (a file added, changed, renamed or
    removed), the wording files, the registry's and the suites' files."""
    return _stat([*_entries(cfg.raw), *_entries(wording_folder(), "*.toml"), *_entries(cfg.registry, "*.csv"),
                  *_entries(cfg.expectations, "*.json")])


def code() -> Snapshot:
    return _stat(sorted(PACKAGE.rglob("*.py")))


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """The paths added, changed or removed, for the line that says why the run starts again."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def warm() -> None:
    """Import once what every run would import: each run's fork starts with them."""
    import jieba.posseg  # noqa: F401
    import jinja2  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    from .. import validate  # noqa: F401  # pandas, and the level of GX's logger, before GX is imported
    from . import extracting, stages  # noqa: F401

    import great_expectations  # noqa: F401  # isort: skip


def in_fork(command: Callable[[], int]) -> int:
    """`command()` in a fork of this process; its exit code."""
    sys.stdout.flush()
    sys.stderr.flush()
    gc.collect()
    gc.freeze()  # what the fork inherits stays out of its collections (and its pages shared)
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            code = command()
        except KeyboardInterrupt:
            code = 130
        except BaseException:
            traceback.print_exc()
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    gc.unfreeze()
    while True:
        try:
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        except KeyboardInterrupt:
            continue  # Ctrl-C reached the run too (one process group): it ends, then so does the watcher


def watch(cfg: Config, command: Callable[[], int], interval: float = 1.0, argv: list[str] | None = None) -> int:
    """Run `command` now and after every change of the inputs, until Ctrl-C; returns 0 then. When
    the pipeline's code changes, this process is replaced by a new one with `argv` (a `python -m
    pipeline` command line)."""
    warm()
    known_code = code()
    try:
        while True:
            exit_code = in_fork(command)
            seen = inputs(cfg)
            log.info("watch: the run ended with exit code %d; watching %s, the wording, the registry and the suites (every %g s; Ctrl-C to stop)",
                     exit_code, cfg.raw, interval, extra=event("watch.waiting", exit_code=exit_code))
            while True:
                time.sleep(interval)
                if code() != known_code:
                    log.info("watch: the pipeline's code changed: starting again", extra=event("watch.restart"))
                    os.execv(sys.executable, [sys.executable, "-m", "pipeline", *(argv if argv is not None else sys.argv[1:])])
                now = inputs(cfg)
                if now == seen:
                    continue
                time.sleep(interval)  # settled: the same on the next poll (a copy in progress is not read)
                settled = inputs(cfg)
                if settled != now:
                    continue
                what = changes(seen, settled)
                log.info("watch: %s%s changed: running again", ", ".join(what[:3]), f" and {len(what) - 3} more" if len(what) > 3 else "",
                         extra=event("watch.changed", paths=what))
                break
    except KeyboardInterrupt:
        log.info("watch: stopped", extra=event("watch.stopped"))
        return 0
