"""Reconsideration and litigation counts as the prose states them (行政复议2件 / 未发生行政复议、行政诉讼案件).

Read by rules whatever the narrative backend, for the 文表不一致 checks against 表四 only; they are not
narrative facts. Precision over recall: a count is read only where 行政复议/行政诉讼 is followed at once by
its number (``行政复议案件2件``), and "none" only where a negation governs the cases themselves
(``未发生…行政复议、行政诉讼案件``), never their outcome (``未发生行政复议被纠错的情况``). Tables are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = {"复议": "reconsideration", "诉讼": "litigation"}

_CLAUSE_STOP = r"。;!?\n，,"
# A count right after the kind: 行政复议2件, 被申请行政复议案件共2件, 行政诉讼案件数为1起.
_COUNT = re.compile(r"行政(复议|诉讼)(?:案件|申请|案)?(?:共|总数|数量|数)?(?:为|是|:)?"
                    r"[ \t]*(\d{1,5})[ \t]*(?:件|起|宗|例)")
# None: a negation, then (within the clause, no digit) the kind, maybe a second kind, then the cases.
_NONE = re.compile(
    rf"(?:未|没有|无(?!论))(?:发生|出现|收到|产生|涉及|接到|引发|发生过)?[^{_CLAUSE_STOP}\d]{{0,24}}?"
    r"行政(复议|诉讼)"
    rf"(?:(?:[、和及与或]|以及)[^{_CLAUSE_STOP}\d]{{0,6}}?(?:行政)?(复议|诉讼))?"
    rf"(?:的)?(?:案件|事件|情况|情形|事项|纠纷|申请|案)?(?=[{_CLAUSE_STOP}]|$)")
# Another year's figures are not this report's (较上年…, 去年…, or a year named that is not the report's).
_OTHER_YEAR = re.compile(r"上年|上一年|去年|同比|较|比")
_YEAR = re.compile(r"((?:19|20)\d\d)\s*年")


@dataclass(frozen=True)
class ProseCount:
    """A count the prose states: the kind, its value, the quoted clause and where it is."""

    kind: str
    value: int
    quote: str
    start: int
    end: int


def read_review_counts(view: str, text: str, skip: tuple[tuple[int, int], ...] = (),
                       year: int | None = None) -> dict[str, ProseCount]:
    """``reconsideration``/``litigation`` → the count the prose states in the report's ``year`` (when known);
    a kind stated with two values is dropped."""
    found: dict[str, list[ProseCount]] = {}

    def add(kind: str, value: int, start: int, end: int) -> None:
        if any(a <= start < b for a, b in skip):
            return
        clause_start = max(view.rfind(c, 0, start) for c in _CLAUSE_STOP) + 1
        if _OTHER_YEAR.search(view, clause_start, start):
            return
        sentence_start = max(view.rfind(c, 0, start) for c in "。\n") + 1
        if year is not None and any(int(y) != year for y in _YEAR.findall(view, sentence_start, start)):
            return
        found.setdefault(KINDS[kind], []).append(ProseCount(KINDS[kind], value, text[start:end], start, end))

    for m in _COUNT.finditer(view):
        add(m.group(1), int(m.group(2)), m.start(), m.end())
    for m in _NONE.finditer(view):
        for group in (1, 2):
            if m.group(group):
                add(m.group(group), 0, m.start(), m.end())
    out: dict[str, ProseCount] = {}
    for kind, counts in found.items():
        if len({c.value for c in counts}) == 1:
            out[kind] = min(counts, key=lambda c: c.start)
    return out
