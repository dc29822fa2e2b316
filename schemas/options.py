"""Per-request options: what a caller may choose for one report (the server's settings give the defaults)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.backends import BackendName


class ExtractOptions(BaseModel):
    """Options of one extraction; every field left out takes the server's default."""

    model_config = ConfigDict(extra="forbid")

    backend: BackendName | None = Field(
        None, description="narrative backend; default: NIANBAO_BACKEND")
    llm_required: bool | None = Field(
        None, description="fail with a typed error instead of degrading to the rules backend when the LLM "
        "fails; default: NIANBAO_LLM_REQUIRED")
    narrative: bool = Field(True, description="read facts and problems from the prose (false: tables and "
                            "checks only)")
    use_cache: bool = Field(True, description="answer from the LLM cache when the same report was read "
                            "with the same prompt, model and settings")
