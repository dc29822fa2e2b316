"""Shared fixtures.

``fake_llm`` / ``fake_client``: a fake OpenAI-compatible server on loopback (tests/fake_llm.py).
``clean_env``: the developer's NIANBAO_* / OPENAI_* variables and .env never reach a test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fake_llm import fake_client, fake_llm

from service.config import get_settings

__all__ = ["clean_env", "fake_client", "fake_llm"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run as on a fresh machine: no NIANBAO_* / OPENAI_* variables, no .env in the working directory."""
    for name in list(os.environ):
        if name.startswith(("NIANBAO_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
