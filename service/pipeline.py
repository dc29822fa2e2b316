"""The pipeline: bytes → document → sections → tables → checks → narrative → review → result.

``STEPS`` below is the one table of the steps: their numbers, names (the keys of ``Extraction.timings_ms``)
and modules. Each step's module docstring starts with "Step N (name)" from it, and docs/pipeline.md
follows it. The review step comes after the narrative because its 文表不一致 checks need the facts.

``extract`` is the entry point of the CLI and the eval harness. ``aextract`` is the same for async callers
(the HTTP API): the deterministic steps (CPU work) run in a worker thread, then the narrative backend is
awaited, so many reports can wait on the LLM at once while the event loop stays free. Both record the
milliseconds of each step in ``Extraction.timings_ms``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import anyio.to_thread

from schemas import Cell, CellState, DocumentInfo, Extraction, ExtractOptions, NarrativeUsage, Section, Span, Warning
from schemas.keys import TABLE_PREFIXES
from schemas.result import GridRef
from service.checks import run_checks
from service.documents import Document, read_document
from service.lines import LineIndex, annotate_spans
from service.meta import read_meta
from service.narrative import NarrativeBackend, NarrativeInput, NarrativeOutput
from service.narrative.rules import RulesBackend
from service.prose_checks import prose_checks
from service.sections import locate_sections
from service.tables import ORDER, TableRead, read_tables
from service.tables.grids import read_grid_tables
from service.text import looks_like_markup, normalise, require_text
from service.verdict import judge
from service.version import detect_version
from service.zh import check_message_zh, warning_message_zh


@dataclass(frozen=True)
class Step:
    """One step of the pipeline: its number, its name (its key in ``timings_ms``), its modules, what it does."""

    number: int
    name: str
    modules: tuple[str, ...]
    does: str


STEPS: tuple[Step, ...] = (
    Step(1, "decode", ("service.documents", "service.text"),
         "bytes of a text, HTML, DOCX or PDF file → one Document (text, table grids, pages); the text decoded "
         "and normalised into a parse view of the same length"),
    Step(2, "sections", ("service.sections",), "the six statutory sections 一–六, whatever their titles"),
    Step(3, "meta", ("service.meta", "service.version"),
         "agency, year and contacts; the format version (2019 or 2021) with its evidence"),
    Step(4, "tables", ("service.tables",),
         "表二, 表三 and 表四 into canonical cells; ambiguous rows decided by the equations (service.equations)"),
    Step(5, "checks", ("service.checks",), "the consistency rules (勾稽关系) on the numbers as stated"),
    Step(6, "narrative", ("service.narrative",),
         "facts in the prose and problems in section 五, by the backend asked for (schemas.backends)"),
    Step(7, "review", ("service.prose_checks", "service.zh", "service.lines", "service.verdict"),
         "文表不一致 checks, Chinese messages, line numbers of spans, the verdict and its counts"),
)
STEP_NAMES = frozenset(step.name for step in STEPS)

_SECTION_NAMES = {1: "一、总体情况", 2: "二、主动公开政府信息情况", 3: "三、收到和处理政府信息公开申请情况",
                  4: "四、政府信息公开行政复议、行政诉讼情况", 5: "五、存在的主要问题及改进情况",
                  6: "六、其他需要报告的事项"}
FALLBACK_VERSION = "2021"


def extract(data: bytes | str, *, source: str | None = None, narrative: NarrativeBackend | None = None,
            options: ExtractOptions | None = None, content_type: str | None = None) -> Extraction:
    """Read one report (text, or the bytes of a text, HTML, DOCX or PDF file) into an ``Extraction``.

    The format of bytes is decided by their magic bytes, ``content_type`` or the extension of ``source``.
    ``narrative`` reads the prose (the rules backend when None; the caller resolves ``options.backend`` to
    it); ``options.narrative=False`` skips that step.
    """
    options = options or ExtractOptions()
    clock = _Clock()
    result, doc = _deterministic(data, source, clock, content_type)
    if doc is not None and options.narrative:
        with clock.step("narrative"):
            out = (narrative or RulesBackend()).read(doc, options)
        _apply(result, out)
    elif not options.narrative:
        result.narrative = NarrativeUsage(backend="none", requested_backend="none")
    with clock.step("review"):
        _review(result, doc, options)
    result.timings_ms = clock.finish()
    return result


async def aextract(data: bytes | str, *, source: str | None = None, narrative: NarrativeBackend | None = None,
                   options: ExtractOptions | None = None, content_type: str | None = None) -> Extraction:
    """``extract`` for async callers: the deterministic steps in a worker thread, the narrative awaited.

    Raises what the backend raises: ``Overloaded`` when too many reports wait for the LLM, and the LLM's
    typed errors when it is required (otherwise a failed LLM reading degrades to the rules').
    """
    options = options or ExtractOptions()
    if narrative is None or type(narrative) is RulesBackend:
        # Nothing to await: the whole report in one trip to a worker thread, not one per step.
        return await anyio.to_thread.run_sync(partial(extract, data, source=source, narrative=narrative,
                                                      options=options, content_type=content_type))
    clock = _Clock()
    result, doc = await anyio.to_thread.run_sync(_deterministic, data, source, clock, content_type)
    if doc is not None and options.narrative:
        with clock.step("narrative"):
            out = await narrative.aread(doc, options)
        _apply(result, out)
    elif not options.narrative:
        result.narrative = NarrativeUsage(backend="none", requested_backend="none")
    with clock.step("review"):
        _review(result, doc, options)
    result.timings_ms = clock.finish()
    return result


def prepare(data: bytes | str, *, source: str | None = None,
            content_type: str | None = None) -> tuple[Extraction, NarrativeInput | None]:
    """Every step but the narrative, and the narrative's input (None when the text is not a report)."""
    return _deterministic(data, source, _Clock(), content_type)


class _Clock:
    """Milliseconds per step, and the total since the clock was made."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.steps: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step ``name`` (one of ``STEPS``)."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = round((time.perf_counter() - began) * 1000, 3)

    def finish(self) -> dict[str, float]:
        """The steps and the total."""
        return {**self.steps, "total": round((time.perf_counter() - self.started) * 1000, 3)}


def _deterministic(data: bytes | str, source: str | None, clock: _Clock,
                   content_type: str | None = None) -> tuple[Extraction, NarrativeInput | None]:
    """Every step but the narrative; the narrative's input when the text is a report."""
    with clock.step("decode"):
        encoding = None
        document: Document | None = None
        if isinstance(data, bytes):
            document = read_document(data, filename=source, content_type=content_type)
            text, encoding = document.text, document.encoding
        else:
            text = data
        require_text(text)
        view = normalise(text)
    with clock.step("sections"):
        sections = locate_sections(view)
    with clock.step("meta"):
        meta = read_meta(view)
        meta.encoding = encoding
        version, evidence = detect_version(view, meta.year)
    result = Extraction(source=source, meta=meta)
    if document is not None and document.format != "text":
        result.document = DocumentInfo(format=document.format, text=text, pages=document.pages)
        result.warnings += [Warning(code=n, message=_NOTES[n].format(fmt=document.format)) for n in document.notes
                            if n in _NOTES]
    if version is None:
        version = FALLBACK_VERSION
        result.warnings.append(Warning(code="version_unknown", message="neither format version shows in the "
                                       f"text; its tables were read as the {version} format"))
    else:
        meta.format_version = version  # type: ignore[assignment]
        meta.version_evidence = evidence
    result.sections = [Section(number=s.number, title=s.title, span=Span(start=s.start, end=s.end),
                               occurrences=s.occurrences) for s in sections]
    with clock.step("tables"):
        # Markup sent as text: its tags and attributes are not cells, so nothing is tokenised as a table (a
        # file or body that is markup went to the HTML reader instead: service.documents).
        markup = looks_like_markup(view) if document is None or document.format == "text" else False
        tables = read_tables("" if markup else view, [] if markup else sections, version)
        if markup:
            result.warnings.append(Warning(code="markup_as_text", message="the text is markup (HTML or XML "
                                           "tags); its tables are not read as text: send it as an HTML file"))
        if document is not None and document.grids:
            tables = _prefer_grids(tables, read_grid_tables(view, document.grids, sections, version))
        _merge_tables(result, tables)
        if document is not None and document.grids:
            _grid_refs(result, document)
    with clock.step("checks"):
        number = CellState.number  # (an enum member looked up once, not per cell)
        values = {k: (c.value if c.state == number else None) for k, c in result.cells.items()}
        result.checks = run_checks(version, values)
        _judge_completeness(result, tables)
    if not result.is_report:
        return result, None
    spans = tuple((t.span.start, t.span.end) for t in result.tables.values() if t.span is not None)
    return result, NarrativeInput(text=text, view=view, sections=sections, meta=meta, tables=spans)


_NOTES = {
    "no_table": "the {fmt} file has no table; the tables were read from its text",
    "tables_as_images": "the {fmt} file shows its tables as images, which hold no text; only numbers written "
                        "as text were read",
    "table_search_bounded": "the PDF took too long to search for tables; its later pages were read from "
                            "their text",
    "table_search_failed": "a PDF page's drawing could not be made into tables; it was read from its text",
    "pages_without_text": "some pages of the PDF have no text layer (scanned images): what they show could "
                          "not be read",
}


def _prefer_grids(text: dict[str, TableRead], grids: dict[str, TableRead]) -> dict[str, TableRead]:
    """A table read from its grid replaces the text path's reading unless the text found more of its rows (or
    as many, with fewer cells left unknown or missing)."""
    out = dict(text)
    for table, read in grids.items():
        if (read.info.rows_found, -_unread(read)) >= (text[table].info.rows_found, -_unread(text[table])):
            out[table] = read
    return out


def _unread(read: TableRead) -> int:
    return sum(1 for c in read.cells.values() if c.state in (CellState.unknown, CellState.missing))


def _grid_refs(result: Extraction, document: Document) -> None:
    """Each cell read from a grid says which table, row and column (and PDF page and box) it came from."""
    for table in ORDER:
        if result.tables[table].source != "grid":
            continue
        for key, cell in result.cells.items():
            if cell.span is None or not key.startswith(table + "."):
                continue
            hit = document.cell_at(cell.span.start)
            if hit is not None:
                index, grid, doc_cell = hit
                cell.grid = GridRef(table=index, row=doc_cell.row, col=doc_cell.col, page=grid.page,
                                    bbox=list(doc_cell.bbox) if doc_cell.bbox else None)


def _review(result: Extraction, doc: NarrativeInput | None, options: ExtractOptions) -> None:
    """文表不一致 checks (when the prose was read), Chinese messages, line numbers, verdict."""
    if doc is not None and options.narrative:
        result.checks += prose_checks(result, doc)
    # Straight into the instance dicts, as ``annotate_spans`` does: pydantic's __setattr__ costs more than the
    # sentence for ~40 checks a report, and a str needs no validation.
    for check in result.checks:
        check.__dict__["message_zh"] = check_message_zh(check)
    for warning in result.warnings:
        warning.__dict__["message_zh"] = warning_message_zh(warning)
    if doc is not None:
        annotate_spans(result, LineIndex(doc.text))
    judge(result)


def _apply(result: Extraction, out: NarrativeOutput) -> None:
    result.facts, result.problems, result.narrative = out.facts, out.problems, out.usage


def _merge_tables(result: Extraction, tables: dict[str, TableRead]) -> None:
    cells: dict[str, Cell] = {}
    for table in ORDER:
        read = tables[table]
        cells.update(read.cells)
        result.repairs += read.repairs
        result.warnings += read.warnings
        result.tables[table] = read.info
        if read.info.status == "missing":
            result.missing.append(table)
        else:
            result.missing += _compress(table, read.missing_rows, read.cells)
    result.cells = cells


def _compress(table: str, rows: list[str], cells: dict[str, Cell]) -> list[str]:
    """Missing rows as key prefixes; a group whose rows are all missing is named once ("requests.other")."""
    out: list[str] = []
    if not rows:
        return out
    present_groups = {k.split(".")[1] for k, c in cells.items() if c.state != CellState.missing}
    for row in rows:
        group = row.split(".")[0]
        name = f"{table}.{group}" if "." in row and group not in present_groups else f"{table}.{row}"
        if name not in out:
            out.append(name)
    return out


def _judge_completeness(result: Extraction, tables: dict[str, TableRead]) -> None:
    found = {s.number for s in result.sections}
    result.not_found = [_SECTION_NAMES[n] for n in range(1, 7) if n not in found]
    result.not_found += [f"{TABLE_PREFIXES[t]} ({t})" for t in ORDER if tables[t].info.status == "missing"]
    any_table = any(tables[t].info.status != "missing" for t in ORDER)
    result.is_report = any_table or len(found) >= 3
