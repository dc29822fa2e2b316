"""Rules backend (placeholder until the narrative rules land): reads nothing yet."""

from __future__ import annotations

from schemas import NarrativeUsage
from service.narrative.base import NarrativeInput, NarrativeOutput


class RulesBackend:
    """Offline narrative reader."""

    name = "rules"

    def read(self, doc: NarrativeInput) -> NarrativeOutput:
        """Facts and problems of one report."""
        return NarrativeOutput(usage=NarrativeUsage(backend=self.name))
