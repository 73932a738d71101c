"""Where a run's per-notice work runs: one interface for the two kinds of work the stages hand
out, so that another executor (a cluster's) is one more class beside the local one, not a
second set of pools.

    isolated(jobs, limits) -> (key, Ended) as each ends   each job in a process of its own, within a time and memory limit
    map(fn, items) -> (item, result, error) in order      fn over many items in worker processes

Extraction uses `isolated` (a file may crash, hang or exhaust its reader); outline, structure
and normalize use `map`. The stages say what a job is and what its end means; an executor says
only where it runs and how it ended.

The local executor (the default; the standard library only) runs both on this machine:
`isolated` forks one process per job, `jobs` at a time — its own process group (a time-out stops
it with anything it started, LibreOffice included), its memory capped (RLIMIT_AS), and it dies
with the run; `map` forks a pool when there are enough items for forking to pay, and a worker
killed from outside (the OOM killer) does not stop the stage: the items it held are done here.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..lock import release_in_child

log = logging.getLogger("pipeline")

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Limits:
    timeout: float  # seconds a job may run
    memory_mb: int  # memory a job may use (0: no limit)


@dataclass(frozen=True)
class Ended:
    """How an isolated job's process ended."""

    exitcode: int | None  # 0 when it finished; negative: the signal that ended it
    timed_out: bool  # stopped, with its process group, past the time limit
    seconds: float


class Executor(Protocol):
    def isolated(self, jobs: Sequence[tuple[str, Callable[[], None]]], limits: Limits) -> Iterator[tuple[str, Ended]]:
        """Each job in a process of its own, within `limits`; (its key, how it ended) as each ends.
        A job says what it did through the files it writes."""
        ...

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[T, R | None, str]]:
        """`fn` over `items`, in order: (the item as `fn` left it, its result or None, the error
        that stopped it or "")."""
        ...


class LocalExecutor:
    PARALLEL_FROM = 16  # items: fewer go through in this process (forking a pool costs more than it saves)

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    # --- one process per job -------------------------------------------------------------------

    def isolated(self, jobs: Sequence[tuple[str, Callable[[], None]]], limits: Limits) -> Iterator[tuple[str, Ended]]:
        ctx = mp.get_context("fork")
        gc.collect()
        gc.freeze()  # what the children inherit stays out of their collections (and its pages unwritten)
        queue = list(jobs)
        running: dict[str, tuple[mp.process.BaseProcess, float]] = {}
        try:
            while queue or running:
                while queue and len(running) < self.workers:
                    key, job = queue.pop(0)
                    p = ctx.Process(target=_child, args=(job, limits.memory_mb), daemon=True)
                    p.start()
                    running[key] = (p, time.monotonic())
                time.sleep(0.01)
                for key, (p, t0) in list(running.items()):
                    elapsed = time.monotonic() - t0
                    if p.is_alive() and elapsed <= limits.timeout:
                        continue
                    timed_out = p.is_alive()
                    if not timed_out:
                        p.join()
                    _kill_group(p)  # past its time, or anything it started and left behind
                    del running[key]
                    yield key, Ended(None if timed_out else p.exitcode, timed_out, elapsed)
        finally:
            for p, _ in running.values():
                _kill_group(p)
            gc.unfreeze()

    # --- a pool over many items ----------------------------------------------------------------

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[T, R | None, str]]:
        global _FN
        if self.workers <= 1 or len(items) < self.PARALLEL_FROM:
            yield from _here(fn, items)
            return
        _FN = fn  # inherited by the forked workers: nothing to pickle but the items
        gc.collect()
        gc.freeze()
        given = 0
        try:
            with ProcessPoolExecutor(self.workers, mp_context=mp.get_context("fork")) as pool:
                for item, out, error in pool.map(_in_worker, items, chunksize=4):
                    given += 1
                    yield item, out, error
        except BrokenProcessPool:
            log.warning("a worker process died (killed from outside?) after %d of %d notice(s): the other %d are done in this process",
                        given, len(items), len(items) - given)
        finally:
            _FN = None
            gc.unfreeze()
        if given < len(items):
            yield from _here(fn, items[given:])


_FN: Callable[[Any], Any] | None = None  # the function of the map under way, set before its workers fork


def _in_worker(item: T) -> tuple[T, Any, str]:
    try:
        assert _FN is not None
        return item, _FN(item), ""
    except Exception as exc:  # the caller reports it, with the item
        return item, None, f"{type(exc).__name__}: {exc}"


def _here(fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[T, R | None, str]]:
    for item in items:
        try:
            yield item, fn(item), ""
        except Exception as exc:
            log.debug("%s", item, exc_info=True)
            yield item, None, f"{type(exc).__name__}: {exc}"


def _child(job: Callable[[], None], memory_mb: int) -> None:
    """An isolated job's process: a group of its own, a memory cap, no lock of the run's, and it
    dies with the run (Linux), though it leads its own group."""
    os.setsid()
    # A child lives for one job: collect garbage rarely (a PDF's reader makes millions of
    # short-lived objects and few cycles), and never walk what it inherited (frozen before fork).
    gc.set_threshold(100_000, 50, 1000)
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    release_in_child()
    if memory_mb:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    job()


def _kill_group(p: mp.process.BaseProcess) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)  # type: ignore[arg-type]
    p.join()


def executor_for(workers: int) -> Executor:
    """The executor a run uses: this machine's, with `workers` processes (0: one per core)."""
    return LocalExecutor(workers or mp.cpu_count() or 1)
