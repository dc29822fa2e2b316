"""How long a series takes once its reports are read: grouping, cross-year checks, repetition, indicators,
and the eight SVG charts of one agency.

    .venv/bin/python bench/series.py [--years 7] [--rounds 20] [--json] [--out FILE]

The reports are sample 001 moved to each year (the narrative repeats in full: the repetition step's worst
case, every sentence matched). Extraction itself is measured by bench/bench.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from _common import emit, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.series import build_series, series_charts  # noqa: E402
from testkit.series import YUANZHOU, as_year, read, sample  # noqa: E402


def measure(years: int, rounds: int) -> dict[str, Any]:
    """Median and p95 milliseconds of build_series and of one agency's charts over ``rounds`` runs."""
    inputs = [read(as_year(sample(YUANZHOU), 2021 - years + 1 + i, 2021), str(i)) for i in range(years)]
    build, charts = [], []
    series = build_series(inputs).series[0]
    series_charts(series)  # the first chart loads matplotlib and its fonts: not part of the steady state
    for _ in range(rounds):
        began = time.perf_counter()
        series = build_series(inputs).series[0]
        build.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        series_charts(series)
        charts.append((time.perf_counter() - began) * 1000)
    return {"years": years, "rounds": rounds,
            "build_ms": {"p50": round(percentile(build, 50), 2), "p95": round(percentile(build, 95), 2)},
            "charts_ms": {"p50": round(percentile(charts, 50), 2), "p95": round(percentile(charts, 95), 2)}}


def _table(doc: dict[str, Any]) -> None:
    print(f"{doc['years']} years, {doc['rounds']} rounds")
    for name in ("build_ms", "charts_ms"):
        print(f"  {name:10} p50 {doc[name]['p50']:8.2f}  p95 {doc[name]['p95']:8.2f}")


def main() -> None:
    """Run the benchmark and print or save its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    emit(measure(args.years, args.rounds), out=args.out, as_json=args.json, table=_table)


if __name__ == "__main__":
    main()
