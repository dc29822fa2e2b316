"""Property-based tests of the whole HTTP API from its own OpenAPI document (schemathesis, in process), with
every check schemathesis has (``--checks all``): for generated requests — valid and invalid — no answer is a
5xx, every answer matches the document (status codes, media types, bodies, headers), invalid requests are
refused and valid ones are read. 150 examples per operation (about 10 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import ServerError
from schemathesis.openapi.checks import RejectedPositiveData
from support.api import settings

from service.api.bodies import FORM_TYPE, JSON_TYPE, TEXT_TYPE
from service.main import create_app

APP = create_app(settings(max_upload_bytes=200_000, batch_max_items=4))
# The file bodies (a PDF or a .docx posted as itself) are generated as bytes, like application/octet-stream.
schemathesis.serializer.alias(["application/pdf",
                               "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
                              "application/octet-stream")
# Two answers no schema can express, so the two checks let them through and the checks below narrow them: a
# well-formed body whose content is no report (or no readable document) is answered 415 or 422 after it was read,
# and a request that requires an LLM of this server, which has none, 503 llm_unavailable.
CONTENT_REFUSALS = frozenset({"not_a_report", "undecodable", "not_text", "unsupported_format", "no_text_layer",
                              "corrupt_document", "encrypted_document", "decompressed_too_large",
                              "too_many_pages", "too_large"})
CONFIG = SchemathesisConfig.from_dict({"checks": {
    "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "413", "415", "422",
                                                       "429", "5xx"]},
    "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]},
    # A batch over the server's maxItems is refused with 413 too_many_items: a refusal like 422.
    "negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413",
                                                      "415", "422", "428", "429", "5xx"]},
}})
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _running_app() -> Iterator[None]:
    """Run the app's lifespan (backends, readiness) around the generated requests."""
    with TestClient(APP):
        yield


def no_server_error(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                    case: schemathesis.Case) -> None:
    """No 5xx but the documented 503 ``llm_unavailable``."""
    if response.status_code >= 500 and not (response.status_code == 503
                                            and response.json().get("code") == "llm_unavailable"):
        raise ServerError(operation=case.operation.label, status_code=response.status_code)


def valid_data_is_read(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                       case: schemathesis.Case) -> None:
    """A schema-valid request is read: refused (413, 415, 422) only for what its content turned out to be."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code not in (413, 415, 422):
        return
    code = response.json().get("code")
    if code == "empty_input" and case.media_type not in (JSON_TYPE, TEXT_TYPE):
        return  # a file (a web page, a PDF) holds text or not: that is known only once it was read
    if code == "invalid_options" and case.media_type == FORM_TYPE:
        return  # the form's options field declares its JSON by contentSchema, which schemathesis does not generate
    if code not in CONTENT_REFUSALS:
        raise RejectedPositiveData(operation=case.operation.label, status_code=response.status_code,
                                   message=f"valid data refused as {code}", allowed_statuses=["2xx"])


@SCHEMA.parametrize()
@hypothesis_settings(max_examples=150, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(additional_checks=[no_server_error, valid_data_is_read])
