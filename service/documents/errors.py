"""Errors of the document readers: each a stable code (HTTP statuses are chosen in service.api.errors)."""

from __future__ import annotations

from service.errors import InputError


class UnsupportedFormat(InputError):
    """A file format nianbao does not read (.doc, .wps, .xls, images…); the message says what to convert to."""

    code = "unsupported_format"


class NoTextLayer(InputError):
    """A PDF whose pages are images (scanned): there is no text to read."""

    code = "no_text_layer"


class CorruptDocument(InputError):
    """A damaged or truncated PDF or DOCX."""

    code = "corrupt_document"


class EncryptedDocument(InputError):
    """A PDF that needs a password to open."""

    code = "encrypted_document"


class DecompressedTooLarge(InputError):
    """A DOCX that inflates past the bound (a zip bomb)."""

    code = "decompressed_too_large"


class TooManyPages(InputError):
    """A PDF with more pages than a report has."""

    code = "too_many_pages"
