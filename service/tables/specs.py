"""What each statutory table looks like: its rows (found by label), columns, value kinds and rules.

Labels are regular expressions over the *compact* text (all white space removed), so a label broken by
stray spaces, tabs or a page break still matches. Where a label is long, either its head or its tail
matches: a wrapped label cell can print the row's numbers between its two lines. ``item`` is the printed
item number of a sub-row ("6.属于四类过程性信息"): it is part of the label, not the value before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from schemas.keys import APPLICANT_COLUMNS, REQUEST_COLUMNS, REVIEW_BLOCKS, REVIEW_COLUMNS

ValueKind = Literal["count", "signed", "money"]


@dataclass(frozen=True)
class RowSpec:
    """One printed row: canonical row key, label pattern, and the keys of its columns."""

    key: str
    label: str
    columns: tuple[str, ...]
    kinds: tuple[ValueKind, ...]
    item: int | None = None


@dataclass(frozen=True)
class RowRule:
    """An exact equation inside one row: sum(columns at ``parts``) == column at ``total``."""

    name: str
    total: int
    parts: tuple[int, ...]


@dataclass(frozen=True)
class TableSpec:
    """A table of one format version."""

    id: Literal["active", "requests", "review"]
    rows: tuple[RowSpec, ...]
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)


def _row(key: str, label: str, columns: tuple[str, ...], kinds: tuple[ValueKind, ...] | ValueKind = "count",
         item: int | None = None) -> RowSpec:
    if isinstance(kinds, str):
        kinds = (kinds,) * len(columns)
    return RowSpec(key, label, columns, kinds, item)


# ---- 表二 主动公开政府信息情况 -----------------------------------------------------------------------
_ACTIVE_2021 = TableSpec("active", (
    _row("regulations", r"规章", ("issued", "repealed", "in_force")),
    _row("normative_documents", r"(?:行政)?规范性文件", ("issued", "repealed", "in_force")),
    _row("licensing", r"行政许可", ("decisions",)),
    _row("punishment", r"行政处罚", ("decisions",)),
    _row("coercion", r"行政强制", ("decisions",)),
    _row("fees", r"行政事业性收费", ("amount",), "money"),
))

_ACTIVE_2019 = TableSpec("active", (
    _row("regulations", r"规章", ("made", "published", "total_public")),
    _row("normative_documents", r"(?:行政)?规范性文件", ("made", "published", "total_public")),
    _row("licensing", r"行政许可", ("previous", "change", "decisions"), ("count", "signed", "count")),
    _row("other_services", r"其他对外管理服务事项", ("previous", "change", "decisions"),
         ("count", "signed", "count")),
    _row("punishment", r"行政处罚", ("previous", "change", "decisions"), ("count", "signed", "count")),
    _row("coercion", r"行政强制", ("previous", "change", "decisions"), ("count", "signed", "count")),
    _row("fees", r"行政事业性收费", ("previous", "change"), ("count", "signed")),
    _row("procurement", r"政府集中采购", ("count", "amount"), ("count", "money")),
))

# ---- 表三 收到和处理政府信息公开申请情况 ------------------------------------------------------------
_RC = tuple(REQUEST_COLUMNS)
_T3_COLUMNS = RowRule("T3-columns", total=6, parts=tuple(range(6)))
assert len(APPLICANT_COLUMNS) == 6

_REQUEST_HEAD = (
    _row("new_received", r"本年新收|新收政府信息", _RC),
    _row("carried_over", r"上年结转", _RC),
    _row("granted", r"予以公开|\(一\)", _RC),
    _row("partially_granted", r"部分公开|\(二\)", _RC),
    _row("denied.state_secret", r"(?:属于)?国家秘密", _RC, item=1),
    _row("denied.prohibited_by_law", r"(?:其他)?法律行政法规|法规禁止|禁止公开", _RC, item=2),
    _row("denied.security_stability", r"危及|三安全|一稳定", _RC, item=3),
    _row("denied.third_party_rights", r"保护第三方|第三方合法|合法权益", _RC, item=4),
    _row("denied.internal_affairs", r"(?:属于)?三类内部|内部事务", _RC, item=5),
    _row("denied.process_information", r"(?:属于)?四类过程|过程性信息", _RC, item=6),
    _row("denied.enforcement_files", r"(?:属于)?行政执法|执法案卷", _RC, item=7),
    _row("denied.administrative_query", r"(?:属于)?行政查询|查询事项", _RC, item=8),
    _row("unable.not_held", r"(?:本机关)?不掌握|掌握相关", _RC, item=1),
    _row("unable.needs_creation", r"没有现成|另行制作", _RC, item=2),
    _row("unable.unclear_after_correction", r"补正后|内容仍不|仍不明确", _RC, item=3),
    _row("not_processed.complaint", r"信访举报|举报投诉", _RC, item=1),
    _row("not_processed.repeated", r"重复申请", _RC, item=2),
    _row("not_processed.publication", r"要求提供|公开出版|出版物", _RC, item=3),
    _row("not_processed.excessive", r"无正当理由大量|大量反复|反复申请", _RC, item=4),
    _row("not_processed.confirmation", r"(?:要求行政机关)?确认或重新|重新出具|已获取信息", _RC, item=5),
)
_REQUEST_TAIL = (
    _row("total", r"\(七\)|七、总计|总计", _RC),
    _row("carried_forward", r"结转下年", _RC),
)
_REQUESTS_2021 = TableSpec("requests", (
    *_REQUEST_HEAD,
    _row("other.overdue_correction", r"(?:申请人)?无正当理由逾期|逾期不补正", _RC, item=1),
    _row("other.overdue_fee", r"(?:申请人)?逾期未按|收费通知|缴纳费用", _RC, item=2),
    _row("other.other", r"其他(?!处理)", _RC, item=3),
    *_REQUEST_TAIL,
), (_T3_COLUMNS,))
_REQUESTS_2019 = TableSpec("requests", (
    *_REQUEST_HEAD,
    _row("other.total", r"(?:\(六\))?其他处理", _RC),
    *_REQUEST_TAIL,
), (_T3_COLUMNS,))

# ---- 表四 行政复议、行政诉讼 ---------------------------------------------------------------------------
# One data row of 15 numbers; it has no label of its own, so the reader finds it after the header.
_REVIEW = TableSpec("review", (
    _row("", r"", tuple(f"{b}.{c}" for b in REVIEW_BLOCKS for c in REVIEW_COLUMNS)),
), tuple(RowRule("T4-blocks", total=5 * i + 4, parts=tuple(range(5 * i, 5 * i + 4))) for i in range(3)))

TABLES: dict[str, dict[str, TableSpec]] = {
    "2021": {"active": _ACTIVE_2021, "requests": _REQUESTS_2021, "review": _REVIEW},
    "2019": {"active": _ACTIVE_2019, "requests": _REQUESTS_2019, "review": _REVIEW},
}

# Header words of 表四 (the data row follows the last of them).
REVIEW_HEADER = r"总计|审结|结果|维持|纠正|起诉|复议|诉讼|其他"


def table_spec(version: str, table: str) -> TableSpec:
    """The spec of one table in one format version."""
    return TABLES[version][table]


def row_keys(table: TableSpec, row: RowSpec) -> tuple[str, ...]:
    """The canonical keys of a row's cells, in column order."""
    return _row_keys(table.id, row.key, row.columns)  # cached on strings: hashing a spec hashes every row


@cache
def _row_keys(table_id: str, row_key: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(".".join(p for p in (table_id, row_key, c) if p) for c in columns)
