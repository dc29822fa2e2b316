"""Find each row of a table by its label, and cut out the tokens that belong to it.

Text path: labels are searched in printed order on the compact text of the table's region; a row's
tokens lie between the end of its label and the start of the next row's label. Grid path (HTML, DOCX,
PDF tables): a row's label is its text cells joined; its tokens are its cells. Both give ``RawRow``s,
which ``service.tables.assemble`` reads with the same column logic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from service.tables.compact import Compact
from service.tables.locate import Region
from service.tables.specs import RowSpec, TableSpec
from service.tables.tokens import Token, classify_cell, tokenise_region


@dataclass(frozen=True)
class RawRow:
    """A row as printed: which row it is, where its label is, and its value tokens."""

    spec: RowSpec
    label_start: int
    label_end: int
    tokens: tuple[Token, ...]
    open_end: bool = False  # the row's last digits touch text that may have taken some (``tokens.Tokens``)
    displaced: bool = False  # another line of numbers follows before the next label (``tokens.Tokens``)
    second: tuple[Token, ...] = ()  # when displaced: that line's tokens (``settle`` may realign the rows)


@dataclass(frozen=True)
class GridCell:
    """One cell of a table that arrived as a grid; offsets are into the user's text when known."""

    text: str
    start: int = 0
    end: int = 0


def _label_pattern(spec: RowSpec) -> re.Pattern[str]:
    # Matched on the words alone (Compact drops digits); the item number is found in the view (_label_head).
    # Kept by label string: hashing a spec hashes its columns and kinds too.
    pattern = _LABELS.get(spec.label)
    if pattern is None:
        pattern = _LABELS[spec.label] = re.compile(spec.label)
    return pattern


_LABELS: dict[str, re.Pattern[str]] = {}


def rows_from_text(view: str, compact: Compact, region: Region, table: TableSpec) -> list[RawRow]:
    """Rows of a table region in the parse view, in printed order; absent rows are left out."""
    if not table.rows[0].label:  # 表四: one unlabelled data row after the header
        tokens = tokenise_region(view, region.start, region.end) or _blank_line(view, region, table)
        # Without a label, a stray number of the prose ("行政复议2件") is not the table's row.
        capacity = sum(len(t.raw) if t.splittable else 1 for t in tokens)  # printed empty cells count too
        if capacity * 3 < len(table.rows[0].columns):
            return []
        return [RawRow(table.rows[0], region.start, region.start, tuple(tokens))]
    cursor, c_end = compact.bounds(region.start, region.end)
    hits: list[tuple[RowSpec, int, int]] = []
    for spec in table.rows:
        m = _label_pattern(spec).search(compact.text, cursor, c_end)
        if m is None:
            continue
        first, end = compact.to_view(m.start()), compact.end_in_view(m.end())
        # A wrapped label cell can print the row's numbers between its lines: read from the first of them.
        inside = _VALUE.search(view, first, end)
        hits.append((spec, _label_head(view, first, region.start, spec.item), inside.start() if inside else end))
        cursor = m.end()
    rows: list[RawRow] = []
    for i, (spec, start, begin) in enumerate(hits):
        stop = hits[i + 1][1] if i + 1 < len(hits) else region.end
        tokens = tokenise_region(view, begin, stop)
        displaced = getattr(tokens, "displaced", False)
        second = tokenise_region(view, getattr(tokens, "rest_at", stop), stop) if displaced else []
        if getattr(second, "displaced", False):
            second = []  # three lines of numbers: no pairing of lines and labels is offered
        rows.append(RawRow(spec, start, begin, tuple(tokens), getattr(tokens, "open_end", False), displaced,
                           tuple(second)))
    return rows


# A line of empty cells: separators only, with a tab (the look-ahead finds the line's first tab once; a
# pattern that tried every tab of a long run as "the" tab was quadratic), or between pipes.
_EMPTY_CELLS = re.compile(r"(?m)^(?=[^\t\n]*\t)[ \t|]*+$|^[ \t]*\|[ |]*\|[ \t]*$")


def _blank_line(view: str, region: Region, table: TableSpec) -> list[Token]:
    """表四 printed with every cell empty: a line of nothing but separators, as many cells as columns."""
    n = len(table.rows[0].columns)
    for m in _EMPTY_CELLS.finditer(view, region.start, region.end):
        cells = max(m.group(0).count("\t"), m.group(0).count("|") - 1) + 1
        if cells >= n:
            return [Token("blank", m.start(), m.end(), "")] * n
    return []


_VALUE = re.compile(r"[\d/—–\-]|(?<=[\s|])无(?=[\s|])")  # the start of a value cell (a number or a mark)


def _label_head(view: str, first: int, floor: int, item: int | None) -> int:
    """Where a matched label really begins: back over the words just before its keyword, then its item number.

    "2.其他法律行政法规禁止公开" matched at "法律" begins at "2.": left behind, the "2" would read as the
    previous row's eighth value. The walk stays in the view and stops at anything but Chinese characters,
    so it never crosses the previous row's numbers.
    """
    j = first
    while j > max(floor, first - 8) and "\u4e00" <= view[j - 1] <= "\u9fff":
        j -= 1
    if item is None:
        return j
    # This row's own number: in "…20000026.属于四类" the 6 is the item and 2000002 the previous row.
    m = _item_before(item).search(view, max(floor, j - 6), j)
    return m.start() if m else j


@cache
def _item_before(item: int) -> re.Pattern[str]:
    return re.compile(rf"(?:\(?{item}[).、]|\({item}\))[ \t]*$")


def rows_from_grid(grid: Sequence[Sequence[GridCell]], table: TableSpec) -> list[RawRow]:
    """Rows of a table given as a grid of cells, matched to the spec by their label cells."""
    rows: list[RawRow] = []
    specs = list(table.rows)
    for cells in grid:
        tokens: list[Token] = []
        label = ""
        for cell in cells:
            classified = classify_cell(cell.text, cell.start) if cell.text.strip() else [
                Token("blank", cell.start, cell.end, "")]
            if any(t.kind == "text" for t in classified) and not any(t.kind == "num" for t in tokens):
                label += re.sub(r"\s", "", cell.text)
                tokens = []  # cells before and inside the label area are not values
                continue
            tokens.extend(t for t in classified if t.kind != "text")
        spec = _match_grid_label(label, specs)
        if spec is None or not tokens:
            continue
        specs = specs[specs.index(spec) + 1:]
        start = cells[0].start if cells else 0
        rows.append(RawRow(spec, start, start, tuple(tokens)))
    return rows


def _match_grid_label(label: str, specs: Sequence[RowSpec]) -> RowSpec | None:
    if len(specs) == 1 and not specs[0].label:
        return specs[0]
    for spec in specs:
        if spec.label and _label_pattern(spec).search(label):
            return spec
    return None
