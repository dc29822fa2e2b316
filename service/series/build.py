"""Reports → series: grouped by agency, ordered by year, compared year on year, gaps made explicit."""

from __future__ import annotations

from dataclasses import dataclass

from schemas import CellState, Extraction
from schemas.keys import TABLE_PREFIXES
from schemas.series import AgencySeries, Gap, ReportRef, SeriesResult, Unplaced
from service.series.agency import group_agencies
from service.series.checks import cross_year_checks
from service.series.indicators import indicator_row
from service.series.repetition import repetition
from service.text import decode


@dataclass(frozen=True)
class SeriesInput:
    """One report read by the pipeline, with the text its spans point into."""

    result: Extraction
    text: str

    @classmethod
    def of(cls, result: Extraction, data: bytes | str) -> SeriesInput:
        """The result with its text: the document's extracted text (HTML, DOCX, PDF) or the text as sent."""
        if result.document is not None and result.document.text is not None:
            return cls(result, result.document.text)
        return cls(result, decode(data)[0] if isinstance(data, bytes) else data)


def build_series(reports: list[SeriesInput], *, one_agency: bool = False) -> SeriesResult:
    """Every agency's series from reports of any agencies and years, in any order. ``one_agency``: the
    reports are one agency's whatever their titles say (a name changed by a reform, a title without one)."""
    unplaced: list[Unplaced] = []
    placed: list[SeriesInput] = []
    for report in reports:
        meta = report.result.meta
        if meta.agency is None and not one_agency:
            unplaced.append(Unplaced(source=report.result.source, reason="no_agency",
                                     message="the title names no agency, so the report joins no series"))
        elif meta.year is None:
            unplaced.append(Unplaced(source=report.result.source, reason="no_year",
                                     message="the report states no year, so it has no place in a series"))
        else:
            placed.append(report)
    names = [r.result.meta.agency or "" for r in placed]
    groups = ([list(range(len(placed)))] if placed else []) if one_agency else group_agencies(names)
    return SeriesResult(series=[_series([placed[i] for i in group]) for group in groups], unplaced=unplaced)


def _series(reports: list[SeriesInput]) -> AgencySeries:
    chosen, gaps = _choose(reports)
    years = sorted(chosen)
    gaps += [Gap(kind="missing_year", year=year, message=f"no report for {year}: the checks and the repetition "
                 "against it are not assessable") for year in range(years[0] + 1, years[-1]) if year not in chosen]
    gaps += [_unread_gap(year, chosen[year].result) for year in years if _unread_tables(chosen[year].result)]
    gaps.sort(key=lambda g: (g.year, g.kind))
    checks, reps = [], []
    for year in years[1:]:
        current, previous = chosen[year], chosen.get(year - 1)
        checks += cross_year_checks(year, current.result, previous.result if previous else None)
        reps.append(repetition(year, current.result, current.text, previous.result if previous else None,
                               previous.text if previous else None))
    given = [r.result.meta.agency for r in reports if r.result.meta.agency]
    names = list(dict.fromkeys(given))
    # The name most reports use; on a tie the most specific (longest), then the first given.
    agency = max(names, key=lambda n: (given.count(n), len(n), -names.index(n))) if names else "(unnamed)"
    return AgencySeries(agency=agency, names=names, years=years,
                        reports=[_ref(year, chosen[year].result) for year in years], checks=checks,
                        repetition=reps, indicators=[indicator_row(year, chosen[year].result) for year in years],
                        gaps=gaps)


def _choose(reports: list[SeriesInput]) -> tuple[dict[int, SeriesInput], list[Gap]]:
    """One report per year, the best-read (the first given on a tie), and a gap for each year given twice."""
    by_year: dict[int, list[SeriesInput]] = {}
    for report in reports:
        by_year.setdefault(_year(report), []).append(report)
    chosen: dict[int, SeriesInput] = {}
    gaps: list[Gap] = []
    for year, candidates in by_year.items():
        chosen[year] = max(candidates, key=_numbers)
        if len(candidates) > 1:
            used = chosen[year].result.source
            gaps.append(Gap(kind="duplicate_year", year=year, sources=[c.result.source for c in candidates],
                            used=used, message=f"{len(candidates)} reports for {year}; the series uses {used} "
                            "(the one with the most cells read)"))
    return chosen, gaps


def _unread_gap(year: int, result: Extraction) -> Gap:
    unread = _unread_tables(result)
    what = "、".join(f"{TABLE_PREFIXES[t]} ({how})" for t, how in unread.items())
    return Gap(kind="unreadable_table", year=year, sources=[result.source], tables=list(unread),
               message=f"{what} of the {year} report: the indicators and checks on its unread cells are not "
               "assessable")


def _year(report: SeriesInput) -> int:
    year = report.result.meta.year
    assert year is not None  # reports without a year are unplaced before grouping
    return year


def _numbers(report: SeriesInput) -> int:
    return sum(1 for c in report.result.cells.values() if c.state == CellState.number)


def _unread_tables(result: Extraction) -> dict[str, str]:
    """Tables not read whole → how: missing, truncated, no number read (the rows found, no values), or
    with cells the reader could not settle (unknown)."""
    out = {}
    for table in TABLE_PREFIXES:
        info = result.tables.get(table)
        states = [c.state for k, c in result.cells.items() if k.startswith(table + ".")]
        unknown = states.count(CellState.unknown)
        if info is None or info.status == "missing":
            out[table] = "missing"
        elif info.status == "truncated":
            out[table] = "truncated"
        elif CellState.number not in states:
            out[table] = "no number read"
        elif unknown:
            out[table] = f"{unknown} cells unknown"
    return out


def _ref(year: int, result: Extraction) -> ReportRef:
    return ReportRef(source=result.source, year=year, agency=result.meta.agency,
                     format_version=result.meta.format_version, verdict=result.verdict)
