"""The interactive docs (/docs: Swagger UI, /redoc: Redoc) from assets the app serves itself.

FastAPI's defaults load them from a CDN, so the page is blank on an intranet without internet. The files
under ``static/docs`` are swagger-ui-dist 5.35.0 and redoc 2.5.4 from the npm registry (licences beside
them), unchanged but for their source-map comments and, in Redoc, its footer logo's CDN address (an empty
inline SVG instead). tests/test_docs_offline.py checks in Chromium that neither page requests another host.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "docs"
PREFIX = "/static/docs"


def install_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc with the vendored assets (the app must be made with docs_url=None, redoc_url=None)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")

    def base(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = base(request)
        return get_swagger_ui_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
                                   swagger_js_url=f"{root}{PREFIX}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{root}{PREFIX}/swagger-ui.css",
                                   swagger_favicon_url=f"{root}{PREFIX}/favicon-32x32.png",
                                   oauth2_redirect_url=None)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = base(request)
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{root}{PREFIX}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{PREFIX}/favicon-32x32.png", with_google_fonts=False)
