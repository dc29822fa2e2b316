"""Each messy shape of real reports, written by hand: the reader gets every value, or says it cannot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas import CellState, Extraction
from service.pipeline import extract
from service.tables import GridCell, read_grid
from service.text import normalise

HEAD = "某县人民政府2021年政府信息公开工作年度报告\n一、总体情况\n本年度工作有序推进。\n"
T2 = ("二、主动公开政府信息情况\n第二十条第（一）项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n"
      "规章\t0\t0\t0\n行政规范性文件\t3\t1\t12\n")
T3_HEAD = "三、收到和处理政府信息公开申请情况\n(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\n"
T4_HEAD = "四、政府信息公开行政复议、行政诉讼情况\n行政复议\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n"
TAIL = "五、存在的主要问题及改进情况\n一是培训不足。\n六、其他需要报告的事项\n无。\n"


def _report(t3_rows: str = "", t4_row: str = "", t2: str = T2) -> str:
    return HEAD + t2 + T3_HEAD + t3_rows + T4_HEAD + t4_row + "\n" + TAIL


def _row(result: Extraction, row: str) -> list[object]:
    cols = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"]
    out: list[object] = []
    for c in cols:
        cell = result.cells[f"requests.{row}.{c}"]
        out.append(cell.value if cell.state == CellState.number else cell.state.value)
    return out


def _review(result: Extraction) -> list[object]:
    return [c.value if c.state == CellState.number else c.state.value
            for k, c in result.cells.items() if k.startswith("review.")]


def _assert_spans(text: str, result: Extraction) -> None:
    for key, cell in result.cells.items():
        if cell.state == CellState.number:
            assert cell.span is not None, key
            assert normalise(text[cell.span.start:cell.span.end]) == cell.raw, key


@pytest.mark.parametrize("sep", ["\t", "   ", " | ", "\n"])
def test_separators_tabs_spaces_pipes_and_one_cell_per_line(sep: str) -> None:
    row = "一、本年新收政府信息公开申请数量" + sep + sep.join(["52", "1", "0", "0", "0", "0", "53"])
    text = _report(row + "\n二、上年结转政府信息公开申请数量" + sep + sep.join(["0"] * 7) + "\n")
    result = extract(text)
    assert _row(result, "new_received") == [52, 1, 0, 0, 0, 0, 53]
    assert _row(result, "carried_over") == [0] * 7
    _assert_spans(text, result)


def test_markdown_table_with_rule_line() -> None:
    rows = ("| 项目 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"
            "|---|---|---|---|---|---|---|---|\n"
            "| 一、本年新收政府信息公开申请数量 | 5 | 1 | 0 | 0 | 0 | 0 | 6 |\n"
            "| （七）总计 | 5 | / | — | 无 |  | 0 | 5 |\n")
    result = extract(_report(rows))
    assert _row(result, "new_received") == [5, 1, 0, 0, 0, 0, 6]
    assert _row(result, "total") == [5, "not_applicable", "not_applicable", "not_applicable", "blank", 0, 5]


@pytest.mark.parametrize(("digits", "expected"), [
    ("521000053", [52, 1, 0, 0, 0, 0, 53]),
    ("31620000318", [316, 2, 0, 0, 0, 0, 318]),
    ("0000000", [0] * 7),
])
def test_digits_run_together_are_split_by_the_row_total(digits: str, expected: list[int]) -> None:
    text = _report(f"一、本年新收政府信息公开申请数量{digits}\n")
    result = extract(text)
    assert _row(result, "new_received") == expected
    if digits != "0000000":
        repair = next(r for r in result.repairs if "requests.new_received.total" in r.keys)
        assert repair.kind == "digit_split" and repair.proved_by == ["T3-columns[new_received]"]
    _assert_spans(text, result)


def test_digit_run_with_next_rows_item_number_glued_on() -> None:
    rows = ("（三）不予公开1.属于国家秘密00000005.属于三类内部事务信息20000026.属于四类过程性信息0000000"
            "7.属于行政执法案卷1000001")
    result = extract(_report(rows + "\n"))
    assert _row(result, "denied.internal_affairs") == [2, 0, 0, 0, 0, 0, 2]
    assert _row(result, "denied.process_information") == [0] * 7
    assert _row(result, "denied.enforcement_files") == [1, 0, 0, 0, 0, 0, 1]


def test_digit_run_that_two_splits_satisfy_is_left_unknown_with_a_warning() -> None:
    result = extract(_report("一、本年新收政府信息公开申请数量11000011\n"))
    assert _row(result, "new_received") == ["unknown"] * 7
    assert any(w.code == "ambiguous_row" for w in result.warnings)


def test_merged_header_cells_shift_tabs_and_rows_lose_their_leading_empty_cell() -> None:
    rows = ("一、本年新收政府信息公开申请数量\t\t4\t0\t0\t0\t0\t0\t4\t\n"
            "三、本年度办理结果\t(一) 予以公开\t4\t0\t0\t0\t0\t0\t4\t\n"
            "(七) 总计\t\t4\t0\t0\t0\t0\t0\t4\t\n"
            "四、结转下年度继续办理\t0\t0\t0\t0\t0\t0\t0\n")
    result = extract(_report(rows))
    assert _row(result, "new_received") == [4, 0, 0, 0, 0, 0, 4]
    assert _row(result, "granted") == [4, 0, 0, 0, 0, 0, 4]
    assert _row(result, "total") == [4, 0, 0, 0, 0, 0, 4]
    assert _row(result, "carried_forward") == [0] * 7


def test_spurious_empty_cell_in_review_row_is_found_by_block_totals() -> None:
    result = extract(_report(t4_row="5\t\t\t\t5\t1\t\t\t\t\t1\t5\t\t\t\t5"))
    assert _review(result) == [5, "blank", "blank", "blank", 5, 1, "blank", "blank", "blank", 1,
                               5, "blank", "blank", "blank", 5]
    assert any(r.kind == "spurious_blank" and r.method == "arithmetic" for r in result.repairs)


def test_fifteen_review_numbers_on_one_line_separated_by_spaces() -> None:
    result = extract(_report(t4_row="1 0 0 0 1 0 2 0 0 2 0 0 0 3 3"))
    assert _review(result) == [1, 0, 0, 0, 1, 0, 2, 0, 0, 2, 0, 0, 0, 3, 3]
    assert "T4-blocks[reconsideration]" not in result.failed_checks()


def test_row_and_group_label_split_across_a_page_break_with_page_number() -> None:
    rows = ("（四）无法\n\n- 4 -\n\n提供\t1.本机关不掌握相关政府信息\t9\t0\t0\t0\t0\t0\t9\n"
            "2.没有现成信息需要另行\n第 5 页\n制作\t0\t0\t0\t0\t0\t0\t0\n")
    text = _report(rows)
    result = extract(text)
    assert _row(result, "unable.not_held") == [9, 0, 0, 0, 0, 0, 9]
    assert _row(result, "unable.needs_creation") == [0] * 7
    _assert_spans(text, result)


def test_values_of_one_row_continue_after_a_page_number() -> None:
    rows = "一、本年新收政府信息公开申请数量 18 1 0\n\n- 4 -\n\n0 0 0 19\n二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0\n"
    result = extract(_report(rows))
    assert _row(result, "new_received") == [18, 1, 0, 0, 0, 0, 19]


def test_labels_broken_by_stray_spaces() -> None:
    rows = "三、本 年度办 理结果\t(一) 予以 公开\t3\t0\t0\t0\t0\t0\t3\n\t\t4. 保护第三方 合法权益\t1\t0\t0\t0\t0\t0\t1\n"
    result = extract(_report(rows))
    assert _row(result, "granted") == [3, 0, 0, 0, 0, 0, 3]
    assert _row(result, "denied.third_party_rights") == [1, 0, 0, 0, 0, 0, 1]


def test_blank_slash_dash_and_wu_are_never_zero() -> None:
    result = extract(_report("一、本年新收政府信息公开申请数量\t\t/\t—\t无\t-\t0\t2\n"))
    assert _row(result, "new_received") == ["blank", "not_applicable", "not_applicable", "not_applicable",
                                            "not_applicable", 0, 2]
    assert result.to_flat()["requests.new_received.natural_person"] is None


def test_full_width_digits_keep_spans_into_the_original() -> None:
    text = _report("一、本年新收政府信息公开申请数量\t１８\t１\t０\t０\t０\t０\t１９\n")
    result = extract(text)
    assert _row(result, "new_received") == [18, 1, 0, 0, 0, 0, 19]
    cell = result.cells["requests.new_received.total"]
    assert cell.span is not None and text[cell.span.start:cell.span.end] == "１９"


def test_2019_signed_changes_and_money_kept_as_written() -> None:
    t2 = ("二、主动公开政府信息情况\n第二十条第（一）项\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n"
          "规章\t0\t0\t5\n规范性文件\t2\t2\t40\n第二十条第（五）项\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n"
          "行政许可\t1200\t+1036\t88\n其他对外管理服务事项\t30\t-18\t0\n第二十条第（八）项\n"
          "信息内容\t上一年项目数量\t本年增/减\n行政事业性收费\t3\t0\n第二十条第（九）项\n信息内容\t采购项目数量\t采购总金额\n"
          "政府集中采购\t4\t12.3400\n")
    result = extract(_report(t2=t2).replace("2021年", "2019年"))
    assert result.meta.format_version == "2019"
    assert result.cell_value("active.licensing.change") == 1036
    assert result.cells["active.licensing.change"].raw == "+1036"
    assert result.cell_value("active.other_services.change") == -18
    amount = result.cells["active.procurement.amount"]
    assert amount.raw == "12.3400" and amount.value == Decimal("12.3400")
    assert result.to_flat()["active.procurement.amount"] == 12.34


def test_whole_report_on_one_line_inside_web_page_chrome() -> None:
    text = ("首页 > 政务公开 > 年度报告 字号：大 中 小 " + _report(
        "一、本年新收政府信息公开申请数量 3 0 0 0 0 0 3 二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0 ",
        "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0") + " 版权所有 某县人民政府 电话 0951-1234567").replace("\n", " ")
    result = extract(text)
    assert result.meta.agency == "某县人民政府" and result.meta.year == 2021
    assert _row(result, "new_received") == [3, 0, 0, 0, 0, 0, 3]
    assert _review(result) == [0] * 15
    assert result.cell_value("active.normative_documents.in_force") == 12
    assert [s.number for s in result.sections] == [1, 2, 3, 4, 5, 6]


def test_truncated_table_marks_the_rest_missing() -> None:
    text = HEAD + T2 + T3_HEAD + "一、本年新收政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1\n" + TAIL
    result = extract(text)
    assert result.tables["requests"].status == "truncated"
    assert result.cells["requests.carried_over.total"].state == CellState.missing
    assert "review" in result.missing and result.tables["review"].status == "missing"
    assert all(c.status.value == "not_assessable" for c in result.checks if c.rule == "T4-blocks")


def test_a_table_given_as_a_grid_is_read_by_the_same_logic() -> None:
    grid = [[GridCell("一、本年新收政府信息公开申请数量"), GridCell(""), GridCell("52"), GridCell("1"),
             *[GridCell("0") for _ in range(4)], GridCell("53")],
            [GridCell("（七）总计"), *[GridCell("0") for _ in range(7)]]]
    read = read_grid(grid, "requests", "2021")
    assert read.info.source == "grid"
    assert read.cells["requests.new_received.total"].value == 53
    assert read.cells["requests.new_received.natural_person"].value == 52
    assert read.cells["requests.total.total"].value == 0
    assert read.cells["requests.carried_over.total"].state == CellState.missing


def test_review_table_without_its_header_is_still_read_in_its_section() -> None:
    text = _report().replace(T4_HEAD, "四、政府信息公开行政复议、行政诉讼情况\n") .replace(
        "四、政府信息公开行政复议、行政诉讼情况\n\n", "四、政府信息公开行政复议、行政诉讼情况\n0 0 0 0 0 1 0 0 0 1 0 0 0 0 0\n")
    result = extract(text)
    assert _review(result) == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]


def test_section_four_in_prose_only_gives_no_numbers() -> None:
    text = _report().replace(T4_HEAD, "四、政府信息公开行政复议、行政诉讼情况\n本年度发生行政复议2件，均已办结。\n")
    result = extract(text)
    assert all(c.state == CellState.missing for k, c in result.cells.items()
               if k.startswith("review."))


def test_digit_runs_two_splits_of_which_the_column_rules_keep_one() -> None:
    # "5211000063" is 52,1,10,0,0,0,63 or 52,11,0,0,0,0,63 by the row alone; the result rows put 0 under
    # 科研机构, so (七)总计 and then 新收 (by the balance) can only be the second.
    from testkit.generator import _T3_LABELS

    printed = {"new_received": "5211000063", "granted": "520000052", "partially_granted": " 0 11 0 0 0 0 11",
               "total": "5211000063"}
    rows = "".join(f"{_T3_LABELS[row][1]}{printed.get(row, '0000000')}\n" for row in _T3_LABELS
                   if row != "other.total")
    result = extract(_report(rows))
    assert _row(result, "total") == [52, 11, 0, 0, 0, 0, 63]
    assert _row(result, "new_received") == [52, 11, 0, 0, 0, 0, 63]
    proofs = {p for r in result.repairs if "requests.total.total" in r.keys for p in r.proved_by}
    assert "T3-results[research]" in proofs


def test_page_number_after_a_dash_cell_is_told_apart_from_it() -> None:
    # One-line text: the row ends "— 7" (n/a, total 7) and a page mark "- 3 -" follows; not "— 7 -".
    text = _report("一、本年新收政府信息公开申请数量 5 2 0 0 0 — 7 - 3 - 二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0 ")
    result = extract(text.replace("\n", " "))
    assert _row(result, "new_received") == [5, 2, 0, 0, 0, "not_applicable", 7]


def test_wrapped_label_cells_with_the_numbers_between_their_lines() -> None:
    # pdftotext -layout: a two-line label cell prints the row's numbers on one of its lines.
    rows = ("                    2.没有现成信息需要另行\n"
            "（四）无法提供                                 3    0    0    0    0    0    3\n"
            "                    制作\n"
            "                    3.补正后申请内容仍不\n"
            "                                               0    1    0    0    0    0    1\n"
            "                    明确\n"
            "（五）不予处理      1.信访举报投诉类申请       2    0    0    0    0    0    2\n")
    result = extract(_report(rows))
    assert _row(result, "unable.needs_creation") == [3, 0, 0, 0, 0, 0, 3]
    assert _row(result, "unable.unclear_after_correction") == [0, 1, 0, 0, 0, 0, 1]
    assert _row(result, "not_processed.complaint") == [2, 0, 0, 0, 0, 0, 2]


def test_an_item_number_before_a_longer_label_is_not_read_as_a_value() -> None:
    rows = "1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0\n2.其他法律行政法规禁止公开\t1\t0\t0\t0\t0\t0\t1\n"
    result = extract(_report(rows))
    assert _row(result, "denied.state_secret") == [0] * 7
    assert _row(result, "denied.prohibited_by_law") == [1, 0, 0, 0, 0, 0, 1]


def test_rows_and_review_table_printed_with_every_cell_empty_are_blank_not_missing() -> None:
    text = _report("一、本年新收政府信息公开申请数量\t\t\t\t\t\t\t\t\n二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0\n",
                   "\t" * 14)
    result = extract(text)
    assert _row(result, "new_received") == ["blank"] * 7
    assert _review(result) == ["blank"] * 15
    assert "review" not in result.missing
