"""``nianbao eval`` / ``python -m eval``: run the extractor over labelled cases and score it.

In process by default, or against a running service with ``--url``. ``--backend llm|hybrid`` uses the
endpoint of NIANBAO_LLM_BASE_URL / NIANBAO_LLM_API_KEY; with ``--replay DIR`` it uses no endpoint at all
but the model answers scripted per case in DIR (see eval/replay.py), so the LLM plumbing is scored in CI.
LLM runs require the LLM (a failure is a failed case, not a silent rules reading) and bypass the cache
unless ``--use-cache``, so the cost columns are what the model really cost.

``--jobs N`` extracts in N worker processes (``service.batch``; the scores are the same for any N). As with
``nianbao extract``, progress shows on a terminal's stderr and a case that fails is one JSON line on stderr.

Exit codes: 0 all thresholds met, 1 a case failed or a threshold missed (or, with ``--fail-on-worse``, a
field worse than the baseline), 2 the run could not be set up (bad gold, unknown folder, a backend that
cannot be built, a service that cannot be reached, a case without replay answers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.text import Text

from eval.dataset import DOCUMENT_SUFFIXES, SPLITS, Case, DatasetError, decode_text, load_cases
from eval.gold_schema import validate_case
from eval.report import EvalResult, compare, render, write_reports
from eval.score import PROBLEM_THRESHOLD, CaseScore, score_case, summarise
from schemas import Extraction, ExtractOptions

if TYPE_CHECKING:
    import httpx
    import openai

    from eval.replay import ReplayTransport
    from service.narrative import NarrativeBackend

BACKENDS = ("rules", "llm", "hybrid")
THRESHOLDS = {"min_cells": "cells.accuracy", "min_facts_f1": "facts.f1", "min_problems_f1": "problems.f1"}
LLM_SETTINGS_HINT = ("set NIANBAO_LLM_BASE_URL, NIANBAO_LLM_API_KEY and NIANBAO_LLM_MODEL for an "
                     "OpenAI-compatible endpoint, or run with --backend rules")

Extractor = Callable[[Case], Extraction]


class SetupError(Exception):
    """The run cannot start; the message says what to change."""


def make_narrative(name: str) -> NarrativeBackend | None:
    """The narrative backend for the pipeline; None for rules (the pipeline's default, needs no key)."""
    if name == "rules":
        return None
    try:
        from service.config import Settings
        from service.narrative.factory import make_backend
    except ImportError as exc:
        raise SetupError(f"the {name!r} narrative backend is not available in this build ({exc}); "
                         "run with --backend rules") from exc
    try:
        return make_backend(name, Settings())  # pydantic-settings reads NIANBAO_* and .env
    except Exception as exc:  # settings validation, missing key, client construction: all a setup problem
        raise SetupError(f"cannot build the {name!r} narrative backend: {exc}; {LLM_SETTINGS_HINT}") from exc


def in_process(narrative: NarrativeBackend | None, options: ExtractOptions | None = None) -> Extractor:
    """An extractor that calls ``service.pipeline.extract`` on each case's bytes."""
    from service.pipeline import extract

    def run(case: Case) -> Extraction:
        return extract(case.data, source=case.text_path.name, narrative=narrative, options=options)
    return run


class Replay:
    """The llm or hybrid backend on a client whose transport answers from a folder of scripted replies."""

    def __init__(self, name: str, folder: Path, cases: Sequence[Case]) -> None:
        import httpx2
        import openai

        from eval.replay import REPLAY_URL, ReplayError, ReplayTransport, load_replies
        from service.config import Settings
        from service.narrative.factory import make_backend

        try:
            for case in cases:
                load_replies(folder, case.name)
        except ReplayError as exc:
            raise SetupError(str(exc)) from exc
        self.transport: ReplayTransport = ReplayTransport(folder)
        self.client: openai.AsyncOpenAI = openai.AsyncOpenAI(
            base_url=REPLAY_URL, api_key="replay", max_retries=0,
            http_client=httpx2.AsyncClient(transport=self.transport))
        # The replies are the model's; the rest (mode, budget, re-asks) is the user's configuration.
        settings = Settings(backend="rules", llm_base_url=REPLAY_URL, llm_api_key="replay", llm_model="replay",
                            llm_max_retries=1, cache_url="off")
        self.narrative = make_backend(name, settings, client=self.client)

    def extractor(self, options: ExtractOptions) -> Extractor:
        """Extract a case with its replies loaded; a case that leaves replies unasked fails."""
        inner = in_process(self.narrative, options)

        def run(case: Case) -> Extraction:
            self.transport.start(case.name)
            result = inner(case)
            self.transport.finish()
            return result
        return run

    def close(self) -> None:
        """Close the backend and the client."""
        from service.narrative.aio import IO

        _close(self.narrative)
        IO.run(self.client.close())


def _close(narrative: object) -> None:
    close = getattr(narrative, "close", None)
    if callable(close):
        close()


class ServiceExtractor:
    """An extractor that POSTs each case to a running service's ``/v1/extract``."""

    def __init__(self, url: str, backend: str, *, client: httpx.Client | None = None,
                 timeout: float = 120.0) -> None:
        import httpx

        self.url = url.rstrip("/")
        self.backend = backend
        self.client = client or httpx.Client(timeout=timeout)

    def __call__(self, case: Case) -> Extraction:
        """The service's extraction of one case; an HTTP error status raises RuntimeError with its body."""
        import httpx

        try:
            if case.text_path.suffix.lower() in DOCUMENT_SUFFIXES:  # the file itself, as a user uploads it
                response = self.client.post(f"{self.url}/v1/extract", files={"file": (case.text_path.name, case.data)},
                                            data={"backend": self.backend})
            else:
                payload = {"text": decode_text(case.data), "source": case.text_path.name, "backend": self.backend}
                response = self.client.post(f"{self.url}/v1/extract", json=payload)
        except httpx.TransportError as exc:
            raise SetupError(f"cannot reach the service at {self.url} ({exc}); start it with "
                             "`nianbao serve` or check --url") from exc
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
        return Extraction.model_validate(response.json())


Outcome = tuple[Case, Extraction | None, dict[str, Any] | None, float]  # case, result or failure, seconds


def sequential(cases: Sequence[Case], extractor: Extractor) -> Iterator[Outcome]:
    """Each case through ``extractor``, one after the other (a service, replayed answers, one job)."""
    from service.pool import failure

    for case in cases:
        started = time.perf_counter()
        try:
            yield case, extractor(case), None, time.perf_counter() - started
        except SetupError:
            raise
        except Exception as exc:  # one bad case must not hide the scores of the others
            yield case, None, failure(case.text_path.name, exc), time.perf_counter() - started


def parallel(cases: Sequence[Case], backend: str, options: ExtractOptions, jobs: int) -> Iterator[Outcome]:
    """The cases extracted in process by ``jobs`` worker processes (``service.batch``), in case order."""
    from service.batch import RecordFormat
    from service.config import Settings
    from service.pool import Job, outcomes

    try:
        settings = Settings()
    except Exception as exc:  # settings validation: a setup problem, as for make_narrative
        raise SetupError(f"invalid NIANBAO_* settings: {exc}") from exc
    job = Job(RecordFormat("full", _dump_json), backend, settings, options=options, require_report=False)
    tasks = [(i, case.text_path.name, case.data) for i, case in enumerate(cases)]
    for outcome in outcomes(tasks, job, jobs):
        case = cases[outcome.index]
        if outcome.record is None:
            yield case, None, json.loads(outcome.failure or "{}"), outcome.seconds
        else:
            yield case, Extraction.model_validate_json(outcome.record), None, outcome.seconds


def _dump_json(result: Extraction) -> str:
    return result.model_dump_json()


def run(cases: Sequence[Case], extractor: Extractor | Iterator[Outcome], *, backend: str, url: str | None = None,
        console: Console | None = None, problem_threshold: float = PROBLEM_THRESHOLD,
        err: TextIO | None = None) -> EvalResult:
    """Extract and score every case; a case that fails is scored as an empty result.

    ``extractor`` is called on each case in turn, or is the outcomes of ``parallel``. Progress shows on
    stderr when it is a terminal; each failure is one JSON line on ``err`` (stderr), as for ``nianbao extract``.
    """
    from service.progress import Display

    console = console or Console(stderr=True)
    err = err or sys.stderr
    scores: list[CaseScore] = []
    done = sequential(cases, extractor) if callable(extractor) else extractor
    failed = 0
    show = not console.quiet and console.is_terminal and err.isatty()
    with Display(err, total=len(cases), enabled=show, description="cases") as display:
        for case, pred, error, seconds in done:
            if error is not None:
                failed += 1
                display.failure(json.dumps({**error, "case": case.name}, ensure_ascii=False))
            scores.append(score_case(case.name, case.gold, pred, seconds=seconds,
                                     error=f"{error['error']}: {error['message']}" if error else None,
                                     problem_threshold=problem_threshold))
            display.advance(failed=failed)
    return EvalResult(backend=backend, url=url, scores=scores, summary=summarise(scores))


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share; give a number from 0 to 1 (0.95 = 95%)")
    return value


def _jobs(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of jobs")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``nianbao eval``."""
    p = argparse.ArgumentParser(prog="nianbao eval", description="Score the extractor on labelled reports.")
    p.add_argument("--backend", choices=BACKENDS, default="rules", help="narrative backend (default: rules)")
    p.add_argument("--url", help="score a running service (POST {url}/v1/extract), not the code in process")
    p.add_argument("--cases", action="append", type=Path, metavar="DIR",
                   help="folder of labelled cases (gold/ + samples/, or *.json beside their texts); "
                        "repeatable; default: the folders of --split")
    p.add_argument("--split", choices=tuple(SPLITS), default="default",
                   help="default: eval/ samples and eval/cases (tables and narrative); corpus: eval/corpus/cases "
                        "(narrative only: facts and problems)")
    p.add_argument("-k", "--only", metavar="TEXT", help="only the cases whose name contains TEXT")
    p.add_argument("--out", type=Path, metavar="DIR", help="write eval.json and eval.md into DIR")
    p.add_argument("--baseline", type=Path, metavar="FILE", help="an earlier eval.json to compare with")
    p.add_argument("--fail-on-worse", action="store_true",
                   help="exit 1 when a field or metric is worse than the baseline")
    p.add_argument("--min-cells", type=_share, metavar="SHARE", help="minimum cell accuracy over all cases")
    p.add_argument("--min-facts-f1", type=_share, metavar="SHARE", help="minimum facts F1")
    p.add_argument("--min-problems-f1", type=_share, metavar="SHARE", help="minimum problems F1")
    p.add_argument("--problem-threshold", type=_share, default=PROBLEM_THRESHOLD, metavar="SHARE",
                   help=f"similarity needed to match a problem (default {PROBLEM_THRESHOLD})")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request with --url")
    p.add_argument("--replay", type=Path, metavar="DIR",
                   help="with --backend llm|hybrid: answer the model's calls from DIR/<case>.json (no endpoint)")
    p.add_argument("--use-cache", action="store_true",
                   help="let LLM readings come from the cache (default: every case is asked afresh)")
    p.add_argument("--jobs", "-j", type=_jobs, metavar="N",
                   help="extract in N worker processes (default: the cores; in process with 1, --url or --replay)")
    return p


def missed_thresholds(summary: dict[str, float | int | None], thresholds: dict[str, float]) -> list[str]:
    """A message per metric below its threshold."""
    return [f"{metric} is {summary.get(metric)} < {minimum}" for metric, minimum in thresholds.items()
            if (summary.get(metric) or 0) < minimum]


def load_checked_cases(folders: Sequence[Path], only: str | None) -> list[Case]:
    """The cases to score, each gold validated against its text; SetupError lists every broken label."""
    try:
        cases = load_cases(folders, only=only)
    except DatasetError as exc:
        raise SetupError(str(exc)) from exc
    if not cases:
        where = ", ".join(map(str, folders)) + (f" matching {only!r}" if only else "")
        raise SetupError(f"no labelled cases in {where}; add *.json gold files beside their texts")
    errors = [f"{c.gold_path}: {e}" for c in cases for e in validate_case(c.gold, c.text, c.text_path.name)]
    if errors:
        raise SetupError("invalid gold labels; fix them (see labelling.md):\n  " + "\n  ".join(errors))
    return cases


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``nianbao eval`` and ``python -m eval``; returns the exit code."""
    args = build_parser().parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=160)
    thresholds = {THRESHOLDS[name]: v for name in THRESHOLDS if (v := getattr(args, name)) is not None}
    options = ExtractOptions(llm_required=args.backend != "rules", use_cache=args.use_cache)
    narrative: NarrativeBackend | Replay | None = None
    try:
        if args.replay and (args.backend == "rules" or args.url):
            raise SetupError("--replay needs --backend llm or hybrid, in process (not with --url)")
        cases = load_checked_cases(args.cases or list(SPLITS[args.split]), args.only)
        baseline = _load_baseline(args.baseline) if args.baseline else None
        if args.url:
            extractor: Extractor = ServiceExtractor(args.url, args.backend, timeout=args.timeout)
        elif args.replay:
            narrative = Replay(args.backend, args.replay, cases)
            extractor = narrative.extractor(options)
        else:
            narrative = make_narrative(args.backend)  # also checks the backend can be built, before forking
            extractor = in_process(narrative, options)
        jobs = min(args.jobs or _cores(), len(cases))
        source: Extractor | Iterator[Outcome] = extractor
        if jobs > 1 and not (args.url or args.replay):
            source = parallel(cases, args.backend, options, jobs)
        started = time.perf_counter()
        result = run(cases, source, backend=args.backend, url=args.url, console=console,
                     problem_threshold=args.problem_threshold)
    except SetupError as exc:
        console.print(Text("error: ", style="red") + Text(str(exc)))
        return 2
    finally:
        _close(narrative)
    result.thresholds = thresholds
    errors = result.summary.get("errors") or 0
    seconds = time.perf_counter() - started
    comparison = compare(result.to_dict(), baseline) if baseline is not None else None
    render(result, console, comparison)
    console.print(Text(f"{len(cases)} cases: {len(cases) - int(errors)} read, {errors} failed; {seconds:.1f} s, "
                       f"{jobs} jobs"))
    if args.out:
        paths = write_reports(result, args.out, comparison)
        console.print(Text(f"wrote {paths[0]} and {paths[1]}"))
    missed = missed_thresholds(result.summary, thresholds)
    for message in missed:
        console.print(Text("threshold missed: ", style="red") + Text(message))
    if comparison is not None and args.fail_on_worse and comparison.regressed:
        console.print(Text(f"worse than the baseline {args.baseline}", style="red"))
        return 1
    return 1 if missed or errors else 0


def _cores() -> int:
    from service.batch import default_jobs

    return default_jobs()


def _load_baseline(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SetupError(f"cannot read the baseline {path} ({exc}); give an eval.json written by --out"
                         ) from exc
    if not isinstance(data, dict) or "summary" not in data:
        raise SetupError(f"{path} is not an eval.json (no summary); give a file written by --out")
    return data
