"""Decide several ambiguous rows of one table together, against every equation of the table.

Two 办理结果 rows with two readings each are four combinations; often only one of them makes every column
of 总计 add up (and 新收 + 结转 = 办理结果 + 结转下年). One row at a time cannot see that (each row's
other readings still leave the other row open), so the rows are searched together.

The search is a depth-first walk over the rows' readings (``Candidate``s), checking each equation as soon as
every row it reads has a reading. It is bounded whatever the text:
  * at most MAX_ROWS ambiguous rows and MAX_READINGS readings a row take part (more: nothing is decided);
  * each reading tried spends one step, at most MAX_STEPS in all, so the work is at most MAX_STEPS times
    the equations checked at a step (a table has fewer than 90);
  * at most MAX_SOLUTIONS combinations that satisfy every equation are collected.
A walk cut short by any bound decides nothing. A row is decided when every combination that satisfies
every equation gives it the same reading, and at least one equation that reads it could be checked: when
one combination alone satisfies the equations, that is each of its rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from service.checks import Equation, Number, holds

MAX_ROWS = 12
MAX_READINGS = 50
MAX_STEPS = 20_000
MAX_SOLUTIONS = 64

Values = Mapping[str, Number | None]


@dataclass(frozen=True)
class Candidate:
    """One ambiguous row: its keys and the values of each of its readings (blank and marks count as 0)."""

    keys: tuple[str, ...]
    readings: tuple[Values, ...]


@dataclass(frozen=True)
class Decision:
    """A row decided jointly: which reading, and the equations that were checked on it."""

    row: int
    reading: int
    proved_by: tuple[str, ...]


def solve(rows: Sequence[Candidate], known: Values, eqs: Sequence[Equation]) -> list[Decision]:
    """Rows (indices into ``rows``) that every combination satisfying the equations reads the same way.

    ``known``: the table's other cells (None = unknown). An equation that reads an unknown cell outside
    ``rows`` cannot be checked and is left out; so is one that reads none of ``rows``.
    """
    if any(len(r.readings) < 2 for r in rows):
        return []
    found = _search(rows, known, eqs)
    if not found:
        return []  # bound hit, or no combination adds up (the report's own sums are off): decide nothing
    order, checks, solutions = found
    decided: list[Decision] = []
    for d, i in enumerate(order):
        picks = {s[d] for s in solutions}
        proved = tuple(eq.id for eq in eqs if eq.keys & set(rows[i].keys) and any(eq in c for c in checks))
        if len(picks) == 1 and proved:
            decided.append(Decision(i, picks.pop(), proved))
    return decided


def feasible(rows: Sequence[Candidate], known: Values, eqs: Sequence[Equation]) -> bool | None:
    """Does some combination of the rows' readings satisfy every equation that can be checked?

    None when a bound stopped the search before it could tell. Equations that read none of ``rows`` are
    checked on ``known`` alone.
    """
    searched = {k for r in rows for k in r.keys}
    if any(holds(eq, known) is False for eq in eqs if not eq.keys & searched):
        return False
    found = _search(rows, known, eqs)
    return None if found is None else bool(found[2])


_Search = tuple[list[int], list[list[Equation]], list[tuple[int, ...]]]


def _search(rows: Sequence[Candidate], known: Values, eqs: Sequence[Equation]) -> _Search | None:
    """The walk: (row order, equations checked at each depth, satisfying combinations); None past a bound."""
    if len(rows) > MAX_ROWS or any(not 0 < len(r.readings) <= MAX_READINGS for r in rows):
        return None
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].readings))  # few readings first: prunes early
    depth_of = {key: d for d, i in enumerate(order) for key in rows[i].keys}
    checks: list[list[Equation]] = [[] for _ in order]  # the equations complete once depth d has a reading
    for eq in eqs:
        depths = [depth_of[k] for k in eq.keys if k in depth_of]
        if depths and all(k in depth_of or known.get(k) is not None for k in eq.keys):
            checks[max(depths)].append(eq)
    values = dict(known)
    solutions: list[tuple[int, ...]] = []
    steps = 0
    chosen: list[int] = []

    def walk(d: int) -> bool:
        """False when a bound was hit (the whole search is then void)."""
        nonlocal steps
        if d == len(order):
            solutions.append(tuple(chosen))
            return len(solutions) <= MAX_SOLUTIONS
        row = rows[order[d]]
        for r, reading in enumerate(row.readings):
            steps += 1
            if steps > MAX_STEPS:
                return False
            values.update(reading)
            if all(holds(eq, values) for eq in checks[d]):
                chosen.append(r)
                ok = walk(d + 1)
                chosen.pop()
                if not ok:
                    return False
        return True

    return (order, checks, solutions) if walk(0) else None
