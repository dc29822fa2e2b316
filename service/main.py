"""The FastAPI app: ``create_app(settings)`` wires settings, narrative backends, middleware and routes.

``app`` (for ``uvicorn service.main:app``) reads no environment at import: without explicit settings,
the app reads ``NIANBAO_*`` when it starts.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from service.api import install_error_handlers, router
from service.api.deps import Backends
from service.api.middleware import BodyLimit, RequestContext
from service.config import Settings, get_settings
from service.narrative import NarrativeBackend

log = logging.getLogger("nianbao.app")

# JSON escapes (\uXXXX) can double a report's size and multipart adds a few headers: the transport
# guard allows that much before the exact per-report limit applies in the route.
BODY_OVERHEAD_FACTOR = 2
BODY_OVERHEAD_BYTES = 64 * 1024

DESCRIPTION = """Turns China's government information-disclosure annual reports (政府信息公开工作年度报告)
into structured data: 表二/表三/表四 cells under canonical keys (blank, not applicable and missing kept
apart from 0), the consistency checks, repairs, narrative facts and admitted problems, each with its
span in the text. Errors are RFC 9457 `application/problem+json` documents with a stable `code`."""


def create_app(settings: Settings | None = None, *, llm_client: Any = None,
               backends: Mapping[str, NarrativeBackend] | None = None) -> FastAPI:
    """The HTTP app; ``llm_client`` goes to the LLM backends, ``backends`` replace backends by name."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or get_settings()
        app.state.backends = Backends(app.state.settings, llm_client, backends)
        log.info("ready: backend=%s max_upload_bytes=%d", app.state.backends.default,
                 app.state.settings.max_upload_bytes)
        try:
            yield
        finally:
            app.state.backends.close()

    app = FastAPI(title="nianbao", description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(router)
    app.add_middleware(BodyLimit, limit=lambda: BODY_OVERHEAD_FACTOR * app.state.settings.max_upload_bytes
                       + BODY_OVERHEAD_BYTES)
    # Added last, so outermost: the request id exists before anything else runs or fails.
    app.add_middleware(RequestContext, log_report_text=lambda: app.state.settings.log_report_text)
    return app


app = create_app()
