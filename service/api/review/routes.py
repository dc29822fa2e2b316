"""The review page: ``GET /`` (paste a report or upload files) and ``POST /review`` (the same page, rendered
for the reports sent), server-side with Jinja2, readable with JavaScript off.

``POST /review`` takes multipart ``file`` (one or several) or the form field ``text`` (with an optional
``source`` name), and ``backend``. Each report goes through the same ``Extractor`` as ``POST /v1/extract``;
a report that fails shows its problem (code and message) on the page, and the others are still drawn.
With API keys configured the page itself is open, but extracting needs a key: the form's ``api_key`` field
or the usual headers (a browser cannot set headers on a form post).
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from schemas import Extraction
from schemas.backends import BACKENDS
from schemas.options import ExtractOptions
from service.api.auth import address_client, admit_request, key_index
from service.api.bodies import Document, file_document, text_document
from service.api.deps import ExtractorDep, SettingsDep
from service.api.errors import InvalidOptions, Unauthorized, request_id_of, status_for
from service.api.middleware import log_unexpected
from service.api.review.view import TEMPLATE_FILTERS, TEMPLATE_HELPERS, ReportView, build_report
from service.config import Settings, allowed_backends
from service.errors import EmptyInput, NianbaoError
from service.export import CsvExport
from service.series import SeriesInput, build_series, series_html

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
REVIEW_STATIC = "/static/review"  # beside /static/docs (the API docs' assets)
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(TEMPLATE_HELPERS)
templates.env.filters.update(TEMPLATE_FILTERS)
router = APIRouter(include_in_schema=False)
PASTED_NAME = "粘贴的文本"
_FIELDS = ("text", "source", "backend", "api_key")


@dataclass
class Failure:
    """A report the page could not read: its name and the problem a single API request would have got."""

    name: str
    code: str
    message: str
    status: int


@router.get("/", response_class=HTMLResponse)
@router.get("/review", response_class=HTMLResponse)
async def review_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The empty page: paste a report or choose files."""
    return _page(request, settings, [], [], 200)


@router.post("/review", response_class=HTMLResponse)
async def review(request: Request, extractor: ExtractorDep, settings: SettingsDep) -> HTMLResponse:
    """The page rendered for the reports in the form (``file``, several allowed, or ``text``)."""
    limit = settings.max_upload_bytes
    # A pasted report is a form field: allow it the size of an uploaded one (plus CRLF line ends).
    async with request.form(max_files=settings.batch_max_items, max_fields=len(_FIELDS) + 4,
                            max_part_size=2 * limit + 1024) as form:
        fields = {name: value for name in _FIELDS if isinstance(value := form.get(name), str)}
        uploads = [(value.filename or f"文件{n + 1}", value.content_type, await value.read(limit + 1))
                   for n, value in enumerate(form.getlist("file"))
                   if isinstance(value, UploadFile) and (value.filename or value.size)]
    try:
        client = _authorise(request, settings, fields.get("api_key", ""))
        await admit_request(request)  # the client's request quota, as on /v1
        options = _options(fields.get("backend"))
        documents: list[Document | Failure] = []
        for name, content_type, data in uploads:
            try:
                documents.append(await file_document(data, name, options, limit, filename=name,
                                                     content_type=content_type, client=client))
            except NianbaoError as exc:  # too large, not text, undecodable: that file's failure
                documents.append(Failure(name, exc.code, exc.message, status_for(exc)))
        text = fields.get("text", "")
        if text.strip():
            name = fields.get("source", "").strip() or PASTED_NAME
            try:
                documents.append(text_document(text, name, options, limit, client))
            except NianbaoError as exc:
                documents.append(Failure(name, exc.code, exc.message, status_for(exc)))
        if not documents:
            raise EmptyInput("没有收到报告：请粘贴报告全文，或选择一个或多个文件")
    except NianbaoError as exc:
        failure = Failure("", exc.code, exc.message, status_for(exc))
        return _page(request, settings, [], [failure], failure.status, fields)
    reports: list[ReportView] = []
    results: list[Extraction] = []
    series_inputs: list[SeriesInput] = []
    failures: list[Failure] = []
    for document in documents:
        if isinstance(document, Failure):
            failures.append(document)
            continue
        try:
            result = await extractor.run(document)
        except NianbaoError as exc:
            failures.append(Failure(document.source or "", exc.code, exc.message, status_for(exc)))
            continue
        except Exception as exc:  # one report's crash is that report's 500, not the page's
            log_unexpected(exc, request_id_of(request), settings.log_report_text)
            failures.append(Failure(document.source or "", "internal_error", "内部错误：请凭请求编号反馈", 500))
            continue
        dumped = result.model_dump(mode="json")
        text = (dumped.get("document") or {}).get("text") or document.text
        reports.append(build_report(dumped, text, len(reports)))
        results.append(result)
        series_inputs.append(SeriesInput(result, text))
    status = 200 if reports else failures[0].status
    series = await anyio.to_thread.run_sync(_series_html, series_inputs) if len(series_inputs) > 1 else None
    return _page(request, settings, reports, failures, status, fields, results, series)


def _series_html(inputs: list[SeriesInput]) -> Markup:
    """Several reports: their series by agency (service.series), charts for the agencies with two years or
    more. The fragment escapes every text of a report itself."""
    result = build_series(inputs)
    return Markup(series_html(result, charts=any(len(s.years) > 1 for s in result.series)))


def _authorise(request: Request, settings: Settings, form_key: str) -> str:
    """The client, named as the /v1 key guard names it: with API keys configured, the form's ``api_key`` or
    the request's key headers must hold one (``key:<position>``); without keys, ``addr:<address>``."""
    if not settings.api_keys:
        request.state.client = address_client(request)
        return str(request.state.client)
    bearer = request.headers.get("authorization", "")
    presented = [v for v in (form_key, request.headers.get("x-api-key", ""),
                             bearer[7:] if bearer.lower().startswith("bearer ") else "") if v]
    index = key_index(presented, settings.api_keys)
    request.state.client = f"key:{index}"
    if index:
        return str(request.state.client)
    raise Unauthorized("需要 API 密钥：请在“API 密钥”一栏填写 NIANBAO_API_KEYS 中的一个密钥"
                       if not presented else "API 密钥不正确：请填写 NIANBAO_API_KEYS 中的一个密钥")


def _options(backend: str | None) -> ExtractOptions:
    """The options of the form: the backend chosen, else the server's default."""
    if not backend:
        return ExtractOptions()
    try:
        return ExtractOptions.model_validate({"backend": backend})
    except ValidationError:
        raise InvalidOptions(f"backend {backend!r} 无效：可选 {', '.join(BACKENDS)}", detail={"errors": []}) from None


def _page(request: Request, settings: Settings, reports: list[ReportView], failures: list[Failure],
          status: int, fields: dict[str, str] | None = None, results: list[Extraction] | None = None,
          series: Markup | None = None) -> HTMLResponse:
    results = results or []
    downloads = [_downloads(result, result.source or f"report-{n + 1}") for n, result in enumerate(results)]
    combined = _combined(results) if len(results) > 1 else None
    context = {"reports": list(zip(reports, downloads, strict=True)), "failures": failures, "combined": combined,
               "series": series,
               "fields": {k: v for k, v in (fields or {}).items() if k != "api_key"},
               "needs_key": bool(settings.api_keys), "default_backend": settings.backend,
               # Only the backends this client may ask for (NIANBAO_CLIENT_BACKENDS), in their usual order.
               "backends": sorted(allowed_backends(settings), key=BACKENDS.index),
               "max_upload_mb": round(settings.max_upload_bytes / 1e6, 1), "max_files": settings.batch_max_items}
    return templates.TemplateResponse(request, "review.html", context, status_code=status)


def _downloads(result: Extraction, name: str) -> dict[str, str]:
    """The data: URLs and file names of one result's JSON and CSV (no second request, works without JS)."""
    stem = Path(name).stem or "report"
    return {"json": _data_url("application/json", result.model_dump_json()), "json_name": f"{stem}.json",
            "csv": _data_url("text/csv", _csv([result])), "csv_name": f"{stem}.csv",
            "excel": _data_url("text/csv", _csv([result], excel=True)), "excel_name": f"{stem}-中文表头.csv"}


def _combined(results: list[Extraction]) -> dict[str, str]:
    """All results at once: one CSV row per report, and JSON Lines (as ``nianbao extract`` writes)."""
    lines = "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False) + "\n" for r in results)
    return {"json": _data_url("application/x-ndjson", lines), "json_name": "nianbao-results.jsonl",
            "csv": _data_url("text/csv", _csv(results)), "csv_name": "nianbao-results.csv",
            "excel": _data_url("text/csv", _csv(results, excel=True)), "excel_name": "nianbao-results-中文表头.csv"}


def _csv(results: list[Extraction], *, excel: bool = False) -> str:
    """The CSV of ``nianbao extract --csv`` (``excel``: of ``--excel --header zh``), one row per report."""
    out = io.StringIO()
    export = CsvExport(out, header="zh" if excel else "keys", bom=excel)
    for result in results:
        export.add(result.to_flat())
    return out.getvalue()


def _data_url(media_type: str, body: str) -> str:
    return f"data:{media_type};charset=utf-8;base64,{base64.b64encode(body.encode()).decode()}"

