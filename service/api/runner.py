"""Documents through the pipeline, for one request or a batch: the backend each asks for, the report gate,
the metrics. The pipeline's CPU-bound work runs in worker threads (``aextract``), off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from schemas import Extraction
from schemas.options import ExtractOptions
from service import pipeline
from service.api.backends import Backends
from service.api.bodies import Document, document_of_item
from service.api.errors import error_body, internal_error_body, invalid_request_body, validation_errors
from service.api.metrics import Metrics
from service.api.middleware import log_unexpected
from service.api.models import View
from service.api.quotas import Quotas
from service.config import Settings
from service.errors import NianbaoError
from service.gate import require_report


class Extractor:
    """Runs documents through the pipeline with the app's backends, and counts the outcomes."""

    def __init__(self, settings: Settings, backends: Backends, metrics: Metrics, quotas: Quotas | None = None) -> None:
        self.settings = settings
        self.backends = backends
        self.metrics = metrics
        self.quotas = quotas or Quotas(settings)

    async def run(self, document: Document) -> Extraction:
        """The extraction of one document; raises ``NianbaoError`` (not a report, LLM required and down…)."""
        try:
            options = document.options
            self.quotas.check_options(options)
            llm = self.quotas.uses_llm(options)
            if llm:
                self.quotas.admit_llm(document.client)
            backend = self.backends.get(options.backend)
            # A file's name (its extension) tells its format; the result keeps the source the caller chose.
            result = require_report(await pipeline.aextract(document.payload, source=document.filename or
                                                            document.source, narrative=backend, options=options,
                                                            content_type=document.content_type))
            result.source = document.source
            if llm:
                self.quotas.charge(document.client, result.narrative.prompt_tokens + result.narrative.completion_tokens)
        except NianbaoError as exc:
            self.metrics.observe_failure(exc.code)
            raise
        except Exception:
            self.metrics.observe_failure("internal_error")
            raise
        if document.encoding is not None:  # the API decoded the bytes, so the pipeline saw only text
            result.meta.encoding = document.encoding
        self.metrics.observe_result(result.narrative)
        return result

    async def run_batch(self, items: list[Any], defaults: ExtractOptions, *, view: View,
                        request_id: str | None, client: str = "-") -> list[dict[str, Any]]:
        """One entry per item, in order; at most ``batch_concurrency`` items are in the pipeline at once."""
        slots = asyncio.Semaphore(self.settings.batch_concurrency)

        async def one(index: int, item: Any) -> dict[str, Any]:
            async with slots:
                outcome = await self.attempt(
                    lambda: document_of_item(item, defaults, self.settings.max_upload_bytes, client), request_id)
            if isinstance(outcome, dict):
                return {"index": index, "ok": False, "error": outcome}
            return {"index": index, "ok": True, "result": render(outcome, view)}

        return list(await asyncio.gather(*(one(i, item) for i, item in enumerate(items))))

    async def attempt(self, document: Callable[[], Document], request_id: str | None) -> Extraction | dict[str, Any]:
        """The extraction of the document ``document()`` makes, or the problem document of its failure (one
        item of several: its error is its own, never the request's)."""
        try:
            return await self.run(document())
        except NianbaoError as exc:
            return error_body(exc, request_id)
        except RequestValidationError as exc:
            errors = exc.errors()
            return invalid_request_body(validation_errors(errors), request_id,
                                        getattr(exc, "total", None) or len(errors))
        except Exception as exc:  # one item's crash is that item's 500, not the request's
            log_unexpected(exc, request_id, self.settings.log_report_text)
            return internal_error_body(request_id)


def render(result: Extraction, view: View) -> dict[str, Any]:
    """The JSON body of a result: the whole Extraction, or its flat view (a batch item's ``result``)."""
    return result.to_flat() if view == "flat" else result.model_dump(mode="json")


def respond(result: Extraction, view: View) -> Response:
    """The HTTP response of one result: ``render``'s body, the whole one serialised by pydantic directly."""
    if view == "flat":
        return JSONResponse(render(result, view))
    # pydantic's own serialiser writes the same JSON as model_dump + json.dumps, in a quarter of the time.
    return Response(result.model_dump_json(), media_type="application/json")
