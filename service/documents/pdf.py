"""PDF → Document: the text layer of every page (pdfium), and the tables rebuilt as grids from ruling
lines and character positions (pdfplumber), only on the pages whose text holds a table's labels.

pdfplumber parses a page ~10x slower than pdfium extracts its text, so it never sees the prose pages.
"""

from __future__ import annotations

import io
import logging
import re
import time
from typing import Any

import pypdfium2 as pdfium

from service.documents.errors import CorruptDocument, EncryptedDocument, NoTextLayer, TooManyPages
from service.documents.model import Document, Placed, TextBuilder

MAX_PAGES = 500  # an annual report has 3 to 60 pages; a longer PDF is something else
TABLE_PAGES_MAX = 40  # pages searched for tables at most
TABLE_SECONDS = 20.0  # time spent rebuilding tables at most; past it the rest is read as text
MIN_TEXT_CHARS = 20  # fewer printable characters in the whole file: the pages are images
# Labels of the statutory tables' rows and headers: a page printing two of them holds a table.
_TABLE_WORDS = re.compile(r"信息内容|本年制发件数|本年新制作数量|申请人情况|自然人|本年新收|上年结转|予以公开|不予公开|"
                          r"无法提供|不予处理|结转下年|结果维持|结果纠正|尚未审结|复议后起诉|处理决定数量|总计")
_SPACE = re.compile(r"\s+")
for _name in ("pdfminer", "pdfplumber"):  # pdfminer logs a warning per glyph on some fonts
    logging.getLogger(_name).setLevel(logging.ERROR)


def read_pdf(data: bytes) -> Document:
    """Read a PDF's bytes into a Document."""
    pdf = _open(data)
    try:
        n = len(pdf)
        if n > MAX_PAGES:
            raise TooManyPages(f"the PDF has {n} pages, over the limit of {MAX_PAGES}; an annual report is far "
                               "shorter: send the report's own pages", detail={"limit_pages": MAX_PAGES})
        texts = [_page_text(pdf, i) for i in range(n)]
    finally:
        pdf.close()
    if sum(len(_SPACE.sub("", t)) for t in texts) < MIN_TEXT_CHARS:
        raise NoTextLayer("the PDF has no text layer (its pages are images, e.g. scanned): there is no text to "
                          "read. Run OCR on it first, or send the report's web page or Word file")
    table_pages = [i for i, t in enumerate(texts) if len(set(_TABLE_WORDS.findall(_SPACE.sub("", t)))) >= 2]
    builder = TextBuilder()
    notes: list[str] = []
    plumber = _Plumber(data)
    deadline = time.perf_counter() + TABLE_SECONDS
    try:
        for i, text in enumerate(texts):
            searched = i in table_pages[:TABLE_PAGES_MAX] and time.perf_counter() < deadline
            if not (searched and plumber.page(i, builder)):
                if i in table_pages and not searched:
                    notes.append("table_search_bounded")
                for line in text.splitlines():
                    builder.paragraph(line)
    finally:
        plumber.close()
    doc = Document("pdf", builder.text(), builder.grids, pages=n, notes=notes)
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


def _page_text(pdf: pdfium.PdfDocument, i: int) -> str:
    page = pdf[i]
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_range()).replace("\r\n", "\n").replace("\r", "\n")
        finally:
            textpage.close()
    finally:
        page.close()


class _Plumber:
    """pdfplumber opened once, on first need; each table page read as lines of text and grids."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pdf: Any = None

    def page(self, i: int, builder: TextBuilder) -> bool:
        """Write page ``i`` (text and tables in reading order); False when it holds no table after all."""
        try:
            if self.pdf is None:
                import pdfplumber

                self.pdf = pdfplumber.open(io.BytesIO(self.data))
            page = self.pdf.pages[i]
            tables = [t for t in page.find_tables() if len(t.cells) >= 4]
            if not tables:
                page.close()
                return False
            chars = [c for c in page.chars if c["text"].strip()]
            boxes = [t.bbox for t in tables]
            free = [c for c in chars if not any(_inside(c, b) for b in boxes)]
            blocks: list[tuple[float, Any]] = [(top, line) for top, line in _lines(free)]
            blocks += [(t.bbox[1], t) for t in tables]
            blocks.sort(key=lambda b: b[0])
            for _, block in blocks:
                if isinstance(block, str):
                    builder.paragraph(block)
                else:
                    _table(block, chars, builder, i + 1)
            page.close()
            return True
        except Exception:  # noqa: BLE001 - pdfminer fails in many ways on odd files; the text layer is still read
            return False

    def close(self) -> None:
        """Close the file if it was opened."""
        if self.pdf is not None:
            self.pdf.close()


def _inside(char: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x = (char["x0"] + char["x1"]) / 2
    y = (char["top"] + char["bottom"]) / 2
    return bool(box[0] <= x <= box[2] and box[1] <= y <= box[3])


def _lines(chars: list[dict[str, Any]]) -> list[tuple[float, str]]:
    """Characters grouped into lines (by their vertical middle), each line's text with gaps as spaces."""
    out: list[tuple[float, str]] = []
    for line in _group_lines(chars):
        out.append((line[0]["top"], _join(line)))
    return out


def _group_lines(chars: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    lines: list[list[dict[str, Any]]] = []
    for ch in sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"])):
        mid = (ch["top"] + ch["bottom"]) / 2
        if lines:
            last = lines[-1][0]
            if abs((last["top"] + last["bottom"]) / 2 - mid) <= max(2.0, (last["bottom"] - last["top"]) * 0.4):
                lines[-1].append(ch)
                continue
        lines.append([ch])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def _join(line: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    prev: dict[str, Any] | None = None
    for ch in line:
        if prev is not None and ch["x0"] - prev["x1"] > 0.3 * max(ch["size"], 1):
            parts.append(" ")
        parts.append(ch["text"])
        prev = ch
    return "".join(parts)


def _table(table: Any, chars: list[dict[str, Any]], builder: TextBuilder, page: int) -> None:
    """A pdfplumber table as printed cells: rows and columns from its cells' edges, text from the chars."""
    cells = [tuple(c) for c in table.cells]
    xs = _edges([c[0] for c in cells] + [c[2] for c in cells])
    ys = _edges([c[1] for c in cells] + [c[3] for c in cells])
    inside: dict[int, list[dict[str, Any]]] = {k: [] for k in range(len(cells))}
    for ch in chars:
        for k, box in enumerate(cells):
            if _inside(ch, box):
                inside[k].append(ch)
                break
    placed: list[Placed] = []
    for k, box in enumerate(cells):
        r0, r1 = _index(ys, box[1]), _index(ys, box[3])
        c0, c1 = _index(xs, box[0]), _index(xs, box[2])
        text = " ".join(_join(line) for line in _group_lines(inside[k]))
        placed.append((r0, c0, max(1, r1 - r0), max(1, c1 - c0), text, (box[0], box[1], box[2], box[3])))
    builder.placed_table(placed, page=page)


def _edges(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda k: abs(edges[k] - v))
