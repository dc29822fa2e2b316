"""Step 7 (review): line and column numbers of spans, and the line a span sits on (for people: 第12行).

Offsets stay the contract; a line number is what a reviewer looks up in the report. Lines end at "\\n",
"\\r\\n" or a lone "\\r", as editors count them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

from schemas import Extraction, Span

_LINE_END = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """The start offset of every line of a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.starts += [m.end() for m in _LINE_END.finditer(text)]  # (a list comprehension: no generator)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line end."""
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return _LINE_END.sub("", self.text[start:end])

    def quote(self, span: Span | None, width: int = 80) -> str:
        """``第N行：…`` the line the span starts on, cut to about ``width`` characters around the span."""
        if span is None or not 0 <= span.start <= len(self.text):
            return ""
        line, col = self.line_col(span.start)
        text = " ".join(self.line_text(line).split())  # tabs of a table row read as single spaces
        if len(text) > width:
            raw = self.line_text(line)
            left = max(0, col - 1 - width // 2)
            piece = " ".join(raw[left:left + width].split())
            text = ("…" if left else "") + piece + ("…" if left + width < len(raw) else "")
        return f"第{line}行：{text}"


def annotate_spans(result: Extraction, index: LineIndex) -> None:
    """Fill ``line`` and ``column`` of every span in a result (in place)."""
    size = len(index.text)
    starts = index.starts
    spans = [cell.span for cell in result.cells.values()]  # most spans are cells': gathered without a generator
    spans += _spans(result)
    for span in spans:
        if span is not None and 0 <= span.start <= size:
            line = bisect_right(starts, span.start)  # ``index.line_col`` inlined: a report has ~250 spans
            column = span.start - starts[line - 1] + 1
            # Straight into the instance dict: pydantic's __setattr__ cost 0.4 ms a report over ~250 spans, and
            # these two ints need no validation. (They stay out of __pydantic_fields_set__; nothing dumps a
            # result with exclude_unset.)
            span.__dict__["line"] = line
            span.__dict__["column"] = column


def _spans(result: Extraction) -> Iterator[Span | None]:
    """Every span of a result but the cells' (a walk over the named fields: a generic walk took 2 ms a report)."""
    meta = result.meta
    yield meta.agency_span
    yield meta.year_span
    for grounded in (*meta.phone, *meta.email, *meta.website):
        yield grounded.span
    for section in result.sections:
        yield section.span
    for table in result.tables.values():
        yield table.span
    for check in result.checks:
        yield check.quote_span
    for fact in result.facts.values():
        yield fact.span
    for problem in result.problems:
        yield problem.span
