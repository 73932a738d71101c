"""Progress of a stage over notices: a bar with counts and elapsed time on a terminal, plain
log lines otherwise (one every tenth of the work, so a log of 10,000 notices stays readable).
The status of each step is shown whole, status first."""

from __future__ import annotations

import logging
import sys
import time

from ..logs import event

log = logging.getLogger("pipeline")


class Progress:
    def __init__(self, stage: str, total: int, enabled: bool | None, unit: str = "notice") -> None:
        self.stage, self.total, self.done, self.unit = stage, total, 0, unit
        self.t0 = time.perf_counter()
        self.every = max(1, total // 10)
        use_bar = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None
        if use_bar and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=f"{stage:<9}", unit=unit, file=sys.stderr, dynamic_ncols=True, leave=True)

    def step(self, status: str, notice: str | None = None) -> None:
        """One more done (`notice`, when the step is one); failures are the stage's to print, once, as ERROR lines."""
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(status, refresh=False)
            self.bar.update(1)
        elif self.done % self.every == 0 or self.done == self.total:
            log.info("%s %d/%d (%.1f s) %s", self.stage, self.done, self.total, time.perf_counter() - self.t0, status,
                     extra=event(f"{self.stage}.progress", notice, done=self.done, total=self.total))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.total and self.done < self.total:
            log.info("%s stopped at %d/%d", self.stage, self.done, self.total, extra=event(f"{self.stage}.stopped", done=self.done, total=self.total))

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
