"""DOCX → Document: the body's paragraphs and tables in document order; gridSpan and vMerge expanded.

The package is a zip: its sizes are checked before anything is inflated (a zip bomb is refused), and
word/document.xml is parsed without entities or network access.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from lxml import etree

from service.documents.errors import CorruptDocument, DecompressedTooLarge
from service.documents.model import Document, TextBuilder

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
MAX_PART_BYTES = 64_000_000  # word/document.xml inflated: a 300-page report is ~5 MB
MAX_RATIO = 200  # inflated/deflated beyond this is a bomb, not text (XML compresses ~10x)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def read_docx(data: bytes) -> Document:
    """Read a .docx file's bytes into a Document."""
    root = etree.fromstring(_document_xml(data), _PARSER)
    for fallback in list(root.iter(_FALLBACK)):  # a shape's text twice: as the shape, and for old readers
        parent = fallback.getparent()
        if parent is not None:
            parent.remove(fallback)
    body = root.find(f"{W}body")
    builder = TextBuilder()
    if body is not None:
        _blocks(body, builder)
    doc = Document("docx", builder.text(), builder.grids)
    if not builder.grids:
        doc.notes.append("tables_as_images" if root.find(f".//{W}drawing") is not None else "no_table")
    return doc


def _document_xml(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            try:
                info = zf.getinfo("word/document.xml")
            except KeyError:
                raise CorruptDocument("the .docx file has no word/document.xml; it is not a Word document or "
                                      "it is damaged: save it again from Word or WPS") from None
            if info.file_size > MAX_PART_BYTES or info.file_size > MAX_RATIO * max(info.compress_size, 1024):
                raise _bomb(info.file_size)
            with zf.open(info) as part:
                xml = part.read(MAX_PART_BYTES + 1)  # the header may lie about the size: read at most this
            if len(xml) > MAX_PART_BYTES:
                raise _bomb(len(xml))
            return xml
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError, ValueError, zlib.error,
            RuntimeError, OSError) as exc:  # RuntimeError: a password-protected zip entry
        raise CorruptDocument(f"the .docx file is damaged or truncated ({type(exc).__name__}); save it again "
                              "from Word or WPS and send it again") from None
    except etree.XMLSyntaxError:
        raise CorruptDocument("the .docx file's document part is not valid XML; save it again from Word or WPS "
                              "and send it again") from None


def _bomb(size: int) -> DecompressedTooLarge:
    return DecompressedTooLarge(f"the .docx file inflates to {size} bytes or more, over the limit of "
                                f"{MAX_PART_BYTES}; it is not a report", detail={"limit_bytes": MAX_PART_BYTES})


def _blocks(parent: etree._Element, builder: TextBuilder) -> None:
    for el in parent:
        if el.tag == f"{W}p":
            builder.paragraph(_text(el))
        elif el.tag == f"{W}tbl":
            _table(el, builder)
        elif el.tag in (f"{W}sdt", f"{W}customXml", f"{W}sdtContent"):
            inner = el.find(f"{W}sdtContent") if el.tag == f"{W}sdt" else el
            if inner is not None:
                _blocks(inner, builder)


def _text(el: etree._Element | None) -> str:
    """A paragraph's text: its runs' text, a tab or a break as a space."""
    if el is None:
        return ""
    return "".join(node.text or "" if node.tag == _T else " " for node in el.iter(_T, _TAB, _BR, _CR))


_T, _TAB, _BR, _CR, _P, _TR, _TC = (f"{W}{n}" for n in ("t", "tab", "br", "cr", "p", "tr", "tc"))
_TBL = f"{W}tbl"
_TCPR, _GRIDSPAN, _VMERGE, _HMERGE, _VAL = (f"{W}{n}" for n in ("tcPr", "gridSpan", "vMerge", "hMerge", "val"))


def _cell_text(tc: etree._Element) -> str:
    """A cell's text: its paragraphs' runs, paragraphs joined by a space."""
    return " ".join("".join(str(t) for t in p.itertext(_T)) for p in tc.iter(_P))


def _children(el: etree._Element, tag: str) -> list[etree._Element]:
    """Children with this tag, also those wrapped in content controls (w:sdt/w:sdtContent)."""
    out: list[etree._Element] = []
    for child in el:
        if child.tag == tag:
            out.append(child)
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                out += _children(content, tag)
    return out


def _val(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    child = el.find(f"{W}{name}")
    if child is None:
        return None
    return child.get(f"{W}val", "")


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        return default


def _table(tbl: etree._Element, builder: TextBuilder) -> None:
    if next(tbl.iterdescendants(_TBL), None) is not None:
        # A table holding tables lays out the page (a report framed in a one-cell table): its cells' paragraphs
        # are flow text, and the inner tables are the data.
        for tr in _children(tbl, _TR):
            for tc in _children(tr, _TC):
                _blocks(tc, builder)
        return
    # Pass 1: every row's cells with their grid column, span and vMerge state.
    rows: list[list[tuple[int, int, str, str | None]]] = []
    for tr in _children(tbl, _TR):  # a nested table's rows are read as its cell's text
        col = _int(_val(tr.find(f"{W}trPr"), "gridBefore"), 0)
        row: list[tuple[int, int, str, str | None]] = []
        if col:
            row.append((0, col, "", None))
        for tc in _children(tr, _TC):
            span, merge, h_merge = 1, None, None  # h_merge: Word 97's; a continuation widens the cell before it
            pr = tc.find(_TCPR)
            for prop in pr if pr is not None else ():
                if prop.tag == _GRIDSPAN:
                    span = _int(prop.get(_VAL), 1)
                elif prop.tag == _VMERGE:
                    merge = prop.get(_VAL, "")
                elif prop.tag == _HMERGE:
                    h_merge = prop.get(_VAL, "")
            if h_merge is not None and h_merge != "restart" and row:
                c0, s0, text0, m0 = row[-1]
                row[-1] = (c0, s0 + span, text0, m0)
                col += span
                continue
            row.append((col, span, _cell_text(tc), merge))
            col += span
        rows.append(row)
    # Pass 2: a vMerge continuation extends the cell above it; it is not a cell of its own.
    out: list[list[tuple[str, int, int]]] = []
    anchors: dict[int, tuple[int, int]] = {}  # grid column → (row in out, index in row) of the open merge
    rowspans: dict[tuple[int, int], int] = {}
    for r, row in enumerate(rows):
        printed: list[tuple[str, int, int]] = []
        for col, span, text, merge in row:
            if merge is not None and merge != "restart" and col in anchors:
                rowspans[anchors[col]] += 1
                continue
            if merge == "restart":
                anchors[col] = (r, len(printed))
                rowspans[anchors[col]] = 1
            else:
                anchors.pop(col, None)
            printed.append((text, 1, span))
        out.append(printed)
    for (r, i), n in rowspans.items():
        text, _, span = out[r][i]
        out[r][i] = (text, n, span)
    builder.table(out)
