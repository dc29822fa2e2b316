"""What operating the service needs: probes, metrics, API keys, request ids, CORS, the path prefix, logs."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.config
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from api_support import NOT_A_REPORT, SAMPLE_TEXT, assert_problem, settings
from fake_llm import TEST_KEY, closed_port_url
from fastapi.testclient import TestClient

from schemas import Extraction, NarrativeUsage
from service.logs import logging_config, request_id_var
from service.main import create_app
from service.metrics import Metrics

KEYS = "key-one-0123456789,key-two-9876543210"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings())) as c:
        yield c


# ---- probes ----------------------------------------------------------------------------------------

def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["backend"] == "rules"


def test_readyz_with_the_rules_backend_checks_the_prompts(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks.keys() == {"prompts"} and checks["prompts"]["ok"] and "sha256:" in checks["prompts"]["detail"]


class _Models:
    """A loopback server answering ``GET /v1/models`` with a given status, counting the calls."""

    def __init__(self, status: int) -> None:
        self.status, self.calls, self.auth = status, 0, ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
                outer.calls += 1
                outer.auth = self.headers.get("authorization", "")
                body = b'{"object": "list", "data": []}'
                self.send_response(outer.status if self.path == "/v1/models" else 404)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def models_ok() -> Iterator[_Models]:
    server = _Models(200)
    yield server
    server.close()


def _llm_settings(url: str) -> Any:
    return settings(backend="llm", llm_base_url=url, llm_api_key=TEST_KEY, llm_max_retries=0, cache_url="off")


def test_readyz_probes_the_llm_once_in_a_while(models_ok: _Models) -> None:
    with TestClient(create_app(_llm_settings(models_ok.url))) as c:
        first, second = c.get("/readyz"), c.get("/readyz")
    assert first.status_code == 200 and second.status_code == 200, first.text
    assert first.json()["checks"]["llm"]["ok"]
    assert models_ok.calls == 1  # the second answer came from the cache
    assert models_ok.auth == f"Bearer {TEST_KEY}"
    assert TEST_KEY not in first.text


def test_readyz_is_503_when_the_llm_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(create_app(_llm_settings(closed_port_url()))) as c, caplog.at_level(logging.DEBUG):
        response = c.get("/readyz")
        assert c.get("/healthz").status_code == 200  # alive all the same
    body = assert_problem(response, 503, "not_ready")
    assert not body["checks"]["llm"]["ok"] and body["checks"]["prompts"]["ok"]
    assert TEST_KEY not in response.text and TEST_KEY not in caplog.text


@pytest.mark.parametrize(("status", "said"), [(401, "refuses the configured key"), (500, "does not answer")])
def test_readyz_is_503_when_the_llm_refuses(status: int, said: str, caplog: pytest.LogCaptureFixture) -> None:
    server = _Models(status)
    try:
        with TestClient(create_app(_llm_settings(server.url))) as c, caplog.at_level(logging.INFO):
            response = c.get("/readyz")
    finally:
        server.close()
    body = assert_problem(response, 503, "not_ready")
    assert said in body["checks"]["llm"]["detail"]
    # The probe's details (URL, status) go to the log, not to the open /readyz.
    assert server.url not in response.text and "127.0.0.1" not in response.text
    assert f"with {status}" in caplog.text


# ---- metrics ---------------------------------------------------------------------------------------

def test_metrics_count_requests_by_route_template_and_outcomes() -> None:
    with TestClient(create_app(settings())) as c:
        c.post("/v1/extract", json={"text": SAMPLE_TEXT})
        c.post("/v1/extract", json={"text": NOT_A_REPORT})
        c.get("/v2/nothing/123")
        text = c.get("/metrics").text
    assert 'nianbao_http_requests_total{method="POST",route="/v1/extract",status="200"} 1.0' in text
    assert 'nianbao_http_requests_total{method="POST",route="/v1/extract",status="422"} 1.0' in text
    assert 'nianbao_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'nianbao_extractions_total{outcome="ok"} 1.0' in text
    assert 'nianbao_extractions_total{outcome="not_a_report"} 1.0' in text
    assert 'nianbao_http_request_duration_seconds_count{method="POST",route="/v1/extract"} 2.0' in text


def test_metrics_of_a_result_count_llm_calls_tokens_cache_hits_and_degraded() -> None:
    metrics = Metrics()
    metrics.observe_result(NarrativeUsage(backend="llm", llm_calls=2, prompt_tokens=300, completion_tokens=40))
    metrics.observe_result(NarrativeUsage(backend="llm", cached=True))
    metrics.observe_result(NarrativeUsage(backend="rules", requested_backend="llm", degraded=True, llm_calls=1,
                                          prompt_tokens=100))
    text = metrics.render().decode()
    assert 'nianbao_llm_calls_total{backend="llm"} 2.0' in text
    assert 'nianbao_llm_calls_total{backend="rules"} 1.0' in text  # the failed attempt, before the fallback
    assert 'nianbao_llm_tokens_total{kind="prompt"} 400.0' in text
    assert 'nianbao_llm_tokens_total{kind="completion"} 40.0' in text
    assert "nianbao_llm_cache_hits_total 1.0" in text and "nianbao_degraded_results_total 1.0" in text


def test_a_client_that_hangs_up_mid_body_is_no_error(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings())
    messages = iter([{"type": "http.request", "body": b"partial", "more_body": True}, {"type": "http.disconnect"}])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/extract", "root_path": "", "query_string": b"",
             "headers": [(b"content-type", b"text/plain")], "http_version": "1.1", "scheme": "http"}
    with TestClient(app) as c, caplog.at_level(logging.INFO, logger="nianbao"):
        asyncio.run(app(scope, receive, send))
        text = c.get("/metrics").text
    assert not sent  # nobody to answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 'nianbao_http_requests_total{method="POST",route="/v1/extract",status="499"} 1.0' in text


# ---- API keys --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def guarded() -> Iterator[TestClient]:
    with TestClient(create_app(settings(api_keys=KEYS))) as c:
        yield c


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong"}, {"x-api-key": "key-one"},
                                     {"authorization": "Basic a2V5LW9uZS0wMTIzNDU2Nzg5"},
                                     {"authorization": "key-one-0123456789"}])
def test_without_a_valid_key_the_api_is_401(guarded: TestClient, headers: dict[str, str]) -> None:
    for path in ("/v1/extract", "/v1/extract/batch"):
        response = guarded.post(path, json={"text": SAMPLE_TEXT}, headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(guarded.get("/v1/schema", headers=headers), 401, "unauthorized")


@pytest.mark.parametrize("headers", [{"authorization": "Bearer key-one-0123456789"},
                                     {"authorization": "bearer key-two-9876543210"},
                                     {"x-api-key": "key-two-9876543210"}])
def test_either_header_with_any_key_is_let_in(guarded: TestClient, headers: dict[str, str]) -> None:
    response = guarded.post("/v1/extract", json={"text": SAMPLE_TEXT}, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"])
def test_probes_and_docs_stay_open(guarded: TestClient, path: str) -> None:
    assert guarded.get(path).status_code == 200


def test_the_keys_stay_out_of_logs_and_the_security_schemes_are_documented(
        guarded: TestClient, client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        guarded.post("/v1/extract", json={"text": SAMPLE_TEXT}, headers={"x-api-key": "key-one-0123456789"})
        guarded.post("/v1/extract", json={"text": SAMPLE_TEXT}, headers={"x-api-key": "a-wrong-key-1234"})
    assert "key-one" not in caplog.text and "a-wrong-key" not in caplog.text
    schemes = guarded.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


# ---- request ids -----------------------------------------------------------------------------------

@pytest.mark.parametrize("incoming", ["req-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "a" * 128,
                                      "trace:abc/1+x="])
def test_a_plain_request_id_is_passed_through(client: TestClient, incoming: str) -> None:
    response = client.post("/v1/extract", json={"text": NOT_A_REPORT}, headers={"x-request-id": incoming})
    assert response.headers["x-request-id"] == incoming
    assert response.json()["request_id"] == incoming


@pytest.mark.parametrize("incoming", ["a" * 129, "two words", 'quote"d', "", "<script>"])
def test_other_request_ids_are_replaced(client: TestClient, incoming: str) -> None:
    response = client.get("/v2/none", headers={"x-request-id": incoming})
    generated = response.headers["x-request-id"]
    assert generated != incoming and len(generated) == 32 and int(generated, 16) >= 0
    assert response.json()["request_id"] == generated


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    assert client.get("/healthz").headers["x-request-id"] != client.get("/healthz").headers["x-request-id"]


# ---- CORS ------------------------------------------------------------------------------------------

def test_no_cors_headers_unless_configured(client: TestClient) -> None:
    response = client.get("/healthz", headers={"origin": "https://example.org"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/v1/extract", headers={"origin": "https://example.org",
                                                       "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_headers_for_the_configured_origins() -> None:
    with TestClient(create_app(settings(cors_origins="https://a.example, https://b.example"))) as c:
        allowed = c.post("/v1/extract", json={"text": NOT_A_REPORT}, headers={"origin": "https://b.example"})
        other = c.get("/healthz", headers={"origin": "https://evil.example"})
        preflight = c.options("/v1/extract", headers={"origin": "https://a.example",
                                                      "access-control-request-method": "POST",
                                                      "access-control-request-headers": "x-api-key,content-type"})
    assert allowed.headers["access-control-allow-origin"] == "https://b.example"
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "https://a.example"


# ---- path prefix -----------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix_in_path", [True, False], ids=["kept", "stripped"])
def test_the_app_works_under_a_path_prefix(prefix_in_path: bool) -> None:
    base = "/nianbao" if prefix_in_path else ""
    with TestClient(create_app(settings(root_path="/nianbao/"))) as c:
        docs = c.get(f"{base}/docs")
        openapi = c.get(f"{base}/openapi.json").json()
        extracted = c.post(f"{base}/v1/extract", json={"text": SAMPLE_TEXT})
    assert docs.status_code == 200 and "'/nianbao/openapi.json'" in docs.text.replace('"', "'")
    assert openapi["servers"] == [{"url": "/nianbao"}]
    assert extracted.status_code == 200 and Extraction.model_validate(extracted.json()).is_report


# ---- logs ------------------------------------------------------------------------------------------

def test_a_request_is_logged_once_with_metadata_not_text(client: TestClient,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    marker = "独一无二的标记文字"
    with caplog.at_level(logging.INFO, logger="nianbao"):
        response = client.post("/v1/extract", json={"text": SAMPLE_TEXT + marker},
                               headers={"x-request-id": "req-log-1"})
    assert response.headers["x-request-id"] == "req-log-1"
    lines = [r for r in caplog.records if getattr(r, "route", None) == "/v1/extract"]
    assert len(lines) == 1
    record = lines[0]
    assert (record.request_id, record.status, record.method) == ("req-log-1", 200, "POST")
    assert record.bytes_in > len(SAMPLE_TEXT) and record.duration_ms > 0
    assert marker not in caplog.text


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_log_lines_carry_the_request_id(fmt: Any) -> None:
    config = logging_config("INFO", fmt)
    stream = io.StringIO()
    logging.config.dictConfig({**config, "handlers": {"stderr": {**config["handlers"]["stderr"],
                                                                 "stream": stream}},
                               "loggers": {"nianbao.test": config["loggers"]["nianbao"]}})
    log = logging.getLogger("nianbao.test")
    token = request_id_var.set("req-ctx-9")
    try:
        log.info("inside %s", "a request")
    finally:
        request_id_var.reset(token)
    log.info("outside", extra={"status": 200})
    first, second = stream.getvalue().splitlines()
    if fmt == "json":
        inside, outside = json.loads(first), json.loads(second)
        assert inside["request_id"] == "req-ctx-9" and inside["message"] == "inside a request"
        assert inside["level"] == "INFO" and inside["logger"] == "nianbao.test" and "time" in inside
        assert outside["request_id"] == "-" and outside["status"] == 200
    else:
        assert "[req-ctx-9] inside a request" in first and "[-] outside" in second
    logging.getLogger("nianbao.test").handlers.clear()
