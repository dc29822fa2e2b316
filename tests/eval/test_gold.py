"""Every committed gold label is valid for its version and grounded in its text; the validator catches breakage."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from eval.dataset import DEFAULT_DIRS, EVAL_DIR, Case, load_cases
from eval.gold_schema import chinese_number, quote_states, validate_case, validate_gold
from schemas.keys import cell_keys

CASES = load_cases(DEFAULT_DIRS)
HAND_MADE = [c for c in CASES if c.text_path.parent == EVAL_DIR / "cases"]


def by_name(name: str) -> Case:
    """The committed case called ``name``."""
    return next(c for c in CASES if c.name == name)


def test_the_samples_and_the_hand_made_cases_are_all_found() -> None:
    names = {c.name for c in CASES}
    assert len([n for n in names if not n.startswith(("c0", "d0"))]) == 5  # d0*: the same tables as documents
    assert len(HAND_MADE) >= 4


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_gold_is_valid_and_grounded_in_its_text(case: Case) -> None:
    assert validate_case(case.gold, case.text, case.text_path.name) == []


@pytest.mark.parametrize("case", HAND_MADE, ids=lambda c: c.name)
def test_hand_made_cases_say_how_they_were_made(case: Case) -> None:
    notes = case.gold["notes"]
    assert ("Hand-made" in notes or "real report" in notes) and "shape" in notes
    assert "not from extractor output" in notes or "hand label" in notes


def test_the_gbk_case_is_stored_as_gbk_bytes() -> None:
    case = by_name("c06_gbk")
    with pytest.raises(UnicodeDecodeError):
        case.data.decode("utf-8")
    assert case.text == case.data.decode("gbk")


def test_the_markdown_case_keeps_its_deliberate_arithmetic_error() -> None:
    cells = by_name("c02_markdown").gold["cells"]
    applicants = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org"]
    assert cells["requests.new_received.total"] == 10
    assert sum(cells[f"requests.new_received.{c}"] for c in applicants) == 9


# ---- the validator must be able to fail ----------------------------------------------------------------

def broken(mutate: Any) -> list[str]:
    """Errors of sample 001's gold after ``mutate(gold)``, checked against sample 001's text."""
    case = by_name("001_1eeed509761ddf3c")
    gold = copy.deepcopy(case.gold)
    mutate(gold)
    return validate_case(gold, case.text, case.text_path.name)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda g: g["cells"].pop("requests.total.total"), "missing cell key requests.total.total"),
    (lambda g: g["cells"].update({"requests.other.total": 0}), "is not a 2021 key"),
    (lambda g: g["cells"].update({"requests.granted.total": "4"}), "is not an integer count"),
    (lambda g: g["cells"].update({"requests.granted.total": True}), "is not an integer count"),
    (lambda g: g["cells"].update({"requests.granted.total": -4}), "is negative"),
    (lambda g: g["cells"].update({"active.fees.amount": "abc"}), "is not a non-negative amount"),
    (lambda g: g["missing"].append("requests.granted"), "a missing cell is null"),
    (lambda g: g["missing"].append("requests.nonsense"), "names no 2021 cell"),
    (lambda g: g["meta"].update({"format_version": "2020"}), "must be one of"),
    (lambda g: g["meta"].update({"year": "2021"}), "meta.year"),
    (lambda g: g["meta"].update({"agency": " "}), "meta.agency"),
    (lambda g: g["facts"].update({"likes": {"value": 1, "qualifier": "exact", "quote": "x"}}), "unknown fact key"),
    (lambda g: g["facts"]["requests_received"].update({"qualifier": "roughly"}), "qualifier"),
    (lambda g: g["facts"]["requests_received"].update({"quote": "共收到申请19件"}), "is not in the text"),
    (lambda g: g["facts"]["requests_received"].update({"value": 18}), "does not contain the value"),
    (lambda g: g["problems"].append("本报告不存在这个问题"), "is not in the text"),
    (lambda g: g.update({"source": "other.txt"}), "but the text file is"),
    (lambda g: g.update({"extra": 1}), "unknown top-level field"),
    (lambda g: g.update({"notes": ""}), "notes"),
])
def test_a_broken_label_is_caught(mutate: Any, message: str) -> None:
    errors = broken(mutate)
    assert any(message in e for e in errors), errors


def test_a_2019_label_allows_signed_changes_only_in_change_columns() -> None:
    gold = copy.deepcopy(by_name("c08_v2019_signed").gold)
    assert validate_gold(gold) == []
    assert gold["cells"]["active.licensing.change"] == -3
    gold["cells"]["active.licensing.previous"] = -3
    assert any("only 本年增/减" in e for e in validate_gold(gold))


def test_every_gold_names_exactly_the_canonical_keys_of_its_version() -> None:
    for case in CASES:
        assert list(case.gold["cells"]) == cell_keys(case.gold["meta"]["format_version"]), case.name


@pytest.mark.parametrize(("quote", "value", "ok"), [
    ("共收到政府信息公开申请 19 件", 19, True), ("发布信息１５６３条", 1563, True), ("粉丝量达2.3万", 23000, True),
    ("组织开展政务公开业务培训三次", 3, True), ("培训两百零五次", 205, True), ("收到申请19件", 18, False),
    ("网站发布1,500条", 1500, True)])
def test_quote_states_its_value(quote: str, value: int, ok: bool) -> None:
    assert quote_states(quote, Decimal(value)) is ok


def test_chinese_numbers() -> None:
    assert [chinese_number(w) for w in ("十", "十二", "二十", "三百零五", "两")] == [10, 12, 20, 305, 2]


def test_gold_files_are_utf8_json_with_a_final_newline() -> None:
    for case in CASES:
        raw = Path(case.gold_path).read_bytes()
        json.loads(raw.decode("utf-8"))
        if case in HAND_MADE:
            assert raw.endswith(b"\n"), case.name


# ---- the corpus split's narrative-only labels -------------------------------------------------------------

CORPUS = load_cases((EVAL_DIR / "corpus" / "cases",))


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_corpus_labels_are_valid_and_grounded(case: Case) -> None:
    assert validate_case(case.gold, case.text, case.text_path.name) == []
    assert case.gold["scope"] == "narrative" and "cells" not in case.gold


def test_a_narrative_label_with_cells_or_an_unknown_scope_is_refused() -> None:
    gold = dict(CORPUS[0].gold)
    assert validate_gold({**gold, "cells": {}}) == ["unknown top-level field 'cells'"]
    assert "scope is 'tables'" in " ".join(validate_gold({**gold, "scope": "tables"}))


def test_the_manifest_names_every_corpus_case_with_its_source_and_labelling_record() -> None:
    manifest = json.loads((EVAL_DIR / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    rows = {row["name"]: row for row in manifest["cases"]}
    assert set(rows) == {c.name for c in CORPUS}
    assert all(row["imitates"] and all(isinstance(a, str) for a in row["imitates"]) for row in rows.values())
