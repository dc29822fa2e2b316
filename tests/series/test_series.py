"""Series: grouping by agency, cross-year checks, repetition, indicators and gaps, on samples and on reports
made from them (another year in the title, tampered table rows)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import REQUEST_COLUMNS, Cell, CellState, Extraction, Meta
from schemas.series import AgencySeries, SeriesCheck
from service.series import SeriesInput, build_series
from service.series.agency import group_agencies, parse_agency
from service.series.cells import blanks_proved_zero
from service.series.repetition import fold, narrative_sentences
from testkit.series import (
    CARRIED_FORWARD,
    CARRIED_OVER,
    LIANCAI,
    SAMPLES,
    TOUZHA,
    XUANHE,
    YUANZHOU,
    as_year,
    read,
    sample,
    set_row,
)


def _one(series: list[AgencySeries]) -> AgencySeries:
    assert len(series) == 1, [s.agency for s in series]
    return series[0]


def _checks(series: AgencySeries, rule: str, year: int | None = None) -> list[SeriesCheck]:
    return [c for c in series.checks if c.rule == rule and (year is None or c.year == year)]


def _yuanzhou(year: int, **rows: list[int]) -> str:
    text = as_year(sample(YUANZHOU), year, 2021)
    for label, values in rows.items():
        text = set_row(text, label, values)
    return text


# --- agencies -------------------------------------------------------------------------------------------

SAME = [
    ("中卫市沙坡头区人民政府", "沙坡头区人民政府"),
    ("沙坡头区人民政府", "沙坡头区政府"),
    ("沙坡头区宣和镇", "宣和镇人民政府"),
    ("中卫市沙坡头区宣和镇人民政府", "沙坡头区宣和镇"),
    ("原州区人民政府办公室", "原州区政府办公室"),
    ("固原市原州区人民政府办公室", "原州区人民政府办公室"),
    ("北京市海淀区人民政府", "海淀区人民政府"),
    ("宁夏回族自治区中卫市人民政府", "中卫市人民政府"),
    ("银川市灵武市宁东镇", "灵武市宁东镇"),
    ("中华人民共和国教育部", "教育部"),
    ("沛县人民政府", "徐州市沛县人民政府"),
    ("沙坡头区 宣和镇", "沙坡头区宣和镇"),
    ("中卫市沙坡头区教育局", "沙坡头区教育局"),
    ("西吉县", "西吉县人民政府"),
    ("宁夏回族自治区银川市兴庆区人民政府", "兴庆区人民政府"),
    ("吴忠市利通区金积镇人民政府", "利通区金积镇"),
    ("石嘴山市大武口区长胜街道办事处", "大武口区长胜街道"),
    ("原州区政府办", "原州区人民政府办公室"),
    ("海原县人民政府办公室", "固原市海原县人民政府办公室"),
]
DIFFERENT = [
    ("沙坡头区人民政府", "沙坡头区教育局"),
    ("沙坡头区人民政府", "沙坡头区人民政府办公室"),
    ("沙坡头区教育局", "沙坡头区人民政府办公室"),
    ("沙坡头区人民政府", "中卫市人民政府"),
    ("中卫市人民政府", "中卫市沙坡头区人民政府"),
    ("沙坡头区人民政府", "沙坡头区宣和镇人民政府"),
    ("甲县城关镇", "乙县城关镇"),
    ("沙坡头区市场监督管理局", "沙坡头区人民政府"),
    ("沙坡头区住房和城乡建设局", "沙坡头区人民政府"),
    ("宁夏回族自治区人民政府", "宁夏回族自治区人民政府办公厅"),
    ("新市镇人民政府", "新市县人民政府"),
    ("平罗县头闸镇", "隆德县联财镇"),
    ("沙坡头区教育局", "沙坡头区教育体育局"),
    ("固原市人民政府", "固原市人民政府办公室"),
    ("固原市人民政府", "固原市原州区人民政府"),
    ("兴庆区人民政府", "金凤区人民政府"),
    ("大武口区长胜街道", "大武口区长城街道"),
    ("利通区金积镇", "利通区金银滩镇"),
    ("中宁县", "中宁县卫生健康局"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_names_of_one_agency_are_grouped(a: str, b: str) -> None:
    assert parse_agency(a).compatible(parse_agency(b))
    assert group_agencies([a, b]) == [[0, 1]]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_agencies_stay_apart(a: str, b: str) -> None:
    assert not parse_agency(a).compatible(parse_agency(b))
    assert group_agencies([a, b]) == [[0], [1]]


def test_name_parts() -> None:
    name = parse_agency("中卫市沙坡头区人民政府办公室")
    assert name.units == ("中卫市", "沙坡头区") and name.office == "政府办公室"
    assert parse_agency("沙坡头区市场监督管理局").office == "市场监督管理局"  # 市场 is no city
    assert parse_agency("宁夏回族自治区人民政府").units == ("宁夏回族自治区",)


@given(st.lists(st.text(alphabet="中卫市沙坡头区县镇乡街道办事处人民政府公室教育局自治州省盟旗 （）·", max_size=24),
                max_size=6))
@settings(max_examples=200, deadline=None)
def test_any_names_are_grouped_without_error(names: list[str]) -> None:
    groups = group_agencies(names)
    assert sorted(i for g in groups for i in g) == list(range(len(names)))
    for group in groups:  # every member fits every other: grouping never joins a contradiction
        assert all(parse_agency(names[a]).compatible(parse_agency(names[b])) for a in group for b in group)


def test_the_series_is_named_as_most_of_its_reports() -> None:
    names = ["沙坡头区人民政府", "中卫市沙坡头区人民政府", "沙坡头区人民政府"]
    reports = [SeriesInput(Extraction(source=str(i), meta=Meta(agency=n, year=2019 + i)), "")
               for i, n in enumerate(names)]
    series = _one(build_series(reports).series)
    assert series.agency == "沙坡头区人民政府" and series.names == names[:2]


def test_a_short_name_joins_the_group_it_fits() -> None:
    names = ["甲县城关镇", "乙县城关镇", "城关镇人民政府", "沙坡头区人民政府", "中卫市沙坡头区人民政府"]
    groups = group_agencies(names)
    assert [3, 4] in groups and [1] in groups
    assert [0, 2] in groups  # ambiguous between two counties: the first group it fits


# --- carry_over -----------------------------------------------------------------------------------------


def test_samples_of_different_agencies_make_one_series_each() -> None:
    reports = [read(sample(n), n) for n in (YUANZHOU, LIANCAI, XUANHE, TOUZHA)]
    result = build_series(reports)
    assert sorted(s.agency for s in result.series) == sorted(
        ["原州区人民政府办公室", "隆德县联财镇", "沙坡头区宣和镇", "平罗县头闸镇"])
    for series in result.series:
        assert len(series.years) == 1 and series.checks == [] and series.repetition == []
        assert len(series.indicators) == 1


def test_consistent_years_pass_every_carry_over() -> None:
    reports = [read(_yuanzhou(2020), "2020"), read(sample(YUANZHOU), "2021"), read(_yuanzhou(2022), "2022")]
    series = _one(build_series(reports).series)
    assert series.years == [2020, 2021, 2022]
    assert [r.verdict for r in series.reports] == [r.result.verdict for r in sorted(reports, key=lambda r: r.result.source or "")]
    checks = _checks(series, "carry_over")
    assert len(checks) == 14 and {c.status for c in checks} == {"pass"}
    assert {c.year for c in checks} == {2021, 2022}


def test_a_tampered_carried_over_row_fails_exactly_that_years_carry_over() -> None:
    tampered = _yuanzhou(2021, **{CARRIED_OVER: [2, 0, 0, 0, 0, 1, 3]})
    assert read(tampered, "t").result.cell_value("requests.carried_over.total") == 3
    reports = [read(_yuanzhou(2020), "2020"), read(tampered, "2021"), read(_yuanzhou(2022), "2022")]
    series = _one(build_series(reports).series)
    failed = [c for c in series.checks if c.status == "fail"]
    assert [(c.year, c.id) for c in failed] == [(2021, "carry_over[natural_person]"), (2021, "carry_over[other_org]"),
                                                (2021, "carry_over[total]")]
    total = failed[-1]
    assert (total.left, total.right) == (Decimal(3), Decimal(0))
    assert total.left_keys == ["2021:requests.carried_over.total"]
    assert total.right_keys == ["2020:requests.carried_forward.total"]
    assert all(c.status == "pass" for c in _checks(series, "carry_over", 2022))


@pytest.mark.parametrize("tampered", range(2017, 2023))
def test_seven_years_with_carried_applications_fail_only_where_tampered(tampered: int) -> None:
    # Every year carries (year − 2014) applications forward and takes over the previous year's; one year's
    # 上年结转 is off by one in the 科研机构 column.
    reports = []
    for year in range(2016, 2023):
        before, after = year - 2015, year - 2014
        over = [before, 0, 1 if year == tampered else 0, 0, 0, 0, before + (year == tampered)]
        text = _yuanzhou(year, **{CARRIED_OVER: over, CARRIED_FORWARD: [after, 0, 0, 0, 0, 0, after]})
        reports.append(read(text, str(year)))
    series = _one(build_series(reports[::-1]).series)
    assert series.years == list(range(2016, 2023)) and series.gaps == []
    failed = [(c.year, c.id) for c in series.checks if c.status == "fail"]
    assert failed == [(tampered, "carry_over[research]"), (tampered, "carry_over[total]")]
    assert len(_checks(series, "carry_over")) == 6 * 7


def test_a_carried_forward_row_must_reappear_next_year() -> None:
    # 2020 carried 4 applications forward; 2021 says it took over 4: pass. 2022 took over none of 2021's 4.
    y2020 = _yuanzhou(2020, **{CARRIED_FORWARD: [4, 0, 0, 0, 0, 0, 4]})
    y2021 = _yuanzhou(2021, **{CARRIED_OVER: [4, 0, 0, 0, 0, 0, 4], CARRIED_FORWARD: [3, 1, 0, 0, 0, 0, 4]})
    series = _one(build_series([read(y2021, "b"), read(y2020, "a"), read(_yuanzhou(2022), "c")]).series)
    assert all(c.status == "pass" for c in _checks(series, "carry_over", 2021))
    failed = {c.id: (c.left, c.right) for c in _checks(series, "carry_over", 2022) if c.status == "fail"}
    assert failed == {"carry_over[natural_person]": (0, 3), "carry_over[commercial]": (0, 1),
                      "carry_over[total]": (0, 4)}


def test_blank_cells_count_as_zero_only_when_their_row_total_proves_it() -> None:
    # The reader leaves a row of blanks it cannot place unknown, so the blanks are set on the result.
    def with_blanks(total: int) -> SeriesInput:
        report = read(_yuanzhou(2021, **{CARRIED_OVER: [2, 0, 0, 0, 0, 0, total]}), "2021")
        for col in REQUEST_COLUMNS[1:-1]:
            report.result.cells[f"requests.carried_over.{col}"] = Cell(state=CellState.blank)
        return report

    y2020 = read(_yuanzhou(2020, **{CARRIED_FORWARD: [2, 0, 0, 0, 0, 0, 2]}), "2020")
    checks = {c.id: c for c in _one(build_series([y2020, with_blanks(2)]).series).checks}
    assert all(checks[f"carry_over[{col}]"].status == "pass" for col in REQUEST_COLUMNS)
    assert checks["carry_over[commercial]"].blank_as_zero == ["2021:requests.carried_over.commercial"]
    assert checks["carry_over[total]"].blank_as_zero == []
    # 2 written and 总计 3: a blank hides 1 somewhere, so no blank is 0; the stated 总计 still fails.
    checks = {c.id: c for c in _one(build_series([y2020, with_blanks(3)]).series).checks}
    commercial = checks["carry_over[commercial]"]
    assert commercial.status == "not_assessable" and commercial.unassessable_keys == [
        "2021:requests.carried_over.commercial"]
    assert checks["carry_over[total]"].status == "fail"


def test_a_blank_is_zero_only_when_the_total_adds_up_without_it() -> None:
    def row(total: int) -> Extraction:
        cells = {f"requests.carried_over.{c}": Cell(state=CellState.blank) for c in REQUEST_COLUMNS}
        cells["requests.carried_over.natural_person"] = Cell(state=CellState.number, value=2)
        cells["requests.carried_over.total"] = Cell(state=CellState.number, value=total)
        return Extraction(cells=cells)

    assert blanks_proved_zero(row(2)) == {f"requests.carried_over.{c}" for c in REQUEST_COLUMNS[1:-1]}
    assert blanks_proved_zero(row(3)) == frozenset()


def test_a_missing_year_is_not_assessable_and_a_gap() -> None:
    series = _one(build_series([read(_yuanzhou(2019), "a"), read(sample(YUANZHOU), "b")]).series)
    assert series.years == [2019, 2021]
    assert [(g.kind, g.year) for g in series.gaps] == [("missing_year", 2020)]
    checks = _checks(series, "carry_over", 2021)
    assert checks and all(c.status == "not_assessable" and c.reason == "no report for 2020" for c in checks)
    assert [r.status for r in series.repetition] == ["not_assessable"]


def test_an_unreadable_table_makes_its_cells_not_assessable() -> None:
    # 宣和镇's 表三 is cut off before 结转下年度: the 2022 carry_over has no right side.
    y2022 = as_year(sample(YUANZHOU), 2022, 2021).replace("原州区人民政府办公室", "沙坡头区宣和镇人民政府")
    series = _one(build_series([read(sample(XUANHE), "2021"), read(y2022, "2022")]).series)
    assert series.agency == "沙坡头区宣和镇人民政府" and set(series.names) == {"沙坡头区宣和镇", "沙坡头区宣和镇人民政府"}
    gap = next(g for g in series.gaps if g.kind == "unreadable_table")
    assert gap.year == 2021 and gap.tables == ["requests", "review"] and "truncated" in gap.message
    total = next(c for c in _checks(series, "carry_over", 2022) if c.id == "carry_over[total]")
    assert total.status == "not_assessable" and total.unassessable_keys == ["2021:requests.carried_forward.total"]
    assert total.left == 0 and total.right is None


def test_cells_the_reader_could_not_settle_are_a_gap() -> None:
    report = read(sample(YUANZHOU), "a")
    report.result.cells["requests.granted.total"] = Cell(state=CellState.unknown)
    series = _one(build_series([report]).series)
    assert [(g.kind, g.tables) for g in series.gaps] == [("unreadable_table", ["requests"])]
    assert "1 cells unknown" in series.gaps[0].message
    assert series.indicators[0].disclosure_rate is None
    assert "requests.granted.total" in series.indicators[0].not_computed["disclosure_rate"]


def test_two_reports_for_one_year_are_a_gap_and_the_better_read_is_used() -> None:
    whole = _yuanzhou(2021)
    cut = whole[:whole.index("四、政府信息公开行政复议")]  # the same report without 表四 and after
    series = _one(build_series([read(cut, "cut.txt"), read(whole, "whole.txt"), read(_yuanzhou(2020), "a")]).series)
    gap = next(g for g in series.gaps if g.kind == "duplicate_year")
    assert gap.year == 2021 and gap.sources == ["cut.txt", "whole.txt"] and gap.used == "whole.txt"
    assert [r.source for r in series.reports] == ["a", "whole.txt"]


# --- 表二 rules -----------------------------------------------------------------------------------------


def test_in_force_holds_or_is_a_note_never_a_failure() -> None:
    # 2021 states 制发 0, 废止 9, 现行有效 16: last year's 25 fits, 20 does not.
    fits = read(_yuanzhou(2020, 行政规范性文件=[3, 0, 25]), "fits")
    misfit = read(_yuanzhou(2020, 行政规范性文件=[3, 0, 20]), "misfit")
    this = read(sample(YUANZHOU), "2021")
    ok = {c.id: c for c in _one(build_series([fits, this]).series).checks}
    assert ok["in_force[normative_documents]"].status == "pass"
    assert ok["in_force[normative_documents]"].right_keys == [
        "2020:active.normative_documents.in_force", "2021:active.normative_documents.issued",
        "-2021:active.normative_documents.repealed"]
    noted = {c.id: c for c in _one(build_series([misfit, this]).series).checks}
    note = noted["in_force[normative_documents]"]
    assert note.status == "note" and (note.left, note.right) == (Decimal(16), Decimal(11)) and note.reason
    assert not [c for c in noted.values() if c.status == "fail"]


def _liancai(year: int, licensing: list[int]) -> str:
    return set_row(as_year(sample(LIANCAI), year, 2019), "行政许可", licensing)


def test_project_count_of_the_2019_format() -> None:
    # 2019: 上一年 10, 本年增/减 +2 → the 2020 report must start from 12.
    y2019 = read(_liancai(2019, [10, 2, 5]), "2019")
    assert y2019.result.meta.format_version == "2019"
    assert y2019.result.cell_value("active.licensing.change") == 2
    good = _one(build_series([y2019, read(_liancai(2020, [12, 0, 3]), "2020")]).series)
    bad = _one(build_series([y2019, read(_liancai(2020, [11, 0, 3]), "2020")]).series)
    assert {c.id: c.status for c in _checks(good, "project_count")}["project_count[licensing]"] == "pass"
    failed = [c for c in bad.checks if c.status == "fail"]
    assert [c.id for c in failed] == ["project_count[licensing]"]
    assert (failed[0].left, failed[0].right) == (Decimal(11), Decimal(12))
    assert not _checks(good, "in_force")


def test_formats_that_differ_are_not_compared_on_active_rows() -> None:
    y2020 = read(as_year(sample(LIANCAI), 2020, 2019).replace("隆德县联财镇", "原州区人民政府办公室"), "2020")
    series = _one(build_series([y2020, read(sample(YUANZHOU), "2021")]).series)
    in_force = _checks(series, "in_force")
    assert in_force and all(c.status == "not_assessable" and "format" in (c.reason or "") for c in in_force)
    assert all(c.status == "pass" for c in _checks(series, "carry_over"))  # 表三 is the same in both


# --- repetition -----------------------------------------------------------------------------------------


def test_a_copied_report_repeats_all_its_narrative() -> None:
    y2020, y2021 = _yuanzhou(2020), sample(YUANZHOU)
    series = _one(build_series([read(y2020, "a"), read(y2021, "b")]).series)
    rep = series.repetition[0]
    assert rep.status == "assessed" and rep.share == 1.0 and rep.repeated_sentences == rep.sentences > 20
    for passage in rep.passages:
        assert y2021[passage.span.start:passage.span.end] == passage.text
        first_sentence_before = y2020[passage.previous_span.start:passage.previous_span.end]
        assert fold(first_sentence_before, 2020) and fold(first_sentence_before, 2020) in fold(passage.text, 2021)
    assert len(rep.problems_repeated) == 3
    problem = rep.problems_repeated[0]
    assert problem.span is not None and problem.previous_span is not None
    assert y2021[problem.span.start:problem.span.end] == problem.text


def test_rewritten_narrative_is_not_repetition() -> None:
    # 头闸镇's narrative under 原州区's name and tables: nothing of 原州区's 2021 text comes back.
    other = sample(TOUZHA).replace("平罗县头闸镇", "原州区人民政府办公室")
    series = _one(build_series([read(sample(YUANZHOU), "a"), read(other, "b")]).series)
    rep = series.repetition[0]
    assert rep.year == 2022 and rep.status == "assessed"
    assert rep.share == 0.0 and rep.passages == [] and rep.problems_repeated == []


def test_partly_copied_narrative_counts_only_the_copied_sentences() -> None:
    before = sample(YUANZHOU)
    start = before.index("五、存在的主要问题及改进情况")
    end = before.index("六、其他需要报告的事项")
    fresh = ("五、存在的主要问题及改进情况\n\n一是政务公开培训覆盖面仍然不足，基层人员业务能力有待提升。"
             "二是主动公开内容更新不够及时，部分栏目存在空白。\n\n2023年将组织专题培训，并每月检查栏目更新情况。\n\n")
    after = as_year(before[:start] + fresh + before[end:], 2022, 2021)
    after = after.replace("发布政府信息 1500 余条", "发布政府信息 1630 余条")  # a number updated in a copied sentence
    rep = _one(build_series([read(before, "a"), read(after, "b")]).series).repetition[0]
    assert rep.status == "assessed" and rep.share is not None and 0.5 < rep.share < 0.99
    assert rep.repeated_sentences < rep.sentences
    assert rep.problems_repeated == []
    assert any("1630" in p.text for p in rep.passages)  # near-identical: the updated sentence still counts
    assert not any("专题培训" in p.text for p in rep.passages)


def _wrapped(text: str, width: int) -> str:
    """Prose lines hard-wrapped every ``width`` characters, as text copied out of a PDF (tables kept)."""
    lines = []
    for line in text.split("\n"):
        if "\t" in line or len(line) <= width:
            lines.append(line)
        else:
            lines += [line[i:i + width] for i in range(0, len(line), width)]
    return "\n".join(lines)


def test_lines_wrapped_differently_still_compare_sentence_by_sentence() -> None:
    before, after = _wrapped(_yuanzhou(2020), 37), _wrapped(sample(YUANZHOU), 44)
    rep = _one(build_series([read(before, "a"), read(after, "b")]).series).repetition[0]
    assert rep.share is not None and rep.share > 0.95, rep.share
    for passage in rep.passages:
        assert after[passage.span.start:passage.span.end] == passage.text


def test_a_report_flattened_onto_one_line_compares_with_its_lines() -> None:
    # eval case c04 is sample 001 on one line, its line ends kept as double spaces.
    one_line = (SAMPLES.parent / "cases" / "c04_one_line.txt").read_text("utf-8")
    lines = read(_yuanzhou(2020), "lines")
    flat = read(one_line, "flat")
    rep = _one(build_series([lines, flat]).series).repetition[0]
    assert rep.share == 1.0 and rep.sentences == len(narrative_sentences(lines.result, lines.text))
    assert len(rep.problems_repeated) == 3


def test_headings_are_not_compared() -> None:
    text = sample(YUANZHOU)
    sentences = narrative_sentences(read(text, "a").result, text)
    starts = {text[s.start:s.end].split("\n")[0] for s in sentences}
    assert "五、存在的主要问题及改进情况" not in starts and "（三）政府信息管理情况" not in starts
    assert any(s.startswith("依据《政府信息公开信息处理费管理办法》") for s in starts)
    assert all(s.section in (1, 5, 6) for s in sentences)


def test_fold_makes_years_relative_to_the_report() -> None:
    assert fold("2021年，我镇发布信息12条。", 2021) == fold("2022 年, 我镇发布信息12条", 2022)
    assert fold("2021年发布", 2021) != fold("2021年发布", 2022)
    assert fold("发布信息12条", 2021) != fold("发布信息13条", 2021)


# --- indicators -----------------------------------------------------------------------------------------


def test_indicators_of_a_sample() -> None:
    row = _one(build_series([read(sample(YUANZHOU), "a")]).series).indicators[0]
    assert row.new_applications == 19 and row.carried_over == 0 and row.carried_forward == 0
    assert row.disclosure_rate == round((4 + 6) / 19, 4)
    assert row.unable_share == round(9 / 19, 4) and row.not_held_share_of_unable == 1.0
    # 表四 prints 5 upheld and total 5, 结果纠正 empty: proved 0 by the block's total.
    assert row.reconsideration_correction_rate == 0.0 and row.litigation_correction_rate == 0.0
    assert "review.reconsideration.corrected" in row.blank_as_zero


def test_indicators_with_no_divisor_or_no_cell_are_null_with_a_reason() -> None:
    row = _one(build_series([read(sample(LIANCAI), "a")]).series).indicators[0]
    assert row.new_applications == 0 and row.disclosure_rate is None
    assert "divisor is 0" in row.not_computed["disclosure_rate"]
    cut = _one(build_series([read(sample(XUANHE), "b")]).series).indicators[0]
    assert cut.carried_forward is None and "requests.carried_forward.total" in cut.not_computed["carried_forward"]
    assert cut.reconsideration_correction_rate is None


def test_a_correction_rate_counts_decided_cases() -> None:
    printed = "5\t\t\t\t5\t1\t\t\t\t\t1\t5\t\t\t\t5\n"
    assert printed in sample(YUANZHOU)
    text = sample(YUANZHOU).replace(printed, "\t".join(map(str, [3, 1, 0, 1, 5, 1, 0, 0, 0, 1, 2, 2, 0, 1, 5])) + "\n")
    row = _one(build_series([read(text, "a")]).series).indicators[0]
    assert row.reconsideration_correction_rate == round(1 / 4, 4)  # 1 corrected of 5, 1 pending
    assert row.litigation_correction_rate == round(2 / 5, 4)  # (0 + 2) / (1 + 5 − 0 − 1)
    assert row.blank_as_zero == []


def test_one_agency_joins_renamed_and_unnamed_reports() -> None:
    renamed = read(_yuanzhou(2020).replace("原州区人民政府办公室", "原州区政府信息公开办公室"), "2020")
    unnamed = SeriesInput(Extraction(source="2019", meta=Meta(year=2019)), "")
    reports = [renamed, read(sample(YUANZHOU), "2021"), unnamed]
    assert len(build_series(reports).series) == 2
    joined = build_series(reports, one_agency=True)
    [series] = joined.series
    assert series.years == [2019, 2020, 2021] and joined.unplaced == []
    assert series.names == ["原州区政府信息公开办公室", "原州区人民政府办公室"]
    assert all(c.status == "pass" for c in _checks(series, "carry_over", 2021))
    assert [g.tables for g in series.gaps if g.kind == "unreadable_table"] == [["active", "requests", "review"]]


def test_reports_without_agency_or_year_are_unplaced() -> None:
    anonymous = SeriesInput(Extraction(source="a", meta=Meta(year=2021)), "")
    undated = SeriesInput(Extraction(source="b", meta=Meta(agency="原州区人民政府办公室")), "")
    result = build_series([anonymous, undated, read(sample(YUANZHOU), "c")])
    assert [(u.source, u.reason) for u in result.unplaced] == [("a", "no_agency"), ("b", "no_year")]
    assert [s.years for s in result.series] == [[2021]]
