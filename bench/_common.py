"""What the benchmark scripts share: the percentile they report and how they hand out their JSON document.

Imported by sibling name (``from _common import …``): the scripts run as ``python bench/<name>.py``, which
puts this folder on ``sys.path``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the smallest value with at least ``pct`` % of the values at or below it)."""
    ordered = sorted(values)  # linear when already sorted
    if not ordered:
        return float("nan")
    rank = -(-len(ordered) * pct // 100)  # ceil(n * pct / 100)
    return ordered[int(min(len(ordered), max(1, rank))) - 1]


def emit(doc: dict[str, Any], *, out: Path | None, as_json: bool, table: Callable[[dict[str, Any]], None]) -> None:
    """Write ``doc`` to ``out`` (when given), then print it as JSON or as ``table`` prints it."""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    if as_json:
        print(text)
    else:
        table(doc)
