"""The text path never returns a wrong number, and decides what the table's equations decide (issue 11).

Shapes: signed 2019 表二 changes in every flattened layout; ambiguous 表三 rows only the column sums decide
(two, then three); rows nothing decides (unknown, with candidates); amount cells; markup sent as text;
``pdftotext -layout`` output of the samples printed to PDF by Chromium and LibreOffice (fixtures made by
tests/fixtures/layout/make_fixtures.py). Plus a property: over damaged run-together reports every cell is
the true value or unknown.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from generator import Value, render_run_together  # noqa: E402

from schemas import CellState, Extraction  # noqa: E402
from schemas.keys import APPLICANT_COLUMNS, cell_keys, request_rows  # noqa: E402
from service.checks import Equation  # noqa: E402
from service.pipeline import extract  # noqa: E402
from service.tables.joint import MAX_STEPS, Candidate, solve  # noqa: E402
from service.text import looks_like_markup  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ROOT / "tests" / "fixtures" / "layout"
EXAMPLES = int(os.environ.get("NIANBAO_PROPERTY_EXAMPLES", "0"))
COLS = (*APPLICANT_COLUMNS, "total")


def _wrong(result: Extraction, truth: dict[str, Value]) -> list[tuple[str, object, object]]:
    """Cells that hold a number (or a blank) other than the truth; unknown and missing cells are not wrong."""
    out = []
    for key, expected in truth.items():
        cell = result.cells[key]
        if cell.state == CellState.number:
            if expected is None or isinstance(expected, str) or Decimal(str(cell.value)) != Decimal(expected):
                out.append((key, cell.value, expected))
        elif cell.state == CellState.blank and expected is not None:
            out.append((key, "blank", expected))
    return out


def _spans_hold(result: Extraction, text: str) -> None:
    for key, cell in result.cells.items():
        if cell.state == CellState.number:
            assert cell.span is not None and text[cell.span.start:cell.span.end] == cell.raw, key


# ---- signed 2019 表二 ----------------------------------------------------------------------------------

_T2_2019 = [("行政许可", "licensing", ["12", "-3", "45"], [12, -3, 45]),
            ("其他对外管理服务事项", "other_services", ["5", "+2", "8"], [5, 2, 8]),
            ("行政处罚", "punishment", ["20", "减少1", "31"], [20, -1, 31]),
            ("行政强制", "coercion", ["4", "增加17", "2"], [4, 17, 2])]


def _report_2019(body: list[str]) -> str:
    return "\n".join(["某县人民政府2019年政府信息公开工作年度报告", "一、总体情况", "本年主动公开信息。",
                      "二、主动公开政府信息情况", "第二十条第（五）项", "信息内容 上一年项目数量 本年增/减 处理决定数量",
                      *body, "三、收到和处理政府信息公开申请情况", "五、存在的主要问题及改进情况", "无。"])


@pytest.mark.parametrize("sep", ["\t", " ", "   ", " | ", "\n", ""])
def test_signed_2019_changes_keep_their_sign_in_every_layout(sep: str) -> None:
    body = [label + (sep or "") + sep.join(cells) for label, _, cells, _ in _T2_2019]
    text = _report_2019(body)
    result = extract(text)
    truth = {f"active.{row}.{c}": v for _, row, _, values in _T2_2019
             for c, v in zip(("previous", "change", "decisions"), values, strict=True)}
    assert not _wrong(result, truth)
    _spans_hold(result, text)
    if sep:  # separated cells: every value read, the sign (in figures or words) kept
        assert {k: result.cells[k].value for k in truth} == truth


def test_run_together_signed_row_keeps_what_the_sign_decides_and_lists_the_rest() -> None:
    text = _report_2019(["行政许可12+517", "其他对外管理服务事项5减少28"])
    result = extract(text)
    cells = result.cells
    assert cells["active.licensing.previous"].value == 12  # the sign starts the next cell
    for key in ("active.licensing.change", "active.licensing.decisions"):
        assert cells[key].state == CellState.unknown
    warning = next(w for w in result.warnings if "active.licensing.change" in w.keys)
    assert {"active.licensing.change": 5, "active.licensing.decisions": 17} in warning.candidates
    assert {"active.licensing.change": 51, "active.licensing.decisions": 7} in warning.candidates
    # "减少28" is -2 then 8, or -28 with 处理决定数量 printed empty (run together, an empty cell leaves no
    # trace): unknown.
    assert cells["active.other_services.change"].state == CellState.unknown
    assert cells["active.other_services.decisions"].state == CellState.unknown


def test_a_cut_that_an_empty_cell_could_explain_is_not_taken() -> None:
    text = _report_2019(["行政许可000", "其他对外管理服务事项125", "行政处罚1005"])
    cells = extract(text).cells
    assert [cells[f"active.licensing.{c}"].value for c in ("previous", "change", "decisions")] == [0, 0, 0]
    for row in ("other_services", "punishment"):  # 1,2,5 or 12,(empty),5; 100,0,5 or 10,0,5 or 100,(empty),5
        assert all(cells[f"active.{row}.{c}"].state == CellState.unknown for c in ("previous", "change", "decisions"))


def test_negative_values_only_in_signed_columns() -> None:
    text = _report_2019(["行政许可 -12 3 45"])
    result = extract(text)
    assert result.cells["active.licensing.previous"].state != CellState.number


def test_a_run_that_stops_at_a_letter_or_a_dropped_number_is_not_cut() -> None:
    text = _report_2019(["行政许可123a", "行政处罚388+220"])  # 1,2,3 would fill the columns; +220 too long
    result = extract(text)
    assert all(result.cells[f"active.licensing.{c}"].state == CellState.unknown
               for c in ("previous", "change", "decisions"))
    assert result.cells["active.punishment.previous"].value == 388
    assert result.cells["active.punishment.change"].state == CellState.unknown


# ---- amounts --------------------------------------------------------------------------------------------

def test_amounts_keep_decimals_and_unit_and_are_never_cut() -> None:
    run = _report_2019(["行政许可\t1\t0\t1", "第二十条第（九）项", "信息内容 采购项目数量 采购总金额",
                        "政府集中采购375394432.52元"])
    result = extract(run)
    assert result.cells["active.procurement.count"].state == CellState.unknown
    assert result.cells["active.procurement.amount"].state == CellState.unknown
    spaced = run.replace("政府集中采购375394432.52元", "政府集中采购 3 75394432.52元")
    result = extract(spaced)
    assert result.cells["active.procurement.count"].value == 3
    assert result.cells["active.procurement.amount"].value == Decimal("75394432.52")
    fees = ("某局2022年政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第（八）项\n"
            "信息内容 本年收费金额（单位：万元）\n行政事业性收费0.3500\n三、收到和处理政府信息公开申请情况\n")
    assert extract(fees).cells["active.fees.amount"].value == Decimal("0.3500")


# ---- 表三 rows decided together --------------------------------------------------------------------------

def _t3_report(values: dict[str, list[int]], run_together: set[str]) -> str:
    """A 2021 report whose 表三 rows are tab-separated, except ``run_together`` rows (digits only)."""
    lines = ["某局2022年政府信息公开工作年度报告", "一、总体情况", "无。", "三、收到和处理政府信息公开申请情况",
             "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况"]
    labels = {"new_received": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
              "granted": "（一）予以公开", "partially_granted": "（二）部分公开", "denied.state_secret": "1.属于国家秘密",
              "total": "（七）总计", "carried_forward": "四、结转下年度继续办理"}
    from generator import _T3_LABELS
    for row in request_rows("2021"):
        label = labels.get(row) or _T3_LABELS[row][1]
        vals = [str(v) for v in values.get(row, [0] * 7)]
        lines.append(label + ("".join(vals) if row in run_together else "\t" + "\t".join(vals)))
    lines += ["四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "无。"]
    return "\n".join(lines)


def _table(rows: dict[str, list[int]]) -> dict[str, list[int]]:
    """Result rows → the whole 表三 (totals; 新收 = 总计, nothing carried)."""
    total = [sum(r[i] for r in rows.values()) for i in range(6)]
    total.append(sum(total))
    full = {row: [*vals[:6], sum(vals[:6])] for row, vals in rows.items()}
    return {**full, "total": total, "new_received": total}


def _decided_jointly(result: Extraction, row: str) -> bool:
    return any(r.keys[0].startswith(f"requests.{row}.") and "searched together" in r.reason for r in result.repairs)


@pytest.mark.parametrize("rows", [
    # 1|10 or 11|0, and 22|0 or 2|20: only one of the four combinations adds up to 总计's 23 and 10.
    {"granted": [1, 10, 0, 0, 0, 0], "partially_granted": [22, 0, 0, 0, 0, 0]},
    # three rows, eight combinations, one adds up
    {"granted": [1, 10, 0, 0, 0, 0], "partially_granted": [22, 0, 0, 0, 0, 0],
     "unable.not_held": [3, 30, 0, 0, 0, 0]},
], ids=["two", "three"])
def test_ambiguous_rows_only_column_sums_decide_are_decided_together(rows: dict[str, list[int]]) -> None:
    table = _table(rows)
    text = _t3_report(table, set(rows))
    result = extract(text)
    for row, vals in table.items():
        assert [result.cells[f"requests.{row}.{c}"].value for c in COLS] == vals, row
    for row in rows:
        assert _decided_jointly(result, row), row
        repair = next(r for r in result.repairs if r.keys[0].startswith(f"requests.{row}."))
        assert any(p.startswith("T3-results") for p in repair.proved_by)
    _spans_hold(result, text)


def test_ambiguous_rows_nothing_decides_stay_unknown_with_candidates() -> None:
    # Three rows of 1|10 or 11|0: 总计 (13, 20) fits three arrangements, so no row is decided.
    rows = {"granted": [11, 0, 0, 0, 0, 0], "partially_granted": [1, 10, 0, 0, 0, 0],
            "unable.not_held": [1, 10, 0, 0, 0, 0]}
    table = _table(rows)
    result = extract(_t3_report(table, set(rows)))
    for row in rows:
        assert result.cells[f"requests.{row}.natural_person"].state == CellState.unknown
        warning = next(w for w in result.warnings if f"requests.{row}.natural_person" in w.keys)
        assert len(warning.candidates) == 2
        picked = {k.rsplit(".", 1)[1]: v for k, v in warning.candidates[0].items()}
        assert picked["natural_person"] in (1, 11)
    truth: dict[str, Value] = {f"requests.{r}.{c}": v for r, vals in table.items() for c, v in zip(COLS, vals,
                                                                                                strict=True)}
    assert not _wrong(result, truth)


def test_cells_every_cut_that_adds_up_agrees_on_are_kept_the_rest_listed() -> None:
    # 表四 run together: two cuts satisfy the three blocks (0,33,0,0,33 or 0,3,30,0,33 in the second block).
    text = ("某局2022年政府信息公开工作年度报告\n四、政府信息公开行政复议、行政诉讼情况\n行政复议行政诉讼\n"
            "结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉\n"
            "结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计\n"
            "00016160330033804820\n五、存在的主要问题及改进情况\n无。")
    result = extract(text)
    got = [result.cells[k].value for k in cell_keys("2021") if k.startswith("review.")]
    assert got == [0, 0, 0, 16, 16, 0, None, None, 0, 33, 8, 0, 4, 8, 20]
    repair = next(r for r in result.repairs if r.keys[0].startswith("review."))
    assert repair.method == "arithmetic" and "T4-blocks[litigation_direct]" in repair.proved_by
    warning = next(w for w in result.warnings if w.code == "ambiguous_row")
    assert sorted(w["review.litigation_direct.corrected"] for w in warning.candidates) == [3, 33]
    _spans_hold(result, text)


def test_joint_search_is_bounded_and_needs_a_unique_answer() -> None:
    eq = Equation("sum", "sum", ("t",), ("a", "b", "c"))
    rows = [Candidate((k,), ({k: 1}, {k: 10})) for k in "abc"]
    assert solve(rows, {"t": 12}, [eq]) == []  # 1+1+10 three ways: nothing decided
    decided = solve(rows, {"t": 3}, [eq])
    assert [(d.row, d.reading) for d in sorted(decided, key=lambda d: d.row)] == [(0, 0), (1, 0), (2, 0)]
    assert solve(rows, {"t": 4}, [eq]) == []  # no combination adds up: the report's sums are off
    # Twelve rows of 50 readings with no equation to prune: the step bound stops the walk, nothing decided.
    wide = [Candidate((f"k{i}",), tuple({f"k{i}": v} for v in range(50))) for i in range(12)]
    big = Equation("big", "big", ("t",), tuple(f"k{i}" for i in range(12)))
    assert solve(wide, {"t": 0}, [big]) == [] and MAX_STEPS < 50 ** 12


# ---- pdftotext -layout ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(LAYOUT.glob("*.txt")), ids=lambda p: p.name)
def test_pdftotext_layout_of_printed_samples_has_no_wrong_cell(path: Path) -> None:
    gold = json.loads(next((ROOT / "eval" / "gold").glob(path.name.split(".")[0] + "_*.json")).read_text("utf-8"))
    text = path.read_text(encoding="utf-8")
    result = extract(text)
    truth = {k: v for k, v in gold["cells"].items() if k in result.cells}
    assert not _wrong(result, truth)
    right = sum(result.cells[k].state == CellState.number for k in truth)
    assert right >= 120  # most cells are read, not merely left unknown
    _spans_hold(result, text)


def test_numbers_beside_the_next_labels_line_are_not_given_to_it() -> None:
    # The example: 不掌握's numbers sit on the line of 没有现成信息's label, which has its own a line later.
    text = "\n".join(["某局2022年政府信息公开工作年度报告", "三、收到和处理政府信息公开申请情况",
                      "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）     申请人情况",
                      "一、本年新收政府信息公开申请数量   12 0 0 1 0 0 13", "（三）不予公开 1.属于国家秘密   0 0 0 0 0 0 0",
                      "1. 本机关不掌握", "相关政府信息", "（四）2.没有现成信息   12 0 0 1 0 0 13",
                      "无法提供 需要另行制作  0 0 0 0 0 0 0", "3.补正后申请内容仍不明确  0 0 0 0 0 0 0",
                      "四、政府信息公开行政复议、行政诉讼情况"])
    result = extract(text)
    for row in ("unable.not_held", "unable.needs_creation"):
        assert all(result.cells[f"requests.{row}.{c}"].state != CellState.number for c in COLS), row
    assert result.cells["requests.unable.unclear_after_correction.total"].value == 0


def test_numbers_beside_the_next_labels_line_are_realigned_when_every_equation_proves_it() -> None:
    table = _table({"unable.not_held": [12, 0, 0, 1, 0, 0], "granted": [3, 0, 0, 0, 0, 0]})
    text = _t3_report(table, set()).replace("\t", "   ")
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("1.本机关不掌握"))
    # 1.本机关不掌握 / 相关政府信息 / 2.没有现成信息 <not_held's numbers> / 需要另行制作 <its own>
    lines[at:at + 2] = ["1.本机关不掌握", "相关政府信息", "2.没有现成信息   12   0   0   1   0   0   13",
                        "需要另行制作   0   0   0   0   0   0   0"]
    text = "\n".join(lines)
    result = extract(text)
    for row in ("unable.not_held", "unable.needs_creation"):
        assert [result.cells[f"requests.{row}.{c}"].value for c in COLS] == table.get(row, [0] * 7), row
    repairs = [r for r in result.repairs if r.kind == "alignment" and r.method == "arithmetic"]
    assert {r.keys[0].rsplit(".", 1)[0] for r in repairs} == {"requests.unable.not_held",
                                                              "requests.unable.needs_creation"}
    assert any(p.startswith("T3-results") for p in repairs[0].proved_by)
    _spans_hold(result, text)
    # The same lines where the column sums do not hold: nothing is realigned, nothing is guessed.
    broken = text.replace("2.没有现成信息   12   0   0   1   0   0   13", "2.没有现成信息   11   0   0   1   0   0   12")
    result = extract(broken)
    for row in ("unable.not_held", "unable.needs_creation"):
        assert all(result.cells[f"requests.{row}.{c}"].state != CellState.number for c in COLS), row


@pytest.mark.parametrize("consistent", [True, False])
def test_a_shift_down_a_group_of_wrapped_labels_is_realigned_or_left_unknown(consistent: bool) -> None:
    # 不掌握 has no numbers; each row's numbers sit on the next label's first line, the last row's come after.
    table = _table({"unable.not_held": [12, 0, 0, 1, 0, 0], "unable.needs_creation": [4, 0, 0, 0, 0, 0],
                    "unable.unclear_after_correction": [2, 1, 0, 0, 0, 0], "granted": [3, 0, 0, 0, 0, 0]})
    text = _t3_report(table, set()).replace("\t", "   ")
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("1.本机关不掌握"))
    own = [line.split("   ", 1)[1] for line in lines[at:at + 3]]  # each row's printed numbers
    if not consistent:
        own[0] = own[0].replace("12", "11", 1)  # 不掌握 no longer adds up to 总计
    lines[at:at + 3] = ["1.本机关不掌握", "相关政府信息", f"2.没有现成信息   {own[0]}", "需要另行制作",
                        f"3.补正后申请内容   {own[1]}", "仍不明确", f"   {own[2]}"]
    text = "\n".join(lines)
    result = extract(text)
    rows = ("unable.not_held", "unable.needs_creation", "unable.unclear_after_correction")
    truth: dict[str, Value] = {f"requests.{r}.{c}": v for r in rows for c, v in zip(COLS, table[r], strict=True)}
    assert not _wrong(result, truth)
    for row in rows:
        got = [result.cells[f"requests.{row}.{c}"] for c in COLS]
        if consistent:
            assert [c.value for c in got] == table[row], row
        else:
            assert all(c.state != CellState.number for c in got), row
    _spans_hold(result, text)


# ---- markup ---------------------------------------------------------------------------------------------

def test_markup_sent_as_text_is_not_tokenised() -> None:
    sample = (ROOT / "eval" / "samples" / "001_1eeed509761ddf3c.txt").read_text(encoding="utf-8")
    html = "<html><body><table>" + "".join(
        "<tr>" + "".join(f'<td width="120" colspan="1">{c}</td>' for c in line.split("\t")) + "</tr>"
        for line in sample.splitlines()) + "</table></body></html>"
    # As text (a str: no file to sniff) the markup is refused; the same bytes are a web page, read as one
    # (service/documents, tests/test_documents.py).
    result = extract(html, source="report.txt")
    assert not any(c.state == CellState.number for c in result.cells.values())
    assert any(w.code == "markup_as_text" for w in result.warnings)
    for path in sorted((ROOT / "eval").glob("*/*.txt")):
        assert not looks_like_markup(path.read_text(encoding="utf-8", errors="replace")), path
    assert not looks_like_markup("收到申请<5>件，其中<一>类 a<b 3>2")


# ---- the property ---------------------------------------------------------------------------------------

@settings(max_examples=EXAMPLES or 40, deadline=None, derandomize=not EXAMPLES,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**7), gaps=st.sampled_from([0.0, 0.0, 0.1, 0.3, 0.6]),
       mistakes=st.sampled_from([0.0, 0.0, 1.0]), joiner=st.sampled_from(["\n", "\n", " ", ""]))
def test_damaged_run_together_tables_give_the_true_value_or_unknown(seed: int, gaps: float, mistakes: float,
                                                                    joiner: str) -> None:
    """Damage: cells run together or not, the report's own arithmetic off, lines joined into one."""
    case = render_run_together(seed, gaps=gaps, mistakes=mistakes)
    text = joiner.join(case.text.split("\n"))
    result = extract(text)
    truth = {k: case.truth[k] for k in cell_keys(case.version)}
    assert not _wrong(result, truth), (seed, gaps, mistakes, repr(joiner), case.notes)
    _spans_hold(result, text)


def test_a_cut_that_adds_up_only_because_the_report_is_wrong_is_not_kept() -> None:
    # 总计 "771641212121285": the printed 285 is the report's own error (the cells add up to 287), so the
    # only cut whose total adds up is 7,7,16,41,2,1212,1285. The column sums cannot all hold: it is refused.
    case = render_run_together(594, mistakes=1.0)
    assert "771641212121285" in case.text
    result = extract(case.text)
    assert not _wrong(result, {k: case.truth[k] for k in cell_keys(case.version)})
    assert result.cells["requests.total.other_org"].state == CellState.unknown
    assert any("contradicts" in w.message for w in result.warnings)
