"""Compare the deterministic path of two source trees on the same reports, in alternating rounds.

    python bench/compare.py BEFORE_DIR [AFTER_DIR] [--rounds 8] [--reps 20] [--warmup 5] [--clock cpu] [--json]

Each round runs ``bench/bench.py --json --raw`` once per tree, in a fresh process whose ``PYTHONPATH`` puts
that tree's ``service`` and ``schemas`` first (AFTER_DIR defaults to this checkout). The order of the two
trees flips every round, so a burst of load elsewhere on the machine hits both alike; the runs of all
rounds are pooled and summarised (median, p90, p95 per report) for both modes of ``bench.py``. The
spread of the per-round medians says how noisy the machine was.

A BEFORE_DIR is made from a commit with, e.g.::

    mkdir -p /tmp/before && git archive HEAD service schemas | tar -x -C /tmp/before
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import percentile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODES = ("pipeline_without_narrative", "pipeline")


def _round(tree: Path, reps: int, warmup: int, paths: list[str], clock: str) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(HERE / "bench.py"), "--json", "--raw", "--reps", str(reps),
               "--warmup", str(warmup), "--clock", clock, *paths]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    runs: dict[str, list[float]] = json.loads(out.stdout)["runs_ms"]
    return runs


def _summary(runs: list[float], round_medians: list[float]) -> dict[str, Any]:
    ordered = sorted(runs)
    return {"median_ms": round(statistics.median(ordered), 3), "p90_ms": round(percentile(ordered, 90), 3),
            "p95_ms": round(percentile(ordered, 95), 3), "runs": len(ordered),
            "round_medians_ms": [round(m, 3) for m in round_medians]}


def compare(before: Path, after: Path, rounds: int, reps: int, warmup: int, paths: list[str],
            clock: str = "wall") -> dict[str, Any]:
    """Pooled runs of both trees, rounds alternating which goes first."""
    trees = {"before": before, "after": after}
    pooled: dict[str, dict[str, list[float]]] = {t: {m: [] for m in MODES} for t in trees}
    medians: dict[str, dict[str, list[float]]] = {t: {m: [] for m in MODES} for t in trees}
    for i in range(rounds):
        order = ("before", "after") if i % 2 == 0 else ("after", "before")
        for name in order:
            runs = _round(trees[name], reps, warmup, paths, clock)
            for mode in MODES:
                pooled[name][mode] += runs[mode]
                medians[name][mode].append(statistics.median(runs[mode]))
    result: dict[str, Any] = {"before": str(before), "after": str(after), "rounds": rounds,
                              "reps_per_file_per_round": reps, "clock": clock}
    for name in trees:
        result[name + "_summary"] = {m: _summary(pooled[name][m], medians[name][m]) for m in MODES}
    result["speedup"] = {m: round(result["before_summary"][m]["median_ms"] / result["after_summary"][m]["median_ms"],
                                  3) for m in MODES}
    return result


def render(result: dict[str, Any]) -> str:
    """A plain-text table."""
    lines = [f"before: {result['before']}", f"after:  {result['after']}",
             f"{result['rounds']} alternating rounds, {result['reps_per_file_per_round']} runs per file per round, "
             f"{result['clock']} clock",
             "", f"{'mode':<28} {'tree':<7} {'median':>8} {'p90':>8} {'p95':>8}  per-round medians (ms)"]
    for mode in MODES:
        for name in ("before", "after"):
            s = result[name + "_summary"][mode]
            spread = ", ".join(f"{m:.2f}" for m in s["round_medians_ms"])
            lines.append(f"{mode:<28} {name:<7} {s['median_ms']:>8.3f} {s['p90_ms']:>8.3f} "
                         f"{s['p95_ms']:>8.3f}  {spread}")
        lines.append(f"{'':<28} speed-up {result['speedup'][mode]:.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("before", type=Path, help="a source tree holding service/ and schemas/")
    parser.add_argument("after", type=Path, nargs="?", default=ROOT, help="default: this checkout")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--reps", type=int, default=20, help="timed runs per file and mode in a round")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--paths", nargs="*", default=[], help="reports (default: bench.py's)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="see bench.py --clock")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for tree in (args.before, args.after):
        if not (tree / "service" / "pipeline.py").is_file():
            parser.error(f"{tree} holds no service/pipeline.py")
    result = compare(args.before.resolve(), args.after.resolve(), args.rounds, args.reps, args.warmup, args.paths,
                     args.clock)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
