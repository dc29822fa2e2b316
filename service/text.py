"""Step 1: decode bytes and normalise text for parsing, without moving a single character.

``normalise`` is length-preserving: character *i* of the parse view is character *i* of the text the user
sent (after decoding), so every span found in the parse view is a span into the user's text.
"""

from __future__ import annotations

import re

from service.errors import DecodeError, EmptyInput

# Full-width ASCII (！..～) → ASCII, spaces of every kind → " ", minus signs and dashes kept apart:
# "－" (full-width hyphen) and "−" (minus) are signs; "—" (em dash) stays, it marks a not-applicable cell.
_TRANSLATE: dict[int, str] = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_TRANSLATE.update({0x3000: " ", 0x00A0: " ", 0x2007: " ", 0x202F: " ", 0x200B: " ", 0xFEFF: " ",
                   0x2002: " ", 0x2003: " ", 0x2009: " ", 0x200A: " ", 0x2212: "-", 0x3007: "〇",
                   0x2028: "\n", 0x2029: "\n", 0x0B: "\n", 0x0C: "\n", 0x85: "\n"})
_TRANSLATE.update({c: " " for c in range(0x00, 0x20) if chr(c) not in "\t\n\r"})
# Most characters of a report need no change: replacing only the few that do is ~4x faster than
# str.translate, which looks every character up.
_FOLD = {chr(k): v for k, v in _TRANSLATE.items()}
_TO_FOLD = re.compile("[" + re.escape("".join(_FOLD)) + "]")
_FEW = 24  # more distinct characters to fold than this: one str.translate pass is cheaper than the replaces
assert not any(v in _FOLD and _FOLD[v] != v for v in _FOLD.values())  # folding twice changes nothing

# A page number alone on its line: "- 4 -", "— 12 —", "第 3 页", "第3页 共10页", "3/10".
_PAGE_MARK = re.compile(
    r"(?m)^[ \t]*(?:[-—–]{1,2}[ \t]*\d{1,3}[ \t]*[-—–]{1,2}"
    r"|第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*[,，]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?"
    r"|\d{1,3}[ \t]*/[ \t]*\d{1,3})[ \t]*$"
)

_ENCODINGS_WITHOUT_BOM = ("utf-8", "gb18030")


def decode(data: bytes) -> tuple[str, str]:
    """Decode report bytes (UTF-8 with or without BOM, UTF-16, GB18030/GBK); returns (text, encoding)."""
    if not data.strip():
        raise EmptyInput("the input is empty; send the report's text or file")
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError as exc:
        raise DecodeError(f"the file starts with a byte-order mark but is not valid text after it ({exc.reason}); "
                          "save it again as UTF-8 and send it again",
                          detail={"accepted": ["utf-8", "utf-16", "gb18030", "gbk"]}) from exc
    if _looks_utf16(data):
        codec = "utf-16-le" if data[1::2].count(0) > data[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            pass
    for codec in _ENCODINGS_WITHOUT_BOM:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise DecodeError(
        "the file is not UTF-8, UTF-16 or GB18030/GBK text; convert it to UTF-8 and send it again",
        detail={"accepted": ["utf-8", "utf-16", "gb18030", "gbk"]},
    )


def _looks_utf16(data: bytes) -> bool:
    """BOM-less UTF-16: text files in UTF-8 or GBK never hold NUL bytes; UTF-16 has one per ASCII char."""
    return len(data) % 2 == 0 and b"\x00" in data[:4000]


def normalise(text: str) -> str:
    """The parse view of a text: same length, full-width folded, odd spaces and CR blanked, page marks blanked."""
    found = set(_TO_FOLD.findall(text))
    if len(found) > _FEW:
        view = text.translate(_TRANSLATE)
    else:  # a report holds a handful of distinct characters to fold: one C-level replace each
        view = text
        for char in found:
            view = view.replace(char, _FOLD[char])  # no replacement is itself folded: the order is free
    view = view.replace("\r\n", " \n").replace("\r", "\n")
    return _PAGE_MARK.sub(lambda m: " " * len(m.group(0)), view)


# Markup tags: HTML (<td>, </p>, <br/>) and XML (<w:t xml:space="preserve">). A report's own prose never
# holds them; a stray "<5>" or "<一>" is not one (a tag's name is a Latin letter, then a name or attributes).
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>\n]*)?/?>")
_TABLE_TAG = re.compile(r"<(?:td|th|tr|table|w:tc|w:tr|w:tbl)[\s>/]", re.IGNORECASE)
_MARKUP_SCAN = 200_000  # characters looked at: enough to see the tags of any markup document


def looks_like_markup(text: str) -> bool:
    """Is this text markup (HTML or XML sent as text), which the text path must not tokenise?

    Table cell tags anywhere in the first characters (two or more), or twenty tags of any kind: tags and
    attributes read as cells would put their digits ("<td width=120>") among the table's numbers.
    """
    head = text[:_MARKUP_SCAN]
    if "<" not in head:
        return False
    if len(_TABLE_TAG.findall(head, 0)) >= 2:
        return True
    count = 0
    for _ in _TAG.finditer(head):
        count += 1
        if count >= 20:
            return True
    return False


def require_text(text: str) -> None:
    """Refuse text with nothing in it."""
    if not text.strip():
        raise EmptyInput("the text is empty; send the report's text or file")
