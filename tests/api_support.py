"""Helpers of the HTTP API tests: settings without the environment, problem+json assertions, fake backends."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from schemas import ExtractOptions
from service.config import Settings
from service.narrative import NarrativeInput, NarrativeOutput
from service.narrative.rules import RulesBackend

SAMPLES = sorted((Path(__file__).parent.parent / "eval" / "samples").glob("*.txt"))
SAMPLE = SAMPLES[0]
SAMPLE_TEXT = SAMPLE.read_text("utf-8")
PROBLEM = "application/problem+json"
NOT_A_REPORT = "今天天气很好，我们去公园散步。这段文字与政府信息公开无关。" * 5


def settings(**overrides: Any) -> Settings:
    """Settings from the arguments alone: no .env, and the rules backend unless told otherwise. Clients may
    ask for any backend here (the tests of NIANBAO_CLIENT_BACKENDS set it themselves)."""
    return Settings(**{"_env_file": None, "backend": "rules", "api_keys": "", "cors_origins": "",
                       "root_path": "", "client_backends": "rules,llm,hybrid", **overrides})


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The problem document of ``response``, checked: status, media type, members, request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status and body["code"] == code, body
    assert body["type"] == f"urn:nianbao:problem:{code}"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class Failing:
    """A narrative backend that raises ``exc`` (sync and async)."""

    def __init__(self, exc: Exception, name: str = "failing") -> None:
        self.exc = exc
        self.name = name

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Raise."""
        raise self.exc

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Raise."""
        raise self.exc


class Counting:
    """The rules backend, slowed down, counting how many readings are in progress at once."""

    name = "rules"

    def __init__(self, seconds: float = 0.1) -> None:
        self.seconds = seconds
        self.active = 0
        self.most = 0
        self._lock = threading.Lock()
        self._rules = RulesBackend()

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Read with the rules, holding a slot for ``seconds``."""
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(self.seconds)
            return self._rules.read(doc, options)
        finally:
            with self._lock:
                self.active -= 1

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """``read``, for async callers (in a thread: it sleeps)."""
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.read, doc, options)
