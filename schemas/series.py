"""The series result: one agency's reports across years (``nianbao series``, ``POST /v1/series``).

``SeriesResult`` is ``{"series": [AgencySeries, …], "unplaced": […]}``: one entry per agency, its years in
order, the cross-year checks, the repetition of last year's text, the indicators per year and the gaps.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from schemas.result import Span

SeriesRule = Literal["carry_over", "in_force", "project_count"]
SeriesStatus = Literal["pass", "fail", "not_assessable", "note"]
GapKind = Literal["missing_year", "unreadable_table", "duplicate_year"]


class ReportRef(BaseModel):
    """One report of a series: where it came from and what it says it is."""

    source: str | None
    year: int
    agency: str | None = Field(description="the agency as the report's title names it")
    format_version: str | None = None
    verdict: str | None = Field(None, description="the report's own verdict (pass, failed, not_assessable): its "
                                "checks within the year")


class SeriesCheck(BaseModel):
    """One cross-year rule on one cell pair: this year's side (left) against last year's (right)."""

    id: str = Field(description='rule and column, e.g. "carry_over[total]"')
    rule: SeriesRule
    year: int = Field(description="the later year, on which the check is reported")
    previous_year: int
    status: SeriesStatus = Field(description="pass, fail, not_assessable (a year missing or a cell without a "
                                 "number), or note (the soft in_force rule does not hold)")
    left: Decimal | None = Field(None, description="this year's side")
    right: Decimal | None = Field(None, description="last year's side (the expected value)")
    left_keys: list[str] = Field(description='this year\'s cells, "2021:requests.carried_over.total"')
    right_keys: list[str] = Field(description="the cells of the right side, each "
                                  'prefixed with its year; "-" marks a subtracted cell')
    unassessable_keys: list[str] = Field(default_factory=list, description="cells without a number")
    blank_as_zero: list[str] = Field(default_factory=list, description="blank cells counted as 0 because "
                                     "their row's printed 总计 equals the numbers written")
    reason: str | None = Field(None, description="why it is not assessable, or what the note means")


class RepeatedPassage(BaseModel):
    """Consecutive sentences of this year's narrative that repeat last year's."""

    text: str
    span: Span = Field(description="in this year's text")
    previous_span: Span = Field(description="of the first matching sentence in last year's text")
    sentences: int


class RepeatedProblem(BaseModel):
    """A section-五 problem worded as last year's: a problem never fixed."""

    text: str
    span: Span | None = None
    previous_span: Span | None = None


class Repetition(BaseModel):
    """How much of this year's narrative (sections 一, 五, 六; tables excluded) repeats last year's."""

    year: int
    previous_year: int
    status: Literal["assessed", "not_assessable"]
    reason: str | None = None
    share: float | None = Field(None, description="repeated characters / narrative characters (0–1)")
    characters: int = Field(0, description="characters of this year's compared sentences")
    repeated_characters: int = 0
    sentences: int = Field(0, description="this year's compared sentences")
    repeated_sentences: int = 0
    passages: list[RepeatedPassage] = Field(default_factory=list)
    problems_repeated: list[RepeatedProblem] = Field(default_factory=list)


class IndicatorRow(BaseModel):
    """The indicators evaluators use, for one year (null when a cell has no number or a divisor is 0)."""

    year: int
    source: str | None
    new_applications: int | None = Field(None, description="本年新收申请 (requests.new_received.total)")
    disclosure_rate: float | None = Field(None, description="实质公开率: (予以公开 + 部分公开) / 办理结果总计")
    unable_share: float | None = Field(None, description="无法提供 (three rows) / 办理结果总计")
    not_held_share_of_unable: float | None = Field(None, description="本机关不掌握 / 无法提供")
    reconsideration_correction_rate: float | None = Field(
        None, description="复议纠错率: 复议结果纠正 / (复议总计 − 尚未审结)")
    litigation_correction_rate: float | None = Field(
        None, description="诉讼纠错率: 诉讼结果纠正 / (诉讼总计 − 尚未审结), both kinds of suit together")
    carried_over: int | None = Field(None, description="上年结转 (requests.carried_over.total)")
    carried_forward: int | None = Field(None, description="结转下年度 (requests.carried_forward.total)")
    not_computed: dict[str, str] = Field(default_factory=dict, description="indicator → why it is null")
    blank_as_zero: list[str] = Field(default_factory=list, description="blank 表四 cells a rate counted as 0, "
                                     "because their block's 总计 equals the numbers written")


class Gap(BaseModel):
    """Something the series lacks or has twice."""

    kind: GapKind
    year: int
    sources: list[str | None] = Field(default_factory=list)
    used: str | None = Field(None, description="duplicate_year: the report the series uses")
    tables: list[str] = Field(default_factory=list, description="unreadable_table: the tables not read")
    message: str


class AgencySeries(BaseModel):
    """One agency's reports in year order and what comparing them shows."""

    agency: str = Field(description="the agency's name: the one most of its reports use, on a tie the longest")
    names: list[str] = Field(description="every name the reports give it")
    years: list[int] = Field(description="the years that have a report")
    reports: list[ReportRef]
    checks: list[SeriesCheck]
    repetition: list[Repetition]
    indicators: list[IndicatorRow]
    gaps: list[Gap]


class Unplaced(BaseModel):
    """A report that could not join a series (no agency or no year in its title)."""

    source: str | None
    reason: Literal["no_agency", "no_year"]
    message: str


class SeriesResult(BaseModel):
    """Every agency's series, and the reports that could not be placed."""

    series: list[AgencySeries]
    unplaced: list[Unplaced] = Field(default_factory=list)
