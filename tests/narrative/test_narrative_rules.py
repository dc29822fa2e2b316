"""The rules narrative backend: facts and problems on the labelled samples and on wordings they lack."""

from __future__ import annotations

import json
import logging
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from schemas import FACT_KEYS, Meta
from service.narrative.base import NarrativeInput, NarrativeOutput
from service.narrative.facts_rules import RULES, TRIGGERS
from service.narrative.rules import RulesBackend
from service.sections import locate_sections
from service.text import normalise

EVAL = Path(__file__).parents[2] / "eval"
SAMPLES = sorted((EVAL / "samples").glob("*.txt"))
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def read(text: str) -> NarrativeOutput:
    view = normalise(text)
    return RulesBackend().read(NarrativeInput(text=text, view=view, sections=locate_sections(view), meta=Meta()))


def report(section_one: str, section_five: str = "无。", section_six: str = "无。") -> str:
    """A minimal report around the prose under test."""
    return (f"某某局2022年政府信息公开工作年度报告\n\n一、总体情况\n\n{section_one}\n\n"
            f"五、存在的主要问题及改进情况\n\n{section_five}\n\n六、其他需要报告的事项\n\n{section_six}\n")


def facts_of(prose: str) -> dict[str, tuple[Decimal, str]]:
    return {k: (f.value, f.qualifier) for k, f in read(report(prose)).facts.items()}


def problems_of(section_five: str) -> list[str]:
    return [p.text for p in read(report("无。", section_five)).problems]


def gold(sample: Path) -> dict[str, object]:
    return json.loads((EVAL / "gold" / f"{sample.stem}.json").read_text(encoding="utf-8"))


def written_numbers(quote: str) -> set[Decimal]:
    """Numbers in a quote, read independently of the backend: digits, with 万 applied when it follows."""
    found = set()
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*(万)?", quote.translate(FULL_WIDTH_DIGITS)):
        found.add(Decimal(m.group(1)) * (10_000 if m.group(2) else 1))
    return found


# ---- the labelled samples ---------------------------------------------------------------------------

def test_samples_are_there() -> None:
    assert len(SAMPLES) == 5


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem[:3])
def test_sample_facts_match_gold(sample: Path) -> None:
    want = {k: (Decimal(str(f["value"])), f["qualifier"]) for k, f in gold(sample)["facts"].items()}  # type: ignore[attr-defined]
    got = {k: (f.value, f.qualifier) for k, f in read(sample.read_text(encoding="utf-8")).facts.items()}
    assert got == want


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem[:3])
def test_sample_problems_match_gold(sample: Path) -> None:
    got = [p.text for p in read(sample.read_text(encoding="utf-8")).problems]
    assert got == gold(sample)["problems"]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem[:3])
def test_sample_spans_hold_quotes_and_values(sample: Path) -> None:
    text = sample.read_text(encoding="utf-8")
    out = read(text)
    for key, fact in out.facts.items():
        assert fact.span is not None and fact.grounding == "exact"
        assert text[fact.span.start:fact.span.end] == fact.quote, key
        # A count writes its number; a statement of none (a year may stand in it) says 未/没有/无.
        none = fact.value == 0 and re.search("未|没有|无", fact.quote) is not None
        assert none or fact.value in written_numbers(fact.quote), key
    for problem in out.problems:
        assert problem.span is not None
        assert text[problem.span.start:problem.span.end] == problem.text


def test_pipeline_end_to_end_reads_narrative() -> None:
    from service.pipeline import extract

    sample = SAMPLES[4]
    result = extract(sample.read_bytes())
    assert result.narrative.backend == "rules"
    assert {k: f.value for k, f in result.facts.items()}["website_posts"] == 198
    assert [p.text for p in result.problems] == gold(sample)["problems"]


# ---- facts: wordings the samples lack --------------------------------------------------------------

@pytest.mark.parametrize(("prose", "key", "value", "qualifier"), [
    ("全年在政府门户网站发布各类信息约1.2万条。", "website_posts", "12000", "approx"),
    ("全年在局门户网站公开各类信息1200条以上。", "website_posts", "1200", "at_least"),
    ("在区政府网站信息公开专栏发布信息500余条。", "website_posts", "500", "more_than"),
    ("区政府门户网站共发布各类信息近3000条，其中政务动态3256条。", "website_posts", "3000", "approx"),
    ("微博粉丝量达1.5万人。", "weibo_followers", "15000", "exact"),
    ("微信公众号累计关注人数达3000余人。", "wechat_followers", "3000", "more_than"),
    ("镇政务微博粉丝量达2.3万，全年发布微博1100余条。", "weibo_posts", "1100", "more_than"),
    ("微信公众号关注人数5600余人，推送信息860条。", "wechat_posts", "860", "exact"),
    ("其中政府网站发布1800条，政务微博发布300条，微信公众号发布256条。", "wechat_posts", "256", "exact"),
    ("“XX政务”微博全年发博1,024条，粉丝数8,900人。", "weibo_posts", "1024", "exact"),
    ("“XX政务”微博全年发博1,024条，粉丝数8,900人。", "weibo_followers", "8900", "exact"),
    ("微信公众号全年推送文章302篇，关注用户达4.2万人。", "wechat_followers", "42000", "exact"),
    ("微博发布300条，微信公众号发布200条，粉丝数5000人。", "wechat_followers", "5000", "exact"),
    ("微信公众号推送302篇，微博粉丝数8900人。", "weibo_followers", "8900", "exact"),
    ("全年通过政府门户网站发布各类政府信息2356条。", "website_posts", "2356", "exact"),
    ("依托“XX发布”政务微博发布信息856条，微信公众号推送信息432条。", "weibo_posts", "856", "exact"),
    ("依托“XX发布”政务微博发布信息856条，微信公众号推送信息432条。", "wechat_posts", "432", "exact"),
    ("12345政务服务便民热线全年受理群众来电8562件，办结率100%。", "hotline_cases", "8562", "exact"),
    ("全年累计发布政策解读稿件四十余篇。", "policy_interpretations", "40", "more_than"),
    ("政府信息公开咨询电话接听群众咨询230余次。", "hotline_cases", "230", "more_than"),
    ("全年主动公开政府信息4562条，其中通过政府网站公开3210条。", "website_posts", "3210", "exact"),
    ("本年度共收到依申请公开事项36件，较上年增加5件。", "requests_received", "36", "exact"),
    ("全年新收政府信息公开申请12件，上年结转2件。", "requests_received", "12", "exact"),
    ("截至年底，全县共有政务新媒体36个。", "new_media_accounts", "36", "exact"),
    ("全年发文总数为98件，主动公开72件。", "documents_issued", "98", "exact"),
    ("全年接待来信来访群众120批次。", "petition_cases", "120", "exact"),
    ("召开新闻发布会3场。", "press_conferences", "3", "exact"),
    ("举办新闻发布会三场。", "press_conferences", "3", "exact"),
    ("开展政务公开培训4期，培训人员200余人次。", "trainings", "4", "exact"),
    ("组织开展政务公开业务培训三次。", "trainings", "3", "exact"),
    ("受理12345政务服务便民热线工单2000余件，办结率98%。", "hotline_cases", "2000", "more_than"),
    ("12345热线平台共受理群众诉求3.2万件。", "hotline_cases", "32000", "exact"),
    ("接听群众咨询电话150余个。", "hotline_cases", "150", "more_than"),
    ("全年受理信访事项37件。", "petition_cases", "37", "exact"),
    ("回复网民留言120条。", "online_messages", "120", "exact"),
    ("市长信箱来信86封，均已按时办结。", "online_messages", "86", "exact"),
    ("共收到政府信息公开申请近50件。", "requests_received", "50", "approx"),
    ("收到政府信息公开申请120件以上。", "requests_received", "120", "at_least"),
    ("收到政府信息公开申请5件（其中自然人4件、法人1件）。", "requests_received", "5", "exact"),
    ("全年无依申请公开事项。", "requests_received", "0", "exact"),
    ("本年度收取信息处理费200元。", "fees_collected", "200", "exact"),
    ("全年收取信息处理费0元。", "fees_collected", "0", "exact"),
    ("全年未收取政府信息公开信息处理费。", "fees_collected", "0", "exact"),
    ("发布政策解读稿件15篇，其中图解5篇。", "policy_interpretations", "15", "exact"),
    ("共计发布政策解读材料二十三篇。", "policy_interpretations", "23", "exact"),
    ("2022年度全区共有政务新媒体账号120余个。", "new_media_accounts", "120", "more_than"),
    ("目前全镇共开设政务新媒体账号4个。", "new_media_accounts", "4", "exact"),
    ("全年共制发各类文件126件，其中主动公开文件98件。", "documents_issued", "126", "exact"),
    ("全年共制发各类文件126件，其中主动公开文件98件。", "documents_disclosed", "98", "exact"),
    ("全年共发文58件，其中主动公开34件。", "documents_disclosed", "34", "exact"),
    ("共印发文件52份，其中主动公开文件40份，依申请公开3份，不予公开9份。", "documents_disclosed", "40", "exact"),
])
def test_fact_wordings(prose: str, key: str, value: str, qualifier: str) -> None:
    assert facts_of(prose).get(key) == (Decimal(value), qualifier)


@pytest.mark.parametrize("prose", [
    "政务微博8个、微信公众号14个，13个村居设立公开栏。",  # accounts and villages are not posts
    "主动公开政府信息1234条。",  # no platform named
    "通过“两微一端”发布信息3000余条。",  # several platforms at once
    "开通政务微博、微信公众号，全年发布信息300条。",
    "对政府网站进行改版，在公开栏发布信息80条。",  # the count is the notice board's
    "向上级报送政务信息80条。",
    "每月开展一次培训。",  # a frequency
    "其中区本级开设政务新媒体5个。",  # a part
    "其中通过网络收到政府信息公开申请3件。",
    "全年受理政府信息公开申请，较上年增加12件。",  # a change
    "关停注销政务新媒体3个。",
    "全年新增政务新媒体2个。",
    "全年制发规范性文件5件。",
    "上年结转政府信息公开申请2件。",
    "受理行政许可申请1200件。",
    "办理“12345”热线及网民留言200件。",  # hotline and messages together
    "微博、微信粉丝总数1万余人。",
    "开展农民技能培训12期。",  # not the agency's disclosure training
    "召开信访工作联席会议4次。",  # a meeting, not petition cases
    "不予处理的信访举报投诉类申请3件。",
    "办结率达100%，群众满意度90%以上。",
    "对申请数量未超过规定的，不收取信息处理费。",  # the rule, not the year's fact
    "联系电话0951-12345678，地址：某路1号。",
    "文件公开后3日内发布解读材料。",
    "设立政府信息公开查阅点、查阅室、查询机各1处。",
    "下一步计划开展培训3次。",
    "2022年将继续加大培训力度，计划开展培训4次。",
    "与上年相比，政府网站发布信息减少200条。",
    "新增政务新媒体账号2个。",
    "在公众号开设“政策解读”专栏1个。",  # a column, not interpretations
    "热线平台设置坐席20个。",  # seats, not cases
    "培训覆盖全区30个部门。",  # departments, not trainings
    "按照要求，应在20个工作日内答复申请。",
    "微信公众号发布的信息阅读量达10万次。",
    "政务新媒体发布信息共计2,300条。",  # no single platform
])
def test_no_fact_from_distractors(prose: str) -> None:
    assert facts_of(prose) == {}


def test_followers_named_after_another_platform_are_not_the_first_platforms() -> None:
    assert set(facts_of("政务微博发布信息100条，抖音号粉丝2万人。")) == {"weibo_posts"}
    assert set(facts_of("微博发布300条，微信公众号发布200条，粉丝数5000人。")) == {
        "weibo_posts", "wechat_posts", "wechat_followers"}


def test_two_platforms_in_one_sentence_each_keep_their_count() -> None:
    got = facts_of("本年度微信公众号推送各类信息386条，微博推送各类信息516条。")
    assert got == {"wechat_posts": (Decimal(386), "exact"), "weibo_posts": (Decimal(516), "exact")}


def test_keyword_takes_the_nearest_count_only() -> None:
    # 门户网站 names the platform of 43件; 11条 after it has no platform of its own.
    got = facts_of("行政发文149件，主动公开51件，通过门户网站公开43件，发布乡镇动态11条。")
    assert "website_posts" not in got
    assert got["documents_disclosed"] == (Decimal(51), "exact")


def test_numbers_stated_over_a_page_break_are_not_joined() -> None:
    assert facts_of("重点公开了城乡低保等信息 100\n\n多条。") == {}


def test_numeric_statement_beats_a_statement_of_none() -> None:
    got = facts_of("共收到政府信息公开申请 19 件。\n\n2021年未收到申请超出一定数量或者频次范围的政府信息公开申请。")
    assert got["requests_received"] == (Decimal(19), "exact")


def test_section_five_plans_are_not_facts() -> None:
    out = read(report("无。", "一是培训不足；二是解读不够。下一步，将组织培训3次，召开新闻发布会2场。"))
    assert out.facts == {}


def test_fact_quotes_are_exact_and_hold_values_on_synthetic_prose() -> None:
    text = report("全年在政府门户网站发布各类信息约1.2万条，微博粉丝量达1.5万人。（二）本机关2022年未收取信息处理费。")
    out = read(text)
    assert set(out.facts) == {"website_posts", "weibo_followers", "fees_collected"}
    for fact in out.facts.values():
        assert fact.span is not None
        assert text[fact.span.start:fact.span.end] == fact.quote
        assert fact.value in written_numbers(fact.quote) or (fact.value == 0 and "未" in fact.quote)
    assert out.facts["fees_collected"].quote == "本机关2022年未收取信息处理费"  # marker （二） left out


def test_full_width_text_gives_spans_into_the_original() -> None:
    text = report("全年共收到政府信息公开申请１９件。")
    fact = read(text).facts["requests_received"]
    assert fact.value == 19 and fact.quote == "全年共收到政府信息公开申请１９件"
    assert fact.span is not None and text[fact.span.start:fact.span.end] == fact.quote


def test_rule_table_covers_every_fact_key() -> None:
    assert {r.key for r in RULES} == set(FACT_KEYS) == set(TRIGGERS)


# ---- problems: layouts the samples lack -------------------------------------------------------------

@pytest.mark.parametrize(("section_five", "want"), [
    ("（一）存在的问题\n\n1.信息公开的及时性有待提高，部分信息更新不及时。\n\n2.政策解读形式较为单一。\n\n"
     "（二）改进措施\n\n1.加强信息发布审核。\n\n2.丰富解读形式。",
     ["信息公开的及时性有待提高，部分信息更新不及时", "政策解读形式较为单一"]),
    ("（一）公开内容不够全面。部分领域信息公开不够及时。\n\n（二）政策解读质量不高。\n\n下一步，我局将进一步加强政务公开工作。",
     ["公开内容不够全面。部分领域信息公开不够及时", "政策解读质量不高"]),
    ("2022年，我局政务公开工作取得了一定成效，但仍存在信息更新不及时、解读形式单一等问题。下一步，我局将着力加以改进。",
     ["信息更新不及时、解读形式单一"]),
    ("我局政务公开工作主要存在以下不足：信息公开的主动性不够。政策解读的深度不够。\n\n"
     "针对以上不足，我局将采取以下措施：一是加强学习；二是完善制度。",
     ["信息公开的主动性不够", "政策解读的深度不够"]),
    ("一是公开意识不强；二是公开渠道单一；三是工作人员业务能力有待提高。\n\n一是加强培训，提升能力；二是拓宽渠道。",
     ["公开意识不强", "公开渠道单一", "工作人员业务能力有待提高"]),
    ("第一，公开意识不强；第二，公开渠道单一。今后，我们将努力改进。", ["公开意识不强", "公开渠道单一"]),
    ("存在的问题：\n\n1. 政务公开专栏内容更新不及时；\n\n2. 政策解读质量有待提升；\n\n3. 依申请公开办理程序不够规范。\n\n"
     "改进措施：\n\n1. 加强更新。",
     ["政务公开专栏内容更新不及时", "政策解读质量有待提升", "依申请公开办理程序不够规范"]),
    ("虽然我镇政务公开工作取得了一定的成绩，但也存在一些不足，主要表现在：一是公开内容不够全面，二是公开形式比较单一，"
     "三是群众参与度不高。针对以上问题，我镇将认真研究。",
     ["公开内容不够全面", "公开形式比较单一", "群众参与度不高"]),
    ("存在问题：个别单位对政务公开工作重视不够，信息发布不及时。改进措施：加强督促检查。",
     ["个别单位对政务公开工作重视不够，信息发布不及时"]),
    ("（一）存在的主要问题。一是政务公开工作人员变动频繁，业务能力有待提升；二是政策解读形式单一，图解、视频解读较少。"
     "（二）改进措施。一是加强业务培训；二是丰富解读形式。",
     ["政务公开工作人员变动频繁，业务能力有待提升", "政策解读形式单一，图解、视频解读较少"]),
    ("（一）存在的主要问题\n\n部分单位对政务公开工作重视不够。信息公开的及时性有待提高。\n\n（二）改进措施\n\n加强督查。",
     ["部分单位对政务公开工作重视不够", "信息公开的及时性有待提高"]),
    ("**（1）公开内容不够全面**；**（2）互动回应不够及时**。在今后的工作中，我们将认真改进。",
     ["公开内容不够全面", "互动回应不够及时"]),
    # 如 after the introduction's full stop, its list closed by 等: longer clauses are still its items
    ("工作虽有进展，但仍有短板。如个别科室对信息发布的重视程度不高，办事指南更新不够及时，"
     "政策解读的篇幅普遍偏短等。下一步，我局将加强督导。",
     ["个别科室对信息发布的重视程度不高", "办事指南更新不够及时", "政策解读的篇幅普遍偏短"]),
    # after a colon without 如 or 等, a sentence of comma clauses is one problem
    ("存在的不足是：网站栏目更新频率偏低，内容较为单薄。下一步，我局将加强维护。",
     ["网站栏目更新频率偏低，内容较为单薄"]),
    ("存在的不足主要是：网站栏目更新频率偏低，内容较为单薄等。下一步，我局将加强维护。",
     ["网站栏目更新频率偏低", "内容较为单薄"]),
])
def test_problem_layouts(section_five: str, want: list[str]) -> None:
    assert problems_of(section_five) == want


@pytest.mark.parametrize("section_five", [
    "无。",
    "本年度我局政府信息公开工作运行良好，未发现问题。",
    "2023年，我局将继续深化政务公开，提升公开质量。",
    "下一步，我局将进一步加强政务公开工作，一是加强培训；二是完善制度。",
])
def test_section_five_without_problems(section_five: str) -> None:
    assert problems_of(section_five) == []


def test_no_section_five_no_problems() -> None:
    text = "某局2022年政府信息公开工作年度报告\n\n一、总体情况\n\n一是公开不够；二是解读不足。\n\n六、其他需要报告的事项\n\n无。"
    assert read(text).problems == []


def test_problem_spans_point_into_the_text() -> None:
    text = report("无。", "主要问题：一是公开意识不强；二是公开渠道单一。")
    for problem in read(text).problems:
        assert problem.span is not None
        assert text[problem.span.start:problem.span.end] == problem.text


# ---- behaviour ---------------------------------------------------------------------------------------

def test_backend_logs_no_report_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    read(SAMPLES[0].read_text(encoding="utf-8"))
    assert not any("宣和镇" in r.getMessage() for r in caplog.records)


def test_table_like_runs_of_blanks_stay_fast() -> None:
    # A run of blanks between numbers once made the count pattern try every split of the run.
    row = "\t".join(["0"] * 7) + " " * 40 + "件"
    text = report("\n".join(f"（{i}）{row}" for i in range(400)) + "\n发布信息1条。")
    started = time.perf_counter()
    read(text)
    assert time.perf_counter() - started < 0.5


def test_samples_read_in_milliseconds() -> None:
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    for text in texts:
        read(text)  # warm caches
    started = time.perf_counter()
    for _ in range(10):
        for text in texts:
            read(text)
    per_report = (time.perf_counter() - started) / (10 * len(texts))
    assert per_report < 0.02  # generous for slow CI machines; the rules take about 0.5 ms here


# ---- issue 14: whatever the line structure, the shapes real reports use --------------------------------

def facts_for(prose: str, agency: str) -> dict[str, tuple[Decimal, str]]:
    """Facts of a report whose title names ``agency`` (the meta the pipeline reads from the title)."""
    text = report(prose)
    view = normalise(text)
    doc = NarrativeInput(text=text, view=view, sections=locate_sections(view), meta=Meta(agency=agency))
    return {k: (f.value, f.qualifier) for k, f in RulesBackend().read(doc).facts.items()}


def wrapped(paragraph: str, width: int = 17, furniture_after: int = 1) -> str:
    """A paragraph as PDF text: lines of ``width`` characters, a page number and a running header in between."""
    lines = [paragraph[i:i + width] for i in range(0, len(paragraph), width)]
    lines[furniture_after:furniture_after] = ["", "- 3 -", "", "某某局2022年政府信息公开工作年度报告"]
    return "\n".join(lines)


SHAPES = {
    "inline 如X；Y；Z等": ("我局政务公开工作还存在一些不足，如栏目更新不够及时；解读形式比较单一；互动回应不够等。",
                        ["栏目更新不够及时", "解读形式比较单一", "互动回应不够"]),
    "inline 问题如X，Y，Z等等": ("还存在一些问题如培训不足，业务不熟，宣传力度不够等等，均有待解决。",
                           ["培训不足", "业务不熟", "宣传力度不够"]),
    "一是 after 主要表现在": ("但仍存在一些问题，主要表现在：一是公开内容不够全面；二是更新不够及时；三是解读深度不够。",
                         ["公开内容不够全面", "更新不够及时", "解读深度不够"]),
    "一是 after 具体为, sentences": ("工作中还存在不足，具体为：一是基层公开质量参差不齐。二是依申请公开答复的规范性还需加强。",
                                 ["基层公开质量参差不齐", "依申请公开答复的规范性还需加强"]),
    "numbered （1）（2） inline": ("还存在一些短板：（1）政策解读的针对性不强；（2）公开专区的作用发挥不充分。",
                               ["政策解读的针对性不强", "公开专区的作用发挥不充分"]),
    "plain: praise, 但 …": ("我局2020年各项工作进展顺利，但在信息公开的范围、时效性等方面仍有待提高。",
                          ["在信息公开的范围、时效性等方面仍有待提高"]),
    "plain: 由于…，存在X的问题": ("由于专职人员较少，存在信息公开不够及时的问题。", ["信息公开不够及时"]),
    "plain: 主要存在X、Y等问题": ("我乡政府信息公开工作主要存在公开不及时、缺乏专人管理等问题。", ["公开不及时", "缺乏专人管理"]),
    "plain: 存在一定的差距，X，Y的问题": ("与要求相比，还存在一定的差距，学习宣传不够，教育培训不足的问题。", ["学习宣传不够", "教育培训不足"]),
    "一方面…；另一方面… after ：": ("还存在一些不足：一方面，主动性不够，部分信息发布滞后；另一方面，解读形式比较单一。",
                                 ["主动性不够，部分信息发布滞后", "解读形式比较单一"]),
    "praise, 但 announcing clause, X，Y": ("我局工作取得了一定的进展，但总体上还存在一些问题与不足，工作动态宣传力度不够，信息质量还有待提高。",
                                         ["工作动态宣传力度不够", "信息质量还有待提高"]),
    "yardstick sentence, then 主要是X；Y": ("我区工作取得了积极进展，但对照新要求仍有不足。主要是部分单位重视不够；政策解读的通俗化程度不高。",
                                          ["部分单位重视不够", "政策解读的通俗化程度不高"]),
    "其一…；其二… in sentences": ("对照新要求，我厅工作仍有提升空间。其一，政策解读的精准度还不够高；其二，平台集约化程度有待提高。",
                               ["政策解读的精准度还不够高", "平台集约化程度有待提高"]),
}
MEASURES = {
    "下一步 + 一是 list": "下一步，我局将从以下几个方面加以改进：一是加强培训；二是完善制度；三是丰富解读形式。",
    "针对上述问题": "针对上述问题，我局将进一步加强业务培训，提升公开质量。",
    "20XX年将 + 一是 list": "2023年，我局将着力做好以下几点：一是强化督查；二是规范流程。",
    "为此，将采取以下措施": "为此，我们将采取以下措施：一是健全机制；二是加强考核。",
    "下一年度，要": "下一年度，我乡要完善政府信息公开的工作机制和措施。",
    "我们在今后的工作中，将": "我们在今后的工作中，将进一步改进，做到信息公开及时、准确。",
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("measures", list(MEASURES))
def test_problem_shapes_end_where_the_measures_begin(shape: str, measures: str) -> None:
    problems, want = SHAPES[shape]
    assert problems_of(problems + MEASURES[measures]) == want  # one paragraph
    assert problems_of(problems + "\n\n" + MEASURES[measures]) == want  # two


@pytest.mark.parametrize("shape", list(SHAPES))
def test_problem_shapes_wrapped_mid_sentence_with_page_furniture(shape: str) -> None:
    problems, want = SHAPES[shape]
    text = report("无。", wrapped(problems + MEASURES["下一步 + 一是 list"]))
    got = read(text).problems
    assert [p.text for p in got] == want
    for problem in got:  # the span covers the item (and the furniture inside it); the text is the item's words
        assert problem.span is not None
        assert re.sub(r"\s|- 3 -|某某局2022年政府信息公开工作年度报告", "", text[problem.span.start:problem.span.end]) \
            == problem.text


@pytest.mark.parametrize("section_five", [
    "（一）存在的主要问题\n对照《条例》要求，我局工作中还存在一些薄弱环节。部分栏目更新不够及时。决策预公开的覆盖面较窄。\n"
    "（二）改进措施\n下一步，我局将加强栏目维护。",
    "（一）存在的主要问题 对照《条例》要求，我局工作中还存在一些薄弱环节。部分栏目更新不够及时。决策预公开的覆盖面较窄。 "
    "（二）改进措施 2025年，我局将加强栏目维护。",
    "（一）存在的主要问题部分栏目更新不够及时。决策预公开的覆盖面较窄。（二）改进措施下一年度，我局要加强栏目维护。",
    "（一）存在的主要问题：对照《条例》要求，我局工作中还存在一些薄弱环节。部分栏目更新不够及时。决策预公开的覆盖面较窄。\n"
    "（二）下一步工作打算：今后，我局将加强栏目维护。",
    "（一）工作中的不足  部分栏目更新不够及时。决策预公开的覆盖面较窄。  （二）改进情况  针对上述问题，我局将从以下几个方面"
    "加以改进：一是加强栏目维护；二是完善专区功能。",
])
def test_headed_sub_blocks_with_unnumbered_sentences(section_five: str) -> None:
    assert problems_of(section_five) == ["部分栏目更新不够及时", "决策预公开的覆盖面较窄"]


@pytest.mark.parametrize("section_five", [
    "本年度暂无存在的主要问题。\n下一步，我局将从以下几个方面加以改进：一是及时更新栏目；二是健全审核机制。",
    "经自查，我局本年度政府信息公开工作无明显问题。2024年，我局将继续做好以下工作：一是加强审核；二是清理过期信息。",
    "暂无。",
])
def test_no_problems_even_with_measures_listed(section_five: str) -> None:
    assert problems_of(section_five) == []


@pytest.mark.parametrize(("prose", "agency", "want"), [
    # cumulative vs this year
    ("截至年底，区政府门户网站累计发布信息20437条，本年度新增发布3673条。", "某区审计局", {"website_posts": "3673"}),
    ("政务微博“某某发布”累计发布信息9183条，2025年发布528条，粉丝累计68323人。", "某区审计局",
     {"weibo_posts": "528", "weibo_followers": "68323"}),
    ("自开通以来，政务服务热线累计受理群众诉求39024件，其中本年度受理8825件。", "某区审计局", {"hotline_cases": "8825"}),
    ("2021年度主动公开政府信息8条；历年累计主动公开政府信息535条。", "某区审计局", {}),
    # own vs region-wide (a department) or the region's own (a government)
    ("全区各级政府网站共发布信息23957条，其中区政府门户网站发布4765条。", "某市某区审计局", {"website_posts": "4765"}),
    ("全区各级各部门共举办新闻发布会114场，其中我局举办新闻发布会17场。", "某市某区审计局", {"press_conferences": "17"}),
    ("指导全区各单位开设政务新媒体124个，本局自身运营政务新媒体5个。", "某市某区审计局", {"new_media_accounts": "5"}),
    ("全区开设认证各类政务新媒体22个。", "原州区人民政府办公室", {"new_media_accounts": "22"}),
    ("全区开设认证各类政务新媒体22个。", "原州区审计局", {}),
    # own vs superior website
    ("在市政府网站公开信息447条，通过区政府门户网站发布政府信息2480条。", "哈尔滨市香坊区人民政府", {"website_posts": "2480"}),
    ("在盐城市政府网站公开信息697条，通过区政府门户网站发布政府信息3167条。", "盐城市大丰区人民政府",
     {"website_posts": "3167"}),
    ("在哈尔滨市政府网站公开信息473条，通过五常市政府信息公开专栏发布政府信息2744条。", "五常市民意乡人民政府",
     {"website_posts": "2744"}),
    ("在县政府网站发布198条政府信息。", "平罗县头闸镇", {"website_posts": "198"}),
    # units, numerals, 万
    ("依托政府网站“解读专栏”，共发布政策解读稿件40次。", "某局", {"policy_interpretations": "40"}),
    ("组织召开新闻发布会9期。", "某局", {"press_conferences": "9"}),
    ("2023年度收到政府信息公开申请一件，已办理完毕。", "某局", {"requests_received": "1"}),
    ("组织政务公开专题培训十二次。", "某局", {"trainings": "12"}),
    ("全年在区政府网站“政务公开”专栏上传信息一百余条。", "某局", {"website_posts": "100"}),
    ("全年受理12345政务服务便民热线工单1.6万件。", "某局", {"hotline_cases": "16000"}),
    # a platform named once, its counts clauses later
    ("主办的“渭滨发布”微信公众号立足本地特色，及时转载政策文件，全年发布2000余条，粉丝量突破6.1万人。", "某局",
     {"wechat_posts": "2000", "wechat_followers": "61000"}),
    ("“幸福大丰”政务微博坚持每日更新，拥有粉丝160多万，全年发布2200条微博。", "某局",
     {"weibo_followers": "1600000", "weibo_posts": "2200"}),
    # counts of another thing: columns, seats, departments, people
    ("区政府网站新开设栏目7个，全年发布信息5998条。", "某局", {"website_posts": "5998"}),
    ("热线电话接听咨询2903人次，办理诉求518件。", "某局", {"hotline_cases": "518"}),
    ("“12345”热线共设坐席45个，实行全天候接听。", "某局", {}),
    ("组织政务公开业务培训，覆盖30个部门。", "某局", {}),
    ("举办新闻发布会六场，主要负责同志出席新闻发布会12人次。", "某局", {"press_conferences": "6"}),
    # a part named by its own thing, and one that is not
    ("全年通过市政府门户网站发布各类信息168条，其中政策解读9篇。", "开平市卫生健康局",
     {"website_posts": "168", "policy_interpretations": "9"}),
    ("全年公开以区政府、区政府办名义下发的文件23件。", "某区人民政府办公室", {"documents_disclosed": "23"}),
    ("全区共收到政府信息公开申请1801件，其中区国资局本级收到68件。", "沈阳市浑南区国资局", {"requests_received": "68"}),
    ("共受理依申请公开事项59件，其中新收到依申请公开事项47件。", "某区人民政府", {"requests_received": "47"}),
    ("未收到通过电话来访、网上来信等方式提出的政府信息公开申请。", "某镇人民政府", {"requests_received": "0"}),
    ("其中局门户网站发布信息764条，微信公众号2841条，微博2465条，快手号242条。", "某省市场监督管理局",
     {"website_posts": "764", "wechat_posts": "2841", "weibo_posts": "2465"}),
    ("“番禺政府网”微信公众号推送各类信息750条。", "某区人民政府办公室", {"wechat_posts": "750"}),
    ("通过政务新媒体（微信公众号等）公开229条。", "某镇人民政府", {}),
    ("“滦平教育”微信公众号日均发布信息3条以上，全年发布信息800多条，用户总数已逾2万人。", "某局",
     {"wechat_posts": "800", "wechat_followers": "20000"}),
    # a time word before the site is not a place (本年度区政府门户网站 is the district's own site)
    ("本年度区政府门户网站共更新各类信息4120条。", "某市某某区人民政府", {"website_posts": "4120"}),
    ("本年度市政府门户网站共更新各类信息4120条。", "某市某某区人民政府", {}),
    # a list of kinds counts the whole list, not the interpretations in it
    ("公众号全年推送政策解读、通知公告等内容615条，另发布政策解读19份。", "某局",
     {"wechat_posts": "615", "policy_interpretations": "19"}),
    ("公众号全年推送政策解读、通知公告等内容615条。", "某局", {"wechat_posts": "615"}),
    # received and answered is received; answered alone is not
    ("全年受理并答复政府信息公开申请5件。", "某局", {"requests_received": "5"}),
    ("全年答复政府信息公开申请5件。", "某局", {}),
    # documents named by their kind or issuing bodies
    ("公开各类区政府文件64件。", "某区人民政府办公室", {"documents_disclosed": "64"}),
    ("公开县政府、县政府办公室文件38件。", "某县人民政府办公室", {"documents_disclosed": "38"}),
    # kinds listed before the noun; who filed the applications named before them
    ("依托县政府门户网站，公开预决算、招投标、征地补偿等各类信息812条。", "某县人民政府", {"website_posts": "812"}),
    ("依托县政府门户网站，公开预决算、招投标、征地补偿等各类信息812条。", "某市某县某镇人民政府", {"website_posts": "812"}),
    ("依托市政府门户网站，公开预决算、招投标等各类信息812条。", "某市某县人民政府", {}),
    ("本年度收到群众向县政府办公室提出的政府信息公开申请9件。", "某县人民政府办公室", {"requests_received": "9"}),
])
def test_fact_scope_wordings(prose: str, agency: str, want: dict[str, str]) -> None:
    got = {k: str(v) for k, (v, _) in facts_for(prose, agency).items()}
    assert got == want


def test_facts_read_across_wrapped_lines_and_page_furniture() -> None:
    prose = wrapped("2022年，县政府门户网站全年发布各类政府信息1234条，县政府办公室收到政府信息公开申请12件。", width=19)
    text = report(prose)
    out = read(text)
    assert {k: f.value for k, f in out.facts.items()} == {"website_posts": 1234, "requests_received": 12}
    for fact in out.facts.values():
        assert fact.span is not None and text[fact.span.start:fact.span.end] == fact.quote
        assert fact.value in written_numbers(fact.quote)
