"""Step 6 (narrative): facts in the prose and problems in section 五, by rules or by an LLM."""

from service.narrative.base import NarrativeBackend, NarrativeInput, NarrativeOutput

__all__ = ["NarrativeBackend", "NarrativeInput", "NarrativeOutput"]
