"""Read raw rows into canonical cells: fit each row, then settle what is left with the table's equations.

Order of evidence for a row (see ``fit``): as printed → the row's own equations → the layout of the
nearest settled row above (how many empty cells follow its label) → the equations across rows, one row
and then several together (``settle``) → unknown, with a warning that lists the row's candidate readings.
Each decision other than "as printed" becomes a ``Repair``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter

from schemas import Cell, CellState, Repair, Span, TableInfo, Warning
from service.checks import Number, equations, equations_within
from service.tables.fit import Budget, CellReading, Fit, fit_row
from service.tables.rows import RawRow
from service.tables.settle import RowFit, settle
from service.tables.specs import TableSpec, row_keys

_CELLS = TypeAdapter(dict[str, Cell])
_STATE = {"number": CellState.number, "blank": CellState.blank, "not_applicable": CellState.not_applicable}


@dataclass
class TableRead:
    """Cells of one table with what was repaired and what could not be settled."""

    cells: dict[str, Cell] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    info: TableInfo = field(default_factory=lambda: TableInfo(status="missing"))
    missing_rows: list[str] = field(default_factory=list)


def assemble(raw_rows: Sequence[RawRow], table: TableSpec, version: str,
             source: Literal["text", "grid"] = "text", budget: Budget | None = None) -> TableRead:
    """Canonical cells of one table from its raw rows (``budget``: the report's search steps, see ``fit``)."""
    budget = budget or Budget()
    out = TableRead()
    eqs = equations(version)
    fits: list[RowFit] = []
    prior: int | None = None
    for raw in raw_rows:
        row = row_keys(table, raw.spec)
        keys = list(row)
        own = equations_within(version, row)
        if raw.displaced:  # numbers beside the wrong label lines: no reading is the row's for sure
            fit = Fit([None] * len(keys), "ambiguous", None)
        else:
            fit = fit_row(raw.tokens, keys, raw.spec.kinds, own, prior, budget, raw.open_end)
        if fit.chosen is not None and fit.method in ("unique", "arithmetic") and fit.tier == 0:
            prior = fit.chosen.lead_drop
        fits.append(RowFit(raw, keys, fit))
    settle(fits, eqs, version, budget)
    raw_cells: dict[str, dict[str, Any]] = {}
    for rf in fits:
        _emit(rf, out, raw_cells)
    found = {rf.row.spec.key for rf in fits}
    for spec in table.rows:
        if spec.key in found:
            continue
        out.missing_rows.append(spec.key)
        for key in row_keys(table, spec):
            raw_cells[key] = {"state": CellState.missing}
    out.cells = _CELLS.validate_python(raw_cells)
    status: Literal["found", "truncated", "missing"] = \
        "missing" if not fits else ("truncated" if out.missing_rows else "found")
    span = Span(start=raw_rows[0].label_start, end=_row_end(raw_rows[-1])) if raw_rows else None
    out.info = TableInfo(status=status, span=span, rows_found=len(fits), rows_expected=len(table.rows),
                         source=source)
    return out


def _row_end(row: RawRow) -> int:
    return max([row.label_end, *(t.end for t in row.tokens)])


def _emit(rf: RowFit, out: TableRead, raw_cells: dict[str, dict[str, Any]]) -> None:
    fit, keys = rf.fit, rf.keys
    if fit.method == "empty":
        blanks = [t for t in rf.row.tokens if t.kind == "blank"]
        state = CellState.blank if len(blanks) >= len(keys) else CellState.missing
        for key in keys:
            raw_cells[key] = {"state": state}
        if state == CellState.missing:
            out.warnings.append(Warning(code="row_without_values", keys=keys,
                                        message=f"row {rf.row.spec.key!r} is printed without values"))
        return
    repaired = _record_repair(rf, out) or _record_agreement(rf, out)
    unknown: list[str] = []
    number = CellState.number
    for key, reading in zip(keys, fit.cells, strict=True):
        if reading is None:
            raw_cells[key] = {"state": CellState.unknown}
            unknown.append(key)
            continue
        what, value, raw, start, end = reading
        if what == "number" and start is not None and end is not None:  # the common cell
            raw_cells[key] = {"state": number, "value": value, "raw": raw or None,
                              "span": {"start": start, "end": end}, "repaired": repaired}
        else:
            raw_cells[key] = _cell(reading, repaired)
    if unknown:
        why = ("its reading was an interpretation (digits cut, or a cell dropped) that an equation of the "
               "table contradicts" if fit.contradicted else
               "its numbers may be the row above's (a wrapped label above has none, and a label below is "
               "followed by two lines of them)" if fit.shifted_by_layout else
               "two lines of numbers lie between its label and the next one, so which is the row's is not "
               "known" if rf.row.displaced and not fit.realigned else "too many possible readings" if fit.too_many else
               f"{len(fit.alternatives)} readings fit the printed cells and no equation decides between them"
               if fit.alternatives else "the printed cells cannot be fitted to the columns")
        candidates = _candidates(fit, keys, unknown)
        if candidates:
            why += (f"; candidates lists {len(candidates)} of them" if len(candidates) < len(fit.alternatives)
                    or not fit.complete or fit.too_many else "; candidates lists them")
        out.warnings.append(Warning(code="ambiguous_row", keys=unknown, candidates=candidates,
                                    message=f"row {rf.row.spec.key!r}: {why}; these cells are left unknown"))


MAX_CANDIDATES = 10  # readings listed in a warning (表二 rows commonly have two to ten)


def _candidates(fit: Fit, keys: Sequence[str], unknown: Sequence[str]) -> list[dict[str, Number | None]]:
    """The distinct readings of the unknown cells (None: printed empty or a mark), at most MAX_CANDIDATES."""
    wanted = set(unknown)
    out: list[dict[str, Number | None]] = []
    for reading in fit.alternatives:
        candidate = {k: c.value if c.state == "number" else None
                     for k, c in zip(keys, reading.cells, strict=True) if k in wanted}
        if candidate not in out:
            out.append(candidate)
            if len(out) == MAX_CANDIDATES:
                break
    return out if len(out) > 1 else []


def _cell(reading: CellReading | None, repaired: bool) -> dict[str, Any]:
    """A cell as plain data; ``assemble`` validates a table's cells in one call (faster than one by one)."""
    if reading is None:
        return {"state": CellState.unknown}
    span = {"start": reading.start, "end": reading.end} if reading.start is not None and reading.end is not None \
        else None
    if reading.state == "blank":
        return {"state": CellState.blank, "span": span, "repaired": repaired}
    return {"state": _STATE[reading.state], "value": reading.value, "raw": reading.raw or None, "span": span,
            "repaired": repaired}


def _record_agreement(rf: RowFit, out: TableRead) -> bool:
    """Cells of a still-ambiguous row that every reading its equations accept gives the same value."""
    fit = rf.fit
    if fit.chosen is not None or not fit.agreed_by:
        return False
    kept = [k for k, c in zip(rf.keys, fit.cells, strict=True) if c is not None]
    if not kept:
        return False
    row = rf.row.spec.key or "data row"
    out.repairs.append(Repair(
        kind="digit_split", method="arithmetic", keys=kept, proved_by=list(fit.agreed_by),
        reason=f"{row}: digits printed without separators were split; {len(fit.alternatives)} cuts satisfy "
               f"{', '.join(fit.agreed_by)} and all give these cells the same values (the others are unknown)"))
    return True


def _record_repair(rf: RowFit, out: TableRead) -> bool:
    """Add a Repair when the reading is not simply the printed cells in order; True if one was added."""
    fit, chosen = rf.fit, rf.fit.chosen
    if chosen is None:
        return False
    row = rf.row.spec.key or "data row"
    if fit.realigned:
        kind, what = "alignment", ("of two lines of numbers printed beside the next row's label (a wrapped "
                                   "label's numbers centred on another label's line), this row's is taken")
    elif chosen.split:
        kind, what = "digit_split", "digits printed without separators were split"
    elif chosen.dropped:
        kind, what = "dropped_token", "a number at the edge of the row was left out"
    elif fit.method in ("arithmetic", "layout"):
        kind = "spurious_blank" if fit.method == "arithmetic" else "alignment"
        what = f"{chosen.dropped_blanks} of the row's empty cells were taken as spurious"
    else:
        return False
    if fit.method == "arithmetic" and fit.jointly:
        reason = (f"{row}: {what}; searched together with the table's {fit.jointly} other ambiguous rows, every "
                  f"combination of readings under which all the table's equations hold reads it this way "
                  f"({', '.join(fit.proved_by)})")
    elif fit.method == "arithmetic":
        reason = f"{row}: {what}; the only reading under which {', '.join(fit.proved_by)} hold"
    elif fit.method == "layout":
        reason = (f"{row}: {what}, as in the row above (empty cells after the label); "
                  f"the arithmetic cannot decide between {len(fit.alternatives)} readings")
    else:
        reason = f"{row}: {what}; it is the only reading that fills the columns"
    method: Literal["arithmetic", "layout", "unique"] = \
        fit.method if fit.method in ("arithmetic", "layout") else "unique"
    out.repairs.append(Repair(kind=kind, method=method, keys=list(rf.keys), reason=reason,
                              proved_by=list(fit.proved_by)))
    return True
