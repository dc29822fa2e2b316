"""The review page's view model: one report's result (``Extraction.model_dump(mode="json")``) and the text
its spans point into, turned into what the template draws — the statutory tables cell by cell with state,
printed form and span, the checks with both sides, repairs, warnings with candidate readings, facts,
problems, the narrative backend, and the pre-split source text.

A value is linked to the source only when the text at its span really is its printed form (``normalise``
of the slice equals the cell's ``raw``); otherwise it is shown unlinked and flagged. Fields added by later
schema versions (``verdict``, ``counts``, ``candidates``) are read with ``.get`` and drawn when present.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemas.labels import (
    BACKENDS_ZH,
    CELL_STATES_ZH,
    CHECK_STATUS_ZH,
    DOCUMENT_FORMATS_ZH,
    FACTS_ZH,
    GROUNDING_ZH,
    QUALIFIERS_ZH,
    REPAIR_KINDS_ZH,
    REPAIR_METHODS_ZH,
    RULES_ZH,
    TABLE_STATUS_ZH,
    VERDICT_ZH,
    label_zh,
    row_col_zh,
)
from service.api.review.forms import Form, forms
from service.api.review.source import Anchor, Ref, render_source
from service.text import normalise


@dataclass
class Linked:
    """A text value with its span on the page: the printed form and where its highlight begins and ends."""

    ref: str
    key: str
    text: str
    start: int
    end: int
    anchor: Anchor


@dataclass
class CellView:
    """One table cell as drawn: state, printed form (linked to the source when its span holds it)."""

    key: str
    label: str
    state: str
    value: str | None = None
    link: Linked | None = None
    span_mismatch: bool = False
    repaired: bool = False
    failed: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    warning: str | None = None  # the anchor of the warning that names this cell

    @property
    def state_zh(self) -> str:
        """The state in Chinese."""
        return CELL_STATES_ZH.get(self.state, self.state)

    @property
    def normalised(self) -> str | None:
        """The number when its printed form differs (full-width digits, separators), else None."""
        return self.value if self.link is not None and self.value != self.link.text else None


@dataclass
class Term:
    """One cell on one side of a check's equation."""

    key: str
    label: str
    value: str


@dataclass
class CheckView:
    """One rule instance with both sides spelled out."""

    id: str
    anchor: str
    rule: str
    status: str
    left: str | None
    right: str | None
    left_terms: list[Term]
    right_terms: list[Term]
    unassessable: list[str]
    scope: str = ""  # the row or column every term shares, named once

    @property
    def status_zh(self) -> str:
        """The status in Chinese."""
        return CHECK_STATUS_ZH.get(self.status, self.status)

    @property
    def rule_zh(self) -> str:
        """The rule in words."""
        return RULES_ZH.get(self.rule, self.rule)

    @property
    def keys(self) -> list[str]:
        """Every cell the check involves."""
        return [t.key for t in self.left_terms + self.right_terms]


@dataclass
class ReportView:
    """Everything the page shows of one report."""

    index: int
    prefix: str
    source_id: str
    name: str
    result: dict[str, Any]
    source_html: Any
    tables: list[tuple[Form, dict[str, CellView], dict[str, Any]]]
    checks: list[CheckView]
    facts: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    meta: list[tuple[str, list[Linked] | str]]
    repairs: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    sections: list[dict[str, Any]]

    @property
    def failed(self) -> list[CheckView]:
        """The failed checks."""
        return [c for c in self.checks if c.status == "fail"]

    @property
    def summary(self) -> str:
        """One line: agency, year, format, and how the checks came out."""
        meta = self.result.get("meta", {})
        counts = self.check_counts()
        head = " ".join(str(v) for v in (meta.get("agency"), meta.get("year") and f"{meta['year']}年度",
                                         meta.get("format_version") and f"{meta['format_version']}版格式") if v)
        checks = f"核验通过 {counts['pass']}，未通过 {counts['fail']}，无法核验 {counts['not_assessable']}"
        return f"{head or '未识别单位'} · {checks}"

    @property
    def counts(self) -> list[tuple[str, str]]:
        """The result's ``counts`` (when the schema has them) as (label, value) pairs."""
        rows = []
        for name, value in (self.result.get("counts") or {}).items():
            if isinstance(value, dict):  # repaired_by_method
                rows += [(label_zh(f"counts.repaired.{method}"), str(n)) for method, n in value.items()]
            else:
                rows.append((label_zh(f"counts.{name}"), str(value)))
        return rows

    def check_counts(self) -> dict[str, int]:
        """How many checks passed, failed, could not be assessed (in that order)."""
        counts = dict.fromkeys(CHECK_STATUS_ZH, 0)
        for check in self.checks:
            counts[check.status] = counts.get(check.status, 0) + 1
        return counts


def build_report(result: dict[str, Any], text: str, index: int = 0) -> ReportView:
    """The view of one result, whose spans point into ``text``."""
    prefix = f"r{index}-"
    sections = [{"number": s["number"], "title": s["title"], "id": f"{prefix}sec{s['number']}",
                 "start": s["span"]["start"]} for s in result.get("sections", [])]
    marks = {s["start"]: s["id"] for s in sections if 0 <= s["start"] < len(text)}
    source_html, anchors = render_source(text, _refs(result, text), prefix, marks)
    linker = _Linker(text, anchors)
    checks = [_check_view(c, result.get("cells", {}), prefix) for c in result.get("checks", [])]
    facts = [{"key": key, "label": FACTS_ZH.get(key, key), "value": fact.get("value"),
              "qualifier": QUALIFIERS_ZH.get(fact.get("qualifier", "exact"), fact.get("qualifier")),
              "grounding": GROUNDING_ZH.get(fact.get("grounding", "exact"), fact.get("grounding")),
              "quote": fact.get("quote"), "link": linker.link(f"f:{key}", f"facts.{key}", fact.get("span"))}
             for key, fact in result.get("facts", {}).items()]
    problems = [{"text": p.get("text"), "link": linker.link(f"p:{n}", "problems", p.get("span"))}
                for n, p in enumerate(result.get("problems", []))]
    repairs = [{**r, "kind_zh": REPAIR_KINDS_ZH.get(r["kind"], r["kind"]),
                "method_zh": REPAIR_METHODS_ZH.get(r["method"], r["method"]),
                "labels": grouped_labels(r.get("keys", [])), "unproved": r.get("method") == "layout",
                "proofs": [(p, f"{prefix}chk-{p}") for p in r.get("proved_by", [])]}
               for r in result.get("repairs", [])]
    warnings = [{**w, "anchor": f"{prefix}warn-{n}", "labels": grouped_labels(w.get("keys", [])),
                 "columns": [_row_col(k)[1] or _row_col(k)[0] for k in w.get("keys", [])],
                 "readings": [[_show(c.get(k)) for k in w.get("keys", [])] for c in w.get("candidates") or []]}
                for n, w in enumerate(result.get("warnings", []))]
    return ReportView(index=index, prefix=prefix, source_id="source" if index == 0 else f"source-{index + 1}",
                      name=result.get("source") or f"报告 {index + 1}", result=result, source_html=source_html,
                      tables=_tables(result, linker, checks, warnings), checks=checks, facts=facts,
                      problems=problems, meta=_meta_rows(result, linker), repairs=repairs, warnings=warnings,
                      sections=sections)


class _Linker:
    """Makes the links of values whose spans the source rendering anchored."""

    def __init__(self, text: str, anchors: dict[str, Anchor]) -> None:
        self.text = text
        self.anchors = anchors

    def link(self, ref: str, key: str, span: dict[str, int] | None) -> Linked | None:
        """The link of ``ref`` (its printed form is the source's slice), or None when it has no anchor."""
        if span is None or ref not in self.anchors:
            return None
        return Linked(ref, key, _slice(self.text, span), span["start"], span["end"], self.anchors[ref])


_PRINTED_STATES = ("number", "not_applicable")  # the states whose span holds printed characters


def _refs(result: dict[str, Any], text: str) -> list[Ref]:
    """Everything with a span: cells (when the span holds the printed value), facts, problems, meta."""
    refs: list[Ref] = []
    for key, cell in result.get("cells", {}).items():
        span = cell.get("span")
        if span and cell.get("state") in _PRINTED_STATES and cell.get("raw") and _holds(text, span, cell["raw"]):
            refs.append(_ref(f"c:{key}", f"{label_zh(key)} = {_slice(text, span)}", span))
    for key, fact in result.get("facts", {}).items():
        if fact.get("span"):
            refs.append(_ref(f"f:{key}", f"事实·{FACTS_ZH.get(key, key)} = {fact['value']}", fact["span"]))
    for n, problem in enumerate(result.get("problems", [])):
        if problem.get("span"):
            refs.append(_ref(f"p:{n}", f"问题 {n + 1}", problem["span"]))
    meta = result.get("meta", {})
    for name, label in (("agency", "单位"), ("year", "年度")):
        if meta.get(f"{name}_span"):
            refs.append(_ref(f"m:{name}", f"{label} = {meta.get(name)}", meta[f"{name}_span"]))
    for name in ("phone", "email", "website"):
        for n, item in enumerate(meta.get(name) or []):
            if item.get("span"):
                refs.append(_ref(f"m:{name}:{n}", f"联系方式 = {item['value']}", item["span"]))
    return refs


def _ref(ref_id: str, label: str, span: dict[str, Any]) -> Ref:
    """A ref over ``span``; its label says where it is printed when the span knows its line (第 3 行)."""
    where = f"（第 {span['line']} 行）" if span.get("line") else ""
    return Ref(ref_id, f"{label}{where}", span["start"], span["end"])


def _tables(result: dict[str, Any], linker: _Linker, checks: list[CheckView],
            warnings: list[dict[str, Any]]) -> list[tuple[Form, dict[str, CellView], dict[str, Any]]]:
    """The three forms of the report's version, each with the view of every cell it lays out."""
    cells: dict[str, dict[str, Any]] = result.get("cells", {})
    failed: dict[str, list[str]] = defaultdict(list)
    for check in checks:
        if check.status == "fail":
            for key in check.keys:
                failed[key].append(check.id)
    candidates = _candidates(result.get("warnings", []))
    warned = {key: w["anchor"] for w in warnings for key in w.get("keys", [])}
    version = (result.get("meta", {}).get("format_version")
               or ("2019" if any(k.endswith(".made") for k in cells) else "2021"))
    tables = []
    for form in forms(version):
        views = {}
        for key in _form_keys(form):
            cell = cells.get(key) or {"state": "missing"}
            span = cell.get("span")
            link = linker.link(f"c:{key}", key, span)
            views[key] = CellView(
                key=key, label=label_zh(key), state=cell.get("state", "missing"),
                value=None if cell.get("value") is None else str(cell["value"]), link=link,
                span_mismatch=bool(span) and link is None and cell.get("state") in _PRINTED_STATES,
                repaired=bool(cell.get("repaired")), failed=failed.get(key, []),
                candidates=candidates.get(key, []), warning=warned.get(key))
        tables.append((form, views, result.get("tables", {}).get(form.table) or {"status": "missing"}))
    return tables


def _meta_rows(result: dict[str, Any], linker: _Linker) -> list[tuple[str, list[Linked] | str]]:
    """The report's metadata as (label, links or text) rows."""
    meta = result.get("meta", {})
    rows: list[tuple[str, list[Linked] | str]] = []
    for name, label in (("agency", "单位"), ("year", "年度")):
        link = linker.link(f"m:{name}", f"meta.{name}", meta.get(f"{name}_span"))
        rows.append((label, [link] if link else str(meta.get(name) or "未识别")))
    evidence = "、".join(meta.get("version_evidence") or []) or "无"
    rows.append(("格式版本", f"{meta.get('format_version') or '未识别'}（依据：{evidence}）"))
    for name, label in (("phone", "电话"), ("email", "电子邮箱"), ("website", "网址")):
        items = meta.get(name) or []
        links = [link for n, item in enumerate(items)
                 if (link := linker.link(f"m:{name}:{n}", f"meta.{name}", item.get("span")))]
        if items:
            rows.append((label, links or "、".join(str(i.get("value")) for i in items)))
    if meta.get("encoding"):
        rows.append(("编码", str(meta["encoding"])))
    document = result.get("document") or {}
    if document:
        pages = f"，{document['pages']} 页" if document.get("pages") else ""
        kind = document.get("format", "")
        rows.append(("文档格式", f"{DOCUMENT_FORMATS_ZH.get(kind, kind)}{pages}"))
    return rows


def _form_keys(form: Form) -> list[str]:
    return [slot.key for rows in (form.head, *form.groups) for row in rows for slot in row
            if hasattr(slot, "key")]


def _slice(text: str, span: dict[str, int]) -> str:
    return text[span["start"]:span["end"]]


def _holds(text: str, span: dict[str, int], raw: str | None) -> bool:
    """True when ``span`` lies in ``text`` and holds the printed form of ``raw`` (as the reader folded it)."""
    start, end = span.get("start", -1), span.get("end", -1)
    if not 0 <= start < end <= len(text):
        return False
    return raw is None or normalise(text[start:end]) == raw


def _show(value: Any) -> str:
    return "空白" if value is None else str(value)


def grouped_labels(keys: list[str]) -> list[str]:
    """Cells named row by row: ``表三/…/（一）予以公开：自然人、商业企业`` instead of one full label per cell."""
    rows: dict[str, list[str]] = {}
    for key in keys:
        table, row, col = row_col_zh(key)
        if not col:
            rows.setdefault(label_zh(key), [])
            continue
        rows.setdefault(f"{table}/{row}", []).append(col.split("/")[-1])
    return [f"{row}：{'、'.join(cols)}" if cols else row for row, cols in rows.items()]


def _row_col(key: str) -> tuple[str, str]:
    """A cell's row and column as the form prints them (the innermost label), or a non-cell key's label."""
    _, row, col = row_col_zh(key)
    return (row.split("/")[-1], col.split("/")[-1]) if col else (label_zh(key), "")


def _check_view(check: dict[str, Any], cells: dict[str, dict[str, Any]], prefix: str) -> CheckView:
    keys = [*check.get("left_keys", []), *check.get("right_keys", [])]
    places = {key: _row_col(key) for key in keys}
    rows, cols = {r for r, _ in places.values()}, {c for _, c in places.values()}
    # A rule runs along a row or down a column: name the shared one once, and each term by the other.
    shared, pick = (next(iter(rows)), 1) if len(rows) == 1 else (next(iter(cols)), 0) if len(cols) == 1 \
        else ("", -1)

    def terms(side: list[str]) -> list[Term]:
        out = []
        for key in side:
            cell = cells.get(key) or {}
            value = cell.get("value")
            label = "·".join(p for p in places[key] if p) if pick < 0 else places[key][pick]
            out.append(Term(key, label, str(value) if value is not None else
                            CELL_STATES_ZH.get(cell.get("state", "missing"), "缺失")))
        return out

    def side(value: Any) -> str | None:
        return None if value is None else str(value)

    return CheckView(id=check["id"], anchor=f"{prefix}chk-{check['id']}", rule=check.get("rule", ""),
                     status=check.get("status", ""), left=side(check.get("left")), right=side(check.get("right")),
                     left_terms=terms(check.get("left_keys", [])), right_terms=terms(check.get("right_keys", [])),
                     unassessable=[label_zh(k) for k in check.get("unassessable_keys", [])], scope=shared)


def _candidates(warnings: list[dict[str, Any]]) -> dict[str, list[str]]:
    """For each key a warning names: the distinct values its candidate readings give it, in order."""
    out: dict[str, list[str]] = defaultdict(list)
    for warning in warnings:
        for reading in warning.get("candidates") or []:
            for key in warning.get("keys", []):
                shown = _show(reading.get(key))
                if shown not in out[key]:
                    out[key].append(shown)
    return out


def table_status_zh(info: dict[str, Any]) -> str:
    """How much of a table was found, in Chinese: ``完整（25/25 行）``."""
    status = TABLE_STATUS_ZH.get(info.get("status", "missing"), str(info.get("status")))
    rows = f"（{info.get('rows_found', 0)}/{info['rows_expected']} 行）" if info.get("rows_expected") else ""
    grid = "，取自文档表格" if info.get("source") == "grid" else ""
    return f"{status}{rows}{grid}"


def _zh(words: dict[str, str]) -> Callable[[str], str]:
    """A template helper: the Chinese word for a code, or the code itself when it has none."""
    return lambda code: words.get(code, code)


TEMPLATE_HELPERS: dict[str, Callable[..., str]] = {
    "backend_zh": _zh(BACKENDS_ZH), "verdict_zh": _zh(VERDICT_ZH), "table_status_zh": table_status_zh}
TEMPLATE_FILTERS: dict[str, Callable[..., str]] = {"fact_zh": _zh(FACTS_ZH)}
