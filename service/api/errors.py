"""The only place where errors become HTTP statuses: every failure leaves as RFC 9457 problem+json.

    NianbaoError (service.errors)          → status below; ``code`` and ``message`` carried over
    ├── InputError                         422
    │   ├── DecodeError                    415
    │   ├── EmptyInput, NotAReport         422 (NotAReport adds ``not_found``)
    │   ├── UnsupportedMediaType (here)    415
    │   └── PayloadTooLarge (here)         413
    └── BackendError                       502
        ├── LLMUnavailable                 503
        └── LLMOutputInvalid               502
    RequestValidationError (FastAPI)       422, code "invalid_request", with ``errors``
    HTTPException (Starlette: 404, 405…)   its own status, code "http_<status>"
    anything else                          500, code "internal_error", no internals
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import (
    BackendError,
    DecodeError,
    InputError,
    LLMOutputInvalid,
    LLMUnavailable,
    NianbaoError,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:nianbao:problem:"


class PayloadTooLarge(InputError):
    """The report is larger than the service accepts."""

    code = "too_large"


def too_large(size: int, limit: int, what: str = "report") -> PayloadTooLarge:
    """The error for a ``what`` of ``size`` bytes over a ``limit``."""
    return PayloadTooLarge(f"the {what} has {size} bytes, over the limit of {limit}; send a smaller report "
                           "or raise NIANBAO_MAX_UPLOAD_BYTES", detail={"limit_bytes": limit})


class UnsupportedMediaType(InputError):
    """The request body is neither JSON nor a multipart upload."""

    code = "unsupported_media_type"


# Most specific first: the first class the error is an instance of decides the status.
_STATUS: tuple[tuple[type[NianbaoError], int], ...] = (
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (DecodeError, 415),
    (InputError, 422),
    (LLMUnavailable, 503),
    (LLMOutputInvalid, 502),
    (BackendError, 502),
)
_RESERVED = frozenset({"type", "title", "status", "detail", "code", "request_id"})


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document; members beyond the five below depend on ``code``."""

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
    return 500  # a NianbaoError outside the input/backend branches is the service's own fault


def problem_response(status: int, code: str, title: str, detail: str, *, request_id: str | None = None,
                     extra: dict[str, Any] | None = None) -> JSONResponse:
    """A problem+json response; ``extra`` members never overwrite the standard ones."""
    body: dict[str, Any] = {"type": TYPE_PREFIX + code, "title": title, "status": status, "detail": detail,
                            "code": code, "request_id": request_id}
    for key, value in (extra or {}).items():
        if key not in _RESERVED:
            body[key] = value
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


# Descriptions of the statuses in the OpenAPI document.
_TITLES = {400: "Bad request", 413: "Report too large", 415: "Unsupported media type or encoding",
           422: "Invalid request or not an annual report", 500: "Internal error",
           502: "The narrative backend returned unusable output", 503: "The narrative backend is unavailable"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json bodies for the given statuses."""
    schema = ProblemDetails.model_json_schema()
    return {status: {"description": _TITLES.get(status, "Problem"),
                     "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}} for status in statuses}


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _title(exc: NianbaoError) -> str:
    """The error class's one-line docstring is its title: the tree is documented once."""
    doc = (type(exc).__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else type(exc).__name__


def error_response(exc: NianbaoError, request_id: str | None) -> JSONResponse:
    """The problem+json answer to one of nianbao's errors; its ``detail`` dict becomes extra members."""
    return problem_response(status_for(exc), exc.code, _title(exc), exc.message, request_id=request_id,
                            extra=dict(exc.detail))


async def _nianbao_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NianbaoError)
    return error_response(exc, _request_id(request))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # "input" is dropped on purpose: it may hold the report's text, and the client already has it.
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    return problem_response(422, "invalid_request", "Invalid request",
                            f"the request does not match the API ({where}); see /docs for its shape",
                            request_id=_request_id(request), extra={"errors": errors})


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem_response(exc.status_code, f"http_{exc.status_code}", _http_title(exc.status_code),
                                str(exc.detail), request_id=_request_id(request))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value  # e.g. Allow on 405
    return response


def _http_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def internal_error_response(request_id: str | None) -> JSONResponse:
    """The 500 answer to an unexpected exception: nothing about the internals."""
    detail = "the service failed unexpectedly; retry, and report the request_id if it persists"
    return problem_response(500, "internal_error", "Internal error", detail, request_id=request_id)


def install_error_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on an app (unexpected exceptions: see ``middleware``)."""
    app.add_exception_handler(NianbaoError, _nianbao_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
