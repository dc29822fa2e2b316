"""nianbao's settings: one pydantic-settings class, read from ``NIANBAO_*`` variables and ``.env``.

The environment is read here and nowhere else; the result is validated at start and passed in.
Secrets are ``SecretStr``: they print as ``**********`` in reprs, logs and dumps.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["rules", "llm", "hybrid"]
BACKENDS: tuple[str, ...] = ("rules", "llm", "hybrid")


class Settings(BaseSettings):
    """Every setting of nianbao; each field is read from ``NIANBAO_<FIELD>`` (or a ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="NIANBAO_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore", validate_default=True)

    backend: Backend = Field("rules", description="narrative backend: rules (offline), llm or hybrid")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. https://api.openai.com/v1")
    llm_api_key: SecretStr | None = Field(None, description="key for the endpoint (any value if it needs none)")
    llm_model: str = Field("gpt-4o-mini", min_length=1)
    llm_timeout_s: float = Field(60, gt=0, le=600, description="seconds for one LLM request")
    llm_max_retries: int = Field(2, ge=0, le=10, description="retries on invalid output and on transient errors")
    max_upload_bytes: int = Field(10_000_000, gt=0)
    log_report_text: bool = Field(False, description="log report text and prompts (off: reports may be private)")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    @field_validator("backend", mode="before")
    @classmethod
    def _known_backend(cls, value: object) -> object:
        """Accept any case and surrounding spaces; name the accepted values when the name is unknown."""
        if isinstance(value, str):
            name = value.strip().lower()
            if name not in BACKENDS:
                raise ValueError(f"NIANBAO_BACKEND={value!r} is not a narrative backend; "
                                 f"set it to one of {', '.join(BACKENDS)}")
            return name
        return value

    @field_validator("llm_base_url", mode="before")
    @classmethod
    def _http_url(cls, value: object) -> object:
        """An empty variable means unset; anything else must be an http(s) URL."""
        if isinstance(value, str):
            url = value.strip()
            if not url:
                return None
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"NIANBAO_LLM_BASE_URL={url!r} is not an http(s) URL; set it to the endpoint's "
                                 "base, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1")
            return url.rstrip("/")
        return value

    @field_validator("llm_api_key", mode="before")
    @classmethod
    def _blank_key_is_unset(cls, value: object) -> object:
        """``NIANBAO_LLM_API_KEY=`` (empty) means no key, not an empty key."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _llm_is_configured(self) -> Settings:
        """The llm and hybrid backends need an endpoint and a key before the service starts."""
        if self.backend != "rules":
            missing = llm_settings_missing(self)
            if missing:
                raise ValueError(f"NIANBAO_BACKEND={self.backend} needs an LLM endpoint: set {' and '.join(missing)} "
                                 "(a local server that needs no key accepts any value, e.g. "
                                 "NIANBAO_LLM_API_KEY=none), or set NIANBAO_BACKEND=rules")
        return self


def llm_settings_missing(settings: Settings) -> list[str]:
    """Names of the environment variables the LLM backend needs and that are not set."""
    missing = []
    if settings.llm_base_url is None:
        missing.append("NIANBAO_LLM_BASE_URL")
    if settings.llm_api_key is None:
        missing.append("NIANBAO_LLM_API_KEY")
    return missing


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (``get_settings.cache_clear()`` re-reads them)."""
    return Settings()
