"""Which reader a file goes to: its magic bytes first (they cannot lie about a PDF or a zip), then its
declared content type, then its name's extension; text that is really markup goes to the HTML reader."""

from __future__ import annotations

import re
from pathlib import PurePath

from service.documents.errors import UnsupportedFormat
from service.documents.model import Format
from service.text import looks_like_markup as text_is_markup

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TYPES: dict[str, Format] = {"application/pdf": "pdf", "application/x-pdf": "pdf",
                             "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"}
_EXTENSIONS: dict[str, Format] = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html",
                                  ".shtml": "html", ".xhtml": "html", ".txt": "text", ".text": "text", ".md": "text"}
_CONVERT = {
    ".doc": "open it in Word or WPS and save it as .docx (or print it to PDF)",
    ".wps": "open it in WPS and save it as .docx (or print it to PDF)",
    ".xls": "open it in Excel or WPS and print it to PDF, or save it as a web page (.html)",
    ".xlsx": "open it in Excel or WPS and print it to PDF, or save it as a web page (.html)",
    ".et": "open it in WPS and print it to PDF, or save it as a web page (.html)",
    ".rtf": "open it in Word or WPS and save it as .docx",
    ".odt": "open it in LibreOffice and save it as .docx (or export it as PDF)",
    ".ofd": "open it in an OFD reader and print it to PDF",
    ".zip": "unpack it and send the report file itself",
    ".mht": "open it in a browser and save it as a web page (.html), or print it to PDF",
    ".mhtml": "open it in a browser and save it as a web page (.html), or print it to PDF",
}
_TYPE_EXTENSIONS = {"application/msword": ".doc", "application/vnd.ms-excel": ".xls",
                    "application/vnd.ms-works": ".wps", "application/kswps": ".wps",
                    "application/wps-office.wps": ".wps", "application/rtf": ".rtf",
                    "application/zip": ".zip",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}
_MARKUP = re.compile(rb"<\s*(?:html|body|table|tr|td|div|p|span|br|h[1-6]|meta|head|script)\b[^>]{0,400}>", re.I)


def sniff_format(data: bytes, *, filename: str | None = None, content_type: str | None = None) -> Format:
    """The format of a file's bytes; ``UnsupportedFormat`` for formats nianbao does not read."""
    ext = PurePath(filename).suffix.lower() if filename else ""
    media = (content_type or "").split(";")[0].strip().lower()
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or ext == ".docx" or _TYPES.get(media) == "docx":
            return "docx"
        raise _unsupported(ext if ext in _CONVERT else _TYPE_EXTENSIONS.get(media, ".zip"))
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .doc, .wps, .xls, or an encrypted .docx
        raise _unsupported(ext if ext in (".doc", ".wps", ".xls", ".et") else _TYPE_EXTENSIONS.get(media, ".doc"))
    if ext in _CONVERT or media in _TYPE_EXTENSIONS:
        raise _unsupported(ext if ext in _CONVERT else _TYPE_EXTENSIONS[media])
    if media in _HTML_TYPES or _EXTENSIONS.get(ext) == "html":
        return "html"
    # Named a PDF or a .docx without the magic bytes of one: not that file; the text reader says what it is.
    return "html" if looks_like_markup(data) else "text"


def looks_like_markup(data: bytes) -> bool:
    """Bytes that are really a web page or a fragment of one (a text/plain body, a .txt saved from a browser):
    they begin with a tag, or hold the tags ``service.text.looks_like_markup`` counts (one rule for both)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"<" and _MARKUP.match(head) or head[:9].lower() == b"<!doctype":
        return True
    # Tags are ASCII in every encoding nianbao reads (UTF-16 aside): a lossy decode is enough to count them.
    return text_is_markup(data[:_SCAN_BYTES].decode("utf-8", errors="replace"))


_SCAN_BYTES = 600_000  # bytes decoded to look for tags (service.text scans 200,000 characters)
_ACCEPTED = [".txt", ".html", ".docx", ".pdf"]


def _unsupported(ext: str) -> UnsupportedFormat:
    advice = _CONVERT.get(ext, "convert it to .docx, .pdf or .html")
    return UnsupportedFormat(f"{ext or 'this'} files are not read; {advice}, and send that",
                             detail={"format": ext.lstrip("."), "accepted": _ACCEPTED})
