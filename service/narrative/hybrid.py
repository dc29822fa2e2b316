"""The ``hybrid`` narrative backend: rules first, the LLM for what the rules did not find.

Facts the rules found stand; the LLM adds the keys they missed. The LLM's problems are used only when the
rules found none. When the LLM fails (down, or its answers never validated) the rules' reading is returned
with the error recorded in ``usage.errors``: a report is never lost because the LLM is.
"""

from __future__ import annotations

import logging

from schemas import FACT_KEYS, NarrativeUsage
from service.errors import BackendError
from service.narrative.base import NarrativeBackend, NarrativeInput, NarrativeOutput

log = logging.getLogger(__name__)


class HybridBackend:
    """Rules first; an LLM backend fills the fact keys and the problems the rules left empty."""

    name = "hybrid"

    def __init__(self, rules: NarrativeBackend, llm: NarrativeBackend) -> None:
        self.rules = rules
        self.llm = llm

    def __repr__(self) -> str:
        return f"HybridBackend(rules={self.rules!r}, llm={self.llm!r})"

    def close(self) -> None:
        """Close what the LLM backend holds open."""
        close = getattr(self.llm, "close", None)
        if callable(close):
            close()

    def read(self, doc: NarrativeInput) -> NarrativeOutput:
        """Facts and problems of one report; never raises for an LLM failure."""
        base = self.rules.read(doc)
        try:
            extra = self.llm.read(doc)
        except BackendError as exc:
            log.warning("hybrid: the LLM failed (%s); using the rules' reading alone", exc.code)
            usage = _merge(base.usage, None)
            model, prompt_hash = exc.detail.get("model"), exc.detail.get("prompt_hash")
            usage.model = model if isinstance(model, str) else None
            usage.prompt_hash = prompt_hash if isinstance(prompt_hash, str) else None
            usage.errors.append(f"{exc.code}: {exc.message}")
            # The tokens an unusable answer cost are still spent; the error carries them.
            for field in ("llm_calls", "prompt_tokens", "completion_tokens"):
                count = exc.detail.get(field)
                if isinstance(count, int):
                    setattr(usage, field, getattr(usage, field) + count)
            return NarrativeOutput(facts=dict(base.facts), problems=list(base.problems), usage=usage)
        facts = dict(base.facts)
        for key, fact in extra.facts.items():
            facts.setdefault(key, fact)
        rank = {key: i for i, key in enumerate(FACT_KEYS)}
        ordered = dict(sorted(facts.items(), key=lambda item: rank.get(item[0], len(rank))))
        problems = list(base.problems) if base.problems else list(extra.problems)
        return NarrativeOutput(facts=ordered, problems=problems, usage=_merge(base.usage, extra.usage))


def _merge(rules: NarrativeUsage, llm: NarrativeUsage | None) -> NarrativeUsage:
    """One usage for both readers: the LLM's model, prompt and cost, both readers' errors."""
    usage = NarrativeUsage(backend="hybrid", errors=list(rules.errors), llm_calls=rules.llm_calls,
                           prompt_tokens=rules.prompt_tokens, completion_tokens=rules.completion_tokens)
    if llm is not None:
        usage.model, usage.prompt_hash = llm.model, llm.prompt_hash
        usage.llm_calls += llm.llm_calls
        usage.prompt_tokens += llm.prompt_tokens
        usage.completion_tokens += llm.completion_tokens
        usage.errors += llm.errors
    return usage
