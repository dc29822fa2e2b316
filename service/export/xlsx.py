"""The workbook (``nianbao extract … --xlsx FILE``): 汇总, 错误清单, 表二, 表三, 表四, 自述问题.

One row per report in 汇总 and in each table's sheet (Chinese headers, the form's own labels); the error
list and the stated problems one row each. Cells the text does not decide read 未知, absent ones 缺失, a
printed "/" reads "/"; repaired cells are shaded and carry a note saying what the repair rests on.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from schemas import CellState, Extraction
from schemas.keys import TABLE_PREFIXES, table_of
from schemas.labels import FLAT_ZH, REPAIR_METHODS_ZH, VERDICT_ZH, label_zh
from service.export.csv_out import cell_columns
from service.export.error_list import ERROR_COLUMNS, error_rows, plain_number

REPORT_COLUMNS = ["来源文件", "单位", "年度", "格式版本"]
# Key indicators of 汇总: column title -> the cells whose sum it is.
INDICATORS: dict[str, tuple[str, ...]] = {
    "本年新收申请": ("requests.new_received.total",),
    "上年结转申请": ("requests.carried_over.total",),
    "予以公开": ("requests.granted.total",),
    "办理结果总计": ("requests.total.total",),
    "结转下年度": ("requests.carried_forward.total",),
    "行政复议总计": ("review.reconsideration.total",),
    "行政诉讼总计": ("review.litigation_direct.total", "review.litigation_after_reconsideration.total"),
}
COUNT_COLUMNS = ["counts.checks", "counts.checks_failed", "counts.checks_not_assessable", "counts.cells_unknown",
                 "counts.cells_missing", "counts.cells_repaired", "counts.repaired.arithmetic",
                 "counts.repaired.unique", "counts.repaired.layout", "counts.sections_missing",
                 "counts.tables_missing", "counts.tables_truncated", "counts.warnings"]
SUMMARY_COLUMNS = [*REPORT_COLUMNS, "结论", "verdict", *(FLAT_ZH[c] for c in COUNT_COLUMNS), *INDICATORS,
                   "正文所述收到申请数", "自述问题数", "未通过的核对"]
PROBLEM_COLUMNS = ["来源文件", "单位", "年度", "序号", "自述问题", "行号"]
_STATE_TEXT = {CellState.unknown: "未知", CellState.missing: "缺失", CellState.not_applicable: "/"}
REPAIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
UNKNOWN_FILL = PatternFill("solid", fgColor="F8CBAD")
_BOLD = Font(bold=True)
CELL_LIMIT = 32_000  # Excel keeps at most 32,767 characters in a cell


class WorkbookExport:
    """Collects reports one by one (``add``), then writes the workbook (``save``)."""

    def __init__(self) -> None:
        self.book = Workbook()
        first = self.book.active
        assert first is not None
        first.title = "汇总"
        self.summary = first
        self.errors = self.book.create_sheet("错误清单")
        self.tables = {t: self.book.create_sheet(TABLE_PREFIXES[t]) for t in TABLE_PREFIXES}
        self.problems = self.book.create_sheet("自述问题")
        self.columns = {t: [k for k in cell_columns() if table_of(k) == t] for t in TABLE_PREFIXES}
        _header(self.summary, SUMMARY_COLUMNS)
        _header(self.errors, ERROR_COLUMNS)
        for table, sheet in self.tables.items():
            _header(sheet, [*REPORT_COLUMNS, *(label_zh(k) for k in self.columns[table])])
        _header(self.problems, PROBLEM_COLUMNS)

    def add(self, result: Extraction, text: str | None = None) -> None:
        """Add one report; ``text`` is what its spans point into (for the error list's quotes)."""
        meta = [result.source or "", result.meta.agency or "", result.meta.year or "",
                result.meta.format_version or ""]
        flat = result.to_flat()
        received = result.facts.get("requests_received")
        indicators = [_sum(result, keys) for keys in INDICATORS.values()]
        _append(self.summary, [*meta, VERDICT_ZH[result.verdict], result.verdict, *(flat[c] for c in COUNT_COLUMNS),
                             *indicators, plain_number(received.value) if received else "", len(result.problems),
                             "\n".join(c.message_zh for c in result.checks if c.status == "fail")])
        for row in error_rows(result, text):
            _append(self.errors, [row[c] for c in ERROR_COLUMNS])
        methods = {k: r.method for r in result.repairs for k in r.keys}
        for table, sheet in self.tables.items():
            _append(sheet, [*meta, *(_cell_value(result, k) for k in self.columns[table])])
            for offset, key in enumerate(self.columns[table], start=len(REPORT_COLUMNS) + 1):
                cell = result.cells.get(key)
                if cell is None:
                    continue
                target = sheet.cell(row=sheet.max_row, column=offset)
                if cell.repaired:
                    target.fill = REPAIRED_FILL
                    method = methods.get(key)
                    note = f"修复（{REPAIR_METHODS_ZH[method]}），见错误清单" if method else "修复，见错误清单"
                    target.comment = Comment(note, "nianbao")
                elif cell.state == CellState.unknown:
                    target.fill = UNKNOWN_FILL
        for number, problem in enumerate(result.problems, start=1):
            line = problem.span.line if problem.span is not None else None
            _append(self.problems, [*meta[:3], number, problem.text, line or ""])

    def save(self, path: str | Path) -> None:
        """Write the workbook (column widths set for reading)."""
        for sheet in self.book.worksheets:
            for index in range(1, sheet.max_column + 1):
                title = str(sheet.cell(row=1, column=index).value or "")
                sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, len(title) * 2 + 2))
        self.book.save(path)


def _append(sheet: Worksheet, values: list[Any]) -> None:
    """Append a row of report text safely: control characters (a PDF's form feed) are dropped, over-long
    text is cut, and text starting with "=" stays text (openpyxl would write it as a formula)."""
    clean = [ILLEGAL_CHARACTERS_RE.sub("", v)[:CELL_LIMIT] if isinstance(v, str) else v for v in values]
    sheet.append(clean)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _header(sheet: Worksheet, titles: list[str]) -> None:
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = _BOLD
    sheet.freeze_panes = "B2"


def _cell_value(result: Extraction, key: str) -> Any:
    cell = result.cells.get(key)
    if cell is None:
        return None
    if cell.state == CellState.number:
        return plain_number(cell.value) if cell.value is not None else None
    return _STATE_TEXT.get(cell.state)


def _sum(result: Extraction, keys: tuple[str, ...]) -> Any:
    values = [result.cell_value(k) for k in keys]
    if any(v is None for v in values):
        return None  # an empty spreadsheet cell
    return plain_number(sum((Decimal(v) for v in values if v is not None), Decimal(0)))
