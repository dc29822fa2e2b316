"""The CSV export: one row per report, the flat view's keys as columns (or their Chinese labels)."""

from __future__ import annotations

import csv
import json
from typing import Any, Literal, TextIO

from schemas import FACT_KEYS, cell_keys
from schemas.keys import TABLE_PREFIXES, table_of
from schemas.labels import label_zh
from schemas.result import REPAIR_METHODS, Counts

Header = Literal["keys", "zh"]
BOM = "\ufeff"  # Excel on Chinese Windows reads a CSV as GBK unless it starts with one


def cell_columns() -> list[str]:
    """Each table's 2021 keys, then the keys only the 2019 format has."""
    cells_2021, cells_2019 = cell_keys("2021"), cell_keys("2019")
    return [k for table in TABLE_PREFIXES for k in
            [*(k for k in cells_2021 if table_of(k) == table),
             *(k for k in cells_2019 if table_of(k) == table and k not in cells_2021)]]


def _counts_columns() -> list[str]:
    out: list[str] = []
    for name in Counts.model_fields:
        if name == "repaired_by_method":
            out += [f"counts.repaired.{m}" for m in REPAIR_METHODS]
        else:
            out.append(f"counts.{name}")
    return out


def _csv_columns() -> list[str]:
    """source, meta.*, cells, facts, problems, failed checks; then the verdict, its counts and what is open."""
    facts = [col for key in FACT_KEYS for col in (f"facts.{key}", f"facts.{key}.qualifier")]
    return ["source", "meta.agency", "meta.year", "meta.format_version", *cell_columns(), *facts,
            "problems", "checks.failed", "verdict", *_counts_columns(), "checks.failed_zh", "checks.not_assessable",
            "cells.unknown", "cells.repaired", "warnings"]


CSV_COLUMNS = _csv_columns()


def csv_header(header: Header = "keys") -> list[str]:
    """The header row: canonical keys, or the form's Chinese labels (``表三/…/（一）予以公开/自然人``)."""
    return CSV_COLUMNS if header == "keys" else [label_zh(c) for c in CSV_COLUMNS]


def csv_row(flat: dict[str, Any]) -> list[str]:
    """One CSV row of a flat view: null is an empty field, lists are JSON arrays."""
    return [_csv_field(flat.get(column)) for column in CSV_COLUMNS]


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class CsvExport:
    """Writes the header at once, then one row per report; ``bom`` for Excel (``--excel``)."""

    def __init__(self, out: TextIO, *, header: Header = "keys", bom: bool = False) -> None:
        if bom:
            out.write(BOM)
        self.out = out
        self.writer = csv.writer(out)
        self.writer.writerow(csv_header(header))

    def add(self, flat: dict[str, Any]) -> None:
        """Write one report's row."""
        self.writer.writerow(csv_row(flat))
