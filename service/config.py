"""nianbao's settings: one pydantic-settings class, read from ``NIANBAO_*`` variables and ``.env``.

The environment is read here and nowhere else; the result is validated at start and passed in.
Secrets are ``SecretStr``: they print as ``**********`` in reprs, logs and dumps.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    llm_mode: Literal["tools", "json", "md_json"] = Field(
        "tools", description="instructor mode: tools (OpenAI, DeepSeek, vLLM), json or md_json (endpoints "
        "without tool calling)")
    llm_timeout_s: float = Field(60, gt=0, le=600, description="seconds for one LLM request")
    llm_max_retries: int = Field(2, ge=0, le=10, description="transport retries on 429 (Retry-After honoured), "
                                 "5xx and timeouts, with exponential backoff")
    llm_max_reasks: int = Field(2, ge=0, le=10, description="re-asks when the model's output fails validation")
    llm_token_budget: int = Field(30_000, ge=0, description="most prompt + completion tokens spent on one "
                                  "report (0: no limit)")
    llm_max_concurrency: int = Field(4, ge=1, le=256, description="LLM calls in flight at once, per process")
    llm_queue_limit: int = Field(64, ge=0, description="reports waiting for an LLM slot before new ones are "
                                 "refused with 503 (overloaded)")
    llm_required: bool = Field(False, description="fail (instead of degrading to the rules backend) when the "
                               "LLM fails; a request may ask for it too")
    cache_url: str = Field("sqlite:///.nianbao/cache.sqlite3", description="cache of LLM readings: "
                           "sqlite:///path (embedded), redis://host:port/db (shared by replicas), or off")
    max_upload_bytes: int = Field(10_000_000, gt=0, description="largest report accepted, in bytes")
    batch_max_items: int = Field(20, ge=1, le=1000, description="most reports in one batch request")
    batch_concurrency: int = Field(4, ge=1, le=256, description="reports of one batch processed at once")
    api_keys_file: Path | None = Field(None, description="a file holding the API keys (comma- or line-separated), "
                                       "e.g. a compose secret; instead of NIANBAO_API_KEYS")
    llm_api_key_file: Path | None = Field(None, description="a file holding the LLM key; instead of "
                                          "NIANBAO_LLM_API_KEY")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="comma-separated keys accepted as 'Authorization: Bearer' or "
        "'X-API-Key' (empty: no authentication)")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated origins allowed by CORS (empty: CORS off)")
    root_path: str = Field("", description="path prefix the gateway serves the app under, e.g. /nianbao")
    forwarded_allow_ips: str = Field("127.0.0.1", description="comma-separated proxy addresses whose "
                                     "X-Forwarded-* headers are trusted ('*': any)")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes")
    log_format: Literal["json", "text"] = Field("json", description="log lines as JSON or plain text")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_report_text: bool = Field(False, description="log report text and prompts (off: reports may be private)")
    auth: Literal["on", "off"] = Field("on", description="off: serve without API keys on a non-loopback "
                                       "address (the service refuses to start open there otherwise)")
    client_backends: Annotated[list[Backend], NoDecode] = Field(
        default_factory=list, description="comma-separated backends a client may ask for (empty: rules and "
        "NIANBAO_BACKEND); llm and hybrid cost money per call")
    client_cache_bypass: bool = Field(False, description="let clients send use_cache=false (a paid LLM call "
                                      "even for a report read before)")
    quota_requests_per_min: int = Field(0, ge=0, description="requests one client (API key, or address without "
                                        "keys) may make per minute (0: no limit)")
    quota_llm_tokens_per_min: int = Field(0, ge=0, description="LLM tokens one client may spend per minute "
                                          "(0: no limit)")
    llm_tokens_per_min: int = Field(0, ge=0, description="LLM tokens the process spends per minute, all "
                                    "clients together (0: no limit)")
    docs: bool = Field(True, description="serve /docs and /openapi.json")
    limit_concurrency: int = Field(1024, ge=1, description="connections and requests uvicorn serves at once "
                                   "per worker; more are answered 503")
    timeout_keep_alive_s: float = Field(5, gt=0, le=300, description="an idle keep-alive connection is closed "
                                        "after this many seconds")
    timeout_request_s: float = Field(15, gt=0, le=600, description="a connection that has not sent a whole "
                                     "request head, or stops sending its body, is closed after this long")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    @field_validator("api_keys", "cors_origins", "client_backends", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``a,b`` (spaces allowed) in the environment; an empty variable is an empty list."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("auth", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        """``off``/``false``/``0`` and ``on``/``true``/``1``, any case."""
        if isinstance(value, str):
            word = value.strip().lower()
            return {"false": "off", "0": "off", "no": "off", "true": "on", "1": "on", "yes": "on"}.get(word, word)
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        """Accept ``info`` as well as ``INFO``."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("root_path", mode="before")
    @classmethod
    def _prefix(cls, value: object) -> object:
        """``nianbao/`` and ``/nianbao`` mean the same prefix: a leading slash, no trailing one."""
        if isinstance(value, str):
            value = value.strip().strip("/")
            return f"/{value}" if value else ""
        return value

    @field_validator("cache_url", mode="before")
    @classmethod
    def _cache_url(cls, value: object) -> object:
        """``off``/``none``/empty disable the cache; otherwise a sqlite:/// or redis(s):// URL."""
        if isinstance(value, str):
            url = value.strip()
            if url.lower() in ("", "off", "none", "false", "0"):
                return "off"
            if not url.startswith(("sqlite:///", "redis://", "rediss://", "unix://")):
                raise ValueError(f"NIANBAO_CACHE_URL={url!r} is not a cache URL; use sqlite:///path/to/file, "
                                 "redis://host:6379/0 or off")
            return url
        return value

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
    def _secrets_from_files(self) -> Settings:
        """``NIANBAO_API_KEYS_FILE`` and ``NIANBAO_LLM_API_KEY_FILE``: secrets kept out of the environment."""
        if self.api_keys_file is not None:
            if self.api_keys:
                raise ValueError("NIANBAO_API_KEYS and NIANBAO_API_KEYS_FILE are both set; keep one")
            keys = _read_secret(self.api_keys_file, "NIANBAO_API_KEYS_FILE").replace("\n", ",").split(",")
            self.api_keys = [SecretStr(key.strip()) for key in keys if key.strip()]
            if not self.api_keys:
                raise ValueError(f"NIANBAO_API_KEYS_FILE={self.api_keys_file} holds no key")
        if self.llm_api_key_file is not None:
            if self.llm_api_key is not None:
                raise ValueError("NIANBAO_LLM_API_KEY and NIANBAO_LLM_API_KEY_FILE are both set; keep one")
            key = _read_secret(self.llm_api_key_file, "NIANBAO_LLM_API_KEY_FILE").strip()
            self.llm_api_key = SecretStr(key) if key else None
        return self

    @model_validator(mode="after")
    def _auth_is_consistent(self) -> Settings:
        """Keys and ``NIANBAO_AUTH=off`` contradict each other: say so rather than guess which one is meant."""
        if self.auth == "off" and self.api_keys:
            raise ValueError("NIANBAO_AUTH=off and NIANBAO_API_KEYS are both set; unset one of them")
        return self

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


def _read_secret(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{name}={path} cannot be read ({exc.strerror or type(exc).__name__})") from None


def llm_settings_missing(settings: Settings) -> list[str]:
    """Names of the environment variables the LLM backend needs and that are not set."""
    missing = []
    if settings.llm_base_url is None:
        missing.append("NIANBAO_LLM_BASE_URL")
    if settings.llm_api_key is None:
        missing.append("NIANBAO_LLM_API_KEY")
    return missing


def public_url(url: str | None) -> str:
    """``scheme://host:port`` of a URL: what may be shown of an endpoint (no user, password, path or query,
    any of which may carry a secret)."""
    if not url:
        return "(none)"
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def allowed_backends(settings: Settings) -> frozenset[str]:
    """The backends a client may ask for: ``NIANBAO_CLIENT_BACKENDS``, else rules and the server's default."""
    return frozenset(settings.client_backends or ("rules", settings.backend))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address to bind) is reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def open_access_refusal(settings: Settings, host: str) -> str | None:
    """Why the service must not start on ``host`` as configured (open to the network), or None."""
    if settings.api_keys or settings.auth == "off" or is_loopback(host):
        return None
    return (f"refusing to serve on {host} without API keys: anyone who reaches it could use it (and its LLM). "
            "Set NIANBAO_API_KEYS (or NIANBAO_API_KEYS_FILE), bind 127.0.0.1, or set NIANBAO_AUTH=off to serve "
            "open on purpose")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (``get_settings.cache_clear()`` re-reads them)."""
    return Settings()
