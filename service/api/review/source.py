"""The report's text for ``#source``, pre-split at every span boundary, so the page needs no index math.

Python offsets are code points, a browser's are UTF-16 units; instead of converting, the server cuts the
text into segments at the spans' starts and ends. Each segment that some value points into becomes a
``<span id=… data-refs=… title=…>``; a value links to the first segment of its span and names the last,
so highlighting it is a matter of segment ids. Segments no value points into stay plain text.

The rendered element's text content is the text exactly: ``\\r`` is written as ``&#13;`` (an HTML parser
turns a literal CR or CRLF into LF, but keeps a character reference), and the template puts a newline
right after ``<pre>`` (the parser drops the first one).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Ref:
    """One thing with a span: its id on the page (``c-…``, ``f-…``), its label, and ``[start, end)``."""

    id: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Anchor:
    """Where a ref's highlight begins and ends: the ids of its first and last segment."""

    first: str
    last: str


def render_source(text: str, refs: list[Ref], prefix: str,
                  marks: dict[int, str] | None = None) -> tuple[Markup, dict[str, Anchor]]:
    """The HTML of ``text`` cut at the refs' boundaries, and each ref's anchor (refs with empty or
    out-of-range spans get none). ``marks`` puts an empty element with the given id at an offset (section
    starts, for navigation). Segment ids are ``{prefix}s{n}``."""
    marks = marks or {}
    valid = [r for r in refs if 0 <= r.start < r.end <= len(text)]
    cuts = sorted({0, len(text), *marks, *(r.start for r in valid), *(r.end for r in valid)})
    cuts = [c for c in cuts if 0 <= c <= len(text)]
    covering: list[list[Ref]] = [[] for _ in cuts]
    for ref in valid:
        for i in range(bisect.bisect_left(cuts, ref.start), bisect.bisect_left(cuts, ref.end)):
            covering[i].append(ref)
    parts: list[str] = []
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    for i, start in enumerate(cuts[:-1]):
        if start in marks:
            parts.append(f'<a class="mark" id="{escape(marks[start])}"></a>')
        piece = _escape_text(text[start:cuts[i + 1]])
        if not covering[i]:
            parts.append(piece)
            continue
        seg = f"{prefix}s{i}"
        for ref in covering[i]:
            first.setdefault(ref.id, seg)
            last[ref.id] = seg
        ids = " ".join(r.id for r in covering[i])
        title = "；".join(dict.fromkeys(r.label for r in covering[i]))
        parts.append(f'<span class="ref" id="{seg}" data-refs="{escape(ids)}" title="{escape(title)}">{piece}</span>')
    anchors = {ref_id: Anchor(seg, last[ref_id]) for ref_id, seg in first.items()}
    return Markup("".join(parts)), anchors


def _escape_text(text: str) -> str:
    """HTML-escaped text whose parsed form is ``text`` itself (CR kept as a character reference)."""
    return str(escape(text)).replace("\r", "&#13;")
