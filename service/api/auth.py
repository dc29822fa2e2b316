"""Optional API keys: with ``NIANBAO_API_KEYS`` set, the /v1 routes want ``Authorization: Bearer <key>`` or
``X-API-Key: <key>``. Probes (/healthz, /readyz, /metrics) and the docs stay open."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from service.api.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="an API key from NIANBAO_API_KEYS")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key from NIANBAO_API_KEYS")


def api_key_guard(keys: list[SecretStr]) -> Callable[..., Awaitable[None]]:
    """The dependency that guards the /v1 routes: open without keys, else one of ``keys`` is needed."""
    async def open_access(request: Request) -> None:
        """No keys configured: every request is let in; the client is its address (for the quotas)."""
        request.state.client = address_client(request)

    async def require_key(request: Request,
                          bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                          header: Annotated[str | None, Depends(_header)]) -> None:
        """Let the request in when it carries one of the keys, in either header."""
        presented = [value for value in (bearer.credentials if bearer else None, header) if value]
        client = key_index(presented, keys)
        # The client is the key's position, never the key: it is a label in the quotas' counts.
        request.state.client = f"key:{client}"
        if not client:
            raise Unauthorized("send a valid API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                               if presented else "this service needs an API key: send it as 'Authorization: "
                               "Bearer <key>' or 'X-API-Key: <key>'")

    # Only a guarded app documents the security schemes, so the OpenAPI document tells the truth.
    return require_key if keys else open_access


async def admit_request(request: Request) -> None:
    """Count the request against its client's quota (after the key guard named the client)."""
    request.app.state.quotas.admit_request(client_of(request))


def address_client(request: Request) -> str:
    """The quotas' name of a client without keys: its address."""
    return f"addr:{request.client.host if request.client else '-'}"


def client_of(request: Request) -> str:
    """The quotas' name of the request's client (its key's position, or its address without keys)."""
    return str(getattr(request.state, "client", None) or "-")


def key_index(presented: list[str], keys: list[SecretStr]) -> int:
    """The position (from 1) among ``keys`` of the key one of ``presented`` is, or 0 when none is."""
    # Every comparison runs, and each in constant time: the answer's timing says nothing about a key.
    found = 0
    for value in presented:
        for index, key in enumerate(keys, start=1):
            match = hmac.compare_digest(value.encode(), key.get_secret_value().encode())
            found = found or (index if match else 0)
    return found
