"""Step 3 (meta): report metadata: the reporting agency and year (from the title), and contact details."""

from __future__ import annotations

import re

from schemas import Grounded, Meta, Span

_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "O": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
              "六": "6", "七": "7", "八": "8", "九": "9"}
_YEAR = r"(?P<year>(?:19|20)\d{2}|[二][〇零○O][一二三四五六七八九〇零○O]{2})"
# Every run of white space is possessive (\s*+): a title's words are no white space, so giving spaces back
# never helps a match, and a chain of optional \s* before a failing word would try every split of a long
# run of spaces (a year followed by 400 spaces took seconds; 3000, hours).
_TITLE_TAIL = (r"\s*+年\s*+度?\s*+(?:的)?\s*+(?:政府)?\s*+信息\s*+公开\s*+(?:工作)?\s*+(?:年度)?\s*+(?:工作)?"
               r"\s*+报\s*+告")
# "原州区人民政府办公室 2021 年政府信息公开工作年度报告" and "2021年度原州区…政府信息公开工作年度报告".
CONTACT_WINDOW = 3000
_TITLE_WORDS = re.compile(_YEAR + _TITLE_TAIL)
_AGENCY_CHARS = r"[^\s\d《》“”\"，。,:：;；()（）]"
_AGENCY_FIRST = re.compile(rf"(?P<agency>{_AGENCY_CHARS}{{2,40}}?)\s*+(?:关于)?\s*+" + _YEAR + _TITLE_TAIL)
_YEAR_FIRST = re.compile(_YEAR + rf"\s*+年\s*+度?\s*+(?P<agency>{_AGENCY_CHARS}{{2,40}}?)\s*+(?:政府)?\s*+信息\s*+公开"
                         r"\s*+(?:工作)?\s*+(?:年度)?\s*+报\s*+告")
# "某市生态环境局政府信息公开工作年度报告（2021年度）"
_REPORT_YEAR = r"信息\s*+公开\s*+(?:工作)?\s*+(?:年度)?\s*+报\s*+告\s*+[(（]\s*+" + _YEAR + r"\s*+年?\s*+度?\s*+[)）]"
_YEAR_AFTER = re.compile(rf"(?P<agency>{_AGENCY_CHARS}{{2,40}}?)\s*+(?:政府)?\s*+" + _REPORT_YEAR)
_YEAR_AFTER_TAIL = re.compile(_REPORT_YEAR)
_STATS_YEAR = re.compile(r"(?:统计|期限|数据)[^\n。]{0,12}?(?P<year>(?:19|20)\d{2})\s*+年\s*+1\s*+月\s*+1\s*+日")
# No look-behind at the front: it would defeat the regex engine's quick scan for a first digit. A match
# inside a longer number is dropped in _grounded instead.
_PHONE = re.compile(r"(?:0\d{2,3}[-—–\s]?\d{7,8}|1[3-9]\d{9})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_WEBSITE = re.compile(r"(?:https?://|www\.)[A-Za-z0-9./_%?=&#:-]+[A-Za-z0-9/]")
_AGENCY_JUNK = re.compile(r"^(?:.*?[》>】\]]|首页|当前位置|您的位置)")


def _year_value(raw: str) -> int:
    return int("".join(_CN_DIGITS.get(c, c) for c in raw))


def _agency_first(head: str) -> re.Match[str] | None:
    """``_AGENCY_FIRST``, found from its year and title words backwards: trying the open-ended agency at every
    character of a long web header is the slow part of reading the metadata."""
    for m in _TITLE_WORDS.finditer(head):
        found = _AGENCY_FIRST.search(head, max(0, m.start() - 60), m.end())
        if found:
            return found
    return None


def _year_after(head: str) -> re.Match[str] | None:
    """``_YEAR_AFTER``, found from its title words backwards (as ``_agency_first``): tried at every character,
    its open-ended agency costs about 1.5 ms on a head without a title."""
    for m in _YEAR_AFTER_TAIL.finditer(head):
        found = _YEAR_AFTER.search(head, max(0, m.start() - 80), m.end())
        if found:
            return found
    return None


def read_meta(view: str, head_limit: int = 3000) -> Meta:
    """Agency, year and contact details; the title is looked for near the top (after any web header)."""
    meta = Meta()
    head = view[:head_limit]
    for pattern in (_AGENCY_FIRST, _YEAR_FIRST, _YEAR_AFTER):
        m = _agency_first(head) if pattern is _AGENCY_FIRST else \
            _year_after(head) if pattern is _YEAR_AFTER else pattern.search(head)
        if m:
            agency = m.group("agency").strip()
            cut = _AGENCY_JUNK.match(agency)
            offset = m.start("agency") + (cut.end() if cut else 0)
            agency = agency[cut.end():] if cut else agency
            if len(agency) >= 2:
                meta.agency = agency
                meta.agency_span = Span(start=offset, end=offset + len(agency))
            meta.year = _year_value(m.group("year"))
            meta.year_span = Span(start=m.start("year"), end=m.end("year"))
            break
    if meta.year is None:
        m = _STATS_YEAR.search(view)
        if m:
            meta.year = int(m.group("year"))
            meta.year_span = Span(start=m.start("year"), end=m.end("year"))
    # Contacts stand in the opening paragraph or at the end; the tables in between need no scan.
    windows = [(0, min(len(view), CONTACT_WINDOW)), (max(CONTACT_WINDOW, len(view) - CONTACT_WINDOW), len(view))]
    meta.phone = _grounded(_PHONE, view, windows)
    meta.email = _grounded(_EMAIL, view, [(max(0, i - 64), i + 64) for i in _ats(view)])
    meta.website = _grounded(_WEBSITE, view, windows)
    return meta


def _ats(view: str) -> list[int]:
    """Positions of "@": an e-mail address is looked for only around one."""
    return [m.start() for m in re.finditer("@", view)][:10]


def _grounded(pattern: re.Pattern[str], view: str, windows: list[tuple[int, int]]) -> list[Grounded]:
    seen: dict[str, Grounded] = {}
    for lo, hi in windows:
        for m in pattern.finditer(view, lo, hi):
            if pattern is _PHONE and m.start() > 0 and (view[m.start() - 1].isdigit() or view[m.start() - 1] == "-"):
                continue
            seen.setdefault(m.group(0), Grounded(value=m.group(0), span=Span(start=m.start(), end=m.end())))
    return list(seen.values())[:5]
