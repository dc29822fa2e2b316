"""The llm and hybrid backends, driven through the real openai + instructor clients against a fake server.

Nothing here touches the network or needs a key: every request goes to tests/fake_llm.py on loopback.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest
from fake_llm import TEST_KEY, FakeLLM, Reply, closed_port_url
from instructor.core import InstructorRetryException

from schemas import FACT_KEYS, Fact, Meta, NarrativeUsage, Problem, Span
from service.config import Settings
from service.errors import LLMOutputInvalid, LLMUnavailable
from service.narrative.base import NarrativeInput, NarrativeOutput
from service.narrative.hybrid import HybridBackend
from service.narrative.llm import LLMBackend, load_prompt, narrative_ranges
from service.sections import locate_sections
from service.text import normalise

EVAL = Path(__file__).parents[1] / "eval"
SAMPLE = "004_bd56896d5bf88536"


pytestmark = pytest.mark.usefixtures("clean_env")


def settings_for(url: str, **changes: Any) -> Settings:
    """LLM settings aimed at ``url``; quick timeouts so failing tests fail fast."""
    values: dict[str, Any] = {"backend": "llm", "llm_base_url": url, "llm_api_key": TEST_KEY,
                              "llm_model": "fake-model", "llm_timeout_s": 5, "llm_max_retries": 2}
    values.update(changes)
    return Settings(_env_file=None, **values)


def doc_of(text: str) -> NarrativeInput:
    """The narrative step's input for a text, as the pipeline builds it."""
    view = normalise(text)
    return NarrativeInput(text=text, view=view, sections=locate_sections(view), meta=Meta())


def sample() -> tuple[NarrativeInput, dict[str, Any]]:
    """Sample 004 and its gold facts and problems."""
    text = (EVAL / "samples" / f"{SAMPLE}.txt").read_text(encoding="utf-8")
    gold = json.loads((EVAL / "gold" / f"{SAMPLE}.json").read_text(encoding="utf-8"))
    return doc_of(text), gold


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


# ---- happy path ------------------------------------------------------------------------------------

def test_reads_a_sample_and_grounds_every_quote(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold), prompt_tokens=1234, completion_tokens=321))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = backend.read(doc)

    assert list(out.facts) == [k for k in FACT_KEYS if k in out.facts]  # in the spec's key order
    assert {k: (f.value, f.qualifier) for k, f in out.facts.items()} == {
        k: (Decimal(v["value"]), v["qualifier"]) for k, v in gold["facts"].items()}
    assert all(f.grounding == "exact" for f in out.facts.values())
    assert_grounded(doc, out)
    assert [p.text for p in out.problems] == gold["problems"]
    five = doc.section(5)
    assert five is not None
    assert all(five[0] <= p.span.start < p.span.end <= five[1] for p in out.problems if p.span)
    assert out.usage == NarrativeUsage(backend="llm", model="fake-model", prompt_hash=backend.prompt.hash,
                                       llm_calls=1, prompt_tokens=1234, completion_tokens=321, errors=[])


def test_sends_the_prose_not_the_tables(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    backend.read(doc)

    (request,) = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    body = request.body
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert body["tools"][0]["function"]["name"] == "NarrativeReading"
    system, user = body["messages"]
    assert system == {"role": "system", "content": backend.prompt.system}
    prose = user["content"]
    assert "共印发政府文件 85 件" in prose and "一是各办公室" in prose  # sections 一 and 五
    assert "本年新收政府信息公开申请数量" not in prose and "本年制发件数" not in prose  # tables 三, 二
    assert len(prose) < len(doc.text) * 0.8


def test_narrative_ranges_keep_section_five_within_the_limit() -> None:
    doc, _ = sample()
    five = doc.section(5)
    assert five is not None
    ranges = narrative_ranges(doc, limit=1500)
    assert sum(end - start for start, end in ranges) <= 1500
    assert any(start <= five[0] and five[1] <= end for start, end in ranges)


def test_a_text_without_prose_costs_no_call(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = backend.read(doc_of("   \n"))
    assert out.facts == {} and out.problems == [] and out.usage.llm_calls == 0
    assert fake_llm.requests == []


# ---- grounding and the hallucination guard ---------------------------------------------------------

def test_quotes_are_grounded_loosely_when_not_verbatim(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.tool({"facts": [
        # The text has spaces around the number; the model dropped them.
        {"key": "documents_issued", "value": 85, "qualifier": "exact", "quote": "共印发政府文件85件"},
        # Markdown asterisks and an ASCII quote mark that the text writes as “”.
        {"key": "website_posts", "value": 198, "quote": "规范网站管理。认真贯彻落政府信息平台建设相关文件要求"
                                                         "，深入推进政务公开和\"互联网+政务服务\"相结合，严格落实网"
                                                         "络意识形态责任制和三审三校制度，在县政府网站发布198条政府信息"},
    ], "problems": ["三是信息公开队伍业务素质有待提升。"]}))  # the model kept the marker and the 。
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)

    issued, posts = out.facts["documents_issued"], out.facts["website_posts"]
    assert issued.grounding == "fuzzy" and issued.quote == "共印发政府文件 85 件"
    assert posts.grounding == "fuzzy" and posts.quote.startswith("规范网站管理。**认真")
    assert_grounded(doc, out)
    assert out.problems[0].text == "信息公开队伍业务素质有待提升"


def test_hallucinations_are_dropped(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.tool({"facts": [
        {"key": "press_conferences", "value": 7, "quote": "召开新闻发布会7场"},  # not in the text
        {"key": "documents_issued", "value": 86, "quote": "共印发政府文件 85 件"},  # value not in the quote
        {"key": "documents_disclosed", "value": 34, "quote": "其中公布公开文件 34 件"},
        {"key": "documents_disclosed", "value": 51, "quote": "依申请公开文件 51 件"},  # one fact per key
        {"key": "fees_collected", "value": 0, "quote": "本机关 2022 年未收取信息处理费"},  # in 六: kept
    ], "problems": ["信息公开队伍业务素质有待提升", "领导不重视政务公开工作"]}))
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)

    assert list(out.facts) == ["documents_disclosed", "fees_collected"]
    assert out.facts["documents_disclosed"].value == 34
    assert [p.text for p in out.problems] == ["信息公开队伍业务素质有待提升"]
    errors = "\n".join(out.usage.errors)
    assert "dropped press_conferences" in errors and "dropped documents_issued" in errors
    assert "second documents_disclosed" in errors and "problem" in errors
    assert_grounded(doc, out)


# ---- invalid output: re-asked, then LLMOutputInvalid -----------------------------------------------

def test_invalid_output_is_reasked(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool("{not json", prompt_tokens=10, completion_tokens=1),
                    Reply.tool({"facts": [{"key": "tweets", "value": 3, "quote": "x"}]}, prompt_tokens=20,
                               completion_tokens=2),
                    Reply.tool(gold_reading(gold), prompt_tokens=30, completion_tokens=3))
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)

    assert len(out.facts) == len(gold["facts"])
    assert (out.usage.llm_calls, out.usage.prompt_tokens, out.usage.completion_tokens) == (3, 60, 6)
    third = fake_llm.requests[2].body["messages"]
    assert "'tweets' is not a fact key" in json.dumps(third, ensure_ascii=False)  # the model is told why


def test_plain_text_instead_of_a_tool_call_is_reasked(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.content("I think there are 85 documents."), Reply.tool(gold_reading(gold)))
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)
    assert out.usage.llm_calls == 2 and out.facts


def test_never_valid_output_is_llm_output_invalid(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(*[Reply.tool({"facts": "none"}, prompt_tokens=50, completion_tokens=5)] * 3)
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, llm_max_retries=2))
    with pytest.raises(LLMOutputInvalid) as caught:
        backend.read(doc)

    assert isinstance(caught.value.__cause__, InstructorRetryException)
    assert "NIANBAO_LLM_MODEL" in caught.value.message
    assert caught.value.detail["llm_calls"] == 3 and caught.value.detail["prompt_tokens"] == 150
    assert caught.value.detail["prompt_hash"] == backend.prompt.hash
    assert len(fake_llm.requests) == 3 and fake_llm.unused == 0


def test_truncated_output_is_llm_output_invalid(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.raw(json.dumps({
        "id": "x", "object": "chat.completion", "created": 1, "model": "fake-model",
        "choices": [{"index": 0, "finish_reason": "length", "message": {
            "role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function", "function": {
                "name": "NarrativeReading", "arguments": "{\"facts\": ["}}]}}]})))
    with pytest.raises(LLMOutputInvalid, match="cut off"):
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)


# ---- the endpoint fails: LLMUnavailable ------------------------------------------------------------

@pytest.mark.parametrize(("status", "hint"), [(500, "HTTP 500"), (503, "HTTP 503"), (401, "NIANBAO_LLM_API_KEY"),
                                              (429, "HTTP 429"), (404, "NIANBAO_LLM_BASE_URL")])
def test_http_errors_are_llm_unavailable(fake_llm: FakeLLM, fake_client: openai.OpenAI,
                                         status: int, hint: str) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.error(status))
    with pytest.raises(LLMUnavailable) as caught:
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)

    assert hint in caught.value.message
    assert caught.value.detail["status"] == status
    assert isinstance(caught.value.__cause__, InstructorRetryException)
    assert isinstance(caught.value.__cause__.__cause__, openai.APIStatusError)
    assert len(fake_llm.requests) == 1  # an endpoint error is not re-asked by instructor


def test_connection_refused_is_llm_unavailable() -> None:
    url = closed_port_url()
    settings = settings_for(url, llm_max_retries=0)
    with LLMBackend(settings=settings) as backend, pytest.raises(LLMUnavailable) as caught:
        backend.read(sample()[0])
    assert "NIANBAO_LLM_BASE_URL" in caught.value.message and url in caught.value.message
    assert caught.value.detail["cause"] == "APIConnectionError"


def test_timeout_is_llm_unavailable(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    fake_llm.script(Reply.hang(5))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, llm_timeout_s=0.3))
    with pytest.raises(LLMUnavailable, match="NIANBAO_LLM_TIMEOUT_S") as caught:
        backend.read(sample()[0])
    assert caught.value.detail["cause"] == "APITimeoutError"


def test_dropped_connection_is_llm_unavailable(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    fake_llm.script(Reply.drop())
    with pytest.raises(LLMUnavailable):
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(sample()[0])


def test_a_body_that_is_not_json_is_llm_unavailable(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    fake_llm.script(*[Reply.raw("<html>gateway says hello</html>")] * 3)
    with pytest.raises(LLMUnavailable, match="did not answer with an OpenAI chat completion") as caught:
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(sample()[0])
    assert "NIANBAO_LLM_BASE_URL" in caught.value.message and caught.value.detail["llm_calls"] == 0


def test_a_transient_500_is_retried_by_the_client(fake_llm: FakeLLM) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.error(500), Reply.tool(gold_reading(gold)))
    client = fake_llm.client(max_retries=1)
    try:
        out = LLMBackend(client, settings=settings_for(fake_llm.url)).read(doc)
    finally:
        client.close()
    assert out.facts and out.usage.llm_calls == 1 and len(fake_llm.requests) == 2


# ---- hybrid ----------------------------------------------------------------------------------------

class StubRules:
    """A rules backend that always finds one fact and, optionally, one problem."""

    name = "rules"

    def __init__(self, problems: bool = False) -> None:
        self.problems = problems

    def read(self, doc: NarrativeInput) -> NarrativeOutput:
        fact = Fact(value=Decimal(85), quote="共印发政府文件 85 件", span=Span(start=0, end=1))
        problems = [Problem(text="rules problem")] if self.problems else []
        return NarrativeOutput(facts={"documents_issued": fact}, problems=problems,
                               usage=NarrativeUsage(backend="rules", errors=["rules: note"]))


def test_hybrid_falls_back_to_rules_when_the_llm_is_down() -> None:
    doc, _ = sample()
    with LLMBackend(settings=settings_for(closed_port_url(), llm_max_retries=0)) as llm:
        out = HybridBackend(StubRules(), llm).read(doc)
        assert out.usage.prompt_hash == llm.prompt.hash
    assert list(out.facts) == ["documents_issued"] and out.problems == []
    assert out.usage.backend == "hybrid" and out.usage.model == "fake-model" and out.usage.llm_calls == 0
    assert out.usage.errors[0] == "rules: note"
    assert out.usage.errors[1].startswith("llm_unavailable: could not connect")


def test_hybrid_keeps_the_spend_of_an_invalid_answer(fake_llm: FakeLLM, fake_client: openai.OpenAI) -> None:
    fake_llm.script(*[Reply.tool("[]", prompt_tokens=7, completion_tokens=1)] * 3)
    llm = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = HybridBackend(StubRules(), llm).read(sample()[0])
    assert (out.usage.llm_calls, out.usage.prompt_tokens, out.usage.completion_tokens) == (3, 21, 3)
    assert out.usage.errors[-1].startswith("llm_output_invalid:")


@pytest.mark.parametrize("rules_problems", [False, True])
def test_hybrid_fills_what_rules_missed(fake_llm: FakeLLM, fake_client: openai.OpenAI,
                                        rules_problems: bool) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold), prompt_tokens=9, completion_tokens=4))
    llm = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = HybridBackend(StubRules(problems=rules_problems), llm).read(doc)

    assert set(out.facts) == set(gold["facts"])
    assert out.facts["documents_issued"].span == Span(start=0, end=1)  # the rules' fact stands
    assert out.facts["trainings"].quote == "组织工作人员参加政务公开培训2次"  # the LLM's fills the gap
    expected = ["rules problem"] if rules_problems else gold["problems"]
    assert [p.text for p in out.problems] == expected
    assert (out.usage.backend, out.usage.llm_calls, out.usage.prompt_tokens) == ("hybrid", 1, 9)


# ---- secrets and the prompt ------------------------------------------------------------------------

def test_the_key_never_reaches_logs_reprs_or_errors(fake_llm: FakeLLM, fake_client: openai.OpenAI,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    doc, gold = sample()
    settings = settings_for(fake_llm.url, log_report_text=True)
    backend = LLMBackend(fake_client, settings=settings)
    caplog.set_level(logging.DEBUG)
    fake_llm.script(Reply.tool("{bad"), Reply.tool(gold_reading(gold)), Reply.error(401))
    backend.read(doc)
    with pytest.raises(LLMUnavailable) as caught:
        backend.read(doc)
    # An endpoint that echoes the key in its error: our error must not carry it on.
    fake_llm.script(Reply.error(401, f"Incorrect API key provided: {TEST_KEY}"))
    with pytest.raises(LLMUnavailable) as echoed:
        backend.read(doc)

    assert fake_llm.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"  # it was used
    assert "共印发政府文件" in caplog.text  # log_report_text=True logs the excerpt, still not the key
    for shown in (caplog.text, repr(settings),
                  str(settings), settings.model_dump_json(), repr(backend), str(caught.value),
                  repr(caught.value.detail), str(echoed.value), repr(echoed.value.detail),
                  repr(HybridBackend(StubRules(), backend))):
        assert TEST_KEY not in shown


def test_the_report_text_is_not_logged_by_default(fake_llm: FakeLLM, fake_client: openai.OpenAI,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    caplog.set_level(logging.DEBUG, logger="service")
    LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)
    assert "llm narrative:" in caplog.text and "共印发政府文件" not in caplog.text


def test_examples_are_checked_before_any_call(tmp_path: Path, fake_llm: FakeLLM,
                                              fake_client: openai.OpenAI) -> None:
    prompts = Path(__file__).parents[1] / "prompts"
    (tmp_path / "narrative.md").write_text((prompts / "narrative.md").read_text(encoding="utf-8"), "utf-8")
    examples = json.loads((prompts / "narrative_examples.json").read_text(encoding="utf-8"))
    examples[0]["facts"][0]["quote"] = "共印发政府文件121件"
    (tmp_path / "narrative_examples.json").write_text(json.dumps(examples, ensure_ascii=False), "utf-8")
    with pytest.raises(ValueError, match="does not occur in the example's text"):
        LLMBackend(fake_client, settings=settings_for(fake_llm.url), prompts_dir=tmp_path)
    assert fake_llm.requests == []


def test_the_prompt_hash_follows_the_prompt(tmp_path: Path) -> None:
    prompts = Path(__file__).parents[1] / "prompts"
    for name in ("narrative.md", "narrative_examples.json"):
        (tmp_path / name).write_text((prompts / name).read_text(encoding="utf-8"), "utf-8")
    same = load_prompt(tmp_path)
    assert same == load_prompt(prompts) and same.hash.startswith("sha256:")
    (tmp_path / "narrative.md").write_text("只摘录。\n{{examples}}", "utf-8")
    changed = load_prompt(tmp_path)
    assert changed.hash != same.hash and "{{examples}}" not in changed.system and "示例 1" in changed.system
