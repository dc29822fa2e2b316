"""The statutory forms of 表二/表三/表四 as grids: header cells and value slots, laid out as the national
formats print them (2019 and 2021), with the form's own Chinese labels from ``schemas.labels``.

A grid is plain data (no HTML): the template draws each row, a ``Head`` as ``<th>``, a ``Slot`` as the
``<td>`` of one canonical key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from schemas.keys import APPLICANT_COLUMNS, REQUEST_COLUMNS, REVIEW_BLOCKS, REVIEW_COLUMNS, TABLE_PREFIXES, request_rows
from schemas.labels import (
    ACTIVE_CELL_COLUMNS_ZH,
    ACTIVE_COLUMNS_ZH,
    ACTIVE_ROWS_ZH,
    REQUEST_COLUMNS_ZH,
    REQUEST_GROUPS_ZH,
    REQUEST_ROWS_ZH,
    REVIEW_BLOCKS_ZH,
    REVIEW_COLUMNS_ZH,
    TABLE_TITLES_ZH,
)

T3_RULE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass(frozen=True)
class Head:
    """A header cell: a label of the form (``scope`` is ``col``, ``row`` or ``colgroup``/``rowgroup``)."""

    text: str
    colspan: int = 1
    rowspan: int = 1
    scope: str = "col"


@dataclass(frozen=True)
class Slot:
    """The cell of one canonical key."""

    key: str
    colspan: int = 1


Row = list[Head | Slot]


@dataclass(frozen=True)
class Form:
    """One table as printed: its id (``active``…), caption, header rows and body groups of rows."""

    table: str
    caption: str
    head: list[Row] = field(default_factory=list)
    groups: list[list[Row]] = field(default_factory=list)


@cache
def forms(version: str) -> tuple[Form, ...]:
    """表二, 表三 and 表四 of a format version ("2019" or "2021")."""
    return _active(version), _requests(version), _review()


def _caption(table: str) -> str:
    return f"{TABLE_PREFIXES[table]} {TABLE_TITLES_ZH[table]}"


def _item_group(article: str, columns: list[str], rows: list[str], widths: list[int] | None = None) -> list[Row]:
    """One 第二十条 item of 表二: its title row, its column headers, then one row per item (4 columns wide)."""
    widths = widths or [1] * len(columns)
    heads = [Head(_active_column(c), colspan=w) for c, w in zip(columns, widths, strict=True)]
    group: list[Row] = [[Head(f"第二十条第（{article}）项", colspan=4, scope="colgroup")], [Head("信息内容"), *heads]]
    for row in rows:
        group.append([Head(ACTIVE_ROWS_ZH[row], scope="row"),
                      *(Slot(f"active.{row}.{c}", colspan=w) for c, w in zip(columns, widths, strict=True))])
    return group


def _active_column(column: str) -> str:
    return "本年收费金额（单位：万元）" if column == "amount" else ACTIVE_COLUMNS_ZH[column]


def _active(version: str) -> Form:
    if version == "2019":
        changes = ["previous", "change", "decisions"]
        groups = [
            _item_group("一", ["made", "published", "total_public"], ["regulations", "normative_documents"]),
            _item_group("五", changes, ["licensing", "other_services"]),
            _item_group("六", changes, ["punishment", "coercion"]),
            _item_group("八", ["previous", "change"], ["fees"], [1, 2]),
            _item_group("九", ["count", "amount"], ["procurement"], [1, 2]),
        ]
        # 政府集中采购's money column is headed 采购总金额, not 本年收费金额.
        title, columns, row = groups[-1]
        amount = ACTIVE_CELL_COLUMNS_ZH["procurement.amount"]
        groups[-1] = [title, [columns[0], columns[1], Head(amount, colspan=2)], row]
    else:
        groups = [
            _item_group("一", ["issued", "repealed", "in_force"], ["regulations", "normative_documents"]),
            _item_group("五", ["decisions"], ["licensing"], [3]),
            _item_group("六", ["decisions"], ["punishment", "coercion"], [3]),
            _item_group("八", ["amount"], ["fees"], [3]),
        ]
    return Form("active", _caption("active"), [], groups)


def _requests(version: str) -> Form:
    corporate = APPLICANT_COLUMNS[1:]
    head: list[Row] = [
        [Head(T3_RULE_NOTE, colspan=3, rowspan=3, scope="colgroup"), Head("申请人情况", colspan=7, scope="colgroup")],
        [Head(REQUEST_COLUMNS_ZH["natural_person"], rowspan=2), Head("法人或其他组织", colspan=5, scope="colgroup"),
         Head(REQUEST_COLUMNS_ZH["total"], rowspan=2)],
        [Head(REQUEST_COLUMNS_ZH[c].split("/")[-1]) for c in corporate],
    ]
    rows = request_rows(version)
    results = [r for r in rows if r not in ("new_received", "carried_over", "carried_forward")]
    body: list[Row] = []
    seen_groups: set[str] = set()
    for row in rows:
        slots = [Slot(f"requests.{row}.{c}") for c in REQUEST_COLUMNS]
        if row not in results:
            body.append([Head(REQUEST_ROWS_ZH[row], colspan=3, scope="row"), *slots])
            continue
        lead: Row = []
        if row == results[0]:
            lead.append(Head(REQUEST_GROUPS_ZH["results"], rowspan=len(results), scope="rowgroup"))
        group, _, item = REQUEST_ROWS_ZH[row].partition("/")
        if not item:
            lead.append(Head(group, colspan=2, scope="row"))
        else:
            if group not in seen_groups:
                seen_groups.add(group)
                size = sum(1 for r in results if REQUEST_ROWS_ZH[r].partition("/")[0] == group)
                lead.append(Head(group, rowspan=size, scope="rowgroup"))
            lead.append(Head(item, scope="row"))
        body.append([*lead, *slots])
    return Form("requests", _caption("requests"), head, [body])


def _review() -> Form:
    litigation = [b for b in REVIEW_BLOCKS if b != "reconsideration"]
    head: list[Row] = [
        [Head(REVIEW_BLOCKS_ZH["reconsideration"], colspan=5, scope="colgroup"),
         Head("行政诉讼", colspan=10, scope="colgroup")],
        [*(Head(REVIEW_COLUMNS_ZH[c], rowspan=2) for c in REVIEW_COLUMNS),
         *(Head(REVIEW_BLOCKS_ZH[b].split("/")[-1], colspan=5, scope="colgroup") for b in litigation)],
        [Head(REVIEW_COLUMNS_ZH[c]) for _ in litigation for c in REVIEW_COLUMNS],
    ]
    body: list[Row] = [[Slot(f"review.{b}.{c}") for b in REVIEW_BLOCKS for c in REVIEW_COLUMNS]]
    return Form("review", _caption("review"), head, [body])
