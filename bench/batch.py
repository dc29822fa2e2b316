"""Benchmark ``nianbao extract`` over a corpus, measured from outside: the whole CLI path, as a user runs it.

    python bench/batch.py [--rounds 5] [--small 5] [--large 505] [--parallel 1000] [--tree DIR] [--json] [--out FILE]

It builds corpora in a temp dir (copies of eval/samples and eval/cases, spread over nested folders) and
times the command as a child process (wall clock; the children's CPU seconds too):

- **single core**: ``(time for LARGE reports − time for SMALL reports) / (LARGE − SMALL)`` with
  ``--flat --jobs 1``; the subtraction takes out start-up (imports) and what does not grow with the corpus.
- **parallel**: PARALLEL reports with ``--jobs 1`` and with ``--jobs 2``; the speed-up is the ratio of the
  two times, and reports/s is PARALLEL over the time.

Each figure is the median of ``--rounds`` runs, taken in alternating order so that a burst of load on a
shared machine hits every variant alike. The files are named on the command line (sorted), so ``--tree
DIR`` can time another source tree (an older checkout) the same way; a tree whose ``extract`` has no
``--jobs`` is timed as it is, and its parallel figures are left out.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import emit

ROOT = Path(__file__).resolve().parent.parent
REPORTS = sorted([*(ROOT / "eval" / "samples").glob("*.txt"), *(ROOT / "eval" / "cases").glob("*.txt")])


def make_corpus(folder: Path, n: int) -> Path:
    """``n`` reports (the committed ones in turn) in nested folders under ``folder``."""
    for i in range(n):
        src = REPORTS[i % len(REPORTS)]
        sub = folder / f"p{i % 4}" / f"c{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, sub / f"{i:06d}_{src.name}")
    return folder


def has_jobs(tree: Path) -> bool:
    """Whether that tree's ``nianbao extract`` takes ``--jobs``."""
    done = subprocess.run([sys.executable, "-m", "service.cli", "extract", "--help"], cwd=tree, capture_output=True,
                          text=True, check=False)
    return "--jobs" in done.stdout


def timed(tree: Path, corpus: Path, jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (the child and its workers) of ``nianbao extract FILE... --flat [--jobs N]``."""
    files = sorted(str(p) for p in corpus.rglob("*.txt"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "service.cli", "extract", *files, "--flat",
                    *(["--jobs", str(jobs)] if jobs else [])], cwd=tree, stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every run, then the medians, the per-report figure and the speed-up."""
    tree = (args.tree or ROOT).resolve()
    jobs = has_jobs(tree)
    with tempfile.TemporaryDirectory(prefix="nianbao-batch-") as tmp:
        small = make_corpus(Path(tmp) / "small", args.small)
        large = make_corpus(Path(tmp) / "large", args.large)
        wide = make_corpus(Path(tmp) / "parallel", args.parallel)
        one = 1 if jobs else None
        variants = {"small": (tree, small, one), "large": (tree, large, one)}
        if jobs:
            variants.update({"parallel_jobs1": (tree, wide, 1), "parallel_jobs2": (tree, wide, 2)})
        timed(tree, small, one)  # warm the file cache and the bytecode
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for round_ in range(args.rounds):
            order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
            for name in order:
                runs[name].append(timed(*variants[name]))
    wall = {name: statistics.median(w for w, _ in r) for name, r in runs.items()}
    cpu = {name: statistics.median(c for _, c in r) for name, r in runs.items()}
    per_report = (wall["large"] - wall["small"]) / (args.large - args.small) * 1000
    cpu_per_report = (cpu["large"] - cpu["small"]) / (args.large - args.small) * 1000
    parallel = None
    if jobs:
        parallel = {"reports": args.parallel, "seconds_jobs1": round(wall["parallel_jobs1"], 3),
                    "seconds_jobs2": round(wall["parallel_jobs2"], 3),
                    "speedup": round(wall["parallel_jobs1"] / wall["parallel_jobs2"], 2),
                    "reports_per_second_jobs1": round(args.parallel / wall["parallel_jobs1"], 1),
                    "reports_per_second_jobs2": round(args.parallel / wall["parallel_jobs2"], 1)}
    return {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "tree": str(tree), "cpus": os.cpu_count(),
        "python": sys.version.split()[0], "rounds": args.rounds,
        "single_core": {"ms_per_report": round(per_report, 3), "cpu_ms_per_report": round(cpu_per_report, 3),
                        "reports_per_second": round(1000 / per_report, 1) if per_report > 0 else None,
                        "small": args.small, "large": args.large,
                        "seconds_small": round(wall["small"], 3), "seconds_large": round(wall["large"], 3)},
        "parallel": parallel,
        "runs": {name: [[round(w, 3), round(c, 3)] for w, c in r] for name, r in runs.items()},
    }


def table(doc: dict[str, Any]) -> None:
    """The figures for a person."""
    one, two = doc["single_core"], doc["parallel"]
    print(f"{doc['command']}  ({doc['tree']}, {doc['cpus']} CPUs, Python {doc['python']}, "
          f"median of {doc['rounds']} rounds)")
    print(f"single core (--jobs 1, --flat): {one['ms_per_report']} ms/report = ({one['seconds_large']} s for "
          f"{one['large']} - {one['seconds_small']} s for {one['small']}) / {one['large'] - one['small']}; "
          f"{one['reports_per_second']} reports/s; CPU {one['cpu_ms_per_report']} ms/report")
    if two is None:
        return
    print(f"parallel ({two['reports']} reports): --jobs 1 {two['seconds_jobs1']} s "
          f"({two['reports_per_second_jobs1']} reports/s), --jobs 2 {two['seconds_jobs2']} s "
          f"({two['reports_per_second_jobs2']} reports/s): speed-up {two['speedup']}x")


def main() -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--small", type=int, default=5)
    parser.add_argument("--large", type=int, default=505)
    parser.add_argument("--parallel", type=int, default=1000)
    parser.add_argument("--tree", type=Path, help="the source tree to time (default: this one)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    args = parser.parse_args()
    emit(measure(args), out=args.out, as_json=args.json, table=table)


if __name__ == "__main__":
    main()
