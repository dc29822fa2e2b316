"""The workers of a batch: each source extracted in process, or by a pool of worker processes.

A worker reads its file, extracts it and returns the record already serialised (a line of text), so only
short strings cross between processes; tasks go out in chunks to amortise the pipe. Outcomes arrive as they
finish and are put back in input order unless the caller wants them unordered.

A worker that dies (killed by the OOM killer, a crash in a C extension) breaks the pool. The sources it may
have held are then read again one at a time in a fresh pool, so the one that kills its worker is known: it
fails with ``worker_died`` and every other source still gets its record.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemas import Extraction, ExtractOptions
from service.config import Settings
from service.errors import NianbaoError
from service.gate import require_report
from service.narrative import NarrativeBackend
from service.narrative.factory import make_backend
from service.pipeline import extract
from service.text import decode
from service.zh import error_zh

if TYPE_CHECKING:
    from service.batch import RecordFormat

WORKER_DIED = "worker_died"
CHUNK = 16  # tasks per chunk at most: amortises the pipe, small enough to spread the work and the losses
WINDOW = 4  # chunks in flight per worker: keeps them busy, bounds what waits to be put in order


def failure(source: str, exc: BaseException, lang: str = "en") -> dict[str, Any]:
    """The stderr line of a source that failed: its code, what to do (in ``lang``), and the error's details."""
    line = _failure_en(source, exc)
    if lang == "zh":
        line["message_en"] = line["message"]
        line["message"] = error_zh(line["error"], line)[1]
    return line


def _failure_en(source: str, exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, NianbaoError):
        line: dict[str, Any] = {"source": source, "error": exc.code, "message": exc.message}
        for key, value in exc.detail.items():
            line.setdefault(key, value)  # details add to the three fixed members, never replace them
        return line
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return {"source": source, "error": "unreadable", "message": f"cannot read {source}: {reason}"}
    return {"source": source, "error": "internal_error", "message": f"{type(exc).__name__}: {exc}"}


@dataclass(frozen=True)
class Outcome:
    """One source done: its record, or its failure line and error code; the seconds it took."""

    index: int
    source: str
    record: str | None = None
    failure: str | None = None
    code: str | None = None
    seconds: float = 0.0
    verdict: str | None = None
    kept: tuple[str, str] | None = None  # with ``Job.keep``: the full result as JSON, and its text


@dataclass(frozen=True)
class Job:
    """What each worker does with a source: extract with this backend and options, encode with ``fmt``.

    Workers build their own backend from ``backend_name`` and ``settings``; ``backend`` is the one used in
    process (one job). ``require_report`` makes a text that is not a report a failure (``not_a_report``);
    ``lang`` is the language of the failure messages; ``keep`` also returns each result and its text (for a
    workbook, which the parent writes).
    """

    fmt: RecordFormat
    backend_name: str
    settings: Settings
    backend: NarrativeBackend | None = None
    options: ExtractOptions | None = None
    require_report: bool = True
    lang: str = "en"
    keep: bool = False


Task = tuple[int, str, bytes | None]  # index, source, and its bytes when the parent has them (stdin, eval)
_job: list[Job] = []  # per process: the job ``_work`` does (set in process, or by the worker's initializer)


def _init_worker(job: Job) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    _job[:] = [replace(job, backend=make_backend(job.backend_name, job.settings))]


def _work(task: Task) -> Outcome:
    index, source, data = task
    (job,) = _job
    started = time.perf_counter()
    try:
        raw = data if data is not None else Path(source).read_bytes()
        result = extract(raw, source=source, narrative=job.backend, options=job.options)
        record = job.fmt.encode(require_report(result) if job.require_report else result)
        kept = (result.model_dump_json(), _text_of(result, raw)) if job.keep else None
        return Outcome(index, source, record=record, seconds=time.perf_counter() - started,
                       verdict=result.verdict, kept=kept)
    except Exception as exc:  # one bad file must not stop the others
        return _failed(index, source, failure(source, exc, job.lang), time.perf_counter() - started)


def _text_of(result: Extraction, data: bytes) -> str:
    """The text the result's spans point into: the document's extracted text, else the decoded bytes."""
    if result.document is not None and result.document.text is not None:
        return result.document.text
    return decode(data)[0]


def _work_chunk(tasks: list[Task]) -> list[Outcome]:
    return [_work(task) for task in tasks]


def _failed(index: int, source: str, line: dict[str, Any], seconds: float = 0.0) -> Outcome:
    return Outcome(index, source, failure=json.dumps(line, ensure_ascii=False), code=line["error"], seconds=seconds)


def outcomes(todo: Sequence[Task], job: Job, jobs: int, *, unordered: bool = False) -> Iterator[Outcome]:
    """The outcome of every task: in process when ``jobs`` is 1, else from ``jobs`` worker processes."""
    if jobs <= 1 or len(todo) <= 1:
        _job[:] = [job]
        yield from map(_work, todo)
        return
    done = _pooled(todo, replace(job, backend=None), jobs)  # the workers build their own backend
    yield from done if unordered else _in_order(done, [t[0] for t in todo])


def _in_order(done: Iterable[Outcome], order: Sequence[int]) -> Iterator[Outcome]:
    """``done`` (in any order) put back in ``order``; waits only for what the window holds in flight."""
    waiting: dict[int, Outcome] = {}
    position = 0
    for outcome in done:
        waiting[outcome.index] = outcome
        while position < len(order) and order[position] in waiting:
            yield waiting.pop(order[position])
            position += 1


def _pooled(todo: Sequence[Task], job: Job, jobs: int) -> Iterator[Outcome]:
    """Outcomes as they finish; after a worker died, its possible sources one at a time (see module doc)."""
    size = max(1, min(CHUNK, len(todo) // (jobs * 8)))
    queue: deque[list[Task]] = deque(list(todo[i:i + size]) for i in range(0, len(todo), size))
    suspects: deque[Task] = deque()
    # fork: the workers start with every module already imported, in milliseconds (spawn re-imports them).
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    while queue or suspects:
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(job,)) as pool:
            inflight: dict[Future[list[Outcome]], list[Task]] = {}
            solo: Future[list[Outcome]] | None = None  # a suspect runs alone: a death then is its own
            broken = False
            try:
                while not broken and (queue or suspects or inflight):
                    if suspects and not inflight:
                        chunk = [suspects.popleft()]
                        solo = pool.submit(_work_chunk, chunk)
                        inflight[solo] = chunk
                    while solo is None and not suspects and queue and len(inflight) < jobs * WINDOW:
                        chunk = queue.popleft()
                        inflight[pool.submit(_work_chunk, chunk)] = chunk
                    finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for future in finished:
                        chunk = inflight.pop(future)
                        alone, solo = future is solo, (None if future is solo else solo)
                        try:
                            yield from future.result()
                        except BrokenProcessPool:
                            broken = True
                            if alone:
                                yield _died(chunk[0], job.lang)
                            else:
                                suspects.extend(chunk)
                for chunk in inflight.values():  # after a break: they went down with the pool
                    suspects.extend(chunk)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C, a closed stdout: stop at once
                raise


def _died(task: Task, lang: str) -> Outcome:
    index, source, _ = task
    line = {"source": source, "error": WORKER_DIED, "message": f"the worker process reading {source} died (out "
            "of memory, or a crash); the other sources were read"}
    if lang == "zh":
        line["message_en"], line["message"] = line["message"], error_zh(WORKER_DIED, line)[1]
    return _failed(index, source, line)
