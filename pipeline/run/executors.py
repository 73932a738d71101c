"""The executor a run's settings ask for (run/executor.py says what an executor is)."""

from __future__ import annotations

import multiprocessing as mp

from .executor import Executor, LocalExecutor
from .state import Config


def executor_for(cfg: Config) -> Executor:
    """This machine's, with `jobs` processes (0: one per core), or a Dask cluster's (imported
    only then: the local executor needs no more than the standard library)."""
    if cfg.executor == "dask":
        from .cluster import DaskExecutor

        return DaskExecutor(cfg.scheduler, cfg.jobs)
    return LocalExecutor(cfg.jobs or mp.cpu_count() or 1)
