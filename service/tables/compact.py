"""A white-space-free copy of a stretch of text, with the way back to the original offsets."""

from __future__ import annotations

import re

_VISIBLE = re.compile(r"\S")


class Compact:
    """``text`` is ``view[lo:hi]`` without white space; ``to_view`` maps its offsets back."""

    def __init__(self, view: str, lo: int, hi: int) -> None:
        self.positions = [m.start() for m in _VISIBLE.finditer(view, lo, hi)]
        self.text = "".join(view[p] for p in self.positions)
        self.hi = hi

    def to_view(self, index: int) -> int:
        """View offset of compact offset ``index`` (one past the end maps to the stretch's end)."""
        return self.positions[index] if index < len(self.positions) else self.hi

    def end_in_view(self, index: int) -> int:
        """View offset just after compact character ``index - 1`` (for match ends)."""
        return self.positions[index - 1] + 1 if index > 0 else (self.positions[0] if self.positions else self.hi)
