"""Step 6b: 文表不一致, the prose's counts against the table cells that restate them (rules ``F-…``).

They run after the narrative step, on its facts (rules or LLM) and on the review counts the prose states
(``narrative.review_prose``). Like the table rules they never change a value: the left side is the table's
cells, the right side the prose's count with its quote and span. A rule exists only where the prose states
the count; it is ``not_assessable`` when the table side has no number. Section 六's 信息处理费
(``facts.fees_collected``) is never compared with 表二's 行政事业性收费 (``active.fees.amount``): they are
different fees.
"""

from __future__ import annotations

import re
from decimal import Decimal

from schemas import Check, CheckStatus, Extraction, Span
from service.narrative import NarrativeInput
from service.narrative.review_prose import read_review_counts

NEW = "requests.new_received.total"
CARRIED = "requests.carried_over.total"
RECONSIDERATION = ("review.reconsideration.total",)
LITIGATION = ("review.litigation_direct.total", "review.litigation_after_reconsideration.total")
# The prose's count includes last year's applications: 共收到申请21件（含上年结转2件）, 包括上年结转的….
_COUNTS_BOTH = re.compile(r"(?:含|包括|包含)[^。，,;]{0,4}?(?:上年|上一年度?|去年)(?:度)?结转")


def prose_checks(result: Extraction, doc: NarrativeInput) -> list[Check]:
    """The F- rules this report's prose calls for, with their outcomes."""
    checks: list[Check] = []
    fact = result.facts.get("requests_received")
    if fact is not None:
        checks.append(requests_check(result, fact.value, fact.qualifier, fact.quote, fact.span,
                                     _sentence(doc.text, fact.span)))
    counts = read_review_counts(doc.view, doc.text, doc.tables, result.meta.year)
    for kind, rule, keys in (("reconsideration", "F-reconsideration", RECONSIDERATION),
                             ("litigation", "F-litigation", LITIGATION)):
        said = counts.get(kind)
        if said is not None:
            checks.append(_compare(result, rule, keys, Decimal(said.value), "exact", said.quote,
                                   Span(start=said.start, end=said.end)))
    return checks


def requests_check(result: Extraction, value: Decimal, qualifier: str, quote: str, span: Span | None,
                   context: str = "") -> Check:
    """The applications the prose says were received vs 表三 本年新收, or 新收 + 上年结转 where the prose counts
    both: it says so in its sentence (``context``: 共收到申请21件（含上年结转2件）), or only that sum agrees."""
    if value == 0:  # "未收到…申请": no new application this year; carried-over ones may still be handled
        return _compare(result, "F-no_requests", (NEW,), value, qualifier, quote, span)
    new, carried = result.cell_value(NEW), result.cell_value(CARRIED)
    both = (NEW, CARRIED)
    if _COUNTS_BOTH.search(quote) or _COUNTS_BOTH.search(context):
        return _compare(result, "F-requests_received", both, value, qualifier, quote, span)
    if new is not None and carried and _holds(Decimal(new) + Decimal(carried), value, qualifier) \
            and not _holds(Decimal(new), value, qualifier):
        return _compare(result, "F-requests_received", both, value, qualifier, quote, span)
    return _compare(result, "F-requests_received", (NEW,), value, qualifier, quote, span)


def _sentence(text: str, span: Span | None) -> str:
    """The sentence around a span (to the nearest 。 or line end on either side)."""
    if span is None:
        return ""
    start = max(text.rfind(c, 0, span.start) for c in "。\n") + 1
    ends = [i for i in (text.find(c, span.end) for c in "。\n") if i >= 0]
    return text[start:min(ends) if ends else len(text)]


def _compare(result: Extraction, rule: str, keys: tuple[str, ...], value: Decimal, qualifier: str, quote: str,
             span: Span | None) -> Check:
    base = {"id": rule, "rule": rule, "left_keys": list(keys), "right_keys": [_prose_key(rule)],
            "right": value, "quote": quote, "quote_span": span}
    numbers = [result.cell_value(k) for k in keys]
    missing = [k for k, n in zip(keys, numbers, strict=True) if n is None]
    if missing:
        return Check.model_validate({**base, "status": CheckStatus.not_assessable, "unassessable_keys": missing})
    left = sum((Decimal(n) for n in numbers if n is not None), Decimal(0))
    holds = _holds(left, value, qualifier)
    status = CheckStatus.not_assessable if holds is None else CheckStatus.passed if holds else CheckStatus.failed
    return Check.model_validate({**base, "status": status, "left": left})


def _holds(table: Decimal, prose: Decimal, qualifier: str) -> bool | None:
    """Whether the table's number agrees with the prose's; None for an approximate count (约20件)."""
    if qualifier == "exact":
        return table == prose
    if qualifier == "more_than":
        return table > prose
    if qualifier == "at_least":
        return table >= prose
    return None


def _prose_key(rule: str) -> str:
    return {"F-requests_received": "facts.requests_received", "F-no_requests": "facts.requests_received",
            "F-reconsideration": "prose.reconsideration", "F-litigation": "prose.litigation"}[rule]
