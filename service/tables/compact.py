"""A white-space-free copy of the text, with the way back to the original offsets.

Labels and header cues are matched here, so "本年度办 理结果" and "（四）无法\\n\\n提供" still match.
"""

from __future__ import annotations

import re
from bisect import bisect_left

_RUN = re.compile(r"\S+")


class Compact:
    """``text`` is ``view[lo:hi]`` without white space; offsets map back with ``to_view`` / ``end_in_view``."""

    def __init__(self, view: str, lo: int = 0, hi: int | None = None) -> None:
        hi = len(view) if hi is None else hi
        self.positions: list[int] = []
        pieces: list[str] = []
        for m in _RUN.finditer(view, lo, hi):
            self.positions.extend(range(m.start(), m.end()))
            pieces.append(m.group(0))
        self.text = "".join(pieces)
        self.size = hi

    def bounds(self, lo: int, hi: int) -> tuple[int, int]:
        """Compact offsets covering view offsets ``[lo, hi)``."""
        return bisect_left(self.positions, lo), bisect_left(self.positions, hi)

    def to_view(self, index: int) -> int:
        """View offset of compact offset ``index`` (one past the end maps to the end of the view)."""
        return self.positions[index] if index < len(self.positions) else self.size

    def end_in_view(self, index: int) -> int:
        """View offset just after compact character ``index - 1`` (for match ends)."""
        return self.positions[index - 1] + 1 if index > 0 else self.to_view(0)
