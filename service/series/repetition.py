"""How much of a report's narrative repeats last year's report, sentence by sentence.

The narrative is sections 一, 五 and 六 without the spans of any table. It is cut into sentences at
。！？；and at line ends, except where a long line stops mid-sentence (a PDF's wrapped lines, a page
break): there the sentence goes on, so two years wrapped differently still compare sentence by sentence.

Sentences are compared in a folded form: full-width characters folded, spaces and punctuation dropped,
and a year written as "2021年" replaced by its distance from the report's own year (so "2021年，我镇…"
of the 2021 report equals "2022年，我镇…" of the 2022 report). A sentence is repeated when its folded
form equals one of last year's, or when at least ``NEAR`` of its 4-character shingles are in a single
sentence of last year's (a number updated in a copied sentence). Sentences shorter than ``MIN_CHARS``
folded characters, and headings (a line of at most ``HEADING_CHARS`` characters without a sentence end,
such as "五、存在的主要问题及改进情况"), are not compared: every year prints them alike.

The share is repeated characters / compared characters (folded), so a long copied paragraph weighs more
than a short copied line. A problem of section 五 is "never fixed" when its folded text equals one of
last year's problems.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from schemas import Extraction, Problem, Span
from schemas.series import RepeatedPassage, RepeatedProblem, Repetition
from service.text import normalise

NARRATIVE_SECTIONS = (1, 5, 6)
MIN_CHARS = 8
HEADING_CHARS = 30
NEAR = 0.9
_SHINGLE = 4
_ENDS = "。！？；!?;"
# A sentence end; a line break with the blank lines after it; or a run of spaces (a flattened line break).
_BREAK = re.compile(rf"[{_ENDS}]|[ \t]*+\n\s*+|[ \t]{{2,}}+")
_DROP = re.compile(r"[^\w]|_", re.UNICODE)
_YEAR = re.compile(r"((?:19|20)\d{2})(?=\s*年)")


@dataclass(frozen=True)
class Sentence:
    """A sentence of the narrative: its span in the text, its section and its folded form."""

    start: int
    end: int
    section: int
    folded: str


def narrative_sentences(result: Extraction, text: str) -> list[Sentence]:
    """The sentences of sections 一, 五 and 六 outside the tables, in text order."""
    view = normalise(text)
    tables = [(t.span.start, t.span.end) for t in result.tables.values() if t.span is not None]
    out: list[Sentence] = []
    for section in sorted(result.sections, key=lambda s: s.span.start):
        if section.number in NARRATIVE_SECTIONS:
            out += _cut(view, section.span.start, section.span.end, section.number, result.meta.year, tables)
    return out


def _cut(view: str, lo: int, hi: int, section: int, year: int | None,
         tables: list[tuple[int, int]]) -> list[Sentence]:
    """The sentences of ``view[lo:hi]``: cut at each sentence end, and at a line break unless the line was
    wrapped (long, and stopped mid-sentence) and no table follows. A run of spaces counts as a line break:
    a report flattened onto one line keeps its line ends as double spaces."""
    out: list[Sentence] = []
    start = line_start = lo
    own_line = True  # the current sentence began a line: if it also ends one, short, it is a heading
    for m in _BREAK.finditer(view, lo, hi):
        if m.group()[0] in _ENDS:
            out += _sentence(view, start, m.end(), section, year, tables, heading=False)
            start, own_line = m.end(), False
            continue
        line = view[line_start:m.start()].strip()
        line_start = m.end()
        if line and line[-1] not in _ENDS and len(line) > HEADING_CHARS and not _table_after(m.end(), view, tables):
            continue  # a wrapped line: the sentence goes on
        out += _sentence(view, start, m.start(), section, year, tables, heading=own_line)
        start, own_line = m.end(), True
    out += _sentence(view, start, hi, section, year, tables, heading=own_line)
    return out


def _table_after(at: int, view: str, tables: list[tuple[int, int]]) -> bool:
    after = len(view) - len(view[at:].lstrip())
    return any(lo <= after < hi for lo, hi in tables)


def _sentence(view: str, start: int, end: int, section: int, year: int | None, tables: list[tuple[int, int]],
              *, heading: bool) -> list[Sentence]:
    """The sentence ``view[start:end]`` trimmed, unless it is in a table, a heading (a short line of its own
    without a sentence end, such as "（四）政府信息公开平台建设") or too short to tell."""
    while start < end and view[start].isspace():
        start += 1
    while end > start and view[end - 1].isspace():
        end -= 1
    if start == end or any(lo < end and start < hi for lo, hi in tables):
        return []
    if heading and end - start <= HEADING_CHARS and view[end - 1] not in _ENDS:
        return []
    folded = fold(view[start:end], year)
    return [Sentence(start, end, section, folded)] if len(folded) >= MIN_CHARS else []


def fold(text: str, year: int | None) -> str:
    """The form two sentences are compared in: no spaces or punctuation, years relative to the report's."""
    if year is not None:
        text = _YEAR.sub(lambda m: f"Y{int(m.group(1)) - year:+d}", text)
    return _DROP.sub("", normalise(text))


def repetition(year: int, current: Extraction, text: str, previous: Extraction | None,
               previous_text: str | None) -> Repetition:
    """This year's narrative against last year's (``previous`` None: that year has no report)."""
    rep = Repetition(year=year, previous_year=year - 1, status="not_assessable")
    if previous is None or previous_text is None:
        rep.reason = f"no report for {year - 1}"
        return rep
    mine, theirs = narrative_sentences(current, text), narrative_sentences(previous, previous_text)
    if not mine or not theirs:
        rep.reason = f"no narrative (sections 一, 五, 六) found in the {year if not mine else year - 1} report"
        return rep
    matches = _match(mine, theirs)
    rep.status = "assessed"
    rep.sentences = len(mine)
    rep.characters = sum(len(s.folded) for s in mine)
    rep.repeated_sentences = sum(1 for m in matches if m is not None)
    rep.repeated_characters = sum(len(s.folded) for s, m in zip(mine, matches, strict=True) if m is not None)
    rep.share = round(rep.repeated_characters / rep.characters, 4)
    rep.passages = _passages(mine, matches, text)
    rep.problems_repeated = _problems(current, previous)
    return rep


def _match(mine: list[Sentence], theirs: list[Sentence]) -> list[Sentence | None]:
    """For each of this year's sentences, last year's sentence it repeats, or None."""
    exact: dict[str, Sentence] = {}
    for s in theirs:
        exact.setdefault(s.folded, s)
    index: dict[str, list[int]] = {}
    for i, s in enumerate(theirs):
        for gram in _shingles(s.folded):
            index.setdefault(gram, []).append(i)
    found: list[Sentence | None] = []
    for s in mine:
        if s.folded in exact:
            found.append(exact[s.folded])
            continue
        grams = _shingles(s.folded)
        hits: Counter[int] = Counter()
        for gram in grams:
            hits.update(index.get(gram, ()))
        best = hits.most_common(1)
        found.append(theirs[best[0][0]] if best and best[0][1] >= NEAR * len(grams) else None)
    return found


def _shingles(folded: str) -> set[str]:
    return {folded[i:i + _SHINGLE] for i in range(max(1, len(folded) - _SHINGLE + 1))}


def _passages(mine: list[Sentence], matches: list[Sentence | None], text: str) -> list[RepeatedPassage]:
    """Runs of consecutive repeated sentences of one section, as passages of this year's text."""
    out: list[RepeatedPassage] = []
    run: list[int] = []
    for i, match in enumerate([*matches, None]):
        if match is not None and (not run or mine[run[-1]].section == mine[i].section):
            run.append(i)
            continue
        if run:
            first, last = mine[run[0]], mine[run[-1]]
            prev = matches[run[0]]
            assert prev is not None
            out.append(RepeatedPassage(text=text[first.start:last.end], span=Span(start=first.start, end=last.end),
                                       previous_span=Span(start=prev.start, end=prev.end), sentences=len(run)))
        run = [i] if match is not None else []
    return out


def _problems(current: Extraction, previous: Extraction) -> list[RepeatedProblem]:
    """This year's section-五 problems worded as one of last year's."""
    before: dict[str, Problem] = {}
    for p in previous.problems:
        before.setdefault(fold(p.text, previous.meta.year), p)
    out = []
    for p in current.problems:
        match = before.get(fold(p.text, current.meta.year))
        if match is not None:
            out.append(RepeatedProblem(text=p.text, span=p.span, previous_span=match.span))
    return out
