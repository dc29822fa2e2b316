"""A white-space-free copy of the text, with the way back to the original offsets.

Labels and header cues are matched here, so "本年度办 理结果" and "（四）无法\\n\\n提供" still match.
"""

from __future__ import annotations

import re
from bisect import bisect_left

_VISIBLE = re.compile(r"\S")


class Compact:
    """``text`` is the view without white space; offsets map back with ``to_view`` / ``end_in_view``."""

    def __init__(self, view: str) -> None:
        self.positions = [m.start() for m in _VISIBLE.finditer(view)]
        self.text = re.sub(r"\s", "", view)
        self.size = len(view)

    def bounds(self, lo: int, hi: int) -> tuple[int, int]:
        """Compact offsets covering view offsets ``[lo, hi)``."""
        return bisect_left(self.positions, lo), bisect_left(self.positions, hi)

    def to_view(self, index: int) -> int:
        """View offset of compact offset ``index`` (one past the end maps to the end of the view)."""
        return self.positions[index] if index < len(self.positions) else self.size

    def end_in_view(self, index: int) -> int:
        """View offset just after compact character ``index - 1`` (for match ends)."""
        return self.positions[index - 1] + 1 if index > 0 else self.to_view(0)
