"""Grounding: where a quote or a number stands in the user's text, by characters (Chinese has no words).

``locate`` finds a quote verbatim (``exact``), else after folding what copying and models change —
whitespace, markdown asterisks, full-width forms, quote-mark styles, an elided middle ("微博…发布信息") —
or as a near match of most of its characters (``fuzzy``), else reports ``none``. Spans are offsets into
the text as the user sent it. ``parse_number`` and ``value_in_quote`` read the numbers a quote writes
(550万, 1500, 两, 二十三), so a backend can check that a fact's value is really in its quote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

from schemas import Span
from service.text import normalise

Grounding = Literal["exact", "fuzzy", "none"]

# ---- numbers ---------------------------------------------------------------------------------------

# A written number: Arabic (thousands commas allowed) or Chinese numerals up to the thousands.
NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
MULTIPLIERS: dict[str, int] = {"万": 10_000, "千": 1_000, "亿": 100_000_000}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# A number as a quote writes it, with a multiplier; Chinese numerals only before a counting unit, so the
# 一 of 一是 or 统一 is not read as 1. A Chinese number starts where its run starts, or after a 千 that a
# digit took as its multiplier (12345千千人), the look-behinds: tried inside a long run without a unit, each
# start read to the run's end again (quadratic); an interior start fails where the run's start failed, as
# it has the same continuation.
_NUMBER_IN_QUOTE = re.compile(
    r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*([万千亿])?"
    r"|(?:(?<![零〇一二两三四五六七八九十百千])|(?<=[^零〇一二两三四五六七八九十百千]千))"
    r"([零〇一二两三四五六七八九十百千]+)\s*([万亿])?"
    r"(?=\s*[余多]?\s*[次场个件条篇期名人家所项批位封份元则轮])")
_NONE_WORDS = re.compile(r"未|没有|无|零|不(?:收取|存在)")


def parse_number(raw: str, multiplier: str | None = None) -> Decimal | None:
    """The value of a written number ("1,500", "1.2", "二十三", "两"), times 万/千/亿; None if unreadable."""
    raw = raw.strip().replace(",", "")
    if not raw:
        return None
    if raw[0].isdigit():
        try:
            value = Decimal(raw)
        except InvalidOperation:
            return None
    else:
        parsed = _chinese_int(raw)
        if parsed is None:
            return None
        value = Decimal(parsed)
    if multiplier:
        value *= MULTIPLIERS[multiplier]
    return value.to_integral_value() if value == value.to_integral_value() else value.normalize()


def _chinese_int(raw: str) -> int | None:
    """二十三 → 23, 一百零五 → 105, 十 → 10; None for strings that are not one number (一一, 十十)."""
    total, digit, last_unit, seen_digit = 0, None, 10_000, False
    for ch in raw:
        if ch in _CN_DIGITS:
            if digit is not None and _CN_DIGITS[ch] != 0 and digit != 0:
                return None  # two digits in a row: a list (一二), not a number
            digit, seen_digit = _CN_DIGITS[ch], True
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit >= last_unit:
                return None
            total += (digit if digit else 1) * unit
            digit, last_unit = None, unit
        else:
            return None
    if not seen_digit and total == 0:
        return None
    return total + (digit or 0)


def numbers_in(quote: str) -> set[Decimal]:
    """Every number ``quote`` writes, multipliers applied (1.2万 → 12000)."""
    found: set[Decimal] = set()
    for m in _NUMBER_IN_QUOTE.finditer(normalise(quote)):
        value = parse_number(m.group(1) or m.group(3), m.group(2) or m.group(4))
        if value is not None:
            found.add(value)
    return found


def value_in_quote(value: Decimal, quote: str) -> bool:
    """Whether ``value`` is written in ``quote``; 0 is also written by a statement of none (未收取…)."""
    if value == 0 and _NONE_WORDS.search(quote):
        return True
    return value in numbers_in(quote)


# ---- locating a quote ------------------------------------------------------------------------------

# Characters that copying or a model adds or drops freely: whitespace and markdown emphasis.
_IGNORABLE = frozenset(" \t\r\n*")
_QUOTE_FOLD = str.maketrans(dict.fromkeys("“”「」『』〝〞＂", '"') | dict.fromkeys("‘’＇", "'"))
_ELLIPSIS = re.compile(r"…+|\.{3,}|。{3,}")
_ELIDED_GAP = 40  # folded characters an ellipsis in a quote may stand for
_NEAR_RATIO = 0.9  # share of a quote's characters a near match must reproduce, in order
_NEAR_MIN_CHARS = 12  # shorter quotes are too easy to match by chance; they must be found as written
_ANCHOR = 4  # characters of a quote that must stand verbatim somewhere for a near match to be tried there
_MAX_ANCHORS = 50  # occurrences of one anchor tried (a common phrase is everywhere in a report)


class Grounder:
    """A text prepared once for locating many quotes in it (the folded text and its offset map)."""

    def __init__(self, text: str) -> None:
        """Fold ``text``: width and quote marks normalised, ignorable characters dropped, offsets kept."""
        self.text = text
        view = normalise(text).translate(_QUOTE_FOLD)
        self._offsets = [i for i, c in enumerate(view) if c not in _IGNORABLE]
        self._folded = "".join(view[i] for i in self._offsets)

    def locate(self, quote: str, hint: int | None = None,
               ranges: Sequence[tuple[int, int]] | None = None) -> tuple[Span | None, Grounding]:
        """Span of ``quote`` (the occurrence nearest ``hint``, inside ``ranges`` when given) and how it matched."""
        if not quote.strip():
            return None, "none"
        exact = _nearest(_occurrences(self.text, quote), hint, len(quote), ranges)
        if exact is not None:
            return Span(start=exact, end=exact + len(quote)), "exact"
        pieces = [_fold(p) for p in _ELLIPSIS.split(quote)]
        pieces = [p for p in pieces if p]
        if not pieces:
            return None, "none"
        span = self._folded_match(pieces, hint, ranges)
        if span is None and len(pieces) == 1 and len(pieces[0]) >= _NEAR_MIN_CHARS:
            span = self._near_match(pieces[0], hint, ranges)
        return (span, "fuzzy") if span is not None else (None, "none")

    def _span(self, fstart: int, fend: int) -> Span:
        """Folded [fstart, fend) back to text offsets."""
        return Span(start=self._offsets[fstart], end=self._offsets[fend - 1] + 1)

    def _folded_match(self, pieces: list[str], hint: int | None,
                      ranges: Sequence[tuple[int, int]] | None) -> Span | None:
        if len(pieces) == 1:
            starts = _occurrences(self._folded, pieces[0])
            candidates = [self._span(s, s + len(pieces[0])) for s in starts]
        else:
            gap = rf".{{0,{_ELIDED_GAP}}}?"
            pattern = re.compile(gap.join(re.escape(p) for p in pieces), re.S)
            candidates = [self._span(m.start(), m.end()) for m in pattern.finditer(self._folded)]
        return _best_span(candidates, hint, ranges)

    def _near_match(self, piece: str, hint: int | None,
                    ranges: Sequence[tuple[int, int]] | None) -> Span | None:
        """The window that reproduces most of the quote's characters in order, anchored by its n-grams."""
        folded, slack = self._folded, len(piece) // 4 + 2
        # Where the quote could start: wherever its head, middle or tail is found verbatim.
        starts: set[int] = set()
        for off in {0, (len(piece) - _ANCHOR) // 2, len(piece) - _ANCHOR}:
            for at in _occurrences(folded, piece[off:off + _ANCHOR])[:_MAX_ANCHORS]:
                starts.add(at - off)
        found: list[tuple[int, Span]] = []
        for start in sorted(starts):
            lo, hi = max(0, start - slack), min(len(folded), start + len(piece) + slack)
            blocks = [b for b in SequenceMatcher(None, folded[lo:hi], piece, autojunk=False).get_matching_blocks()
                      if b.size]
            matched = sum(b.size for b in blocks)
            if matched >= _NEAR_RATIO * len(piece):
                span = self._span(lo + blocks[0].a, lo + blocks[-1].a + blocks[-1].size)
                if _inside(span.start, span.end, ranges):
                    found.append((matched, span))
        if not found:
            return None
        most = max(m for m, _ in found)
        return _best_span([span for m, span in found if m == most], hint, None)


@lru_cache(maxsize=8)
def _grounder(text: str) -> Grounder:
    """One prepared text per recent text: a backend grounds many quotes in the same report."""
    return Grounder(text)


def locate(text: str, quote: str, hint: int | None = None, *,
           ranges: Sequence[tuple[int, int]] | None = None) -> tuple[Span | None, Grounding]:
    """Where ``quote`` is in ``text``: verbatim (exact), after folding or nearly (fuzzy), or not (none)."""
    return _grounder(text).locate(quote, hint, ranges)


def _fold(s: str) -> str:
    return "".join(c for c in normalise(s).translate(_QUOTE_FOLD) if c not in _IGNORABLE)


def _occurrences(haystack: str, needle: str) -> list[int]:
    out, at = [], haystack.find(needle)
    while at >= 0:
        out.append(at)
        at = haystack.find(needle, at + 1)
    return out


def _inside(start: int, end: int, ranges: Sequence[tuple[int, int]] | None) -> bool:
    return ranges is None or any(lo <= start and end <= hi for lo, hi in ranges)


def _nearest(starts: list[int], hint: int | None, length: int,
             ranges: Sequence[tuple[int, int]] | None) -> int | None:
    fitting = [s for s in starts if _inside(s, s + length, ranges)]
    if not fitting:
        return None
    return fitting[0] if hint is None else min(fitting, key=lambda s: abs(s - hint))


def _best_span(spans: list[Span], hint: int | None, ranges: Sequence[tuple[int, int]] | None) -> Span | None:
    fitting = [s for s in spans if _inside(s.start, s.end, ranges)]
    if not fitting:
        return None
    return fitting[0] if hint is None else min(fitting, key=lambda s: abs(s.start - hint))


# ---- clean quote bounds ----------------------------------------------------------------------------

# An enumeration marker or decoration a quote or a problem should not start with: 一是, （一）, 1., 一、,
# 其一, 第一，, markdown emphasis and heading signs.
MARKER = (r"(?:[一二三四五六七八九十]{1,2}是|其[一二三四五六七八九十]{1,2}[,、:]?|第[一二三四五六七八九十]{1,2}[,、:]"
          r"|\([一二三四五六七八九十\d]{1,2}\)|[一二三四五六七八九十]{1,2}、|\d{1,2}[.、](?!\d))")
_LEAD = re.compile(rf"(?:[\s*#>]+|{MARKER})+")
_TRAIL_CHARS = frozenset("*#。;,:、!?")  # and white space


def clean_bounds(view: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without leading markers and decoration, nor trailing punctuation (searched in the view)."""
    m = _LEAD.match(view, start, end)
    if m is not None:
        start = m.end()
    # The trailing run of white space and punctuation, walked back from the end: a search for it (a regex
    # "[…]+$") tries every character of a long run of spaces as its start, quadratic.
    while end > start and (view[end - 1] in _TRAIL_CHARS or view[end - 1].isspace()):
        end -= 1
    return start, max(start, end)
