"""The narrative step's interface: a backend reads facts and problems from the prose.

Backends: ``rules`` (offline, the default), ``llm`` (an OpenAI-compatible endpoint through instructor),
``hybrid`` (both, the rules' values kept, the LLM's filling what the rules missed). Each returns grounded
facts: every quote is located in the user's text and carries its span. ``aread`` is the async form (the
API's, so many reports can wait on the LLM at once); ``read`` the synchronous one (the CLI's and eval's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from schemas import ExtractOptions, Fact, Meta, NarrativeUsage, Problem
from service.config import Settings
from service.errors import BackendError
from service.sections import LocatedSection

PROBLEM_SECTION = 5  # 五、存在的主要问题及改进情况: the problems are there, and its plans are not facts


@dataclass(frozen=True)
class NarrativeInput:
    """What a backend may read: the user's text, its parse view (same offsets) and the located sections."""

    text: str
    view: str
    sections: list[LocatedSection]
    meta: Meta
    tables: tuple[tuple[int, int], ...] = ()  # spans of the tables read: numbers there are not prose facts

    def section(self, number: int) -> tuple[int, int] | None:
        """(start, end) of a section's body in the text, or None when it is not there."""
        for s in self.sections:
            if s.number == number:
                return s.body_start, s.end
        return None


@dataclass
class NarrativeOutput:
    """Facts and problems read from the prose, and what reading them cost."""

    facts: dict[str, Fact] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    usage: NarrativeUsage = field(default_factory=NarrativeUsage)


class NarrativeBackend(Protocol):
    """Anything that reads the narrative of a report."""

    name: str

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Facts and problems of one report."""
        ...

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Facts and problems of one report, for async callers."""
        ...


def llm_required(options: ExtractOptions | None, settings: Settings) -> bool:
    """Whether an LLM failure must raise: the request's ``llm_required`` when it says, else the setting."""
    if options is not None and options.llm_required is not None:
        return options.llm_required
    return settings.llm_required


def degraded(fallback: NarrativeOutput, error: BackendError, requested: str) -> NarrativeOutput:
    """The rules' reading ``fallback`` standing in for a failed LLM reading, marked as such.

    What the failed attempts spent (calls, tokens) and which model and prompt they used travel in the
    error's detail, and are kept: the tokens are spent all the same.
    """
    usage = fallback.usage.model_copy(deep=True)
    usage.requested_backend, usage.degraded = requested, True
    usage.degraded_reason = f"{error.code}: {error.message}"
    for name in ("model", "prompt_id", "prompt_version", "prompt_hash"):
        value = error.detail.get(name)
        if isinstance(value, str):
            setattr(usage, name, value)
    for name in ("llm_calls", "prompt_tokens", "completion_tokens"):
        count = error.detail.get(name)
        if isinstance(count, int):
            setattr(usage, name, getattr(usage, name) + count)
    return NarrativeOutput(facts=dict(fallback.facts), problems=list(fallback.problems), usage=usage)
