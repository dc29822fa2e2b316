"""Prose as sentences, whatever its lines: the text the narrative rules read.

PDF text wraps lines in mid-sentence and puts page numbers and running headers between them; scraped web
text runs a whole section into one line. The rules must find items by enumerators and sentence ends, so they
read a *flow*: the prose of some zones of the parse view with

* a line break inside a sentence removed (the line before is full width and does not end a sentence, and
  the next line does not open a heading or a numbered item),
* page furniture dropped (page-number lines, a running header: a short line repeated on several pages),
* the indentation of each line dropped.

Every character of a flow keeps its offset in the view (which is the offset in the user's text), so a span
found in the flow maps back to the text, and an item's words can be copied from the text without the line
breaks and furniture that stood inside it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# A line that closes a sentence or a lead-in: the next line starts afresh.
_TERMINAL = "。!?;:！？；："
# A line that opens a heading or a numbered item: never the continuation of the line before.
_OPENS_ITEM = re.compile(r"[ \t\u3000]*(?:[(（][一二三四五六七八九十\d]{1,2}[)）]|[一二三四五六七八九十]{1,2}[、是]"
                         r"|\d{1,2}[.、．](?!\d)|第[一二三四五六七八九十]+[，,、])")
_PAGE_NUMBER = re.compile(r"[ \t\u3000]*\d{1,3}[ \t\u3000]*")
_BLANKS = " \t\u3000\r\f\v"
# A line this much shorter than the zone's full lines ends its paragraph (a heading, a paragraph's end).
_FULL_SHARE = 0.75


@dataclass(frozen=True)
class Flow:
    """The flowing prose of some zones, and the view offset of each of its characters."""

    text: str
    offsets: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The view span of ``text[start:end]`` (``end > start``)."""
        return self.offsets[start], self.offsets[end - 1] + 1

    def copy(self, source: str, start: int, end: int) -> str:
        """The characters of ``source`` (the user's text) that ``text[start:end]`` stands for."""
        return "".join("\n" if self.text[i] == "\n" else source[self.offsets[i]] for i in range(start, end))


def running_headers(view: str) -> frozenset[str]:
    """Short lines that recur (a report's title repeated at the top of each PDF page)."""
    last_view, last_headers = _LAST[0]  # facts and problems both flow the same view: count its lines once
    if last_view is view:
        return last_headers
    headers = _running_headers(view)
    _LAST[0] = (view, headers)  # one tuple, swapped whole: safe across threads
    return headers


_LAST: list[tuple[str | None, frozenset[str]]] = [(None, frozenset())]


def _running_headers(view: str) -> frozenset[str]:
    counts = Counter(line.strip(_BLANKS) for line in view.split("\n"))
    return frozenset(line for line, n in counts.items()
                     if n >= 2 and 6 <= len(line) <= 60 and line[-1] not in _TERMINAL + ",，、")


def flow(view: str, zones: Sequence[tuple[int, int]], headers: frozenset[str] | None = None) -> Flow:
    """The prose of ``zones`` of the view as a flow; zones are separated by a line break."""
    headers = running_headers(view) if headers is None else headers
    pieces: list[str] = []  # whole lines, not characters: one join at the end
    offsets: list[int] = []  # one per character of the flow
    for start, end in zones:
        start, end = max(0, start), min(end, len(view))
        lines = _lines(view, start, end, headers)
        full = _full_width([width for _, _, width in lines])
        previous: tuple[int, int, int] | None = None
        for s, e, raw_len in lines:
            if previous is not None:
                ps, pe, plen = previous
                joined = (view[pe - 1] not in _TERMINAL and plen >= _FULL_SHARE * full
                          and not _OPENS_ITEM.match(view, s, e))
                if not joined:
                    pieces.append("\n")
                    offsets.append(pe)
            elif offsets:
                pieces.append("\n")
                offsets.append(s)
            pieces.append(view[s:e])
            offsets.extend(range(s, e))
            previous = (s, e, raw_len)
    return Flow("".join(pieces), tuple(offsets))


def _lines(view: str, start: int, end: int, headers: frozenset[str]) -> list[tuple[int, int, int]]:
    """(start, end, width) of each line of prose in [start, end): blanks trimmed, furniture left out."""
    out = []
    pos = start
    while pos < end:
        nl = view.find("\n", pos, end)
        stop = end if nl < 0 else nl
        s, e = pos, stop
        while s < e and view[s] in _BLANKS:
            s += 1
        while e > s and view[e - 1] in _BLANKS:
            e -= 1
        if e > s and view[s:e] not in headers and not _PAGE_NUMBER.fullmatch(view, s, e):
            out.append((s, e, e - pos))
        pos = stop + 1
    return out


def _full_width(widths: list[int]) -> float:
    """The width of a full line of the zone: what most long lines reach (the 80th percentile)."""
    if not widths:
        return 0.0
    ordered = sorted(widths)
    return float(ordered[min(len(ordered) - 1, int(0.8 * len(ordered)))])
