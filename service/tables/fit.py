"""Fit a row's tokens to the table's columns, and decide between readings only on evidence.

Tiers of reading, tried in order (the first that yields any reading wins):
  0. as printed — every number is one cell; surplus empty cells are spurious (merged headers);
  1. digit runs split — "521000053" may be 52,1,0,0,0,0,53 (no part has a leading zero);
  2. a stray number dropped — only at either end of the row.
Among readings of a tier: one reading → taken; several → the row's own equations (blank counts as 0)
decide; still several → the layout of neighbouring rows (how many empty cells follow the label); still
several → the cells the readings disagree on stay unknown. Every choice is reported.

Beyond tier 0 a reading is only taken when the row's equations accept it (a split no sum supports is an
invention); a row without equations is cut only when one cut alone fills the columns, no number was dropped
and the run does not touch text that may hold some of its digits (``open_end``). A sign starts a cell and
stays with it ("+517" → "+5", "17"); pieces must fit their column (a sign only in a signed column, never an
amount). When several readings remain, the cells they all agree on are kept (with equations: every reading
they accept; without: only cells printed whole). A row printed as one digit run takes a fast path
(``digits.sum_block_cuts``); a "- 4 -" page number caught inside a row with too many cells is dropped first.

The search is bounded whatever the text: MAX_STEPS partial readings a row, MAX_REPORT_STEPS a report
(``Budget``), and rows longer than MAX_ROW_TOKENS or with more than MAX_PAGE_MARKS page marks are not searched.
A row past a bound stays unknown, with a warning ("too many possible readings").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, NamedTuple

from service.equations import Equation, holds
from service.tables.digits import cuts, sum_block_cuts, sum_blocks, valid_piece
from service.tables.specs import ValueKind
from service.tables.tokens import MAX_ROW_CELLS, Token, parse_number, sign_length

_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (rows make hundreds of cells)

MAX_READINGS = 4000
MAX_ALTERNATIVES = 50
# Steps of the search for readings (one a partial reading tried): a row may take MAX_STEPS, a report
# MAX_REPORT_STEPS in all. Real rows take a few hundred; damaged or hostile text could take minutes without
# a bound. A row that runs out is left unknown (with a warning), never guessed.
MAX_STEPS = 20_000
MAX_REPORT_STEPS = 50_000
# Rows longer than this are not searched (the search recurses once a token): real rows hold at most a few
# empty cells more than columns. Nor are rows with more page marks than MAX_PAGE_MARKS.
MAX_ROW_TOKENS = 64
MAX_PAGE_MARKS = 4

ReadingState = Literal["number", "blank", "not_applicable"]
Number = int | Decimal


class CellReading(NamedTuple):
    """What one column of the row holds under a reading."""

    state: ReadingState
    value: Number | None = None
    raw: str = ""
    start: int | None = None
    end: int | None = None

    def identity(self) -> tuple[object, ...]:
        """Readings are the same when states, values and the characters they come from agree."""
        return (self.state, self.value, self.start if self.state != "blank" else None)


class Reading(NamedTuple):
    """One way to read the whole row."""

    cells: tuple[CellReading, ...]
    lead_drop: int  # empty cells before the first value that were taken as spurious
    dropped_blanks: int
    split: bool
    dropped: int

    def key(self) -> tuple[tuple[object, ...], ...]:
        """Identity of the reading for de-duplication (``CellReading.identity`` of each cell, inlined)."""
        return tuple([(c.state, c.value, c.start if c.state != "blank" else None) for c in self.cells])


class Budget:
    """Search steps left, shared by the rows of a report so that its time is bounded whatever the text."""

    def __init__(self, steps: int = MAX_REPORT_STEPS) -> None:
        self.left = steps


@dataclass(slots=True)
class Fit:
    """The outcome for one row (slots: a report builds one per row, and most rows need only the first fields)."""

    cells: list[CellReading | None]  # None = unknown (readings disagree)
    method: Literal["unique", "arithmetic", "layout", "ambiguous", "empty"]
    chosen: Reading | None
    alternatives: list[Reading] = field(default_factory=list)
    proved_by: list[str] = field(default_factory=list)
    tier: int = 0
    too_many: bool = False
    complete: bool = True  # ``alternatives`` holds every reading the row's own equations accept
    jointly: int = 0  # decided together with this many other ambiguous rows (``joint``)
    realigned: bool = False  # numbers taken from the next row's label line (``settle._realign``)
    contradicted: bool = False  # an interpretation the table's other equations refute (``settle``)
    shifted_by_layout: bool = False  # its numbers may be the row above's (``settle._realign``)
    agreed_by: tuple[str, ...] = ()  # the equations whose every solution gives the cells kept (when ambiguous)


def fit_row(tokens: Sequence[Token], keys: Sequence[str], kinds: Sequence[ValueKind],
            equations: Sequence[Equation], layout_prior: int | None, budget: Budget | None = None,
            open_end: bool = False) -> Fit:
    """Read ``tokens`` into ``len(keys)`` columns (see the module docstring for the order of evidence).

    A search for readings spends at most MAX_STEPS of ``budget`` (the report's; a row of its own when None).
    ``open_end``: the row's last digits touch text that may have taken some of them (``tokens.Tokens``).
    """
    if len(tokens) > MAX_ROW_CELLS:  # not a row (see ``tokens``): unknown, never guessed
        return Fit([None] * len(keys), "ambiguous", None, too_many=True)
    values = [t for t in tokens if t.kind != "blank"]
    if values and len(values) == len(kinds):  # the common row: one value per column (no page mark can hide)
        plain = _as_printed(tokens, values, kinds)
        if plain is not None:
            return Fit(list(plain.cells), "unique", plain)  # as printed: nothing to prove, no repair to record
    if not any(t.kind in ("num", "na") for t in values):
        return Fit([], "empty", None)
    budget = budget or Budget(MAX_STEPS)
    options = _page_mark_options(tokens, len(keys))
    if len(options) > MAX_PAGE_MARKS:
        return Fit([None] * len(keys), "ambiguous", None, too_many=True)
    if options:
        fits = [_fit_tokens(o, keys, kinds, equations, layout_prior, budget, open_end) for o in options]
        if len(fits) == 1:
            return fits[0]
        # Two dash-number-dash runs: the row's equations must say which one was the page number.
        adding_up = [f for f in fits if equations and f.chosen is not None
                     and len(_passing(f.chosen, keys, equations)) == len(equations)]
        return adding_up[0] if len(adding_up) == 1 else Fit([None] * len(keys), "ambiguous", None)
    return _fit_tokens(tokens, keys, kinds, equations, layout_prior, budget, open_end)


def _fit_tokens(tokens: Sequence[Token], keys: Sequence[str], kinds: Sequence[ValueKind],
                equations: Sequence[Equation], layout_prior: int | None, budget: Budget,
                open_end: bool = False) -> Fit:
    if not any(t.kind in ("num", "na") for t in tokens):
        return Fit([], "empty", None)  # a row that held nothing but a "- 4 -" page mark
    plain = _as_printed(tokens, [t for t in tokens if t.kind != "blank"], kinds)
    if plain is not None:
        return Fit(list(plain.cells), "unique", plain)  # as printed: nothing to prove, no repair to record
    sum_row = _sum_row_split(tokens, keys, equations)
    if sum_row is not None:
        return sum_row
    if len(tokens) > max(MAX_ROW_TOKENS, 4 * len(keys)):
        return Fit([None] * len(keys), "ambiguous", None, too_many=True)
    row = Budget(min(MAX_STEPS, budget.left))  # this row's share, charged to the report's budget after
    granted = row.left
    try:
        for tier in (0, 1, 2):
            # Beyond "as printed" the readings multiply; only those the row's equations accept are kept.
            keep = None if tier == 0 or not equations else (lambda r: all(_holds0(eq, r, keys) for eq in equations))
            found = _enumerate(tokens, kinds, tier, keep, row)
            if found.count:
                return _choose(found, keys, equations, layout_prior, tier, open_end, tokens)
            if found.too_many:  # the search ran out of steps before any reading: the next tier would too
                return Fit([None] * len(keys), "ambiguous", None, tier=tier, too_many=True)
        return Fit([None] * len(keys), "ambiguous", None, tier=2)
    finally:
        budget.left -= granted - row.left


def _as_printed(tokens: Sequence[Token], values: Sequence[Token], kinds: Sequence[ValueKind]) -> Reading | None:
    """The common case: exactly one printed value per column, every empty cell spurious (``values``: the
    tokens that are not empty cells)."""
    if len(values) != len(kinds):
        return None
    cells: list[CellReading] = []
    append = cells.append
    # Unpacked, not read field by field: this loop runs for nearly every cell of every report.
    for (what, start, end, raw, _line), kind in zip(values, kinds, strict=True):
        if what == "na":
            append(_new(CellReading, ("not_applicable", None, raw, start, end)))
        elif what != "num":
            return None
        elif raw.isdecimal():  # the common cell: a bare count fits every kind of column
            append(_new(CellReading, ("number", int(raw), raw, start, end)))
        elif _fits(kind, raw):
            append(_new(CellReading, ("number", parse_number(raw), raw, start, end)))
        else:
            return None
    lead = tokens.index(values[0]) if values else 0
    return _new(Reading, (tuple(cells), lead, len(tokens) - len(values), False, 0))


def _sum_row_split(tokens: Sequence[Token], keys: Sequence[str], equations: Sequence[Equation]) -> Fit | None:
    """Fast path for a whole row printed as one digit run, in blocks that end in their own total.

    "31620000318" → 316,2,0,0,0,0,318. Equivalent to tier 1 of the general search for such rows, without
    its combinatorial cost (see ``digits``).
    """
    values = [t for t in tokens if t.kind != "blank"]
    n = len(keys)
    if len(values) != 1 or not values[0].raw.isdecimal() or len(values[0].raw) < n:
        return None
    blocks = sum_blocks(keys, equations)
    if blocks is None:
        return None
    token = values[0]
    readings: list[Reading] = []
    for pieces in sum_block_cuts(token.raw, blocks):
        readings.append(_split_reading(token, pieces))
        if len(readings) > MAX_ALTERNATIVES:
            return Fit([None] * n, "ambiguous", None, tier=1, too_many=True)
    if len(readings) == 1:
        return Fit(list(readings[0].cells), "arithmetic", readings[0], tier=1, proved_by=[e.id for e in equations])
    # None adds up: nothing is safe to keep. Several do: the cells they all agree on are proved (as a unique
    # cut would be), and the table's other equations may still decide the rest.
    agreed: list[CellReading | None] = _agreement(readings) if readings else [None] * n
    return Fit(agreed, "ambiguous", None, readings, tier=1,
               agreed_by=tuple(e.id for e in equations) if any(c is not None for c in agreed) else ())


def _split_reading(token: Token, pieces: list[str]) -> Reading:
    """The reading that cuts one digit run into ``pieces``."""
    cells, pos = [], token.start
    for piece in pieces:
        cells.append(CellReading("number", int(piece), piece, pos, pos + len(piece)))
        pos += len(piece)
    return Reading(tuple(cells), 0, 0, True, 0)


_DASHES = ("-", "—", "–", "--", "——")


def _page_mark_options(tokens: Sequence[Token], n: int) -> list[list[Token]]:
    """The row without one "- 4 -" page number each, when a flattened page break left one among too many cells.

    A page mark has the same dash on both sides; "— 7 -" is a not-applicable cell, a total and a dash.
    """
    if sum(t.kind != "blank" for t in tokens) <= n:
        return []
    options = []
    for i in range(len(tokens) - 3, -1, -1):  # from the end: a page break usually follows the row's values
        a, b, c = tokens[i:i + 3]
        if (a.kind == c.kind == "na" and a.raw == c.raw and a.raw in _DASHES and b.kind == "num"
                and b.raw.isdecimal() and len(b.raw) <= 3):
            options.append([*tokens[:i], *tokens[i + 3:]])
            if len(options) > MAX_PAGE_MARKS:
                break  # too many to try: the caller gives up on the row
    return options


def _choose(found: _Found, keys: Sequence[str], equations: Sequence[Equation],
            layout_prior: int | None, tier: int, open_end: bool = False, tokens: Sequence[Token] = ()) -> Fit:
    readings = found.kept or found.others
    if found.too_many or (tier and found.count > 1 and len(found.kept) != 1):
        # Several splits of a digit run: the cells on which every reading agrees are kept. In a row without
        # equations every reading is kept, and only cells printed whole count ("12+517": the sign starts a
        # new cell, so 12 is one cell whatever the cut after it; a cut piece needs a proof). Where equations
        # filtered the readings, a cell every satisfying reading gives the same value is proved by them, as
        # a unique cut would be (and refused with it when the table's arithmetic is off, see ``settle``).
        agreed: list[CellReading | None] = []
        if not found.too_many and not open_end and found.kept:
            agreed = _agreement(found.kept)
            if not equations:
                whole = {(t.start, t.end) for t in tokens}
                agreed = [c if c is not None and (c.start, c.end) in whole else None for c in agreed]
        proved = tuple(eq.id for eq in equations) if equations and any(c is not None for c in agreed) else ()
        return Fit(agreed or [None] * len(keys), "ambiguous", None, readings[:MAX_ALTERNATIVES], tier=tier,
                   too_many=found.too_many,
                   complete=bool(found.kept) and len(found.kept) <= MAX_ALTERNATIVES and not found.too_many,
                   agreed_by=proved)
    if tier and (equations and not found.kept or not equations and (tier == 2 or open_end)):
        # A split or a dropped number is an interpretation: only the row's equations can justify it. A
        # row without equations may be cut only when every digit is surely its own (no stray number
        # dropped, no text glued to the run) and one cut alone fills the columns.
        return Fit([None] * len(keys), "ambiguous", None, readings[:MAX_ALTERNATIVES], tier=tier,
                   complete=bool(found.kept) and len(found.kept) <= MAX_ALTERNATIVES)
    if found.count == 1:
        if tier and not equations and _blank_may_have_vanished(readings[0], tokens):
            return Fit([None] * len(keys), "ambiguous", None, readings, tier=tier)
        return Fit(list(readings[0].cells), "unique", readings[0], tier=tier,
                   proved_by=_passing(readings[0], keys, equations))
    passing = found.kept if tier else [r for r in readings if equations and
                                       all(_holds0(eq, r, keys) for eq in equations)]
    if len(passing) == 1:
        return Fit(list(passing[0].cells), "arithmetic", passing[0], readings, tier=tier,
                   proved_by=[eq.id for eq in equations])
    pool = passing or readings
    agreed = _agreement(readings)  # over every reading: safe even if the report's own sums are off
    if layout_prior is not None and tier == 0:
        same_layout = [r for r in pool if r.lead_drop == layout_prior]
        if len(same_layout) == 1:
            return Fit(list(same_layout[0].cells), "layout", same_layout[0], pool, tier=tier)
    return Fit(agreed, "ambiguous", None, pool, tier=tier)


def _blank_may_have_vanished(reading: Reading, tokens: Sequence[Token]) -> bool:
    """Could a run cut into m cells also be fewer numbers, the row's other cells printed empty?

    Run together, an empty cell leaves no trace: "125" in three columns is 1,2,5 — or 12,(empty),5. A row
    without equations is cut only when none of its runs can be read as fewer numbers ("000": 00 is no
    number, so three zeros are three cells).
    """
    for t in tokens:
        if not t.splittable:
            continue
        parts = sum(1 for c in reading.cells if c.start is not None and t.start <= c.start < t.end)
        digits = t.raw[sign_length(t.raw):]
        if parts > 1 and (valid_piece(digits) or any(next(cuts(digits, k), None) for k in range(2, parts))):
            return True
    return False


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
    signed = sign_length(raw) > 0
    decimal = "." in raw
    if kind == "count":
        return not signed and not decimal
    if kind == "signed":
        return not decimal
    return not signed


@dataclass
class _Found:
    """Readings of one tier: those kept (all, or those the equations accept) and a few others."""

    kept: list[Reading] = field(default_factory=list)
    others: list[Reading] = field(default_factory=list)
    count: int = 0  # distinct readings seen, kept or not
    too_many: bool = False


def _enumerate(tokens: Sequence[Token], kinds: Sequence[ValueKind], tier: int,
               keep: Callable[[Reading], bool] | None, budget: Budget) -> _Found:
    """Distinct readings of the tier; ``keep`` filters what is stored (the count covers all).

    Each partial reading tried spends a step of ``budget``; when none is left the search stops (too_many).
    """
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
            t_hi = min(len(t.raw) - sign_length(t.raw), n)
        if tier >= 2 and t.kind != "blank" and values and (t is values[0] or t is values[-1]):
            t_lo = 0
        lo[i], hi[i] = lo[i + 1] + t_lo, hi[i + 1] + t_hi
    seen: set[tuple[tuple[object, ...], ...]] = set()
    found = _Found()

    def walk(i: int, acc: list[CellReading], lead: int, blanks: int, split: bool, dropped: int) -> None:
        budget.left -= 1
        if found.too_many or budget.left < 0:
            found.too_many = True
            return
        col = len(acc)
        if i == len(tokens):
            if col == n:
                reading = Reading(tuple(acc), lead, blanks, split, dropped)
                key = reading.key()
                if key in seen:
                    return
                seen.add(key)
                found.count += 1
                if keep is None or keep(reading):
                    found.kept.append(reading)
                elif len(found.others) < 2:
                    found.others.append(reading)
                found.too_many = len(found.kept) > MAX_READINGS
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
            # Only as many parts as leave the rest of the row able to fill the remaining columns.
            sign = t.raw[:sign_length(t.raw)]  # "+517": the sign belongs to the first part ("+5", "17")
            digits = t.raw[len(sign):]
            fewest, most = max(2, n - col - hi[i + 1]), min(len(digits), n - col - lo[i + 1])
            for parts in range(fewest, most + 1):
                for pieces in cuts(digits, parts):
                    if found.too_many:
                        return
                    cells, pos = [], t.start
                    for j, piece in enumerate(pieces):
                        raw = sign + piece if j == 0 else piece
                        # An amount is never cut out of a run of digits (its decimals and unit are lost).
                        if kinds[col + j] == "money" or not _fits(kinds[col + j], raw):
                            break
                        cells.append(CellReading("number", parse_number(raw), raw, pos, pos + len(raw)))
                        pos += len(raw)
                    else:
                        walk(i + 1, [*acc, *cells], lead, blanks, True, dropped)

    walk(0, [], 0, 0, False, 0)
    return found
