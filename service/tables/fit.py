"""Fit a row's tokens to the table's columns, and decide between readings only on evidence.

Tiers of reading, tried in order (the first that yields any reading wins):
  0. as printed — every number is one cell; surplus empty cells are spurious (merged headers);
  1. digit runs split — "521000053" may be 52,1,0,0,0,0,53 (no part has a leading zero);
  2. a stray number dropped — only at either end of the row.
Among readings of a tier: one reading → taken; several → the row's own equations (blank counts as 0)
decide; still several → the layout of neighbouring rows (how many empty cells follow the label); still
several → the cells the readings disagree on stay unknown. Every choice is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from service.checks import Equation, holds
from service.tables.specs import ValueKind
from service.tables.tokens import Token

MAX_READINGS = 4000
MAX_PART_DIGITS = 7

ReadingState = Literal["number", "blank", "not_applicable"]
Number = int | Decimal


@dataclass(frozen=True)
class CellReading:
    """What one column of the row holds under a reading."""

    state: ReadingState
    value: Number | None = None
    raw: str = ""
    start: int | None = None
    end: int | None = None

    def identity(self) -> tuple[object, ...]:
        """Readings are the same when states, values and the characters they come from agree."""
        return (self.state, self.value, self.start if self.state != "blank" else None)


@dataclass(frozen=True)
class Reading:
    """One way to read the whole row."""

    cells: tuple[CellReading, ...]
    lead_drop: int  # empty cells before the first value that were taken as spurious
    dropped_blanks: int
    split: bool
    dropped: int

    def key(self) -> tuple[tuple[object, ...], ...]:
        """Identity of the reading for de-duplication."""
        return tuple(c.identity() for c in self.cells)


@dataclass
class Fit:
    """The outcome for one row."""

    cells: list[CellReading | None]  # None = unknown (readings disagree)
    method: Literal["unique", "arithmetic", "layout", "ambiguous", "empty"]
    chosen: Reading | None
    alternatives: list[Reading] = field(default_factory=list)
    proved_by: list[str] = field(default_factory=list)
    tier: int = 0
    too_many: bool = False


def fit_row(tokens: Sequence[Token], keys: Sequence[str], kinds: Sequence[ValueKind],
            equations: Sequence[Equation], layout_prior: int | None) -> Fit:
    """Read ``tokens`` into ``len(keys)`` columns (see the module docstring for the order of evidence)."""
    if not any(t.kind in ("num", "na") for t in tokens):
        return Fit([], "empty", None)
    for tier in (0, 1, 2):
        readings, too_many = _enumerate(tokens, kinds, tier)
        if readings:
            return _choose(readings, keys, equations, layout_prior, tier, too_many)
    return Fit([None] * len(keys), "ambiguous", None, tier=2)


def _choose(readings: list[Reading], keys: Sequence[str], equations: Sequence[Equation],
            layout_prior: int | None, tier: int, too_many: bool) -> Fit:
    if too_many:
        return Fit(_agreement(readings), "ambiguous", None, readings[:50], tier=tier, too_many=True)
    if len(readings) == 1:
        return Fit(list(readings[0].cells), "unique", readings[0], tier=tier,
                   proved_by=_passing(readings[0], keys, equations))
    passing = [r for r in readings if equations and all(_holds0(eq, r, keys) for eq in equations)]
    if len(passing) == 1:
        return Fit(list(passing[0].cells), "arithmetic", passing[0], readings, tier=tier,
                   proved_by=[eq.id for eq in equations])
    pool = passing or readings
    if layout_prior is not None and tier == 0:
        same_layout = [r for r in pool if r.lead_drop == layout_prior]
        if len(same_layout) == 1:
            return Fit(list(same_layout[0].cells), "layout", same_layout[0], pool, tier=tier)
    return Fit(_agreement(pool), "ambiguous", None, pool, tier=tier)


def _agreement(readings: Sequence[Reading]) -> list[CellReading | None]:
    """Cells on which every reading agrees; None where they differ."""
    first = readings[0].cells
    out: list[CellReading | None] = []
    for i, cell in enumerate(first):
        same = all(r.cells[i].identity() == cell.identity() for r in readings[1:])
        out.append(cell if same else None)
    return out


def _holds0(eq: Equation, reading: Reading, keys: Sequence[str]) -> bool:
    """Does the equation hold when printed empty and not-applicable cells count as 0?"""
    values = {k: (c.value if c.state == "number" else 0) for k, c in zip(keys, reading.cells, strict=True)}
    return holds(eq, values) is True


def _passing(reading: Reading, keys: Sequence[str], equations: Sequence[Equation]) -> list[str]:
    return [eq.id for eq in equations if _holds0(eq, reading, keys)]


# ---- enumeration --------------------------------------------------------------------------------------

def _fits(kind: ValueKind, raw: str) -> bool:
    """Is a printed number acceptable in a column of this kind?"""
    signed = raw[:1] in "+-"
    decimal = "." in raw
    if kind == "count":
        return not signed and not decimal
    if kind == "signed":
        return not decimal
    return not signed


def _splits(digits: str, parts: int) -> list[list[str]]:
    """Ways to cut a digit run into ``parts`` numbers without leading zeros."""
    if parts == 1:
        ok = len(digits) <= MAX_PART_DIGITS and (digits == "0" or digits[0] != "0")
        return [[digits]] if ok else []
    out: list[list[str]] = []
    first_max = 1 if digits[0] == "0" else MAX_PART_DIGITS
    for cut in range(1, min(first_max, len(digits) - parts + 1) + 1):
        for rest in _splits(digits[cut:], parts - 1):
            out.append([digits[:cut], *rest])
            if len(out) > MAX_READINGS:
                return out
    return out


def _enumerate(tokens: Sequence[Token], kinds: Sequence[ValueKind], tier: int) -> tuple[list[Reading], bool]:
    """All readings of the tier, de-duplicated; the flag says the cap was hit."""
    n = len(kinds)
    values = [t for t in tokens if t.kind != "blank"]
    first_value = next(i for i, t in enumerate(tokens) if t.kind != "blank")
    # How many columns can the tokens from i on fill at least / at most?
    lo = [0] * (len(tokens) + 1)
    hi = [0] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        t = tokens[i]
        t_lo, t_hi = (0, 1) if t.kind == "blank" else (1, 1)
        if tier >= 1 and t.splittable:
            t_hi = min(len(t.raw), n)
        if tier >= 2 and t.kind != "blank" and values and (t is values[0] or t is values[-1]):
            t_lo = 0
        lo[i], hi[i] = lo[i + 1] + t_lo, hi[i + 1] + t_hi
    out: dict[tuple[tuple[object, ...], ...], Reading] = {}
    too_many = False

    def walk(i: int, acc: list[CellReading], lead: int, blanks: int, split: bool, dropped: int) -> None:
        nonlocal too_many
        if too_many:
            return
        col = len(acc)
        if i == len(tokens):
            if col == n:
                reading = Reading(tuple(acc), lead, blanks, split, dropped)
                out.setdefault(reading.key(), reading)
                too_many = len(out) > MAX_READINGS
            return
        if not lo[i] <= n - col <= hi[i]:
            return
        t = tokens[i]
        if t.kind == "blank":
            walk(i + 1, acc, lead + (i < first_value), blanks + 1, split, dropped)
            if col < n:
                walk(i + 1, [*acc, CellReading("blank", None, "", t.start, t.end)], lead, blanks, split, dropped)
            return
        if tier >= 2 and (t is values[0] or t is values[-1]):
            walk(i + 1, acc, lead, blanks, split, dropped + 1)
        if col >= n:
            return
        if t.kind == "na":
            walk(i + 1, [*acc, CellReading("not_applicable", None, t.raw, t.start, t.end)], lead, blanks,
                 split, dropped)
            return
        if _fits(kinds[col], t.raw):
            walk(i + 1, [*acc, CellReading("number", t.number(), t.raw, t.start, t.end)], lead, blanks,
                 split, dropped)
        if tier >= 1 and t.splittable:
            for parts in range(2, min(len(t.raw), n - col) + 1):
                for pieces in _splits(t.raw, parts):
                    cells, pos = [], t.start
                    for piece in pieces:
                        cells.append(CellReading("number", int(piece), piece, pos, pos + len(piece)))
                        pos += len(piece)
                    walk(i + 1, [*acc, *cells], lead, blanks, True, dropped)

    walk(0, [], 0, 0, False, 0)
    return list(out.values()), too_many
