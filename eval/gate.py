"""The CI gate: the eval thresholds the committed cases reach, kept with the code that scores them.

``python -m eval.gate`` (run by ``python3 dev.py test`` after pytest) runs each gate below and exits with
the first non-zero code: 1 when a threshold is missed or a field is worse than its baseline, 2 when a run
cannot be set up. Extra arguments go to every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eval.runner import main as run_eval

HERE = Path(__file__).resolve().parent
GATES: dict[str, list[str]] = {
    # The labelled samples and cases: every cell, fact and problem right, nothing worse than the baseline.
    "cases": ["--min-cells", "1.0", "--min-facts-f1", "1.0", "--min-problems-f1", "1.0",
              "--baseline", str(HERE / "baseline.json"), "--fail-on-worse"],
    # The corpus split (eval/corpus/: narrative only, shapes of real reports): facts and problems at the
    # level reached, and no field worse than its own baseline.
    "corpus": ["--split", "corpus", "--min-facts-f1", "0.99", "--min-problems-f1", "0.99",
               "--baseline", str(HERE / "corpus" / "baseline.json"), "--fail-on-worse"],
}


def main(argv: list[str] | None = None) -> int:
    """Run every gate; the first non-zero exit code, or 0."""
    extra = list(sys.argv[1:] if argv is None else argv)
    for name, args in GATES.items():
        print(f"+ eval gate {name}: python -m eval {' '.join(args + extra)}", flush=True)
        code = run_eval([*args, *extra])
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
