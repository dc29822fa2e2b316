"""Bytes and text at the HTTP boundary: decode as the core does (or as a declared charset says), and refuse
binary data that no document reader takes (an image, an archive) with ``not_text`` instead of reading it as
garbage. HTML, .docx and PDF files go to the document readers (service/documents) before this."""

from __future__ import annotations

import re
import unicodedata

from service.api.errors import NotText
from service.errors import DecodeError
from service.text import decode

# A report is prose and numbers: C0/C1 controls (other than tab, newlines, form feed), unassigned,
# private-use and surrogate code points are rare in it. Binary read as text is full of them.
_SAMPLE_CHARS = 16_384
_MAX_ODD_SHARE = 0.05
_ODD_CATEGORIES = frozenset({"Cc", "Cn", "Co", "Cs"})
_TEXT_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")
# Characters that are never odd: ASCII text, Latin-1, CJK punctuation, the CJK ideographs, full-width forms.
# Almost all of a report; only what is left is looked up, one character at a time.
_COMMON = re.compile("[\t\n\r\x20-\x7e\u00a0-\u00ff\u2010-\u2027\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]+")
_BINARY_BYTES = bytes(b for b in range(0x20) if chr(b) not in "\t\n\r\x0b\x0c") + b"\x7f"
# Labels browsers also read with the GB18030 decoder (a strict superset): text labelled GBK often holds
# a character or two only GB18030 has.
_GB_LABELS = frozenset({"gbk", "gb2312", "gb_2312", "gb-2312", "x-gbk", "cp936", "ms936", "euc-cn"})
ACCEPTED = ["utf-8", "utf-16", "gb18030", "gbk"]


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a body: in ``charset`` when declared, else detected as the core does."""
    if charset is None:
        try:
            text, encoding = decode(data)
        except DecodeError:
            if _looks_binary(data):
                raise _not_text() from None
            raise
        if encoding in ("utf-16-le", "utf-16-be") and not _nul_bytes_in_step(data):
            raise _not_text()  # NUL bytes made it look like UTF-16 without a BOM; text it is not
    else:
        text, encoding = _decode_declared(data, charset)
    require_plain_text(text)
    return text, encoding


def require_plain_text(text: str) -> None:
    """Refuse text that is binary data in disguise (a NUL, or many control or unassigned characters)."""
    if "\x00" in text:
        raise _not_text()
    sample = text[:_SAMPLE_CHARS]
    rest = _COMMON.sub("", sample)
    odd = sum(1 for ch in rest if ch not in _TEXT_CONTROLS and unicodedata.category(ch) in _ODD_CATEGORIES)
    if sample and odd / len(sample) > _MAX_ODD_SHARE:
        raise _not_text()


def _nul_bytes_in_step(data: bytes) -> bool:
    """UTF-16 has its NUL bytes (the high bytes of ASCII) at one parity; binary data has them anywhere."""
    sample = data[: 4 * _SAMPLE_CHARS]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return min(even, odd) <= _MAX_ODD_SHARE * (even + odd)


def _looks_binary(data: bytes) -> bool:
    sample = data[: 4 * _SAMPLE_CHARS]
    controls = len(sample) - len(sample.translate(None, _BINARY_BYTES))
    return b"\x00" in sample or controls / max(1, len(sample)) > _MAX_ODD_SHARE


def _decode_declared(data: bytes, charset: str) -> tuple[str, str]:
    label = charset.strip().strip('"').lower()
    try:
        text = data.decode("gb18030" if label in _GB_LABELS else label)
    except LookupError:  # an unknown name, or a codec that is not a charset (base64, rot13)
        raise DecodeError(f"the charset {charset!r} in Content-Type is unknown; declare one of utf-8, utf-16, "
                          "gb18030 or gbk, or leave it out to let the service detect it",
                          detail={"charset": charset, "accepted": ACCEPTED}) from None
    except UnicodeDecodeError as exc:
        if _looks_binary(data):
            raise _not_text() from None
        raise DecodeError(f"the body is not valid {label} text (byte {exc.start}: {exc.reason}); declare the "
                          "charset it is in, or leave it out to let the service detect it",
                          detail={"charset": charset, "accepted": ACCEPTED}) from None
    return text.removeprefix("\ufeff"), label


def _not_text() -> NotText:
    return NotText("the body is binary data, not text (NUL bytes or many control characters), and not a web "
                   "page, .docx or PDF either; send the report's text or its HTML, .docx or PDF file",
                   detail={"accepted": ACCEPTED})
