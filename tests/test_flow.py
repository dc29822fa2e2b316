"""The flow the narrative rules read: wrapped lines joined, page furniture dropped, offsets kept."""

from __future__ import annotations

import time

from service.narrative.flow import flow, running_headers
from service.text import normalise

TITLE = "某县人民政府2022年政府信息公开工作年度报告"
WRAPPED = (f"{TITLE}\n"
           "一、总体情况\n"
           "　　2022年，县政府门户网站全年发布各类政府信息1234条，其中\n"
           "工作动态560条。县政府办公室收到政府信息公开申请12件，均已\n"
           "\n- 2 -\n\n"
           f"{TITLE}\n"
           "按期答复。\n"
           "（一）主动公开\n"
           "　　组织政务公开培训3次。\n"
           "\n- 3 -\n")


def of(text: str) -> tuple[str, str]:
    view = normalise(text)
    prose = flow(view, [(0, len(view))])
    return view, prose.text


def test_a_sentence_wrapped_across_lines_and_a_page_break_is_one_line() -> None:
    _, text = of(WRAPPED)
    assert "县政府办公室收到政府信息公开申请12件,均已按期答复。" in text
    assert "全年发布各类政府信息1234条,其中工作动态560条。" in text


def test_page_numbers_and_running_headers_are_dropped_but_the_title_line_is_kept_once() -> None:
    _, text = of(WRAPPED)
    assert "- 2 -" not in text and "2 -" not in text
    assert text.count(TITLE) == 0  # a line repeated on every page is furniture, the first one too
    assert running_headers(normalise(WRAPPED)) == frozenset({TITLE})


def test_headings_and_paragraph_ends_keep_their_line_break() -> None:
    _, text = of(WRAPPED)
    assert "一、总体情况\n2022年" in text  # a short line is a heading, not a wrapped line
    assert "按期答复。\n(一)主动公开\n组织政务公开培训3次。" in text


def test_a_line_opening_a_numbered_item_is_never_joined() -> None:
    text = "存在问题：部分栏目更新不够及时，信息发布审核还不够严格，工作人员业务能力有待提高，培训不够\n1.公开内容不全面。\n"
    assert "\n1.公开内容不全面" in of(text)[1]


def test_offsets_map_every_flow_character_back_to_the_text() -> None:
    view, _ = of(WRAPPED)
    prose = flow(view, [(0, len(view))])
    for i, ch in enumerate(prose.text):
        if ch != "\n":
            assert view[prose.offsets[i]] == ch
    start = prose.text.index("收到")
    end = prose.text.index("答复。") + 2
    a, b = prose.span(start, end)
    assert WRAPPED[a:b].startswith("收到") and WRAPPED[a:b].endswith("答复")
    assert "- 2 -" in WRAPPED[a:b]  # the span covers the furniture; the copy leaves it out
    assert prose.copy(WRAPPED, start, end) == "收到政府信息公开申请12件，均已按期答复"


def test_zones_are_separate_paragraphs_and_may_overrun_the_text() -> None:
    view = "甲乙丙丁。\n戊己庚辛。\n"
    prose = flow(view, [(0, 5), (6, 10_000)])
    assert prose.text == "甲乙丙丁。\n戊己庚辛。"


def test_flow_is_linear_in_long_and_many_lines() -> None:
    for text in ["政" * 1_000_000, "\n" * 1_000_000, "- 3 -\n" * 200_000, ("政" * 30 + "\n") * 100_000]:
        started = time.perf_counter()
        flow(text, [(0, len(text))])
        assert time.perf_counter() - started < 5
