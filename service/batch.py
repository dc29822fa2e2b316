"""Corpus-scale extraction: many files, all cores, records in order, resumable output, progress and summary.

    sources → tasks → (in process | a pool of forked workers) → records in input (or completion) order → sink

``discover`` turns PATH arguments into sources (directories walked recursively, sorted, filtered by globs).
``run_batch`` extracts each source not yet in the output with ``service.pool`` (in process with one job,
otherwise worker processes that return each record already serialised); the records are the same for any
number of jobs. ``OutputFile`` appends one record per ``write`` call; with ``resume`` it first reads back
(``scan``) the sources the file holds and drops a torn last record, so a killed run resumed gives exactly
the records of an uninterrupted one.
"""

from __future__ import annotations

import csv
import fnmatch
import gc
import json
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from schemas import Extraction
from service.gate import require_report
from service.pipeline import extract
from service.pool import Job, Outcome, Task, failure, outcomes

STDIN = "-"


class BatchError(Exception):
    """The batch cannot start as asked (an output file to resume that is not ours); a usage error."""


# ---- sources ------------------------------------------------------------------------------------------

def discover(paths: Sequence[str], globs: Sequence[str] = (), *, exclude: str | None = None) -> list[str]:
    """The sources of PATH arguments: files as given, directories walked recursively in sorted order.

    A directory contributes its regular files whose name does not start with "." and, when ``globs`` are
    given, that match one of them (a pattern with "/" is matched against the path below the directory,
    otherwise against the file name). Files named directly are always taken. ``exclude`` (the output file)
    is never a source, and a source named twice is read once.
    """
    skip = _identity(exclude) if exclude else None
    seen: set[str] = set()
    out: list[str] = []
    for path in paths:
        found = _walk(path, globs) if path != STDIN and os.path.isdir(path) else [path]
        for source in found:
            if source in seen or (skip is not None and _identity(source) == skip):
                continue
            seen.add(source)
            out.append(source)
    return out


def _walk(root: str, globs: Sequence[str]) -> list[str]:
    found: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if globs and not any(fnmatch.fnmatchcase(rel if "/" in g else name, g) for g in globs):
                continue
            if os.path.isfile(full):
                found.append((rel, full))
    return [full for _, full in sorted(found)]  # sorted by the path below the root: the same on any disk


def _identity(path: str) -> tuple[int, int] | str:
    try:
        st = os.stat(path)
    except OSError:
        return os.path.abspath(path)
    return (st.st_dev, st.st_ino)


# ---- records ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordFormat:
    """How one result becomes one record of the output, and how a record is read back on resume.

    ``encode`` must be a module-level function (worker processes find it by name); its text ends with a
    newline. ``kind`` says how records are split: ``jsonl`` (one JSON object a line, whose ``marker`` key
    shows it is this format's) or ``csv`` (rows under ``header``, the source in the first column).
    """

    name: str
    encode: Callable[[Extraction], str]
    kind: Literal["jsonl", "csv"] = "jsonl"
    header: str = ""
    marker: str = "source"


def read_report(data: bytes, source: str) -> dict[str, Any]:
    """One report's flat view, or its failure line (with ``error``): a pure function of the bytes.

    What a Dask bag or Ray Data ``map`` over a corpus calls (README, "A corpus beyond one machine").
    """
    try:
        return require_report(extract(data, source=source)).to_flat()
    except Exception as exc:  # a record per source, whatever happens to it
        return failure(source, exc)


# ---- output -------------------------------------------------------------------------------------------

class OutputFile:
    """``-o FILE``: one ``write`` call per record, each flushed to the OS at once.

    A killed process leaves whole records plus at most one torn last record, which ``resume`` drops.
    """

    def __init__(self, path: str, fmt: RecordFormat, *, resume: bool) -> None:
        self.path, self.fmt = path, fmt
        self.done: set[str] = set()
        keep = 0
        if resume and os.path.exists(path):
            with open(path, "rb") as existing:
                keep, sources = scan(existing, fmt)
            self.done = set(sources)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
        self._regular = stat.S_ISREG(os.fstat(self._fd).st_mode)  # not /dev/null or a pipe
        if self._regular:
            os.ftruncate(self._fd, keep)  # fresh, or the torn tail cut off
            os.lseek(self._fd, keep, os.SEEK_SET)
        if keep == 0 and fmt.header:
            self._put(fmt.header)

    def write(self, record: str) -> None:
        """Append one record."""
        self._put(record)

    def _put(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(self._fd, data):]

    def close(self) -> None:
        """Flush to disk and close."""
        if self._regular:
            os.fsync(self._fd)
        os.close(self._fd)


class StreamOutput:
    """Records to a text stream (stdout), flushed per record."""

    def __init__(self, stream: TextIO, fmt: RecordFormat) -> None:
        self.stream, self.done = stream, set[str]()
        if fmt.header:
            self.write(fmt.header)

    def write(self, record: str) -> None:
        """Write one record."""
        self.stream.write(record)
        self.stream.flush()

    def close(self) -> None:
        """Nothing to close: the stream is the caller's."""


def scan(lines: Iterable[bytes], fmt: RecordFormat) -> tuple[int, list[str]]:
    """The byte length of the whole records in a file (its lines, as bytes) and their sources.

    A torn last record (no newline at its end: the run was killed while writing it) is left out. Raises
    ``BatchError`` when the file is not this format's output, so that it is never appended to. Streams:
    a file of 10,000 full results is never in memory at once.
    """
    return _scan_csv(iter(lines), fmt) if fmt.kind == "csv" else _scan_jsonl(lines, fmt)


def _scan_jsonl(lines: Iterable[bytes], fmt: RecordFormat) -> tuple[int, list[str]]:
    end, sources = 0, []
    for number, line in enumerate(lines, 1):
        if not line.endswith(b"\n"):
            break  # torn: dropped
        try:
            record = json.loads(line)
        except ValueError:  # UnicodeDecodeError included
            record = None
        if not isinstance(record, dict) or fmt.marker not in record or not isinstance(record.get("source"), str):
            raise BatchError(f"line {number} is not a record of the {fmt.name} output")
        sources.append(record["source"])
        end += len(line)
    return end, sources


def _scan_csv(lines: Iterator[bytes], fmt: RecordFormat) -> tuple[int, list[str]]:
    header = fmt.header.encode("utf-8")
    first = next(lines, b"")
    if first != header:
        if header.startswith(first):
            return 0, []  # empty, or killed while writing the header
        raise BatchError(f"its header is not the {fmt.name} header of these options")
    width = len(next(csv.reader([fmt.header])))
    consumed, whole = len(header), True  # bytes read so far; whether the last line read ended with a newline

    def text() -> Iterator[str]:
        nonlocal consumed, whole
        for line in lines:  # a row may span lines (a newline inside a quoted field)
            consumed, whole = consumed + len(line), line.endswith(b"\n")
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError as exc:
                if whole:
                    raise BatchError("it is not UTF-8 text") from exc
                return  # a torn last line can end inside a character

    end, sources = len(header), []
    for number, row in enumerate(csv.reader(text()), 1):
        if len(row) != width or not whole:
            if not whole:
                break  # torn by a kill: dropped
            raise BatchError(f"row {number} does not have the {width} columns of the header")
        end = consumed
        sources.append(row[0])
    return end, sources


# ---- the run ------------------------------------------------------------------------------------------

@dataclass
class Summary:
    """What a batch did: sources seen, skipped (resume), read, failed by error code, and seconds."""

    reports: int = 0
    skipped: int = 0
    read: int = 0
    failed: int = 0
    failed_by_code: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    jobs: int = 1

    def add_failure(self, code: str | None) -> None:
        """Count one failure under its error code."""
        self.failed += 1
        self.failed_by_code[code or "internal_error"] += 1

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data (``--summary-json``)."""
        done = self.read + self.failed
        return {"reports": self.reports, "skipped": self.skipped, "read": self.read, "failed": self.failed,
                "failed_by_code": dict(sorted(self.failed_by_code.items())), "seconds": round(self.seconds, 3),
                "reports_per_second": round(done / self.seconds, 1) if self.seconds > 0 else None,
                "jobs": self.jobs}

    def line(self) -> str:
        """One line for a person."""
        codes = ", ".join(f"{code} {n}" for code, n in sorted(self.failed_by_code.items()))
        rate = self.to_dict()["reports_per_second"]
        return (f"{self.reports} reports: {self.read} read, {self.failed} failed"
                + (f" ({codes})" if codes else "") + (f", {self.skipped} skipped (already in the output)"
                                                      if self.skipped else "")
                + f"; {self.seconds:.1f} s" + (f", {rate} reports/s" if rate else "") + f", {self.jobs} jobs")


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_batch(sources: Sequence[str], job: Job, sink: OutputFile | StreamOutput, err: TextIO, *, jobs: int,
              unordered: bool = False, progress: bool = False,
              on_record: Callable[[Outcome], None] | None = None) -> Summary:
    """Extract every source not already in ``sink``, writing records to it and failures to ``err``.

    ``on_record`` sees each source that was read, after its record is written (verdicts, a workbook).
    """
    from service.progress import Display

    started = time.perf_counter()
    todo: list[Task] = []
    for index, source in enumerate(sources):
        if source not in sink.done:
            todo.append((index, source, sys.stdin.buffer.read() if source == STDIN else None))
    jobs = max(1, min(jobs, len(todo)))
    summary = Summary(reports=len(sources), skipped=len(sources) - len(todo), jobs=jobs)
    with collector_tuned(), Display(err, total=len(todo), enabled=progress) as display:
        for outcome in outcomes(todo, job, jobs, unordered=unordered):
            if outcome.record is not None:
                sink.write(outcome.record)
                summary.read += 1
                if on_record is not None:
                    on_record(outcome)
            else:
                summary.add_failure(outcome.code)
                display.failure(outcome.failure or "")
            display.advance(failed=summary.failed)
    summary.seconds = time.perf_counter() - started
    return summary


@contextmanager
def collector_tuned() -> Iterator[None]:
    """The objects that exist before the batch frozen: ~8 % of a report's time went to collecting.

    Modules, pydantic's schemas, prompts and compiled patterns are made once and kept, yet the cyclic
    collector walked them all in every full collection; frozen, it skips them (and forked workers keep
    sharing their memory pages). Unfrozen afterwards, so a caller's later garbage is collected as before.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
