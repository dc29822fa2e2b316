"""``POST /v1/series``: several reports (multipart files, or JSON texts) → every agency's series.

Each report is read like one item of a batch: its own size limit, decoding and problem document, so a bad
file is listed in ``failures`` and the others still make their series. Only the request as a whole can be
refused: a wrong media type, no reports, or more than ``NIANBAO_BATCH_MAX_ITEMS``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from schemas import Extraction
from schemas.options import ExtractOptions
from schemas.series import SeriesResult
from service.api.bodies import FORM_TYPE, JSON_TYPE, Document, document_of_item, read_batch
from service.api.errors import InvalidOptions, ProblemDetails, TooManyItems, UnsupportedMediaType, too_large
from service.api.models import BatchItem
from service.api.runner import Extractor
from service.api.sniff import decode_bytes
from service.documents.sniff import sniff_format
from service.series import SeriesInput, build_series, page_data

_FORM_FIELDS = frozenset({"file", "options"})
MakeDocument = Callable[[], Document]


class SeriesRequest(BaseModel):
    """Reports of one or more agencies, any years (at most NIANBAO_BATCH_MAX_ITEMS)."""

    model_config = ConfigDict(extra="forbid")

    # As in a batch, any value is accepted as an item: one that is not a BatchItem is listed in ``failures``.
    items: list[BatchItem | Any] = Field(min_length=1, description="the reports, in any order; an item that "
                                         "is not a valid BatchItem is listed in failures with a 422 problem "
                                         "(invalid_request), and the others still make their series")
    options: ExtractOptions | None = Field(None, description="options of every report")


class SeriesFailure(BaseModel):
    """A report that could not be read; the series are built from the others."""

    index: int = Field(description="position of the report in the request")
    source: str | None
    error: ProblemDetails


class SeriesResponse(SeriesResult):
    """Every agency's series, the reports that joined none, and the reports that failed."""

    failures: list[SeriesFailure] = Field(default_factory=list)


async def read_series_body(request: Request, limit: int, max_items: int,
                           client: str = "-") -> list[tuple[str | None, MakeDocument]]:
    """Each report of the body as (its name, a function making its Document — which raises its own error);
    ``client`` is who asked (for the quotas)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == FORM_TYPE:
        return await _from_form(request, limit, max_items, client)
    if media_type == JSON_TYPE or media_type.endswith("+json"):
        items, defaults = await read_batch(request, max_items)
        return [(_source_of(item), partial(document_of_item, item, defaults, limit, client)) for item in items]
    raise UnsupportedMediaType(f"Content-Type {media_type or '(none)'!r} is not accepted; send multipart/form-data "
                               'with the reports in "file" fields, or application/json {"items": [{"text": …}]}',
                               detail={"accepted": [FORM_TYPE, JSON_TYPE]})


async def _from_form(request: Request, limit: int, max_items: int,
                     client: str) -> list[tuple[str | None, MakeDocument]]:
    # One file more than allowed is read so that "too many" is our 413, not the parser's 400.
    async with request.form(max_files=max_items + 1, max_fields=len(_FORM_FIELDS) + max_items) as form:
        unknown = sorted(set(form.keys()) - _FORM_FIELDS)
        if unknown:
            raise RequestValidationError([{"loc": ("body", name), "type": "extra_forbidden",
                                           "msg": 'unknown field; send the reports as "file" fields'}
                                          for name in unknown])
        uploads = [u for u in form.getlist("file") if isinstance(u, UploadFile)]
        if not uploads:
            raise RequestValidationError([{"loc": ("body", "file"), "type": "missing",
                                           "msg": 'send the reports as files in "file" fields'}])
        if len(uploads) > max_items:
            raise _too_many(len(uploads), max_items)
        options = _options(form.get("options"))
        out: list[tuple[str | None, MakeDocument]] = []
        for upload in uploads:
            data = await upload.read(limit + 1)
            ctype = upload.content_type if upload.content_type not in (None, "", "application/octet-stream") else None
            out.append((upload.filename, partial(_document, data, upload.filename, ctype, options, limit, client)))
        return out


def _options(raw: Any) -> ExtractOptions:
    if not isinstance(raw, str) or not raw:
        return ExtractOptions()
    try:
        return ExtractOptions.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise InvalidOptions("the options field is not valid ExtractOptions JSON; see GET /openapi.json",
                             detail={"errors": [{"loc": ["options", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                                                for e in exc.errors(include_url=False, include_input=False)]}) from None


def _document(data: bytes, filename: str | None, content_type: str | None, options: ExtractOptions, limit: int,
              client: str) -> Document:
    """One uploaded file as a Document: text decoded here; HTML, DOCX and PDF handed to the document readers."""
    if len(data) > limit:
        raise too_large(len(data), limit)
    if sniff_format(data, filename=filename, content_type=content_type) != "text":
        return Document(text="", source=filename, options=options, data=data, content_type=content_type,
                        filename=filename, client=client)
    text, encoding = decode_bytes(data)
    return Document(text=text, source=filename, options=options, encoding=encoding, client=client)


def _too_many(count: int, limit: int) -> TooManyItems:
    return TooManyItems(f"the request has {count} reports, over the limit of {limit}; send fewer, or raise "
                        "NIANBAO_BATCH_MAX_ITEMS", detail={"limit_items": limit})


def _source_of(item: Any) -> str | None:
    source = item.get("source") if isinstance(item, dict) else None
    return source if isinstance(source, str) else None


async def run_series(extractor: Extractor, reports: list[tuple[str | None, MakeDocument]], *, charts: bool,
                     one_agency: bool, request_id: str | None) -> dict[str, Any]:
    """Read the reports (a few at a time), build the series, and answer with the failures listed."""
    slots = asyncio.Semaphore(extractor.settings.batch_concurrency)

    async def one(make: MakeDocument) -> tuple[Extraction | dict[str, Any], str | None]:
        async with slots:
            texts: list[str] = []

            def document() -> Document:
                made = make()
                texts.append(made.text)
                return made

            outcome = await extractor.attempt(document, request_id)
            return outcome, (texts[0] if texts else None)

    outcomes = await asyncio.gather(*(one(make) for _, make in reports))
    inputs: list[SeriesInput] = []
    failures: list[dict[str, Any]] = []
    for index, ((source, _), (outcome, text)) in enumerate(zip(reports, outcomes, strict=True)):
        if isinstance(outcome, Extraction) and text is not None:
            inputs.append(SeriesInput.of(outcome, text))
        elif isinstance(outcome, dict):
            failures.append({"index": index, "source": source, "error": outcome})
    body = await anyio.to_thread.run_sync(_build, inputs, charts, one_agency)
    body["failures"] = failures
    return body


def _build(inputs: list[SeriesInput], charts: bool, one_agency: bool) -> dict[str, Any]:
    """The series as JSON, with each agency's SVG charts when asked (CPU work: run in a worker thread)."""
    return page_data(build_series(inputs, one_agency=one_agency), charts=charts)
