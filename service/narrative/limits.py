"""The bound on LLM calls in flight, and the refusal when too many reports already wait for one.

A ``Limiter`` holds ``llm_max_concurrency`` slots; a report's reading (its call and any re-asks) holds one.
A report that finds every slot taken waits, unless ``llm_queue_limit`` reports already wait: then it is
refused at once with ``Overloaded``, whose ``retry_after`` is a fair wait judged from recent calls.
Every LLM call of the process runs on the I/O loop (``aio.IO``), so one asyncio semaphore per limiter
bounds them all; ``shared_limiter`` gives the llm and hybrid backends of one process the same limiter.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.config import Settings
from service.errors import Overloaded

_FIRST_GUESS_S = 10.0  # seconds a call is assumed to take before one has been timed
_MAX_RETRY_AFTER_S = 120


class Limiter:
    """``concurrency`` slots, at most ``queue_limit`` waiters; use as ``async with limiter.slot(): ...``."""

    def __init__(self, concurrency: int, queue_limit: int) -> None:
        self.concurrency = concurrency
        self.queue_limit = queue_limit
        self._semaphore = asyncio.Semaphore(concurrency)  # binds to the I/O loop on first wait
        self._loop: asyncio.AbstractEventLoop | None = None
        self.in_flight = 0
        self.waiting = 0
        self._seconds = _FIRST_GUESS_S  # moving average of a slot's holding time

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the block; raises ``Overloaded`` when the queue is full."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A new I/O loop (the process was forked): the old semaphore is bound to a loop that is gone.
            self._semaphore, self._loop = asyncio.Semaphore(self.concurrency), loop
            self.in_flight = self.waiting = 0
        if self._semaphore.locked() and self.waiting >= self.queue_limit:
            raise Overloaded(f"{self.waiting} reports already wait for one of {self.concurrency} LLM slots; "
                             "retry later", retry_after=self.retry_after(),
                             detail={"waiting": self.waiting, "in_flight": self.in_flight,
                                     "concurrency": self.concurrency, "queue_limit": self.queue_limit})
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        self.in_flight += 1
        started = time.monotonic()
        try:
            yield
        finally:
            self.in_flight -= 1
            self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - started)
            self._semaphore.release()

    def retry_after(self) -> int:
        """Seconds until the queue ahead has likely drained: waiting reports in batches of ``concurrency``."""
        rounds = (self.waiting + 1) / self.concurrency
        return max(1, min(_MAX_RETRY_AFTER_S, math.ceil(rounds * self._seconds)))


_shared: dict[tuple[int, int], Limiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(settings: Settings) -> Limiter:
    """The process's limiter for these settings (one per concurrency and queue limit)."""
    key = (settings.llm_max_concurrency, settings.llm_queue_limit)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Limiter(*key)
        return _shared[key]


__all__ = ["Limiter", "shared_limiter"]
