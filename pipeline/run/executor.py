"""Where a run's per-notice work runs: one interface for the two kinds of work the stages hand
out, so that a cluster's executor is one more class beside the local one, not a second set of
pools.

    isolated(jobs, limits) -> (key, Ended) as each ends   each job in a process of its own, within a time and memory limit
    map(fn, items) -> Done(index, item, result, error)    fn over many items in worker processes, as each ends

Extraction on its own (`python -m pipeline extract`) uses `isolated` (a file may crash, hang or
exhaust its reader); outline, structure and normalize on their own use `map`, and so does a whole
run: one task per notice through every stage (run/notices.py), its extraction in a process of
its own (`isolate`). The stages say what a job is and what its end means; an executor says only
where it runs and how it ended.

The local executor (the default; the standard library only) runs both on this machine:
`isolated` forks one process per job, `jobs` at a time — its own process group (a time-out stops
it with anything it started, LibreOffice included), its memory capped (RLIMIT_AS), and it dies
with the run; `map` forks a pool when there are enough items for forking to pay, and a worker
killed from outside (the OOM killer) does not stop the stage: the items it held are done here.
The Dask executor (run/cluster.py, the `dist` extra) runs the same functions on a cluster's workers;
run/executors.py picks the one a run's settings ask for.
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
from typing import Any, Generic, Protocol, TypeVar

from ..lock import release_in_child

log = logging.getLogger("pipeline")

# How an item's error begins when the process running it died each time it was tried (a
# cluster's worker, killed or out of memory), not an exception of its own.
WORKER_DIED = "its worker process died"

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


@dataclass(frozen=True)
class Done(Generic[T, R]):
    """One item of a map, ended: its place in the items, the item as `fn` left it (in a worker's
    copy: what it changed comes back), its result or None, and the error that stopped it or ""."""

    index: int
    item: T
    result: R | None
    error: str


class Executor(Protocol):
    def isolated(self, jobs: Sequence[tuple[str, Callable[[], None]]], limits: Limits) -> Iterator[tuple[str, Ended]]:
        """Each job in a process of its own, within `limits`; (its key, how it ended) as each ends.
        A job says what it did through the files it writes."""
        ...

    def map(self, fn: Callable[[T], R], items: Sequence[T], names: Callable[[T], str] | None = None) -> Iterator[Done[T, R]]:
        """`fn` over `items`, as each ends. An exception is that item's error (never tried again).
        `names` names an item's task where the executor shows tasks (a cluster's dashboard)."""
        ...

    def close(self) -> None:
        """Everything the executor started is stopped (a cluster it started, closed)."""
        ...


class LocalExecutor:
    PARALLEL_FROM = 16  # items: fewer go through in this process (forking a pool costs more than it saves)

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def close(self) -> None:
        pass

    # --- one process per job -------------------------------------------------------------------

    def isolated(self, jobs: Sequence[tuple[str, Callable[[], None]]], limits: Limits) -> Iterator[tuple[str, Ended]]:
        gc.collect()
        gc.freeze()  # what the children inherit stays out of their collections (and its pages unwritten)
        queue = list(jobs)
        running: dict[str, tuple[mp.process.BaseProcess, float]] = {}
        try:
            while queue or running:
                while queue and len(running) < self.workers:
                    key, job = queue.pop(0)
                    running[key] = (_start(job, limits), time.monotonic())
                time.sleep(0.01)
                for key, (p, t0) in list(running.items()):
                    elapsed = time.monotonic() - t0
                    if p.is_alive() and elapsed <= limits.timeout:
                        continue
                    del running[key]
                    yield key, _ended(p, elapsed)
        finally:
            for p, _ in running.values():
                _kill_group(p)
            gc.unfreeze()

    # --- a pool over many items ----------------------------------------------------------------

    def map(self, fn: Callable[[T], R], items: Sequence[T], names: Callable[[T], str] | None = None) -> Iterator[Done[T, R]]:
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
                    yield Done(given, item, out, error)
                    given += 1
        except BrokenProcessPool:
            log.warning("a worker process died (killed from outside?) after %d of %d notice(s): the other %d are done in this process",
                        given, len(items), len(items) - given)
        finally:
            _FN = None
            gc.unfreeze()
        if given < len(items):
            yield from _here(fn, items[given:], given)


_FN: Callable[[Any], Any] | None = None  # the function of the map under way, set before its workers fork


def _in_worker(item: T) -> tuple[T, Any, str]:
    assert _FN is not None
    return call(_FN, item)


def call(fn: Callable[[T], R], item: T) -> tuple[T, R | None, str]:
    """fn(item) as a map's worker runs it: an exception is the item's error, said in one line."""
    try:
        return item, fn(item), ""
    except Exception as exc:  # the caller reports it, with the item
        log.debug("%s", item, exc_info=True)
        return item, None, f"{type(exc).__name__}: {exc}"


def _here(fn: Callable[[T], R], items: Sequence[T], first: int = 0) -> Iterator[Done[T, R]]:
    for i, item in enumerate(items, first):
        yield Done(i, *call(fn, item))


# --- a process of its own -----------------------------------------------------------------------

def isolate(job: Callable[[], None], limits: Limits) -> Ended:
    """One job in a process of its own, within `limits`, waited for here: how a task of a map runs
    a notice's extraction (in a cluster's worker too, which must not be daemonic to fork)."""
    t0 = time.monotonic()
    p = _start(job, limits)
    p.join(limits.timeout)
    return _ended(p, time.monotonic() - t0)


def _start(job: Callable[[], None], limits: Limits) -> mp.process.BaseProcess:
    p = mp.get_context("fork").Process(target=_child, args=(job, limits.memory_mb), daemon=True)
    p.start()
    return p


def _ended(p: mp.process.BaseProcess, elapsed: float) -> Ended:
    """A job's process past its end or its time: stopped with its group (past its time, or
    anything it started and left behind), and how it ended."""
    timed_out = p.is_alive()
    if not timed_out:
        p.join()
    _kill_group(p)
    return Ended(None if timed_out else p.exitcode, timed_out, elapsed)


def _child(job: Callable[[], None], memory_mb: int) -> None:
    """An isolated job's process: a group of its own, a memory cap, no lock of the run's, and it
    dies with the process that started it (Linux), though it leads its own group."""
    os.setsid()
    # A child lives for one job: collect garbage rarely (a PDF's reader makes millions of
    # short-lived objects and few cycles), and never walk what it inherited (frozen here, a
    # splice of lists, in case its parent did not freeze it before the fork).
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    release_in_child()
    if memory_mb:
        import resource

        # Counted from what the child starts with (its parent's address space, which a cluster's
        # worker makes larger than this machine's run does): the limit is the memory the job
        # itself may take, the same wherever it runs.
        limit = _address_space() + (memory_mb << 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    job()


def _address_space() -> int:
    """This process's virtual memory, in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _kill_group(p: mp.process.BaseProcess) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)  # type: ignore[arg-type]
    p.join()
