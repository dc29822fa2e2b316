"""POST /v1/extract/batch: results in order, one problem per bad item (never the whole batch), the item limit
and the concurrency bound."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from support.api import NOT_A_REPORT, SAMPLE_TEXT, SAMPLES, Counting, Failing, assert_problem, settings

from schemas import Extraction
from service.main import create_app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings(batch_max_items=8))) as c:
        yield c


def test_results_come_in_order_and_bad_items_fail_alone(client: TestClient) -> None:
    items = [
        {"text": SAMPLE_TEXT, "source": "first"},
        {"text": NOT_A_REPORT},
        {"text": ""},
        {"txt": "no text field"},
        {"text": "report\x00" * 50},
        {"text": SAMPLE_TEXT, "options": {"backend": "gpt"}},
        "not an object",
        {"text": SAMPLES[1].read_text("utf-8"), "source": "last"},
    ]
    response = client.post("/v1/extract/batch", json={"items": items}, headers={"x-request-id": "batch-1"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["ok"] for r in results] == [True, False, False, False, False, False, False, True]
    assert Extraction.model_validate(results[0]["result"]).source == "first"
    assert results[-1]["result"]["source"] == "last"
    codes = [r["error"]["code"] for r in results if not r["ok"]]
    assert codes == ["not_a_report", "empty_input", "invalid_request", "not_text", "invalid_options",
                     "invalid_request"]
    statuses = [r["error"]["status"] for r in results if not r["ok"]]
    assert statuses == [422, 422, 422, 415, 422, 422]
    assert all(r["error"]["request_id"] == "batch-1" and r["error"]["type"].startswith("urn:nianbao:problem:")
               for r in results if not r["ok"])
    assert results[1]["error"]["not_found"]


def test_item_options_override_the_batch_defaults(client: TestClient) -> None:
    response = client.post("/v1/extract/batch", json={
        "options": {"backend": "llm", "llm_required": True},  # no LLM here: items that keep this fail
        "items": [{"text": SAMPLE_TEXT}, {"text": SAMPLE_TEXT, "options": {"backend": "rules"}}]})
    results = response.json()["results"]
    assert not results[0]["ok"] and results[0]["error"]["code"] == "llm_unavailable"
    assert results[1]["ok"] and results[1]["result"]["narrative"]["backend"] == "rules"


def test_flat_view_applies_to_every_item(client: TestClient) -> None:
    response = client.post("/v1/extract/batch?view=flat", json={"items": [{"text": t.read_text("utf-8")}
                                                                            for t in SAMPLES[:2]]})
    assert response.status_code == 200, response.text
    assert all("meta.agency" in r["result"] and "cells" not in r["result"] for r in response.json()["results"])


def test_more_items_than_allowed_is_413(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/extract/batch", json={"items": [{"text": "x"}] * 9}), 413,
                          "too_many_items")
    assert body["limit_items"] == 8


@pytest.mark.parametrize(("content", "code"), [
    (b'{"items": []}', "invalid_request"),
    (b'{"items": "x"}', "invalid_request"),
    (b'{"reports": []}', "invalid_request"),
    (b"[]", "invalid_request"),
    (b"{not json", "invalid_request"),
    (b'{"items": [{"text": "x"}], "options": {"backend": "gpt"}}', "invalid_options"),
    (b"", "empty_input"),
])
def test_a_malformed_batch_is_422(client: TestClient, content: bytes, code: str) -> None:
    response = client.post("/v1/extract/batch", content=content, headers={"content-type": "application/json"})
    assert_problem(response, 422, code)


def test_a_batch_must_be_json(client: TestClient) -> None:
    response = client.post("/v1/extract/batch", content=SAMPLE_TEXT.encode(), headers={"content-type": "text/plain"})
    assert_problem(response, 415, "unsupported_media_type")


def test_items_run_concurrently_within_the_bound() -> None:
    slow = Counting(seconds=0.15)
    with TestClient(create_app(settings(batch_concurrency=2), backends={"rules": slow})) as c:
        response = c.post("/v1/extract/batch", json={"items": [{"text": SAMPLE_TEXT}] * 6})
    assert response.status_code == 200 and all(r["ok"] for r in response.json()["results"])
    assert slow.most == 2


def test_a_crashing_item_is_its_own_500() -> None:
    with TestClient(create_app(settings(), backends={"rules": Failing(RuntimeError("boom 政府"))})) as c:
        response = c.post("/v1/extract/batch", json={"items": [{"text": NOT_A_REPORT}, {"text": SAMPLE_TEXT}]})
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["error"]["code"] == "not_a_report"  # no narrative step for a non-report: no crash
    assert second["error"]["code"] == "internal_error" and "boom" not in response.text
