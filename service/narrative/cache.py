"""The cache of LLM readings: the same excerpt, prompt, model and mode are answered without a call.

What is cached is the model's validated answer (``NarrativeReading`` as JSON), not the grounded result:
grounding is re-run on every hit, so a fix to grounding applies to cached readings too. Only readings that
validated are stored; a failed or degraded reading never is.

Backends, chosen by ``NIANBAO_CACHE_URL``:

* ``sqlite:///path`` (relative) or ``sqlite:////abs/path`` — an embedded file, created on demand; WAL mode
  and a busy timeout make it safe for threads and processes on one machine;
* ``redis://host:port/db`` (or ``rediss://``, ``unix://``) — shared by replicas; entries expire after
  ``REDIS_TTL_S``;
* ``off`` — no cache.

A cache that fails (file unwritable, Redis down) is logged and treated as a miss: it never fails a report.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from service.config import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

CACHE_FORMAT = 1  # bump when the stored value's shape changes: old entries are then never read
REDIS_TTL_S = 30 * 24 * 3600
REDIS_PREFIX = "nianbao:reading:"
_SQLITE_TIMEOUT_S = 5.0
_SQLITE_ATTEMPTS = 6  # with the backoff below, about 0.6 s of retries beyond the busy timeout
_T = TypeVar("_T")
_REDIS_TIMEOUT_S = 2.0


class ReadingCache(Protocol):
    """Where readings are kept: ``get`` and ``set`` by key, ``aclose`` at the end."""

    url: str

    async def get(self, key: str) -> str | None:
        """The stored value, or None on a miss (or when the cache fails)."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Store ``value``; a failure is logged, not raised."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def cache_key(*, excerpt: str, prompt_hash: str, settings: Settings) -> str:
    """sha256 of what decides a reading: the excerpt sent, the prompt and schema, the endpoint, model, mode."""
    parts = {"format": CACHE_FORMAT, "text": hashlib.sha256(excerpt.encode()).hexdigest(), "prompt": prompt_hash,
             "base_url": settings.llm_base_url, "model": settings.llm_model, "mode": settings.llm_mode,
             "temperature": 0}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def open_cache(url: str) -> ReadingCache | None:
    """The cache ``url`` names (see the module docstring); None for ``off``. Nothing is opened yet."""
    if url == "off":
        return None
    if url.startswith("sqlite:///"):
        # Relative to the working directory at start-up, not wherever the process is later.
        return SQLiteCache(Path(url.removeprefix("sqlite:///")).absolute(), url=url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(url)
    raise ValueError(f"{url!r} is not a cache URL; use sqlite:///path, redis://host:6379/0 or off")


def _retrying(operation: Callable[..., _T], *args: Any) -> _T:
    """``operation(*args)``, tried again while SQLite says the file is locked or busy."""
    # The busy timeout covers most contention, but not all of it: switching a new file to WAL, or creating
    # the table, while other processes do the same fails at once with "database is locked".
    for attempt in range(_SQLITE_ATTEMPTS):
        try:
            return operation(*args)
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if attempt == _SQLITE_ATTEMPTS - 1 or not ("locked" in message or "busy" in message):
                raise
            time.sleep(0.02 * 2**attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


class SQLiteCache:
    """Readings in an SQLite file; each operation opens its own connection in a worker thread."""

    def __init__(self, path: Path, *, url: str | None = None) -> None:
        self.path = path
        self.url = url or f"sqlite:///{path}"
        self._ready = False

    async def get(self, key: str) -> str | None:
        """The stored value, or None."""
        try:
            return await asyncio.to_thread(_retrying, self._get, key)
        except (sqlite3.Error, OSError) as exc:
            log.warning("cache %s: read failed (%s); reading without it", self.url, type(exc).__name__)
            return None

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        try:
            await asyncio.to_thread(_retrying, self._set, key, value)
        except (sqlite3.Error, OSError) as exc:
            log.warning("cache %s: write failed (%s); the reading is not cached", self.url, type(exc).__name__)

    async def aclose(self) -> None:
        """Nothing stays open between operations."""

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=_SQLITE_TIMEOUT_S)
        if not self._ready:
            # WAL: readers do not block the writer, and other processes see committed entries.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS readings (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                         "created REAL NOT NULL)")
            conn.commit()
            self._ready = True
        return conn

    def _get(self, key: str) -> str | None:
        conn = self._connect()
        try:
            row = conn.execute("SELECT value FROM readings WHERE key = ?", (key,)).fetchone()
        finally:
            conn.close()
        return str(row[0]) if row is not None else None

    def _set(self, key: str, value: str) -> None:
        conn = self._connect()
        try:
            with conn:
                conn.execute("INSERT OR REPLACE INTO readings (key, value, created) VALUES (?, ?, ?)",
                             (key, value, time.time()))
        finally:
            conn.close()


class RedisCache:
    """Readings in Redis, shared by replicas; the client is made on first use, on the I/O loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Redis | None = None
        self._pid = os.getpid()

    def _redis(self) -> Redis:
        if self._client is not None and self._pid != os.getpid():
            self._client = None  # forked: the parent's connections are the parent's
        if self._client is None:
            self._pid = os.getpid()
            import redis.asyncio  # deferred: only a Redis cache needs it

            self._client = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=_REDIS_TIMEOUT_S, socket_connect_timeout=_REDIS_TIMEOUT_S,
                decode_responses=True)
        return self._client

    async def get(self, key: str) -> str | None:
        """The stored value, or None."""
        import redis

        try:
            value = await self._redis().get(REDIS_PREFIX + key)
        except (redis.RedisError, OSError) as exc:
            log.warning("cache %s: read failed (%s); reading without it", _safe(self.url), type(exc).__name__)
            return None
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` for ``REDIS_TTL_S``."""
        import redis

        try:
            await self._redis().set(REDIS_PREFIX + key, value, ex=REDIS_TTL_S)
        except (redis.RedisError, OSError) as exc:
            log.warning("cache %s: write failed (%s); the reading is not cached", _safe(self.url),
                        type(exc).__name__)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _safe(url: str) -> str:
    """The URL without a password (redis://:secret@host)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rsplit('@', 1)[-1]}" if "@" in rest else url


__all__ = ["CACHE_FORMAT", "ReadingCache", "RedisCache", "SQLiteCache", "cache_key", "open_cache"]
