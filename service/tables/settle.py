"""Settle what the rows' own equations left open, with the equations across rows of the table.

In order (``settle``): one row at a time, to a fixpoint (settling 总计 can settle 新收); the rows that no
equation decides alone, searched together (``joint``); two lines of numbers printed beside the wrong label
lines (``pdftotext -layout``) given one to each row when the equations prove it; and last, interpretations
the table's arithmetic refutes dropped again. Each step only turns unknown cells into proved ones, or
proved-by-interpretation ones back into unknown: a printed value is never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.checks import Equation, Number, equations_within, holds
from service.tables.fit import Budget, CellReading, Fit, Reading, fit_row
from service.tables.joint import Candidate, feasible, solve
from service.tables.rows import RawRow


@dataclass
class RowFit:
    """A printed row, its canonical keys and how it was read."""

    row: RawRow
    keys: list[str]
    fit: Fit


def settle(fits: list[RowFit], eqs: Sequence[Equation], version: str, budget: Budget) -> None:
    """Every cross-row step, in order (see the module docstring)."""
    _settle_across_rows(fits, eqs)
    if _realign(fits, eqs, version, budget):
        _settle_across_rows(fits, eqs)
    _distrust_contradicted(fits, eqs)


def _settle_across_rows(fits: list[RowFit], eqs: Sequence[Equation]) -> None:
    """An ambiguous row is settled when exactly one of its readings makes the cross-row equations hold.

    Settling one row can decide another (the 总计 row, then 新收 by the balance), so it runs to a fixpoint;
    rows that no equation decides alone are then searched together (``joint``), and so on.
    """
    progress = True
    while progress:
        progress = False
        for rf in fits:
            if _open(rf):
                progress |= _settle_row(rf, fits, eqs)
        if not progress:
            progress = _settle_jointly(fits, eqs)


MAX_SHIFT = 6  # rows a shift by one line may run through (a group of wrapped labels)


def _realign(fits: list[RowFit], eqs: Sequence[Equation], version: str, budget: Budget) -> bool:
    """A row without numbers, rows below it, then a row with two lines of them: each line may be the row
    above's.

    ``pdftotext -layout`` prints a wrapped label's numbers beside whichever line the cell centred them on,
    often the first line of the next row's label, whose own numbers come a line later (and so on down a
    group of wrapped labels). The lines are moved up one row each only when every row then reads as printed
    and every equation that reads any of them can be checked and holds, one of them across rows (a column
    sum or the balance). Otherwise the rows between, read by proximity, are left unknown too: their numbers
    may be the row above's. True when rows were realigned.
    """
    done = False
    for j, last in enumerate(fits):
        if not last.row.displaced or not last.row.second:
            continue
        i = j - 1
        while i >= max(0, j - MAX_SHIFT) and any(t.kind == "num" for t in fits[i].row.tokens) \
                and not fits[i].row.displaced:
            i -= 1
        if i < max(0, j - MAX_SHIFT) or fits[i].fit.method != "empty" or fits[i].row.displaced:
            continue  # no row without numbers above: nothing suggests a shift (the last row stays unknown)
        chain = fits[i:j + 1]
        runs = [rf.row.tokens for rf in chain[1:]] + [last.row.second]
        shifted = [fit_row(run, rf.keys, rf.row.spec.kinds, equations_within(version, tuple(rf.keys)), None,
                           budget) for rf, run in zip(chain, runs, strict=True)]
        proof = _shift_proof(fits, chain, shifted, eqs)
        for rf, fit in zip(chain, shifted, strict=True):
            if proof:
                rf.fit = Fit(fit.cells, "arithmetic", fit.chosen, proved_by=proof, realigned=True)
            elif rf is not chain[0] and rf.fit.method != "empty":
                rf.fit = Fit([None] * len(rf.keys), "ambiguous", None, shifted_by_layout=True)
        done = done or bool(proof)
    return done


def _shift_proof(fits: list[RowFit], chain: list[RowFit], shifted: list[Fit], eqs: Sequence[Equation]) -> list[str]:
    """The equations that prove the shifted reading of ``chain`` (all of them, checkable and holding), or []."""
    if any(f.method != "unique" or f.tier for f in shifted):
        return []
    values: dict[str, Number | None] = {}
    for other in fits:
        if other not in chain:
            values.update(_values(other.keys, other.fit.cells))
    for rf, fit in zip(chain, shifted, strict=True):
        values.update(_values(rf.keys, fit.cells))
    rows = [set(rf.keys) for rf in chain]
    keys = set().union(*rows)
    related = [eq for eq in eqs if eq.keys & keys]
    across = [eq for eq in related if not any(eq.keys <= row for row in rows)]
    if not across or any(holds(eq, values) is not True for eq in related):
        return []
    return [eq.id for eq in related]


def _distrust_contradicted(fits: list[RowFit], eqs: Sequence[Equation]) -> None:
    """Rows read by interpretation (a cut, a dropped number or empty cell) are left unknown after all when
    the table's equations cannot all hold, whatever the still-ambiguous rows turn out to be.

    Equations chose those readings; but when the report's own arithmetic is off, a wrong cut can be the one
    that adds up ("771641212121285": 7,7,16,41,2,1212,1285 when the printed 285 is itself wrong), and then
    an equation elsewhere cannot hold. First the interpretations that an equation which can be checked
    refutes are dropped; if the equations still cannot all hold, which interpretation is at fault is not
    known, so none is kept. Cells printed as they are stay, and the checks report the arithmetic error.
    """
    for everything in (False, True):
        interpreted = [rf for rf in fits if rf.fit.chosen is not None
                       and (rf.fit.tier > 0 or rf.fit.method in ("arithmetic", "layout"))
                       or rf.fit.agreed_by and any(c is not None for c in rf.fit.cells)]
        if not interpreted or _feasible(fits, eqs) is not False:
            return
        values: dict[str, Number | None] = {}
        for rf in fits:
            values.update(_values(rf.keys, rf.fit.cells))
        failing = [eq for eq in eqs if holds(eq, values) is False]
        for rf in interpreted:
            if everything or any(eq.keys & set(rf.keys) for eq in failing):
                fit = rf.fit
                rf.fit = Fit([None] * len(rf.keys), "ambiguous", None, fit.alternatives, tier=fit.tier,
                             complete=fit.complete, contradicted=True)


def _feasible(fits: list[RowFit], eqs: Sequence[Equation]) -> bool | None:
    """Can every equation of the table hold for some reading of its still-ambiguous rows (``joint``)?"""
    open_rows = [rf for rf in fits if _open(rf)]
    if len(open_rows) > 8:
        open_rows = []  # too many to search: their cells count as unknown (their equations are not checked)
    return feasible(*_search_input(fits, open_rows), eqs)


def _search_input(fits: list[RowFit], rows: list[RowFit]) -> tuple[list[Candidate], dict[str, Number | None]]:
    """``rows`` as candidates for ``joint``, and the values of every other row's cells."""
    known: dict[str, Number | None] = {}
    for rf in fits:
        if rf not in rows:
            known.update(_values(rf.keys, rf.fit.cells))
    candidates = [Candidate(tuple(rf.keys), tuple(_values(rf.keys, r.cells) for r in rf.fit.alternatives))
                  for rf in rows]
    return candidates, known


def _open(rf: RowFit) -> bool:
    """An ambiguous row whose every reading the row's own equations accept is known."""
    fit = rf.fit
    return fit.method == "ambiguous" and bool(fit.alternatives) and not fit.too_many and fit.complete


def _settle_jointly(fits: list[RowFit], eqs: Sequence[Equation]) -> bool:
    """Several ambiguous rows decided together: see ``joint``. True when any row was decided."""
    rows = [rf for rf in fits if _open(rf) and len(rf.fit.alternatives) > 1]
    if len(rows) < 2:
        return False
    decisions = solve(*_search_input(fits, rows), eqs)
    for d in decisions:
        rf = rows[d.row]
        reading = rf.fit.alternatives[d.reading]
        rf.fit = Fit(list(reading.cells), "arithmetic", reading, rf.fit.alternatives, list(d.proved_by),
                     rf.fit.tier, jointly=len(rows) - 1)
    return bool(decisions)


def _values(keys: Sequence[str], cells: Sequence[CellReading | None]) -> dict[str, Number | None]:
    """A row's cells as equation values: printed blanks and marks count as 0, unknown cells as None."""
    return {k: None if c is None else (c.value if c.state == "number" else 0)
            for k, c in zip(keys, cells, strict=False)}


def _settle_row(rf: RowFit, fits: list[RowFit], eqs: Sequence[Equation]) -> bool:
    keys = set(rf.keys)
    values = _current_values(fits, exclude=rf)
    related = [eq for eq in eqs if eq.keys & keys and not eq.keys <= keys]
    winners: list[tuple[Reading, list[str]]] = []
    for reading in rf.fit.alternatives:
        trial = dict(values)
        trial.update({k: (c.value if c.state == "number" else 0) for k, c in zip(rf.keys, reading.cells, strict=True)})
        verdicts = [(eq.id, holds(eq, trial)) for eq in related]
        if any(v is False for _, v in verdicts):
            continue
        proved = [i for i, v in verdicts if v]
        if proved:
            winners.append((reading, proved))
    if len(winners) != 1:
        return False
    reading, proved = winners[0]
    rf.fit = Fit(list(reading.cells), "arithmetic", reading, rf.fit.alternatives, proved, rf.fit.tier)
    return True


def _current_values(fits: list[RowFit], exclude: RowFit) -> dict[str, Number | None]:
    values: dict[str, Number | None] = {}
    for rf in fits:
        if rf is not exclude:
            values.update(_values(rf.keys, rf.fit.cells))
    return values
