"""Per-client limits: the backends a client may ask for, requests and LLM tokens per minute per client, and
a process-wide LLM token budget per minute.

A client is its API key (by position in ``NIANBAO_API_KEYS``, never the key itself) or, without keys, its
address (the gateway's ``X-Forwarded-For`` when it is trusted). The counts are fixed one-minute windows
kept in this process: with several workers each counts its own share, so the gateway's ``limit_req``
(per address and per key) is the bound across workers, and these are the bound on what one worker spends.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from schemas.options import ExtractOptions
from service.api.errors import BackendNotAllowed, RateLimited
from service.config import Settings, allowed_backends

WINDOW_S = 60.0
_MAX_CLIENTS = 10_000  # windows kept at once; expired ones are dropped first when more clients appear


@dataclass
class _Window:
    started: float
    requests: int = 0
    tokens: int = 0


class Quotas:
    """The limits of one app; thread-safe (batch items run in worker threads' callbacks too)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.requests_per_min = settings.quota_requests_per_min
        self.tokens_per_min = settings.quota_llm_tokens_per_min
        self.budget_per_min = settings.llm_tokens_per_min
        self.default_backend = settings.backend
        self.allowed = allowed_backends(settings)
        self.cache_bypass = settings.client_cache_bypass
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: dict[str, _Window] = {}
        self._process = _Window(clock())

    def admit_request(self, client: str) -> None:
        """Count one request of ``client``; ``RateLimited`` when its requests this minute are used up."""
        if not self.requests_per_min:
            return
        with self._lock:
            window = self._window(client)
            if window.requests >= self.requests_per_min:
                raise self._limited(window, f"this client made {window.requests} requests this minute, the "
                                    f"limit is {self.requests_per_min} (NIANBAO_QUOTA_REQUESTS_PER_MIN)")
            window.requests += 1

    def check_options(self, options: ExtractOptions) -> None:
        """Refuse a backend, or a cache bypass, the operator does not let clients choose."""
        if options.backend is not None and options.backend not in self.allowed:
            raise BackendNotAllowed(
                f"this server does not let clients ask for the {options.backend} backend; ask for one of "
                f"{', '.join(sorted(self.allowed))} (the operator sets NIANBAO_CLIENT_BACKENDS)",
                detail={"allowed": sorted(self.allowed)})
        if not options.use_cache and not self.cache_bypass and self.uses_llm(options):
            raise BackendNotAllowed("this server does not let clients skip the LLM cache (use_cache=false makes "
                                    "a paid call); leave use_cache out (the operator sets "
                                    "NIANBAO_CLIENT_CACHE_BYPASS)", detail={"allowed": sorted(self.allowed)})

    def uses_llm(self, options: ExtractOptions) -> bool:
        """Whether a reading with ``options`` may call the LLM."""
        return options.narrative and (options.backend or self.default_backend) != "rules"

    def admit_llm(self, client: str) -> None:
        """Before an LLM reading: ``RateLimited`` when the client's or the process's tokens are used up."""
        if not (self.tokens_per_min or self.budget_per_min):
            return
        with self._lock:
            process = self._current(self._process)
            if self.budget_per_min and process.tokens >= self.budget_per_min:
                raise self._limited(process, f"the service spent its LLM budget of {self.budget_per_min} "
                                    "tokens this minute (NIANBAO_LLM_TOKENS_PER_MIN); retry later or ask for "
                                    "the rules backend")
            window = self._window(client)
            if self.tokens_per_min and window.tokens >= self.tokens_per_min:
                raise self._limited(window, f"this client spent {window.tokens} LLM tokens this minute, the "
                                    f"limit is {self.tokens_per_min} (NIANBAO_QUOTA_LLM_TOKENS_PER_MIN); retry "
                                    "later or ask for the rules backend")

    def charge(self, client: str, tokens: int) -> None:
        """Count the LLM tokens a reading spent."""
        if tokens <= 0 or not (self.tokens_per_min or self.budget_per_min):
            return
        with self._lock:
            self._current(self._process).tokens += tokens
            self._window(client).tokens += tokens

    def _current(self, window: _Window) -> _Window:
        now = self._clock()
        if now - window.started >= WINDOW_S:
            window.started, window.requests, window.tokens = now, 0, 0
        return window

    def _window(self, client: str) -> _Window:
        window = self._clients.get(client)
        if window is None:
            if len(self._clients) >= _MAX_CLIENTS:
                self._prune()
            window = self._clients[client] = _Window(self._clock())
        return self._current(window)

    def _prune(self) -> None:
        now = self._clock()
        for name in [name for name, w in self._clients.items() if now - w.started >= WINDOW_S]:
            del self._clients[name]
        if len(self._clients) >= _MAX_CLIENTS:  # all current: the oldest window goes
            del self._clients[min(self._clients, key=lambda name: self._clients[name].started)]

    def _limited(self, window: _Window, message: str) -> RateLimited:
        wait = max(1, math.ceil(window.started + WINDOW_S - self._clock()))
        return RateLimited(f"{message}; retry in {wait} s", retry_after=wait, detail={"retry_after": wait})
