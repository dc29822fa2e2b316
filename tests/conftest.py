"""Shared fixtures.

``fake_llm`` / ``fake_client``: a fake OpenAI-compatible server on loopback (testkit/fake_llm.py).
``clean_env``: the developer's NIANBAO_* / OPENAI_* variables and .env never reach a test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from service.config import get_settings
from testkit.fake_llm import FakeLLM, close_client

__all__ = ["clean_env", "fake_client", "fake_llm"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run as on a fresh machine: no NIANBAO_* / OPENAI_* variables, no .env in the working directory."""
    for name in list(os.environ):
        if name.startswith(("NIANBAO_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A running fake OpenAI-compatible server, stopped after the test."""
    server = FakeLLM().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_client(fake_llm: FakeLLM) -> Iterator[openai.AsyncOpenAI]:
    """A real async OpenAI client aimed at ``fake_llm`` (no transport retries), closed after the test."""
    client = fake_llm.client()
    try:
        yield client
    finally:
        close_client(client)
