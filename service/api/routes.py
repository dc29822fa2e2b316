"""Routes: ``POST /v1/extract`` and ``GET /healthz``. Handlers are ``def``: FastAPI runs them in its
threadpool, so the CPU-bound pipeline never blocks the event loop."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from schemas import SCHEMA_VERSION, Extraction
from service import pipeline
from service.api.deps import FORM_TYPES, JSON_TYPES, BackendsDep, DocumentDep
from service.api.errors import problem_responses
from service.api.models import ExtractRequest, Health
from service.gate import require_report

router = APIRouter()

_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the report as a text file: UTF-8 (BOM or not), UTF-16 or GB18030/GBK"},
        "source": {"type": "string", "description": "a name for the report (default: the file's name)"},
        "backend": {"type": "string", "enum": ["rules", "llm", "hybrid"]},
    },
}
_REQUEST_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    JSON_TYPES[0]: {"schema": ExtractRequest.model_json_schema()},
    FORM_TYPES[0]: {"schema": _FORM_SCHEMA},
}}}


@router.post(
    "/v1/extract",
    response_model=None,
    responses={200: {"model": Extraction, "description": "the extraction; with flat=true the flat view, an "
                     "object of canonical key → number or null, meta.*, facts.*, problems, checks.failed"},
               **problem_responses(400, 413, 415, 422, 500, 502, 503)},
    openapi_extra=_REQUEST_BODY,
    summary="Extract one annual report",
)
def extract_report(
    document: DocumentDep,
    backends: BackendsDep,
    flat: Annotated[bool, Query(description="return the flat view (Extraction.to_flat) instead")] = False,
) -> JSONResponse:
    """Read one 政府信息公开工作年度报告 into tables, checks, facts and problems.

    Send the report as JSON `{"text": "…"}` or as a multipart upload in the field `file` (bytes in
    UTF-8, UTF-16 or GB18030/GBK; the service detects which). Every number carries its span in the text.
    A text that is not an annual report is refused with 422 and `not_found`, the parts it lacks.
    """
    result = require_report(pipeline.extract(document.data, source=document.source,
                                             narrative=backends.get(document.backend)))
    return JSONResponse(result.to_flat() if flat else result.model_dump(mode="json"))


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz(backends: BackendsDep) -> Health:
    """Report that the service is up and which narrative backend it uses by default (no LLM is called)."""
    return Health(version=_version(), schema_version=SCHEMA_VERSION, backend=backends.default)


def _version() -> str:
    try:
        return version("nianbao")
    except PackageNotFoundError:  # run from a source tree without ``pip install -e .``
        return "0+unknown"
