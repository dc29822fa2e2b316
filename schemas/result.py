"""The extraction result: pydantic models that are nianbao's public contract.

Every number carries a ``Span`` into the text the user sent (character offsets, end exclusive).
``Extraction.to_flat()`` gives the documented flat view: one key per canonical value.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from schemas.backends import OFFLINE
from schemas.keys import FACT_KEYS, Version, cell_keys_tuple

SCHEMA_VERSION = "1"


class Span(BaseModel):
    """Character offsets ``[start, end)`` into the text as the user sent it, with the line and column of start."""

    start: int
    end: int
    line: int | None = Field(None, description="1-based line number of ``start`` (lines end at \\n, \\r\\n or \\r)")
    column: int | None = Field(None, description="1-based column of ``start`` in its line, in characters")


class CellState(StrEnum):
    """What a table cell holds. Only ``number`` has a value; the others are never 0."""

    number = "number"
    blank = "blank"  # printed, but empty
    not_applicable = "not_applicable"  # printed as "/", "—", "-", "无"
    missing = "missing"  # its row or table is absent from the document
    unknown = "unknown"  # present, but the text does not decide which number goes here


class GridRef(BaseModel):
    """Where a cell read from a grid (HTML, DOCX or PDF table) was printed."""

    table: int = Field(description="index of the table among the document's tables, from 0")
    row: int = Field(description="row in that table's grid, from 0")
    col: int = Field(description="column in that table's grid, from 0 (after expanding merged cells)")
    page: int | None = Field(None, description="PDF page, from 1")
    bbox: list[float] | None = Field(None, description="PDF: x0, top, x1, bottom in points from the page's top left")


class Cell(BaseModel):
    """One canonical cell of 表二/表三/表四."""

    state: CellState
    value: int | Decimal | None = None
    raw: str | None = Field(None, description="the characters of the cell as written (numbers only)")
    span: Span | None = None
    repaired: bool = Field(False, description="the reading of this cell rests on a listed repair")
    # Left out of the JSON when None: results of plain-text input stay exactly as they were.
    grid: GridRef | None = Field(None, exclude_if=lambda v: v is None,
                                 description="the table cell it was read from (HTML, DOCX and PDF input only)")


class CheckStatus(StrEnum):
    """Outcome of one consistency rule (勾稽关系)."""

    passed = "pass"
    failed = "fail"
    not_assessable = "not_assessable"


TableRule = Literal["T3-balance", "T3-results", "T3-columns", "T4-blocks"]
ProseRule = Literal["F-requests_received", "F-no_requests", "F-reconsideration", "F-litigation"]
CHECK_RULES: tuple[str, ...] = (*TableRule.__args__, *ProseRule.__args__)  # type: ignore[attr-defined]


class Check(BaseModel):
    """One instance of a consistency rule, with both sides and the cells involved.

    Table rules (T3-…, T4-…) compare cells; prose rules (F-…, 文表不一致) compare a count the prose states
    (``quote``, ``quote_span``; its key in ``left_keys``, e.g. ``facts.requests_received``) with the cells
    that restate it (``right_keys``).
    """

    id: str = Field(description='rule instance, e.g. "T3-balance[natural_person]" or "F-requests_received"')
    rule: TableRule | ProseRule
    status: CheckStatus
    left: Decimal | None = None
    right: Decimal | None = None
    left_keys: list[str]
    right_keys: list[str]
    unassessable_keys: list[str] = Field(default_factory=list, description="cells without a number")
    quote: str | None = Field(None, description="F- rules: the prose that states the count")
    quote_span: Span | None = Field(None, description="F- rules: where the quote is in the text")
    message_zh: str = Field("", description="the rule and its outcome as a Chinese sentence, e.g. "
                            "表三（二）部分公开：总计 2 ≠ 各申请人之和 1")


RepairMethod = Literal["arithmetic", "unique", "layout"]
REPAIR_METHODS: tuple[str, ...] = RepairMethod.__args__  # type: ignore[attr-defined]


class Repair(BaseModel):
    """An ambiguity in the printed table that was resolved, and why."""

    kind: Literal["spurious_blank", "digit_split", "alignment", "dropped_token"]
    method: RepairMethod = Field(description="arithmetic: the row's or table's equations hold only for this "
                                 "reading; unique: the only reading that fits the printed cells; layout: the "
                                 "layout of the row above (no arithmetic proof)")
    keys: list[str]
    reason: str
    proved_by: list[str] = Field(default_factory=list, description="rule instances that decided it")


class Warning(BaseModel):  # noqa: A001 - the result's vocabulary, not the builtin
    """Something the reader could not settle; the cells it names are left unknown or missing."""

    code: str
    message: str
    message_zh: str = Field("", description="the same in Chinese")
    keys: list[str] = Field(default_factory=list)
    candidates: list[dict[str, int | Decimal | None]] = Field(
        default_factory=list, description="for an ambiguous row: the readings that fit, each mapping the "
        "warning's keys to a value (null for a blank cell)")


class Grounded(BaseModel):
    """A text value found in the report, with where it came from."""

    value: str
    span: Span | None = None


class Meta(BaseModel):
    """Report metadata."""

    agency: str | None = None
    agency_span: Span | None = None
    year: int | None = None
    year_span: Span | None = None
    format_version: Version | None = None
    version_evidence: list[str] = Field(default_factory=list)
    phone: list[Grounded] = Field(default_factory=list)
    email: list[Grounded] = Field(default_factory=list)
    website: list[Grounded] = Field(default_factory=list)
    encoding: str | None = None


class Section(BaseModel):
    """One of the six statutory sections as located in the text."""

    number: int = Field(ge=1, le=6)
    title: str
    span: Span = Field(description="heading start to the end of the section body")
    occurrences: int = Field(1, description="how many times the heading is printed (duplicates)")


class TableInfo(BaseModel):
    """Where a table was found and how complete it is."""

    status: Literal["found", "truncated", "missing"]
    span: Span | None = None
    rows_found: int = 0
    rows_expected: int = 0
    source: Literal["text", "grid"] = "text"


class Fact(BaseModel):
    """A count the prose states, e.g. 共收到政府信息公开申请19件."""

    value: Decimal
    qualifier: Literal["exact", "approx", "more_than", "at_least"] = "exact"
    quote: str
    span: Span | None = None
    grounding: Literal["exact", "fuzzy", "none"] = "exact"


class Problem(BaseModel):
    """One problem the report admits in section 五."""

    text: str
    span: Span | None = None


class FactReading(BaseModel):
    """One reader's value for a fact key and the quote it rests on."""

    value: Decimal | None = None
    quote: str


class RejectedFact(BaseModel):
    """A fact the model returned that grounding refused: the hallucination guard at work."""

    key: str
    value: Decimal | None = None
    quote: str
    reason: Literal["quote_not_in_text", "value_not_in_quote", "duplicate_key"]


class Disagreement(BaseModel):
    """A fact key the rules and the LLM both read, with different values (hybrid); the rules' value is kept."""

    key: str
    rules: FactReading
    llm: FactReading


class NarrativeUsage(BaseModel):
    """Which backend read the narrative, how (prompt, cache, fallback), and what it cost."""

    backend: str = Field(OFFLINE, description="the backend whose reading is in the result")
    requested_backend: str = Field(OFFLINE, description="the backend asked for (differs when degraded)")
    degraded: bool = Field(False, description="the LLM failed; the rules' reading was used instead")
    degraded_reason: str | None = Field(None, description="the LLM's error code and message, when degraded")
    model: str | None = None
    prompt_id: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    cached: bool = Field(False, description="the LLM's reading came from the cache (no call, no tokens)")
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    rejected: list[RejectedFact] = Field(default_factory=list, description="LLM facts grounding refused")
    confirmed: list[str] = Field(default_factory=list, description="fact keys both readers read alike (hybrid)")
    disagreements: list[Disagreement] = Field(default_factory=list, description="fact keys read differently "
                                              "(hybrid)")
    errors: list[str] = Field(default_factory=list)


class DocumentInfo(BaseModel):
    """The document the report was read from, when it was not plain text."""

    format: Literal["text", "html", "docx", "pdf"] = "text"
    text: str | None = Field(None, description="the extracted text every span points into; null for plain "
                             "text, whose spans point into the text as sent")
    pages: int | None = None


Verdict = Literal["pass", "failed", "not_assessable"]


class Counts(BaseModel):
    """What the verdict rests on: how many checks failed or could not be assessed, and what is missing."""

    checks: int = Field(0, description="rule instances run (table and prose rules)")
    checks_failed: int = 0
    checks_not_assessable: int = 0
    cells_unknown: int = Field(0, description="cells whose number the text does not decide")
    cells_missing: int = Field(0, description="cells of the report's format whose row or table is absent")
    cells_repaired: int = Field(0, description="cells whose reading rests on a listed repair")
    repaired_by_method: dict[str, int] = Field(default_factory=dict, description="repaired cells per repair "
                                               "method: arithmetic, unique, layout (layout has no proof)")
    sections_missing: int = Field(0, description="of the six statutory sections")
    tables_missing: int = 0
    tables_truncated: int = 0
    warnings: int = 0


class Extraction(BaseModel):
    """Everything nianbao read from one report."""

    schema_version: str = SCHEMA_VERSION
    source: str | None = None
    is_report: bool = True
    not_found: list[str] = Field(default_factory=list, description="what an annual report has and this text lacks")
    meta: Meta = Field(default_factory=Meta)
    document: DocumentInfo | None = None
    sections: list[Section] = Field(default_factory=list)
    tables: dict[str, TableInfo] = Field(default_factory=dict)
    cells: dict[str, Cell] = Field(default_factory=dict, description="canonical key -> cell")
    missing: list[str] = Field(default_factory=list, description="key prefixes whose table or rows are absent")
    checks: list[Check] = Field(default_factory=list)
    repairs: list[Repair] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    facts: dict[str, Fact] = Field(default_factory=dict)
    problems: list[Problem] = Field(default_factory=list)
    narrative: NarrativeUsage = Field(default_factory=NarrativeUsage)
    verdict: Verdict = Field("not_assessable", description="pass: every check passes, no cell unknown, no "
                             "section or table missing or truncated; failed: some check fails; not_assessable: "
                             "nothing fails but something could not be checked")
    counts: Counts = Field(default_factory=Counts)
    timings_ms: dict[str, float] = Field(default_factory=dict, description="milliseconds per pipeline step: "
                                         "decode, sections, meta, tables, checks, narrative, review, total")

    def cell_value(self, key: str) -> int | Decimal | None:
        """The number of a canonical cell, or None when it has none."""
        cell = self.cells.get(key)
        return cell.value if cell is not None and cell.state == CellState.number else None

    def failed_checks(self) -> list[str]:
        """Ids of the rule instances that failed."""
        return [c.id for c in self.checks if c.status == CheckStatus.failed]

    def to_flat(self) -> dict[str, Any]:
        """The flat view: meta, every canonical cell key (number or null), facts, problems, failed checks."""
        flat: dict[str, Any] = {
            "source": self.source,
            "meta.agency": self.meta.agency,
            "meta.year": self.meta.year,
            "meta.format_version": self.meta.format_version,
        }
        # Without a detected version the tables were read in the fallback format: its keys are the cells'.
        keys = cell_keys_tuple(self.meta.format_version) if self.meta.format_version else tuple(self.cells)
        flat.update(dict.fromkeys(keys))  # every key in table order, null until its cell has a number
        number, unknown_state = CellState.number, CellState.unknown
        unknown: list[str] = []
        repaired: list[str] = []
        for key, cell in self.cells.items():  # one pass, no lookups: ~200 cells per report of a corpus
            state = cell.state
            if state == number:
                if key in flat:
                    value = cell.value
                    flat[key] = value if type(value) is int else _json_number(value)
            elif state == unknown_state:
                unknown.append(key)
            if cell.repaired:
                repaired.append(key)
        for key in FACT_KEYS:
            fact = self.facts.get(key)
            if fact is not None:
                flat[f"facts.{key}"] = _json_number(fact.value)
                flat[f"facts.{key}.qualifier"] = fact.qualifier
        flat["problems"] = [p.text for p in self.problems]
        failed, not_assessable = CheckStatus.failed, CheckStatus.not_assessable
        flat["checks.failed"] = [c.id for c in self.checks if c.status == failed]
        flat["verdict"] = self.verdict
        for name, value in self.counts.model_dump().items():
            if name == "repaired_by_method":
                for method in REPAIR_METHODS:
                    flat[f"counts.repaired.{method}"] = value.get(method, 0)
            else:
                flat[f"counts.{name}"] = value
        flat["checks.failed_zh"] = [c.message_zh for c in self.checks if c.status == failed]
        flat["checks.not_assessable"] = [c.id for c in self.checks if c.status == not_assessable]
        flat["cells.unknown"] = unknown
        flat["cells.repaired"] = repaired
        flat["warnings"] = [w.code for w in self.warnings]
        return flat


def _json_number(value: int | Decimal | None) -> int | float | None:
    """A JSON-friendly number: integers stay integers, decimals become floats (shortest repr)."""
    if value is None or isinstance(value, int):
        return value
    if value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    return float(value)
