"""Helpers shared by the LLM tests: settings aimed at the fake server, a sample's input and gold answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas import Meta
from service.config import Settings
from service.narrative.base import NarrativeInput, NarrativeOutput
from service.sections import locate_sections
from service.text import normalise
from testkit.fake_llm import TEST_KEY

EVAL = Path(__file__).parents[2] / "eval"
SAMPLE = "004_bd56896d5bf88536"


def settings_for(url: str, **changes: Any) -> Settings:
    """LLM settings aimed at ``url``: no cache, no transport retries, quick timeouts (tests change them)."""
    values: dict[str, Any] = {"backend": "llm", "llm_base_url": url, "llm_api_key": TEST_KEY,
                              "llm_model": "fake-model", "llm_timeout_s": 5, "llm_max_retries": 0,
                              "llm_max_reasks": 2, "cache_url": "off"}
    values.update(changes)
    return Settings(_env_file=None, **values)


def doc_of(text: str) -> NarrativeInput:
    """The narrative step's input for a text, as the pipeline builds it."""
    view = normalise(text)
    return NarrativeInput(text=text, view=view, sections=locate_sections(view), meta=Meta())


def sample_text(name: str = SAMPLE) -> str:
    """A committed sample's text."""
    return (EVAL / "samples" / f"{name}.txt").read_text(encoding="utf-8")


def sample(name: str = SAMPLE) -> tuple[NarrativeInput, dict[str, Any]]:
    """A sample's narrative input and its gold facts and problems."""
    gold = json.loads((EVAL / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    return doc_of(sample_text(name)), gold


def gold_reading(gold: dict[str, Any]) -> dict[str, Any]:
    """The tool-call arguments a perfect model would send for ``gold``."""
    facts = [{"key": k, **v} for k, v in gold["facts"].items()]
    return {"facts": facts, "problems": gold["problems"]}


def assert_grounded(doc: NarrativeInput, out: NarrativeOutput) -> None:
    """Every quote and problem sits exactly at its span in the user's text."""
    for fact in out.facts.values():
        assert fact.span is not None
        assert doc.text[fact.span.start:fact.span.end] == fact.quote
    for problem in out.problems:
        assert problem.span is not None
        assert doc.text[problem.span.start:problem.span.end] == problem.text
