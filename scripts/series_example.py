"""The series example of docs/series.md: 原州区人民政府办公室 2020–2022, made from sample 001 the way the tests make
reports (the year moved, table rows changed), then read by ``nianbao series``.

    .venv/bin/python scripts/series_example.py DIR     # writes the three reports to DIR/reports and the
                                                       # charts to DIR/charts; prints the terminal view
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.cli import main  # noqa: E402
from testkit.series import CARRIED_OVER, YUANZHOU, as_year, sample, set_row  # noqa: E402

NEW = "一、本年新收政府信息公开申请数量"
GRANTED = "三、本年度办理结果\t(一) 予以公开"
PARTIAL = "(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)"
NOT_HELD = "(四) 无法提供\t1. 本机关不掌握相关政府信息"
TOTAL = "(七) 总计"
REVIEW = "5\t\t\t\t5\t1\t\t\t\t\t1\t5\t\t\t\t5\n"
# year → (new, granted, partially granted, not held) in the natural-person column (= the total)
YEARS = {2020: (12, 2, 3, 7), 2022: (25, 12, 6, 7)}


def report(year: int) -> str:
    """Sample 001 (2021) as it is, or moved to ``year`` with the numbers of ``YEARS``."""
    text = sample(YUANZHOU)
    if year == 2021:
        return text
    text = as_year(text, year, 2021)
    new, granted, partial, not_held = YEARS[year]
    for label, n in ((NEW, new), (GRANTED, granted), (PARTIAL, partial), (NOT_HELD, not_held), (TOTAL, new)):
        text = set_row(text, label, [n, 0, 0, 0, 0, 0, n])
    if year == 2022:
        text = set_row(text, CARRIED_OVER, [2, 0, 0, 0, 0, 0, 2])  # 2021 carried nothing forward: a failure
        text = text.replace(REVIEW, "3\t1\t\t\t4\t1\t\t\t\t1\t2\t\t\t1\t3\n")
    return text


def run(directory: Path) -> int:
    """Write the reports and run ``nianbao series`` on them (terminal view, charts)."""
    reports = directory / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    for year in (2020, 2021, 2022):
        (reports / f"yuanzhou-{year}.txt").write_text(report(year), encoding="utf-8")
    return main(["series", str(reports), "--charts", str(directory / "charts")])


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1] if len(sys.argv) > 1 else "series-example")))
