"""Optional API keys: with ``NIANBAO_API_KEYS`` set, the /v1 routes want ``Authorization: Bearer <key>`` or
``X-API-Key: <key>``. Probes (/healthz, /readyz, /metrics) and the docs stay open."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from service.api.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="an API key from NIANBAO_API_KEYS")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key from NIANBAO_API_KEYS")


def api_key_guard(keys: list[SecretStr]) -> Callable[..., Awaitable[None]]:
    """The dependency that guards the /v1 routes: open without keys, else one of ``keys`` is needed."""
    accepted = [key.get_secret_value().encode() for key in keys]

    async def open_access() -> None:
        """No keys configured: every request is let in."""

    async def require_key(bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                          header: Annotated[str | None, Depends(_header)]) -> None:
        """Let the request in when it carries one of the keys, in either header."""
        presented = [value.encode() for value in (bearer.credentials if bearer else None, header) if value]
        # Every comparison runs, and each in constant time: the answer's timing says nothing about a key.
        match = False
        for value in presented:
            for key in accepted:
                match |= hmac.compare_digest(value, key)
        if not match:
            raise Unauthorized("send a valid API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                               if presented else "this service needs an API key: send it as 'Authorization: "
                               "Bearer <key>' or 'X-API-Key: <key>'")

    # Only a guarded app documents the security schemes, so the OpenAPI document tells the truth.
    return require_key if accepted else open_access


def key_matches(presented: list[str], keys: list[SecretStr]) -> bool:
    """True when one of the ``presented`` values is one of ``keys`` (the review page's form field or headers)."""
    # As in require_key: every comparison runs, each in constant time.
    match = False
    for value in presented:
        for key in keys:
            match |= hmac.compare_digest(value.encode(), key.get_secret_value().encode())
    return match
