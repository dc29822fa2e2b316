"""The verdict and its counts, the 文表不一致 rules (F-…), Chinese messages and line numbers of spans.

Variants of the samples are made by editing their text here: a truncated report, one whose own arithmetic
is wrong, and prose numbers tampered with one at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas import CellState, CheckStatus, Extraction
from service.lines import LineIndex
from service.narrative.review_prose import read_review_counts
from service.pipeline import extract
from service.text import normalise

SAMPLES = Path(__file__).resolve().parent.parent / "eval" / "samples"
CLEAN = "004_bd56896d5bf88536"        # complete, every rule holds
TRUNCATED = "000_5af3a546c32e05da"    # the text stops inside 表三: no 表四, no section 四
WITH_COUNTS = "001_1eeed509761ddf3c"  # prose: 19 applications; 表四: reconsideration 5, litigation 1 + 5
NONE_AT_ALL = "003_cf77e8731c91250a"  # prose: 未出现行政复议和行政诉讼事件, 未收到信息公开申请


def text(name: str) -> str:
    return (SAMPLES / f"{name}.txt").read_text(encoding="utf-8")


def edit(name: str, old: str, new: str) -> str:
    body = text(name)
    assert body.count(old) == 1, old
    return body.replace(old, new)


def failed(result: Extraction) -> set[str]:
    return set(result.failed_checks())


def f_checks(result: Extraction) -> dict[str, CheckStatus]:
    return {c.id: c.status for c in result.checks if c.rule.startswith("F-")}


# ---- verdict ---------------------------------------------------------------------------------------------

def test_a_complete_clean_report_passes() -> None:
    result = extract(text(CLEAN))
    assert result.verdict == "pass"
    counts = result.counts
    assert counts.checks == len(result.checks) and counts.checks_failed == counts.checks_not_assessable == 0
    assert counts.cells_unknown == counts.cells_missing == counts.sections_missing == counts.tables_missing == 0
    assert result.to_flat()["verdict"] == "pass"


def test_a_truncated_report_is_never_clean() -> None:
    result = extract(text(TRUNCATED))
    assert result.failed_checks() == []  # nothing fails ...
    assert result.verdict == "not_assessable"  # ... and still it is not a pass
    assert result.counts.tables_missing == 1 and result.counts.tables_truncated == 1
    assert result.counts.sections_missing == 1 and result.counts.checks_not_assessable >= 20
    assert result.counts.cells_missing > 0
    flat = result.to_flat()
    assert flat["verdict"] == "not_assessable" and flat["counts.tables_missing"] == 1
    assert len(flat["checks.not_assessable"]) == result.counts.checks_not_assessable


def test_cutting_the_clean_report_before_section_four_makes_it_not_assessable() -> None:
    body = text(CLEAN)
    result = extract(body[:body.index("四、政府信息公开行政复议")])
    assert result.verdict == "not_assessable"
    assert result.counts.tables_missing == 1 and result.counts.sections_missing >= 1


def test_a_report_whose_arithmetic_is_wrong_fails() -> None:
    body = edit(CLEAN, "1. 属于国家秘密\t0\t0", "1. 属于国家秘密\t2\t0")
    result = extract(body)
    assert result.verdict == "failed"
    assert "T3-columns[denied.state_secret]" in failed(result)
    assert result.counts.checks_failed == len(result.failed_checks())
    check = next(c for c in result.checks if c.id == "T3-columns[denied.state_secret]")
    assert check.message_zh == "表三（三）不予公开1.属于国家秘密：总计 0 ≠ 各申请人之和 2"
    assert result.cell_value("requests.denied.state_secret.natural_person") == 2  # the stated value is kept


def test_a_fail_outranks_what_cannot_be_assessed() -> None:
    body = text(TRUNCATED).replace("行政规范性文件\t1\t5\t1", "行政规范性文件\t1\t5\t1")
    lines = body.splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if line.startswith("一、本年新收政府信息公开申请数量"))
    lines[i] = lines[i].replace("\t0\t0\t0\t0\t0\t0\t0", "\t1\t0\t0\t0\t0\t0\t0", 1)
    result = extract("".join(lines))
    assert result.verdict == "failed" and result.counts.checks_not_assessable > 0


def test_counts_of_repairs_by_method() -> None:
    result = extract(text("002_c09c82378b8e7991"))
    assert result.counts.repaired_by_method["layout"] == result.counts.cells_repaired > 0
    flat = result.to_flat()
    assert flat["counts.repaired.layout"] == result.counts.cells_repaired
    assert set(flat["cells.repaired"]) == {k for k, c in result.cells.items() if c.repaired}


# ---- 文表不一致 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(p.stem for p in SAMPLES.glob("*.txt")))
def test_untouched_samples_have_no_text_table_contradiction(name: str) -> None:
    result = extract(text(name))
    assert not any(c.rule.startswith("F-") and c.status == CheckStatus.failed for c in result.checks)


def test_requests_received_fires_on_a_tampered_count() -> None:
    assert f_checks(extract(text(WITH_COUNTS)))["F-requests_received"] == CheckStatus.passed
    result = extract(edit(WITH_COUNTS, "共收到政府信息公开申请 19 件", "共收到政府信息公开申请 18 件"))
    assert result.verdict == "failed" and failed(result) == {"F-requests_received"}
    check = next(c for c in result.checks if c.id == "F-requests_received")
    assert (check.left, check.right, check.left_keys) == (19, 18, ["requests.new_received.total"])
    assert check.quote == "共收到政府信息公开申请 18 件"
    assert check.quote_span is not None
    body = edit(WITH_COUNTS, "共收到政府信息公开申请 19 件", "共收到政府信息公开申请 18 件")
    assert body[check.quote_span.start:check.quote_span.end] == check.quote
    assert "18" in check.message_zh and "19" in check.message_zh and check.message_zh.startswith("文表不一致")


def test_prose_that_counts_last_years_applications_too_is_compared_with_both() -> None:
    body = edit(WITH_COUNTS, "共收到政府信息公开申请 19 件", "共收到政府信息公开申请 21 件（含上年结转 2 件）")
    lines = body.splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if line.startswith("二、上年结转"))
    assert "\t0\t0\t0\t0\t0\t0\t0" in lines[i]
    result = extract(body)  # 表三 上年结转 still 0: 19 + 0 ≠ 21
    assert f_checks(result)["F-requests_received"] == CheckStatus.failed
    check = next(c for c in result.checks if c.id == "F-requests_received")
    assert check.left_keys == ["requests.new_received.total", "requests.carried_over.total"]


def test_no_requests_fires_when_the_table_has_new_applications() -> None:
    result = extract(edit(WITH_COUNTS, "共收到政府信息公开申请 19 件", "未收到政府信息公开申请"))
    assert failed(result) == {"F-no_requests"}
    check = next(c for c in result.checks if c.id == "F-no_requests")
    assert (check.left, check.right) == (19, 0)
    assert check.message_zh.startswith("文表不一致：正文称未收到申请")


def test_no_requests_is_quiet_on_a_report_that_received_none() -> None:
    assert f_checks(extract(text(CLEAN)))["F-no_requests"] == CheckStatus.passed


def test_reconsideration_and_litigation_counts_against_table_four() -> None:
    said = "本年度发生政府信息公开行政复议案件5件，行政诉讼案件6件。"
    body = edit(WITH_COUNTS, "共收到政府信息公开申请 19 件，", f"共收到政府信息公开申请 19 件，{said}")
    quiet = f_checks(extract(body))
    assert quiet["F-reconsideration"] == quiet["F-litigation"] == CheckStatus.passed
    tampered = body.replace("行政复议案件5件", "行政复议案件4件")
    assert failed(extract(tampered)) == {"F-reconsideration"}
    tampered = body.replace("行政诉讼案件6件", "行政诉讼案件7件")
    assert failed(extract(tampered)) == {"F-litigation"}


def test_none_of_either_against_table_four() -> None:
    quiet = f_checks(extract(text(NONE_AT_ALL)))
    assert quiet["F-reconsideration"] == quiet["F-litigation"] == CheckStatus.passed
    body = text(NONE_AT_ALL)  # 表四's one data row: 15 zeros
    table = body.index("四、政府信息公开行政复议")
    row_start = body.index("\n0\t", table) + 1
    row_end = body.index("\n", row_start)
    cells = body[row_start:row_end].split("\t")
    assert len(cells) >= 15 and {c.strip() for c in cells if c.strip()} == {"0"}
    cells[0], cells[4] = "1", "1"  # reconsideration: upheld 1, total 1
    result = extract(body[:row_start] + "\t".join(cells) + body[row_end:])
    assert failed(result) == {"F-reconsideration"}
    assert f_checks(result)["F-litigation"] == CheckStatus.passed


def test_information_fees_are_never_compared_with_table_two_charges() -> None:
    body = edit(CLEAN, "2022年未收到申请公开政府信息办理事项。", "2022年未收到申请公开政府信息办理事项。共收取信息处理费300元。")
    result = extract(body)
    assert result.facts["fees_collected"].value == 300
    assert result.verdict == "pass"
    for check in result.checks:
        assert not {"active.fees.amount", "facts.fees_collected"} & {*check.left_keys, *check.right_keys}


def test_a_table_side_without_a_number_is_not_assessable() -> None:
    result = extract(text(TRUNCATED) + "\n本年度发生政府信息公开行政复议案件2件。\n")
    assert f_checks(result)["F-reconsideration"] == CheckStatus.not_assessable


def test_without_the_narrative_no_prose_rule_runs() -> None:
    from schemas import ExtractOptions

    result = extract(text(WITH_COUNTS), options=ExtractOptions(narrative=False))
    assert f_checks(result) == {}


@pytest.mark.parametrize(("prose", "want"), [
    ("本年度发生政府信息公开行政复议案件2件，行政诉讼案件1件。", {"reconsideration": 2, "litigation": 1}),
    ("本机关被申请行政复议3起。", {"reconsideration": 3}),
    ("全年未发生因政府信息公开引起的行政复议、行政诉讼案件。", {"reconsideration": 0, "litigation": 0}),
    ("未出现行政复议和行政诉讼事件。", {"reconsideration": 0, "litigation": 0}),
    ("没有发生政府信息公开行政诉讼。", {"litigation": 0}),
    # not counts of cases
    ("与行政复议机关建立沟通机制，避免了行政复议和诉讼被纠错的问题。", {}),
    ("未发生行政复议被纠错的情况。", {}),
    ("行政复议纠错1件。", {}),
    ("较上年行政复议减少2件。", {}),
    ("上年行政复议3件。", {}),
    ("四、政府信息公开行政复议、行政诉讼情况", {}),
    ("行政复议2件，行政复议3件。", {}),  # two values for one kind: no reading
    ("2020年，本机关行政复议3件。", {}),  # another year's
    ("2021年，本机关行政复议3件。", {"reconsideration": 3}),
])
def test_review_counts_in_prose(prose: str, want: dict[str, int]) -> None:
    got = read_review_counts(normalise(prose), prose, year=2021)
    assert {k: c.value for k, c in got.items()} == want
    for count in got.values():
        assert prose[count.start:count.end] == count.quote


# ---- spans: line and column -------------------------------------------------------------------------------

def test_spans_give_line_and_column() -> None:
    body = text(WITH_COUNTS)
    result = extract(body)
    index = LineIndex(body)
    spans = [c.span for c in result.cells.values() if c.state == CellState.number and c.span is not None]
    spans += [f.span for f in result.facts.values() if f.span is not None]
    assert len(spans) > 50
    for span in spans:
        assert span.line is not None and span.column is not None
        line = body.splitlines()[span.line - 1]
        assert line[span.column - 1:span.column - 1 + span.end - span.start] == body[span.start:span.end]
        assert index.quote(span).startswith(f"第{span.line}行：")


def test_line_numbers_count_crlf_and_cr_as_one_line_end() -> None:
    index = LineIndex("a\r\nb\rc\nd")
    assert [index.line_col(i) for i in (0, 3, 5, 7)] == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert [index.line_text(n) for n in (1, 2, 3, 4)] == ["a", "b", "c", "d"]


# ---- Chinese messages -------------------------------------------------------------------------------------

def test_every_check_and_warning_has_a_chinese_message() -> None:
    for path in SAMPLES.glob("*.txt"):
        result = extract(path.read_bytes())
        assert all(c.message_zh for c in result.checks)
        assert all(w.message_zh for w in result.warnings)
    result = extract(text(TRUNCATED))
    open_check = next(c for c in result.checks if c.status == CheckStatus.not_assessable)
    assert "无法核对" in open_check.message_zh


def test_every_span_of_a_result_has_its_line() -> None:
    def spans(node: object) -> list[dict[str, object]]:
        if isinstance(node, dict):
            own = [node] if {"start", "end"} <= node.keys() else []
            return own + [s for v in node.values() for s in spans(v)]
        if isinstance(node, list):
            return [s for v in node for s in spans(v)]
        return []

    body = text(WITH_COUNTS) + "\n本年度发生政府信息公开行政复议案件5件。\n"
    found = spans(extract(body).model_dump(mode="json"))
    assert len(found) > 100
    assert all(isinstance(s["line"], int) and isinstance(s["column"], int) for s in found)
