"""Readiness: the prompts load, and — when an LLM backend is the default — the LLM endpoint answers.

The endpoint is probed with ``GET {base_url}/models`` (every OpenAI-compatible server has it) with a short
timeout; the answer is reused for a few seconds, so a busy load balancer does not become load on the LLM.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from service.api.models import ReadinessCheck
from service.config import Settings, public_url
from service.narrative.prompt import load_prompt

log = logging.getLogger("nianbao.ready")

PROBE_TIMEOUT_S = 2.0
PROBE_TTL_S = 5.0


class Readiness:
    """The checks behind ``GET /readyz``."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
                 ttl_s: float = PROBE_TTL_S, timeout_s: float = PROBE_TIMEOUT_S) -> None:
        self.settings = settings
        self.ttl_s = ttl_s
        self._prompts = ReadinessCheck(ok=False, detail="not checked yet")
        self._probed: tuple[float, ReadinessCheck] | None = None
        self._lock = asyncio.Lock()  # concurrent /readyz calls share one probe
        self._client = httpx.AsyncClient(timeout=timeout_s, transport=transport, follow_redirects=False)

    def start(self) -> None:
        """Load the prompts once: they are package data, and do not change while the process runs."""
        self._prompts = _load_prompts()

    async def checks(self) -> dict[str, ReadinessCheck]:
        """Each check by name; ready when all are ok."""
        out = {"prompts": self._prompts}
        if self.settings.backend != "rules":
            out["llm"] = await self._llm()
        return out

    async def aclose(self) -> None:
        """Close the probe's HTTP client."""
        await self._client.aclose()

    async def _llm(self) -> ReadinessCheck:
        async with self._lock:
            now = time.monotonic()
            if self._probed is None or now - self._probed[0] > self.ttl_s:
                self._probed = (now, await self._probe())
            return self._probed[1]

    async def _probe(self) -> ReadinessCheck:
        # /readyz is open to anyone who reaches it: its answer names no URL and no endpoint's reply. The
        # details go to the log, with the URL cut to scheme://host:port (user, path and query may hold secrets).
        settings = self.settings
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        where = public_url(settings.llm_base_url)
        try:
            response = await self._client.get(f"{settings.llm_base_url}/models",
                                              headers={"Authorization": f"Bearer {key}"})
        except httpx.HTTPError as exc:
            log.warning("llm endpoint %s unreachable: %s", where, type(exc).__name__)
            return ReadinessCheck(ok=False, detail="the LLM endpoint is unreachable")
        if response.status_code in (401, 403):
            log.warning("llm endpoint %s answered GET /models with %d: it refuses NIANBAO_LLM_API_KEY", where,
                        response.status_code)
            return ReadinessCheck(ok=False, detail="the LLM endpoint refuses the configured key")
        if not response.is_success:
            log.warning("llm endpoint %s answered GET /models with %d; check NIANBAO_LLM_BASE_URL (it usually "
                        "ends in /v1)", where, response.status_code)
            return ReadinessCheck(ok=False, detail="the LLM endpoint does not answer as expected")
        return ReadinessCheck(ok=True, detail="the LLM endpoint answers")


def _load_prompts() -> ReadinessCheck:
    try:
        prompt = load_prompt()
    except (OSError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        log.error("prompts do not load: %s", type(exc).__name__)
        return ReadinessCheck(ok=False, detail=f"the prompts do not load ({type(exc).__name__}); reinstall nianbao")
    return ReadinessCheck(ok=True, detail=f"{prompt.id} version {prompt.version} ({prompt.hash})")
