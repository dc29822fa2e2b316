"""A white-space-free copy of the text, with the way back to the original offsets.

Labels and header cues are matched here, so "本年度办 理结果" and "（四）无法\\n\\n提供" still match.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, MutableSequence
from itertools import accumulate

# What lies between the runs of visible characters that labels are made of (captured: ``split`` keeps it).
_GAP = re.compile(r"([\s\d.,:;+\-/|—–_*]+)")
_MANY_RUNS = 20_000


def _int_array(values: Iterable[int]) -> MutableSequence[int]:
    return array("q", values)


# A cell of its own that says 无 ("none") is a value, not a word: it must not split "保护 无 第三方".
# The literal comes first so that the engine can skip to each 无 (a leading look-behind is tried everywhere).
_NONE_CELL = re.compile(r"无(?<=[\s|]无)(?=[\s|])")


class Compact:
    """``text`` is ``view[lo:hi]`` without those characters; ``to_view`` / ``end_in_view`` map offsets back.

    The map is kept per run of visible characters (not per character): a table has a few hundred runs.
    """

    def __init__(self, view: str, lo: int = 0, hi: int | None = None) -> None:
        hi = len(view) if hi is None else hi
        region = view[lo:hi]
        words = _NONE_CELL.sub(" ", region) if "无" in region else region
        # Runs and the gaps between them alternate: [run, gap, run, …, run]; only the first and last run
        # can be empty. Offsets come from the lengths (C-level accumulate), not from one match object a run.
        # A long text (millions of runs) keeps them in arrays of machine integers: a third of the memory.
        parts = _GAP.split(words)
        store: Callable[[Iterable[int]], MutableSequence[int]] = list if len(parts) < _MANY_RUNS else _int_array
        bounds = store(accumulate(map(len, parts), initial=lo))
        runs = parts[0::2]
        del parts
        starts = bounds[0:len(bounds) - 1:2]
        ends = bounds[1::2]
        del bounds
        if not runs[-1]:
            del runs[-1], starts[-1], ends[-1]
        if runs and not runs[0]:
            del runs[0], starts[0], ends[0]
        self.run_starts = starts  # view offset where each run begins
        self.run_ends = ends
        self.offsets = store(accumulate(map(len, runs), initial=0))  # compact offset of each run
        del self.offsets[-1]
        self.text = "".join(runs)
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
