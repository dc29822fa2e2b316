"""Step 0: bytes of any supported format → one ``Document`` (text, table grids, pages).

    sniff (magic bytes, content type, extension) → text | html | docx | pdf reader → Document
"""

from __future__ import annotations

from service.documents.errors import (
    CorruptDocument,
    DecompressedTooLarge,
    EncryptedDocument,
    NoTextLayer,
    TooManyPages,
    UnsupportedFormat,
)
from service.documents.model import DocCell, Document, Format, Grid
from service.documents.sniff import sniff_format
from service.text import decode

__all__ = ["CorruptDocument", "DecompressedTooLarge", "DocCell", "Document", "EncryptedDocument", "Format", "Grid",
           "NoTextLayer", "TooManyPages", "UnsupportedFormat", "read_document", "sniff_format"]


def read_document(data: bytes, *, filename: str | None = None, content_type: str | None = None) -> Document:
    """Read a file's bytes into a Document; the format is decided by magic bytes, content type or extension."""
    fmt = sniff_format(data, filename=filename, content_type=content_type)
    if fmt == "pdf":
        from service.documents.pdf import read_pdf

        return read_pdf(data)
    if fmt == "docx":
        from service.documents.docx import read_docx

        return read_docx(data)
    text, encoding = decode(data)
    if fmt == "html":
        from service.documents.html import read_html

        doc = read_html(text)
        doc.encoding = encoding
        return doc
    return Document("text", text, encoding=encoding)
