"""Cells of a table row as tokens: a number, a not-applicable mark, a printed empty cell, or text.

Text rows arrive with cells separated by tabs, pipes (markdown), runs of spaces, or nothing at all.
``tokenise_region`` turns the text between a row label and the next label into value tokens, keeping
each token's span in the parse view (which is the user's text, character for character).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal, NamedTuple

TokenKind = Literal["num", "na", "blank", "text"]

# A 2019 表二 change may be printed in words: "增加5" (+5), "减少2" (-2); the words are the sign.
_PIECE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?:[+-]|增加|减少)?\d+(?:\.\d+)?|[^\s\d+-]+|[+-]")
_NUMBER = re.compile(r"(?:[+-]|增加|减少)?\d[\d,]*(?:\.\d+)?")
_WORD_SIGN = {"增加": "+", "减少": "-"}
_NA = re.compile(r"(?:[/\\—–\-－─]{1,3}|无|空|暂无|…+|—+)")
_UNIT = re.compile(r"(?:万元|元|件|个|条|项|次|人次|户)")
_DIGIT = re.compile(r"\d")
_RULE_LINE = re.compile(r"[\s|:\-—=+]*")


_new = tuple.__new__  # builds a Token without NamedTuple's Python-level __new__ (a report has hundreds)


class Token(NamedTuple):
    """One cell, or one number inside a cell, with its span in the text (a tuple: rows make hundreds)."""

    kind: TokenKind
    start: int
    end: int
    raw: str
    line: int = 0

    @property
    def splittable(self) -> bool:
        """A run of digits (after a sign, if any) may hold several numbers printed without separators."""
        if self.kind != "num":
            return False
        digits = self.raw[sign_length(self.raw):]
        return digits.isdecimal() and len(digits) > 1

    def number(self) -> int | Decimal:
        """The token's value (ints for counts, Decimal for anything with a decimal point)."""
        return parse_number(self.raw)


def sign_length(raw: str) -> int:
    """Characters of the sign a printed number starts with: 1 for "+"/"-", 2 for "增加"/"减少", else 0."""
    if raw[:1] in ("+", "-"):
        return 1
    return 2 if raw[:2] in _WORD_SIGN else 0


def parse_number(raw: str) -> int | Decimal:
    """The value of a printed number: "1,234" → 1234, "3.50" → Decimal, "减少2" → -2."""
    raw = raw.replace(",", "")
    if raw[:2] in _WORD_SIGN:
        raw = _WORD_SIGN[raw[:2]] + raw[2:]
    return Decimal(raw) if "." in raw else int(raw)


def classify_cell(text: str, offset: int, line: int = 0) -> list[Token]:
    """Tokens of one non-empty cell: numbers, not-applicable marks and text pieces."""
    stripped = text.strip()
    if not stripped:
        return [Token("blank", offset, offset + len(text), "", line)]
    lead = len(text) - len(text.lstrip())
    if stripped.isdecimal():  # the common cell: one bare count (isdigit would take "①", which int() refuses)
        return [Token("num", offset + lead, offset + lead + len(stripped), stripped, line)]
    if _DIGIT.search(stripped) is None and _NA.fullmatch(stripped) is None and " " not in stripped:
        return [Token("text", offset + lead, offset + lead + len(stripped), stripped, line)]  # a label cell
    if _NA.fullmatch(stripped):
        return [Token("na", offset + lead, offset + lead + len(stripped), stripped, line)]
    tokens: list[Token] = []
    for m in _PIECE.finditer(text):
        piece = m.group(0)
        start, end = m.span()
        if piece.isdecimal() or _NUMBER.fullmatch(piece):  # (a bare count, the common piece, needs no pattern)
            tokens.append(_new(Token, ("num", offset + start, offset + end, piece, line)))
        elif _NA.fullmatch(piece):
            tokens.append(_new(Token, ("na", offset + start, offset + end, piece, line)))
        elif tokens and tokens[-1].kind == "num" and _UNIT.fullmatch(piece):
            continue  # "18件": a unit after a number is not a cell of its own
        else:
            tokens.append(_new(Token, ("text", offset + start, offset + end, piece, line)))
    return tokens


# More cells than this in a row's region (a line of 200,000 tabs) is not a table row: the tokeniser stops and
# returns MAX_ROW_CELLS + 1 empty cells, which ``fit`` reads as unknown, so memory and time stay bounded.
MAX_ROW_CELLS = 2_000
# A cell without digits and without any character a not-applicable mark or a sign is made of holds only text.
_MAYBE_VALUE = re.compile(r"[\d/\\—–\-－─无空…+]")
# A line split by tabs whose cells after the first hold bare counts or nothing (most rows of most reports).
_ROW_LINE = re.compile(r"([^\t\d]*)\t([\d\t]*)")


def tokenise_region(view: str, start: int, end: int) -> list[Token]:
    """Value tokens after a row label: leading label debris dropped, stopping at text after the values."""
    tokens: list[Token] = []
    label_line: list[Token] = []
    seen_value = False
    pos = start
    line_no = -1
    while pos < end:  # line by line, not split at once: the region of a table's last row can be long
        line_start = pos
        nl = view.find("\n", pos, end)
        pos = end if nl == -1 else nl
        segment = view[line_start:pos]
        pos += 1
        line_no += 1
        if not segment or segment.isspace() or ("-" in segment or "—" in segment) and _is_rule_line(segment):
            continue
        if len(tokens) + segment.count("\t") + segment.count("|") >= MAX_ROW_CELLS:
            return [_BLANK] * (MAX_ROW_CELLS + 1)  # not a row: too many cells (``fit`` leaves it unknown)
        row = _ROW_LINE.fullmatch(segment)
        if row is not None:  # the common line: a first cell, then bare counts and empty cells between tabs
            head = row.group(1)
            if head and not head.isspace():
                if _MAYBE_VALUE.search(head) is not None:
                    row = None  # a mark or a sign in the first cell: read it cell by cell below
                else:  # the rest of the label: text
                    if seen_value:
                        out = _trim(tokens)
                        out.displaced = _LATER_RUN.search(view, line_start, end) is not None
                        out.rest_at = line_start
                        return out
                    if line_no > 0 and not label_line and tokens:
                        label_line = tokens
                    tokens = []
            elif line_start != start:  # an empty first cell on the region's first line is the label's own
                tokens.append(_new(Token, ("blank", line_start, line_start + len(head), "", line_no)))
        if row is not None:
            c_start = line_start + len(row.group(1)) + 1
            for cell in row.group(2).split("\t"):
                if cell:
                    tokens.append(_new(Token, ("num", c_start, c_start + len(cell), cell, line_no)))
                    seen_value = True
                else:
                    tokens.append(_new(Token, ("blank", c_start, c_start, "", line_no)))
                c_start += len(cell) + 1
            continue
        for c_start, cell in _cells(segment, line_start, line_start == start):
            if cell.isdecimal():  # the common cell: a bare count
                tokens.append(_new(Token, ("num", c_start, c_start + len(cell), cell, line_no)))
                seen_value = True
                continue
            stripped = cell.strip()
            if not stripped:
                tokens.append(_new(Token, ("blank", c_start, c_start + len(cell), "", line_no)))
                continue
            if stripped.isdecimal():  # a bare count with spaces around it
                lead = c_start + len(cell) - len(cell.lstrip())
                tokens.append(_new(Token, ("num", lead, lead + len(stripped), stripped, line_no)))
                seen_value = True
                continue
            if _MAYBE_VALUE.search(stripped) is None:  # a label cell: text only
                cell_tokens: list[Token] = [_TEXT]
            else:
                cell_tokens = classify_cell(cell, c_start, line_no)
            for tok in cell_tokens:
                if tok.kind == "text":
                    if seen_value:
                        text_at = tok.start if tok is not _TEXT else c_start + len(cell) - len(cell.lstrip())
                        text = tok.raw if tok is not _TEXT else stripped
                        out = _trim(tokens, open_end=_glued(tokens, text_at, text))
                        out.displaced = _LATER_RUN.search(view, text_at, end) is not None
                        out.rest_at = text_at
                        return out
                    if line_no > 0 and not label_line and tokens:
                        label_line = tokens  # the empty cells printed after the label, kept for a blank row
                    tokens = []  # label debris and the empty cells of the label area
                    continue
                seen_value = seen_value or tok.kind in ("num", "na")
                tokens.append(tok)
    if not seen_value:
        # No value at all: the empty cells printed on the row's first line say the row is there, but blank.
        return [t for t in (label_line or tokens) if t.line == 0]
    return _trim(tokens)


_TEXT = Token("text", 0, 0, "")  # stands for the text tokens of a label cell (only their kind is read)
_BLANK = Token("blank", 0, 0, "")


def _cells(segment: str, offset: int, first: bool) -> list[tuple[int, str]]:
    """Cells of one line as (offset, text); the first line of the region starts with the rest of the label cell.

    Only a line split by tabs or pipes has empty cells: a line without separators is one (non-empty) cell.
    """
    if "\t" in segment:
        sep = "\t"
    elif "|" in segment:
        sep = "|"
    else:
        return [(offset, segment)]
    cells: list[tuple[int, str]] = []
    pos = offset
    for part in segment.split(sep):
        cells.append((pos, part))
        pos += len(part) + 1
    if sep == "|":
        # "| a | b |": nothing before the first pipe or after the last one is a cell.
        if cells and (not cells[0][1] or cells[0][1].isspace()):
            del cells[0]
        if cells and (not cells[-1][1] or cells[-1][1].isspace()):
            del cells[-1]
    elif first and (not cells[0][1] or cells[0][1].isspace()):
        del cells[0]  # the label's own cell, empty after the label text
    return cells


def _is_rule_line(segment: str) -> bool:
    """A markdown or ASCII-art rule ("|---|---|", "-------\t---") is not a row."""
    return segment.count("-") + segment.count("—") >= 3 and _RULE_LINE.fullmatch(segment) is not None


class Tokens(list[Token]):
    """A row's tokens; ``open_end``: the last run of digits touches text that may have taken some of them;
    ``displaced``: after the text that ended the row, another line of numbers comes before the next label."""

    open_end = False
    displaced = False
    rest_at = 0  # where the text that ended the row begins (the second line of numbers lies after it)


# A line of three or more numbers apart: a row's values. After a row's values and some text, one more such
# line before the next label means the numbers were printed beside the wrong label lines (pdftotext -layout
# centres a wrapped label's numbers on any of its lines): which run is whose is not known from proximity.
_LATER_RUN = re.compile(r"(?<![\d.])\d+(?:[ \t]+\d+){2,}(?![\d.])")


def _glued(tokens: list[Token], text_at: int, text: str) -> bool:
    """Does the text that ends the row touch its last value without being a Chinese word (the next label)?

    "…0000000" then "2.其他" (an item number left unmatched), "12a", "12+": the run may hold digits that
    are not the row's, so a cut that merely fills the columns is no proof.
    """
    last = next((t for t in reversed(tokens) if t.kind != "blank"), None)
    return last is not None and last.end == text_at and not "\u4e00" <= text[:1] <= "\u9fff"


def _trim(tokens: list[Token], open_end: bool = False) -> Tokens:
    """Only the lines that hold values belong to the row: empty cells on other lines are dropped."""
    n = len(tokens)
    first = 0
    while first < n and tokens[first].kind == "blank":
        first += 1
    if first == n:
        return Tokens()
    last = n - 1
    while tokens[last].kind == "blank":
        last -= 1
    line = tokens[first].line
    lead = first
    while lead > 0 and tokens[lead - 1].line == line:
        lead -= 1  # empty cells on lines before the values are not the row's
    line = tokens[last].line
    keep = last + 1
    while keep < n and tokens[keep].line == line:
        keep += 1
    out = Tokens(tokens[lead:keep])
    out.open_end = open_end
    return out
