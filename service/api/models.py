"""Request and small response models of the HTTP API (the result itself is ``schemas.Extraction``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.config import Backend


class ExtractRequest(BaseModel):
    """A report sent as JSON text."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="the report's whole text, tables included (as extracted from its PDF/page)")
    source: str | None = Field(None, description="a name for the report, echoed in the result")
    backend: Backend | None = Field(None, description="narrative backend; default: NIANBAO_BACKEND")


class Health(BaseModel):
    """The service is up; which narrative backend it uses by default."""

    status: Literal["ok"] = "ok"
    version: str
    schema_version: str
    backend: str
