"""Exports for people who review reports in Excel/WPS: CSV (optionally with a BOM and Chinese headers), the
error list (错误清单) and the workbook (``--xlsx``). The result's keys stay the machine contract."""

from service.export.csv_out import CSV_COLUMNS, CsvExport, csv_header, csv_row
from service.export.error_list import ERROR_COLUMNS, error_rows
from service.export.xlsx import WorkbookExport

__all__ = ["CSV_COLUMNS", "ERROR_COLUMNS", "CsvExport", "WorkbookExport", "csv_header", "csv_row", "error_rows"]
