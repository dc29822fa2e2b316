"""Dependencies of the routes, as ``Annotated`` aliases: what the app built at start-up, per request.

They are `async def` although they do not await: FastAPI runs a plain `def` dependency in its thread pool,
a thread hop per dependency per request for reading one attribute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from service.api.backends import Backends
from service.api.metrics import Metrics
from service.api.readiness import Readiness
from service.api.runner import Extractor
from service.config import Settings


def _from_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency giving what the app stored at start-up as ``app.state.<name>``."""
    async def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"get_{name}"
    return dependency


SettingsDep = Annotated[Settings, Depends(_from_state("settings"))]
BackendsDep = Annotated[Backends, Depends(_from_state("backends"))]
ExtractorDep = Annotated[Extractor, Depends(_from_state("extractor"))]
MetricsDep = Annotated[Metrics, Depends(_from_state("metrics"))]
ReadinessDep = Annotated[Readiness, Depends(_from_state("readiness"))]
