"""Dependencies of the routes, as ``Annotated`` aliases: what the app built at start-up, per request.

They are `async def` although they do not await: FastAPI runs a plain `def` dependency in its thread pool,
a thread hop per dependency per request for reading one attribute."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.api.backends import Backends
from service.api.readiness import Readiness
from service.api.runner import Extractor
from service.config import Settings
from service.metrics import Metrics


async def get_settings_of_app(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_backends(request: Request) -> Backends:
    """The app's narrative backends."""
    backends: Backends = request.app.state.backends
    return backends


async def get_extractor(request: Request) -> Extractor:
    """The app's pipeline runner."""
    extractor: Extractor = request.app.state.extractor
    return extractor


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_readiness(request: Request) -> Readiness:
    """The app's readiness checks."""
    readiness: Readiness = request.app.state.readiness
    return readiness


SettingsDep = Annotated[Settings, Depends(get_settings_of_app)]
BackendsDep = Annotated[Backends, Depends(get_backends)]
ExtractorDep = Annotated[Extractor, Depends(get_extractor)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ReadinessDep = Annotated[Readiness, Depends(get_readiness)]
