"""The ``hybrid`` narrative backend: the rules and the LLM both read; the rules' values stand.

Correctness first: a key both read alike is ``confirmed``; a key read differently is kept with the rules'
value and listed in ``disagreements`` with both values and quotes (for review); a key only the LLM read is
added, grounded like every LLM fact. The LLM's problems are used only when the rules found none. When the
LLM fails, the rules' reading is returned marked ``degraded`` (or, with ``llm_required``, the error raised).
"""

from __future__ import annotations

import asyncio
import logging

from schemas import FACT_KEYS, Disagreement, ExtractOptions, FactReading, NarrativeUsage
from schemas.backends import HYBRID
from service.errors import BackendError
from service.narrative.aio import IO
from service.narrative.base import NarrativeBackend, NarrativeInput, NarrativeOutput, degraded
from service.narrative.llm import LLMBackend

log = logging.getLogger(__name__)


class HybridBackend:
    """The rules' reading, confirmed, questioned and completed by an LLM backend's."""

    name = HYBRID

    def __init__(self, rules: NarrativeBackend, llm: LLMBackend) -> None:
        self.rules = rules
        self.llm = llm

    def __repr__(self) -> str:
        return f"HybridBackend(rules={self.rules!r}, llm={self.llm!r})"

    def close(self) -> None:
        """Close what the LLM backend holds open."""
        self.llm.close()

    async def aclose(self) -> None:
        """``close`` for async callers."""
        await self.llm.aclose()

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Facts and problems of one report, for synchronous callers."""
        return IO.run(self.aread(doc, options))

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Both readings, at once; degrades to the rules' alone when the LLM fails (unless required)."""
        use_cache = options.use_cache if options is not None else True
        rules, llm = await asyncio.gather(self.rules.aread(doc, options),
                                          IO.arun(self.llm.reading(doc, use_cache=use_cache)),
                                          return_exceptions=True)
        if isinstance(rules, BaseException):
            raise rules
        if isinstance(llm, BackendError) and not self.llm.required(options):
            log.warning("hybrid: the LLM failed (%s); the rules' reading stands alone", llm.code)
            return degraded(rules, llm, self.name)
        if isinstance(llm, BaseException):
            raise llm
        return merge(rules, llm)


def merge(rules: NarrativeOutput, llm: NarrativeOutput) -> NarrativeOutput:
    """One reading from both: the rules' facts kept, agreement and disagreement listed, gaps filled."""
    facts = dict(rules.facts)
    confirmed: list[str] = []
    disagreements: list[Disagreement] = []
    for key, fact in llm.facts.items():
        mine = facts.get(key)
        if mine is None:
            facts[key] = fact
        elif mine.value == fact.value:
            confirmed.append(key)
        else:
            disagreements.append(Disagreement(key=key, rules=FactReading(value=mine.value, quote=mine.quote),
                                              llm=FactReading(value=fact.value, quote=fact.quote)))
    rank = {key: i for i, key in enumerate(FACT_KEYS)}
    ordered = dict(sorted(facts.items(), key=lambda item: rank.get(item[0], len(rank))))
    problems = list(rules.problems) if rules.problems else list(llm.problems)
    usage = NarrativeUsage(
        backend=HYBRID, requested_backend=HYBRID, model=llm.usage.model, prompt_id=llm.usage.prompt_id,
        prompt_version=llm.usage.prompt_version, prompt_hash=llm.usage.prompt_hash, cached=llm.usage.cached,
        llm_calls=rules.usage.llm_calls + llm.usage.llm_calls,
        prompt_tokens=rules.usage.prompt_tokens + llm.usage.prompt_tokens,
        completion_tokens=rules.usage.completion_tokens + llm.usage.completion_tokens,
        rejected=list(llm.usage.rejected), confirmed=sorted(confirmed, key=lambda k: rank.get(k, len(rank))),
        disagreements=disagreements, errors=rules.usage.errors + llm.usage.errors)
    return NarrativeOutput(facts=ordered, problems=problems, usage=usage)


__all__ = ["HybridBackend", "merge"]
