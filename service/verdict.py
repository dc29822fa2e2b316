"""Step 7: the verdict a reviewer acts on, and the counts it rests on.

``pass``: every check passes, no cell is unknown or missing, no section or table is missing or truncated,
and nothing was left unsettled (no warning). ``failed``: some check fails (the report's own arithmetic, or
its prose against its tables). ``not_assessable``: nothing fails, but something could not be checked — so a
truncated report never looks clean.
"""

from __future__ import annotations

from schemas import CellState, CheckStatus, Extraction
from schemas.result import REPAIR_METHODS, Counts, Verdict


def count(result: Extraction) -> Counts:
    """What the verdict rests on."""
    by_method: dict[str, set[str]] = {m: set() for m in REPAIR_METHODS}
    for repair in result.repairs:
        by_method[repair.method].update(k for k in repair.keys if k in result.cells and result.cells[k].repaired)
    statuses = [c.status for c in result.checks]
    states = [c.state for c in result.cells.values()]
    found = {s.number for s in result.sections}
    tables = [t.status for t in result.tables.values()]
    return Counts(
        checks=len(statuses),
        checks_failed=statuses.count(CheckStatus.failed),
        checks_not_assessable=statuses.count(CheckStatus.not_assessable),
        cells_unknown=states.count(CellState.unknown),
        cells_missing=states.count(CellState.missing),
        cells_repaired=sum(1 for c in result.cells.values() if c.repaired),
        repaired_by_method={m: len(keys) for m, keys in by_method.items()},
        sections_missing=sum(1 for n in range(1, 7) if n not in found),
        tables_missing=tables.count("missing"),
        tables_truncated=tables.count("truncated"),
        warnings=len(result.warnings),
    )


def verdict(result: Extraction, counts: Counts) -> Verdict:
    """pass, failed or not_assessable (see the module's docstring)."""
    if counts.checks_failed:
        return "failed"
    unsettled = (counts.checks_not_assessable, counts.cells_unknown, counts.cells_missing, counts.sections_missing,
                 counts.tables_missing, counts.tables_truncated, counts.warnings)
    if not result.is_report or not counts.checks or any(unsettled):
        return "not_assessable"
    return "pass"


def judge(result: Extraction) -> None:
    """Set the result's counts and verdict (in place)."""
    result.counts = count(result)
    result.verdict = verdict(result, result.counts)
