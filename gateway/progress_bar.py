"""A small progress bar on stderr for long command-line runs (no dependency for one line of output)."""
from __future__ import annotations

import time
from typing import TextIO


class ProgressBar:
    """`label [#####-----] 50% 500/1000 120/s`: redrawn in place on a terminal, a line per 10 % elsewhere (logs)."""

    def __init__(self, total: int, stream: TextIO, label: str = "", width: int = 30, clock=time.monotonic):
        self.total, self.stream, self.label, self.width, self.clock = total, stream, label, width, clock
        self.done = 0
        self.started = clock()
        self.last_draw = 0.0
        self.last_decile = -1
        isatty = getattr(stream, "isatty", None)
        self.live = bool(isatty and isatty())

    def update(self, count: int = 1) -> None:
        """Count `count` more items done."""
        self.done += count
        if self.live:
            now = self.clock()
            if now - self.last_draw >= 0.1 or self.done >= self.total:
                self.last_draw = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
        else:
            decile = self.done * 10 // self.total if self.total else 10
            if decile != self.last_decile:
                self.last_decile = decile
                self.stream.write(self.line() + "\n")
                self.stream.flush()

    def line(self) -> str:
        """The bar as text."""
        share = self.done / self.total if self.total else 1.0
        filled = int(self.width * share)
        elapsed = max(self.clock() - self.started, 1e-9)
        return (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {share:4.0%} "
                f"{self.done}/{self.total} {self.done / elapsed:.0f}/s")

    def close(self) -> None:
        """Finish the line on a terminal."""
        if self.live:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()
