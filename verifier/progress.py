"""A progress line on stderr for long runs: shown only on a terminal, only after a delay.

The engine reports ``(stage, done, total)`` through ``Options.progress``; a background thread
redraws one line (the solver releases the GIL, so it keeps ticking during long queries) and
clears it when the run ends.  When the stream is not a terminal nothing is ever written.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

STAGES = {"parse": "reading manifests", "model": "building the model"}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Progress:
    """Callable progress sink for ``engine.Options.progress``; use as a context manager."""

    def __init__(
        self, stream: TextIO | None = None, *, enabled: bool | None = None, delay: float = 2.0, interval: float = 0.1
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.delay, self.interval = delay, interval
        self.state = ("parse", 0, 0)
        self.drawn = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.state = (stage, done, total)

    def line(self) -> str:
        """The text of the progress line for the current state."""
        stage, done, total = self.state
        elapsed = time.monotonic() - self._t0
        spin = SPINNER[int(elapsed / self.interval) % len(SPINNER)]
        what = STAGES.get(stage) or f"proving {stage} ({done + 1}/{total})"
        return f"{spin} cnverify: {what}  {elapsed:.0f}s"

    def _loop(self) -> None:
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
            self.drawn = True
            self._stop.wait(self.interval)

    def __enter__(self) -> Progress:
        self._t0 = time.monotonic()
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, name="cnverify-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
