"""The hybrid backend: rules and LLM both read; agreement confirmed, disagreement listed, the rules' values kept."""

from __future__ import annotations

from decimal import Decimal

import openai
import pytest
from support.llm import assert_grounded, gold_reading, sample, settings_for

from schemas import FACT_KEYS, ExtractOptions, Fact, FactReading, NarrativeUsage, Problem, Span
from service.errors import LLMUnavailable
from service.narrative.base import NarrativeInput, NarrativeOutput
from service.narrative.hybrid import HybridBackend
from service.narrative.llm import LLMBackend
from service.narrative.rules import RulesBackend
from testkit.fake_llm import FakeLLM, Reply, closed_port_url

pytestmark = pytest.mark.usefixtures("clean_env")


class StubRules:
    """A rules backend that always finds one fact and, optionally, one problem."""

    name = "rules"

    def __init__(self, problems: bool = False, value: int = 85) -> None:
        self.problems = problems
        self.value = value

    def read(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        fact = Fact(value=Decimal(self.value), quote=f"共印发政府文件 {self.value} 件", span=Span(start=0, end=1))
        problems = [Problem(text="rules problem")] if self.problems else []
        return NarrativeOutput(facts={"documents_issued": fact}, problems=problems,
                               usage=NarrativeUsage(backend="rules", errors=["rules: note"]))

    async def aread(self, doc: NarrativeInput, options: ExtractOptions | None = None) -> NarrativeOutput:
        return self.read(doc, options)


def test_agreement_is_confirmed_and_gaps_are_filled(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold), prompt_tokens=9, completion_tokens=4))
    llm = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = HybridBackend(StubRules(), llm).read(doc)

    assert set(out.facts) == set(gold["facts"])
    assert out.facts["documents_issued"].span == Span(start=0, end=1)  # the rules' fact stands
    assert out.facts["trainings"].quote == "组织工作人员参加政务公开培训2次"  # the LLM's fills the gap
    assert out.usage.confirmed == ["documents_issued"] and out.usage.disagreements == []
    assert [p.text for p in out.problems] == gold["problems"]  # the rules found none
    assert (out.usage.backend, out.usage.requested_backend, out.usage.degraded) == ("hybrid", "hybrid", False)
    assert (out.usage.llm_calls, out.usage.prompt_tokens, out.usage.prompt_hash) == (1, 9, llm.prompt.hash)
    assert out.usage.errors == ["rules: note"]


def test_disagreement_keeps_the_rules_value_and_lists_both(fake_llm: FakeLLM,
                                                           fake_client: openai.AsyncOpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    llm = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = HybridBackend(StubRules(problems=True, value=86), llm).read(doc)

    assert out.facts["documents_issued"].value == 86  # correctness first: the rules' reading stands
    (disagreement,) = out.usage.disagreements
    assert disagreement.key == "documents_issued"
    assert disagreement.rules == FactReading(value=Decimal(86), quote="共印发政府文件 86 件")
    assert disagreement.llm == FactReading(value=Decimal(85), quote="共印发政府文件 85 件")
    assert out.usage.confirmed == []
    assert [p.text for p in out.problems] == ["rules problem"]  # the rules found problems: theirs stand


def test_the_real_rules_and_a_perfect_llm_agree_on_a_sample(fake_llm: FakeLLM,
                                                            fake_client: openai.AsyncOpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    llm = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = HybridBackend(RulesBackend(), llm).read(doc)
    assert out.usage.confirmed == [k for k in FACT_KEYS if k in gold["facts"]]  # all, in the spec's order
    assert out.usage.disagreements == []
    assert_grounded(doc, out)


def test_an_injected_llm_fact_only_fills_a_gap_when_grounded(fake_llm: FakeLLM,
                                                             fake_client: openai.AsyncOpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.tool({"facts": [{"key": "press_conferences", "value": 9, "quote": "召开新闻发布会9场"}]}))
    llm = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = HybridBackend(StubRules(), llm).read(doc)
    assert "press_conferences" not in out.facts
    assert [r.key for r in out.usage.rejected] == ["press_conferences"]


def test_the_llm_down_degrades_to_the_rules_reading() -> None:
    doc, _ = sample()
    with LLMBackend(settings=settings_for(closed_port_url())) as llm:
        hybrid = HybridBackend(StubRules(), llm)
        out = hybrid.read(doc)
        assert out.usage.prompt_hash == llm.prompt.hash
        with pytest.raises(LLMUnavailable):
            hybrid.read(doc, ExtractOptions(llm_required=True))
    assert list(out.facts) == ["documents_issued"] and out.problems == []
    usage = out.usage
    assert (usage.backend, usage.requested_backend, usage.degraded) == ("rules", "hybrid", True)
    assert usage.model == "fake-model" and usage.llm_calls == 0 and usage.errors == ["rules: note"]
    assert usage.degraded_reason is not None and usage.degraded_reason.startswith("llm_unavailable: could not connect")


def test_the_spend_of_an_invalid_answer_is_kept(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    fake_llm.script(*[Reply.tool("[]", prompt_tokens=7, completion_tokens=1)] * 3)
    llm = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = HybridBackend(StubRules(), llm).read(sample()[0])
    assert (out.usage.llm_calls, out.usage.prompt_tokens, out.usage.completion_tokens) == (3, 21, 3)
    assert out.usage.degraded and (out.usage.degraded_reason or "").startswith("llm_output_invalid:")
