"""The narrative backends a caller may name: the one place their names are spelled.

Settings, per-request options, the OpenAPI document, the CLI, the eval runner and the backends themselves
take the names from here; ``service.narrative.factory`` builds the backend a name asks for.
"""

from __future__ import annotations

from typing import Final, Literal

BackendName = Literal["rules", "llm", "hybrid"]
RULES: Final = "rules"  # offline and deterministic: the default, needs no LLM endpoint
LLM: Final = "llm"  # an OpenAI-compatible endpoint through instructor, every quote grounded in the text
HYBRID: Final = "hybrid"  # both read; the rules' value kept where they differ, the LLM fills what they missed
BACKENDS: Final[tuple[BackendName, ...]] = (RULES, LLM, HYBRID)
OFFLINE: Final[BackendName] = RULES
