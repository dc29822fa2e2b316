"""The LLM I/O loop: one asyncio event loop, in a daemon thread, that runs every LLM call of the process.

The async OpenAI client, the Redis cache client and the concurrency semaphore are bound to the event loop
they are first used on; a pooled connection used from another loop hangs or fails. Callers come from many
loops (uvicorn's, a TestClient's portal per test, ``asyncio.run`` per CLI file) and from plain threads, so
the LLM work never runs on the caller's loop: ``arun`` hands a coroutine to this loop and awaits the
outcome; ``run`` does the same for synchronous callers (the CLI and the eval harness). The loop is made on
first use, and again in a forked child (the parent's thread does not survive a fork).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class IOLoop:
    """An event loop in a daemon thread; ``run`` / ``arun`` execute coroutines on it."""

    def __init__(self, name: str = "nianbao-llm-io") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started on first use (and after a fork)."""
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(target=_serve, args=(loop, ready), name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop

    def on_loop(self) -> bool:
        """Whether the caller runs on this loop's thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule ``coro`` on the loop; its outcome arrives in the returned future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for it (for synchronous callers; not from the loop itself)."""
        if self.on_loop():
            coro.close()
            raise RuntimeError("IOLoop.run called on the I/O loop itself; await IOLoop.arun instead")
        future = self.submit(coro)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # interrupted (Ctrl-C): do not leave the call running unseen
            raise

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` run on the loop; cancelling the caller cancels it there too."""
        if self.on_loop():
            return await coro
        return await asyncio.wrap_future(self.submit(coro))


def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    loop.run_forever()


IO = IOLoop()  # the process's LLM I/O loop

__all__ = ["IO", "IOLoop"]
