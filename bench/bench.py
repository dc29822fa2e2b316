"""Benchmark the deterministic pipeline on the committed samples: milliseconds per report.

    python bench/bench.py [--reps 200] [--warmup 20] [--clock wall|cpu] [--json [--raw]] [PATH...]

Each report is read as bytes and run through ``service.pipeline.extract`` — decode, normalise, sections,
meta & version, tables, checks — in two modes that take turns run by run: with the rules narrative
backend (the whole offline path) and with a narrative step that does nothing (the pipeline without the
narrative). One process, one thread, one file at a time; no run overlaps another. Reports median and
p90/p95 per file and over all runs, with the command and the machine. Default inputs: eval/samples/*.txt
and eval/cases/*.txt. ``--json`` prints the result as JSON; ``--raw`` adds every run's milliseconds (for
``bench/compare.py``, which pools runs of two source trees).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import percentile

from service.narrative import NarrativeInput, NarrativeOutput
from service.narrative.rules import RulesBackend
from service.pipeline import extract

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GLOBS = ("eval/samples/*.txt", "eval/cases/*.txt")


class NoNarrative:
    """A narrative step that reads nothing: what remains is the table pipeline."""

    name = "none"

    def read(self, doc: NarrativeInput, options: object = None) -> NarrativeOutput:
        """Nothing."""
        return NarrativeOutput()


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}


def time_file(data: bytes, source: str, backends: dict[str, Any], reps: int,
              warmup: int, clock: str = "wall") -> dict[str, list[float]]:
    """Milliseconds of ``reps`` runs per backend on one report, after ``warmup`` untimed runs each.

    The backends take turns run by run, so a burst of load elsewhere on the machine hits them alike.
    """
    now = CLOCKS[clock]
    timings: dict[str, list[float]] = {mode: [] for mode in backends}
    for rep in range(warmup + reps):
        for mode, backend in backends.items():
            started = now()
            extract(data, source=source, narrative=backend)
            if rep >= warmup:
                timings[mode].append((now() - started) / 1e6)
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    """Median, p90 and p95 (nearest rank) of a list of milliseconds."""
    ordered = sorted(timings)
    return {"median_ms": round(statistics.median(ordered), 3), "p90_ms": round(percentile(ordered, 90), 3),
            "p95_ms": round(percentile(ordered, 95), 3), "runs": len(ordered)}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
            "cpus_usable": affinity, "threads_used": 1}


def run(paths: list[Path], reps: int, warmup: int, raw: bool = False, clock: str = "wall") -> dict[str, Any]:
    """Time every file with and without the narrative step (``raw``: keep every run's milliseconds)."""
    modes = {"pipeline": RulesBackend(), "pipeline_without_narrative": NoNarrative()}
    files: list[dict[str, Any]] = []
    pooled: dict[str, list[float]] = {mode: [] for mode in modes}
    for path in paths:
        data = path.read_bytes()
        row: dict[str, Any] = {"file": _shown(path), "bytes": len(data)}
        for mode, timings in time_file(data, path.name, modes, reps, warmup, clock).items():
            pooled[mode] += timings
            row[mode] = summary(timings)
        files.append(row)
    result = {"command": shlex.join([Path(sys.executable).name, *sys.argv]), "machine": machine(),
              "clock": clock, "reps_per_file": reps, "warmup_per_file": warmup, "files": files,
              "per_report": {mode: summary(t) for mode, t in pooled.items()}}
    if raw:
        result["runs_ms"] = {mode: [round(t, 4) for t in timings] for mode, timings in pooled.items()}
    return result


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def render(result: dict[str, Any]) -> str:
    """A plain-text table of the result."""
    m = result["machine"]
    lines = [f"command: {result['command']}",
             f"machine: Python {m['python']} ({m['implementation']}), {m['cpu'] or 'unknown CPU'}, "
             f"{m['cpu_count']} CPUs ({m['cpus_usable']} usable), 1 thread used",
             f"runs: {result['reps_per_file']} per file after {result['warmup_per_file']} warm-up runs", "",
             f"{'file':<44} {'bytes':>7}  {'median ms':>9} {'p90 ms':>8}  {'no-narr. med':>12} {'p90':>7}"]
    for row in result["files"]:
        full, bare = row["pipeline"], row["pipeline_without_narrative"]
        lines.append(f"{row['file']:<44} {row['bytes']:>7}  {full['median_ms']:>9.2f} "
                     f"{full['p90_ms']:>8.2f}  {bare['median_ms']:>12.2f} {bare['p90_ms']:>7.2f}")
    full, bare = result["per_report"]["pipeline"], result["per_report"]["pipeline_without_narrative"]
    lines += ["", f"per report (all {full['runs']} runs): median {full['median_ms']:.2f} ms, "
              f"p90 {full['p90_ms']:.2f} ms, p95 {full['p95_ms']:.2f} ms; without the narrative step: "
              f"median {bare['median_ms']:.2f} ms, p90 {bare['p90_ms']:.2f} ms, p95 {bare['p95_ms']:.2f} ms"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints a table, or JSON with ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="*", type=Path, help="reports (default: the committed samples)")
    parser.add_argument("--reps", type=int, default=200, help="timed runs per file and mode (default: 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed runs first (default: 20)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--raw", action="store_true", help="with --json: every run's milliseconds too")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default) or the process's CPU time, which a busy machine disturbs less")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(p for pattern in DEFAULT_GLOBS for p in ROOT.glob(pattern))
    if not paths:
        parser.error("no reports found; pass paths or run from a checkout with eval/samples")
    if args.reps < 1 or args.warmup < 0:
        parser.error("--reps must be at least 1 and --warmup at least 0")
    result = run(paths, args.reps, args.warmup, raw=args.raw, clock=args.clock)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
