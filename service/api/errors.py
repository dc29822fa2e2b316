"""The only place where errors become HTTP statuses: every failure leaves as RFC 9457 problem+json.

    NianbaoError (service.errors)          → status below; ``code`` and ``message`` carried over
    ├── InputError                         422
    │   ├── DecodeError                    415
    │   ├── EmptyInput, NotAReport         422 (NotAReport adds ``not_found``)
    │   ├── InvalidOptions (here)          422 (with ``errors``)
    │   ├── NotText (here)                 415
    │   ├── UnsupportedMediaType (here)    415
    │   ├── UnsupportedFormat              415 (.doc, .wps, .xls…: the message says what to convert to)
    │   ├── NoTextLayer                    422 (a scanned PDF)
    │   ├── CorruptDocument                422 (a damaged or truncated PDF or DOCX)
    │   ├── EncryptedDocument              422 (a PDF that needs a password)
    │   ├── DecompressedTooLarge           413 (a DOCX zip bomb)
    │   ├── TooManyPages                   413 (a PDF far longer than a report)
    │   ├── BackendNotAllowed (here)       403
    │   └── PayloadTooLarge, TooManyItems  413 (here)
    ├── BackendError                       502
    │   ├── LLMUnavailable                 503
    │   ├── LLMOutputInvalid               502
    │   └── LLMBudgetExceeded              422 (retrying cannot help; a shorter report or no llm_required can)
    ├── Overloaded                         503 with Retry-After
    ├── Unauthorized (here)                401 with WWW-Authenticate
    ├── RateLimited (here)                 429 with Retry-After
    └── NotReady (here)                    503
    RequestValidationError (FastAPI)       422, code "invalid_request", with ``errors``
    HTTPException (Starlette: 404, 405…)   its own status, code "http_<status>"
    anything else                          500, code "internal_error", no internals
"""

from __future__ import annotations

from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.documents.errors import DecompressedTooLarge, TooManyPages, UnsupportedFormat
from service.errors import (
    BackendError,
    DecodeError,
    InputError,
    LLMBudgetExceeded,
    LLMOutputInvalid,
    LLMUnavailable,
    NianbaoError,
    Overloaded,
)
from service.zh import error_zh

# The language problem documents are written in, from the request's Accept-Language (set by the middleware).
lang_var: ContextVar[str] = ContextVar("nianbao_lang", default="en")
PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:nianbao:problem:"
AUTH_CHALLENGE = 'Bearer realm="nianbao"'
MAX_ERRORS = 20  # validation errors listed in one answer; ``error_count`` tells how many there were


class PayloadTooLarge(InputError):
    """The report is larger than the service accepts."""

    code = "too_large"


class TooManyItems(InputError):
    """The batch holds more reports than the service accepts in one request."""

    code = "too_many_items"


class UnsupportedMediaType(InputError):
    """The request body is in a media type the route does not accept."""

    code = "unsupported_media_type"


class NotText(InputError):
    """The body is binary data, not text."""

    code = "not_text"


class InvalidOptions(InputError):
    """The extraction options are not valid."""

    code = "invalid_options"


class RateLimited(NianbaoError):
    """Too many requests or LLM tokens for this client or this service in the current minute."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, detail: dict[str, object] | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class BackendNotAllowed(InputError):
    """The client asked for something this server does not let clients choose."""

    code = "backend_not_allowed"


class Unauthorized(NianbaoError):
    """The request carries no valid API key."""

    code = "unauthorized"


class NotReady(NianbaoError):
    """The service cannot serve extractions yet."""

    code = "not_ready"


def too_large(size: int, limit: int, what: str = "report") -> PayloadTooLarge:
    """The error for a ``what`` of ``size`` bytes over a ``limit``."""
    return PayloadTooLarge(f"the {what} has {size} bytes, over the limit of {limit}; send a smaller report "
                           "or raise NIANBAO_MAX_UPLOAD_BYTES", detail={"limit_bytes": limit})


# Most specific first: the first class the error is an instance of decides the status.
_STATUS: tuple[tuple[type[NianbaoError], int], ...] = (
    (PayloadTooLarge, 413),
    (TooManyItems, 413),
    (UnsupportedMediaType, 415),
    (UnsupportedFormat, 415),
    (DecompressedTooLarge, 413),
    (TooManyPages, 413),
    (BackendNotAllowed, 403),
    (NotText, 415),
    (DecodeError, 415),
    (InputError, 422),
    (Unauthorized, 401),
    (RateLimited, 429),
    (Overloaded, 503),
    (NotReady, 503),
    (LLMBudgetExceeded, 422),
    (LLMUnavailable, 503),
    (LLMOutputInvalid, 502),
    (BackendError, 502),
)
_RESERVED = frozenset({"type", "title", "status", "detail", "code", "request_id"})


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document; members beyond the six below depend on ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description=f'"{TYPE_PREFIX}<code>"')
    title: str = Field(description="what kind of problem this is (the same for every occurrence)")
    status: int
    detail: str = Field(description="what went wrong this time, and what to do next")
    code: str = Field(description="stable machine-readable code, e.g. not_a_report, undecodable")
    request_id: str | None = Field(None, description="the X-Request-ID of the failed request")


def status_for(exc: NianbaoError) -> int:
    """The HTTP status of one of nianbao's errors."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500  # a NianbaoError outside the known branches is the service's own fault


def headers_for(exc: NianbaoError) -> dict[str, str]:
    """Response headers an error calls for: Retry-After when overloaded, the challenge when unauthorised."""
    if isinstance(exc, Overloaded | RateLimited):
        return {"Retry-After": str(max(1, int(exc.retry_after)))}
    if isinstance(exc, Unauthorized):
        return {"WWW-Authenticate": AUTH_CHALLENGE}
    return {}


def problem_body(status: int, code: str, title: str, detail: str, *, request_id: str | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A problem document; ``extra`` members never overwrite the standard ones. Under ``Accept-Language: zh``
    the title and detail are Chinese, and the English detail stays in ``detail_en``."""
    body: dict[str, Any] = {"type": TYPE_PREFIX + code, "title": title, "status": status, "detail": detail,
                            "code": code, "request_id": request_id}
    for key, value in (extra or {}).items():
        if key not in _RESERVED:
            body[key] = value
    if lang_var.get() == "zh":
        body["title"], body["detail"] = error_zh(code, body)
        body["detail_en"] = detail
    return body


def preferred_language(accept_language: str) -> str:
    """``zh`` when the client prefers Chinese (zh, zh-CN, zh-Hans…, by q-value), else ``en``."""
    best, best_q = "en", 0.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        tag = tag.strip().lower()
        if q > best_q and (tag == "zh" or tag.startswith("zh-") or tag == "en" or tag.startswith("en-")):
            best, best_q = tag[:2], q
    return best


def problem_response(status: int, code: str, title: str, detail: str, *, request_id: str | None = None,
                     extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem+json response."""
    return JSONResponse(problem_body(status, code, title, detail, request_id=request_id, extra=extra),
                        status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def error_body(exc: NianbaoError, request_id: str | None) -> dict[str, Any]:
    """The problem document of one of nianbao's errors; its ``detail`` dict becomes extra members."""
    extra = dict(exc.detail)
    if isinstance(exc, Overloaded):
        extra["retry_after"] = max(1, int(exc.retry_after))
    return problem_body(status_for(exc), exc.code, _title(exc), exc.message, request_id=request_id, extra=extra)


def error_response(exc: NianbaoError, request_id: str | None) -> JSONResponse:
    """The problem+json answer to one of nianbao's errors."""
    status = status_for(exc)
    return JSONResponse(error_body(exc, request_id), status_code=status, media_type=PROBLEM_MEDIA_TYPE,
                        headers=headers_for(exc))


def internal_error_body(request_id: str | None) -> dict[str, Any]:
    """The problem document of an unexpected exception: nothing about the internals."""
    detail = "the service failed unexpectedly; retry, and report the request_id if it persists"
    return problem_body(500, "internal_error", "Internal error", detail, request_id=request_id)


def internal_error_response(request_id: str | None) -> JSONResponse:
    """The 500 answer to an unexpected exception."""
    return JSONResponse(internal_error_body(request_id), status_code=500, media_type=PROBLEM_MEDIA_TYPE)


def validation_errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic/FastAPI errors as ``{loc, msg, type}``, without ``input`` (it may hold the report's text);
    the first ``MAX_ERRORS`` only: an answer must not grow with the mistakes a body makes."""
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in errors[:MAX_ERRORS]]


def error_count(errors: list[dict[str, Any]], total: int | None) -> dict[str, Any]:
    """The ``errors`` member, and ``error_count`` (all of them, also those left out)."""
    return {"errors": errors, "error_count": max(total or 0, len(errors))}


def invalid_request_body(errors: list[dict[str, Any]], request_id: str | None,
                         total: int | None = None) -> dict[str, Any]:
    """The 422 problem document of a request that does not match the API (``total``: errors before the cap)."""
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    return problem_body(422, "invalid_request", "Invalid request",
                        f"the request does not match the API ({where}); see /docs for its shape",
                        request_id=request_id, extra=error_count(errors, total))


# Descriptions of the statuses in the OpenAPI document, and the headers that come with some.
_TITLES = {400: "Bad request", 401: "Missing or wrong API key (only when NIANBAO_API_KEYS is set)",
           403: "A backend or option this server does not let clients choose",
           429: "Too many requests or LLM tokens this minute (Retry-After)",
           413: "Report or batch too large", 415: "Unsupported media type, not text, or undecodable",
           422: "Invalid request or options, empty, or not an annual report", 500: "Internal error",
           502: "The narrative backend returned unusable output",
           503: "Overloaded (Retry-After), not ready, or the LLM is unavailable while required"}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": AUTH_CHALLENGE, "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "seconds to wait before retrying (when overloaded)",
                          "schema": {"type": "string"}}},
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json bodies for the given statuses."""
    schema = ProblemDetails.model_json_schema()
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"description": _TITLES.get(status, "Problem"),
                       "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}}
        if status in _HEADERS:
            out[status]["headers"] = _HEADERS[status]
    return out


def request_id_of(request: Request) -> str | None:
    """The id the middleware gave this request."""
    return getattr(request.state, "request_id", None)


def _title(exc: NianbaoError) -> str:
    """The error class's one-line docstring is its title: the tree is documented once."""
    doc = (type(exc).__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else type(exc).__name__


async def _nianbao_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NianbaoError)
    return error_response(exc, request_id_of(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    total = getattr(exc, "total", None)  # bodies.CappedValidationError: the errors were capped already
    body = invalid_request_body(validation_errors(errors), request_id_of(request), total or len(errors))
    return JSONResponse(body, status_code=422, media_type=PROBLEM_MEDIA_TYPE)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(exc.status_code, f"http_{exc.status_code}", _http_title(exc.status_code),
                            str(exc.detail), request_id=request_id_of(request),
                            headers=dict(exc.headers or {}))  # e.g. Allow on 405


def _http_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on an app (unexpected exceptions: see ``middleware``)."""
    app.add_exception_handler(NianbaoError, _nianbao_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
