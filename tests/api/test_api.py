"""POST /v1/extract through FastAPI's TestClient: the three body forms, the views, and problem+json for every
bad input and every backend failure."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import (
    NOT_A_REPORT,
    PROBLEM,
    SAMPLE,
    SAMPLE_TEXT,
    SAMPLES,
    Failing,
    assert_problem,
    settings,
)

from schemas import Extraction, cell_keys
from service.errors import LLMBudgetExceeded, LLMOutputInvalid, LLMUnavailable, Overloaded
from service.main import create_app
from testkit.fake_llm import TEST_KEY, FakeLLM, Reply, closed_port_url

BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings())) as c:
        yield c


def test_json_text_gives_the_full_extraction(client: TestClient) -> None:
    response = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "source": "a.txt",
                                                "options": {"backend": "rules"}})
    assert response.status_code == 200, response.text
    result = Extraction.model_validate(response.json())
    assert result.source == "a.txt" and result.is_report
    assert result.meta.format_version in ("2019", "2021")
    assert set(cell_keys(result.meta.format_version)) <= result.cells.keys()
    assert result.narrative.backend == "rules" and not result.narrative.degraded
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_file_upload_in_any_supported_encoding(client: TestClient, encoding: str) -> None:
    by_json = client.post("/v1/extract", json={"text": SAMPLE_TEXT}).json()
    response = client.post("/v1/extract", files={"file": (SAMPLE.name, SAMPLE_TEXT.encode(encoding), "text/plain")})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["source"] == SAMPLE.name
    assert result["meta"]["encoding"].startswith({"utf-8": "utf-8", "gbk": "gb", "utf-16": "utf-16"}[encoding])
    assert {k: c["value"] for k, c in result["cells"].items()} == \
        {k: c["value"] for k, c in by_json["cells"].items()}


def test_upload_source_and_options_fields(client: TestClient) -> None:
    response = client.post("/v1/extract", files={"file": ("x.txt", SAMPLE.read_bytes(), "text/plain")},
                           data={"source": "named", "options": '{"backend": "rules"}'})
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "named"


@pytest.mark.parametrize(("content_type", "encoding"), [
    ("text/plain; charset=gbk", "gbk"),
    ("text/plain; charset=GB18030", "gb18030"),
    ('text/plain; charset="utf-8"', "utf-8"),
    ("text/plain;charset=utf-16", "utf-16"),
])
def test_text_plain_honours_its_charset(client: TestClient, content_type: str, encoding: str) -> None:
    response = client.post("/v1/extract?source=t.txt", content=SAMPLE_TEXT.encode(encoding),
                           headers={"content-type": content_type})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["source"] == "t.txt" and result["meta"]["encoding"] == encoding
    assert result["meta"]["agency"] == client.post("/v1/extract", json={"text": SAMPLE_TEXT}).json()["meta"]["agency"]


def test_text_plain_without_charset_is_detected_like_the_core(client: TestClient) -> None:
    response = client.post("/v1/extract", content=SAMPLE_TEXT.encode("gbk"), headers={"content-type": "text/plain"})
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["encoding"] in ("gbk", "gb18030")


@pytest.mark.parametrize(("content_type", "data"), [
    ("text/plain; charset=utf-8", SAMPLE_TEXT.encode("gbk")),  # declared wrong
    ("text/plain; charset=klingon", SAMPLE_TEXT.encode("utf-8")),  # no such charset
    ("text/plain; charset=base64", b"aGVsbG8="),  # a codec, but not a charset
])
def test_text_plain_in_another_charset_than_declared_is_415(client: TestClient, content_type: str,
                                                           data: bytes) -> None:
    body = assert_problem(client.post("/v1/extract", content=data, headers={"content-type": content_type}), 415,
                          "undecodable")
    assert body["charset"] == content_type.split("=", 1)[1]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_flat_view_has_every_contract_key(client: TestClient, sample: Path) -> None:
    response = client.post("/v1/extract?view=flat", json={"text": sample.read_text("utf-8"), "source": "s"})
    assert response.status_code == 200, response.text
    flat = response.json()
    assert flat["source"] == "s"
    assert {"meta.agency", "meta.year", "meta.format_version", "problems", "checks.failed"} <= flat.keys()
    assert set(cell_keys(flat["meta.format_version"])) <= flat.keys()
    assert all(v is None or isinstance(v, int | float) for k, v in flat.items() if k.split(".")[0] in
               ("active", "requests", "review"))


def test_view_full_is_the_default_and_other_views_are_422(client: TestClient) -> None:
    full = client.post("/v1/extract?view=full", json={"text": SAMPLE_TEXT}).json()
    default = client.post("/v1/extract", json={"text": SAMPLE_TEXT}).json()
    assert full.keys() == default.keys() and full["cells"] == default["cells"]
    body = assert_problem(client.post("/v1/extract?view=csv", json={"text": SAMPLE_TEXT}), 422, "invalid_request")
    assert body["errors"][0]["loc"] == ["query", "view"]


@pytest.mark.parametrize(("content", "content_type"), [
    (b'{"text": ""}', "application/json"),
    (b'{"text": "  \\n\\t "}', "application/json"),
    (b"", "application/json"),
    (b"", "text/plain"),
    (b"   \n", "text/plain"),
    (b"", ""),
])
def test_empty_input_is_422(client: TestClient, content: bytes, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    assert_problem(client.post("/v1/extract", content=content, headers=headers), 422, "empty_input")


def test_empty_upload_is_422(client: TestClient) -> None:
    assert_problem(client.post("/v1/extract", files={"file": ("e.txt", b"", "text/plain")}), 422, "empty_input")


@pytest.mark.parametrize("send", [
    lambda c: c.post("/v1/extract", files={"file": ("r.pdf", BINARY, "application/pdf")}),
    lambda c: c.post("/v1/extract", content=BINARY, headers={"content-type": "text/plain"}),
    lambda c: c.post("/v1/extract", content=b"report\x00text" * 100, headers={"content-type": "text/plain"}),
    lambda c: c.post("/v1/extract", content=bytes(range(256)) * 40, headers={"content-type": "text/plain"}),
    lambda c: c.post("/v1/extract", json={"text": SAMPLE_TEXT[:500] + "\x00" + SAMPLE_TEXT[500:]}),
    lambda c: c.post("/v1/extract", json={"text": "".join(chr(c) for c in range(1, 32)) * 100}),
    lambda c: c.post("/v1/extract", content=BINARY, headers={"content-type": "text/plain; charset=utf-8"}),
], ids=["upload", "text-plain", "nul-in-utf8", "all-bytes", "json-nul", "json-controls", "declared-utf8"])
def test_binary_is_415_not_text(client: TestClient, send: Any) -> None:
    body = assert_problem(send(client), 415, "not_text")
    assert "binary" in body["detail"]


def test_private_use_and_unassigned_characters_make_text_binary(client: TestClient) -> None:
    odd = "".join(chr(c) for c in range(0xE000, 0xE100)) + "\U000F0000\u0378" * 50  # private use, unassigned
    assert_problem(client.post("/v1/extract", json={"text": SAMPLE_TEXT[:1000] + odd}), 415, "not_text")


def test_the_fast_path_skips_only_characters_that_are_never_odd() -> None:
    import unicodedata

    from service.api.sniff import _COMMON, _ODD_CATEGORIES, _TEXT_CONTROLS

    skipped_odd = {chr(c) for c in range(0x110000)
                   if _COMMON.fullmatch(chr(c)) and unicodedata.category(chr(c)) in _ODD_CATEGORIES}
    assert skipped_odd <= _TEXT_CONTROLS


def test_a_report_with_a_few_control_characters_is_still_text(client: TestClient) -> None:
    text = SAMPLE_TEXT.replace("\n", "\n\x0c", 3).replace("。", "。\x07", 2)
    assert client.post("/v1/extract", json={"text": text}).status_code == 200


@pytest.mark.parametrize("data", [bytes([0x81, 0x20, 0xFF, 0x80]) * 50, b"\xff\xfe\x41"],
                         ids=["not-gb18030", "odd-utf16"])
def test_undecodable_upload_is_415(client: TestClient, data: bytes) -> None:
    body = assert_problem(client.post("/v1/extract", files={"file": ("b.txt", data, "text/plain")}), 415,
                          "undecodable")
    assert "UTF-8" in body["detail"]


def test_not_a_report_is_422_with_what_is_missing(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/extract", json={"text": NOT_A_REPORT}), 422, "not_a_report")
    assert body["not_found"] and all(isinstance(x, str) for x in body["not_found"])


def test_too_large_is_413() -> None:
    with TestClient(create_app(settings(max_upload_bytes=1000))) as small:
        assert_problem(small.post("/v1/extract", json={"text": SAMPLE_TEXT}), 413, "too_large")
        assert_problem(small.post("/v1/extract", files={"file": ("s.txt", SAMPLE_TEXT.encode(), "text/plain")}),
                       413, "too_large")
        assert_problem(small.post("/v1/extract", content=SAMPLE_TEXT[:1500].encode(),
                                  headers={"content-type": "text/plain"}), 413, "too_large")
        body = assert_problem(small.post("/v1/extract", content=b"x" * 100_000,
                                         headers={"content-type": "application/json"}), 413, "too_large")
        assert body["limit_bytes"] > 1000  # the transport guard, before the body is read
        chunked = small.post("/v1/extract", content=iter([b"x" * 50_000] * 3),
                             headers={"content-type": "application/json"})
        assert_problem(chunked, 413, "too_large")  # no Content-Length: counted as it arrives


@pytest.mark.parametrize("content", [b"{not json", b'{"txt": "x"}', b'{"text": 5}', b"[1, 2]",
                                     b'{"text": "x", "extra": 1}'])
def test_invalid_json_is_422_invalid_request(client: TestClient, content: bytes) -> None:
    body = assert_problem(client.post("/v1/extract", content=content, headers={"content-type": "application/json"}),
                          422, "invalid_request")
    assert body["errors"] and all("input" not in e for e in body["errors"])


@pytest.mark.parametrize("payload", [
    {"text": SAMPLE_TEXT, "options": {"backend": "gpt"}},
    {"text": SAMPLE_TEXT, "options": {"narrative": "perhaps"}},
    {"text": SAMPLE_TEXT, "options": {"unknown": True}},
    {"text": SAMPLE_TEXT, "options": "rules"},
    {"text": SAMPLE_TEXT, "backend": "gpt"},
    {"text": SAMPLE_TEXT, "backend": "llm", "options": {"backend": "rules"}},
])
def test_bad_options_are_422_invalid_options(client: TestClient, payload: dict[str, Any]) -> None:
    body = assert_problem(client.post("/v1/extract", json=payload), 422, "invalid_options")
    assert "options" in body["detail"] or "backend" in body["detail"]
    assert SAMPLE_TEXT[:20] not in json.dumps(body, ensure_ascii=False)  # the input is never echoed


@pytest.mark.parametrize("fields", [{"options": "{not json"}, {"options": '{"backend": "gpt"}'},
                                    {"backend": "gpt"}])
def test_bad_upload_options_are_422_invalid_options(client: TestClient, fields: dict[str, str]) -> None:
    response = client.post("/v1/extract", files={"file": ("a.txt", SAMPLE.read_bytes(), "text/plain")}, data=fields)
    assert_problem(response, 422, "invalid_options")


def test_upload_without_file_field_or_with_unknown_fields_is_422(client: TestClient) -> None:
    assert_problem(client.post("/v1/extract", files={"other": ("a", b"x")}), 422, "invalid_request")
    body = assert_problem(client.post("/v1/extract", files={"file": ("a.txt", SAMPLE.read_bytes(), "text/plain")},
                                      data={"text": "x"}), 422, "invalid_request")
    assert body["errors"][0]["loc"] == ["body", "text"]


def test_other_media_types_are_415(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/extract", content=b"<r/>", headers={"content-type": "application/xml"}),
                          415, "unsupported_media_type")
    assert {"application/json", "text/plain", "multipart/form-data"} <= set(body["accepted"])


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/v2/nothing"), 404, "http_404")
    response = client.get("/v1/extract")
    assert_problem(response, 405, "http_405")
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(("exc", "status", "code"), [
    (LLMUnavailable("connection refused; check NIANBAO_LLM_BASE_URL SECRET-1"), 503, "llm_unavailable"),
    (LLMOutputInvalid("the model's answers never fitted the schema SECRET-2"), 502, "llm_output_invalid"),
    (LLMBudgetExceeded("the report needs 90000 tokens, over the budget SECRET-3"), 422, "llm_budget_exceeded"),
    (RuntimeError("SECRET-INTERNAL 政府信息"), 500, "internal_error"),
])
def test_backend_failures_map_to_statuses_without_leaking(exc: Exception, status: int, code: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings(), backends={"rules": Failing(exc)})
    with TestClient(app) as failing, caplog.at_level(logging.INFO, logger="nianbao"):
        body = assert_problem(failing.post("/v1/extract", json={"text": SAMPLE_TEXT}), status, code)
        metrics = failing.get("/metrics").text
    if code == "internal_error":  # only our own errors' messages are for the client; a crash's stays inside
        assert "SECRET" not in json.dumps(body, ensure_ascii=False)
    assert "SECRET" not in caplog.text
    assert f'nianbao_extractions_total{{outcome="{code}"}} 1.0' in metrics


def test_overloaded_is_503_with_retry_after() -> None:
    app = create_app(settings(), backends={"rules": Failing(Overloaded("64 reports wait already", retry_after=7))})
    with TestClient(app) as busy:
        response = busy.post("/v1/extract", json={"text": SAMPLE_TEXT})
    body = assert_problem(response, 503, "overloaded")
    assert response.headers["retry-after"] == "7" and body["retry_after"] == 7


def test_openapi_documents_every_body_and_problem(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/v1/extract"]["post"]
    assert {"application/json", "text/plain", "multipart/form-data"} <= op["requestBody"]["content"].keys()
    for status in ("401", "413", "415", "422", "500", "502", "503"):
        assert PROBLEM in op["responses"][status]["content"], status
    assert "Retry-After" in op["responses"]["503"]["headers"]
    refs = json.dumps(doc)
    for name in ("ExtractRequest", "ExtractOptions", "BatchRequest", "Extraction"):
        assert f'"#/components/schemas/{name}"' in refs and name in doc["components"]["schemas"], name
    assert op["description"]


def test_llm_required_and_down_is_503_and_the_key_stays_out(caplog: pytest.LogCaptureFixture) -> None:
    llm = settings(backend="llm", llm_base_url=closed_port_url(), llm_api_key=TEST_KEY, llm_max_retries=0,
                   llm_timeout_s=5, cache_url="off")
    with TestClient(create_app(llm)) as served, caplog.at_level(logging.DEBUG):
        response = served.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"llm_required": True}})
    body = assert_problem(response, 503, "llm_unavailable")
    assert TEST_KEY not in response.text and TEST_KEY not in caplog.text
    assert body["detail"]


def test_llm_down_without_llm_required_degrades_to_the_rules(caplog: pytest.LogCaptureFixture) -> None:
    llm = settings(backend="llm", llm_base_url=closed_port_url(), llm_api_key=TEST_KEY, llm_max_retries=0,
                   llm_timeout_s=5, cache_url="off")
    with TestClient(create_app(llm)) as served, caplog.at_level(logging.DEBUG):
        response = served.post("/v1/extract", json={"text": SAMPLE_TEXT})
        metrics = served.get("/metrics").text
    assert response.status_code == 200, response.text
    usage = response.json()["narrative"]
    assert usage["degraded"] and usage["backend"] == "rules" and usage["requested_backend"] == "llm"
    assert usage["degraded_reason"].startswith("llm_unavailable")
    assert "nianbao_degraded_results_total 1.0" in metrics
    assert TEST_KEY not in response.text and TEST_KEY not in caplog.text


def test_llm_backend_per_request_through_a_fake_server(fake_llm: FakeLLM, fake_client: Any) -> None:
    fake_llm.script(*[Reply.tool({"facts": [], "problems": []})] * 3)
    with TestClient(create_app(settings(cache_url="off"), llm_client=fake_client)) as served:
        response = served.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"backend": "llm"}})
        assert response.status_code == 200, response.text
        usage = response.json()["narrative"]
        assert usage["backend"] == "llm" and not usage["degraded"] and usage["llm_calls"] >= 1
        assert usage["prompt_version"] and usage["prompt_tokens"] > 0
        assert served.get("/healthz").json()["backend"] == "rules"  # the default is unchanged
        metrics = served.get("/metrics").text
    assert fake_llm.requests
    assert 'nianbao_llm_calls_total{backend="llm"}' in metrics
    assert 'nianbao_llm_tokens_total{kind="prompt"}' in metrics


def test_deprecated_top_level_backend_still_chooses_the_backend(client: TestClient) -> None:
    response = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "backend": "llm"})
    assert response.status_code == 200, response.text
    assert response.json()["narrative"]["requested_backend"] == "llm"


@pytest.mark.parametrize("backend", ["llm", "hybrid"])
def test_an_llm_backend_asked_of_a_rules_only_server_degrades(client: TestClient, backend: str) -> None:
    response = client.post("/v1/extract", json={"text": SAMPLE_TEXT, "options": {"backend": backend}})
    assert response.status_code == 200, response.text
    usage = response.json()["narrative"]
    assert usage["degraded"] and usage["backend"] == "rules" and usage["requested_backend"] == backend
    assert "NIANBAO_LLM_BASE_URL" in usage["degraded_reason"]
    assert response.json()["facts"] == client.post("/v1/extract", json={"text": SAMPLE_TEXT}).json()["facts"]


def test_an_llm_required_of_a_rules_only_server_is_503(client: TestClient) -> None:
    response = client.post("/v1/extract", json={"text": SAMPLE_TEXT,
                                                "options": {"backend": "llm", "llm_required": True}})
    body = assert_problem(response, 503, "llm_unavailable")
    assert "NIANBAO_LLM_BASE_URL" in body["detail"]
