"""The error list (错误清单): one row per failed check, warning, repair, unknown cell and missing part, and
one per check that could not be assessed (so that a not_assessable verdict shows its reasons). Rows come
in that order of weight: failed checks, missing parts, warnings, repairs, unknown cells, open checks.

Each row names the cell in the form's own words (表, 行, 列), the value the report states (报告值), the
other side of the equation (应为) and the difference (差额), the rule as a Chinese sentence (规则) and the
quoted source line with its number (原文). Repaired cells are listed with what the repair rests on.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from schemas import CellState, CheckStatus, Extraction, Span
from schemas.keys import TABLE_PREFIXES
from schemas.labels import row_col_zh
from service.lines import LineIndex
from service.zh import cells_zh, number_zh, repair_message_zh

ERROR_COLUMNS = ["来源文件", "单位", "年度", "类别", "编号", "表", "行", "列", "报告值", "应为", "差额", "规则", "原文"]
KIND_CHECK, KIND_PROSE, KIND_WARNING = "核对未通过", "文表不一致", "警告"
KIND_REPAIR, KIND_UNKNOWN, KIND_MISSING, KIND_OPEN = "修复", "无法确定", "缺失", "无法核对"


def error_rows(result: Extraction, text: str | None = None) -> list[dict[str, Any]]:
    """The error list of one report; ``text`` (what the spans point into) lets rows quote their line."""
    index = LineIndex(text) if text is not None else None
    base = {"来源文件": result.source or "", "单位": result.meta.agency or "", "年度": result.meta.year or ""}
    rows: list[dict[str, Any]] = []

    def add(kind: str, ident: str, keys: list[str], rule: str, spans: list[Span | None], *,
            stated: Any = "", expected: Any = "", diff: Any = "") -> None:
        table, row, col = _where(keys)
        quote = " ｜ ".join(q for q in (index.quote(s) for s in spans if s is not None) if q) if index else ""
        rows.append({**base, "类别": kind, "编号": ident, "表": table, "行": row, "列": col, "报告值": stated,
                     "应为": expected, "差额": diff, "规则": rule, "原文": quote})

    for check in result.checks:
        if check.status == CheckStatus.failed:
            diff = check.left - check.right if check.left is not None and check.right is not None else None
            spans = [check.quote_span, *_cell_spans(result, check.left_keys)[:1]]
            add(KIND_PROSE if check.rule.startswith("F-") else KIND_CHECK, check.id, check.left_keys,
                check.message_zh, spans, stated=plain_number(check.left), expected=plain_number(check.right),
                diff=plain_number(diff))
    for name in result.not_found:
        add(KIND_MISSING, "not_found", [], f"报告缺少：{name}", [])
    for table, info in result.tables.items():
        if info.status == "truncated":
            add(KIND_MISSING, f"truncated:{table}", [], f"{TABLE_PREFIXES.get(table, table)}不完整：只找到 "
                f"{info.rows_found} / {info.rows_expected} 行", [info.span])
    for warning in result.warnings:
        add(KIND_WARNING, warning.code, warning.keys, warning.message_zh or warning.message,
            _row_spans(result, warning.keys))
    for repair in result.repairs:
        values = "、".join(number_zh(result.cell_value(k)) or "空" for k in repair.keys)
        add(KIND_REPAIR, f"repair:{repair.method}", repair.keys, repair_message_zh(repair),
            _row_spans(result, repair.keys), stated=values)
    for key, cell in result.cells.items():
        if cell.state == CellState.unknown:
            add(KIND_UNKNOWN, key, [key], f"无法确定该单元格的数字：{cells_zh([key])}（见警告）",
                _row_spans(result, [key]))
    for check in result.checks:
        if check.status == CheckStatus.not_assessable:
            add(KIND_OPEN, check.id, check.unassessable_keys or check.left_keys, check.message_zh,
                _row_spans(result, check.unassessable_keys)[:1])
    return rows


def _where(keys: list[str]) -> tuple[str, str, str]:
    """(表, 行, 列) of the cells a row is about; several rows or columns are joined with " + "."""
    if not keys:
        return "", "", ""
    parts = [row_col_zh(k) for k in keys if "." in k and k.split(".", 1)[0] in TABLE_PREFIXES]
    if not parts:
        return "正文", "", ""
    tables, rows, cols = (list(dict.fromkeys(p[i] for p in parts)) for i in range(3))
    col = cols[0] if len(cols) == 1 else "整行" if len(rows) == 1 else _some(cols, "列")
    return "、".join(tables), _some(rows, "行"), col


def _some(names: list[str], unit: str, limit: int = 3) -> str:
    """Names joined with " + ", the first ``limit`` of a long list ("… 等 9 行")."""
    return " + ".join(names[:limit]) + (f" 等 {len(names)} {unit}" if len(names) > limit else "")


def _cell_spans(result: Extraction, keys: list[str]) -> list[Span | None]:
    return [c.span for k in keys if (c := result.cells.get(k)) is not None and c.span is not None]


def _row_spans(result: Extraction, keys: list[str]) -> list[Span | None]:
    """A span on the line of the cells' row: their own, else a neighbour's in the same row."""
    own = _cell_spans(result, keys)
    if own:
        return own[:1]
    for key in keys:
        prefix = key.rsplit(".", 1)[0] + "."
        for other, cell in result.cells.items():
            if other.startswith(prefix) and cell.span is not None:
                return [cell.span]
    return []


def plain_number(value: Decimal | int | None) -> int | float | str:
    """An int or float for a spreadsheet (exact for counts; money as a float), "" for none."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
