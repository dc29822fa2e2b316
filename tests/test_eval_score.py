"""Unit tests of the eval scorers on toy inputs: each asserts a score that a wrong scorer would not give."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from eval.dataset import DEFAULT_DIRS, load_cases
from eval.gold_schema import gold_number, under
from eval.report import compare
from eval.score import (
    NO_NUMBER,
    Counts,
    cell_outcome,
    gold_check_status,
    match_facts,
    match_problems,
    score_case,
    score_checks,
    score_problems,
    similarity,
    summarise,
)
from schemas import Cell, CellState, Extraction, Fact, Meta, Problem
from service.checks import run_checks
from service.prose_checks import requests_check

CASES = {c.name: c for c in load_cases(DEFAULT_DIRS)}


def perfect(gold: dict[str, Any], *, blank: CellState = CellState.blank) -> Extraction:
    """The extraction a flawless reader would return for ``gold`` (no-number cells as ``blank``)."""
    version = gold["meta"]["format_version"]
    cells = {}
    for key, value in gold["cells"].items():
        number = gold_number(value)
        if number is not None:
            cells[key] = Cell(state=CellState.number, value=int(number) if number == number.to_integral_value()
                              and "." not in str(value) else number)
        else:
            cells[key] = Cell(state=CellState.missing if under(key, gold["missing"]) else blank)
    values = {k: gold_number(v) for k, v in gold["cells"].items()}
    result = Extraction(meta=Meta(**gold["meta"]), cells=cells, missing=list(gold["missing"]),
                        checks=run_checks(version, values),
                        facts={k: Fact(value=Decimal(str(f["value"])), qualifier=f["qualifier"], quote=f["quote"])
                               for k, f in gold["facts"].items()},
                        problems=[Problem(text=p) for p in gold["problems"]])
    said = result.facts.get("requests_received")
    if said is not None:  # the prose rule a flawless reader runs too (文表不一致)
        result.checks.append(requests_check(result, said.value, said.qualifier, said.quote, None))
    return result


# ---- cells ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("want", "want_missing", "cell", "ok"), [
    (5, False, Cell(state=CellState.number, value=5), True),
    (5, False, Cell(state=CellState.number, value=6), False),
    ("0.0000", False, Cell(state=CellState.number, value=0), True),
    (0, False, Cell(state=CellState.number, value=Decimal("0.0000")), True),
    ("1.25", False, Cell(state=CellState.number, value=Decimal("1.2500")), True),
    (None, False, Cell(state=CellState.blank), True),
    (None, False, Cell(state=CellState.not_applicable), True),
    (None, False, Cell(state=CellState.missing), False),
    (None, True, Cell(state=CellState.missing), True),
    (None, True, Cell(state=CellState.blank), False),
    (0, False, Cell(state=CellState.blank), False),
    (None, False, Cell(state=CellState.number, value=0), False),
    (None, False, Cell(state=CellState.unknown), False),
    (3, False, Cell(state=CellState.unknown), False),
    (3, False, None, False),
])
def test_cell_outcome(want: Any, want_missing: bool, cell: Cell | None, ok: bool) -> None:
    assert cell_outcome(want, want_missing, cell)[0] is ok


def test_cell_outcome_says_what_was_read_and_wanted() -> None:
    assert cell_outcome(None, False, Cell(state=CellState.not_applicable))[1:] == ("n/a", NO_NUMBER)
    assert cell_outcome(None, True, Cell(state=CellState.unknown))[1:] == ("unknown", "missing")
    assert cell_outcome("1.2500", False, None)[1:] == ("absent", "1.2500")


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_perfect_reading_scores_full_marks(name: str) -> None:
    gold = CASES[name].gold
    for blank in (CellState.blank, CellState.not_applicable):
        score = score_case(name, gold, perfect(gold, blank=blank))
        assert score.wrong == []
        assert all(r.right == r.total for r in score.cells.values())
        assert all(score.tables_full.values()) and all(score.meta.values()) and score.checks_exact
        assert score.facts.f1 == 1.0 and score.problems.f1 == 1.0


def test_one_wrong_cell_costs_one_cell_and_its_table() -> None:
    gold = CASES["001_1eeed509761ddf3c"].gold
    pred = perfect(gold)
    pred.cells["requests.granted.natural_person"] = Cell(state=CellState.number, value=5)
    score = score_case("s", gold, pred)
    assert (score.cells["requests"].right, score.cells["requests"].total) == (174, 175)
    assert score.tables_full == {"active": True, "requests": False, "review": True}
    assert [(w.key, w.got, w.want) for w in score.wrong] == [("requests.granted.natural_person", "5", "4")]
    summary = summarise([score, score_case("t", gold, perfect(gold))])
    assert summary["cells.requests"] == pytest.approx(349 / 350)
    assert summary["tables.full"] == pytest.approx(5 / 6)


def test_a_failed_extraction_scores_as_empty() -> None:
    gold = CASES["003_cf77e8731c91250a"].gold
    score = score_case("s", gold, None, error="boom")
    assert score.cell_ratio.right == 0 and score.error == "boom"
    assert not any(score.meta.values())


# ---- meta -----------------------------------------------------------------------------------------------

def test_meta_agency_ignores_white_space_only() -> None:
    gold = CASES["003_cf77e8731c91250a"].gold
    pred = perfect(gold)
    pred.meta.agency = "隆德县 联财镇"
    assert score_case("s", gold, pred).meta["agency"] is True
    pred.meta.agency = "隆德县联财镇人民政府"
    pred.meta.year = 2020
    score = score_case("s", gold, pred)
    assert score.meta == {"agency": False, "year": False, "format_version": True}


# ---- facts ----------------------------------------------------------------------------------------------

def fact(value: int, qualifier: str = "exact") -> Fact:
    return Fact(value=Decimal(value), qualifier=qualifier, quote="q")


def test_facts_precision_recall_f1_on_key_and_value() -> None:
    gold = {"website_posts": {"value": 1500, "qualifier": "more_than", "quote": "q"},
            "trainings": {"value": 2, "qualifier": "exact", "quote": "q"},
            "weibo_posts": {"value": 516, "qualifier": "exact", "quote": "q"}}
    pred = {"website_posts": fact(1500, "exact"), "trainings": fact(3), "press_conferences": fact(7)}
    counts, qualifiers, wrong = match_facts(gold, pred, "s")
    assert (counts.tp, counts.pred, counts.gold) == (1, 3, 3)
    assert counts.precision == pytest.approx(1 / 3) and counts.recall == pytest.approx(1 / 3)
    assert counts.f1 == pytest.approx(1 / 3)
    assert (qualifiers.right, qualifiers.total) == (0, 1)
    assert {w.key for w in wrong} == {"facts.website_posts.qualifier", "facts.trainings", "facts.weibo_posts",
                                      "facts.press_conferences"}


def test_facts_f1_is_not_symmetric_in_errors() -> None:
    gold = {"trainings": {"value": 2, "qualifier": "exact", "quote": "q"}}
    counts, _, _ = match_facts(gold, {"trainings": fact(2), "weibo_posts": fact(1), "wechat_posts": fact(1)})
    assert counts.precision == pytest.approx(1 / 3) and counts.recall == 1.0 and counts.f1 == pytest.approx(0.5)


@pytest.mark.parametrize(("tp", "pred", "gold", "p", "r", "f1"), [
    (0, 0, 0, 1.0, 1.0, 1.0), (0, 0, 3, 0.0, 0.0, 0.0), (0, 2, 0, 0.0, 0.0, 0.0), (2, 4, 2, 0.5, 1.0, 2 / 3)])
def test_counts_edge_cases(tp: int, pred: int, gold: int, p: float, r: float, f1: float) -> None:
    c = Counts(tp, pred, gold)
    assert (c.precision, c.recall) == (p, r) and c.f1 == pytest.approx(f1)


# ---- problems -------------------------------------------------------------------------------------------

def test_a_problem_is_matched_by_similarity_not_equality() -> None:
    gold = ["政务公开信息监督检查工作有待加强", "信息公开队伍业务素质有待提升"]
    pred = ["二是政务公开信息监督检查工作有待加强。", "三是信息公开队伍的业务素质还有待提升"]
    assert similarity(gold[0], pred[0]) == 1.0
    assert 0.6 < similarity(gold[1], pred[1]) < 1.0
    assert {(i, j) for i, j, _ in match_problems(gold, pred)} == {(0, 0), (1, 1)}


def test_an_unrelated_problem_does_not_match() -> None:
    counts, wrong = score_problems("s", ["深入基层联系指导工作较少"], ["政策解读形式不够丰富，精准解读效果不强"])
    assert (counts.tp, counts.pred, counts.gold) == (0, 1, 1)
    assert [w.key for w in wrong] == ["problems[missed]", "problems[extra]"]


def test_problem_matching_is_one_to_one() -> None:
    gold = ["政务公开信息监督检查工作有待加强"]
    pred = ["政务公开信息监督检查工作有待加强", "政务公开信息监督检查工作有待进一步加强"]
    counts, wrong = score_problems("s", gold, pred)
    assert (counts.tp, counts.precision, counts.recall) == (1, 0.5, 1.0)
    assert [(w.key, w.got) for w in wrong] == [("problems[extra]", pred[1])]


def test_the_problem_threshold_decides() -> None:
    gold, pred = ["公开的面不够广"], ["政府信息公开的内容不够全面"]
    sim = similarity(gold[0], pred[0])
    assert match_problems(gold, pred, threshold=sim) != []
    assert match_problems(gold, pred, threshold=min(1.0, sim + 0.01)) == []


# ---- checks ---------------------------------------------------------------------------------------------

def test_checks_must_be_exactly_the_rules_failing_on_gold() -> None:
    gold = CASES["c02_markdown"].gold
    status = gold_check_status("2021", gold["cells"], gold["facts"])
    # The prose says 9 applications, the printed 本年新收 总计 is 10: the 文表不一致 rule fails on gold too.
    assert {k for k, s in status.items() if s == "fail"} == {"T3-columns[new_received]", "T3-balance[total]",
                                                             "F-requests_received"}
    pred = perfect(gold)
    assert score_checks("s", status, pred) == (True, [])
    pred.checks = [c for c in pred.checks if c.id != "T3-balance[total]"]
    exact, wrong = score_checks("s", status, pred)
    assert not exact and [(w.key, w.got, w.want) for w in wrong] == [("checks.T3-balance[total]", "absent", "fail")]


def test_a_check_failing_that_gold_passes_is_wrong() -> None:
    gold = CASES["001_1eeed509761ddf3c"].gold
    status = gold_check_status("2021", gold["cells"])
    pred = perfect(gold)
    values: dict[str, Any] = {k: gold_number(v) for k, v in gold["cells"].items()}
    values["requests.granted.natural_person"] = Decimal(3)
    pred.checks = run_checks("2021", values)
    exact, wrong = score_checks("s", status, pred)
    assert not exact
    assert {w.key for w in wrong} == {"checks.T3-results[natural_person]", "checks.T3-columns[granted]"}
    assert all(w.got == "fail" and w.want == "pass" for w in wrong)


# ---- baseline comparison --------------------------------------------------------------------------------

def test_compare_lists_fields_that_got_worse_and_metrics_that_dropped() -> None:
    base: dict[str, Any] = {"summary": {"cells.accuracy": 1.0, "cost.seconds_per_report": 0.1},
                            "cases": [{"name": "a"}],
            "wrong": [{"sample": "a", "key": "facts.trainings", "got": "absent", "want": "2 (exact)"}]}
    now = copy.deepcopy(base)
    now["summary"] = {"cells.accuracy": 0.9, "cost.seconds_per_report": 0.5}
    now["cases"].append({"name": "b"})
    now["wrong"] = [{"sample": "a", "key": "requests.total.total", "got": "3", "want": "4"},
                    {"sample": "b", "key": "meta.year", "got": "None", "want": "2021"}]
    cmp = compare(now, base)
    assert [(w.sample, w.key) for w in cmp.worse] == [("a", "requests.total.total")]
    assert [(w.sample, w.key) for w in cmp.better] == [("a", "facts.trainings")]
    assert cmp.dropped == ["cells.accuracy"] and cmp.new_cases == ["b"] and cmp.regressed
    assert not compare(base, base).regressed
