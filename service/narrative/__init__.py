"""Step 5: the narrative (facts in the prose, problems in section 五), by rules or by an LLM."""

from service.narrative.base import NarrativeBackend, NarrativeInput, NarrativeOutput

__all__ = ["NarrativeBackend", "NarrativeInput", "NarrativeOutput"]
