"""How the deterministic path scales with the size of a report: time and memory at 1x, 4x and 16x.

    python bench/scale.py [--factors 1 4 16] [--reps 15] [--json] [--no-memory]

Reports are built from eval/samples/*.txt, grown three ways:

* ``prose``  -- the prose of sections 一, 五 and 六 repeated (longer text, the same tables);
* ``whole``  -- the whole report repeated (every section and table printed again: duplicated sections);
* ``lines``  -- every line printed again right after itself (twice the rows of every table at 2x, …).

For each way and factor: median and p95 milliseconds per report (over ``--reps`` runs of every sample, in
two modes: the rules narrative, and no narrative step), milliseconds per KB of UTF-8 input, the growth
``time(16x) / time(1x)`` against 16 (linear), and peak memory: the tracemalloc peak of one run, and the peak
resident set (VmHWM) of a fresh process that runs every report of that factor, and its rise over the process
before the first report. One thread.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import percentile

from schemas import ExtractOptions
from service.pipeline import extract

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "eval" / "samples").glob("*.txt"))
MODES = {"rules narrative": ExtractOptions(), "no narrative": ExtractOptions(narrative=False)}
PROSE_SECTIONS = ("一、", "五、", "六、")


def grow_prose(text: str, factor: int) -> str:
    """The paragraphs of sections 一, 五 and 六 repeated ``factor`` times."""
    starts = sorted(i for marker in PROSE_SECTIONS for i in [text.find("\n" + marker)] if i >= 0)
    heads = sorted(i for marker in ("一、", "二、", "三、", "四、", "五、", "六、")
                   for i in [text.find("\n" + marker)] if i >= 0)
    out, pos = [], 0
    for start in starts:
        later = [h for h in heads if h > start]
        end = later[0] if later else len(text)
        body_start = text.find("\n", start + 1)
        if body_start < 0 or body_start >= end:
            continue
        out += [text[pos:body_start], text[body_start:end] * factor]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def grow_whole(text: str, factor: int) -> str:
    """The whole report ``factor`` times."""
    return "\n".join([text] * factor)


def grow_lines(text: str, factor: int) -> str:
    """Every line ``factor`` times in a row."""
    return "\n".join(line for line in text.split("\n") for _ in range(factor))


WAYS: dict[str, Callable[[str, int], str]] = {"prose": grow_prose, "whole": grow_whole, "lines": grow_lines}


def time_reports(texts: list[str], reps: int) -> dict[str, dict[str, float]]:
    """Per mode: median and p95 ms per report and ms per KB, the modes taking turns run by run."""
    timings: dict[str, list[float]] = {mode: [] for mode in MODES}
    per_kb: dict[str, list[float]] = {mode: [] for mode in MODES}
    for text in texts:
        data = text.encode("utf-8")
        for options in MODES.values():
            extract(data, options=options)  # warm-up
        for _ in range(reps):
            for mode, options in MODES.items():
                started = time.perf_counter_ns()
                extract(data, options=options)
                ms = (time.perf_counter_ns() - started) / 1e6
                timings[mode].append(ms)
                per_kb[mode].append(ms / (len(data) / 1024))
    return {mode: {"median_ms": round(statistics.median(t), 3), "p95_ms": round(percentile(t, 95), 3),
                   "median_ms_per_kb": round(statistics.median(per_kb[mode]), 4)} for mode, t in timings.items()}


def tracemalloc_peak(texts: list[str]) -> float:
    """Largest tracemalloc peak (MB) of one run over the reports (rules narrative)."""
    peaks = []
    for text in texts:
        data = text.encode("utf-8")
        tracemalloc.start()
        extract(data)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return round(max(peaks) / 2**20, 2)


def maxrss(way: str, factor: int) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process that runs every report of one way and factor, and its rise over the
    process before the first report (after imports, the reports' texts and one small warm-up run)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, __file__, "--rss-child", way, str(factor)], env=env, check=True,
                         capture_output=True, text=True, cwd=ROOT)
    total, rise = out.stdout.split()
    return float(total), float(rise)


def _peak_rss_kb() -> int:
    """This process's peak resident set (kB): VmHWM on Linux (ru_maxrss there counts the forking parent's
    peak too), ru_maxrss elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_child(way: str, factor: int) -> None:
    texts = [WAYS[way](p.read_text(encoding="utf-8"), factor) for p in SAMPLES]
    extract(texts[0][:2000])  # imports and first-call caches before the baseline
    before = _peak_rss_kb()
    for text in texts:
        extract(text.encode("utf-8"))
    after = _peak_rss_kb()
    print(round(after / 1024, 1), round((after - before) / 1024, 2))


def run(factors: list[int], reps: int, memory: bool) -> dict[str, Any]:
    """Every way at every factor."""
    base = [p.read_text(encoding="utf-8") for p in SAMPLES]
    rows: list[dict[str, Any]] = []
    for way, grow in WAYS.items():
        for factor in factors:
            texts = [grow(t, factor) for t in base]
            row: dict[str, Any] = {"way": way, "factor": factor,
                                   "kb_median": round(statistics.median(len(t.encode()) / 1024 for t in texts), 1),
                                   **time_reports(texts, reps)}
            if memory:
                row["tracemalloc_peak_mb"] = tracemalloc_peak(texts)
                row["maxrss_mb"], row["maxrss_rise_mb"] = maxrss(way, factor)
            rows.append(row)
            print(f"  {way} x{factor}: done", file=sys.stderr, flush=True)
    growth: dict[str, dict[str, float]] = {}
    lo, hi = min(factors), max(factors)
    for way in WAYS:
        first = next(r for r in rows if r["way"] == way and r["factor"] == lo)
        last = next(r for r in rows if r["way"] == way and r["factor"] == hi)
        growth[way] = {mode: round(last[mode]["median_ms"] / first[mode]["median_ms"], 2) for mode in MODES}
        growth[way]["size"] = round(last["kb_median"] / first["kb_median"], 2)
    return {"command": " ".join([Path(sys.executable).name, *sys.argv]), "samples": len(base), "reps": reps,
            "rows": rows, "growth_max_over_min_factor": growth}


def render(result: dict[str, Any]) -> str:
    """A plain-text table."""
    lines = [f"command: {result['command']}", f"{result['samples']} samples x {result['reps']} runs per cell", "",
             f"{'way':<6} {'x':>3} {'KB':>7}  {'rules med':>9} {'p95':>7} {'ms/KB':>7}  "
             f"{'no-narr med':>11} {'p95':>7} {'ms/KB':>7}  {'tracemalloc MB':>14} {'maxrss MB':>9} {'rise':>6}"]
    for r in result["rows"]:
        full, bare = r["rules narrative"], r["no narrative"]
        mem = (f"{r['tracemalloc_peak_mb']:>14.2f} {r['maxrss_mb']:>9.1f} {r['maxrss_rise_mb']:>6.2f}"
               if "tracemalloc_peak_mb" in r else "")
        lines.append(f"{r['way']:<6} {r['factor']:>3} {r['kb_median']:>7.1f}  {full['median_ms']:>9.2f} "
                     f"{full['p95_ms']:>7.2f} {full['median_ms_per_kb']:>7.3f}  {bare['median_ms']:>11.2f} "
                     f"{bare['p95_ms']:>7.2f} {bare['median_ms_per_kb']:>7.3f}  {mem}")
    lines.append("")
    for way, g in result["growth_max_over_min_factor"].items():
        lines.append(f"{way}: size x{g['size']}, time x{g['rules narrative']} (rules narrative), "
                     f"x{g['no narrative']} (no narrative)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the scaling benchmark."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--rss-child"]:
        _rss_child(argv[1], int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--reps", type=int, default=15, help="timed runs per sample, factor and mode")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc and ru_maxrss")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(sorted(set(args.factors)), args.reps, not args.no_memory)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
