"""The ``rules`` narrative backend: facts and problems read offline by wording patterns.

Facts come from ``facts_rules`` (every section but 五, whose plans are not this year's counts), problems
from ``problems_rules`` (section 五 only). Patterns run on the parse view; spans and quotes are taken from
the user's text at the same offsets.
"""

from __future__ import annotations

import anyio.to_thread

from schemas import ExtractOptions, NarrativeUsage
from service.narrative.base import PROBLEM_SECTION, NarrativeInput, NarrativeOutput
from service.narrative.facts_rules import read_facts
from service.narrative.problems_rules import read_problems


class RulesBackend:
    """Offline narrative reader: deterministic, no network, about a millisecond a report."""

    name = "rules"

    def __repr__(self) -> str:
        return "RulesBackend()"

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """Facts and problems of one report (``options`` change nothing here)."""
        section = doc.section(PROBLEM_SECTION)
        return NarrativeOutput(facts=read_facts(doc.text, doc.view, skip=section, tables=doc.tables,
                                                     agency=doc.meta.agency),
                               problems=read_problems(doc.text, doc.view, section),
                               usage=NarrativeUsage(backend=self.name))

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        """``read`` in a worker thread: the patterns are CPU work, the event loop stays free."""
        return await anyio.to_thread.run_sync(self.read, doc)
