"""PDF → Document: the text layer of every page (pdfium), and on the pages whose text holds a table's
labels (or that follow such a page), the tables rebuilt as grids (``pdf_grid``) from the ruling lines and
the characters' boxes.

Everything is read with pdfium (C), one pass per page: a table page costs about what poppler's
``pdftotext -layout`` spends on it (pdfplumber, pure Python, spends ~10x that).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from service.documents.errors import CorruptDocument, EncryptedDocument, NoTextLayer, TooManyPages
from service.documents.model import Document, TextBuilder
from service.documents.pdf_grid import Char, find_tables, group_lines, join_line, ruling_lines, table_cells

MAX_PAGES = 500  # an annual report has 3 to 60 pages; a longer PDF is something else
TABLE_SECONDS = 10.0  # time spent rebuilding tables at most; past it the rest is read as plain text
MIN_TEXT_CHARS = 20  # fewer printable characters in the whole file: the pages are images
# Labels of the statutory tables' rows and headers: a page printing two of them holds a table.
_TABLE_WORDS = re.compile(r"信息内容|本年制发件数|本年新制作数量|申请人情况|自然人|本年新收|上年结转|予以公开|不予公开|"
                          r"无法提供|不予处理|结转下年|结果维持|结果纠正|尚未审结|复议后起诉|处理决定数量|总计")
_SPACE = re.compile(r"\s+")
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
                    chars = len(_SPACE.sub("", text))
                    printable += chars
                    if chars < MIN_TEXT_CHARS and _has_image(page):
                        notes.append("pages_without_text")  # a scanned page among text pages
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


def _has_image(page: pdfium.PdfPage) -> bool:
    return next(iter(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2)), None) is not None


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedDocument("the PDF is encrypted and needs a password to open; save an unprotected "
                                    "copy and send that") from None
        raise CorruptDocument("the PDF is damaged or truncated and cannot be opened; download it again or "
                              "print it to PDF again") from None


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
    lines = ruling_lines(page, height)
    if len(lines[0]) + len(lines[1]) > MAX_LINES:
        return False  # a drawing, not a table: the page is read as text
    tables = find_tables(lines)
    chars = list(_chars(textpage, text, height))
    if not tables:
        # No ruled table: the lines as printed, wide gaps as tabs, for the text path's column reader.
        for line in group_lines(chars):
            builder.line(join_line(line, tabs=True))
        return True
    inside: list[list[Char]] = [[] for _ in tables]
    free: list[Char] = []
    for ch in chars:
        x, y = ch.mid
        for k, t in enumerate(tables):
            x0, y0, x1, y1 = t.bbox
            if x0 <= x <= x1 and y0 <= y <= y1:
                inside[k].append(ch)
                break
        else:
            free.append(ch)
    blocks: list[tuple[float, int, list[Char]]] = [(line[0].top, -1, line) for line in group_lines(free)]
    blocks += [(t.ys[0], k, inside[k]) for k, t in enumerate(tables)]
    blocks.sort(key=lambda b: (b[0], b[1]))
    for _, k, content in blocks:
        if k < 0:
            builder.paragraph(join_line(content))
        else:
            builder.placed_table(table_cells(tables[k], content), page=number)
    return True


def _chars(textpage: pdfium.PdfTextPage, text: str, height: float) -> Iterator[Char]:
    n = textpage.count_chars()
    one_to_one = len(text) == n
    for k in range(n):
        ch = text[k] if one_to_one else str(textpage.get_text_range(k, 1))
        if not ch.strip():
            continue
        left, bottom, right, top = textpage.get_charbox(k)
        yield Char(ch, left, height - top, right, height - bottom)
