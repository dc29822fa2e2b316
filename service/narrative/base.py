"""The narrative step's interface: a backend reads facts and problems from the prose.

Backends: ``rules`` (offline, the default), ``llm`` (an OpenAI-compatible endpoint through instructor),
``hybrid`` (rules first, the LLM for what rules did not find). Each returns grounded facts: every
quote is located in the user's text and carries its span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from schemas import Fact, Meta, NarrativeUsage, Problem
from service.sections import LocatedSection


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

    def read(self, doc: NarrativeInput) -> NarrativeOutput:
        """Facts and problems of one report."""
        ...
