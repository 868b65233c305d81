"""Progress of a simulation: a bar with rate and ETA on a terminal, plain lines otherwise.

Rate is participants finished per second in this invocation; ETA is the
participants still open divided by that rate. On a terminal the bar is
redrawn in place at most ten times a second; elsewhere (a log file, CI) a
line is printed every ``every`` seconds and at the end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``75`` -> ``'1:15'``, ``3725`` -> ``'1:02:05'``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Reports ``done`` of ``total`` participants (``already`` of them finished before this run)."""

    def __init__(
        self,
        total: int,
        *,
        already: int = 0,
        stream: TextIO | None = None,
        mode: str = "auto",
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            mode = "bar" if getattr(self.stream, "isatty", lambda: False)() else "lines"
        self.mode = mode
        self.total = total
        self.already = already
        self.done = already
        self.failed = 0
        self.retries = 0
        self.every = every
        self.clock = clock
        self.started = clock()
        # A plain line waits a full interval: a rate over the first second says little.
        self._last_draw = -1e9 if mode == "bar" else self.started

    def update(self, *, finished: int = 0, failed: int = 0, retries: int = 0) -> None:
        self.done += finished
        self.failed += failed
        self.retries += retries
        now = self.clock()
        interval = 0.1 if self.mode == "bar" else self.every
        if now - self._last_draw >= interval:
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The current status as one line of text."""
        now = self.clock() if now is None else now
        elapsed = max(now - self.started, 1e-9)
        new = self.done - self.already
        rate = new / elapsed
        left = self.total - self.done
        eta = format_duration(left / rate) if rate > 0 else "?"
        percent = 100.0 * self.done / self.total if self.total else 100.0
        extra = f", {self.failed} failed" if self.failed else ""
        extra += f", {self.retries} retries" if self.retries else ""
        speed = f"{rate:.1f}/s" if rate >= 1 or rate == 0 else f"{rate * 60:.1f}/min"
        return f"{self.done}/{self.total} participants ({percent:.0f}%), {speed}, ETA {eta}{extra}"

    def _draw(self, now: float) -> None:
        self._last_draw = now
        if self.mode == "none":
            return
        if self.mode == "bar":
            width = 24
            filled = int(width * self.done / self.total) if self.total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self.line(now)}\x1b[K")
        else:
            self.stream.write(f"simulate: {self.line(now)}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.mode == "none":
            return
        self._draw(self.clock())
        if self.mode == "bar":
            self.stream.write("\n")
            self.stream.flush()
