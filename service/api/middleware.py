"""ASGI middleware: a request id and one log line per request, the 500 guard, and the body-size guard.

Log lines carry the request id, method, path, status, bytes received and time taken — never the body:
report text and keys stay out of the logs unless ``NIANBAO_LOG_REPORT_TEXT`` is set.
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from collections.abc import Callable
from time import perf_counter

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import error_response, internal_error_response, too_large

log = logging.getLogger("nianbao.http")

_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestContext:
    """Gives each request an id (X-Request-ID in and out), logs it once, and turns a crash into a 500."""

    def __init__(self, app: ASGIApp, log_report_text: Callable[[], bool]) -> None:
        self.app = app
        self.log_report_text = log_report_text

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        # A client's id is echoed only when it is a plain token: it goes into logs verbatim.
        request_id = incoming if _CLIENT_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
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
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, counting_receive, send_with_id)
        except Exception as exc:
            self._log_crash(request_id, exc)
            if status is not None:
                raise  # the response has begun; only the server can end it now
            await internal_error_response(request_id)(scope, receive, send_with_id)
        finally:
            elapsed_ms = (perf_counter() - started) * 1e3
            log.info("request_id=%s method=%s path=%s status=%s bytes_in=%d ms=%.1f", request_id,
                     scope.get("method"), scope.get("path"), status, received, elapsed_ms)

    def _log_crash(self, request_id: str, exc: Exception) -> None:
        if self.log_report_text():
            log.error("request_id=%s unhandled exception", request_id, exc_info=exc)
            return
        # Frames but not the message: an exception's message may quote the report.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("request_id=%s unhandled %s (message withheld; set NIANBAO_LOG_REPORT_TEXT=true to log "
                  "it)\n%s", request_id, type(exc).__qualname__, frames)


class BodyLimit:
    """Refuses bodies over ``limit()`` bytes with 413 (before reading them when their size is declared)."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
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

