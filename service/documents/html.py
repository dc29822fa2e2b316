"""HTML → Document: flow text in reading order, each data table a grid (rowspan/colspan expanded).

A table that holds other tables is page layout, not data: its cells are read as flow text and the inner
tables as grids. Some sites keep the report's body in a script's string variable and write it into the
page at load time: when the page itself shows no report, the longest such string of markup is read.
"""

from __future__ import annotations

import json
import re

from lxml import etree, html

from service.documents.model import Document, TextBuilder

_SKIP = frozenset({"script", "style", "noscript", "head", "template", "title", "meta", "link", "iframe", "object",
                   "svg", "select", "option", "button", "input", "textarea"})
_BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
                    "header", "footer", "blockquote", "dd", "dt", "dl", "hr", "center", "form", "nav",
                    "main", "aside", "caption", "figure", "figcaption", "address", "body", "html"})
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_JS_STRING = re.compile(r'"((?:[^"\\\n]|\\.){200,})"|\'((?:[^\'\\\n]|\\.){200,})\'|`((?:[^`\\]|\\.){200,})`', re.S)
_REPORT_WORDS = re.compile(r"政府信息公开|年度报告|主动公开")


def read_html(markup: str) -> Document:
    """Read an HTML page or fragment (already decoded) into a Document."""
    root = _parse(markup)
    builder = TextBuilder()
    images = _Reader(builder).read(root)
    text = builder.text()
    if not _REPORT_WORDS.search(text) or not builder.grids:
        inner = _script_markup(root)
        if inner is not None:
            builder = TextBuilder()
            images = _Reader(builder).read(_parse(inner))
            text = builder.text()
    doc = Document("html", text, builder.grids)
    if not builder.grids:
        doc.notes.append("tables_as_images" if images else "no_table")
    return doc


def _parse(markup: str) -> etree._Element:
    markup = _XML_DECL.sub("", markup, count=1)
    if not markup.strip():
        return html.fromstring("<html></html>")
    try:
        return html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return html.fromstring("<html></html>")


def _script_markup(root: etree._Element) -> str | None:
    """The longest string literal in the page's scripts that holds the report as markup."""
    best: str | None = None
    for script in root.iter("script"):
        source = script.text or ""
        for m in _JS_STRING.finditer(source):
            raw = next(g for g in m.groups() if g is not None)
            if "<" not in raw or not _REPORT_WORDS.search(_unescape(raw)):
                continue
            value = _unescape(raw)
            if best is None or len(value) > len(best):
                best = value
    return best


def _unescape(raw: str) -> str:
    """A JS string literal's value (JSON escapes, plus \\' and \\/)."""
    escaped = re.sub(r'(?<!\\)((?:\\\\)*)"', r'\1\\"', raw.replace("\\'", "'"))
    try:
        return str(json.loads(f'"{escaped}"'))
    except ValueError:
        return raw.replace("\\'", "'").replace('\\"', '"').replace("\\/", "/").replace("\\n", "\n")


class _Reader:
    """Walks the tree: inline text gathers into the current paragraph, blocks and tables end it."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.line: list[str] = []
        self.images = 0

    def read(self, root: etree._Element) -> int:
        """Read the tree into the builder; returns how many images the page shows."""
        self._walk(root)
        self._flush()
        return self.images

    def _flush(self) -> None:
        if self.line:
            self.builder.paragraph("".join(self.line))
            self.line = []

    def _walk(self, el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag == "img":
            self.images += 1
        if tag == "table":
            self._flush()
            if _is_layout(el):
                for cell in _cells_of(el):
                    self._walk_children(cell)
                    self._flush()
            else:
                self._table(el)
            if el.tail:
                self.line.append(el.tail)
            return
        if tag == "pre":  # a report pasted as preformatted text: its columns are aligned by spaces
            self._flush()
            self.builder.verbatim("".join(str(t) for t in el.itertext()))
            if el.tail:
                self.line.append(el.tail)
            return
        if tag in _SKIP or not isinstance(el.tag, str):
            if el.tail:
                self.line.append(el.tail)
            return
        block = tag in _BLOCK
        if block:
            self._flush()
        self._walk_children(el)
        if block:
            self._flush()
        if el.tail:
            self.line.append(el.tail)

    def _walk_children(self, el: etree._Element) -> None:
        if el.text:
            self.line.append(el.text)
        for child in el:
            self._walk(child)

    def _table(self, table: etree._Element) -> None:
        rows: list[list[tuple[str, int, int]]] = []
        for tr in _rows_of(table):
            row = []
            for td in tr:
                if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                    continue
                self.images += sum(1 for _ in td.iter("img"))
                row.append((_cell_text(td), _span(td.get("rowspan")), _span(td.get("colspan"))))
            rows.append(row)
        caption = table.find("caption")
        if caption is not None:
            self.builder.paragraph(_cell_text(caption))
        if any(rows):
            self.builder.table(rows)


def _is_layout(table: etree._Element) -> bool:
    """A table that holds tables lays out a page; its own cells are not data."""
    return any(True for _ in table.iterdescendants("table"))


def _rows_of(table: etree._Element) -> list[etree._Element]:
    """The table's own rows (directly or in thead/tbody/tfoot), in document order."""
    rows = []
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag.lower() == "tr")
    return rows


def _cells_of(table: etree._Element) -> list[etree._Element]:
    return [td for tr in _rows_of(table) for td in tr if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")]


def _cell_text(td: etree._Element) -> str:
    parts: list[str] = []
    for node in td.iter():
        if not isinstance(node.tag, str) or node.tag.lower() in _SKIP:
            if node is not td and node.tail:
                parts.append(node.tail)
            continue
        if node.tag.lower() in ("br", "p", "div") and parts:
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        if node is not td and node.tail:
            parts.append(node.tail)
    return " ".join("".join(parts).split())


def _span(value: str | None) -> int:
    if not value:
        return 1
    digits = re.match(r"\s*(\d+)", value)
    return int(digits.group(1)) if digits else 1
