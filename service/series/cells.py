"""Sums of a report's cells, the arithmetic the cross-year checks and the indicators share."""

from __future__ import annotations

from decimal import Decimal

from schemas import APPLICANT_COLUMNS, REVIEW_BLOCKS, REVIEW_COLUMNS, CellState, Extraction


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
    """Blank cells that are 0 by their own group's arithmetic: the group's printed 总计 equals the numbers
    written, so each blank of it is 0 (a report leaves 结果纠正 empty when nothing was corrected). The
    groups are the blocks of 表四 and the rows of 表三 (six applicant columns and 总计)."""
    zero: set[str] = set()
    groups = [(f"review.{b}.total", [f"review.{b}.{c}" for c in REVIEW_COLUMNS if c != "total"])
              for b in REVIEW_BLOCKS]
    groups += [(f"requests.{row}.total", [f"requests.{row}.{c}" for c in APPLICANT_COLUMNS])
               for row in ("new_received", "carried_over", "carried_forward")]
    for total_key, keys in groups:
        total = result.cell_value(total_key)
        cells = [result.cells.get(k) for k in keys]
        if total is None or any(c is None or c.state not in (CellState.number, CellState.blank) for c in cells):
            continue
        if sum(Decimal(result.cell_value(k) or 0) for k in keys) == Decimal(total):
            zero.update(k for k, c in zip(keys, cells, strict=True) if c is not None and c.state == CellState.blank)
    return frozenset(zero)
