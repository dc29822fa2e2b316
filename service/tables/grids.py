"""Tables that arrived as grids (HTML, DOCX, PDF): which grid is 表二/表三/表四, which grid column is which
canonical column, then the rows handed to the core's grid reader (``read_grid``), never flattened to text.

Which table: the header cues (the same as the text path's), row by row, so one grid may hold several
tables; a grid without a cue right after a table's grid (a table split over two pages) continues it.
Which column: the header's leaf cells (the lowest header cell over each grid column) are matched to the
table's column names in order; a data cell goes to the one column its grid columns fall under, so a data
cell spanning two grid columns under a two-column header, and empty spacer columns, are read as printed.
A row the header cannot place (or a table whose header has other names) is given as its printed cells
and read by the core's column logic, the equations included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from service.documents.model import DocCell, Grid
from service.sections import LocatedSection
from service.tables import read_grid
from service.tables.assemble import TableRead
from service.tables.locate import CUES, ORDER
from service.tables.rows import GridCell

# Leaf header names of each table's value columns, in order (compact text, full-width folded).
_HEADERS: dict[str, tuple[re.Pattern[str], ...]] = {
    "requests": tuple(re.compile(p) for p in (r"自然人", r"商业企业", r"科研机构", r"社会公益组织", r"法律服务机构",
                                              r"其[他它](?:组织)?", r"总计|合计")),
    "review": tuple(re.compile(p) for p in (r"(?:结果)?维持", r"(?:结果)?纠正", r"其[他它](?:结果)?", r"尚未审结",
                                            r"总计|合计") * 3),
}
_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?")
_SECTION_TABLE = {2: "active", 3: "requests", 4: "review"}
_GAP_CHARS = 300  # more text than this between two grids: the second does not continue the first


@dataclass
class _Segment:
    table: str
    grid: Grid
    rows: range
    continued: bool = False  # the table began in an earlier grid


def read_grid_tables(view: str, grids: Sequence[Grid], sections: Sequence[LocatedSection],
                     version: str) -> dict[str, TableRead]:
    """Each statutory table found among the grids, read by the grid logic; tables not found are left out."""
    by_table: dict[str, list[_Segment]] = {}
    for seg in _segments(view, grids, sections):
        by_table.setdefault(seg.table, []).append(seg)
    out: dict[str, TableRead] = {}
    for table, segs in by_table.items():
        rows: list[_Row] = []
        columns: list[tuple[int, int]] | None = None
        for seg in segs:
            found = _columns(view, seg, table)
            if found is not None:
                columns = found
            elif columns is not None and len(seg.grid.slots[0]) != len(segs[0].grid.slots[0]):
                columns = None  # a continuation with another column layout: read its rows as printed
            part = _rows(view, seg, columns)
            if seg.continued and rows and part:
                _join_broken_row(rows, part)
            rows += part
        if any(_NUMBER.search(c.text) for row in rows for c in row.values):
            rows = [row for row in rows if any(c.text.strip() for c in (*row.labels, *row.values))]
            if table == "review":  # its one data row has no label: a header row of empty cells is not it
                rows = [row for row in rows if _has_value(row)]
        read = read_grid([[*row.labels, *row.values] for row in rows], table, version)
        if read.info.status != "missing":
            out[table] = read
    return out


@dataclass
class _Row:
    """A row as handed to the core: its label cells, then its value cells."""

    labels: list[GridCell]
    values: list[GridCell]


def _join_broken_row(rows: list[_Row], part: list[_Row]) -> None:
    """A row broken over a page: its label's halves end one table and begin the next (after the header
    printed again, if it is), with the values on either side. The halves become one row."""
    k = next((i for i, row in enumerate(part) if _has_value(row) or not _is_header(row)), len(part))
    if k == len(part):
        return
    head, last = part[k], rows[-1]
    if not _has_value(head) and _words_only(head) and _has_value(last):
        rows[-1] = _Row(_interleave(last.labels, head.labels), last.values)
        del part[k]
    elif _has_value(head) and not _has_value(last) and _words_only(last):
        part[k] = _Row(_interleave(rows.pop().labels, head.labels), head.values)


def _is_header(row: _Row) -> bool:
    text = "".join("".join(c.text.split()) for c in row.labels)
    return any(CUES[t].search(text) for t in ORDER) or any(n.search(text) for names in _HEADERS.values()
                                                           for n in names[:1])


def _has_value(row: _Row) -> bool:
    return any(c.text.strip() for c in row.values)


def _words_only(row: _Row) -> bool:
    """A row of label words that are no header's (half of a row broken over a page)."""
    return any(c.text.strip() for c in row.labels) and not _is_header(row)


def _interleave(before: list[GridCell], after: list[GridCell]) -> list[GridCell]:
    """Label cells of a row's two halves, aligned from the right (the item's own label is the last cell)."""
    words = [c for c in after if c.text.strip()]
    out = [c for c in before if c.text.strip()]
    n = len(out)
    for k, cell in enumerate(reversed(words)):
        at = n - k
        if at <= 0:
            out.insert(0, cell)
        else:
            out.insert(at, cell)
    return out


def _compact(view: str, cell: DocCell) -> str:
    return "".join(view[cell.start:cell.end].split())


def _row_cells(grid: Grid, r: int) -> list[DocCell]:
    """The distinct cells covering row r, left to right."""
    seen: list[int] = []
    for index in grid.slots[r]:
        if index is not None and index not in seen:
            seen.append(index)
    return [grid.cells[i] for i in seen]


def _segments(view: str, grids: Sequence[Grid], sections: Sequence[LocatedSection]) -> list[_Segment]:
    """The grids cut where a table's header cue begins; rows before the first cue continue the table of the
    grid just before (or, failing that, belong to the table of the section the grid lies in)."""
    out: list[_Segment] = []
    previous: _Segment | None = None
    for grid in grids:
        if _outside_tables(grid, sections):
            previous = None
            continue
        continues = previous is not None and _continues(view, previous.grid, grid, sections)
        carried = previous.table if previous is not None and continues else None
        starts: list[tuple[int, str]] = []
        current = carried
        for r in range(len(grid.slots)):
            text = "".join(_compact(view, c) for c in _row_cells(grid, r))
            for table in ORDER[ORDER.index(current) + 1 if current else 0:]:
                if CUES[table].search(text):
                    starts.append((r, table))
                    current = table
                    break
        first = starts[0][0] if starts else len(grid.slots)
        head = carried or _by_section(grid, sections)
        bounds = ([(0, head)] if first > 0 and head and _has_numbers(view, grid, 0, first) else []) + starts
        for k, (r, table) in enumerate(bounds):
            end = bounds[k + 1][0] if k + 1 < len(bounds) else len(grid.slots)
            out.append(_Segment(table, grid, range(r, end), k == 0 and r == 0 and table == carried))
        if bounds:
            previous = out[-1]
        elif not continues:
            previous = None
    return out


def _outside_tables(grid: Grid, sections: Sequence[LocatedSection]) -> bool:
    """A table in section 五 or 六, or in 一 when 二's heading bounds it, is not a statutory table."""
    numbers = {s.number for s in sections}
    return any(s.start <= grid.start < s.end and (s.number >= 5 or s.number == 1 and 2 in numbers)
               for s in sections)


def _continues(view: str, before: Grid, after: Grid, sections: Sequence[LocatedSection]) -> bool:
    """``after`` follows ``before`` with only a little text (a page's foot and head) and no heading between."""
    gap = view[before.end:after.start]
    if len("".join(gap.split())) > _GAP_CHARS:
        return False
    return not any(before.end <= s.start < after.start for s in sections)


def _by_section(grid: Grid, sections: Sequence[LocatedSection]) -> str | None:
    for s in sections:
        if s.start <= grid.start < s.end and s.number in _SECTION_TABLE:
            return _SECTION_TABLE[s.number]
    return None


def _has_numbers(view: str, grid: Grid, lo: int, hi: int) -> bool:
    return any(_NUMBER.fullmatch(_compact(view, c)) for r in range(lo, hi) for c in _row_cells(grid, r))


def _first_data_row(view: str, seg: _Segment) -> int:
    for r in seg.rows:
        if any(_NUMBER.fullmatch(_compact(view, c)) for c in _row_cells(seg.grid, r)):
            return r
    return seg.rows.stop


def _columns(view: str, seg: _Segment, table: str) -> list[tuple[int, int]] | None:
    """The grid columns ``[lo, hi)`` under each canonical column, from the header's leaf cells."""
    names = _HEADERS.get(table)
    if names is None:
        return None
    data = _first_data_row(view, seg)
    if data == seg.rows.start:
        return None
    grid = seg.grid
    leaves: list[tuple[int, int, DocCell]] = []  # (lo, hi, cell) runs of grid columns under one leaf cell
    for c in range(len(grid.slots[0])):
        index = next((grid.slots[r][c] for r in range(data - 1, seg.rows.start - 1, -1)
                      if grid.slots[r][c] is not None), None)
        if index is None:
            continue
        cell = grid.cells[index]
        if leaves and leaves[-1][2] is cell:
            leaves[-1] = (leaves[-1][0], c + 1, cell)
        else:
            leaves.append((c, c + 1, cell))
    columns: list[tuple[int, int]] = []
    for lo, hi, cell in leaves:
        if len(columns) < len(names) and names[len(columns)].fullmatch(_compact(view, cell)):
            columns.append((lo, hi))
    return columns if len(columns) == len(names) else None


def _rows(view: str, seg: _Segment, columns: list[tuple[int, int]] | None) -> list[_Row]:
    rows: list[_Row] = []
    filled = _filled_columns(seg)
    for r in seg.rows:
        cells = _row_cells(seg.grid, r)
        placed = _place(view, cells, r, columns) if columns else None
        if placed is None:
            printed = [_cell(view, c) for c in cells if not _spacer(c, filled)]
            split = max((k + 1 for k, c in enumerate(printed) if c.text.strip() and not _is_value(c.text)),
                        default=0)
            first_value = next((k for k, c in enumerate(printed) if _is_value(c.text)), len(printed))
            split = min(split, first_value)
            placed = _Row(printed[:split], printed[split:])
        rows.append(placed)
    return rows


def _is_value(text: str) -> bool:
    compact = "".join(text.split())
    return bool(_NUMBER.fullmatch(compact) or _is_mark(compact))


def _cell(view: str, cell: DocCell) -> GridCell:
    return GridCell(view[cell.start:cell.end], cell.start, cell.end)


def _filled_columns(seg: _Segment) -> set[int]:
    """Grid columns with a printed character somewhere in the segment."""
    filled: set[int] = set()
    for r in seg.rows:
        for c, index in enumerate(seg.grid.slots[r]):
            if index is not None and c not in filled:
                cell = seg.grid.cells[index]
                if cell.end > cell.start:
                    filled.add(c)
    return filled


def _spacer(cell: DocCell, filled: set[int]) -> bool:
    """An empty cell in a column that is empty all the way down is layout, not a printed value."""
    return cell.start == cell.end and not any(c in filled for c in range(cell.col, cell.col + cell.colspan))


def _place(view: str, cells: list[DocCell], r: int, columns: list[tuple[int, int]]) -> _Row | None:
    """Label cells, then one cell per canonical column (blank where none is printed); None if any cell
    cannot be placed under exactly one column, or the row is a header row."""
    first = columns[0][0]
    labels: list[GridCell] = []
    values: list[DocCell | None] = [None] * len(columns)
    for cell in cells:
        lo, hi = cell.col, cell.col + cell.colspan
        if hi <= first:
            labels.append(_cell(view, cell))
            continue
        if cell.row != r:
            continue  # a value cell spanning down from the row above belongs to that row
        under = [k for k, (a, b) in enumerate(columns) if a < hi and lo < b]
        text = _compact(view, cell)
        if not under:
            if text:
                return None
            continue
        if len(under) > 1:
            return None
        if text and not _NUMBER.search(text) and not _is_mark(text):
            return None  # words under the value columns: a header row, or a shape the header does not fit
        held = values[under[0]]
        if held is not None and text and _compact(view, held):
            return None  # two printed values under one column
        if held is None or text:
            values[under[0]] = cell
    anchor = labels[-1].end if labels else cells[0].start if cells else 0
    return _Row(labels, [_cell(view, c) if c is not None else GridCell("", anchor, anchor) for c in values])


def _is_mark(text: str) -> bool:
    return bool(re.fullmatch(r"[/\\—–\-－─]{1,3}|无|空|暂无|…+", text))
