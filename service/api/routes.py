"""Routes. ``v1`` (the extraction API; behind the API keys when they are set) and ``probes`` (health,
readiness, metrics; always open). Handlers read the body, call the runner, and shape the answer."""

from __future__ import annotations

import secrets
from dataclasses import replace
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from schemas import SCHEMA_VERSION, Extraction
from service.api.auth import client_of
from service.api.bodies import read_batch, read_document
from service.api.deps import BackendsDep, ExtractorDep, MetricsDep, ReadinessDep, SettingsDep
from service.api.errors import NotReady, problem_responses, request_id_of
from service.api.models import BatchResponse, Health, Ready, View
from service.api.openapi import BATCH_BODY, EXTRACT_BODY, RESULT_SCHEMA, SERIES_BODY
from service.api.runner import respond
from service.api.series import SeriesResponse, read_series_body, run_series

v1 = APIRouter(prefix="/v1", responses=problem_responses(401, 500))
probes = APIRouter()
# Which worker answered, without telling the process id: random per process.
WORKER_ID = secrets.token_hex(4)

ViewQuery = Annotated[View, Query(description="full: the Extraction; flat: its flat view (Extraction.to_flat), "
                                  "canonical key → number or null, meta.*, facts.*, problems, checks.failed")]

SourceQuery = Annotated[str | None, Query(description="a name for the report when the body gives none "
                                          "(text/plain), echoed in the result")]


@v1.post(
    "/extract",
    response_model=None,
    responses={200: {"description": "the extraction (or its flat view)",
                     "content": {"application/json": {"schema": RESULT_SCHEMA}}},
               **problem_responses(400, 403, 413, 415, 422, 429, 502, 503)},
    openapi_extra=EXTRACT_BODY,
    summary="Extract one annual report",
)
async def extract_report(
    request: Request,
    extractor: ExtractorDep,
    settings: SettingsDep,
    view: ViewQuery = "full",
    source: SourceQuery = None,
) -> Response:
    """Read one 政府信息公开工作年度报告 into tables, checks, facts and problems.

    Send the report as JSON `{"text": "…", "options": {…}}`, as `text/plain` (its charset from
    Content-Type, else detected), as a multipart upload in the field `file` (a text file in UTF-8, UTF-16 or
    GB18030/GBK, a web page, a .docx or a PDF; the service detects which) with an optional `options` field
    (JSON), or as the file itself (`text/html`, `application/pdf`, the .docx type, `application/octet-stream`).
    Every number carries its span in the text (for a document, in `document.text`); a table cell read from a
    document's table says which one (`grid`). A text that is not an annual report is refused with 422 and
    `not_found`; .doc/.wps/.xls with 415 `unsupported_format`, a scanned PDF with 422 `no_text_layer`.
    """
    document = await read_document(request, settings.max_upload_bytes, source=source)
    return respond(await extractor.run(replace(document, client=client_of(request))), view)


@v1.post(
    "/extract/batch",
    response_model=BatchResponse,
    responses=problem_responses(400, 413, 415, 422, 429),
    openapi_extra=BATCH_BODY,
    summary="Extract several reports",
)
async def extract_batch(request: Request, extractor: ExtractorDep, settings: SettingsDep,
                        view: ViewQuery = "full") -> JSONResponse:
    """Read up to NIANBAO_BATCH_MAX_ITEMS reports, a few at a time (NIANBAO_BATCH_CONCURRENCY).

    Each item is `{"text": "…", "source": "…", "options": {…}}`, or carries a file instead of `text`:
    `{"content_base64": "…", "filename": "r.pdf"}` (HTML, .docx, PDF or text); the batch's `options` are the defaults of
    every item. The answer has one entry per item, in order: `{"index", "ok": true, "result"}` or
    `{"index", "ok": false, "error"}` with the problem document a single request would have returned — one
    bad item never fails the others. Only a malformed or oversized batch as a whole is refused.
    """
    items, defaults = await read_batch(request, settings.batch_max_items)
    results = await extractor.run_batch(items, defaults, view=view, request_id=request_id_of(request),
                                        client=client_of(request))
    return JSONResponse({"results": results})


@v1.post(
    "/series",
    response_model=SeriesResponse,
    responses=problem_responses(400, 413, 415, 422, 429),
    openapi_extra=SERIES_BODY,
    summary="One agency across years",
)
async def series(request: Request, extractor: ExtractorDep, settings: SettingsDep,
                 charts: Annotated[bool, Query(description="add each agency's SVG chart per indicator "
                                                           "(`charts`: indicator → SVG text)")] = False,
                 one_agency: Annotated[bool, Query(description="the reports are one agency's, whatever their "
                                                               "titles say (a name changed by a reform)")] = False,
                 ) -> JSONResponse:
    """Group reports by agency, order them by year, and compare them: cross-year checks (carry_over,
    in_force, project_count), the repetition of last year's narrative, the indicators per year, and the gaps.

    Send the reports as multipart `file` fields (repeat the field), or as JSON `{"items": [{"text", "source"}],
    "options": {…}}`; at most NIANBAO_BATCH_MAX_ITEMS. A report that cannot be read is listed in `failures`
    with its problem document; the others still make their series.
    """
    reports = await read_series_body(request, settings.max_upload_bytes, settings.batch_max_items,
                                     client_of(request))
    return JSONResponse(await run_series(extractor, reports, charts=charts, one_agency=one_agency,
                                         request_id=request_id_of(request)))


@v1.get("/schema", response_model=dict[str, Any], summary="The result's JSON Schema")
async def result_schema() -> dict[str, Any]:
    """The JSON Schema of `Extraction`, the full result of `POST /v1/extract`."""
    return _result_schema()


@probes.get("/healthz", response_model=Health, summary="Liveness")
async def healthz(backends: BackendsDep) -> Health:
    """Report that the process is up and which narrative backend it uses by default (no LLM is called)."""
    return Health(version=package_version(), schema_version=SCHEMA_VERSION, backend=backends.default,
                  worker=WORKER_ID)


@probes.get("/readyz", response_model=Ready, responses=problem_responses(503), summary="Readiness")
async def readyz(readiness: ReadinessDep) -> Ready:
    """Ready when the prompts load and, with an LLM backend as the default, its endpoint answers
    `GET /models` (probed with a short timeout; the answer is reused for a few seconds)."""
    checks = await readiness.checks()
    failed = sorted(name for name, check in checks.items() if not check.ok)
    if failed:
        raise NotReady(f"not ready: {'; '.join(checks[name].detail for name in failed)}",
                       detail={"checks": {name: check.model_dump() for name, check in checks.items()}})
    return Ready(checks=checks)


@probes.get("/metrics", response_class=Response, summary="Prometheus metrics",
            responses={200: {"description": "Prometheus text exposition format",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(registry: MetricsDep) -> Response:
    """Requests by route and status, latency, extraction outcomes, LLM calls and tokens, cache hits and
    degraded results — of this process (one worker)."""
    return Response(registry.render(), media_type=registry.content_type)


@cache
def _result_schema() -> dict[str, Any]:
    """The result's JSON Schema, built once."""
    return Extraction.model_json_schema(mode="serialization")


@cache
def package_version() -> str:
    """nianbao's installed version."""
    try:
        return version("nianbao")
    except PackageNotFoundError:  # run from a source tree without ``pip install -e .``
        return "0+unknown"
