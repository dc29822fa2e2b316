"""Grounding: locating quotes in the user's text by characters, and reading the numbers a quote writes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.narrative.grounding import Grounder, clean_bounds, locate, numbers_in, parse_number, value_in_quote
from service.text import normalise

TEXT = ("（四）平台建设：2021年，微博关注量382，发布信息1563条；微信公众号关注量1432，发布信息573条。"
        "答复办理政府网站“领导信箱”和“网上投诉”97 件。**一是**工作人员素质有待提高。共收到政府信息公开申请 １９ 件。"
        "发布信息1563条。")


def spanned(text: str, quote: str, **kw: object) -> tuple[str | None, str]:
    span, how = locate(text, quote, **kw)  # type: ignore[arg-type]
    return (text[span.start:span.end] if span else None), how


def test_exact_quote() -> None:
    assert spanned(TEXT, "微博关注量382，发布信息1563条") == ("微博关注量382，发布信息1563条", "exact")


def test_hint_picks_the_nearest_occurrence() -> None:
    first, _ = locate(TEXT, "发布信息1563条")
    last, _ = locate(TEXT, "发布信息1563条", hint=len(TEXT))
    assert first is not None and last is not None and first.start < last.start
    assert TEXT.rindex("发布信息1563条") == last.start


def test_ranges_restrict_the_search() -> None:
    tail = TEXT.rindex("发布信息1563条")
    span, how = locate(TEXT, "发布信息1563条", ranges=[(tail - 2, len(TEXT))])
    assert how == "exact" and span is not None and span.start == tail
    assert locate(TEXT, "微博关注量382", ranges=[(tail, len(TEXT))]) == (None, "none")


@pytest.mark.parametrize(("quote", "want"), [
    ("共收到政府信息公开申请19件", "共收到政府信息公开申请 １９ 件"),  # spaces and full-width digits
    ('答复办理政府网站"领导信箱"和"网上投诉"97件', "答复办理政府网站“领导信箱”和“网上投诉”97 件"),  # quote marks
    ("一是工作人员素质有待提高", "一是**工作人员素质有待提高"),  # markdown emphasis inside
    ("微博…发布信息1563条", "微博关注量382，发布信息1563条"),  # an elided middle
    ("微信公众号关注量1432，发部信息573条", "微信公众号关注量1432，发布信息573条"),  # one character miscopied
])
def test_fuzzy_quotes(quote: str, want: str) -> None:
    assert spanned(TEXT, quote) == (want, "fuzzy")


def test_near_match_is_found_past_common_phrases() -> None:
    # 政府信息公开 opens many sentences; the quote's real place is found all the same.
    text = "政府信息公开工作稳步推进。" * 30 + "一是政府信息公开的内容不够全面；二是公开的面不够广。"
    assert spanned(text, "政府信息公开内容不够全面") == ("政府信息公开的内容不够全面", "fuzzy")


@pytest.mark.parametrize("quote", ["", "   ", "共收到政府信息公开申请20件", "发部信息", "本机关未收取信息处理费"])
def test_quotes_not_in_the_text(quote: str) -> None:
    assert locate(TEXT, quote) == (None, "none")


def test_grounder_reuses_its_folding() -> None:
    grounder = Grounder(TEXT)
    span, how = grounder.locate("关注量 1432")
    assert how == "fuzzy" and span is not None and TEXT[span.start:span.end] == "关注量1432"


@pytest.mark.parametrize(("raw", "multiplier", "want"), [
    ("1500", None, "1500"), ("1,500", None, "1500"), ("1.2", "万", "12000"), ("5.25", None, "5.25"),
    ("二十三", None, "23"), ("一百零五", None, "105"), ("十", None, "10"), ("两", None, "2"), ("零", None, "0"),
])
def test_parse_number(raw: str, multiplier: str | None, want: str) -> None:
    assert parse_number(raw, multiplier) == Decimal(want)


@pytest.mark.parametrize("raw", ["", "一一", "十十", "abc"])
def test_parse_number_refuses(raw: str) -> None:
    assert parse_number(raw) is None


@pytest.mark.parametrize(("value", "quote", "held"), [
    ("12000", "发布各类信息约1.2万条", True),
    ("2", "参加政务公开培训两次", True),
    ("1500", "发布政府信息 1,500 余条", True),
    ("19", "共收到政府信息公开申请１９件", True),
    ("0", "未收取信息处理费", True),
    ("1", "一是加强领导", False),  # 一是 is a marker, not a number
    ("20", "共收到政府信息公开申请19件", False),
    ("0", "共收到政府信息公开申请19件", False),
])
def test_value_in_quote(value: str, quote: str, held: bool) -> None:
    assert value_in_quote(Decimal(value), quote) is held


def test_numbers_in_reads_every_number() -> None:
    assert numbers_in("微博关注量382，发布信息1563条，培训三次") == {Decimal(382), Decimal(1563), Decimal(3)}


@pytest.mark.parametrize(("text", "want"), [
    ("（二）本机关未收取信息处理费。", "本机关未收取信息处理费"),
    ("**一是**工作人员素质有待提高；", "工作人员素质有待提高"),
    ("  1. 政策解读质量有待提升。\n", "政策解读质量有待提升"),
    ("2021 年发布政府信息 1500 余条", "2021 年发布政府信息 1500 余条"),  # a year is not a marker
])
def test_clean_bounds(text: str, want: str) -> None:
    start, end = clean_bounds(normalise(text), 0, len(text))
    assert text[start:end] == want
