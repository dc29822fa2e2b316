"""The app's narrative backends by name: built once, shared by requests, closed at shutdown.

A request may ask for an LLM backend on a server that has no LLM endpoint. Like any LLM failure, that
degrades to the rules backend (marked in ``narrative``), or is ``llm_unavailable`` when the LLM is required.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from schemas import ExtractOptions
from service.config import Backend, Settings
from service.errors import LLMUnavailable
from service.narrative import NarrativeBackend, NarrativeInput, NarrativeOutput
from service.narrative.base import degraded, llm_required
from service.narrative.factory import make_backend
from service.narrative.rules import RulesBackend


class Backends:
    """Narrative backends by name: the default built at start-up, the others on first request."""

    def __init__(self, settings: Settings, llm_client: Any = None,
                 prebuilt: Mapping[str, NarrativeBackend] | None = None) -> None:
        self.settings = settings
        self.default: Backend = settings.backend
        self._client = llm_client
        self._built: dict[str, NarrativeBackend] = dict(prebuilt or {})
        self._owned: list[NarrativeBackend] = []  # built here, so closed here; the caller closes the rest
        self._lock = threading.Lock()
        self.get(None)

    def get(self, name: Backend | None) -> NarrativeBackend:
        """The backend called ``name`` (the configured default when None)."""
        name = name or self.default
        with self._lock:
            if name not in self._built:
                try:
                    self._built[name] = make_backend(name, self.settings, client=self._client)
                except LLMUnavailable as exc:  # no endpoint configured: it will not appear while we run
                    self._built[name] = Unconfigured(name, exc, self.settings)
                    return self._built[name]
                self._owned.append(self._built[name])
            return self._built[name]

    def close(self) -> None:
        """Close what the backends hold open (HTTP clients of the LLM backends)."""
        for backend in self._owned:
            close = getattr(backend, "close", None)
            if callable(close):
                close()
        self._owned.clear()


class Unconfigured:
    """An LLM backend this server has no endpoint for: the rules read instead, unless the LLM is required."""

    def __init__(self, name: str, error: LLMUnavailable, settings: Settings) -> None:
        self.name = name
        self._error = error
        self._settings = settings
        self._rules = RulesBackend()

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """The rules' reading, marked degraded; raises ``LLMUnavailable`` when the LLM is required."""
        error = self._check(options)
        return degraded(self._rules.read(doc, options), error, self.name)

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """``read`` for async callers."""
        error = self._check(options)
        return degraded(await self._rules.aread(doc, options), error, self.name)

    def _check(self, options: ExtractOptions | None) -> LLMUnavailable:
        # A new exception each time: raising one instance again and again would grow its traceback.
        error = LLMUnavailable(self._error.message, detail=dict(self._error.detail))
        if llm_required(options, self._settings):
            raise error
        return error
