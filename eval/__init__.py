"""nianbao's eval harness: labelled reports, scorers, the runner and its reports.

    dataset.py      find labelled cases (samples/ + gold/, and cases/ with text and gold side by side)
    gold_schema.py  validate a gold label: keys complete for its version, types, quotes present in the text
    score.py        score one extraction against its gold (cells, meta, facts, problems, checks, cost)
    report.py       the terminal table, eval.json / eval.md, and the comparison with a baseline
    runner.py       ``nianbao eval`` / ``python -m eval``: run the extractor over the cases and score it
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the eval harness (see ``eval.runner``)."""
    from eval.runner import main as run

    return run(argv)
