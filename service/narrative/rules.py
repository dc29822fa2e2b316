"""The ``rules`` narrative backend: facts and problems read offline by wording patterns.

Facts come from ``facts_rules`` (every section but 五, whose plans are not this year's counts), problems
from ``problems_rules`` (section 五 only). Patterns run on the parse view; spans and quotes are taken from
the user's text at the same offsets.
"""

from __future__ import annotations

from schemas import NarrativeUsage
from service.narrative.base import NarrativeInput, NarrativeOutput
from service.narrative.facts_rules import read_facts
from service.narrative.problems_rules import read_problems

PROBLEM_SECTION = 5


class RulesBackend:
    """Offline narrative reader: deterministic, no network, about a millisecond a report."""

    name = "rules"

    def __repr__(self) -> str:
        return "RulesBackend()"

    def read(self, doc: NarrativeInput) -> NarrativeOutput:
        """Facts and problems of one report."""
        section = doc.section(PROBLEM_SECTION)
        return NarrativeOutput(facts=read_facts(doc.text, doc.view, skip=section, tables=doc.tables),
                               problems=read_problems(doc.text, doc.view, section),
                               usage=NarrativeUsage(backend=self.name))
