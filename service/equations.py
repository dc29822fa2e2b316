"""The consistency rules (勾稽关系) of report-format.md as equations over canonical keys.

One library, used twice: by the checks step (``service.checks``) to judge a finished table, and by
``service.tables`` while reading, to decide between readings of an ambiguous row. Nothing here changes a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from schemas.keys import (
    APPLICANT_COLUMNS,
    REQUEST_COLUMNS,
    REVIEW_BLOCKS,
    REVIEW_COLUMNS,
    request_rows,
    result_rows,
)

Number = int | Decimal


@dataclass(frozen=True)
class Equation:
    """sum(left) == sum(right), exact, on integers."""

    id: str
    rule: str
    left: tuple[str, ...]
    right: tuple[str, ...]
    keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", frozenset(self.left + self.right))


@cache
def equations(version: str) -> tuple[Equation, ...]:
    """Every rule instance of a format version, in a stable order."""
    eqs: list[Equation] = []
    rows = request_rows(version)
    for col in REQUEST_COLUMNS:
        def r(row: str, col: str = col) -> str:
            return f"requests.{row}.{col}"
        eqs.append(Equation(f"T3-balance[{col}]", "T3-balance", (r("new_received"), r("carried_over")),
                            (r("total"), r("carried_forward"))))
        eqs.append(Equation(f"T3-results[{col}]", "T3-results", (r("total"),),
                            tuple(r(x) for x in result_rows(version))))
    for row in rows:
        eqs.append(Equation(f"T3-columns[{row}]", "T3-columns", (f"requests.{row}.total",),
                            tuple(f"requests.{row}.{c}" for c in APPLICANT_COLUMNS)))
    for block in REVIEW_BLOCKS:
        eqs.append(Equation(f"T4-blocks[{block}]", "T4-blocks", (f"review.{block}.total",),
                            tuple(f"review.{block}.{c}" for c in REVIEW_COLUMNS[:-1])))
    return tuple(eqs)


@cache
def equations_within(version: str, keys: tuple[str, ...]) -> tuple[Equation, ...]:
    """The equations that read only cells among ``keys`` (a row's own rules)."""
    within = frozenset(keys)
    return tuple(eq for eq in equations(version) if eq.keys <= within)


def holds(eq: Equation, values: Mapping[str, Number | None]) -> bool | None:
    """True/False when every cell has a number, None otherwise (fast path used while reading)."""
    try:
        left = _sum(values[k] for k in eq.left)
        right = _sum(values[k] for k in eq.right)
    except (KeyError, TypeError):
        return None
    return left == right


def _sum(numbers: Iterable[Number | None]) -> Decimal | int:
    """Exact sum; raises TypeError on a cell without a number."""
    values = list(numbers)
    if None in values:
        raise TypeError("no number")
    return sum(values)  # type: ignore[arg-type]  # ints and Decimals add exactly
