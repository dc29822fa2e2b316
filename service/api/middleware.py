"""ASGI middleware: a request id, one log line and the metrics per request, the 500 guard, and the
body-size guard.

Log lines carry the request id, method, path, status, bytes received and time taken — never the body or
the headers: report text stays out of the logs unless ``NIANBAO_LOG_REPORT_TEXT`` is set, keys always.
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from time import perf_counter

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import error_response, internal_error_response, lang_var, preferred_language, too_large
from service.logs import request_id_var
from service.metrics import Metrics

log = logging.getLogger("nianbao.http")

_LOGGED_CHARS = 32
# The review pages (issue 15) load their own scripts and styles from /static: nothing inline, nothing foreign.
# Swagger's /docs loads its bundle from a CDN with an inline script, so it goes without.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
_DOCS_PATHS = ("/docs", "/redoc")


def _is_docs(path: str) -> bool:
    return any(path == p or path.endswith(p) or p + "/" in path for p in _DOCS_PATHS)


CLIENT_CLOSED = 499  # nginx's status for "the client closed the connection", in logs and metrics only
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")  # ids, UUIDs, trace ids; no spaces or quotes


class RequestContext:
    """Gives each request an id (X-Request-ID in and out) and the configured path prefix, logs and counts it
    once, and turns a crash into a 500."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, root_path: str = "", log_report_text: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.root_path = root_path
        self.log_report_text = log_report_text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        # A client's id is echoed only when it is a plain token: it goes into logs and headers verbatim.
        request_id = incoming if _CLIENT_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        if self.root_path and not scope.get("root_path"):
            # Behind a gateway that strips the prefix the server may not know it; links (/docs → its
            # openapi.json, the OpenAPI servers) need it. Paths with the prefix still route (Starlette).
            scope["root_path"] = self.root_path
        token = request_id_var.set(request_id)
        lang_token = lang_var.set(preferred_language(headers.get("accept-language", "")))
        started = perf_counter()
        received = 0
        status: int | None = None

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["X-Content-Type-Options"] = "nosniff"
                if headers.get("content-type", "").startswith("text/html") and not _is_docs(scope["path"]):
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)
            await send(message)

        try:
            await self.app(scope, counting_receive, send_with_id)
        except ClientDisconnect:
            # The client hung up before its body arrived: nobody is left to answer, nothing went wrong here.
            status = status or CLIENT_CLOSED
        except Exception as exc:
            log_unexpected(exc, request_id, self.log_report_text)
            if status is not None:
                raise  # the response has begun; only the server can end it now
            await internal_error_response(request_id)(scope, receive, send_with_id)
        finally:
            elapsed = perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe_request(route, scope["method"], status or 500, elapsed)
            # The client chose the method and the path: cut to a sane length (text logs escape controls).
            method, path = scope["method"][:_LOGGED_CHARS], scope["path"][:_LOGGED_CHARS * 32]
            log.info("%s %s -> %s in %.1f ms", method, path, status, elapsed * 1e3,
                     extra={"request_id": request_id, "method": method, "path": path,
                            "route": route, "status": status, "bytes_in": received,
                            "duration_ms": round(elapsed * 1e3, 1)})
            request_id_var.reset(token)
            lang_var.reset(lang_token)


def log_unexpected(exc: BaseException, request_id: str | None, with_message: bool) -> None:
    """Log an unexpected exception: its frames, and its message only when report text may be logged."""
    if with_message:
        log.error("unhandled exception", exc_info=exc, extra={"request_id": request_id})
        return
    # Frames but not the message: an exception's message may quote the report.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unhandled %s (message withheld; set NIANBAO_LOG_REPORT_TEXT=true to log it)\n%s",
              type(exc).__qualname__, frames, extra={"request_id": request_id})


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with 413 (before reading them when their size is declared)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdecimal() and int(declared) > limit:
            response = error_response(too_large(int(declared), limit, "request body"),
                                      scope.get("state", {}).get("request_id"))
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body read, so the app's own handler answers 413.
                    raise too_large(received, limit, "request body")
            return message

        await self.app(scope, limited_receive, send)

