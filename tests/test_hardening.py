"""The security review's findings (issue 12), in process: secrets never shown, no open start on the network,
the backends and quotas a client gets, bounded metric labels, the body guard, headers, docs off, log escaping.
The same probes against real processes are in tests/test_abuse.py and tests/test_gateway.py."""

from __future__ import annotations

import logging
import logging.config
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import SAMPLE_TEXT, assert_problem, settings
from fake_llm import closed_port_url
from fastapi.testclient import TestClient

from service.api.bodies import count_keys
from service.api.quotas import Quotas
from service.cli import main
from service.config import Settings, public_url
from service.logs import escape_controls, logging_config
from service.main import create_app
from service.metrics import Metrics

SECRET = "pa55-in-the-url"


# ---- secrets in the LLM URL --------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "shown"), [
    (f"https://user:{SECRET}@llm.example.com:8443/v1?api_key={SECRET}#x", "https://llm.example.com:8443"),
    ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434"),
    (f"https://{SECRET}@api.example.com/v1/", "https://api.example.com"),
    ("http://[::1]:9000/v1", "http://[::1]:9000"),
    (None, "(none)"),
])
def test_public_url_keeps_scheme_host_and_port_only(url: str | None, shown: str) -> None:
    assert public_url(url) == shown


@pytest.fixture
def secret_llm_app() -> Iterator[TestClient]:
    base = closed_port_url().replace("http://", f"http://user:{SECRET}@") + f"?api_key={SECRET}"
    app = create_app(settings(backend="hybrid", llm_base_url=base, llm_api_key="k" * 12, llm_max_retries=0,
                              cache_url="off"))
    with TestClient(app) as client:
        yield client


def test_a_secret_in_the_llm_url_is_never_echoed(secret_llm_app: TestClient,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    # Before: the URL came back verbatim in /readyz, narrative.degraded_reason and the 503 detail.
    with caplog.at_level(logging.INFO):
        ready = secret_llm_app.get("/readyz")
        degraded = secret_llm_app.post("/v1/extract", json={"text": SAMPLE_TEXT})
        required = secret_llm_app.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"llm_required": True}})
    assert_problem(ready, 503, "not_ready")
    assert degraded.status_code == 200 and degraded.json()["narrative"]["degraded"] is True
    assert_problem(required, 503, "llm_unavailable")
    for response in (ready, degraded, required):
        assert SECRET not in response.text and "user:" not in response.text
    assert "http://127.0.0.1:" in degraded.json()["narrative"]["degraded_reason"]  # where, without the secret
    assert "127.0.0.1" not in ready.text  # /readyz is open: no probe details at all
    assert SECRET not in caplog.text


# ---- open by default -----------------------------------------------------------------------------------

def _serve(monkeypatch: pytest.MonkeyPatch, *argv: str, **env: str) -> tuple[int, list[dict[str, Any]]]:
    import uvicorn

    for name in ("NIANBAO_API_KEYS", "NIANBAO_AUTH", "NIANBAO_API_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    return main(["serve", *argv]), calls


def test_serve_refuses_a_network_address_without_keys(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    status, calls = _serve(monkeypatch, "--host", "0.0.0.0")
    assert status == 2 and not calls
    assert "refusing to serve on 0.0.0.0 without API keys" in capsys.readouterr().err
    assert _serve(monkeypatch, "--host", "::")[0] == 2
    assert _serve(monkeypatch, "--host", "10.1.2.3")[0] == 2


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_serve_on_loopback_needs_no_keys(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    status, calls = _serve(monkeypatch, "--host", host)
    assert status == 0 and calls[0]["host"] == host


def test_serve_open_on_the_network_only_when_asked_and_loudly(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    status, calls = _serve(monkeypatch, "--host", "0.0.0.0", NIANBAO_AUTH="off", NIANBAO_LOG_FORMAT="text")
    assert status == 0 and calls
    assert "WITHOUT API keys" in capsys.readouterr().err
    status, calls = _serve(monkeypatch, "--host", "0.0.0.0", NIANBAO_API_KEYS="k-1234567890")
    assert status == 0 and calls


def test_auth_off_with_keys_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="NIANBAO_AUTH=off and NIANBAO_API_KEYS"):
        Settings(_env_file=None, auth="off", api_keys="k1")  # type: ignore[call-arg]


def test_secrets_come_from_files(tmp_path: Path) -> None:
    keys, llm = tmp_path / "keys", tmp_path / "llm"
    keys.write_text("first-key\nsecond-key, third-key\n", encoding="utf-8")
    llm.write_text("sk-from-a-file\n", encoding="utf-8")
    loaded = Settings(_env_file=None, api_keys_file=keys, llm_api_key_file=llm)  # type: ignore[call-arg]
    assert [k.get_secret_value() for k in loaded.api_keys] == ["first-key", "second-key", "third-key"]
    assert loaded.llm_api_key is not None and loaded.llm_api_key.get_secret_value() == "sk-from-a-file"
    with pytest.raises(ValueError, match="cannot be read"):
        Settings(_env_file=None, api_keys_file=tmp_path / "missing")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="both set"):
        Settings(_env_file=None, api_keys_file=keys, api_keys="k")  # type: ignore[call-arg]


# ---- what a client may choose, and how much ------------------------------------------------------------

def test_a_client_is_denied_the_llm_by_default() -> None:
    # Before: any client could ask for llm or hybrid (and use_cache=false): a paid call each time.
    app = create_app(settings(client_backends="", llm_base_url=closed_port_url(), llm_api_key="k" * 12))
    with TestClient(app) as client:
        denied = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"backend": "llm"}})
        legacy = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "backend": "hybrid"})
        allowed = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"backend": "rules"}})
        batch = client.post("/v1/extract/batch", json={"items": [{"text": SAMPLE_TEXT},
                                                                 {"text": SAMPLE_TEXT, "options": {"backend": "llm"}}]})
    problem = assert_problem(denied, 403, "backend_not_allowed")
    assert problem["allowed"] == ["rules"]
    assert_problem(legacy, 403, "backend_not_allowed")
    assert allowed.status_code == 200
    first, second = batch.json()["results"]
    assert first["ok"] and not second["ok"] and second["error"]["code"] == "backend_not_allowed"


def test_the_operator_lists_the_backends_clients_may_ask_for() -> None:
    app = create_app(settings(client_backends="rules,hybrid", llm_base_url=closed_port_url(), llm_api_key="k" * 12,
                              llm_max_retries=0, cache_url="off"))
    with TestClient(app) as client:
        hybrid = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"backend": "hybrid"}})
        llm = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"backend": "llm"}})
        no_cache = client.post("/v1/extract", json={"text": SAMPLE_TEXT,
                                                    "options": {"backend": "hybrid", "use_cache": False}})
    assert hybrid.status_code == 200  # allowed (it degrades here: no LLM listens)
    assert_problem(llm, 403, "backend_not_allowed")
    assert "use_cache" in assert_problem(no_cache, 403, "backend_not_allowed")["detail"]


def test_a_client_over_its_request_quota_gets_429_with_retry_after() -> None:
    app = create_app(settings(quota_requests_per_min=3, api_keys="key-one-123456,key-two-123456"))
    with TestClient(app) as client:
        one = {"Authorization": "Bearer key-one-123456"}
        statuses = [client.post("/v1/extract", json={"text": SAMPLE_TEXT}, headers=one).status_code
                    for _ in range(4)]
        limited = client.post("/v1/extract", json={"text": SAMPLE_TEXT}, headers=one)
        other = client.post("/v1/extract", json={"text": SAMPLE_TEXT}, headers={"X-API-Key": "key-two-123456"})
        probe = client.get("/healthz")
    assert statuses == [200, 200, 200, 429]
    problem = assert_problem(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60 and problem["retry_after"] == int(limited.headers["retry-after"])
    assert "key-one" not in limited.text
    assert other.status_code == 200  # another key has its own quota
    assert probe.status_code == 200  # probes are not counted


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_quota_per_client_and_the_process_budget() -> None:
    clock = _Clock()
    quotas = Quotas(settings(quota_llm_tokens_per_min=1000, llm_tokens_per_min=1500), clock=clock)
    quotas.admit_llm("key:1")
    quotas.charge("key:1", 1200)  # a reading may overshoot; the next one waits
    with pytest.raises(Exception, match="spent 1200 LLM tokens") as caught:
        quotas.admit_llm("key:1")
    assert getattr(caught.value, "retry_after", 0) == 60
    quotas.admit_llm("key:2")
    quotas.charge("key:2", 400)  # the process has spent 1600 of 1500 now
    with pytest.raises(Exception, match="LLM budget of 1500"):
        quotas.admit_llm("key:3")
    clock.now += 45
    with pytest.raises(Exception, match="retry in 15 s"):
        quotas.admit_llm("key:3")
    clock.now += 15  # a new minute
    quotas.admit_llm("key:1")
    quotas.admit_llm("key:3")


# ---- bodies, metrics, headers, docs, logs ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "keys"), [
    ('{"text": "a", "options": {"backend": "rules"}}', 3),
    ('{"text": "say \\"k\\": 1, then \\\\", "source": "b: c"}', 2),
    ('["a", ":b", "c"]', 0),
    ('{"a": {"b": {"c": [{"d": 1}]}}}', 4),
    ('{"报告": "文本：内容", "x" :1}', 2),
])
def test_count_keys_counts_object_keys_only(text: str, keys: int) -> None:
    assert count_keys(text, 100) == keys
    assert count_keys(text.encode(), 100) == keys


@pytest.mark.parametrize("raw", [
    b'"' + b'\\"' * 200_000,  # one unterminated string of escaped quotes: a retrying regex took 6 s per 20 KB
    b"[" + b'"",' * 400_000 + b"]",  # strings but no keys: stops after twice the key bound
    b'{"text": "' + "报告：\\\"内容\\\": ".encode() * 100_000 + b'"}',
])
def test_count_keys_is_linear_on_hostile_text(raw: bytes) -> None:
    started = time.perf_counter()
    count_keys(raw, 65)
    assert time.perf_counter() - started < 1.0


def test_metric_labels_take_fixed_values_only() -> None:
    metrics = Metrics()
    for i in range(200):
        metrics.observe_request(f"/route/{i}", f"M{'X' * i}", 200, 0.01)
    metrics.observe_request("/v1/extract", "POST", 999, 0.01)
    text = metrics.render().decode()
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert len(routes) <= 64 and "unmatched" in routes  # a bound even for templates the app never has
    assert set(re.findall(r'method="([^"]*)"', text)) == {"other", "POST"}
    assert 'status="other"' in text and "XXXXXXXXXX" not in text


def test_healthz_shows_no_pid_and_answers_carry_nosniff() -> None:
    with TestClient(create_app(settings())) as client:
        health = client.get("/healthz")
        problem = client.post("/v1/extract", json={"text": ""})
        docs = client.get("/docs")
    assert "pid" not in health.json() and len(health.json()["worker"]) == 8
    for response in (health, problem, docs):
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in docs.headers  # Swagger's page loads a CDN bundle and inline script


def test_html_pages_other_than_the_docs_get_a_strict_csp() -> None:
    from fastapi.responses import HTMLResponse

    app = create_app(settings())
    app.add_api_route("/review-page", lambda: HTMLResponse("<p>review</p>"), methods=["GET"])
    with TestClient(app) as client:
        csp = client.get("/review-page").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp


def test_docs_can_be_turned_off() -> None:
    with TestClient(create_app(settings(docs=False))) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/healthz").status_code == 200


def test_text_logs_escape_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    assert escape_controls("/v1/\nfake 200\x1b[31m\u2028") == "/v1/\\x0afake 200\\x1b[31m\\u2028"
    logging.config.dictConfig(logging_config("INFO", "text"))
    try:
        with TestClient(create_app(settings())) as client:
            client.get("/v1/%0Afake%20line%1B%5B2J")
    finally:
        logging.config.dictConfig(logging_config("WARNING", "json"))
    lines = [line for line in capsys.readouterr().err.splitlines() if "/v1/" in line]
    assert lines and all("\x1b" not in line for line in lines)
    assert any("/v1/\\x0afake line\\x1b[2J" in line for line in lines), lines


class _Spending:
    """An LLM-like backend: the rules' reading, reported as costing 600 + 100 tokens."""

    name = "llm"

    def __init__(self) -> None:
        from service.narrative.rules import RulesBackend

        self.rules = RulesBackend()
        self.calls = 0

    def read(self, doc: Any, options: Any = None) -> Any:
        self.calls += 1
        out = self.rules.read(doc, options)
        out.usage.backend, out.usage.llm_calls = "llm", 1
        out.usage.prompt_tokens, out.usage.completion_tokens = 600, 100
        return out

    async def aread(self, doc: Any, options: Any = None) -> Any:
        return self.read(doc, options)


def test_a_client_over_its_token_quota_gets_429_and_spends_nothing_more() -> None:
    spending = _Spending()
    app = create_app(settings(quota_llm_tokens_per_min=1000, api_keys="key-one-123456,key-two-123456"),
                     backends={"llm": spending})
    ask = {"text": SAMPLE_TEXT, "options": {"backend": "llm"}}
    with TestClient(app) as client:
        one, two = {"X-API-Key": "key-one-123456"}, {"X-API-Key": "key-two-123456"}
        first, second = (client.post("/v1/extract", json=ask, headers=one) for _ in range(2))
        third = client.post("/v1/extract", json=ask, headers=one)
        rules = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"backend": "rules"}}, headers=one)
        other = client.post("/v1/extract", json=ask, headers=two)
    assert first.status_code == second.status_code == 200  # 700, then 1400 tokens: the second started under
    assert first.json()["narrative"]["prompt_tokens"] == 600
    problem = assert_problem(third, 429, "rate_limited")
    assert "1400 LLM tokens" in problem["detail"] and third.headers["retry-after"]
    assert rules.status_code == 200  # the rules cost nothing: still served
    assert other.status_code == 200 and spending.calls == 3
