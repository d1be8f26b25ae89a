"""Progress as log lines, for runs nobody watches on a terminal (Prefect flows): a line at
every tenth of a stage, and, while a stage runs on without reaching the next tenth, one
at least every HEARTBEAT_S, so a log never falls silent for minutes. Lines hold the
recording's name, the stage and a percentage, never any of its text."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

STEP = 0.1  # a line at every tenth of a stage
HEARTBEAT_S = 60.0  # and at least this often while a stage runs
_CHECK_S = 5.0  # how often the heartbeat looks


class ProgressLog:
    """A pipeline hook (`hook(stage, fraction)`) writing progress lines to `log`; use it in
    a `with` block, which runs the heartbeat."""

    def __init__(self, name: str, log: Callable[[str], None], clock: Callable[[], float] = time.monotonic):
        self.name, self.log, self.clock = name, log, clock
        self._steps: dict[str, int] = {}
        self._stage: str | None = None
        self._fraction = 0.0
        self._last = clock()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        step = int(min(max(fraction, 0.0), 1.0) / STEP + 1e-9)
        with self._lock:
            self._stage, self._fraction = stage, min(max(fraction, 0.0), 1.0)
            if step > self._steps.get(stage, -1):
                self._steps[stage] = step
                self._write(f"{self.name}: {stage} {step * 10}%")

    def beat(self) -> None:
        """A line if a stage is running and none was written for HEARTBEAT_S."""
        with self._lock:
            if self._stage is not None and self._fraction < 1.0 and self.clock() - self._last >= HEARTBEAT_S:
                self._write(f"{self.name}: {self._stage} {self._fraction:.0%}, still working")

    def _write(self, line: str) -> None:
        self.log(line)
        self._last = self.clock()

    def __enter__(self) -> ProgressLog:
        def run() -> None:
            while not self._stopped.wait(_CHECK_S):
                self.beat()

        self._thread = threading.Thread(target=run, name=f"progress {self.name}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
