"""Where each table lies: from its first header cue to the next section or the next table.

A table is looked for in its own section (二 → 表二, 三 → 表三, 四 → 表四); when that heading is missing
the header cue alone finds it. Cues are matched on the compact text, so broken headers still match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.sections import LocatedSection
from service.tables.compact import Compact

_SECTION_OF = {"active": 2, "requests": 3, "review": 4}
CUES = {
    "active": re.compile(r"第二十条第\(?[一二三四五六七八九]|信息内容|本年制发件数|本年新制作数量"),
    "requests": re.compile(r"本列数据的勾稽关系|申请人情况|本年新收政府信息公开申请"),
    "review": re.compile(r"结果维持|尚未审结|未经复议直接起诉"),
}
ORDER = ("active", "requests", "review")


@dataclass(frozen=True)
class Region:
    """A span of the parse view that holds one table."""

    table: str
    start: int
    end: int


def locate_tables(view: str, compact: Compact, sections: list[LocatedSection]) -> dict[str, Region]:
    """Regions of the tables that are present, keyed by table id."""
    by_number = {s.number: s for s in sections}
    heads = sorted(s.start for s in sections)
    found: dict[str, Region] = {}
    cursor = 0
    for table in ORDER:
        section = by_number.get(_SECTION_OF[table])
        lo, hi = (section.body_start, section.end) if section else (cursor, len(view))
        cue = _find(compact, CUES[table], lo, hi)
        if cue is None and section is not None:
            cue = section.body_start  # header lost in flattening: the section itself still holds the table
        if cue is None:
            continue
        end = min([h for h in heads if h > cue] + [hi])
        later = [_find(compact, CUES[t], cue, end) for t in ORDER[ORDER.index(table) + 1:]]
        end = min([p for p in later if p is not None] + [end])
        found[table] = Region(table, cue, end)
        cursor = end
    return found


def _find(compact: Compact, pattern: re.Pattern[str], lo: int, hi: int) -> int | None:
    """First match of a cue between view offsets lo and hi, as a view offset."""
    c_lo, c_hi = compact.bounds(lo, hi)
    m = pattern.search(compact.text, c_lo, c_hi)
    return compact.to_view(m.start()) if m else None
