"""The document model every reader produces: the extracted text, and the tables as grids of cells.

``text`` is what the spans point into: paragraphs and tables in document order, a table written one row
per line with its cells separated by tabs, so every cell of every grid has its characters in ``text``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Format = Literal["text", "html", "docx", "pdf"]


@dataclass(frozen=True)
class DocCell:
    """One printed cell: its span in the text, where it sits in its grid, and how far it spans."""

    start: int
    end: int
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    bbox: tuple[float, float, float, float] | None = None  # PDF points, (x0, top, x1, bottom)


@dataclass
class Grid:
    """A table: its printed cells, and ``slots[r][c]`` the index of the cell covering row r, column c."""

    cells: list[DocCell]
    slots: list[list[int | None]]
    page: int | None = None  # 1-based, PDF only
    start: int = 0  # where the table's text begins and ends
    end: int = 0

    def __post_init__(self) -> None:
        if self.cells:
            self.start, self.end = self.cells[0].start, self.cells[-1].end  # cells are written in order


@dataclass
class Document:
    """A report as read from its file: its format, its text, its tables (grids) and its page count."""

    format: Format
    text: str
    grids: list[Grid] = field(default_factory=list)
    pages: int | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)  # what the reader could not do (tables as images…)
    _index: list[tuple[int, int, int, DocCell]] | None = field(default=None, repr=False)
    _starts: list[int] = field(default_factory=list, repr=False)

    def cell_at(self, offset: int) -> tuple[int, Grid, DocCell] | None:
        """The grid cell whose text holds ``offset`` (index of its grid, the grid, the cell), if any."""
        if self._index is None:
            self._index = sorted(((c.start, c.end, g, c) for g, grid in enumerate(self.grids) for c in grid.cells),
                                 key=lambda e: e[0])
            self._starts = [e[0] for e in self._index]
        k = bisect_right(self._starts, offset) - 1
        while k >= 0:
            start, end, g, cell = self._index[k]
            if start <= offset < end or start == offset == end:
                return g, self.grids[g], cell
            if end < offset:
                return None
            k -= 1
        return None


class TextBuilder:
    """Builds a document's text block by block, and its grids with every cell's span in that text."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.grids: list[Grid] = []

    def paragraph(self, text: str) -> None:
        """A paragraph of flow text (its own line; white space inside it folded to single spaces)."""
        text = " ".join(text.split())
        if text:
            self._write(text + "\n")

    def line(self, text: str) -> None:
        """A line laid out as printed: its tabs (wide gaps between columns) kept, spaces folded."""
        text = "\t".join(" ".join(part.split()) for part in text.split("\t")).strip("\t ")
        if text:
            self._write(text + "\n")

    def verbatim(self, text: str) -> None:
        """Preformatted text, its spaces and tabs kept (columns aligned by spaces are the text path's to read)."""
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        if text.strip():
            self._write(text + "\n")

    def table(self, rows: Sequence[Sequence[tuple[str, int, int]]]) -> Grid | None:
        """A table given as rows of printed cells ``(text, rowspan, colspan)``; spans are expanded to slots."""
        return self.placed_table([(r, c, rs, cs, text, None) for r, c, rs, cs, text, _ in expand_spans(rows)])

    def placed_table(self, placed: Sequence[Placed], page: int | None = None) -> Grid | None:
        """A table of cells already placed: ``(row, col, rowspan, colspan, text, bbox)``."""
        if not placed:
            return None
        n_rows = max(p[0] + p[2] for p in placed)
        n_cols = max(p[1] + p[3] for p in placed)
        if n_rows * n_cols > MAX_SLOTS:  # no report's table is this big: its cells are written as lines
            for line in _by_row(placed, n_rows):
                self.line("\t".join(p[4] for p in line))
            return None
        slots: list[list[int | None]] = [[None] * n_cols for _ in range(n_rows)]
        cells: list[DocCell] = []
        self._write("\n")
        for r, line in enumerate(_by_row(placed, n_rows)):
            for k, (_, c, rs, cs, text, box) in enumerate(line):
                if k:
                    self._write("\t")
                start = self._length
                self._write(" ".join(text.split()))
                for rr in range(r, r + rs):
                    for cc in range(c, c + cs):
                        if slots[rr][cc] is None:
                            slots[rr][cc] = len(cells)
                cells.append(DocCell(start, self._length, r, c, rs, cs, box))
            self._write("\n")
        grid = Grid(cells, slots, page)
        self.grids.append(grid)
        return grid

    def mark(self) -> tuple[int, int, int]:
        """A point to come back to (see ``rollback``)."""
        return len(self._parts), self._length, len(self.grids)

    def rollback(self, mark: tuple[int, int, int]) -> None:
        """Forget everything written since ``mark``."""
        parts, length, grids = mark
        del self._parts[parts:]
        del self.grids[grids:]
        self._length = length

    def text(self) -> str:
        """The text built so far."""
        return "".join(self._parts)

    def _write(self, s: str) -> None:
        self._parts.append(s)
        self._length += len(s)


Placed = tuple[int, int, int, int, str, tuple[float, float, float, float] | None]


def _by_row(placed: Sequence[Placed], n_rows: int) -> list[list[Placed]]:
    rows: list[list[Placed]] = [[] for _ in range(n_rows)]
    for p in placed:
        rows[p[0]].append(p)
    return [sorted(row, key=lambda p: p[1]) for row in rows]


MAX_SPAN = 200  # a rowspan/colspan beyond this is a page's mistake, not a table's shape
MAX_SLOTS = 200_000  # grid positions a table may cover (a report's largest has ~500)


def expand_spans(rows: Sequence[Sequence[tuple[str, int, int]]]) -> list[tuple[int, int, int, int, str, int]]:
    """Place each printed cell on the grid: (row, col, rowspan, colspan, text, index of the cell in ``rows``).

    A cell goes to the first column its row has free (cells spanning down from rows above hold theirs);
    rowspans past the last row are cut to the table.
    """
    taken: set[tuple[int, int]] = set()
    placed: list[tuple[int, int, int, int, str, int]] = []
    area = 0
    index = 0
    n_rows = len(rows)
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            rowspan = max(1, min(rowspan, MAX_SPAN, n_rows - r))
            colspan = max(1, min(colspan, MAX_SPAN))
            if area + rowspan * colspan > MAX_SLOTS:
                rowspan = colspan = 1  # spans past the bound are a page's mistake: the cell as printed
            area += rowspan * colspan
            while (r, c) in taken:
                c += 1
            placed.append((r, c, rowspan, colspan, text, index))
            index += 1
            for rr in range(r, r + rowspan):
                for cc in range(c, c + colspan):
                    taken.add((rr, cc))
            c += colspan
    return placed
