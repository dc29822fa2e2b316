"""Property-based tests of the whole HTTP API from its own OpenAPI document (schemathesis, in process): for
generated requests — valid and invalid — no answer is a 5xx, and every answer matches the document
(status codes, media types, bodies, headers). The number of examples is bounded to keep this quick."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from api_support import settings
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import ServerError
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from service.main import create_app

APP = create_app(settings(max_upload_bytes=200_000, batch_max_items=4))
# The file bodies (a PDF or a .docx posted as itself) are generated as bytes, like application/octet-stream.
schemathesis.serializer.alias(["application/pdf",
                               "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
                              "application/octet-stream")
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _running_app() -> Iterator[None]:
    """Run the app's lifespan (backends, readiness) around the generated requests."""
    with TestClient(APP):
        yield


def no_server_error(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                    case: schemathesis.Case) -> None:
    """No 5xx, except the documented 503 ``llm_unavailable``: a generated request may require an LLM
    (``options.llm_required``) of this server, which has none."""
    if response.status_code < 500:
        return
    if response.status_code == 503 and response.json().get("code") == "llm_unavailable":
        return
    raise ServerError(operation=case.operation.label, status_code=response.status_code)


@SCHEMA.parametrize()
@hypothesis_settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # A schema-valid text need not be an annual report: 422 not_a_report is the right answer to most
    # generated texts, so "valid data must be accepted" does not hold for this API.
    excluded = [positive_data_acceptance, not_a_server_error]
    if case.operation.path in ("/v1/extract/batch", "/v1/series"):
        # A batch (or series) with a malformed item is answered 200 by design: that item's entry holds the
        # 422 (tests/test_api_batch.py and tests/test_series_cli_api.py check the envelope's own 422s).
        excluded.append(negative_data_rejection)
    case.call_and_validate(excluded_checks=excluded, additional_checks=[no_server_error])
