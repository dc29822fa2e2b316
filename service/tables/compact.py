"""A white-space-free copy of the text, with the way back to the original offsets.

Labels and header cues are matched here, so "本年度办 理结果" and "（四）无法\\n\\n提供" still match.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_RUN = re.compile(r"[^\s\d.,:;+\-/|—–_*]+")
# A cell of its own that says 无 ("none") is a value, not a word: it must not split "保护 无 第三方".
_NONE_CELL = re.compile(r"(?<=[\s|])无(?=[\s|])")


class Compact:
    """``text`` is ``view[lo:hi]`` without those characters; ``to_view`` / ``end_in_view`` map offsets back.

    The map is kept per run of visible characters (not per character): a table has a few hundred runs.
    """

    def __init__(self, view: str, lo: int = 0, hi: int | None = None) -> None:
        hi = len(view) if hi is None else hi
        self.run_starts: list[int] = []  # view offset where each run begins
        self.run_ends: list[int] = []
        self.offsets: list[int] = []  # compact offset where each run begins
        pieces: list[str] = []
        size = 0
        words = _NONE_CELL.sub(" ", view[lo:hi]) if "无" in view[lo:hi] else view[lo:hi]
        for m in _RUN.finditer(words):
            self.run_starts.append(lo + m.start())
            self.run_ends.append(lo + m.end())
            self.offsets.append(size)
            pieces.append(m.group(0))
            size += m.end() - m.start()
        self.text = "".join(pieces)
        self.size = hi

    def _index(self, pos: int) -> int:
        """Compact offset of the first visible character at or after view offset ``pos``."""
        j = bisect_right(self.run_starts, pos) - 1
        if j >= 0 and pos < self.run_ends[j]:
            return self.offsets[j] + pos - self.run_starts[j]
        nxt = j + 1
        return self.offsets[nxt] if nxt < len(self.offsets) else len(self.text)

    def bounds(self, lo: int, hi: int) -> tuple[int, int]:
        """Compact offsets covering view offsets ``[lo, hi)``."""
        return self._index(lo), self._index(hi)

    def to_view(self, index: int) -> int:
        """View offset of compact offset ``index`` (one past the end maps to the end of the view)."""
        if index >= len(self.text):
            return self.size
        j = bisect_right(self.offsets, index) - 1
        return self.run_starts[j] + index - self.offsets[j]

    def end_in_view(self, index: int) -> int:
        """View offset just after compact character ``index - 1`` (for match ends)."""
        return self.to_view(index - 1) + 1 if index > 0 else self.to_view(0)
