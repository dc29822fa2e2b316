"""The HTTP API through FastAPI's TestClient: inputs, the flat view, and problem+json for every bad input."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_llm import TEST_KEY, FakeLLM, Reply, closed_port_url
from fastapi.testclient import TestClient

from schemas import Extraction, cell_keys
from service.config import Settings
from service.errors import LLMOutputInvalid, LLMUnavailable
from service.main import create_app
from service.narrative import NarrativeInput, NarrativeOutput

SAMPLES = sorted((Path(__file__).parent.parent / "eval" / "samples").glob("*.txt"))
SAMPLE = SAMPLES[0]
PROBLEM = "application/problem+json"
NOT_A_REPORT = "今天天气很好，我们去公园散步。这段文字与政府信息公开无关。" * 5


def _settings(**overrides: Any) -> Settings:
    """Settings from the arguments alone: no .env, and the rules backend unless told otherwise."""
    return Settings(**{"_env_file": None, "backend": "rules", **overrides})


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(_settings())) as c:
        yield c


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status and body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["backend"] == "rules"


def test_json_text_gives_the_extraction(client: TestClient) -> None:
    response = client.post("/v1/extract", json={"text": SAMPLE.read_text("utf-8"), "source": "a.txt"})
    assert response.status_code == 200, response.text
    result = Extraction.model_validate(response.json())
    assert result.source == "a.txt" and result.is_report
    assert result.meta.format_version in ("2019", "2021")
    assert set(cell_keys(result.meta.format_version)) <= result.cells.keys()
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_file_upload_in_any_supported_encoding(client: TestClient, encoding: str) -> None:
    text = SAMPLE.read_text("utf-8")
    by_json = client.post("/v1/extract", json={"text": text}).json()
    data = text.encode(encoding)
    response = client.post("/v1/extract", files={"file": (SAMPLE.name, data, "text/plain")})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["source"] == SAMPLE.name
    assert result["meta"]["encoding"] in ({"utf-8"} if encoding == "utf-8" else {"gbk", "gb18030"})
    assert {k: c["value"] for k, c in result["cells"].items()} == \
        {k: c["value"] for k, c in by_json["cells"].items()}


def test_upload_source_and_backend_fields(client: TestClient) -> None:
    response = client.post("/v1/extract", files={"file": ("x.txt", SAMPLE.read_bytes(), "text/plain")},
                           data={"source": "named", "backend": "rules"})
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "named"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_flat_view_has_every_contract_key(client: TestClient, sample: Path) -> None:
    response = client.post("/v1/extract?flat=true", json={"text": sample.read_text("utf-8"), "source": "s"})
    assert response.status_code == 200, response.text
    flat = response.json()
    assert flat["source"] == "s"
    assert {"meta.agency", "meta.year", "meta.format_version", "problems", "checks.failed"} <= flat.keys()
    assert set(cell_keys(flat["meta.format_version"])) <= flat.keys()
    assert all(v is None or isinstance(v, int | float) for k, v in flat.items() if k.split(".")[0] in
               ("active", "requests", "review"))


@pytest.mark.parametrize("payload", [{"text": ""}, {"text": "   \n\t "}])
def test_empty_text_is_422(client: TestClient, payload: dict[str, str]) -> None:
    _problem(client.post("/v1/extract", json=payload), 422, "empty_input")


def test_empty_upload_is_422(client: TestClient) -> None:
    _problem(client.post("/v1/extract", files={"file": ("e.txt", b"", "text/plain")}), 422, "empty_input")


@pytest.mark.parametrize("data", [bytes([0x81, 0x20, 0xFF, 0x80]) * 50, b"\xff\xfe\x41"],
                         ids=["not-gb18030", "odd-utf16"])
def test_undecodable_upload_is_415(client: TestClient, data: bytes) -> None:
    response = client.post("/v1/extract", files={"file": ("b.txt", data, "text/plain")})
    body = _problem(response, 415, "undecodable")
    assert "UTF-8" in body["detail"]


def test_not_a_report_is_422_with_what_is_missing(client: TestClient) -> None:
    body = _problem(client.post("/v1/extract", json={"text": NOT_A_REPORT}), 422, "not_a_report")
    assert body["not_found"] and all(isinstance(x, str) for x in body["not_found"])


def test_too_large_is_413() -> None:
    with TestClient(create_app(_settings(max_upload_bytes=1000))) as small:
        text = SAMPLE.read_text("utf-8")
        _problem(small.post("/v1/extract", json={"text": text}), 413, "too_large")
        _problem(small.post("/v1/extract", files={"file": ("s.txt", text.encode(), "text/plain")}), 413,
                 "too_large")
        body = _problem(small.post("/v1/extract", content=b"x" * 100_000,
                                   headers={"content-type": "application/json"}), 413, "too_large")
        assert body["limit_bytes"] > 1000  # the transport guard, before the body is read
        chunked = small.post("/v1/extract", content=iter([b"x" * 50_000] * 3),
                             headers={"content-type": "application/json"})
        _problem(chunked, 413, "too_large")  # no Content-Length: counted as it arrives


@pytest.mark.parametrize(("content", "content_type"), [
    (b"{not json", "application/json"),
    (b'{"txt": "x"}', "application/json"),
    (b'{"text": 5}', "application/json"),
    (b'{"text": "x", "backend": "gpt"}', "application/json"),
    (b"", "application/json"),
])
def test_invalid_json_is_422_problem(client: TestClient, content: bytes, content_type: str) -> None:
    body = _problem(client.post("/v1/extract", content=content, headers={"content-type": content_type}), 422,
                    "invalid_request")
    assert body["errors"] and all("input" not in e for e in body["errors"])


def test_upload_without_file_field_is_422(client: TestClient) -> None:
    _problem(client.post("/v1/extract", data={"text": "x"}, files={"other": ("a", b"x")}), 422,
             "invalid_request")
    _problem(client.post("/v1/extract", files={"file": ("a", b"x")}, data={"backend": "gpt"}), 422,
             "invalid_request")


def test_other_media_types_are_415(client: TestClient) -> None:
    body = _problem(client.post("/v1/extract", content=b"text", headers={"content-type": "text/plain"}), 415,
                    "unsupported_media_type")
    assert "multipart/form-data" in body["accepted"]


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    _problem(client.get("/v2/nothing"), 404, "http_404")
    _problem(client.get("/v1/extract"), 405, "http_405")


class _Failing:
    """A narrative backend that raises the given exception."""

    name = "failing"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def read(self, doc: NarrativeInput) -> NarrativeOutput:
        """Raise."""
        raise self.exc


@pytest.mark.parametrize(("exc", "status", "code"), [
    (LLMUnavailable("connection refused; check NIANBAO_LLM_BASE_URL"), 503, "llm_unavailable"),
    (LLMOutputInvalid("the model's answers never fitted the schema"), 502, "llm_output_invalid"),
    (RuntimeError("SECRET-INTERNAL 政府信息"), 500, "internal_error"),
])
def test_backend_failures_map_to_statuses_without_leaking(exc: Exception, status: int, code: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(_settings(), backends={"rules": _Failing(exc)})
    with TestClient(app) as failing, caplog.at_level(logging.INFO, logger="nianbao"):
        body = _problem(failing.post("/v1/extract", json={"text": SAMPLE.read_text("utf-8")}), status, code)
    assert "SECRET" not in json.dumps(body, ensure_ascii=False)
    assert "SECRET" not in caplog.text


def test_logs_carry_metadata_not_report_text(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    marker = "独一无二的标记文字"
    with caplog.at_level(logging.INFO, logger="nianbao"):
        response = client.post("/v1/extract", json={"text": SAMPLE.read_text("utf-8") + marker},
                               headers={"x-request-id": "req-123"})
    assert response.headers["x-request-id"] == "req-123"
    assert "request_id=req-123" in caplog.text and "status=200" in caplog.text
    assert marker not in caplog.text


def test_openapi_documents_both_bodies_and_problems(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/v1/extract"]["post"]
    assert {"application/json", "multipart/form-data"} <= op["requestBody"]["content"].keys()
    assert PROBLEM in op["responses"]["422"]["content"]
    assert op["description"]


def test_llm_down_is_503_and_the_key_stays_out(caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(backend="llm", llm_base_url=closed_port_url(), llm_api_key=TEST_KEY,
                         llm_max_retries=0, llm_timeout_s=5)
    with TestClient(create_app(settings)) as llm, caplog.at_level(logging.DEBUG):
        response = llm.post("/v1/extract", json={"text": SAMPLE.read_text("utf-8")})
    body = _problem(response, 503, "llm_unavailable")
    assert TEST_KEY not in response.text and TEST_KEY not in caplog.text
    assert body["detail"]


def test_llm_backend_per_request_through_a_fake_server(fake_llm: FakeLLM, fake_client: Any) -> None:
    fake_llm.script(*[Reply.tool({"facts": [], "problems": []})] * 3)
    with TestClient(create_app(_settings(), llm_client=fake_client)) as served:
        response = served.post("/v1/extract", json={"text": SAMPLE.read_text("utf-8"), "backend": "llm"})
        assert response.status_code == 200, response.text
        assert response.json()["narrative"]["backend"] == "llm"
        assert served.get("/healthz").json()["backend"] == "rules"  # the default is unchanged
    assert fake_llm.requests


def test_llm_backend_asked_of_a_rules_only_server_is_503(client: TestClient) -> None:
    body = _problem(client.post("/v1/extract", json={"text": SAMPLE.read_text("utf-8"), "backend": "llm"}),
                    503, "llm_unavailable")
    assert "NIANBAO_LLM_BASE_URL" in body["detail"]
