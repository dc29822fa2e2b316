"""The pipeline, in the order a reader follows it:

    decode → normalise → sections → meta & version → tables → checks → narrative → result

``extract`` is the entry point of the CLI and the eval harness; ``aextract`` is the same for async callers
(the HTTP API): the CPU-bound steps run in a worker thread, so the event loop stays free.
"""

from __future__ import annotations

from functools import partial

import anyio.to_thread

from schemas import Cell, CellState, Extraction, Section, Span, Warning
from schemas.keys import TABLE_PREFIXES
from service.checks import run_checks
from service.meta import read_meta
from service.narrative import NarrativeBackend, NarrativeInput
from service.narrative.rules import RulesBackend
from service.sections import locate_sections
from service.tables import ORDER, TableRead, read_tables
from service.text import decode, normalise, require_text
from service.version import detect_version

_SECTION_NAMES = {1: "一、总体情况", 2: "二、主动公开政府信息情况", 3: "三、收到和处理政府信息公开申请情况",
                  4: "四、政府信息公开行政复议、行政诉讼情况", 5: "五、存在的主要问题及改进情况",
                  6: "六、其他需要报告的事项"}
FALLBACK_VERSION = "2021"


def extract(data: bytes | str, *, source: str | None = None,
            narrative: NarrativeBackend | None = None) -> Extraction:
    """Read one report (bytes in any supported encoding, or text) into an ``Extraction``."""
    encoding = None
    if isinstance(data, bytes):
        text, encoding = decode(data)
    else:
        text = data
    require_text(text)
    view = normalise(text)
    sections = locate_sections(view)
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
    tables = read_tables(view, sections, version)
    _merge_tables(result, tables)
    values = {k: (c.value if c.state == CellState.number else None) for k, c in result.cells.items()}
    result.checks = run_checks(version, values)
    _judge_completeness(result, tables)
    if result.is_report:
        backend = narrative or RulesBackend()
        spans = tuple((t.span.start, t.span.end) for t in result.tables.values() if t.span is not None)
        out = backend.read(NarrativeInput(text=text, view=view, sections=sections, meta=meta, tables=spans))
        result.facts, result.problems, result.narrative = out.facts, out.problems, out.usage
    return result


async def aextract(data: bytes | str, *, source: str | None = None,
                   narrative: NarrativeBackend | None = None) -> Extraction:
    """``extract`` for async callers: runs in a worker thread."""
    return await anyio.to_thread.run_sync(partial(extract, data, source=source, narrative=narrative))


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
