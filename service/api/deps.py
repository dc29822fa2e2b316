"""Dependencies of the routes, as ``Annotated`` aliases: settings, narrative backends, the posted document."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from service.api.errors import UnsupportedMediaType, too_large
from service.api.models import ExtractRequest
from service.config import Backend, Settings
from service.narrative import NarrativeBackend
from service.narrative.factory import make_backend

JSON_TYPES = ("application/json",)
FORM_TYPES = ("multipart/form-data",)
_backend_name: TypeAdapter[Backend | None] = TypeAdapter(Backend | None)


class Backends:
    """Narrative backends by name: the default built at start-up, the others on first request."""

    def __init__(self, settings: Settings, llm_client: Any = None,
                 prebuilt: Mapping[str, NarrativeBackend] | None = None) -> None:
        self.settings = settings
        self.default: Backend = settings.backend
        self._client = llm_client
        self._built: dict[str, NarrativeBackend] = dict(prebuilt or {})
        self._owned: list[NarrativeBackend] = []  # built here, so closed here; the caller closes the rest
        self._lock = threading.Lock()  # routes run in a threadpool
        self.get(None)

    def get(self, name: Backend | None) -> NarrativeBackend:
        """The backend called ``name`` (the configured default when None)."""
        name = name or self.default
        with self._lock:
            if name not in self._built:
                self._built[name] = make_backend(name, self.settings, client=self._client)
                self._owned.append(self._built[name])
            return self._built[name]

    def close(self) -> None:
        """Close what the backends hold open (HTTP clients of the LLM backends)."""
        for backend in self._owned:
            close = getattr(backend, "close", None)
            if callable(close):
                close()
        self._owned.clear()


@dataclass(frozen=True)
class Document:
    """One report as posted: bytes (an upload; the pipeline decodes them) or text (JSON)."""

    data: bytes | str
    source: str | None
    backend: Backend | None


def get_settings_of_app(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_backends(request: Request) -> Backends:
    """The app's narrative backends."""
    backends: Backends = request.app.state.backends
    return backends


SettingsDep = Annotated[Settings, Depends(get_settings_of_app)]
BackendsDep = Annotated[Backends, Depends(get_backends)]


async def read_document(request: Request, settings: SettingsDep) -> Document:
    """The report in the request body: JSON ``{"text": …}`` or a multipart ``file`` upload."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in JSON_TYPES or media_type.endswith("+json"):
        return await _from_json(request, settings.max_upload_bytes)
    if media_type in FORM_TYPES:
        return await _from_form(request, settings.max_upload_bytes)
    raise UnsupportedMediaType(
        f"Content-Type {media_type or '(none)'!r} is not accepted; send application/json "
        '{"text": "…"} or multipart/form-data with the report in a "file" field',
        detail={"accepted": [*JSON_TYPES, *FORM_TYPES]})


DocumentDep = Annotated[Document, Depends(read_document)]


async def _from_json(request: Request, limit: int) -> Document:
    try:
        body = ExtractRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(_at_body(exc)) from exc
    size = len(body.text.encode("utf-8", errors="surrogatepass"))
    if size > limit:
        raise too_large(size, limit)
    return Document(data=body.text, source=body.source, backend=body.backend)


async def _from_form(request: Request, limit: int) -> Document:
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RequestValidationError([{"loc": ("body", "file"), "type": "missing",
                                           "msg": 'send the report as a file in the "file" field'}])
        data = await upload.read(limit + 1)  # one byte more than allowed tells "too large" apart
        if len(data) > limit:
            raise too_large(upload.size or len(data), limit)
        source, backend = form.get("source"), form.get("backend")
        try:
            name = _backend_name.validate_python(backend or None)
        except ValidationError as exc:
            raise RequestValidationError(_at_body(exc, "backend")) from exc
        return Document(data=data, source=source if isinstance(source, str) and source else upload.filename,
                        backend=name)


def _at_body(exc: ValidationError, *field: str) -> list[dict[str, Any]]:
    """Pydantic's errors placed under ``body`` (without the input, which may be the whole report)."""
    return [{**e, "loc": ("body", *field, *e["loc"])}
            for e in exc.errors(include_url=False, include_input=False, include_context=False)]

