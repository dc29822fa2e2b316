"""Request and response models of the HTTP API (the result itself is ``schemas.Extraction``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas import Extraction
from schemas.options import ExtractOptions
from service.api.errors import ProblemDetails
from service.config import Backend

View = Literal["full", "flat"]

# The flat view (Extraction.to_flat): canonical key → number or null, meta.* and facts.*.qualifier
# strings, problems and checks.failed lists of strings.
FLAT_VIEW_SCHEMA: dict[str, Any] = {
    "title": "FlatView",
    "type": "object",
    "additionalProperties": {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"},
                                       {"type": "array", "items": {"type": "string"}}]},
}


class ExtractRequest(BaseModel):
    """A report sent as JSON text."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="the report's whole text, tables included (as extracted from its PDF/page)")
    source: str | None = Field(None, description="a name for the report, echoed in the result")
    options: ExtractOptions | None = Field(None, description="options of this extraction")
    backend: Backend | None = Field(None, description="deprecated: use options.backend",
                                    json_schema_extra={"deprecated": True})


class BatchItem(BaseModel):
    """One report of a batch."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="the report's whole text (or send content_base64)")
    content_base64: str | None = Field(None, description="instead of text: the report's file (HTML, DOCX, PDF "
                                       "or text), base64-encoded")
    filename: str | None = Field(None, description="the file's name: its extension helps tell the format")
    content_type: str | None = Field(None, description="the file's media type, e.g. application/pdf")
    source: str | None = Field(None, description="a name for the report, echoed in its result")
    options: ExtractOptions | None = Field(None, description="options of this report; fields set here "
                                           "override the batch's options")

    @model_validator(mode="after")
    def _one_body(self) -> BatchItem:
        if (self.text is None) == (self.content_base64 is None):
            raise ValueError("send exactly one of text and content_base64")
        return self


class BatchRequest(BaseModel):
    """Several reports at once (at most NIANBAO_BATCH_MAX_ITEMS); a bad one fails alone."""

    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(min_length=1, description="the reports, answered in this order")
    options: ExtractOptions | None = Field(None, description="default options of every item")


class BatchSuccess(BaseModel):
    """A report of the batch that was read."""

    index: int = Field(description="position of the item in the request")
    ok: Literal[True] = True
    result: Extraction | dict[str, Any] = Field(description="the extraction (the flat view with view=flat)")


class BatchFailure(BaseModel):
    """A report of the batch that failed; the others are unaffected."""

    index: int = Field(description="position of the item in the request")
    ok: Literal[False] = False
    error: ProblemDetails = Field(description="the problem document a single request would have returned")


class BatchResponse(BaseModel):
    """One entry per item, in the items' order."""

    results: list[BatchSuccess | BatchFailure]


class Health(BaseModel):
    """The service is up; which narrative backend it uses by default."""

    status: Literal["ok"] = "ok"
    version: str
    schema_version: str
    backend: str
    worker: str = Field(description="a random id of the worker process that answered (several run with "
                        "NIANBAO_WORKERS > 1)")


class ReadinessCheck(BaseModel):
    """One readiness check."""

    ok: bool
    detail: str


class Ready(BaseModel):
    """The service can serve extractions: every check passed."""

    status: Literal["ready"] = "ready"
    checks: dict[str, ReadinessCheck]
