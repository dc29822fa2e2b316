"""Sums of a report's cells, the arithmetic the cross-year checks and the indicators share."""

from __future__ import annotations

from decimal import Decimal

from schemas import REVIEW_BLOCKS, REVIEW_COLUMNS, CellState, Extraction


def signed_sum(result: Extraction, terms: list[str],
               zero: frozenset[str] = frozenset()) -> tuple[Decimal | None, list[str]]:
    """The sum of the cells named by ``terms`` ("-key" subtracts), and the keys that have no number (the
    sum is None when there is any). Keys in ``zero`` are blanks proved to be 0."""
    total = Decimal(0)
    missing: list[str] = []
    for term in terms:
        key = term.removeprefix("-")
        value = 0 if key in zero else result.cell_value(key)
        if value is None:
            missing.append(key)
        else:
            total += -Decimal(value) if term.startswith("-") else Decimal(value)
    return (None if missing else total), missing


def blanks_proved_zero(result: Extraction) -> frozenset[str]:
    """Blank cells of 表四 whose block adds up without them: the printed 总计 equals the numbers written, so
    each blank of the block is 0 (a report leaves 结果纠正 empty when nothing was corrected)."""
    zero: set[str] = set()
    for block in REVIEW_BLOCKS:
        keys = [f"review.{block}.{c}" for c in REVIEW_COLUMNS if c != "total"]
        total = result.cell_value(f"review.{block}.total")
        cells = [result.cells.get(k) for k in keys]
        if total is None or any(c is None or c.state not in (CellState.number, CellState.blank) for c in cells):
            continue
        if sum(Decimal(result.cell_value(k) or 0) for k in keys) == Decimal(total):
            zero.update(k for k, c in zip(keys, cells, strict=True) if c is not None and c.state == CellState.blank)
    return frozenset(zero)
