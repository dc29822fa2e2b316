"""A run's result as data (eval.json), Markdown (eval.md) and rich tables; the comparison with a baseline."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from eval.score import CaseScore, Counts, Ratio, Wrong

RESULT_FORMAT = 1
# Metrics where lower is not worse (cost, counts); every other metric is a share where higher is better.
_NEUTRAL = ("cases", "errors", "cost.")
_LABELS = {"cells.accuracy": "cells, all tables", "cells.active": "cells 表二 (active)",
           "cells.requests": "cells 表三 (requests)", "cells.review": "cells 表四 (review)",
           "tables.full": "tables read fully right", "meta.agency": "meta agency", "meta.year": "meta year",
           "meta.format_version": "meta format version", "facts.precision": "facts precision",
           "facts.recall": "facts recall", "facts.f1": "facts F1",
           "facts.qualifier": "facts qualifier accuracy",
           "problems.precision": "problems precision", "problems.recall": "problems recall",
           "problems.f1": "problems F1", "checks.exact": "failed checks exactly right",
           "cost.llm_calls": "LLM calls (total)", "cost.prompt_tokens": "prompt tokens (total)",
           "cost.completion_tokens": "completion tokens (total)",
           "cost.rejected_facts": "LLM facts rejected by grounding (total)",
           "cost.llm_calls_per_report": "LLM calls per report", "cost.tokens_per_report": "tokens per report",
           "cost.seconds_per_report": "seconds per report", "cases": "cases", "errors": "cases that failed"}


def _ratio(r: Ratio) -> dict[str, Any]:
    return {"right": r.right, "total": r.total, "accuracy": r.value}


def _counts(c: Counts) -> dict[str, Any]:
    return {"tp": c.tp, "pred": c.pred, "gold": c.gold, "precision": c.precision, "recall": c.recall,
            "f1": c.f1}


def case_dict(s: CaseScore) -> dict[str, Any]:
    """One case's scores as JSON-ready data."""
    return {"name": s.name, "error": s.error, "cells": {t: _ratio(r) for t, r in s.cells.items()},
            "cells_all": _ratio(s.cell_ratio), "tables_full": s.tables_full, "meta": s.meta,
            "facts": _counts(s.facts), "qualifiers": _ratio(s.qualifiers), "problems": _counts(s.problems),
            "checks_exact": s.checks_exact, "cost": asdict(s.cost), "wrong": len(s.wrong)}


@dataclass
class EvalResult:
    """Everything one run measured."""

    backend: str
    url: str | None
    scores: list[CaseScore]
    summary: dict[str, float | int | None]
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def wrong(self) -> list[Wrong]:
        """Every wrong field of every case."""
        return [w for s in self.scores for w in s.wrong]

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (also the format of a baseline)."""
        return {"format": RESULT_FORMAT, "backend": self.backend, "url": self.url,
                "thresholds": self.thresholds, "summary": self.summary,
                "cases": [case_dict(s) for s in self.scores], "wrong": [asdict(w) for w in self.wrong]}


@dataclass
class Comparison:
    """What changed against a baseline run."""

    worse: list[Wrong]
    better: list[Wrong]
    metrics: list[tuple[str, float | int | None, float | int | None]]
    dropped: list[str]
    new_cases: list[str]

    @property
    def regressed(self) -> bool:
        """Whether any field or quality metric got worse."""
        return bool(self.worse or self.dropped)


def compare(now: Mapping[str, Any], base: Mapping[str, Any]) -> Comparison:
    """Fields wrong now but right in the baseline (on cases both ran), fixed fields, and metric changes."""
    base_cases = {c["name"] for c in base.get("cases", [])}
    now_cases = [c["name"] for c in now.get("cases", [])]
    shared = base_cases & set(now_cases)
    base_wrong = {(w["sample"], w["key"]): w for w in base.get("wrong", []) if w["sample"] in shared}
    now_wrong = {(w["sample"], w["key"]): w for w in now.get("wrong", []) if w["sample"] in shared}
    worse = [Wrong(**w) for k, w in now_wrong.items() if k not in base_wrong]
    better = [Wrong(**w) for k, w in base_wrong.items() if k not in now_wrong]
    metrics, dropped = [], []
    for key, value in now.get("summary", {}).items():
        old = base.get("summary", {}).get(key)
        if old == value:
            continue
        metrics.append((key, old, value))
        if not key.startswith(_NEUTRAL) and isinstance(old, int | float) and (value or 0) < old - 1e-9:
            dropped.append(key)
    return Comparison(worse, better, metrics, dropped, [n for n in now_cases if n not in base_cases])


def fmt(key: str, value: float | int | None) -> str:
    """A metric as shown: shares as percentages, counts as integers, seconds with two decimals."""
    if value is None:
        return "—"
    if key.startswith("cost.") and key.endswith("per_report"):
        return f"{value:.2f}"
    if key.startswith(_NEUTRAL):
        return str(value)
    return f"{100 * value:.1f}%"


def _case_rows(s: CaseScore) -> list[str]:
    cells = [fmt("x", s.cell_ratio.value)] + [fmt("x", r.value) for r in s.cells.values()]
    meta = f"{sum(s.meta.values())}/{len(s.meta)}"
    tokens = s.cost.prompt_tokens + s.cost.completion_tokens
    return [s.name, *cells, f"{sum(s.tables_full.values())}/{len(s.tables_full)}", meta,
            fmt("x", s.facts.f1), fmt("x", s.problems.f1), "yes" if s.checks_exact else "no",
            str(s.cost.llm_calls), str(tokens), f"{s.cost.seconds:.2f}", s.error or ""]


_CASE_HEAD = ["sample", "cells", "表二", "表三", "表四", "tables", "meta", "facts F1", "problems F1",
              "checks", "LLM calls", "tokens", "seconds", "error"]


def render(result: EvalResult, console: Console, comparison: Comparison | None = None) -> None:
    """Print the summary, the per-case table, every wrong field and, with a baseline, what got worse."""
    title = f"nianbao eval — backend {result.backend}" + (f" via {result.url}" if result.url else "")
    summary = Table(title=title, show_lines=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    changed = {k: old for k, old, _ in comparison.metrics} if comparison else {}
    if comparison:
        summary.add_column("baseline", justify="right")
    for key, value in result.summary.items():
        row = [_LABELS.get(key, key), fmt(key, value)]
        if comparison:
            row.append(fmt(key, changed[key]) if key in changed else "=")
        summary.add_row(*row)
    console.print(summary)
    cases = Table(title="per case")
    for head in _CASE_HEAD:
        cases.add_column(head, overflow="fold")
    for s in result.scores:
        cases.add_row(*map(Text, _case_rows(s)))
    console.print(cases)
    _print_wrong(console, f"wrong fields ({len(result.wrong)})", result.wrong)
    if comparison:
        _print_wrong(console, f"got worse than the baseline ({len(comparison.worse)})", comparison.worse)
        console.print(Text(f"fixed since the baseline: {len(comparison.better)} fields; "
                           f"metrics that dropped: {', '.join(comparison.dropped) or 'none'}"))


def _print_wrong(console: Console, title: str, wrong: Sequence[Wrong]) -> None:
    if not wrong:
        console.print(Text(f"{title}: none"))
        return
    table = Table(title=title)
    for head in ("sample", "key", "got", "want"):
        table.add_column(head, overflow="fold")
    for w in wrong:
        table.add_row(*map(Text, (w.sample, w.key, w.got, w.want)))
    console.print(table)


def _md_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]


def markdown(result: EvalResult, comparison: Comparison | None = None) -> str:
    """The Markdown report: summary, per case, wrong fields, and the comparison with a baseline."""
    out = [f"# nianbao eval — backend {result.backend}", ""]
    if result.url:
        out += [f"Extracted by the service at {result.url}.", ""]
    out += _md_table(["metric", "value"], [[_LABELS.get(k, k), fmt(k, v)] for k, v in result.summary.items()])
    if result.thresholds:
        out += ["", "Thresholds: " + ", ".join(f"{k} ≥ {v}" for k, v in result.thresholds.items())]
    out += ["", "## Per case", ""] + _md_table(_CASE_HEAD, [_case_rows(s) for s in result.scores])
    out += ["", f"## Wrong fields ({len(result.wrong)})", ""]
    out += _md_table(["sample", "key", "got", "want"],
                     [[w.sample, w.key, w.got, w.want] for w in result.wrong])
    if comparison:
        out += ["", f"## Got worse than the baseline ({len(comparison.worse)})", ""]
        out += _md_table(["sample", "key", "got", "want"],
                         [[w.sample, w.key, w.got, w.want] for w in comparison.worse])
        out += ["", f"Fixed since the baseline: {len(comparison.better)} fields. Metric changes:", ""]
        out += _md_table(["metric", "baseline", "now"],
                         [[_LABELS.get(k, k), fmt(k, a), fmt(k, b)] for k, a, b in comparison.metrics])
    return "\n".join(out) + "\n"


def write_reports(result: EvalResult, folder: Path,
                  comparison: Comparison | None = None) -> tuple[Path, Path]:
    """Write eval.json and eval.md into a folder (created if needed); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "eval.json", folder / "eval.md"
    json_path.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md_path.write_text(markdown(result, comparison), encoding="utf-8")
    return json_path, md_path
