"""PDF → Document: the text layer of every page (pdfium), and on the pages whose text holds a table's
labels, the tables rebuilt as grids from the ruling lines (the page's path objects) and the characters'
boxes. A cell is the area the lines enclose: a missing line between two areas merges them, which is how
merged cells print.

Everything is read with pdfium (C), one pass per page: a table page costs about what poppler's
``pdftotext -layout`` spends on it (pdfplumber, pure Python, spends ~10x that).
"""

from __future__ import annotations

import ctypes
import re
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from service.documents.errors import CorruptDocument, EncryptedDocument, NoTextLayer, TooManyPages
from service.documents.model import Document, Placed, TextBuilder

MAX_PAGES = 500  # an annual report has 3 to 60 pages; a longer PDF is something else
TABLE_SECONDS = 10.0  # time spent rebuilding tables at most; past it the rest is read as plain text
MIN_TEXT_CHARS = 20  # fewer printable characters in the whole file: the pages are images
# Labels of the statutory tables' rows and headers: a page printing two of them holds a table.
_TABLE_WORDS = re.compile(r"信息内容|本年制发件数|本年新制作数量|申请人情况|自然人|本年新收|上年结转|予以公开|不予公开|"
                          r"无法提供|不予处理|结转下年|结果维持|结果纠正|尚未审结|复议后起诉|处理决定数量|总计")
_SPACE = re.compile(r"\s+")
_NUMERIC = frozenset("0123456789.,")
LINE_WIDTH = 2.5  # a path thinner than this (points) is a ruling line
SNAP = 2.5  # lines closer than this are one line (double borders)
MAX_SEGMENTS = 20_000  # a path of more segments is a drawing (a map, a chart), not a table's rules
MAX_LINES = 4000  # more ruling lines than this on one page is a drawing (and would cost seconds to pair)


def read_pdf(data: bytes) -> Document:
    """Read a PDF's bytes into a Document."""
    pdf = _open(data)
    try:
        n = len(pdf)
        if n > MAX_PAGES:
            raise TooManyPages(f"the PDF has {n} pages, over the limit of {MAX_PAGES}; an annual report is far "
                               "shorter: send the report's own pages", detail={"limit_pages": MAX_PAGES})
        builder = TextBuilder()
        notes: list[str] = []
        printable = 0
        deadline = time.perf_counter() + TABLE_SECONDS
        after_table = False
        for i in range(n):
            page = pdf[i]
            try:
                textpage = page.get_textpage()
                try:
                    text = str(textpage.get_text_range())
                    printable += len(_SPACE.sub("", text))
                    # A table page names two of the tables' labels, or follows one (a table split over pages).
                    if after_table or len(set(_TABLE_WORDS.findall(_SPACE.sub("", text)))) >= 2:
                        if time.perf_counter() > deadline:
                            notes.append("table_search_bounded")
                        elif _rebuilt(page, textpage, text, builder, i + 1, notes):
                            after_table = True
                            continue
                    after_table = False
                    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                        builder.paragraph(line)
                finally:
                    textpage.close()
            finally:
                page.close()
    except pdfium.PdfiumError:
        raise CorruptDocument("the PDF is damaged and its pages cannot be read; download it again or print it "
                              "to PDF again") from None
    finally:
        pdf.close()
    if printable < MIN_TEXT_CHARS:
        raise NoTextLayer("the PDF has no text layer (its pages are images, e.g. scanned): there is no text to "
                          "read. Run OCR on it first, or send the report's web page or Word file")
    doc = Document("pdf", builder.text(), builder.grids, pages=n, notes=sorted(set(notes)))
    if not builder.grids:
        doc.notes.append("no_table")
    return doc


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedDocument("the PDF is encrypted and needs a password to open; save an unprotected "
                                    "copy and send that") from None
        raise CorruptDocument("the PDF is damaged or truncated and cannot be opened; download it again or "
                              "print it to PDF again") from None


@dataclass(frozen=True)
class _Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def mid(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.top + self.bottom) / 2


@dataclass
class _Table:
    xs: list[float]
    ys: list[float]
    owner: list[list[int]]  # base cell (row, col) → merged cell id
    boxes: dict[int, tuple[int, int, int, int]]  # merged cell id → (r0, c0, r1, c1) base cells, inclusive

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def _rebuilt(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, text: str, builder: TextBuilder, number: int,
             notes: list[str]) -> bool:
    """``_table_page``; a page whose drawing it cannot make sense of is read as plain text instead."""
    mark = builder.mark()
    try:
        return _table_page(page, textpage, text, builder, number)
    except (ValueError, IndexError, ArithmeticError, pdfium.PdfiumError):
        builder.rollback(mark)
        notes.append("table_search_failed")
        return False


def _table_page(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, text: str, builder: TextBuilder,
                number: int) -> bool:
    """Write a page with tables (text lines and grids in reading order); False when no table is ruled."""
    height = page.get_height()
    lines = _segments(page, height)
    if len(lines[0]) + len(lines[1]) > MAX_LINES:
        return False  # a drawing, not a table: the page is read as text
    tables = _tables(lines)
    chars = list(_chars(textpage, text, height))
    if not tables:
        # No ruled table: the lines as printed, wide gaps as tabs, for the text path's column reader.
        for line in _group_lines(chars):
            builder.line(_join(line, tabs=True))
        return True
    inside: list[list[_Char]] = [[] for _ in tables]
    free: list[_Char] = []
    for ch in chars:
        x, y = ch.mid
        for k, t in enumerate(tables):
            x0, y0, x1, y1 = t.bbox
            if x0 <= x <= x1 and y0 <= y <= y1:
                inside[k].append(ch)
                break
        else:
            free.append(ch)
    blocks: list[tuple[float, int, list[_Char]]] = [(line[0].top, -1, line) for line in _group_lines(free)]
    blocks += [(t.ys[0], k, inside[k]) for k, t in enumerate(tables)]
    blocks.sort(key=lambda b: (b[0], b[1]))
    for _, k, content in blocks:
        if k < 0:
            builder.paragraph(_join(content))
        else:
            builder.placed_table(_cells(tables[k], content), page=number)
    return True


def _chars(textpage: pdfium.PdfTextPage, text: str, height: float) -> Iterator[_Char]:
    n = textpage.count_chars()
    one_to_one = len(text) == n
    for k in range(n):
        ch = text[k] if one_to_one else str(textpage.get_text_range(k, 1))
        if not ch.strip():
            continue
        left, bottom, right, top = textpage.get_charbox(k)
        yield _Char(ch, left, height - top, right, height - bottom)


def _segments(page: pdfium.PdfPage, height: float) -> tuple[list[tuple[float, float, float]],
                                                             list[tuple[float, float, float]]]:
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


def _tables(lines: tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]) -> list[_Table]:
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


def _table(hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]]) -> _Table | None:
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
    return _Table(xs, ys, owner, boxes)


def _cells(table: _Table, chars: list[_Char]) -> list[Placed]:
    """The table's merged cells with their text (lines of characters) and boxes, placed on the base grid."""
    content: dict[int, list[_Char]] = {o: [] for o in table.boxes}
    last_r, last_c = len(table.ys) - 2, len(table.xs) - 2
    for ch in chars:
        x, y = ch.mid
        r = min(max(bisect_right(table.ys, y) - 1, 0), last_r)
        c = min(max(bisect_right(table.xs, x) - 1, 0), last_c)
        content[table.owner[r][c]].append(ch)
    placed: list[Placed] = []
    for o, (r0, c0, r1, c1) in table.boxes.items():
        text = " ".join(_join(line) for line in _group_lines(content[o]))
        box = (round(table.xs[c0], 1), round(table.ys[r0], 1), round(table.xs[c1 + 1], 1), round(table.ys[r1 + 1], 1))
        placed.append((r0, c0, r1 - r0 + 1, c1 - c0 + 1, text, box))
    return placed


def _group_lines(chars: list[_Char]) -> list[list[_Char]]:
    """Characters grouped into lines by their vertical middle, each line left to right."""
    lines: list[list[_Char]] = []
    for ch in sorted(chars, key=lambda c: (c.mid[1], c.x0)):
        if lines:
            head = lines[-1][0]
            if abs(head.mid[1] - ch.mid[1]) <= max(2.0, (head.bottom - head.top) * 0.5):
                lines[-1].append(ch)
                continue
        lines.append([ch])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def _join(line: list[_Char], tabs: bool = False) -> str:
    """A line's text: a gap of a third of a character is a space; with ``tabs``, one of two is a tab."""
    parts: list[str] = []
    prev: _Char | None = None
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
