"""PDF page geometry → tables: ruling lines from the page's path objects, the grid of areas they enclose
(a missing line between two areas is a merged cell), and each character placed in the area its box falls in.
"""

from __future__ import annotations

import ctypes
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from service.documents.model import Placed

LINE_WIDTH = 2.5  # a path thinner than this (points) is a ruling line
SNAP = 2.5  # lines closer than this are one line (double borders)
MAX_SEGMENTS = 20_000  # a path of more segments is a drawing (a map, a chart), not a table's rules
_NUMERIC = frozenset("0123456789.,")
Line = tuple[float, float, float]  # horizontal (y, x0, x1) or vertical (x, top, bottom), top-down coordinates


@dataclass(frozen=True)
class Char:
    """A printed character and its box (points, from the page's top left)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def mid(self) -> tuple[float, float]:
        """The box's centre."""
        return (self.x0 + self.x1) / 2, (self.top + self.bottom) / 2


@dataclass
class Table:
    """A ruled table: the x and y of its lines, and which base cells (between adjacent lines) merge."""

    xs: list[float]
    ys: list[float]
    owner: list[list[int]]  # base cell (row, col) → merged cell id
    boxes: dict[int, tuple[int, int, int, int]]  # merged cell id → (r0, c0, r1, c1) base cells, inclusive

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """The table's outer box: x0, top, x1, bottom."""
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def ruling_lines(page: pdfium.PdfPage, height: float) -> tuple[list[Line], list[Line]]:
    """The page's ruling lines: horizontal (y, x0, x1) and vertical (x, top, bottom), top-down coordinates."""
    hs: list[tuple[float, float, float]] = []
    vs: list[tuple[float, float, float]] = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=4):
        left, bottom, right, top = obj.get_bounds()
        y0, y1 = height - top, height - bottom
        w, h = right - left, y1 - y0
        if h <= LINE_WIDTH and w > LINE_WIDTH:
            hs.append(((y0 + y1) / 2, left, right))
        elif w <= LINE_WIDTH and h > LINE_WIDTH:
            vs.append(((left + right) / 2, y0, y1))
        elif w > LINE_WIDTH and h > LINE_WIDTH:
            n = pdfium_c.FPDFPath_CountSegments(obj.raw)
            if n <= 6:  # a cell or a table drawn as a rectangle: its four sides
                hs += [(y0, left, right), (y1, left, right)]
                vs += [(left, y0, y1), (right, y0, y1)]
            elif n <= MAX_SEGMENTS:  # a whole grid drawn as one path: its straight pieces
                _path_lines(obj, n, height, hs, vs)
    return hs, vs


def _path_lines(obj: Any, n: int, height: float, hs: list[tuple[float, float, float]],
                vs: list[tuple[float, float, float]]) -> None:
    """The horizontal and vertical pieces of a path's line segments (closing segments included)."""
    m = obj.get_matrix()
    x, y = ctypes.c_float(), ctypes.c_float()
    start: tuple[float, float] | None = None
    prev: tuple[float, float] | None = None
    for k in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj.raw, k)
        if not pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y)):
            continue
        point = (m.a * x.value + m.c * y.value + m.e, height - (m.b * x.value + m.d * y.value + m.f))
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and prev is not None:
            _piece(prev, point, hs, vs)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            start = point
        prev = point
        if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
            _piece(point, start, hs, vs)
            prev = start


def _piece(p: tuple[float, float], q: tuple[float, float], hs: list[tuple[float, float, float]],
           vs: list[tuple[float, float, float]]) -> None:
    dx, dy = abs(p[0] - q[0]), abs(p[1] - q[1])
    if dy <= 0.5 and dx > LINE_WIDTH:
        hs.append(((p[1] + q[1]) / 2, min(p[0], q[0]), max(p[0], q[0])))
    elif dx <= 0.5 and dy > LINE_WIDTH:
        vs.append(((p[0] + q[0]) / 2, min(p[1], q[1]), max(p[1], q[1])))


def _by_edge(edges: list[float], lines: list[tuple[float, float, float]]) -> dict[int, list[tuple[float, float]]]:
    """The lines (position, from, to) grouped by the index of the snapped edge they lie on."""
    out: dict[int, list[tuple[float, float]]] = {}
    for pos, lo, hi in lines:
        k = min(max(bisect_left(edges, pos), 0), len(edges) - 1)
        if k > 0 and abs(edges[k - 1] - pos) < abs(edges[k] - pos):
            k -= 1
        if abs(edges[k] - pos) <= SNAP:
            out.setdefault(k, []).append((lo, hi))
    return out


def _root(parent: list[int], i: int) -> int:
    """The representative of ``i``'s set (union-find with path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _snap(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > SNAP:
            out.append(v)
    return out


def find_tables(lines: tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]) -> list[Table]:
    """Groups of crossing lines, each made a table of base cells merged where a line between them is missing."""
    hs, vs = lines
    if len(hs) < 2 or len(vs) < 2:
        return []
    parent = list(range(len(hs) + len(vs)))
    order = sorted(range(len(vs)), key=lambda j: vs[j][0])
    v_xs = [vs[j][0] for j in order]
    for i, (y, x0, x1) in enumerate(hs):
        # only the vertical lines whose x falls within this line's extent (bisection over them sorted by x)
        for k in range(bisect_left(v_xs, x0 - SNAP), bisect_right(v_xs, x1 + SNAP)):
            j = order[k]
            if vs[j][1] - SNAP <= y <= vs[j][2] + SNAP:
                parent[_root(parent, i)] = _root(parent, len(hs) + j)
    groups: dict[int, tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(_root(parent, i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(_root(parent, len(hs) + j), ([], []))[1].append(v)
    # A line inside a merged area (a border drawn per cell, under a cell spanning columns) may cross no
    # other line: it belongs to the table whose box holds it.
    ruled = [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]
    boxes = [(min(v[0] for v in g[1]), min(h[0] for h in g[0]), max(v[0] for v in g[1]), max(h[0] for h in g[0]))
             for g in ruled]
    for g in groups.values():
        if len(g[0]) >= 2 and len(g[1]) >= 2:
            continue
        for y, x0, x1 in g[0]:
            for k, (bx0, by0, bx1, by1) in enumerate(boxes):
                if by0 - SNAP <= y <= by1 + SNAP and bx0 - SNAP <= x0 and x1 <= bx1 + SNAP:
                    ruled[k][0].append((y, x0, x1))
                    break
        for x, t, b in g[1]:
            for k, (bx0, by0, bx1, by1) in enumerate(boxes):
                if bx0 - SNAP <= x <= bx1 + SNAP and by0 - SNAP <= t and b <= by1 + SNAP:
                    ruled[k][1].append((x, t, b))
                    break
    tables = [table for g in ruled if (table := _table(*g)) is not None]
    return sorted(tables, key=lambda t: t.ys[0])


def _table(hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]]) -> Table | None:
    # The vertical lines' ends bound the table too: a table continued from the page before has no top line.
    xs = _snap([v[0] for v in vs])
    ys = _snap([h[0] for h in hs] + [min(v[1] for v in vs), max(v[2] for v in vs)])
    if len(xs) < 2 or len(ys) < 2 or len(xs) + len(ys) < 5:  # a row of two cells, or two rows of one
        return None
    rows, cols = len(ys) - 1, len(xs) - 1

    v_at = _by_edge(xs, vs)  # the lines at each x (y) edge, so a lookup scans a few lines, not all
    h_at = _by_edge(ys, hs)

    def v_line(c: int, r: int) -> bool:  # a vertical line at xs[c] through the middle of row r
        mid = (ys[r] + ys[r + 1]) / 2
        return any(t - SNAP <= mid <= b + SNAP for t, b in v_at.get(c, ()))

    def h_line(r: int, c: int) -> bool:  # a horizontal line at ys[r] through the middle of column c
        mid = (xs[c] + xs[c + 1]) / 2
        return any(x0 - SNAP <= mid <= x1 + SNAP for x0, x1 in h_at.get(r, ()))

    parent = list(range(rows * cols))
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not v_line(c + 1, r):
                parent[_root(parent, r * cols + c)] = _root(parent, r * cols + c + 1)
            if r + 1 < rows and not h_line(r + 1, c):
                parent[_root(parent, r * cols + c)] = _root(parent, (r + 1) * cols + c)
    owner = [[_root(parent, r * cols + c) for c in range(cols)] for r in range(rows)]
    boxes: dict[int, tuple[int, int, int, int]] = {}
    for r in range(rows):
        for c in range(cols):
            o = owner[r][c]
            r0, c0, r1, c1 = boxes.get(o, (r, c, r, c))
            boxes[o] = (min(r0, r), min(c0, c), max(r1, r), max(c1, c))
    return Table(xs, ys, owner, boxes)


def table_cells(table: Table, chars: list[Char]) -> list[Placed]:
    """The table's merged cells with their text (lines of characters) and boxes, placed on the base grid."""
    content: dict[int, list[Char]] = {o: [] for o in table.boxes}
    last_r, last_c = len(table.ys) - 2, len(table.xs) - 2
    for ch in chars:
        x, y = ch.mid
        r = min(max(bisect_right(table.ys, y) - 1, 0), last_r)
        c = min(max(bisect_right(table.xs, x) - 1, 0), last_c)
        content[table.owner[r][c]].append(ch)
    placed: list[Placed] = []
    for o, (r0, c0, r1, c1) in table.boxes.items():
        text = " ".join(join_line(line) for line in group_lines(content[o]))
        box = (round(table.xs[c0], 1), round(table.ys[r0], 1), round(table.xs[c1 + 1], 1), round(table.ys[r1 + 1], 1))
        placed.append((r0, c0, r1 - r0 + 1, c1 - c0 + 1, text, box))
    return placed


def group_lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines by their vertical middle, each line left to right."""
    lines: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: (c.mid[1], c.x0)):
        if lines:
            head = lines[-1][0]
            if abs(head.mid[1] - ch.mid[1]) <= max(2.0, (head.bottom - head.top) * 0.5):
                lines[-1].append(ch)
                continue
        lines.append([ch])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def join_line(line: list[Char], tabs: bool = False) -> str:
    """A line's text: a gap of a third of a character is a space; with ``tabs``, one of two is a tab."""
    parts: list[str] = []
    prev: Char | None = None
    for ch in line:
        gap, size = ch.x0 - prev.x1 if prev is not None else 0.0, max(ch.bottom - ch.top, 1.0)
        digits = prev is not None and prev.text in _NUMERIC and ch.text in _NUMERIC
        if tabs and gap > 2 * size:
            parts.append("\t")
        elif prev is not None and gap > (0.8 if digits else 0.35) * size:  # "1 2" spaced out is still 12
            parts.append(" ")
        parts.append(ch.text)
        prev = ch
    return "".join(parts)
