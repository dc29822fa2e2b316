"""Step 2 (sections): locate the six statutory sections (一 … 六) in the parse view.

A heading is a Chinese numeral, a separator and a title with that section's keyword. Row labels of 表三
("三、本年度办理结果", "四、结转下年度继续办理") and narrative sub-headings ("（一）主动公开") look alike but
lack the keyword or the bare numeral, so they are not taken. A heading printed twice (a duplicated
section) counts once: the section runs from its first heading to the next section's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMERALS = "一二三四五六"

# Keywords that a title of each section carries (variants seen in real reports).
_TITLE_KEYWORDS: dict[int, str] = {
    1: r"总体情况|总体概述|概述|基本情况|工作情况",
    2: r"主动公开",
    3: r"收到和处理|依申请|申请情况|申请的情况",
    4: r"复议|诉讼",
    5: r"问题|改进|不足|下一步",
    6: r"其他需要报告|其他事项|其他需报告|需要说明",
}

# The numeral is found first and its left context checked after: a pattern that starts with optional
# white space is tried at every space of a fixed-width table, which is quadratic in long runs of spaces.
_HEADING = re.compile(
    r"(?P<num>[一二三四五六])(?:部分)?[ \t]*[、.．,，\s]"
    r"[ \t*]*(?=(?P<title>(?:[^\n\t\d]|(?:19|20)\d\d){0,40}))"  # a look-ahead: titles may overlap
)
_LEFT = re.compile(r"(?:^|[\s。；;：:！!？?])[ \t>*#]*第?$")

_NEXT_HEADING = re.compile(r"[一二三四五六七八九十][、.．]")
_KEYWORDS = {number: re.compile(words) for number, words in _TITLE_KEYWORDS.items()}
_PHRASE_END = re.compile(r"[^\s。，,；;]{0,12}")


@dataclass(frozen=True)
class SectionHit:
    """A section heading found in the text."""

    number: int
    start: int  # heading start
    title_end: int  # end of the heading line (or of its keyword on a one-line report)
    title: str


@dataclass(frozen=True)
class LocatedSection:
    """A section: its first heading, the end of its body and how often its heading appears."""

    number: int
    title: str
    start: int
    body_start: int
    end: int
    occurrences: int


def find_headings(view: str) -> list[SectionHit]:
    """Every plausible section heading, in text order."""
    hits: list[SectionHit] = []
    for m in _HEADING.finditer(view):
        if not _LEFT.search(view, max(0, m.start() - 8), m.start()):
            continue  # a numeral inside a sentence or a label ("第三方", "三安全一稳定")
        number = NUMERALS.index(m.group("num")) + 1
        title = _NEXT_HEADING.split(m.group("title"), maxsplit=1)[0]  # one-line reports run on
        kw = _KEYWORDS[number].search(title)
        if kw is None:
            continue
        # On a one-line report the "title" runs on into the body; cut it after the keyword's phrase.
        end_rel = kw.end()
        tail = _PHRASE_END.match(title, end_rel)
        end_rel = tail.end() if tail else end_rel
        hits.append(SectionHit(number, m.start("num"), m.start("title") + end_rel,
                               title[:end_rel].strip(" *")))
    return hits


def locate_sections(view: str) -> list[LocatedSection]:
    """The sections in order: the longest chain of headings with rising numbers, duplicates folded."""
    hits = find_headings(view)
    chain = _longest_rising_chain(hits)
    sections: list[LocatedSection] = []
    for i, hit in enumerate(chain):
        end = chain[i + 1].start if i + 1 < len(chain) else len(view)
        occurrences = sum(1 for h in hits if h.number == hit.number and hit.start <= h.start < end)
        sections.append(LocatedSection(hit.number, hit.title, hit.start, hit.title_end, end, occurrences))
    return sections


def _longest_rising_chain(hits: list[SectionHit]) -> list[SectionHit]:
    """Pick one heading per number so that numbers rise with position; prefer more sections, then earlier.

    For each heading, the longest chain that ends in it extends the longest chain ending in a lower number
    (the earliest such chain on a tie). Numbers run 1 to 6, so the best chain per ending number is all
    that needs keeping: linear in the headings (text full of heading-like lines has tens of thousands).
    """
    by_number: dict[int, list[SectionHit]] = {}  # the best chain ending in each number so far
    first_at: dict[int, int] = {}  # where that chain's last heading stands in ``hits`` (earliest wins ties)
    longest: list[SectionHit] = []
    for i, hit in enumerate(hits):
        prev: list[SectionHit] = []
        prev_at = -1
        for number, chain in by_number.items():
            if number >= hit.number:
                continue
            if len(chain) > len(prev) or (len(chain) == len(prev) and first_at[number] < prev_at):
                prev, prev_at = chain, first_at[number]
        chain = [*prev, hit]
        if len(chain) > len(by_number.get(hit.number, ())):
            by_number[hit.number], first_at[hit.number] = chain, i
        if len(chain) > len(longest):
            longest = chain
    return longest
