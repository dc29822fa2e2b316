"""The FastAPI app: ``create_app(settings)`` wires settings, narrative backends, middleware and routes.

``create_app()`` without settings reads ``NIANBAO_*`` then: it is the factory uvicorn calls in each worker
(``uvicorn --factory service.main:create_app``). ``service.main:app`` works too; it is built on first
access, so importing this module reads no environment.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from service.api import install_error_handlers, probes, transport, v1
from service.api.auth import admit_request, api_key_guard
from service.api.backends import Backends
from service.api.docs import install_docs
from service.api.middleware import BodyLimit, RequestContext
from service.api.openapi import install_openapi
from service.api.quotas import Quotas
from service.api.readiness import Readiness
from service.api.review import REVIEW_STATIC, STATIC_DIR
from service.api.review import router as review_router
from service.api.routes import package_version
from service.api.runner import Extractor
from service.config import Settings, get_settings
from service.metrics import Metrics
from service.narrative import NarrativeBackend

log = logging.getLogger("nianbao.app")

# JSON escapes (\uXXXX) can double a report's size and multipart adds a few headers: the transport
# guard allows that much before the exact per-report limit applies in the route.
BODY_OVERHEAD_FACTOR = 2
BODY_OVERHEAD_BYTES = 64 * 1024

DESCRIPTION = """Turns China's government information-disclosure annual reports (政府信息公开工作年度报告)
into structured data: 表二/表三/表四 cells under canonical keys (blank, not applicable and missing kept
apart from 0), the consistency checks, repairs, narrative facts and admitted problems, each with its
span in the text. Errors are RFC 9457 `application/problem+json` documents with a stable `code`.

With `NIANBAO_API_KEYS` set, the `/v1` routes need `Authorization: Bearer <key>` or `X-API-Key: <key>`;
`/healthz`, `/readyz`, `/metrics` and these docs stay open."""


def create_app(settings: Settings | None = None, *, llm_client: Any = None,
               backends: Mapping[str, NarrativeBackend] | None = None) -> FastAPI:
    """The HTTP app; ``llm_client`` goes to the LLM backends, ``backends`` replace backends by name."""
    settings = settings or get_settings()
    metrics = Metrics()
    quotas = Quotas(settings)
    transport.configure(settings.timeout_request_s)  # the connections of this process (service/api/transport.py)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.backends = Backends(settings, llm_client, backends)
        app.state.extractor = Extractor(settings, app.state.backends, metrics, quotas)
        app.state.readiness = Readiness(settings)
        try:
            app.state.readiness.start()
            log.info("ready: backend=%s max_upload_bytes=%d", settings.backend, settings.max_upload_bytes)
            yield
        finally:
            app.state.backends.close()
            await app.state.readiness.aclose()

    # /docs and /redoc are served from vendored assets (service/api/docs.py), not FastAPI's CDN defaults;
    # NIANBAO_DOCS=false: no /docs, /redoc or /openapi.json.
    on = settings.docs
    app = FastAPI(title="nianbao", description=DESCRIPTION, version=package_version(), lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json" if on else None)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.quotas = quotas
    install_error_handlers(app)
    # The key guard names the client; the quota counts its request.
    app.include_router(v1, dependencies=[Depends(api_key_guard(settings.api_keys)), Depends(admit_request)])
    app.include_router(probes)
    # The review page is open to browsers; with API keys set, extracting on it needs a key in its form.
    app.include_router(review_router)
    app.mount(REVIEW_STATIC, StaticFiles(directory=STATIC_DIR), name="review-static")
    if on:
        install_openapi(app)
        install_docs(app)
    app.add_middleware(BodyLimit, limit=BODY_OVERHEAD_FACTOR * settings.max_upload_bytes + BODY_OVERHEAD_BYTES)
    # Added after the body guard, so outside it: the request id exists before anything else runs or fails.
    app.add_middleware(RequestContext, metrics=metrics, root_path=settings.root_path,
                       log_report_text=settings.log_report_text)
    if settings.cors_origins:  # outermost, so every answer (a 500 too) carries the CORS headers
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"], max_age=600)
    return app


def __getattr__(name: str) -> Any:
    """``service.main:app``, built when first asked for (so that importing the module reads no settings)."""
    if name == "app":
        return create_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
