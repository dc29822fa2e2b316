"""Request bodies → ``Document``: one report with its options, read from JSON, text/plain or a multipart
upload, and the batch body. Sizes, encodings and binary data are settled here, before the pipeline.

Bodies are validated strictly (``0`` is not ``false``, ``"5"`` is not 5): the OpenAPI document is the
contract, and what it calls invalid is refused."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from schemas.options import ExtractOptions
from service.api.errors import (
    InvalidOptions,
    TooManyItems,
    UnsupportedMediaType,
    error_count,
    too_large,
    validation_errors,
)
from service.api.models import BatchItem, ExtractRequest
from service.api.sniff import decode_bytes, require_plain_text
from service.config import Backend
from service.documents.sniff import looks_like_markup, sniff_format
from service.errors import EmptyInput

JSON_TYPE, TEXT_TYPE, FORM_TYPE = "application/json", "text/plain", "multipart/form-data"
# A file posted as the body itself: its bytes go to the document readers (the format sniffed as well).
FILE_TYPES = ["text/html", "application/xhtml+xml", "application/pdf",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/octet-stream"]
ACCEPTED_TYPES = [JSON_TYPE, TEXT_TYPE, FORM_TYPE, *FILE_TYPES]
_FORM_FIELDS = frozenset({"file", "source", "options", "backend"})
_Body = TypeVar("_Body", bound=BaseModel)
_backend_name: TypeAdapter[Backend | None] = TypeAdapter(Backend | None)
# A report's body has at most a handful of keys (text, source, options and its fields): no valid body comes
# near this many per report, and a body far over it would only make one validation error per extra key.
KEYS_PER_REPORT = 64
OFF_LOOP_BYTES = 64 * 1024  # JSON bodies larger than this are parsed in a worker thread
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # a string's rest, after its opening quote
_KEY_COLON = re.compile(rb"\s*:")


@dataclass(frozen=True)
class Document:
    """One report as posted: its text (decoded) or, for HTML, DOCX and PDF, its bytes; its name and options."""

    text: str
    source: str | None
    options: ExtractOptions
    encoding: str | None = None
    data: bytes | None = None  # a file for the document readers (``text`` is then empty)
    content_type: str | None = None
    filename: str | None = None

    @property
    def payload(self) -> bytes | str:
        """What the pipeline reads: the file's bytes, or the text."""
        return self.data if self.data is not None else self.text
    client: str = "-"  # who asked (service.api.auth.client_of), for the quotas


async def read_document(request: Request, limit: int, *, source: str | None = None) -> Document:
    """The report in the request body (JSON, text/plain or multipart ``file``); ``source`` names it when the
    body does not."""
    document = await _read(request, limit)
    return replace(document, source=source) if source and document.source is None else document


async def _read(request: Request, limit: int) -> Document:
    media_type, params = _content_type(request)
    if request.headers.get("content-length") == "0":
        raise EmptyInput("the request body is empty; send the report as JSON {\"text\": …}, text/plain or a "
                         "multipart file")
    if _is_json(media_type):
        return await _from_json(request, limit)
    if media_type == TEXT_TYPE:
        return await _from_text(request, limit, params.get("charset"))
    if media_type == FORM_TYPE:
        return await _from_form(request, limit)
    if media_type in FILE_TYPES:
        data = await _body_bytes(request, limit)
        # .doc, .xls… posted as octet-stream: say what to convert to; binary data that is no document: not_text
        if sniff_format(data, content_type=media_type) == "text":
            text, encoding = decode_bytes(data)
            return Document(text=text, source=None, options=ExtractOptions(), encoding=encoding)
        return Document(text="", source=None, options=ExtractOptions(), data=data, content_type=media_type)
    raise UnsupportedMediaType(
        f"Content-Type {media_type or '(none)'!r} is not accepted; send application/json {{\"text\": …}}, "
        'text/plain, multipart/form-data with the report in a "file" field, or the file itself as text/html, '
        "application/pdf or the .docx type", detail={"accepted": ACCEPTED_TYPES})


class _BatchEnvelope(BaseModel):
    """The batch body without its items' contents: each item is validated on its own, later."""

    model_config = ConfigDict(extra="forbid")

    items: list[Any] = Field(min_length=1)
    options: ExtractOptions | None = None


async def read_batch(request: Request, max_items: int) -> tuple[list[Any], ExtractOptions]:
    """The batch's raw items and its default options; refuses more than ``max_items`` items."""
    media_type, _ = _content_type(request)
    if not _is_json(media_type):
        raise UnsupportedMediaType(f"Content-Type {media_type or '(none)'!r} is not accepted; send "
                                   'application/json {"items": [{"text": …}, …]}', detail={"accepted": [JSON_TYPE]})
    envelope = await _json_body(request, _BatchEnvelope, '{"items": [{"text": …}, …]}',
                                KEYS_PER_REPORT * (max_items + 1))
    if len(envelope.items) > max_items:
        raise TooManyItems(f"the batch has {len(envelope.items)} items, over the limit of {max_items}; split "
                           "it, or raise NIANBAO_BATCH_MAX_ITEMS", detail={"limit_items": max_items})
    return envelope.items, envelope.options or ExtractOptions()


def document_of_item(item: Any, defaults: ExtractOptions, limit: int, client: str = "-") -> Document:
    """One batch item as a Document; its options override the batch's, field by field."""
    try:
        parsed = BatchItem.model_validate(item, strict=True)
    except ValidationError as exc:
        raise _invalid(exc) from None
    options = merge_options(defaults, parsed.options)
    if parsed.content_base64 is not None:
        try:
            data = base64.b64decode(parsed.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise RequestValidationError([{"loc": ("body", "content_base64"), "type": "base64",
                                           "msg": "not valid base64"}]) from None
        if len(data) > limit:
            raise too_large(len(data), limit)
        fmt = sniff_format(data, filename=parsed.filename, content_type=parsed.content_type)
        if fmt == "text":
            text, encoding = decode_bytes(data)
            return Document(text=text, source=parsed.source or parsed.filename, options=options, encoding=encoding,
                            client=client)
        return Document(text="", source=parsed.source or parsed.filename, options=options, data=data,
                        content_type=parsed.content_type, filename=parsed.filename, client=client)
    if parsed.text is None:
        raise RequestValidationError([{"loc": ("body", "text"), "type": "missing",
                                       "msg": "send the report as text, or a file as content_base64"}])
    return text_document(parsed.text, parsed.source, options, limit, client)


def merge_options(defaults: ExtractOptions, override: ExtractOptions | None) -> ExtractOptions:
    """``defaults`` with the fields ``override`` sets explicitly."""
    if override is None:
        return defaults
    return ExtractOptions.model_validate({**defaults.model_dump(exclude_unset=True),
                                          **override.model_dump(exclude_unset=True)})


async def _json_body(request: Request, model: type[_Body], shape: str, max_keys: int) -> _Body:
    """The JSON body as ``model``, strictly; ``shape`` tells the caller what to send instead of nothing.
    A body of more than ``max_keys`` object keys is refused before it is validated."""
    raw = await request.body()
    if not raw.strip():
        raise EmptyInput(f"the request body is empty; send {shape}")
    if len(raw) <= OFF_LOOP_BYTES:
        return _validated_json(raw, model, max_keys)
    # Parsing megabytes takes the CPU for a while: in a worker thread, /healthz and others still answer.
    return await anyio.to_thread.run_sync(_validated_json, raw, model, max_keys)


def _validated_json(raw: bytes | str, model: type[_Body], max_keys: int) -> _Body:
    _check_keys(raw, max_keys)
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise _invalid(exc) from None


def count_keys(raw: bytes | str, stop_after: int) -> int:
    """The object keys in a JSON text (every string token followed by ``:``), counted up to ``stop_after``;
    counting stops too once ``2 * stop_after`` strings were seen (returning ``stop_after``): no valid body has
    more strings than twice its keys' bound either. Linear in the text, whatever it holds."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    keys = strings = pos = 0
    while keys < stop_after:
        start = data.find(b'"', pos)  # outside strings JSON has no quotes: this opens the next string
        if start < 0:
            break
        end = _STRING_REST.match(data, start + 1)  # anchored: each byte is read once (no retries mid-string)
        if end is None:
            break  # an unterminated string: not JSON, which the parser will say
        pos = end.end()
        strings += 1
        if _KEY_COLON.match(data, pos):
            keys += 1
        elif strings >= 2 * stop_after:
            return stop_after
    return keys


def _check_keys(raw: bytes | str, max_keys: int) -> None:
    """Refuse a body with more object keys (or strings) than any valid one has: validating it would list each
    as an error, or take long for nothing."""
    if count_keys(raw, max_keys + 1) > max_keys:
        raise CappedValidationError([{"loc": ("body",), "type": "too_many_keys",
                                      "msg": f"the body has more than {max_keys} object keys (or twice as many "
                                      "strings); no valid body has that many (see /docs for its shape)"}], total=1)


async def _from_json(request: Request, limit: int) -> Document:
    body = await _json_body(request, ExtractRequest, '{"text": "…"}', KEYS_PER_REPORT)
    return text_document(body.text, body.source, _with_backend(body.options, body.backend), limit)


async def _body_bytes(request: Request, limit: int) -> bytes:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise too_large(len(data), limit)
    return bytes(data)


async def _from_text(request: Request, limit: int, charset: str | None) -> Document:
    data = await _body_bytes(request, limit)
    if looks_like_markup(data):  # a web page sent as text/plain is read as the page it is, never as text
        if charset is not None:
            text, encoding = await _decoded(data, charset)
            data = text.encode("utf-8")
        return Document(text="", source=None, options=ExtractOptions(), data=data, content_type="text/html")
    text, encoding = await _decoded(data, charset)
    return Document(text=text, source=None, options=ExtractOptions(), encoding=encoding)


async def _decoded(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """``decode_bytes``, in a worker thread for a large body (detecting megabytes takes tens of ms)."""
    if len(data) <= OFF_LOOP_BYTES:
        return decode_bytes(data, charset)
    return await anyio.to_thread.run_sync(decode_bytes, data, charset)


async def _from_form(request: Request, limit: int) -> Document:
    async with request.form(max_files=1, max_fields=len(_FORM_FIELDS)) as form:
        unknown = sorted(set(form.keys()) - _FORM_FIELDS)
        if unknown:
            raise RequestValidationError([{"loc": ("body", name), "type": "extra_forbidden",
                                           "msg": f"unknown field; send {', '.join(sorted(_FORM_FIELDS))}"}
                                          for name in unknown])
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RequestValidationError([{"loc": ("body", "file"), "type": "missing",
                                           "msg": 'send the report as a file in the "file" field'}])
        data = await upload.read(limit + 1)  # one byte more than allowed tells "too large" apart
        if len(data) > limit:
            raise too_large(upload.size or len(data), limit)
        document = await file_document(data, upload.filename, ExtractOptions(), limit, filename=upload.filename,
                                       content_type=upload.content_type)
        source, backend, options = (_field(form.get(name)) for name in ("source", "backend", "options"))
        try:
            name = _backend_name.validate_python(backend)
            if options:
                _check_keys(options, KEYS_PER_REPORT)
            parsed = ExtractOptions.model_validate_json(options, strict=True) if options else None
        except ValidationError as exc:
            raise _invalid(exc, "options" if options else "backend") from None
        return replace(document, source=source or upload.filename, options=_with_backend(parsed, name))


def _field(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _with_backend(options: ExtractOptions | None, backend: Backend | None) -> ExtractOptions:
    """The options, with the deprecated top-level ``backend`` folded in."""
    options = options or ExtractOptions()
    if backend is None:
        return options
    if options.backend not in (None, backend):
        raise InvalidOptions(f"backend={backend!r} and options.backend={options.backend!r} disagree; send "
                             "options.backend alone", detail={"errors": []})
    return merge_options(options, ExtractOptions(backend=backend))


def _check_size(text: str, limit: int) -> None:
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limit:
        raise too_large(size, limit)


def _content_type(request: Request) -> tuple[str, dict[str, str]]:
    """The media type (lower case) and its parameters (``charset``…)."""
    media_type, *rest = request.headers.get("content-type", "").split(";")
    params = {}
    for param in rest:
        key, _, value = param.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return media_type.strip().lower(), params


def _is_json(media_type: str) -> bool:
    return media_type == JSON_TYPE or media_type.endswith("+json")


def _invalid(exc: ValidationError, *field: str) -> Exception:
    """``InvalidOptions`` when only options are wrong, else FastAPI's validation error (placed under body)."""
    errors = validation_errors(exc.errors(include_url=False, include_input=False, include_context=False))
    for error in errors:
        error["loc"] = ["body", *field, *error["loc"]]
    if all("options" in error["loc"] or "backend" in error["loc"] for error in errors):
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors[:5])
        return InvalidOptions(f"the options are not valid ({where}); see ExtractOptions in /docs",
                              detail=error_count(errors, exc.error_count()))
    return CappedValidationError(errors, total=exc.error_count())


class CappedValidationError(RequestValidationError):
    """FastAPI's validation error holding the first ``MAX_ERRORS`` errors and how many there were."""

    def __init__(self, errors: list[dict[str, Any]], *, total: int) -> None:
        super().__init__(errors)
        self.total = total


def text_document(text: str, source: str | None, options: ExtractOptions, limit: int, client: str = "-") -> Document:
    """A report sent as text (a JSON body, a batch item, the review page's field): size and binary checked."""
    _check_size(text, limit)
    require_plain_text(text)
    return Document(text=text, source=source, options=options, client=client)


async def file_document(data: bytes, source: str | None, options: ExtractOptions, limit: int, *,
                        filename: str | None = None, content_type: str | None = None, client: str = "-") -> Document:
    """An uploaded file (multipart ``file``, the review page's files): HTML, DOCX and PDF keep their bytes for
    the document readers (by content, name or declared type); text is decoded as the core does."""
    if len(data) > limit:
        raise too_large(len(data), limit)
    ctype = content_type if content_type not in (None, "", "application/octet-stream") else None
    if sniff_format(data, filename=filename, content_type=ctype) != "text":
        return Document(text="", source=source, options=options, data=data, content_type=ctype, filename=filename,
                        client=client)
    text, encoding = await _decoded(data)
    return Document(text=text, source=source, options=options, encoding=encoding, content_type=ctype,
                    filename=filename, client=client)
