"""Build the narrative backend a name of the registry (``schemas.backends``) asks for.

openai and instructor are imported only when an LLM backend is asked for, so the offline default starts
fast and works without them configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schemas.backends import BACKENDS, LLM, OFFLINE
from service.config import Settings, llm_settings_missing
from service.errors import InputError, LLMUnavailable
from service.narrative.base import NarrativeBackend
from service.narrative.rules import RulesBackend

if TYPE_CHECKING:
    import openai


def make_backend(name: str | None, settings: Settings,
                 client: openai.AsyncOpenAI | None = None) -> NarrativeBackend:
    """The backend called ``name`` (``settings.backend`` when None); ``client`` is the LLM's, owned by the caller.

    The llm and hybrid backends of one process share one concurrency limiter (``limits.shared_limiter``).
    """
    chosen = (name if name is not None else settings.backend).strip().lower()
    if chosen == OFFLINE:
        return RulesBackend()
    if chosen not in BACKENDS:
        raise InputError(f"unknown narrative backend {name!r}; use one of {', '.join(BACKENDS)}",
                         detail={"backend": name, "accepted": list(BACKENDS)})
    missing = llm_settings_missing(settings)
    if client is None and missing:
        raise LLMUnavailable(f"the {chosen} backend needs an LLM endpoint: set {' and '.join(missing)}, "
                             "or use the rules backend", detail={"backend": chosen, "missing": missing})
    from service.narrative.llm import LLMBackend  # deferred: imports openai and instructor

    llm = LLMBackend(client, settings=settings)
    if chosen == LLM:
        return llm
    from service.narrative.hybrid import HybridBackend

    return HybridBackend(RulesBackend(), llm)
