"""The llm backend, driven through the real AsyncOpenAI + instructor clients against a fake server.

Nothing here touches the network or needs a key: every request goes to tests/fake_llm.py on loopback.
Resilience (retries, budget, concurrency, degrading) is in test_llm_resilience.py, hybrid in test_llm_hybrid.py.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

import openai
import pytest
from fake_llm import TEST_KEY, FakeLLM, Reply, closed_port_url
from instructor.core import InstructorRetryException
from llm_support import assert_grounded, doc_of, gold_reading, sample, settings_for

from schemas import FACT_KEYS, ExtractOptions, NarrativeUsage, RejectedFact
from service.errors import LLMOutputInvalid, LLMUnavailable
from service.narrative.excerpt import excerpt_of, narrative_ranges
from service.narrative.hybrid import HybridBackend
from service.narrative.llm import PROMPT_HEADER, LLMBackend
from service.narrative.prompt import load_prompt
from service.narrative.rules import RulesBackend

REQUIRED = ExtractOptions(llm_required=True)

pytestmark = pytest.mark.usefixtures("clean_env")


# ---- happy path ------------------------------------------------------------------------------------

def test_reads_a_sample_and_grounds_every_quote(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
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
    prompt = backend.prompt
    assert out.usage == NarrativeUsage(backend="llm", requested_backend="llm", model="fake-model",
                                       prompt_id="narrative", prompt_version=prompt.version,
                                       prompt_hash=prompt.hash, llm_calls=1, prompt_tokens=1234,
                                       completion_tokens=321)


def test_sends_the_prose_not_the_tables_with_the_prompt_version(fake_llm: FakeLLM,
                                                                fake_client: openai.AsyncOpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    backend.read(doc)

    (request,) = fake_llm.requests
    assert request.path == "/v1/chat/completions"
    body = request.body
    assert body["model"] == "fake-model"
    assert body["temperature"] == 0
    assert body["max_tokens"] == 4096  # no budget pressure: the cap every listed endpoint accepts
    assert body["tools"][0]["function"]["name"] == "NarrativeReading"
    system, user = body["messages"]
    assert system == {"role": "system", "content": backend.prompt.system}
    prose = user["content"]
    assert "共印发政府文件 85 件" in prose and "一是各办公室" in prose  # sections 一 and 五
    assert "本年新收政府信息公开申请数量" not in prose and "本年制发件数" not in prose  # tables 三, 二
    assert "行政复议" not in prose.split("五、")[0] or "\t" not in prose  # no table rows (tab-separated)
    assert len(prose) < len(doc.text) * 0.8
    # The prompt's id, version and hash travel with the request (and not its front matter in the text).
    assert request.headers[PROMPT_HEADER.lower()] == f"narrative/{backend.prompt.version} {backend.prompt.hash}"
    assert backend.prompt.hash.startswith("sha256:") and "version:" not in backend.prompt.system


@pytest.mark.parametrize("mode", ["json", "md_json"])
def test_modes_without_tool_calls(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI, mode: str) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool(gold_reading(gold)))  # no tools offered: the fake answers in the content
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url, llm_mode=mode)).read(doc)
    assert len(out.facts) == len(gold["facts"]) and not out.usage.degraded
    body = fake_llm.requests[0].body
    assert "tools" not in body
    assert '"title": "NarrativeReading"' in body["messages"][0]["content"]  # the schema rides in the prompt
    assert body.get("response_format") == ({"type": "json_object"} if mode == "json" else None)


def test_narrative_ranges_keep_section_five_within_the_limit() -> None:
    doc, _ = sample()
    five = doc.section(5)
    assert five is not None
    ranges = narrative_ranges(doc, limit=1500)
    assert sum(end - start for start, end in ranges) <= 1500
    assert any(start <= five[0] and five[1] <= end for start, end in ranges)


def test_only_sentences_that_can_hold_a_count_are_sent_beside_section_five() -> None:
    text = ("一、总体情况\n（一）主动公开\n本机关坚持以公开为常态。全年共印发文件 5 件，其中主动公开三件。\n"
            "政务公开工作稳步推进。本年度未收到政府信息公开申请。\n"
            "二、主动公开政府信息情况\n信息内容\t本年制发件数\n规章\t0\n"
            "五、存在的主要问题及改进情况\n公开意识不强，工作有待加强。下一步加强培训。\n"
            "六、其他需要报告的事项\n本机关认真落实工作要点。未收取信息处理费。\n")
    doc = doc_of(text)
    sent = excerpt_of(doc, narrative_ranges(doc))
    for part in ("一、总体情况", "（一）主动公开", "全年共印发文件 5 件，其中主动公开三件。", "本年度未收到政府信息公开申请。",
                 "五、存在的主要问题及改进情况\n公开意识不强，工作有待加强。下一步加强培训。", "未收取信息处理费。"):
        assert part in sent
    for part in ("坚持以公开为常态", "稳步推进", "认真落实", "本年制发件数", "规章"):
        assert part not in sent


def test_a_text_without_prose_costs_no_call(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    out = backend.read(doc_of("   \n"))
    assert out.facts == {} and out.problems == [] and out.usage.llm_calls == 0
    assert fake_llm.requests == []


# ---- grounding and the hallucination guard ---------------------------------------------------------

def test_quotes_are_grounded_loosely_when_not_verbatim(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
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


def test_ungrounded_facts_are_rejected_and_listed(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
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
    assert out.usage.rejected == [
        RejectedFact(key="press_conferences", value=Decimal(7), quote="召开新闻发布会7场", reason="quote_not_in_text"),
        RejectedFact(key="documents_issued", value=Decimal(86), quote="共印发政府文件 85 件",
                     reason="value_not_in_quote"),
        RejectedFact(key="documents_disclosed", value=Decimal(51), quote="依申请公开文件 51 件", reason="duplicate_key"),
    ]
    assert out.usage.errors == ["llm: dropped a problem that is not in section 五's text"]
    assert_grounded(doc, out)


def test_a_quote_from_a_table_is_rejected(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    # The number is in the report, but in 表三, which is never sent: the model cannot have read it there.
    doc, _ = sample()
    table_quote = next(line for line in doc.text.splitlines() if "本年新收政府信息公开申请数量" in line).strip()
    fake_llm.script(Reply.tool({"facts": [{"key": "requests_received", "value": 0, "quote": table_quote}]}))
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)
    assert "requests_received" not in out.facts
    assert [r.reason for r in out.usage.rejected] == ["quote_not_in_text"]


# ---- invalid output: re-asked, then LLMOutputInvalid (or degraded) ---------------------------------

def test_invalid_json_then_valid_is_reasked(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.tool("{not json", prompt_tokens=10, completion_tokens=1),
                    Reply.tool({"facts": [{"key": "tweets", "value": 3, "quote": "x"}]}, prompt_tokens=20,
                               completion_tokens=2),
                    Reply.tool(gold_reading(gold), prompt_tokens=30, completion_tokens=3))
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)

    assert len(out.facts) == len(gold["facts"]) and not out.usage.degraded
    assert (out.usage.llm_calls, out.usage.prompt_tokens, out.usage.completion_tokens) == (3, 60, 6)
    third = fake_llm.requests[2].body["messages"]
    assert "'tweets' is not a fact key" in json.dumps(third, ensure_ascii=False)  # the model is told why


def test_plain_text_instead_of_a_tool_call_is_reasked(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    doc, gold = sample()
    fake_llm.script(Reply.content("I think there are 85 documents."), Reply.tool(gold_reading(gold)))
    out = LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc)
    assert out.usage.llm_calls == 2 and out.facts


def test_never_valid_output_is_llm_output_invalid_when_required(fake_llm: FakeLLM,
                                                                 fake_client: openai.AsyncOpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(*[Reply.tool({"facts": "none"}, prompt_tokens=50, completion_tokens=5)] * 3)
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, llm_max_reasks=2))
    with pytest.raises(LLMOutputInvalid) as caught:
        backend.read(doc, REQUIRED)

    assert isinstance(caught.value.__cause__, InstructorRetryException)
    assert "NIANBAO_LLM_MAX_REASKS" in caught.value.message
    assert caught.value.detail["llm_calls"] == 3 and caught.value.detail["prompt_tokens"] == 150
    assert caught.value.detail["prompt_hash"] == backend.prompt.hash
    assert len(fake_llm.requests) == 3 and fake_llm.unused == 0


def test_never_valid_output_degrades_to_rules(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(*[Reply.tool({"facts": "none"}, prompt_tokens=50, completion_tokens=5)] * 2)
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, llm_max_reasks=1))
    out = backend.read(doc)
    rules = RulesBackend().read(doc)
    assert out.facts == rules.facts and out.problems == rules.problems
    usage = out.usage
    assert (usage.backend, usage.requested_backend, usage.degraded) == ("rules", "llm", True)
    assert usage.degraded_reason is not None and usage.degraded_reason.startswith("llm_output_invalid: ")
    assert (usage.llm_calls, usage.prompt_tokens, usage.completion_tokens) == (2, 100, 10)  # still spent
    assert (usage.model, usage.prompt_hash) == ("fake-model", backend.prompt.hash)


def test_truncated_output_is_llm_output_invalid(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.raw(json.dumps({
        "id": "x", "object": "chat.completion", "created": 1, "model": "fake-model",
        "choices": [{"index": 0, "finish_reason": "length", "message": {
            "role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function", "function": {
                "name": "NarrativeReading", "arguments": "{\"facts\": ["}}]}}]})))
    with pytest.raises(LLMOutputInvalid, match="cut off"):
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc, REQUIRED)


# ---- the endpoint fails: LLMUnavailable when required ----------------------------------------------

@pytest.mark.parametrize(("status", "hint"), [(500, "HTTP 500"), (503, "HTTP 503"), (401, "NIANBAO_LLM_API_KEY"),
                                              (429, "HTTP 429"), (404, "NIANBAO_LLM_BASE_URL"),
                                              (400, "NIANBAO_LLM_MODE")])
def test_http_errors_are_llm_unavailable(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI,
                                         status: int, hint: str) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.error(status))
    with pytest.raises(LLMUnavailable) as caught:
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(doc, REQUIRED)

    assert hint in caught.value.message
    assert caught.value.detail["status"] == status
    assert isinstance(caught.value.__cause__, InstructorRetryException)
    assert isinstance(caught.value.__cause__.__cause__, openai.APIStatusError)
    assert len(fake_llm.requests) == 1  # an endpoint error is not re-asked by instructor


def test_connection_refused_is_llm_unavailable() -> None:
    url = closed_port_url()
    with LLMBackend(settings=settings_for(url)) as backend, pytest.raises(LLMUnavailable) as caught:
        backend.read(sample()[0], REQUIRED)
    # Where it failed, as scheme://host:port only: a path or query may carry a secret (issue 12).
    assert "NIANBAO_LLM_BASE_URL" in caught.value.message and url.removesuffix("/v1") in caught.value.message
    assert "/v1" not in caught.value.message
    assert caught.value.detail["cause"] == "APIConnectionError"


def test_dropped_connection_is_llm_unavailable(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    fake_llm.script(Reply.drop())
    with pytest.raises(LLMUnavailable):
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(sample()[0], REQUIRED)


def test_a_body_that_is_not_json_is_llm_unavailable(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI) -> None:
    fake_llm.script(*[Reply.raw("<html>gateway says hello</html>")] * 3)
    with pytest.raises(LLMUnavailable, match="did not answer with an OpenAI chat completion") as caught:
        LLMBackend(fake_client, settings=settings_for(fake_llm.url)).read(sample()[0], REQUIRED)
    assert "NIANBAO_LLM_BASE_URL" in caught.value.message and caught.value.detail["llm_calls"] == 0


def test_the_setting_llm_required_raises_and_a_request_may_relax_it(fake_llm: FakeLLM,
                                                                     fake_client: openai.AsyncOpenAI) -> None:
    doc, _ = sample()
    fake_llm.script(Reply.error(500), Reply.error(500))
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url, llm_required=True))
    with pytest.raises(LLMUnavailable):
        backend.read(doc)
    out = backend.read(doc, ExtractOptions(llm_required=False))
    assert out.usage.degraded and out.usage.degraded_reason is not None
    assert out.usage.degraded_reason.startswith("llm_unavailable: the LLM endpoint failed (HTTP 500")


# ---- secrets and the prompt ------------------------------------------------------------------------

def test_the_key_never_reaches_logs_reprs_or_errors(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    doc, gold = sample()
    settings = settings_for(fake_llm.url, log_report_text=True)
    backend = LLMBackend(fake_client, settings=settings)
    caplog.set_level(logging.DEBUG)
    fake_llm.script(Reply.tool("{bad"), Reply.tool(gold_reading(gold)), Reply.error(401))
    backend.read(doc)
    with pytest.raises(LLMUnavailable) as caught:
        backend.read(doc, REQUIRED)
    # An endpoint that echoes the key in its error: our error must not carry it on, nor the degraded result.
    fake_llm.script(Reply.error(401, f"Incorrect API key provided: {TEST_KEY}"))
    with pytest.raises(LLMUnavailable) as echoed:
        backend.read(doc, REQUIRED)
    fake_llm.script(Reply.error(401, f"Incorrect API key provided: {TEST_KEY}"))
    degraded = backend.read(doc)

    assert fake_llm.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"  # it was used
    assert "共印发政府文件" in caplog.text  # log_report_text=True logs the excerpt, still not the key
    for shown in (caplog.text, repr(settings),
                  str(settings), settings.model_dump_json(), repr(backend), str(caught.value),
                  repr(caught.value.detail), str(echoed.value), repr(echoed.value.detail),
                  degraded.usage.model_dump_json(), repr(HybridBackend(RulesBackend(), backend))):
        assert TEST_KEY not in shown


def test_the_report_text_is_not_logged_by_default(fake_llm: FakeLLM, fake_client: openai.AsyncOpenAI,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    doc, gold = sample()
    # Invalid answers that quote the report: instructor logs each failure with the validation error's text.
    quoting = Reply.tool('{"facts": [{"key": "documents_issued", "quote": "共印发政府文件 85 件"')
    fake_llm.script(Reply.tool(gold_reading(gold)), Reply.error(500), quoting, quoting, quoting)
    caplog.set_level(logging.INFO)  # the service's default level (openai's DEBUG log holds the request)
    caplog.set_level(logging.DEBUG, logger="service")
    backend = LLMBackend(fake_client, settings=settings_for(fake_llm.url))
    backend.read(doc)
    out = backend.read(doc)  # degraded: the warning names the code, not the text
    assert out.usage.degraded
    invalid = backend.read(doc)
    assert invalid.usage.degraded and (invalid.usage.degraded_reason or "").startswith("llm_output_invalid")
    assert "llm narrative:" in caplog.text and "llm_unavailable" in caplog.text
    assert "details withheld" in caplog.text  # instructor's failures are logged, without their text
    assert "共印发政府文件" not in caplog.text and "信息公开队伍" not in caplog.text
    assert "共印发政府文件" not in (invalid.usage.degraded_reason or "")


def test_examples_are_checked_before_any_call(tmp_path: Path, fake_llm: FakeLLM,
                                              fake_client: openai.AsyncOpenAI) -> None:
    prompts = Path(__file__).parents[1] / "prompts"
    (tmp_path / "narrative.md").write_text((prompts / "narrative.md").read_text(encoding="utf-8"), "utf-8")
    examples = json.loads((prompts / "narrative_examples.json").read_text(encoding="utf-8"))
    examples[0]["facts"][0]["quote"] = "共印发政府文件121件"
    (tmp_path / "narrative_examples.json").write_text(json.dumps(examples, ensure_ascii=False), "utf-8")
    with pytest.raises(ValueError, match="does not occur in the example's text"):
        LLMBackend(fake_client, settings=settings_for(fake_llm.url), prompts_dir=tmp_path)
    assert fake_llm.requests == []


def test_the_prompt_hash_follows_the_prompt_and_its_version_the_front_matter(tmp_path: Path) -> None:
    prompts = Path(__file__).parents[1] / "prompts"
    for name in ("narrative.md", "narrative_examples.json"):
        (tmp_path / name).write_text((prompts / name).read_text(encoding="utf-8"), "utf-8")
    same = load_prompt(tmp_path)
    assert same == load_prompt(prompts) and same.hash.startswith("sha256:")
    assert (same.id, same.header) == ("narrative", f"narrative/{same.version} {same.hash}")
    (tmp_path / "narrative.md").write_text("---\nid: narrative\nversion: 9\n---\n只摘录。\n{{examples}}", "utf-8")
    changed = load_prompt(tmp_path)
    assert changed.version == "9" and changed.hash != same.hash
    assert "{{examples}}" not in changed.system and "示例 1" in changed.system and "---" not in changed.system
    (tmp_path / "narrative.md").write_text("只摘录。\n{{examples}}", "utf-8")
    with pytest.raises(ValueError, match="front matter"):
        load_prompt(tmp_path)
