"""A series for people: the terminal (rich), CSV, and one small SVG chart per indicator (matplotlib).

matplotlib is imported only when a chart is drawn: ``nianbao series --json`` and the API without charts
never load it. Charts label their axes in Chinese when a CJK font is installed (fonts-noto-cjk), else in
English, so a missing font never turns labels into boxes.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from functools import cache
from typing import Any, TextIO

from schemas.series import AgencySeries, SeriesResult
from service.series.indicators import INDICATOR_LABELS_ZH, INDICATORS, RATES

INDICATOR_LABELS_EN = {
    "new_applications": "new applications",
    "disclosure_rate": "disclosure rate",
    "unable_share": "share unable to provide",
    "not_held_share_of_unable": "not held / unable",
    "reconsideration_correction_rate": "reconsideration correction rate",
    "litigation_correction_rate": "litigation correction rate",
    "carried_over": "carried over",
    "carried_forward": "carried forward",
}
CSV_COLUMNS = ["agency", "year", "source", "verdict", *INDICATORS, "repetition_share", "problems_never_fixed",
               "checks_failed", "checks_not_assessable"]
_CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei")


def write_csv(result: SeriesResult, out: TextIO) -> None:
    """One row per agency and year with a report: the indicators (rates 0–1, empty when null), the share of
    the narrative repeated from last year, the problems never fixed, and the ids of the cross-year checks
    that failed or could not be assessed on that year (JSON arrays)."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for series in result.series:
        reps = {r.year: r for r in series.repetition}
        verdicts = {r.year: r.verdict or "" for r in series.reports}
        for row in series.indicators:
            values = row.model_dump()
            rep = reps.get(row.year)
            checks = [c for c in series.checks if c.year == row.year]
            writer.writerow([series.agency, row.year, row.source or "", verdicts.get(row.year, ""),
                             *("" if values[k] is None else values[k] for k in INDICATORS),
                             "" if rep is None or rep.share is None else rep.share,
                             "" if rep is None or rep.status != "assessed" else len(rep.problems_repeated),
                             json.dumps([c.id for c in checks if c.status == "fail"]),
                             json.dumps([c.id for c in checks if c.status == "not_assessable"])])


def print_terminal(result: SeriesResult, out: TextIO) -> None:
    """Each agency's indicators, failed checks, repetition and gaps as rich tables."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=out, width=160, highlight=False, soft_wrap=False)
    for series in result.series:
        console.rule(escape(f"{series.agency}  {', '.join(map(str, series.years))}"))
        table = Table("年度", "本年核对", *(INDICATOR_LABELS_ZH[k] for k in INDICATORS), title="指标 indicators")
        verdicts = {r.year: r.verdict or "—" for r in series.reports}
        for row in series.indicators:
            values = row.model_dump()
            table.add_row(str(row.year), verdicts.get(row.year, "—"), *(_cell(k, values[k]) for k in INDICATORS))
        console.print(table)
        checks = Table("年度", "check", "status", "this year", "last year (expected)", "cells",
                       title="跨年度核对 cross-year checks (not pass)")
        shown: set[tuple[int, str, str | None]] = set()
        for check in series.checks:
            if check.status == "pass" or (check.status == "not_assessable" and
                                          (check.year, check.rule, check.reason) in shown):
                continue
            if check.status == "not_assessable" and check.reason and check.reason.startswith("no report"):
                shown.add((check.year, check.rule, check.reason))  # a missing year: one line per rule
                checks.add_row(str(check.year), check.rule, check.status, "—", "—", escape(check.reason))
                continue
            checks.add_row(str(check.year), escape(check.id), check.status, _num(check.left), _num(check.right),
                           escape(check.reason or ", ".join(check.left_keys + check.right_keys)))
        if not series.checks:
            console.print("跨年度核对: none (one year only)")
        else:
            console.print(checks if checks.row_count else "跨年度核对: every check passed")
        reps = Table("年度", "repeated", "sentences", "problems never fixed", title="重复率 repetition")
        for rep in series.repetition:
            share = "—" if rep.share is None else f"{rep.share:.0%}"
            reps.add_row(str(rep.year), share if rep.status == "assessed" else escape(f"— ({rep.reason})"),
                         f"{rep.repeated_sentences}/{rep.sentences}", str(len(rep.problems_repeated)))
        if reps.row_count:
            console.print(reps)
        for rep in series.repetition:
            for problem in rep.problems_repeated:
                console.print(f"  {rep.year} 问题未改 never fixed: {escape(_clip(problem.text))}")
        for gap in series.gaps:
            console.print(f"[bold]gap[/bold] {gap.kind} {gap.year}: {escape(gap.message)}")
    for item in result.unplaced:
        console.print(f"[bold]unplaced[/bold] {escape(str(item.source))}: {escape(item.message)}")


def _clip(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if key in RATES else str(value)


def _num(value: Any) -> str:
    return "—" if value is None else str(value)


def series_charts(series: AgencySeries) -> dict[str, str]:
    """One SVG chart per indicator (indicator key → SVG text); years without a value are gaps in the line."""
    return {key: indicator_chart(series, key) for key in INDICATORS}


def indicator_chart(series: AgencySeries, key: str) -> str:
    """A small SVG line chart of one indicator across the series' years."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = _cjk_font()
    years = list(range(series.years[0], series.years[-1] + 1)) if series.years else []
    by_year = {row.year: getattr(row, key) for row in series.indicators}
    values = [by_year.get(y) for y in years]
    fig = Figure(figsize=(4, 2.4))
    ax = fig.subplots()
    ys = [float("nan") if v is None else float(v) * (100 if key in RATES else 1) for v in values]
    ax.plot(years, ys, marker="o", color="#1f5fa8")
    label = INDICATOR_LABELS_ZH[key] if font else INDICATOR_LABELS_EN[key]
    title = ax.set_title(label + (" (%)" if key in RATES else ""), fontsize=10)
    if font:
        title.set_fontfamily(font)
    ax.set_xticks(years)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0, top=105 if key in RATES else None)
    fig.tight_layout()
    buffer = io.StringIO()
    # No date and a fixed id salt: the same series draws the same SVG. Text stays text (fonttype none): a
    # few KB instead of every glyph drawn as a path, and the page's own font shows the Chinese title.
    with matplotlib.rc_context({"svg.hashsalt": "nianbao", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


@cache
def _cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def page_data(result: SeriesResult, *, charts: bool = True) -> dict[str, Any]:
    """The series as the review page shows it: the JSON result and, per agency, its SVG charts."""
    body = result.model_dump(mode="json")
    if charts:
        for entry, series in zip(body["series"], result.series, strict=True):
            entry["charts"] = series_charts(series) if series.years else {}
    return body


def series_html(result: SeriesResult, *, charts: bool = True) -> str:
    """The series as an HTML fragment for the review page: per agency its indicators, the checks that did not
    pass, the repetition, the gaps and (``charts``) the SVG charts as images. Every text from a report is
    escaped, and nothing is inline script or style."""
    from html import escape

    parts: list[str] = ['<section class="nianbao-series">']
    for series in result.series:
        parts.append(f"<h2>{escape(series.agency)} <small>{escape(', '.join(map(str, series.years)))}</small></h2>")
        head = "".join(f"<th>{escape(INDICATOR_LABELS_ZH[k])}</th>" for k in INDICATORS)
        rows = "".join("<tr><td>{}</td>{}</tr>".format(row.year, "".join(
            f"<td>{escape(_cell(k, v))}</td>" for k, v in row.model_dump(include=set(INDICATORS)).items()))
            for row in series.indicators)
        parts.append(f'<table class="indicators"><tr><th>年度</th>{head}</tr>{rows}</table>')
        shown = [c for c in series.checks if c.status != "pass"]
        if shown:
            rows = "".join(f'<tr class="{c.status}"><td>{c.year}</td><td>{escape(c.id)}</td><td>{c.status}</td>'
                           f"<td>{_num(c.left)}</td><td>{_num(c.right)}</td><td>{escape(c.reason or '')}</td></tr>"
                           for c in shown)
            parts.append('<table class="checks"><tr><th>年度</th><th>check</th><th>status</th><th>this year</th>'
                         f"<th>last year</th><th></th></tr>{rows}</table>")
        for rep in series.repetition:
            share = "—" if rep.share is None else f"{rep.share:.0%}"
            never = "".join(f"<li>{escape(p.text)}</li>" for p in rep.problems_repeated)
            parts.append(f'<p class="repetition">{rep.year} 重复率 {share} ({rep.repeated_sentences}/{rep.sentences})'
                         f"{escape(' — ' + rep.reason) if rep.reason else ''}</p>"
                         + (f"<ul class=\"never-fixed\">{never}</ul>" if never else ""))
        parts += [f'<p class="gap">{escape(g.kind)} {g.year}: {escape(g.message)}</p>' for g in series.gaps]
        if charts and series.years:
            # As images (data: URLs), not inline SVG: the SVG styles itself, and a page whose CSP allows no
            # inline style (the review page's) still shows it.
            imgs = (f'<img alt="{escape(INDICATOR_LABELS_ZH[key])}" src="data:image/svg+xml;base64,'
                    f'{base64.b64encode(svg.encode()).decode()}">' for key, svg in series_charts(series).items())
            parts.append('<div class="charts">' + "".join(imgs) + "</div>")
    parts.append("</section>")
    return "\n".join(parts)
