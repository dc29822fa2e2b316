"""The parts of the OpenAPI document FastAPI cannot derive: bodies the routes read themselves (three media
types for one report; a batch whose items are validated one by one) and the result's schema."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from schemas import Extraction, ExtractOptions
from schemas.backends import BACKENDS
from service.api.bodies import FILE_TYPES, FORM_TYPE, JSON_TYPE, TEXT_TYPE
from service.api.models import FLAT_VIEW_SCHEMA, NOT_EMPTY, BatchRequest, ExtractRequest
from service.api.series import SeriesRequest

REF = "#/components/schemas/{model}"
_MODELS: tuple[tuple[type[BaseModel], JsonSchemaMode], ...] = (
    (ExtractRequest, "validation"), (BatchRequest, "validation"), (SeriesRequest, "validation"),
    (Extraction, "serialization"))


def ref(model: type[BaseModel]) -> dict[str, str]:
    """A reference to ``model``'s schema among the document's components."""
    return {"$ref": REF.format(model=model.__name__)}


_OPTIONS_FIELD = {"type": "string", "contentMediaType": "application/json", "contentSchema": ref(ExtractOptions),
                  "description": "ExtractOptions as a JSON string, e.g. {\"backend\": \"rules\"}"}
EXTRACT_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    JSON_TYPE: {"schema": ref(ExtractRequest)},
    TEXT_TYPE: {"schema": {"type": "string", **NOT_EMPTY, "description": "the report's text; its charset from "
                           "Content-Type, else detected (UTF-8, UTF-16, GB18030/GBK); name it with ?source="}},
    FORM_TYPE: {"schema": {
        "type": "object",
        "required": ["file"],
        "additionalProperties": False,
        "properties": {
            "file": {"type": "string", "format": "binary", "minLength": 1,
                     "description": "the report's file: text (UTF-8 with or without BOM, UTF-16, GB18030/GBK), "
                     "a web page (.html), a Word file (.docx) or a PDF, told apart by magic bytes, content "
                     "type or extension"},
            "source": {"type": "string", "description": "a name for the report (default: the file's name)"},
            "options": _OPTIONS_FIELD,
            "backend": {"type": "string", "enum": list(BACKENDS), "deprecated": True,
                        "description": "use options"},
        },
    }},
}}}
for _media in FILE_TYPES:
    EXTRACT_BODY["requestBody"]["content"][_media] = {"schema": {
        "type": "string", "format": "binary", "minLength": 1, "description": "the report's file itself (HTML, PDF "
        "or .docx; octet-stream: told apart by its magic bytes); name it with ?source="}}
BATCH_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {JSON_TYPE: {"schema": ref(BatchRequest)}}}}
SERIES_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    JSON_TYPE: {"schema": ref(SeriesRequest)},
    FORM_TYPE: {"schema": {
        "type": "object",
        "required": ["file"],
        "additionalProperties": False,
        "properties": {
            "file": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"},
                     "description": "the reports, one file each (repeat the field)"},
            "options": _OPTIONS_FIELD,
        },
    }},
}}}
RESULT_SCHEMA: dict[str, Any] = {"anyOf": [ref(Extraction), FLAT_VIEW_SCHEMA]}


def install_openapi(app: FastAPI) -> None:
    """Complete ``app``'s OpenAPI document with the components the hand-written bodies refer to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()  # FastAPI caches it in app.openapi_schema: completed once
            _, defs = models_json_schema(_MODELS, ref_template=REF)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in defs.get("$defs", {}).items():
                components.setdefault(name, definition)
            # This server's limit (NIANBAO_BATCH_MAX_ITEMS): more reports are answered 413 too_many_items.
            limit = app.state.settings.batch_max_items
            for model in ("BatchRequest", "SeriesRequest"):
                components[model]["properties"]["items"]["maxItems"] = limit
            for path, operations in schema.get("paths", {}).items():
                if path.endswith("/series") and "post" in operations:
                    form = operations["post"]["requestBody"]["content"][FORM_TYPE]["schema"]
                    form["properties"]["file"]["maxItems"] = limit
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
