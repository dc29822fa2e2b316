"""Scoring one extraction against its gold label, and summing the scores of a run.

Cells: a gold number must be read as that number (exactly; money as a Decimal, so "0.0000" == 0); a gold
null under a ``missing`` prefix must be read as missing; any other gold null is "no number", matched by a
blank or a not-applicable cell alike (gold does not tell them apart). An unknown cell never matches.
Facts are scored on (key, value) pairs; problems by one-to-one matching on character similarity; checks
by whether the failed rule instances are exactly those that fail on the gold values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from eval.gold_schema import gold_number, is_narrative, under
from schemas import Cell, CellState, CheckStatus, Extraction, Fact
from schemas.keys import TABLE_PREFIXES, cell_keys, table_of
from service.checks import run_checks
from service.prose_checks import requests_check

TABLES = tuple(TABLE_PREFIXES)  # active (表二), requests (表三), review (表四)
META_FIELDS = ("agency", "year", "format_version")
NO_NUMBER = "no number"
PROBLEM_THRESHOLD = 0.6
_STATE_WORDS = {CellState.blank: "blank", CellState.not_applicable: "n/a", CellState.missing: "missing",
                CellState.unknown: "unknown"}
# Enumerators a report puts before a problem (一是, （一）, 1., 第一,) and the punctuation around it.
_CN = "一二三四五六七八九十"
_MARKER = re.compile(rf"^(?:[{_CN}]+是|第[{_CN}]+[，,、]?|[（(][{_CN}\d]+[)）]|\d+[.、．]|[{_CN}]+、)")
_NOISE = re.compile(r"[\s，。；、：:;,.!?！？“”‘’\"'（）()《》【】\-—*]+")


@dataclass(frozen=True)
class Wrong:
    """One wrong field: which sample, which key, what was read and what the gold says."""

    sample: str
    key: str
    got: str
    want: str


@dataclass
class Ratio:
    """right / total, None when there is nothing to count."""

    right: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        """The share, or None over nothing."""
        return self.right / self.total if self.total else None

    def add(self, other: Ratio) -> None:
        """Accumulate another count."""
        self.right += other.right
        self.total += other.total


@dataclass
class Counts:
    """True positives against the sizes of the predicted and the gold sets."""

    tp: int = 0
    pred: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        """tp / pred; with nothing predicted, 1 if there was nothing to find, else 0."""
        return self.tp / self.pred if self.pred else float(self.gold == 0)

    @property
    def recall(self) -> float:
        """tp / gold; with nothing to find, 1 if nothing was predicted, else 0."""
        return self.tp / self.gold if self.gold else float(self.pred == 0)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Counts) -> None:
        """Accumulate another count (micro-averaging)."""
        self.tp += other.tp
        self.pred += other.pred
        self.gold += other.gold


@dataclass
class Cost:
    """What reading one report cost."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    rejected_facts: int = 0  # the model's facts that grounding refused (the hallucination guard at work)


@dataclass
class CaseScore:
    """Every score of one case, and its wrong fields."""

    name: str
    error: str | None = None
    cells: dict[str, Ratio] = field(default_factory=dict)
    tables_full: dict[str, bool] = field(default_factory=dict)
    meta: dict[str, bool] = field(default_factory=dict)
    facts: Counts = field(default_factory=Counts)
    qualifiers: Ratio = field(default_factory=Ratio)
    problems: Counts = field(default_factory=Counts)
    checks_exact: bool = False
    cost: Cost = field(default_factory=Cost)
    wrong: list[Wrong] = field(default_factory=list)
    narrative_only: bool = False  # a corpus label: facts and problems only (no cells, meta or checks)

    @property
    def cell_ratio(self) -> Ratio:
        """Cells right over all tables."""
        total = Ratio()
        for r in self.cells.values():
            total.add(r)
        return total


def show(value: int | Decimal | float | None) -> str:
    """A number as a reader writes it (Decimal kept as written: "1.2500")."""
    return "null" if value is None else str(value)


def cell_outcome(want: Any, want_missing: bool, cell: Cell | None) -> tuple[bool, str, str]:
    """(right?, got, want) for one cell."""
    number = gold_number(want)
    want_text = show(number) if number is not None else ("missing" if want_missing else NO_NUMBER)
    if cell is None:
        return False, "absent", want_text
    got = show(cell.value) if cell.state == CellState.number else _STATE_WORDS[cell.state]
    if number is not None:
        ok = cell.state == CellState.number and cell.value is not None and Decimal(cell.value) == number
    elif want_missing:
        ok = cell.state == CellState.missing
    else:
        ok = cell.state in (CellState.blank, CellState.not_applicable)
    return ok, got, want_text


def score_cells(name: str, gold: Mapping[str, Any], pred: Extraction, out: CaseScore) -> None:
    """Per-table cell accuracy and fully-right tables; wrong cells into ``out.wrong``."""
    version = gold["meta"]["format_version"]
    missing = gold.get("missing", [])
    out.cells = {t: Ratio() for t in TABLES}
    for key in cell_keys(version):
        ok, got, want = cell_outcome(gold["cells"].get(key), under(key, missing), pred.cells.get(key))
        ratio = out.cells[table_of(key)]
        ratio.total += 1
        ratio.right += ok
        if not ok:
            out.wrong.append(Wrong(name, key, got, want))
    out.tables_full = {t: r.right == r.total for t, r in out.cells.items()}


def score_meta(name: str, gold: Mapping[str, Any], pred: Extraction, out: CaseScore) -> None:
    """Agency (white space ignored), year and format version."""
    for fld in META_FIELDS:
        want, got = gold["meta"].get(fld), getattr(pred.meta, fld)
        ok = _squash(got) == _squash(want) if fld == "agency" else got == want
        out.meta[fld] = ok
        if not ok:
            out.wrong.append(Wrong(name, f"meta.{fld}", str(got), str(want)))


def _squash(text: Any) -> str | None:
    return re.sub(r"\s+", "", text) if isinstance(text, str) else None


def match_facts(gold: Mapping[str, Mapping[str, Any]], pred: Mapping[str, Fact],
                name: str = "") -> tuple[Counts, Ratio, list[Wrong]]:
    """(key, value) counts, qualifier accuracy over the pairs found, and the wrong facts."""
    counts, qualifiers, wrong = Counts(pred=len(pred), gold=len(gold)), Ratio(), []
    for key in sorted(set(gold) | set(pred)):
        g, p = gold.get(key), pred.get(key)
        want = "absent" if g is None else f"{show(gold_number(g['value']))} ({g.get('qualifier', 'exact')})"
        got = "absent" if p is None else f"{show(p.value)} ({p.qualifier})"
        if g is None or p is None or gold_number(g["value"]) != p.value:
            wrong.append(Wrong(name, f"facts.{key}", got, want))
            continue
        counts.tp += 1
        qualifiers.total += 1
        if p.qualifier == g.get("qualifier", "exact"):
            qualifiers.right += 1
        else:
            wrong.append(Wrong(name, f"facts.{key}.qualifier", p.qualifier, g.get("qualifier", "exact")))
    return counts, qualifiers, wrong


def normalise_problem(text: str) -> str:
    """A problem without its enumerator, white space and punctuation, for comparison."""
    text = _NOISE.sub("", text.strip())
    return _MARKER.sub("", text)


def similarity(a: str, b: str) -> float:
    """Character similarity (0..1) of two problem texts, after ``normalise_problem``."""
    x, y = normalise_problem(a), normalise_problem(b)
    if not x or not y:
        return 0.0
    return SequenceMatcher(None, x, y, autojunk=False).ratio()


def match_problems(gold: Sequence[str], pred: Sequence[str], threshold: float = PROBLEM_THRESHOLD,
                   ) -> list[tuple[int, int, float]]:
    """One-to-one (gold index, predicted index, similarity) pairs, best first, each at least ``threshold``."""
    pairs = sorted(((similarity(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(pred)),
                   key=lambda t: (-t[0], t[1], t[2]))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    out = []
    for sim, i, j in pairs:
        if sim >= threshold and i not in used_gold and j not in used_pred:
            used_gold.add(i)
            used_pred.add(j)
            out.append((i, j, sim))
    return out


def score_problems(name: str, gold: Sequence[str], pred: Sequence[str],
                   threshold: float = PROBLEM_THRESHOLD) -> tuple[Counts, list[Wrong]]:
    """Problem counts and the unmatched problems (missed gold, extra predicted)."""
    pairs = match_problems(gold, pred, threshold)
    matched_gold = {i for i, _, _ in pairs}
    matched_pred = {j for _, j, _ in pairs}
    wrong = [Wrong(name, "problems[missed]", "", g) for i, g in enumerate(gold) if i not in matched_gold]
    wrong += [Wrong(name, "problems[extra]", p, "") for j, p in enumerate(pred) if j not in matched_pred]
    return Counts(tp=len(pairs), pred=len(pred), gold=len(gold)), wrong


# Prose rules the gold cannot judge: it labels no reconsideration or litigation counts of the prose.
UNSCORED_RULES = frozenset({"F-reconsideration", "F-litigation"})


def gold_check_status(version: str, cells: Mapping[str, Any],
                      facts: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Status of every rule instance on the gold values (pass, fail, not_assessable); with the gold facts,
    the applications-received prose rule (F-requests_received / F-no_requests) too."""
    values = {k: gold_number(v) for k, v in cells.items()}
    status = {c.id: c.status.value for c in run_checks(version, values)}
    said = (facts or {}).get("requests_received")
    if said is not None:
        gold = Extraction(cells={k: Cell(state=CellState.number, value=v) if v is not None else
                                 Cell(state=CellState.blank) for k, v in values.items()})
        check = requests_check(gold, Decimal(str(said["value"])), said.get("qualifier", "exact"),
                               said.get("quote", ""), None)
        status[check.id] = check.status.value
    return status


def score_checks(name: str, gold_status: Mapping[str, str], pred: Extraction) -> tuple[bool, list[Wrong]]:
    """Whether the failed rules reported are exactly those failing on gold; differences as wrong fields."""
    want = {k for k, s in gold_status.items() if s == CheckStatus.failed.value}
    got_status = {c.id: c.status.value for c in pred.checks if c.rule not in UNSCORED_RULES}
    got = {k for k, s in got_status.items() if s == CheckStatus.failed.value}
    wrong = [Wrong(name, f"checks.{k}", "fail", gold_status.get(k, "absent")) for k in sorted(got - want)]
    wrong += [Wrong(name, f"checks.{k}", got_status.get(k, "absent"), "fail") for k in sorted(want - got)]
    return got == want, wrong


def score_case(name: str, gold: Mapping[str, Any], pred: Extraction | None, *, seconds: float = 0.0,
               error: str | None = None, problem_threshold: float = PROBLEM_THRESHOLD) -> CaseScore:
    """Every score of one case; a failed extraction (``pred`` None) scores as an empty result."""
    out = CaseScore(name=name, error=error)
    result = pred if pred is not None else Extraction(is_report=False)
    out.narrative_only = is_narrative(gold)
    if not out.narrative_only:
        score_cells(name, gold, result, out)
        score_meta(name, gold, result, out)
    out.facts, out.qualifiers, wrong = match_facts(gold.get("facts", {}), result.facts, name)
    out.wrong += wrong
    out.problems, wrong = score_problems(name, gold.get("problems", []), [p.text for p in result.problems],
                                         problem_threshold)
    out.wrong += wrong
    if not out.narrative_only:
        status = gold_check_status(gold["meta"]["format_version"], gold["cells"], gold.get("facts"))
        out.checks_exact, wrong = score_checks(name, status, result)
        out.wrong += wrong
    usage = result.narrative
    out.cost = Cost(usage.llm_calls, usage.prompt_tokens, usage.completion_tokens, seconds, len(usage.rejected))
    return out


def summarise(scores: Sequence[CaseScore]) -> dict[str, float | int | None]:
    """The run's metrics: micro-averaged over every case (cells over every key, facts over every pair)."""
    cells = {t: Ratio() for t in TABLES}
    facts, problems, qualifiers = Counts(), Counts(), Ratio()
    full, meta, checks, cost = Ratio(), {f: Ratio() for f in META_FIELDS}, Ratio(), Cost()
    for s in scores:
        for t, r in s.cells.items():
            cells[t].add(r)
        full.add(Ratio(sum(s.tables_full.values()), len(s.tables_full)))
        for f, ok in s.meta.items():
            meta[f].add(Ratio(int(ok), 1))
        facts.add(s.facts)
        qualifiers.add(s.qualifiers)
        problems.add(s.problems)
        if not s.narrative_only:
            checks.add(Ratio(int(s.checks_exact), 1))
        cost.llm_calls += s.cost.llm_calls
        cost.prompt_tokens += s.cost.prompt_tokens
        cost.completion_tokens += s.cost.completion_tokens
        cost.seconds += s.cost.seconds
        cost.rejected_facts += s.cost.rejected_facts
    all_cells = Ratio()
    for r in cells.values():
        all_cells.add(r)
    n = len(scores) or 1
    errors = sum(s.error is not None for s in scores)
    out: dict[str, float | int | None] = {"cases": len(scores), "errors": errors,
                                          "cells.accuracy": all_cells.value}
    out.update({f"cells.{t}": r.value for t, r in cells.items()})
    out["tables.full"] = full.value
    out.update({f"meta.{f}": r.value for f, r in meta.items()})
    out.update({"facts.precision": facts.precision, "facts.recall": facts.recall, "facts.f1": facts.f1,
                "facts.qualifier": qualifiers.value, "problems.precision": problems.precision,
                "problems.recall": problems.recall, "problems.f1": problems.f1, "checks.exact": checks.value,
                "cost.llm_calls": cost.llm_calls, "cost.prompt_tokens": cost.prompt_tokens,
                "cost.completion_tokens": cost.completion_tokens, "cost.rejected_facts": cost.rejected_facts,
                "cost.llm_calls_per_report": cost.llm_calls / n,
                "cost.tokens_per_report": (cost.prompt_tokens + cost.completion_tokens) / n,
                "cost.seconds_per_report": cost.seconds / n})
    return out
