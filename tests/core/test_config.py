"""Settings (environment, .env, validation messages, secrets) and the backend factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from pydantic import SecretStr, ValidationError

from service.config import Settings, get_settings
from service.errors import InputError, LLMUnavailable
from service.narrative.factory import make_backend
from service.narrative.hybrid import HybridBackend
from service.narrative.llm import LLMBackend, build_client
from service.narrative.rules import RulesBackend
from testkit.fake_llm import TEST_KEY, FakeLLM

pytestmark = pytest.mark.usefixtures("clean_env")


def llm_env(monkeypatch: pytest.MonkeyPatch, backend: str = "llm") -> None:
    monkeypatch.setenv("NIANBAO_BACKEND", backend)
    monkeypatch.setenv("NIANBAO_LLM_BASE_URL", "http://127.0.0.1:9/v1/")
    monkeypatch.setenv("NIANBAO_LLM_API_KEY", TEST_KEY)


def test_defaults() -> None:
    s = Settings()
    assert (s.backend, s.llm_base_url, s.llm_api_key, s.llm_model) == ("rules", None, None, "gpt-4o-mini")
    assert (s.llm_timeout_s, s.llm_max_retries, s.max_upload_bytes) == (60, 2, 10_000_000)
    assert (s.log_report_text, s.host, s.port) == (False, "127.0.0.1", 8000)


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    llm_env(monkeypatch, backend=" LLM ")
    monkeypatch.setenv("NIANBAO_LLM_TIMEOUT_S", "12.5")
    monkeypatch.setenv("NIANBAO_LOG_REPORT_TEXT", "true")
    s = Settings()
    assert s.backend == "llm" and s.llm_base_url == "http://127.0.0.1:9/v1"  # trailing slash dropped
    assert isinstance(s.llm_api_key, SecretStr) and s.llm_api_key.get_secret_value() == TEST_KEY
    assert s.llm_timeout_s == 12.5 and s.log_report_text is True


def test_read_from_a_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("NIANBAO_PORT=9001\nNIANBAO_BACKEND=hybrid\nNIANBAO_LLM_BASE_URL=https://x/v1\n"
                                   f"NIANBAO_LLM_API_KEY={TEST_KEY}\nOTHER_TOOL_SETTING=1\n", encoding="utf-8")
    monkeypatch.setenv("NIANBAO_PORT", "9002")  # the environment wins over the file
    s = Settings()
    assert (s.port, s.backend, s.llm_base_url) == (9002, "hybrid", "https://x/v1")


@pytest.mark.parametrize("backend", ["llm", "hybrid"])
def test_an_llm_backend_without_an_endpoint_says_what_to_set(monkeypatch: pytest.MonkeyPatch,
                                                             backend: str) -> None:
    monkeypatch.setenv("NIANBAO_BACKEND", backend)
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert "NIANBAO_LLM_BASE_URL" in message and "NIANBAO_LLM_API_KEY" in message
    assert "NIANBAO_BACKEND=rules" in message


def test_a_missing_key_alone_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIANBAO_BACKEND", "llm")
    monkeypatch.setenv("NIANBAO_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("NIANBAO_LLM_API_KEY", "  ")  # blank is unset
    with pytest.raises(ValidationError, match=r"needs an LLM endpoint: set NIANBAO_LLM_API_KEY \("):
        Settings()


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("backend", "gpt", "set it to one of rules, llm, hybrid"),
    ("llm_base_url", "api.openai.com/v1", "NIANBAO_LLM_BASE_URL='api.openai.com/v1' is not an http(s) URL"),
    ("llm_timeout_s", 0, "greater than 0"),
    ("port", 70000, "less than or equal to 65535"),
    ("llm_max_retries", -1, "greater than or equal to 0"),
])
def test_bad_values_are_refused_with_the_fix(field: str, value: Any, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{field: value})
    assert expected in str(caught.value)


def test_the_key_stays_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    llm_env(monkeypatch)
    s = Settings()
    for shown in (repr(s), str(s), s.model_dump_json(), str(s.model_dump()), repr(s.llm_api_key)):
        assert TEST_KEY not in shown
    assert "**********" in repr(s)


def test_get_settings_reads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("NIANBAO_PORT", "9100")
    assert get_settings() is first and first.port == 8000
    get_settings.cache_clear()
    assert get_settings().port == 9100


# ---- the factory -----------------------------------------------------------------------------------

def test_factory_rules_is_the_default() -> None:
    assert isinstance(make_backend(None, Settings()), RulesBackend)
    assert isinstance(make_backend(" Rules ", Settings()), RulesBackend)


def test_factory_unknown_name() -> None:
    with pytest.raises(InputError, match="use one of rules, llm, hybrid") as caught:
        make_backend("gpt4", Settings())
    assert caught.value.detail["accepted"] == ["rules", "llm", "hybrid"]


@pytest.mark.parametrize("name", ["llm", "hybrid"])
def test_factory_llm_needs_settings_or_a_client(name: str) -> None:
    with pytest.raises(LLMUnavailable, match="NIANBAO_LLM_BASE_URL and NIANBAO_LLM_API_KEY"):
        make_backend(name, Settings())
    with pytest.raises(LLMUnavailable, match="not configured"):
        build_client(Settings())


def test_factory_builds_llm_and_hybrid_on_a_given_client(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    settings = Settings(llm_model="fake-model")
    llm = make_backend("llm", settings, client=fake_client)
    hybrid = make_backend("hybrid", settings, client=fake_client)
    assert isinstance(llm, LLMBackend) and llm.name == "llm"
    assert isinstance(hybrid, HybridBackend) and isinstance(hybrid.rules, RulesBackend)
    assert isinstance(hybrid.llm, LLMBackend)
    hybrid.close()  # a client passed in is the caller's: still usable afterwards
    assert not fake_client.is_closed()


def test_factory_builds_its_own_client_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    llm_env(monkeypatch, backend="hybrid")
    settings = Settings()
    backend = make_backend(None, settings)
    assert isinstance(backend, HybridBackend) and isinstance(backend.llm, LLMBackend)
    assert "127.0.0.1:9" in repr(backend) and TEST_KEY not in repr(backend)
    backend.close()  # closes the client it built (a leak would fail the run: warnings are errors)
