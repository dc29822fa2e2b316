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

_PIECE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|[+-]?\d+(?:\.\d+)?|[^\s\d+-]+|[+-]")
_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?")
_NA = re.compile(r"(?:[/\\—–\-－─]{1,3}|无|空|暂无|…+|—+)")
_UNIT = re.compile(r"(?:万元|元|件|个|条|项|次|人次|户)")
_DIGIT = re.compile(r"\d")
_RULE_LINE = re.compile(r"[\s|:\-—=+]*")


class Token(NamedTuple):
    """One cell, or one number inside a cell, with its span in the text (a tuple: rows make hundreds)."""

    kind: TokenKind
    start: int
    end: int
    raw: str
    line: int = 0

    @property
    def splittable(self) -> bool:
        """A run of bare digits may hold several numbers printed without separators."""
        return self.kind == "num" and self.raw.isdecimal() and len(self.raw) > 1

    def number(self) -> int | Decimal:
        """The token's value (ints for counts, Decimal for anything with a decimal point)."""
        raw = self.raw.replace(",", "")
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
        start, end = offset + m.start(), offset + m.end()
        if _NUMBER.fullmatch(piece):
            tokens.append(Token("num", start, end, piece, line))
        elif _NA.fullmatch(piece):
            tokens.append(Token("na", start, end, piece, line))
        elif tokens and tokens[-1].kind == "num" and _UNIT.fullmatch(piece):
            continue  # "18件": a unit after a number is not a cell of its own
        else:
            tokens.append(Token("text", start, end, piece, line))
    return tokens


def _cells_of_line(view: str, start: int, end: int, first: bool) -> list[tuple[int, int]]:
    """Cell boundaries of one line; the first fragment of the region is the rest of the label cell."""
    segment = view[start:end]
    if "\t" in segment:
        sep = "\t"
    elif "|" in segment:
        sep = "|"
    else:
        return [(start, end)]
    bounds: list[tuple[int, int]] = []
    pos = start
    for part in segment.split(sep):
        bounds.append((pos, pos + len(part)))
        pos += len(part) + 1
    if sep == "|":
        # "| a | b |": nothing before the first pipe or after the last one is a cell.
        if bounds and not view[bounds[0][0]:bounds[0][1]].strip():
            bounds = bounds[1:]
        if bounds and not view[bounds[-1][0]:bounds[-1][1]].strip():
            bounds = bounds[:-1]
    elif first and bounds and not view[bounds[0][0]:bounds[0][1]].strip():
        bounds = bounds[1:]  # the label's own cell, empty after the label text
    return bounds


def tokenise_region(view: str, start: int, end: int) -> list[Token]:
    """Value tokens after a row label: leading label debris dropped, stopping at text after the values."""
    tokens: list[Token] = []
    label_line: list[Token] = []
    seen_value = False
    line_no = 0
    pos = start
    while pos < end:
        nl = view.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        segment = view[pos:line_end]
        if segment.strip() and not _is_rule_line(segment):
            separated = "\t" in segment or "|" in segment
            for c_start, c_end in _cells_of_line(view, pos, line_end, first=pos == start):
                cell = view[c_start:c_end]
                stripped = cell.strip()
                if not stripped:
                    if separated:
                        tokens.append(Token("blank", c_start, c_end, "", line_no))
                    continue
                if stripped.isdecimal():  # the common cell, inline: a bare count
                    lead = c_start + len(cell) - len(cell.lstrip())
                    tokens.append(Token("num", lead, lead + len(stripped), stripped, line_no))
                    seen_value = True
                    continue
                for tok in classify_cell(cell, c_start, line_no):
                    if tok.kind == "text":
                        if seen_value:
                            return _trim(tokens)
                        if line_no > 0 and not label_line and tokens:
                            label_line = tokens  # the empty cells printed after the label, kept for a blank row
                        tokens = []  # label debris and the empty cells of the label area
                        continue
                    seen_value = seen_value or tok.kind in ("num", "na")
                    tokens.append(tok)
        pos = line_end + 1
        line_no += 1
    if not seen_value:
        # No value at all: the empty cells printed on the row's first line say the row is there, but blank.
        return [t for t in (label_line or tokens) if t.line == 0]
    return _trim(tokens)


def _is_rule_line(segment: str) -> bool:
    """A markdown or ASCII-art rule ("|---|---|", "-------\t---") is not a row."""
    return segment.count("-") + segment.count("—") >= 3 and _RULE_LINE.fullmatch(segment) is not None


def _trim(tokens: list[Token]) -> list[Token]:
    """Only the lines that hold values belong to the row: empty cells on other lines are dropped."""
    last = max((i for i, t in enumerate(tokens) if t.kind != "blank"), default=-1)
    if last < 0:
        return []
    first = next(i for i, t in enumerate(tokens) if t.kind != "blank")
    lead = first
    while lead > 0 and tokens[lead - 1].line == tokens[first].line:
        lead -= 1
    tokens, last = tokens[lead:], last - lead  # empty cells on lines before the values are not the row's
    line = tokens[last].line
    keep = last + 1
    while keep < len(tokens) and tokens[keep].line == line:
        keep += 1
    return tokens[:keep]
