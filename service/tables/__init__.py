"""Step 3: read the statutory tables (表二, 表三, 表四) into canonical cells.

    locate (regions) → rows (labels → raw rows; text or grid) → fit (tokens → columns)
    → settle (the equations across rows; joint: several rows at once) → assemble (cells)
"""

from __future__ import annotations

from collections.abc import Sequence

from service.sections import LocatedSection
from service.tables.assemble import TableRead, assemble
from service.tables.compact import Compact
from service.tables.fit import Budget
from service.tables.locate import ORDER, Region, locate_tables
from service.tables.rows import GridCell, RawRow, rows_from_grid, rows_from_text
from service.tables.specs import table_spec

__all__ = ["ORDER", "GridCell", "RawRow", "Region", "TableRead", "read_grid", "read_tables"]


def read_tables(view: str, sections: list[LocatedSection], version: str) -> dict[str, TableRead]:
    """Every table of the version, read from the parse view; absent tables come back all missing."""
    # Tables live in sections 二 to 四; the prose of 一, 五 and 六 need not be compacted.
    start = next((s.start for s in sections if s.number == 2), 0)
    end = next((s.start for s in sections if s.number >= 5 and s.start > start), len(view))
    compact = Compact(view, start, end)
    regions = locate_tables(view, compact, sections)
    budget = Budget()  # the search for readings of ambiguous rows, bounded for the whole report
    out: dict[str, TableRead] = {}
    for table in ORDER:
        spec = table_spec(version, table)
        region = regions.get(table)
        rows = rows_from_text(view, compact, region, spec) if region else []
        out[table] = assemble(rows, spec, version, budget=budget)
    return out


def read_grid(grid: Sequence[Sequence[GridCell]], table: str, version: str) -> TableRead:
    """One table given as a grid of cells (HTML, DOCX, PDF), read with the same row and column logic."""
    spec = table_spec(version, table)
    return assemble(rows_from_grid(grid, spec), spec, version, source="grid")
