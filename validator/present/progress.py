"""A progress line on stderr for ``simval check``: phase, done of total, elapsed and ETA.

On a terminal the line is redrawn in place (at most ten times a second) and
cleared at the end; forced on elsewhere (``--progress``) it prints a plain line at
most every two seconds. Off when stderr is not a terminal unless forced, so logs
and pipes stay clean.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from validator.simulate.progress import format_duration

PHASES = {"read": "reading the data", "checks": "checks (fits and bootstrap)"}


class CheckProgress:
    """A ``(phase, done, total)`` hook for :func:`validator.check` that draws the progress line."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.clock = clock
        self.start = clock()
        self.last = -1e9
        self.lock = threading.Lock()
        self.drawn = False

    def line(self, phase: str, done: int, total: int) -> str:
        elapsed = self.clock() - self.start
        text = f"simval: {PHASES.get(phase, phase)} {done}/{total}, {format_duration(elapsed)} elapsed"
        if phase == "checks" and 0 < done < total:
            text += f", about {format_duration(elapsed / done * (total - done))} left"
        return text

    def __call__(self, phase: str, done: int, total: int) -> None:
        with self.lock:
            now = self.clock()
            final = done >= total
            if now - self.last < (0.1 if self.live else 2.0) and not final:
                return
            self.last = now
            text = self.line(phase, done, total)
            if self.live:
                self.stream.write("\r\033[K" + text)
                self.drawn = True
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        """Clear the live line so the results start on a clean line."""
        with self.lock:
            if self.live and self.drawn:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self.drawn = False
