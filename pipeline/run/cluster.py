"""The Dask executor (the `dist` extra): the executor interface on a Dask cluster's workers, for
runs past one machine. Imported only when `--executor dask` is asked for.

- No scheduler given: a LocalCluster on this machine, `--jobs` worker processes of one thread
  each, started with the run and closed after it. Otherwise the run connects to the scheduler's
  address (tcp://…) or its scheduler file, and leaves the cluster running.
- Every worker must read and write the run's folders at the same paths (a shared filesystem),
  and must not be daemonic (`distributed.worker.daemon: False`): a notice's extraction runs in
  a process the task forks, with its time and memory limits, as on this machine.
- A worker whose code, wording, library versions or Python differ from the driver's refuses to
  run (SameCode, a WorkerPlugin): every cache key depends on them.
- An exception is its item's error, never tried again (the task catches it). A worker that dies
  (killed, out of memory) has its tasks run again by Dask, up to `allowed-failures`; a task that
  still kills its worker is run once more alone after the others, and then is its item's error.
- At most IN_FLIGHT tasks per worker thread are on the cluster at once, fed as others end.
- A cluster that has had no worker for NO_WORKERS_FOR seconds while tasks wait (every worker died
  while starting, or none ever joined) stops the run, with a line naming the scheduler (exit 2),
  rather than leaving it waiting for ever.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing as mp
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed
from distributed.scheduler import KilledWorker

from ..errors import Refused
from ..libraries import library_versions
from ..wording import fingerprint as wording_fingerprint
from .cache import package_fingerprint
from .executor import WORKER_DIED, Done, Ended, Limits, call, isolate

log = logging.getLogger("pipeline")

T = TypeVar("T")
R = TypeVar("R")

IN_FLIGHT = 2  # tasks on the cluster per worker thread: one running, one ready to start as it ends
ALLOWED_FAILURES = 1  # a task's worker may die this many times before Dask gives up on it
# Seconds a run waits with tasks on the cluster, none ending and no worker alive, before it stops:
# time for a nanny to restart a worker many times over, or for a batch system to start one that
# was queued just before the run (start the workers first when the queue is longer).
NO_WORKERS_FOR = 300.0  # README and --help say 5 minutes
POLL = 2.0  # seconds between looks at the cluster while no task ends
CONFIG = {"distributed.worker.daemon": False,  # a task forks its notice's extraction
          "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
          "distributed.worker.profile.enabled": False,  # its stack sampling every 10 ms cost a tenth of a small run's CPU
          # what every worker, nanny and the scheduler do while tasks run (a look at the event loop
          # every 20 ms, at the machine every 0.5 s, at a worker's memory every 0.1 s, for tasks to
          # steal every 0.1 s) took 2 to 3 % of a core each, some 5 % of a 2-worker run's CPU;
          # queued tasks are not stolen, and a worker past its memory is still stopped, within 0.5 s
          "distributed.admin.tick.interval": "1s",
          "distributed.admin.system-monitor.interval": "2s",
          "distributed.worker.memory.monitor-interval": "500ms",
          "distributed.scheduler.work-stealing": False,
          # the logs kept for Dask's developers (the scheduler's transitions and events, the last
          # messages of every connection): at 1,000 entries each they held the specs of the last
          # thousands of tasks, a run's notices' among them, in the driver's process
          "distributed.admin.low-level-log-length": 100}


def fingerprints() -> dict[str, str]:
    """What a worker must share with the driver: every cache key depends on it."""
    return {"code": package_fingerprint(), "wording": wording_fingerprint(), "libraries": json.dumps(library_versions(), sort_keys=True),
            "python": platform.python_version()}


class SameCode(WorkerPlugin):
    """Refuses a worker whose code, wording, libraries or Python are not the driver's, or that is
    daemonic (it could not fork an extraction): it says why, and runs no notice."""

    name = "notice-pipeline-same-code"

    def __init__(self, driver: dict[str, str]) -> None:
        self.driver = driver

    def setup(self, worker: Any) -> None:
        mine = fingerprints()
        differ = [k for k, v in self.driver.items() if mine.get(k) != v]
        why = ""
        if differ:
            shown = ", ".join(f"{k} {mine.get(k, '-')[:12]} there, {self.driver[k][:12]} here" for k in differ)
            why = (f"the worker {worker.address} runs other {' and '.join(differ)} than this run ({shown}): "
                   "install the same pipeline, wording and libraries on every worker")
        elif mp.current_process().daemon:
            why = (f"the worker {worker.address} is daemonic and cannot fork a notice's extraction: "
                   "start the workers with distributed.worker.daemon: False (DASK_DISTRIBUTED__WORKER__DAEMON=False)")
        global _REFUSED
        _REFUSED = why  # a worker that joins after the run checked the others runs this too: its tasks refuse
        if why:
            raise RuntimeError(why)

    def teardown(self, worker: Any) -> None:
        global _REFUSED
        _REFUSED = ""


_REFUSED = ""  # in a worker SameCode refused: why


class Refusal(Exception):
    """A task on a worker that SameCode refused."""


def _checked(fn: Callable[[T], R], item: T) -> tuple[T, R | None, str]:
    """An item's task as a worker runs it: not at all on a refused worker."""
    global _MODULES
    if _REFUSED:
        raise Refusal(_REFUSED)
    out = call(fn, item)
    if len(sys.modules) != _MODULES:
        # The task loaded modules (a stage, a reader, with jieba's dictionary, Great Expectations):
        # they live as long as the worker, so they are kept out of the collections of what later
        # tasks make (a forked local worker inherits them frozen from the run).
        _MODULES = len(sys.modules)
        gc.collect()
        gc.freeze()
    return out


_MODULES = 0  # in a worker: how many modules were loaded when it last froze what it holds


class DaskExecutor:
    def __init__(self, scheduler: str, workers: int) -> None:
        t0 = time.perf_counter()
        self._quiet = logging.getLogger("distributed").level
        # its comings and goings are not the run's lines: a worker's death or failure to start is
        # said by the run, in a line of its own
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        self._config = dask.config.set(CONFIG)  # read by the nanny at each (re)start of a worker: kept while the executor is
        self.cluster: LocalCluster | None = None
        try:
            self.client = self._connect(scheduler, workers)
        except Exception as exc:
            self._config.__exit__(None, None, None)
            logging.getLogger("distributed").setLevel(self._quiet)
            if not scheduler:  # a worker of the run's own cluster died while starting: its words, in a line
                cause = f" ({type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
                raise Refused("--executor", f"the run's Dask cluster could not start its workers: {exc}{cause}") from None
            if not isinstance(exc, (OSError, TimeoutError, ValueError)):
                raise
            raise Refused("--scheduler", f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        try:
            self.client.register_plugin(SameCode(fingerprints()), name=SameCode.name)
        except Exception as exc:  # a worker's setup failed: the first one's words
            self.close()
            raise Refused("--scheduler", str(exc)) from None
        self.token = secrets.token_hex(4)
        log.info("dask: %d worker(s), %d thread(s) at %s (%.1f s to start)", len(self.client.nthreads()), self._threads(),
                 self.client.scheduler.address, time.perf_counter() - t0)

    def _connect(self, scheduler: str, workers: int) -> Client:
        if not scheduler:  # a cluster of this machine's cores, for this run
            # ":0": its scheduler's HTTP server (always started) on a free port, not on 8787, which
            # another run's cluster may hold (distributed then warns on stderr)
            self.cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                        dashboard_address=":0", silence_logs=logging.CRITICAL)
            return Client(self.cluster, set_as_default=False)
        if "://" in scheduler:
            return Client(scheduler, timeout=30, set_as_default=False)
        if not os.path.isfile(scheduler):
            raise ValueError("no such scheduler file")
        return Client(scheduler_file=scheduler, timeout=30, set_as_default=False)

    def _threads(self) -> int:
        return sum(self.client.nthreads().values())

    def close(self) -> None:
        try:
            if self.cluster is None:  # a cluster the run did not start keeps running, without the run's check
                self.client.unregister_worker_plugin(SameCode.name)
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self._config.__exit__(None, None, None)
            logging.getLogger("distributed").setLevel(self._quiet)

    # --- the executor interface ----------------------------------------------------------------

    def map(self, fn: Callable[[T], R], items: Sequence[T], names: Callable[[T], str] | None = None) -> Iterator[Done[T, R]]:
        named = names or (lambda item: str(id(item)))
        died: list[int] = []
        yield from self._round(fn, items, range(len(items)), named, died, "")
        if died:  # alone now: a worker that also held a task which killed it does not count against this one
            log.warning("%d task(s) lost their worker each time they ran: run once more, one at a time", len(died))
            last: list[int] = []
            for i in died:
                yield from self._round(fn, items, [i], named, last, "again")
            for i in last:
                yield Done(i, items[i], None, f"{WORKER_DIED} each time it ran it ({2 * (ALLOWED_FAILURES + 1)} times): "
                           "it was killed, or ran out of the memory a worker may use; the other notices went on")

    def _round(self, fn: Callable[[T], R], items: Sequence[T], order: Sequence[int], named: Callable[[T], str], died: list[int],
               attempt: str) -> Iterator[Done[T, R]]:
        """The items of `order` through the cluster, at most IN_FLIGHT per thread at a time; an
        item whose worker died each time Dask ran it goes to `died`."""
        task = partial(_checked, fn)
        todo = iter(order)
        which: dict[Any, int] = {}
        running = as_completed(loop=self.client.loop)  # this client's loop, whatever client a process made first

        def submit(n: int) -> None:
            for i in [i for _, i in zip(range(n), todo, strict=False)]:
                fut = self.client.submit(task, items[i], key=("notice-pipeline", named(items[i]), f"{self.token}{attempt}"), pure=False, retries=0)
                which[fut.key] = i
                running.add(fut)

        submit(max(1, IN_FLIGHT * self._threads()))
        for fut in self._as_they_end(running):
            i = which.pop(fut.key)
            submit(1)
            try:
                item, result, error = fut.result()
            except KilledWorker:
                died.append(i)
                continue
            except Refusal as exc:  # a worker that joined since the run checked them
                raise Refused("--scheduler", str(exc)) from None
            except Exception as exc:  # the cluster could not run it (its data would not pickle, the scheduler went away)
                item, result, error = items[i], None, f"{type(exc).__name__}: {exc}"
            finally:
                fut.release()
            yield Done(i, item, result, error)

    def _as_they_end(self, running: as_completed) -> Iterator[Any]:
        """Each future of `running` (which grows as they are taken) as it ends; the run is stopped
        when no worker has been alive for NO_WORKERS_FOR seconds while none ended."""
        seen = looked = time.monotonic()  # the last time a task ended or a worker was there; the last look
        while not running.is_empty():
            if ended := running.next_batch(block=False):
                seen = time.monotonic()
                yield from ended
                continue
            now = time.monotonic()
            if now - looked >= POLL:  # a call to the scheduler
                looked = now
                if self.client.nthreads():
                    seen = now
                elif now - seen > NO_WORKERS_FOR:
                    raise Refused("--scheduler", f"the Dask scheduler {self.client.scheduler.address} has had no worker for "
                                  f"{NO_WORKERS_FOR:.0f} s while {running.count()} task(s) waited (did every worker die while "
                                  "starting?): the run stopped; start workers, then run again (what was done is kept)")
            time.sleep(0.1)  # as as_completed's own iteration waits between looks at its queue

    def isolated(self, jobs: Sequence[tuple[str, Callable[[], None]]], limits: Limits) -> Iterator[tuple[str, Ended]]:
        for done in self.map(partial(_isolated, limits), list(jobs), names=lambda job: job[0]):
            # a job whose worker died each time ended as a process killed from outside would
            yield jobs[done.index][0], done.result if done.result is not None else Ended(-9, False, 0.0)


def _isolated(limits: Limits, job: tuple[str, Callable[[], None]]) -> Ended:
    return isolate(job[1], limits)
