"""Properties of ``extract`` over any input: it ends in bounded time, raises only nianbao's ``InputError``s, and
every span it returns lies inside the text and holds what it claims.

Inputs: arbitrary unicode, arbitrary bytes, table-like lines in CJK with numbers, damaged samples, and a set of
hostile shapes written out (a 200,000-character line, 1 MB of digits, thousands of table lines, long runs of
spaces, digits or numerals where patterns used to backtrack). Each input runs under a wall-clock alarm, so a
hang fails the test instead of stalling it.

CI runs a few dozen examples per property (about half a minute in all); for a long run set
``NIANBAO_PROPERTY_EXAMPLES`` (examples per property), e.g.::

    NIANBAO_PROPERTY_EXAMPLES=2000 .venv/bin/python -m pytest -q tests/core/test_properties.py
"""

from __future__ import annotations

import os
import re
import signal
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import CellState, Extraction
from service.errors import InputError, NianbaoError
from service.meta import _year_value
from service.narrative.grounding import value_in_quote
from service.pipeline import extract
from service.tables.specs import TABLES
from service.text import normalise

ROOT = Path(__file__).parents[2]
SAMPLES = sorted((ROOT / "eval" / "samples").glob("*.txt"))
SAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in SAMPLES]
EXAMPLES = int(os.environ.get("NIANBAO_PROPERTY_EXAMPLES", "0"))

# Seconds one input may take: generous for a loaded two-core machine (a report takes ~3 ms; the hostile
# inputs below take well under a second), plus time for size. An alarm fails the test past the limit.
SECONDS_PER_INPUT = 10.0
SECONDS_PER_MB = 10.0


def _settings(ci_examples: int) -> settings:
    return settings(max_examples=EXAMPLES or ci_examples, deadline=timedelta(seconds=SECONDS_PER_INPUT),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], derandomize=not EXAMPLES)


class Hang(Exception):
    """The input took longer than its time limit."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise ``Hang`` in this (main) thread after ``seconds``; without SIGALRM, only the elapsed time is checked."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def _alarm(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(data: str | bytes) -> Extraction | None:
    """``extract`` under a time limit; None when it refused the input with an ``InputError``. Checks the spans."""
    limit = SECONDS_PER_INPUT + SECONDS_PER_MB * len(data) / 1_000_000
    started = time.perf_counter()
    try:
        with _time_limit(limit):
            result = extract(data)
    except InputError:
        return None
    except NianbaoError as exc:  # pragma: no cover - the offline path has no backend to fail
        pytest.fail(f"not an input error: {exc!r}")
    elapsed = time.perf_counter() - started
    assert elapsed < limit, f"{elapsed:.1f} s for {len(data)} characters"
    if isinstance(data, bytes):
        text = data.decode(result.meta.encoding or "utf-8")
        if result.meta.encoding == "utf-8-sig":
            text = text.removeprefix("\ufeff")
    else:
        text = data
    check_spans(result, text)
    return result


def _digits(s: str) -> str:
    """The decimal digits of a string, full-width and other decimal digits read as ASCII."""
    return "".join(str(unicodedata.decimal(c)) for c in s if unicodedata.decimal(c, None) is not None)


def _inside(span: object, size: int) -> tuple[int, int]:
    start, end = span.start, span.end  # type: ignore[attr-defined]
    assert 0 <= start <= end <= size, (start, end, size)
    return start, end


def _joined(words: str, covered: str) -> bool:
    """Whether ``words`` is ``covered`` without some line breaks and whole lines (page furniture) inside it.

    A problem's text is the item's words; its span covers them and whatever page break stood between them.
    """
    if not words or words[0] != covered[0] or words[-1] != covered[-1]:
        return False
    removed, i = [], 0
    for ch in covered:
        if i < len(words) and ch == words[i]:
            i += 1
            removed.append("\0")
        else:
            removed.append(ch)
    gaps = [g for g in "".join(removed).split("\0") if g]
    return i == len(words) and all(re.fullmatch(r"\s*(?:\n[^\n]*\n\s*)*", g) for g in gaps)


def check_spans(result: Extraction, text: str) -> None:
    """Every span lies in ``text`` and holds its value: cells, facts, problems, meta and sections."""
    view = normalise(text)
    size = len(text)
    assert len(view) == size
    for key, cell in result.cells.items():
        if cell.state == CellState.number:
            assert cell.span is not None and cell.raw, key
        if cell.span is None:
            continue
        s, e = _inside(cell.span, size)
        if cell.state == CellState.number:
            assert view[s:e] == cell.raw, (key, text[s:e], cell.raw)
            assert _digits(text[s:e]) == _digits(cell.raw or ""), (key, text[s:e], cell.raw)
            assert Decimal(view[s:e].replace(",", "")) == Decimal(str(cell.value)), (key, text[s:e], cell.value)
        elif cell.state == CellState.not_applicable:
            assert view[s:e] == cell.raw, (key, text[s:e], cell.raw)
        elif cell.state == CellState.blank:
            assert not text[s:e].strip(), (key, text[s:e])
    for key, fact in result.facts.items():
        assert fact.span is not None, key
        s, e = _inside(fact.span, size)
        assert text[s:e] == fact.quote, key
        assert value_in_quote(fact.value, fact.quote), (key, fact.value, fact.quote)
    for problem in result.problems:
        assert problem.span is not None
        s, e = _inside(problem.span, size)
        assert _joined(problem.text, text[s:e]), (problem.text, text[s:e])
    meta = result.meta
    if meta.agency is not None:
        assert meta.agency_span is not None
        s, e = _inside(meta.agency_span, size)
        assert view[s:e] == meta.agency
    if meta.year is not None:
        assert meta.year_span is not None
        s, e = _inside(meta.year_span, size)
        assert _year_value(view[s:e]) == meta.year
    for grounded in (*meta.phone, *meta.email, *meta.website):
        assert grounded.span is not None
        s, e = _inside(grounded.span, size)
        assert view[s:e] == grounded.value
    previous_end = 0
    for section in result.sections:
        s, e = _inside(section.span, size)
        assert s < e and s >= previous_end, (section.number, s, e)
        assert section.title and section.title in view[s:e], (section.number, section.title)
        previous_end = e
    for table in result.tables.values():
        if table.span is not None:
            _inside(table.span, size)


# ---- strategies ----------------------------------------------------------------------------------------

_LABELS = sorted({row.label.split("|")[0].replace("(?:", "").replace(")?", "").replace("\\", "")
                  for spec in TABLES["2021"].values() for row in spec.rows if row.label})
_HEADINGS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
             "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
             "（一）予以公开", "（七）总计", "本年新收政府信息公开申请数量", "结果维持", "本年制发件数",
             "某县人民政府2021年政府信息公开工作年度报告", "电话：0951-1234567", "微博发布信息", "共收到申请"]
_CELLS = st.one_of(
    st.integers(0, 10**9).map(str),
    st.integers(0, 999).map(lambda n: str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
    st.sampled_from(["", "", "—", "-", "/", "无", "- 4 -", "0.5", "-3", "+2", "1,234", "①", "²", "١٢", "〇"]),
    st.text(alphabet="0123456789", min_size=2, max_size=40),
)
_SEPARATORS = st.sampled_from(["\t", "\t\t", " ", "   ", " | ", "|", "\n", ""])


@st.composite
def table_lines(draw: st.DrawFn) -> str:
    """A line that looks like a row of a statutory table, or a heading, or prose."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.sampled_from(_HEADINGS))
    if kind == 1:
        return draw(st.text(alphabet="，。、；：（）的政府信息公开申请件条次共收到发布微博将问题不足一二三" + "0123456789 ",
                             max_size=80))
    sep = draw(_SEPARATORS)
    cells = draw(st.lists(_CELLS, min_size=0, max_size=18))
    label = draw(st.sampled_from(_LABELS)) if kind < 4 else ""
    lead = draw(st.sampled_from(["", "\t", "|", "1.", "（三）", "  "]))
    return lead + label + sep + sep.join(cells)


reports = st.lists(table_lines(), min_size=1, max_size=60).map("\n".join)

_PROSE = ["本年度通过政府网站发布信息{n}条，", "政务微博发布信息{n}条；", "全年共收到政府信息公开申请{n}件。",
          "举办培训{n}次。", "受理热线{n}件，", "微信公众号关注人数{n}人。", "其中{n}件", "约{n}余万条"]
_PROBLEMS = ["一是信息公开不够及时。", "二是队伍建设有待加强；", "（一）存在的问题\n", "下一步，我局将进一步加强。",
             "主要问题：宣传不到位，", "无。"]


@st.composite
def structured_reports(draw: st.DrawFn) -> str:
    """The six sections in order, 表二/三/四 rows by their labels with random cells, prose with counts."""
    version = draw(st.sampled_from(["2021", "2019"]))
    lines: list[str] = [draw(st.sampled_from(["某县人民政府2021年政府信息公开工作年度报告", "", "电话：0951-1234567"]))]
    for number, heading in enumerate(_HEADINGS[:6], start=1):
        if draw(st.integers(0, 9)) == 0:
            continue  # a section lost
        lines.append(heading)
        if number in (1, 6):
            lines += [draw(st.sampled_from(_PROSE)).format(n=draw(st.integers(0, 10**6)))
                      for _ in range(draw(st.integers(0, 4)))]
        if number == 5:
            lines += draw(st.lists(st.sampled_from(_PROBLEMS), max_size=6))
        table = {2: "active", 3: "requests", 4: "review"}.get(number)
        if table is None:
            continue
        sep = draw(_SEPARATORS)
        width = max(len(row.columns) for row in TABLES[version][table].rows)
        for row in TABLES[version][table].rows:
            if draw(st.integers(0, 7)) == 0:
                continue  # a row lost
            label = row.label.split("|")[0].replace("(?:", "").replace(")?", "").replace("\\", "")
            if draw(st.booleans()):
                cells = [str(draw(st.integers(0, 99))) for _ in row.columns]
            else:
                cells = draw(st.lists(_CELLS, min_size=0, max_size=width + 3))
            lines.append(label + sep + sep.join(cells))
    return "\n".join(lines)
cjk_text = st.text(alphabet=st.one_of(st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80),
                                      st.sampled_from("0123456789０１２３\t\n |-—、。（）一二三四五六七十总计本年新收")),
                   max_size=3000)


@st.composite
def damaged_samples(draw: st.DrawFn) -> str:
    """A committed sample with slices cut, repeated or replaced by noise."""
    text = draw(st.sampled_from(SAMPLE_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        a = draw(st.integers(0, len(text)))
        b = draw(st.integers(a, min(len(text), a + 400)))
        op = draw(st.integers(0, 3))
        if op == 0:
            text = text[:a] + text[b:]
        elif op == 1:
            text = text[:a] + draw(table_lines()) + text[a:]
        elif op == 2:
            text = text[:a] + text[a:b] * draw(st.integers(2, 5)) + text[b:]
        else:
            text = text[:a] + draw(st.text(max_size=60)) + text[b:]
    return text


# ---- properties ----------------------------------------------------------------------------------------

@_settings(60)
@given(text=st.text(max_size=2000))
def test_any_unicode_text(text: str) -> None:
    run(text)


@_settings(60)
@given(data=st.binary(max_size=4000))
def test_any_bytes(data: bytes) -> None:
    run(data)


@_settings(60)
@given(text=cjk_text)
def test_cjk_digits_and_separators(text: str) -> None:
    run(text)


@_settings(60)
@given(text=reports)
def test_table_like_lines(text: str) -> None:
    run(text)


@_settings(80)
@given(text=structured_reports())
def test_structured_reports(text: str) -> None:
    run(text)


@_settings(60)
@given(text=st.one_of(reports, structured_reports()), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16",
                                                                               "gb18030"]))
def test_table_like_lines_as_bytes(text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    run(data)


@_settings(60)
@given(text=damaged_samples())
def test_damaged_samples(text: str) -> None:
    run(text)


def test_samples_hold_their_spans() -> None:
    for path in SAMPLES:
        result = run(path.read_bytes())
        assert result is not None and result.cells


# ---- hostile shapes, written out ----------------------------------------------------------------------

_SAMPLE = SAMPLE_TEXTS[1] if len(SAMPLE_TEXTS) > 1 else SAMPLE_TEXTS[0]
_FIVE = _SAMPLE.index("五、") if "五、" in _SAMPLE else len(_SAMPLE)
_ONE = "一、总体情况"

HOSTILE: dict[str, str] = {
    "200k characters on one line": "本年新收政府信息公开申请，一二三、\t0123456789|" * 6_000,
    "1 MB of one digit": "1" * 1_000_000,
    "1 MB of digits": "1234567890" * 100_000,
    "1 MB of digits in a table": "三、收到和处理政府信息公开申请情况\n本年新收政府信息公开申请数量\t" + "7" * 1_000_000,
    "5000 table-like lines": "三、收到和处理政府信息公开申请情况\n"
                             + "\n".join("\t".join(str((i * 7 + j) % 97) for j in range(9)) for i in range(5_000)),
    "the sample 100 times": _SAMPLE * 100,
    "a table of 3000 labelled rows": "三、收到和处理申请情况\n" + "（一）予以公开\t1\t2\t3\n" * 3_000,
    "200k tabs in a row": "三、收到和处理申请情况\n一、本年新收" + "\t" * 200_000 + "5",
    "30000 page marks in a row": "三、收到和处理申请情况\n一、本年新收" + " - 4 -" * 30_000,
    "digit runs in every row": _SAMPLE.replace("\t0\t", "\t" + "1" * 40 + "\t"),
    "50000 nested brackets": "（" * 50_000 + "一" + "）" * 50_000,
    "30000 section headings": "一、总体情况 二、主动公开 三、申请情况 四、复议 五、问题 六、其他事项 " * 5_000,
    "a year then 3000 spaces": "2021年" + " " * 3_000 + "x" + _SAMPLE,
    "3000 spaces in a title": "某县人民政府" + " " * 3_000 + "2021年政府信息公开工作年度报告\n" + _SAMPLE,
    "a line of 200k empty cells in 表四": "四、行政复议、行政诉讼情况\n结果维持\n" + "\t" * 200_000 + "x",
    "20000 spaces in section 五": _SAMPLE[:_FIVE] + "五、存在的主要问题及改进情况\n" + " " * 20_000 + "x。",
    "20000 digits before a keyword": _SAMPLE.replace(_ONE, _ONE + "\n" + "1" * 20_000 + "微博发布信息5条。", 1),
    "20000 numerals before a keyword": _SAMPLE.replace(_ONE, _ONE + "\n" + "〇" * 20_000 + "微博发布信息5条。", 1),
    "20000 spaces before a keyword": _SAMPLE.replace(_ONE, _ONE + "\n5" + " " * 20_000 + "微博发布信息5条。", 1),
    "20000 marks after a count": _SAMPLE.replace(_ONE, _ONE + "\n微博发布信息5条" + "# " * 10_000 + "x。", 1),
    "20000 wrapped lines of a sentence in section 一": _SAMPLE.replace(_ONE, _ONE + "\n" + "全年发布信息\n" * 20_000 + "5条。", 1),
    "10000 page furniture blocks in section 五": _SAMPLE[:_FIVE] + "五、存在的主要问题及改进情况\n"
                                               + "一是不够及时\n\n- 3 -\n\n某局年度报告\n" * 10_000 + "x。",
    "200k of @ and dots": "a@b." * 50_000,
    "300k zeros": "0" * 300_000,
    "control characters": "".join(chr(c) for c in range(0, 32)) * 5_000,
    "only separators": "\t|\n- —/" * 50_000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_ends_in_bounded_time(name: str) -> None:
    run(HOSTILE[name])


def test_hostile_bytes_end_in_bounded_time() -> None:
    run(b"\x00\xff" * 300_000)  # NUL bytes: read as UTF-16, or refused
    run("三、收到和处理申请情况\n".encode("utf-16-le") + "\t1".encode("utf-16-le") * 100_000)
    run(bytes(range(256)) * 4_000)


# ---- the patterns that used to backtrack, at their worst ----------------------------------------------

def _last_rule(facts_rules: ModuleType, key: str) -> re.Pattern[str]:
    """The pattern of the last (least preferred) fact rule for ``key``."""
    pattern: re.Pattern[str] = [r for r in facts_rules.RULES if r.key == key][-1].pattern
    return pattern


def _regex_cases() -> dict[str, tuple[re.Pattern[str], str]]:
    from service import meta, places
    from service.narrative import excerpt, facts_rules, problems_rules
    from service.narrative.grounding import _NUMBER_IN_QUOTE
    from service.tables.rows import _EMPTY_CELLS

    return {
        "title: a year then spaces": (meta._TITLE_WORDS, "2021年" + " " * 20_000 + "x"),
        "title: agency then spaces": (meta._AGENCY_FIRST, "某县人民政府" + " " * 20_000 + "x"),
        "title: year first, spaces": (meta._YEAR_FIRST, "2021年度某局" + " " * 20_000 + "x"),
        "empty cells: a long run of tabs": (_EMPTY_CELLS, "\t" * 200_000 + "x"),
        "measures: spaces at a line start": (problems_rules._MEASURES, "\n" + " " * 20_000 + "x"),
        "any count: digits": (facts_rules._ANY_COUNT, "1" * 200_000 + "x"),
        "any count: numerals": (facts_rules._ANY_COUNT, "〇" * 200_000 + "x"),
        "number in quote: numerals": (_NUMBER_IN_QUOTE, "〇" * 200_000 + "x"),
        "followers: a platform, then followers words": (_last_rule(facts_rules, "weibo_followers"), "微博" + "粉丝数" * 60_000),
        "followers: platforms and followers words": (_last_rule(facts_rules, "wechat_followers"), "公众号粉丝" * 40_000),
        "injection: an address without a colon": (excerpt._INJECTION, "致AI" * 50_000),
        "injection: a model then a request": (excerpt._INJECTION, "AI请" * 50_000),
        "problem head: blanks": (problems_rules._PROBLEM_HEAD, " " * 20_000 + "x"),
        "named problem: 存在 repeated": (problems_rules._NAMED, "存在" * 50_000),
        "announcing sentence: 存在一些 repeated": (problems_rules._ANNOUNCE_SENTENCE, "存在一些" * 50_000),
        "list end: 等 repeated": (problems_rules._LIST_END, "等" * 200_000),
        "announcing clause: 存在一些 repeated": (problems_rules._ANNOUNCE_CLAUSE, "存在一些" * 50_000),
        "yardstick: 对照 repeated": (problems_rules._YARDSTICK, "对照有" * 60_000),
        "superior site: a place without a level": (facts_rules._SITE, "在" + "政" * 200_000),
        "superior site: levels without a site": (facts_rules._SITE, "在市政府" * 50_000),
        "places of a name": (places._UNIT, "杭州" * 100_000),
        "cumulative: 自 without 以来": (facts_rules._CUMULATIVE, "自" * 200_000),
        "this year after cumulative: a platform, then clauses": (
            [r for r in facts_rules.RULES if r.key == "hotline_cases"][-1].pattern, "热线," * 100_000),
        "this year after cumulative: websites": (
            [r for r in facts_rules.RULES if r.key == "website_posts"][-1].pattern, "网站,本年度" * 40_000),
    }


@pytest.mark.parametrize("name", ["title: a year then spaces", "title: agency then spaces", "title: year first, spaces",
                                  "empty cells: a long run of tabs", "measures: spaces at a line start",
                                  "any count: digits", "any count: numerals", "number in quote: numerals",
                                  "injection: an address without a colon", "injection: a model then a request",
                                  "followers: a platform, then followers words",
                                  "followers: platforms and followers words", "problem head: blanks",
                                  "named problem: 存在 repeated", "announcing sentence: 存在一些 repeated",
                                  "list end: 等 repeated", "announcing clause: 存在一些 repeated",
                                  "yardstick: 对照 repeated", "superior site: a place without a level",
                                  "superior site: levels without a site", "places of a name", "cumulative: 自 without 以来",
                                  "this year after cumulative: a platform, then clauses",
                                  "this year after cumulative: websites"])
def test_patterns_do_not_backtrack_on_long_runs(name: str) -> None:
    pattern, text = _regex_cases()[name]
    started = time.perf_counter()
    with _time_limit(SECONDS_PER_INPUT):
        for _ in pattern.finditer(text):
            pass
    assert time.perf_counter() - started < SECONDS_PER_INPUT


@pytest.mark.parametrize("line", ["政" * 200_000, "政，" * 100_000, "政\t" * 100_000])
def test_the_llm_excerpt_is_linear_in_a_long_line(line: str) -> None:
    # What the LLM is sent is chosen line by line; a long Chinese line without punctuation once took minutes.
    from support.llm import doc_of

    from service.narrative.excerpt import narrative_ranges

    doc = doc_of("二、主动公开政府信息情况\n" + line + "\n五、存在的主要问题及改进情况\n一是不足。\n")
    with _time_limit(SECONDS_PER_INPUT):
        ranges = narrative_ranges(doc)
    assert all(0 <= a < b <= len(doc.text) for a, b in ranges) and "一是不足" in "".join(doc.text[a:b] for a, b in ranges)


def test_clean_bounds_is_linear_in_trailing_marks() -> None:
    from service.narrative.grounding import clean_bounds

    view = "发布信息5条" + "# " * 100_000 + "x"
    with _time_limit(SECONDS_PER_INPUT):
        assert clean_bounds(view, 0, len(view)) == (0, len(view))
        assert clean_bounds(view, 0, len(view) - 1) == (0, 6)
