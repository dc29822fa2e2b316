"""Print the first rows of a workbook's sheets as text (tab-separated), e.g. for a review note.

    .venv/bin/python scripts/show_workbook.py reports.xlsx [--sheets 汇总,错误清单] [--rows 10] [--columns 14]
"""

from __future__ import annotations

import argparse

from openpyxl import load_workbook


def main() -> None:
    """Print each chosen sheet's header and first rows."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--sheets", default="汇总,错误清单")
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--columns", type=int, default=0, help="at most this many columns (0: all)")
    args = parser.parse_args()
    book = load_workbook(args.path, read_only=True)
    for name in args.sheets.split(","):
        sheet = book[name]
        print(f"== {name} ({sheet.max_row - 1} rows)")
        for row in sheet.iter_rows(max_row=args.rows + 1, values_only=True):
            cells = row[:args.columns] if args.columns else row
            print("\t".join("" if v is None else str(v) for v in cells))


if __name__ == "__main__":
    main()
