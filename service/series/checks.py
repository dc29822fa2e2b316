"""Cross-year checks between consecutive reports of one agency.

- ``carry_over``: this year's 上年结转 equals last year's 结转下年度继续办理, in every column of 表三.
- ``in_force`` (2021 format, soft): 现行有效 ≈ last year's 现行有效 + 本年制发 − 本年废止, for 规章 and
  规范性文件. Agencies recount their documents in force (a clean-up, a document that lapsed), so a
  difference is a ``note``, never a failure.
- ``project_count`` (2019 format): 上一年项目数量 equals last year's 上一年项目数量 + last year's 本年增/减.
"""

from __future__ import annotations

from schemas import REQUEST_COLUMNS, Extraction
from schemas.series import SeriesCheck, SeriesRule, SeriesStatus
from service.series.cells import blanks_proved_zero, signed_sum

_IN_FORCE_ROWS = ("regulations", "normative_documents")
_PROJECT_ROWS = ("licensing", "other_services", "punishment", "coercion", "fees")


def cross_year_checks(year: int, current: Extraction, previous: Extraction | None) -> list[SeriesCheck]:
    """The checks reported on ``year``: its report against last year's (``None``: that year is missing)."""
    checks = [_pair("carry_over", col, year, current, previous, [f"requests.carried_over.{col}"],
                    [f"requests.carried_forward.{col}"], []) for col in REQUEST_COLUMNS]
    version = current.meta.format_version
    if version == "2021":
        for row in _IN_FORCE_ROWS:
            checks.append(_pair("in_force", row, year, current, previous, [f"active.{row}.in_force"],
                                [f"active.{row}.in_force"], [f"active.{row}.issued", f"-active.{row}.repealed"]))
    elif version == "2019":
        for row in _PROJECT_ROWS:
            checks.append(_pair("project_count", row, year, current, previous, [f"active.{row}.previous"],
                                [f"active.{row}.previous", f"active.{row}.change"], []))
    return checks


def _pair(rule: SeriesRule, column: str, year: int, current: Extraction, previous: Extraction | None,
          left_keys: list[str], previous_keys: list[str], current_terms: list[str]) -> SeriesCheck:
    """``left_keys`` of this year against ``previous_keys`` of last year plus ``current_terms`` of this year
    (a term prefixed "-" is subtracted)."""
    right_keys = [_named(year - 1, k) for k in previous_keys] + [_named(year, k) for k in current_terms]
    check = SeriesCheck(id=f"{rule}[{column}]", rule=rule, year=year, previous_year=year - 1,
                        status="not_assessable", left_keys=[_named(year, k) for k in left_keys],
                        right_keys=right_keys)
    if previous is None:
        check.reason = f"no report for {year - 1}"
        return check
    if rule != "carry_over" and previous.meta.format_version != current.meta.format_version:
        check.reason = (f"{year - 1} is in the {previous.meta.format_version} format and {year} in the "
                        f"{current.meta.format_version} format: their 表二 rows differ")
        return check
    zero_now, zero_before = blanks_proved_zero(current), blanks_proved_zero(previous)
    left, missing_left = signed_sum(current, left_keys, zero_now)
    right, missing_right = signed_sum(previous, previous_keys, zero_before)
    terms, missing_terms = signed_sum(current, current_terms, zero_now)
    check.blank_as_zero = ([_named(year, k) for k in left_keys + current_terms if k.lstrip("-") in zero_now]
                           + [_named(year - 1, k) for k in previous_keys if k in zero_before])
    missing = [f"{year}:{k}" for k in missing_left + missing_terms] + [f"{year - 1}:{k}" for k in missing_right]
    check.unassessable_keys = missing
    if left is None or right is None or terms is None:
        check.left, check.right = left, (right + terms if right is not None and terms is not None else None)
        check.reason = "a cell has no number: " + ", ".join(missing)
        return check
    check.left, check.right = left, right + terms
    check.status = _status(rule, left == right + terms)
    if check.status == "note":
        check.reason = ("现行有效 differs from last year's plus this year's 制发 minus 废止: documents may have "
                        "lapsed or been recounted; worth a look, not an error")
    return check


def _named(year: int, term: str) -> str:
    """A cell of one year's report, as the check lists it: "2020:requests.total.total", "-2021:…" subtracted."""
    return f"-{year}:{term[1:]}" if term.startswith("-") else f"{year}:{term}"


def _status(rule: SeriesRule, holds: bool) -> SeriesStatus:
    if holds:
        return "pass"
    return "note" if rule == "in_force" else "fail"

