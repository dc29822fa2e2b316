"""The pipeline, in the order a reader follows it:

    decode → normalise → sections → meta & version → tables → checks → narrative → review → result

The review step (after the narrative, whose facts it needs) adds the 文表不一致 checks, the Chinese
messages, the spans' line numbers, and the verdict with its counts.

``extract`` is the entry point of the CLI and the eval harness. ``aextract`` is the same for async callers
(the HTTP API): the deterministic steps (CPU work) run in a worker thread, then the narrative backend is
awaited, so many reports can wait on the LLM at once while the event loop stays free. Both record the
milliseconds of each step in ``Extraction.timings_ms``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import anyio.to_thread

from schemas import Cell, CellState, Extraction, ExtractOptions, NarrativeUsage, Section, Span, Warning
from schemas.keys import TABLE_PREFIXES
from service.checks import run_checks
from service.lines import LineIndex, annotate_spans
from service.meta import read_meta
from service.narrative import NarrativeBackend, NarrativeInput, NarrativeOutput
from service.narrative.rules import RulesBackend
from service.prose_checks import prose_checks
from service.sections import locate_sections
from service.tables import ORDER, TableRead, read_tables
from service.text import decode, normalise, require_text
from service.verdict import judge
from service.version import detect_version
from service.zh import check_message_zh, warning_message_zh

_SECTION_NAMES = {1: "一、总体情况", 2: "二、主动公开政府信息情况", 3: "三、收到和处理政府信息公开申请情况",
                  4: "四、政府信息公开行政复议、行政诉讼情况", 5: "五、存在的主要问题及改进情况",
                  6: "六、其他需要报告的事项"}
FALLBACK_VERSION = "2021"


def extract(data: bytes | str, *, source: str | None = None, narrative: NarrativeBackend | None = None,
            options: ExtractOptions | None = None) -> Extraction:
    """Read one report (bytes in any supported encoding, or text) into an ``Extraction``.

    ``narrative`` reads the prose (the rules backend when None; the caller resolves ``options.backend`` to
    it); ``options.narrative=False`` skips that step.
    """
    options = options or ExtractOptions()
    clock = _Clock()
    result, doc = _deterministic(data, source, clock)
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
                   options: ExtractOptions | None = None) -> Extraction:
    """``extract`` for async callers: the deterministic steps in a worker thread, the narrative awaited.

    Raises what the backend raises: ``Overloaded`` when too many reports wait for the LLM, and the LLM's
    typed errors when it is required (otherwise a failed LLM reading degrades to the rules').
    """
    options = options or ExtractOptions()
    if narrative is None or type(narrative) is RulesBackend:
        # Nothing to await: the whole report in one trip to a worker thread, not one per step.
        return await anyio.to_thread.run_sync(partial(extract, data, source=source, narrative=narrative,
                                                      options=options))
    clock = _Clock()
    result, doc = await anyio.to_thread.run_sync(_deterministic, data, source, clock)
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


def prepare(data: bytes | str, *, source: str | None = None) -> tuple[Extraction, NarrativeInput | None]:
    """Every step but the narrative, and the narrative's input (None when the text is not a report)."""
    return _deterministic(data, source, _Clock())


class _Clock:
    """Milliseconds per step, and the total since the clock was made."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.steps: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step ``name``."""
        began = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = round((time.perf_counter() - began) * 1000, 3)

    def finish(self) -> dict[str, float]:
        """The steps and the total."""
        return {**self.steps, "total": round((time.perf_counter() - self.started) * 1000, 3)}


def _deterministic(data: bytes | str, source: str | None, clock: _Clock) -> tuple[Extraction, NarrativeInput | None]:
    """Every step but the narrative; the narrative's input when the text is a report."""
    with clock.step("decode"):
        encoding = None
        if isinstance(data, bytes):
            text, encoding = decode(data)
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
        tables = read_tables(view, sections, version)
        _merge_tables(result, tables)
    with clock.step("checks"):
        values = {k: (c.value if c.state == CellState.number else None) for k, c in result.cells.items()}
        result.checks = run_checks(version, values)
        _judge_completeness(result, tables)
    if not result.is_report:
        return result, None
    spans = tuple((t.span.start, t.span.end) for t in result.tables.values() if t.span is not None)
    return result, NarrativeInput(text=text, view=view, sections=sections, meta=meta, tables=spans)


def _review(result: Extraction, doc: NarrativeInput | None, options: ExtractOptions) -> None:
    """文表不一致 checks (when the prose was read), Chinese messages, line numbers, verdict."""
    if doc is not None and options.narrative:
        result.checks += prose_checks(result, doc)
    for check in result.checks:
        check.message_zh = check_message_zh(check)
    for warning in result.warnings:
        warning.message_zh = warning_message_zh(warning)
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
