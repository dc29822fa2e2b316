"""Problems by rules: the problems section 五 admits, one per item, without the measures that follow.

Section 五 reads: an introduction (虽然…取得一定成效，但还存在以下问题：), the problems, then the
improvement measures (下一步 / 针对上述问题 / 2023年我局将…). The problems are cut off where the measures
begin, then split by the first of these that fits:

1. a run of enumeration markers 一是、二是… / （一）（二）… / 1. 2. … (at least two, counting up from one);
2. after an introduction (…问题：, …不足，如), the parts between ；, or between ，in a list framed by 如 or
   closed by 等 (如X，Y，Z等); else the sentences (X偏少，质量有待提高 after a colon is one problem);
3. otherwise the sentences, each kept only when it reads as a shortcoming (不够, 有待, 缺乏 …), the
   introduction's "但仍存在" cut away.

Items are copied from the text without their marker, trailing 。/；, or a closing 等问题.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from schemas import Problem, Span
from service.narrative.flow import flow
from service.narrative.grounding import clean_bounds, parse_number

_CN = "一二三四五六七八九十"
# Where a list item or a sentence may begin: the start of a line or after sentence punctuation.
# The runs of spaces and marks are possessive (*+): giving characters back never makes a match (what follows
# starts with none of them, or takes them only as a bounded gap), and trying every split of a long run of
# spaces between two such runs made section 五 of a fixed-width layout take seconds per 2,000 spaces.
_LINE_START = r"(?:^|(?<=[。!?;:\n]))[ \t*#>]*+"
_ITEM_START = r"(?:^|(?<=[。!?;:,\n*]))[ \t]*"
_ENUM = rf"(?:\([{_CN}\d]{{1,2}}\)|[{_CN}]{{1,2}}、|\d{{1,2}}[.、](?!\d)|\*\*)"

# How the improvement measures open, at the start of a sentence or paragraph.
_MEASURE_OPENINGS = (
    r"在?(?:下一步|下步|今后|接下来|新的一年|下一年度?|下阶段|下一阶段)",
    r"(?:我们|我[局委办镇乡区县市厅])?在?(?:今后|下一步|下阶段|新的一年)的?工作中",
    r"针对(?:上述|以上|存在|这些|这|该|此|前述|发现|问题|不足|工作中)",
    r"对此|为此|采取(?:以下|如下)",
    r"为了?(?:进一步|更好|切实|加强|推进|做好|提升|解决|改进)",
    r"(?:\d{4}\s*年度?|明年|下一年度?),?[^。\n]{0,20}?(?:将|继续)",  # 2023年，我局将…
    r"(?:我|本)(?:镇|乡|局|委|办|区|县|市|街道|单位|们|厅|中心|处|院|会|机关|部门)[^。\n]{0,10}?将",
    r"[^。\n,]{0,12}?将(?:进一步|继续|着力|重点|切实|持续|不断|认真|加大|加强|采取|围绕|严格|全面|积极)",
    # a sub-heading naming the measures: （二）改进措施 / 整改措施及计划：
    r"(?:主要|具体|相应的?|今后的?)?(?:改进|整改|工作)(?:措施|情况|方向|计划|举措|打算|思路)(?:及|和|与)?"
    r"(?:情况|计划|打算|方向|建议)?(?:[ \t*]*+(?::|。|\n|$)|[ \t]++)",
    # the same heading run into its text (（二）改进措施 2025年… / （二）改进措施下一年度…): after a marker only
    r"(?<=[)、.])[ \t*]*(?:主要|具体|相应的?)?(?:改进|整改)(?:措施|方向|计划|举措|打算|思路)",
)
_MEASURES = re.compile(_LINE_START + rf"(?:{_ENUM})?[ \t*]*+(?:" + "|".join(_MEASURE_OPENINGS) + ")", re.M)
# An introduction after which the problems are listed: 主要问题：/ 存在以下不足：/ 存在一些不足，如…
_INTRO = re.compile(r"(?:问题|不足|差距|短板|薄弱环节|困难|弱项)(?:[^。:;\n]{0,12}?:|(?:和|与|及)?(?:问题|不足)?"
                    r"(?:[,。]?(?:如|例如|比如)|,?(?:主要是|主要有)|,?(?:主要|具体)?(?:表现在|表现为|体现在)))")
_INTRO_REACH = 400  # characters from the section start within which an introduction is looked for
# The turn of an introduction sentence: 但仍然存在 …
_CONCESSION = re.compile(r"(?:但|然而|不过|同时)[^。;:\n]{0,16}?(?:存在着?|表现在|表现为)")
# What follows 存在 when it only announces problems (一些问题, 一定的差距) rather than naming one.
_ANNOUNCES = re.compile(r"(?:一些|一定的?|以下|如下|不少|诸多|许多|若干|部分|较多|很多)?的?"
                        r"(?:问题|不足|差距|短板|薄弱环节|困难)[^。;]{0,12}$")
# A lone 一 left from a garbled marker right after 存在 (存在一负责…), not 一定/一些/一是 ….
_STRAY_ONE = re.compile(r"一(?![定些是系般直个种点项条次件份批段切起同致样味再方部])")
# Enumeration families: each gives the item's ordinal in group n.
_FAMILIES: tuple[re.Pattern[str], ...] = (
    re.compile(_ITEM_START + rf"\*{{0,2}}(?P<n>[{_CN}]{{1,2}})是\*{{0,2}}", re.M),
    re.compile(_ITEM_START + rf"\*{{0,2}}其(?P<n>[{_CN}]{{1,2}})[,、:]\*{{0,2}}", re.M),
    re.compile(_ITEM_START + rf"\*{{0,2}}第(?P<n>[{_CN}]{{1,2}})[,、:]\*{{0,2}}", re.M),
    re.compile(_LINE_START + rf"\((?P<n>[{_CN}]{{1,2}})\)", re.M),
    re.compile(_LINE_START + r"\((?P<n>\d{1,2})\)", re.M),
    re.compile(_LINE_START + rf"(?P<n>[{_CN}]{{1,2}})、", re.M),
    re.compile(_LINE_START + r"(?P<n>\d{1,2})[.、](?!\d)", re.M),
)
_SENTENCE = re.compile(r"[^。;!?]+")
# A heading line at the head of a sentence ("（一）存在的主要问题"): short, without a comma, and numbered or
# naming the problems — a short line cut by a page break is not a heading.
_HEADING_LINE = re.compile(rf"[\s*#>]*(?:{_ENUM}[^,。;\n]{{0,25}}"
                           r"|[^,。;\n]{0,20}(?:问题|不足|差距)[^,。;\n]{0,6})\n")
_PARAGRAPH_END = re.compile(r"[。;!?][ \t*]*\n")
# Wording of a shortcoming; in sentence mode a sentence without it is not taken as a problem.
_SHORTCOMING = re.compile(
    r"不够|不足|有待|欠缺|缺乏|缺少|滞后|迟缓|不强|不高|不多|不佳|欠佳|薄弱|较少|偏少|较多|较低|偏低|较弱|偏弱|较慢|单一"
    r"|不及时|不到位|不完善|不规范|不全面|不深入|不平衡|不充分|不紧密|不精准|不统一|不一致|参差不齐|不明显|不突出|不广|不畅"
    r"|不严|差距|短板|弱项|尚未|还需|亟需|亟待|需进一步|需要进一步|仍需|不太|难以|不能"
    r"|较窄|偏窄|较慢|偏慢|较差|有限|待加强|待提高|待完善|待提升|需加强|需提高|需完善|滞后|频繁|不熟")
# The problems' heading at the head of a sentence: （一）存在问题 / 主要问题：
_PROBLEM_HEAD = re.compile(rf"[ \t*]*+(?:{_ENUM})?[ \t*]*+(?:存在的?|目前|工作中的?)?(?:主要|突出)?的?(?:问题|不足)"
                           r"(?:和不足|及原因)?(?::|\n)?[ \t*]*+")
# A sentence that only announces the problems: 还存在一些薄弱环节 / 存在以下不足
_ANNOUNCE_SENTENCE = re.compile(r"(?:存在着?|有着?(?=一些|一定|以下|如下|不少|诸多|许多|若干))"
                                r"(?:一些|一定的?|以下|如下|不少|诸多|许多|若干)?的?"
                                r"(?:问题|不足|差距|短板|薄弱环节|困难)(?:和不足|和问题)?$")
# A clause that announces the problems before naming them in the same sentence: 总体上还存在一些问题与不足，
_ANNOUNCE_CLAUSE = re.compile(r"[^,。;]{0,8}?(?:(?:存在|有)着?(?:一些|一定的?|不少|诸多)?|一些|一定的?|不少|诸多)的?"
                              r"(?:问题|不足|差距|短板|薄弱环节)(?:与|和|及)?(?:问题|不足)?,")
# A sentence that only says there are shortcomings against a yardstick: 对照新要求仍有不足
_YARDSTICK = re.compile(r"(?:对照|相比|比较)[^。;]{0,20}?有(?:一些|一定的?)?(?:不足|差距|短板)$")
# The turn of a sentence whose first half praises (取得了一定成效，但…): the problem follows it.
_BUT = re.compile(r"[,，](?:但是?|然而|不过|只是)")
# The problem a sentence names between 存在 and 的问题/等问题 (由于…，存在信息公开不够及时的问题).
_NAMED = re.compile(r"存在(?P<p>[^。;]{2,40}?)(?:的|等)(?:问题|不足|情况|现象)$")
_SHORT_ITEM = 12  # characters: an item of 存在X、Y等问题 or 如X，Y，Z等 is a short phrase
# A list the sentence frames itself (如X，Y，Z等): its items may be longer clauses.
_FRAMED_ITEM = 24
_FRAME = re.compile(r"(?:如|例如|比如)$")
# What 存在 may announce before naming the problems: 一定的差距， / 一些问题，
_ANNOUNCE_LEAD = re.compile(r"(?:一些|一定的?|不少|诸多)?的?(?:问题|不足|差距|短板)(?:和不足)?[,:]")
# Where an inline list closes: 等 / 等等 / 等问题, before a comma or the sentence end.
_LIST_END = re.compile(r"等等?(?:方面的?|一系列)?(?:问题|不足|情况|现象)?(?=[,;。]|$)")
_ORDINAL_WORD = re.compile(r"(?:一方面|另一方面|其一|其二|其三|首先|其次|再次"
                           r"|(?:主要|具体)(?:是|有|表现为|体现在))[,:]?")
_NOTHING = re.compile(r"^(?:无|暂无|没有|未发现|不存在)")
# A heading that only names the list (存在的主要问题：), not a problem.
_HEADING_ONLY = re.compile(r"^[^。,;]{0,10}(?:问题|不足|差距)(?:和不足|及原因|如下|主要有|主要表现在)?:?$")
_CLOSING = re.compile(r"等(?:方面的?|一系列)?(?:问题|不足|情况|现象)$")
_MIN_CHARS = 4


def read_problems(text: str, view: str, section: tuple[int, int] | None) -> list[Problem]:
    """The problems of section 五 (``section`` is its body), each with its span; [] when it has none.

    Read as a flow (``flow.py``): lines wrapped in mid-sentence are joined and page furniture left out, so
    items are found by their enumerators and sentence ends; an item's text is the user's characters without
    the line breaks and furniture inside it, its span the stretch of text it covers.
    """
    if section is None:
        return []
    prose = flow(view, [section])
    problems = []
    for s, e in _items(prose.text):
        start, end = prose.span(s, e)
        problems.append(Problem(text=prose.copy(text, s, e), span=Span(start=start, end=end)))
    return problems


def _items(view: str) -> list[tuple[int, int]]:
    """(start, end) of each problem in a flow of section 五."""
    start, end = 0, len(view)
    intro = _INTRO.search(view, start, min(end, start + _INTRO_REACH))
    first = intro.end() if intro else start
    measures = _MEASURES.search(view, first, end)
    last = measures.start() if measures else end
    if last <= first:
        return []
    spans = _by_markers(view, first, last)
    if spans is None:
        spans = _after_intro(view, first, last) if intro else _by_sentences(view, first, last)
    out = []
    for s, e in spans:
        s, e = _clean(view, s, e)
        if e - s >= _MIN_CHARS and not _HEADING_ONLY.match(view, s, e) and not _NOTHING.match(view, s, e):
            out.append((s, e))
    return out


def _by_markers(view: str, first: int, last: int) -> list[tuple[int, int]] | None:
    """Items of the longest run of markers counting up from one (一是 二是 三是), or None."""
    best: list[re.Match[str]] = []
    for family in _FAMILIES:
        run = _run(family.finditer(view, first, last))
        if len(run) > len(best) or (len(run) == len(best) and run and run[0].start() < best[0].start()):
            best = run
    if len(best) < 2:
        return None
    spans = [(a.end(), b.start()) for a, b in zip(best, best[1:], strict=False)]
    tail = _PARAGRAPH_END.search(view, best[-1].end(), last)
    spans.append((best[-1].end(), tail.start() + 1 if tail else last))
    return spans


def _run(matches: Iterator[re.Match[str]]) -> list[re.Match[str]]:
    """The first run 1, 2, 3 … of a family; a second 1 (a new list, often the measures) ends it."""
    run: list[re.Match[str]] = []
    for m in matches:
        n = parse_number(m.group("n"))
        if n == 1 and run:
            break
        if (n == 1 and not run) or (run and n == len(run) + 1):
            run.append(m)
    return run


def _after_intro(view: str, first: int, last: int) -> list[tuple[int, int]]:
    """The parts of the sentence after an introduction split at ；(or at ，in a list of short phrases framed by
    如 or closed by 等: 如X，Y，Z等等), or else its sentences."""
    stop = view.find("。", first, last)
    stop = last if stop < 0 else stop
    closing = _LIST_END.search(view, first, stop)
    end = closing.start() if closing else stop
    parts = _pieces(view, first, end, ";")
    if len(parts) >= 2:
        return parts
    parts = _pieces(view, first, end, ",")
    listed = _FRAME.search(view, max(0, first - 2), first) is not None
    framed = closing is not None and listed
    if (len(parts) >= 2 and (closing is not None or listed)
            and all(b - a <= (_FRAMED_ITEM if framed else _SHORT_ITEM) for a, b in parts)):
        return parts
    # The first sentence after the introduction is a problem; later ones must read as shortcomings.
    sentences = [(m.start(), m.end()) for m in _SENTENCE.finditer(view, first, last)
                 if not _ANNOUNCE_SENTENCE.search(view, m.start(), m.end())]
    return sentences[:1] + [(s, e) for s, e in sentences[1:] if _SHORTCOMING.search(view, s, e)]


def _by_sentences(view: str, first: int, last: int) -> list[tuple[int, int]]:
    """Sentences that read as shortcomings, without their lead-in (…取得了一定成效，但 / 由于…，存在).

    A sentence that only announces problems (还存在一些薄弱环节) is none; 存在X、Y等问题 names two.
    """
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(view, first, last):
        s, e = m.start(), m.end()
        while (heading := _HEADING_LINE.match(view, s, e)) is not None:
            s = heading.end()
        if (head := _PROBLEM_HEAD.match(view, s, e)) is not None and head.end() < e:
            s = head.end()  # a heading run into the first problem: （一）存在的主要问题依申请公开…
        if _ANNOUNCE_SENTENCE.search(view, s, e) or _YARDSTICK.search(view, s, e):
            continue
        turn = _CONCESSION.search(view, s, e) or _BUT.search(view, s, e)
        if turn is not None:
            s = turn.end()
            if _ANNOUNCES.match(view, s, e):
                continue
            stray = _STRAY_ONE.match(view, s, e)
            s = stray.end() if stray else s
            lead = _ANNOUNCE_CLAUSE.match(view, s, e)  # …但还存在一些问题与不足，X，Y。
            if lead is not None:
                parts = _pieces(view, lead.end(), e, ",")
                if all(b - a <= _SHORT_ITEM for a, b in parts):
                    spans += parts
                    continue
                s = lead.end()
        named = _NAMED.search(view, s, e)
        if named is not None:
            s, e = named.start("p"), named.end("p")
            lead = _ANNOUNCE_LEAD.match(view, s, e)  # 存在一定的差距，X，Y，Z的问题
            s = lead.end() if lead else s
            for sep in ("、", ","):
                parts = _pieces(view, s, e, sep)
                if len(parts) >= 2 and all(b - a <= _SHORT_ITEM for a, b in parts):
                    spans += parts
                    break
            else:
                spans.append((s, e))
            continue
        if _SHORTCOMING.search(view, s, e):
            spans.append((s, e))
    return spans


def _pieces(view: str, first: int, last: int, sep: str) -> list[tuple[int, int]]:
    """[first, last) split at ``sep``."""
    out, s = [], first
    while (at := view.find(sep, s, last)) >= 0:
        out.append((s, at))
        s = at + 1
    out.append((s, last))
    return [(a, b) for a, b in out if view[a:b].strip()]


def _clean(view: str, s: int, e: int) -> tuple[int, int]:
    """Bounds without marker, decoration, trailing punctuation or a closing 等问题."""
    s, e = clean_bounds(view, s, e)
    closing = _CLOSING.search(view, s, e)
    if closing is not None:
        s, e = clean_bounds(view, s, closing.start())
    lead = _ORDINAL_WORD.match(view, s, e)  # 一方面，… / 其一，… / 首先，…: an enumerator in words
    if lead is not None and lead.end() < e:
        s = lead.end()
    return s, e
