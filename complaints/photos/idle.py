"""The decode pool's memory between bursts of photos.

While photos keep coming, the heap keeps their freed pixel blocks for the next one (see
core.kit.memory: no page faults on every photo). Once none has been decoded for IDLE_S seconds,
what the heap's free lists hold is given back: a full server (corpus loaded) after 800
submissions went from 395 to 385 MB. The free top of each decode thread's heap, up to
core.kit.memory.KEPT_ON_TOP, stays (glibc trims only the main heap's top on request): it was 361 MB
before the submissions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Final

from core.kit.memory import trim_heap

IDLE_S: Final = 2.0


class IdleTrim:
    """Counts the photos in the pool; IDLE_S after the last one finished, trims the heap (in the
    pool, off the event loop). A photo that arrives meanwhile cancels the trim."""

    def __init__(self, idle_s: float = IDLE_S, trim: Callable[[], None] = trim_heap):
        self.idle_s = idle_s
        self.trim = trim
        self._busy = 0
        self._timer: asyncio.TimerHandle | None = None

    def started(self) -> None:
        self._busy += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def finished(self, loop: asyncio.AbstractEventLoop, pool: Executor) -> None:
        self._busy -= 1
        if self._busy == 0:
            self._timer = loop.call_later(self.idle_s, self._fire, loop, pool)

    def _fire(self, loop: asyncio.AbstractEventLoop, pool: Executor) -> None:
        self._timer = None
        if self._busy == 0:
            loop.run_in_executor(pool, self.trim)
