"""Score the text path on run-together reports generated from known tables: right, unknown, never wrong.

    python bench/text_corpus.py [--reports 1000] [--seed 0] [--mistakes 0.0] [--gaps 0.0] [--json] [--show-wrong N]

Each report (tests/generator.py ``render_run_together``) prints all three tables run together, the way
crawled web pages flatten them, with values that are *not* chosen to be decidable. Counted as the
held-out scoring counts them, per table group (表二; 表三 and 表四):
  right           the cell holds the true value (a number, or blank where the truth is blank);
  non-zero right  of the cells whose true value is a non-zero number, how many hold it;
  wrong           the cell holds a number (or a state) other than the truth — must be 0;
  unknown         everything else (unknown / missing): not right, not wrong.
``--mistakes P``: a share P of the reports get their own arithmetic wrong (one 表三 cell off by 1 to 3, the
printed value being the truth), as real reports sometimes do. ``--gaps P``: a share P of the places between
cells get a separator after all (partly run-together rows).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from generator import render_run_together  # noqa: E402

from schemas import CellState  # noqa: E402
from schemas.keys import cell_keys  # noqa: E402
from service.pipeline import extract  # noqa: E402

GROUPS = {"active": "表二", "requests": "表三/表四", "review": "表三/表四"}


def score(reports: int, seed: int, show_wrong: int = 0, mistakes: float = 0.0, gaps: float = 0.0) -> dict[str, Any]:
    """Counts per group over ``reports`` generated reports starting at ``seed``."""
    counts = {g: {"cells": 0, "right": 0, "nonzero": 0, "nonzero_right": 0, "wrong": 0, "unknown": 0}
              for g in ("表二", "表三/表四")}
    wrong: list[str] = []
    started = time.perf_counter()
    for s in range(seed, seed + reports):
        case = render_run_together(s, gaps=gaps, mistakes=mistakes)
        result = extract(case.text)
        for key in cell_keys(case.version):
            c = counts[GROUPS[key.split(".", 1)[0]]]
            truth = case.truth[key]
            cell = result.cells[key]
            c["cells"] += 1
            nonzero = truth is not None and Decimal(truth) != 0
            c["nonzero"] += nonzero
            if cell.state == CellState.number:
                ok = truth is not None and Decimal(str(cell.value)) == Decimal(truth)
            elif cell.state == CellState.blank:
                ok = truth is None
            else:
                c["unknown"] += 1
                continue
            if ok:
                c["right"] += 1
                c["nonzero_right"] += nonzero
            else:
                c["wrong"] += 1
                if len(wrong) < show_wrong:
                    wrong.append(f"seed {s} {key}: got {cell.state.value} {cell.value!r} ({cell.raw!r}), "
                                 f"truth {truth!r}")
    return {"reports": reports, "seed": seed, "mistakes": mistakes, "gaps": gaps,
            "seconds": round(time.perf_counter() - started, 1), "groups": counts, "wrong_examples": wrong}


def main() -> None:
    """Parse the arguments, score, print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show-wrong", type=int, default=10)
    ap.add_argument("--mistakes", type=float, default=0.0)
    ap.add_argument("--gaps", type=float, default=0.0)
    args = ap.parse_args()
    doc = score(args.reports, args.seed, args.show_wrong, args.mistakes, args.gaps)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    print(f"{doc['reports']} run-together reports (seeds {args.seed}..{args.seed + args.reports - 1}, "
          f"mistakes {args.mistakes}, gaps {args.gaps}), {doc['seconds']} s")
    for group, c in doc["groups"].items():
        print(f"  {group:8} cells right {c['right']}/{c['cells']} ({100 * c['right'] / max(1, c['cells']):.2f}%)"
              f"  non-zero right {c['nonzero_right']}/{c['nonzero']}"
              f" ({100 * c['nonzero_right'] / max(1, c['nonzero']):.2f}%)  unknown {c['unknown']}"
              f"  WRONG {c['wrong']}")
    for line in doc["wrong_examples"]:
        print("   ", line)


if __name__ == "__main__":
    main()
