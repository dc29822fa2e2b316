"""The ``nianbao`` command.

    nianbao extract PATH... [--flat | --csv | --excel] [--header keys|zh] [--xlsx FILE] [--lang en|zh]
                            [--fail-on failed|not_assessable] [--backend rules|llm|hybrid]
                            [--glob PATTERN] [--jobs N] [--unordered] [-o FILE [--resume]]
                            [--summary-json [FILE]]
    nianbao serve [--host HOST] [--port PORT] [--workers N] [--backend NAME] [--log-level LEVEL]
    nianbao eval [ARGS...]                     (the eval runner: ``nianbao eval --help``)
    nianbao series PATH... [--json | --csv] [--charts DIR] [--one-agency] [--backend NAME]
                                               (one agency across years: service/series/command.py)

``extract`` reads each PATH as bytes ("-" is stdin; a directory is read recursively: ``service.batch``):
a text file, a web page (.html), a Word file (.docx) or a PDF, told apart by their magic bytes or
extension. With ``--jobs N`` worker processes (default: the cores) it writes to stdout (or ``-o FILE``,
which ``--resume`` continues) one result per report, in input order (``--unordered``: as they finish): the
full result as one JSON line (default), the flat view as one JSON line (``--flat``), or a CSV row under a
header (``--csv``; ``--excel``: the same as UTF-8 with a BOM, ``--header zh``: Chinese column names).
``--xlsx FILE`` also writes the workbook (汇总, 错误清单, 表二, 表三, 表四, 自述问题); alone, it writes
nothing to stdout. A file that cannot be read, cannot be decoded or is not an annual report writes no
record; it gets one JSON line on stderr instead, ``{"source": PATH, "error": CODE, "message": ..., ...}``,
and the others go on. Exit status: 0 when every file was read, 1 when any failed, 2 for a usage or
configuration error, 3 when every file was read but, with ``--fail-on``, some report's verdict is that bad
or worse, and 130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from pydantic import ValidationError

from schemas import Extraction
from schemas.backends import BACKENDS
from service import batch
from service.config import Settings, is_loopback, open_access_refusal
from service.errors import NianbaoError
from service.export import CSV_COLUMNS, WorkbookExport, csv_header, csv_row
from service.export.csv_out import BOM
from service.narrative import NarrativeBackend
from service.narrative.factory import make_backend
from service.pool import Job, Outcome

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_VERDICT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
VERDICT_RANK = {"pass": 0, "not_assessable": 1, "failed": 2}
__all__ = ["CSV_COLUMNS", "csv_row", "main"]  # CSV_COLUMNS, csv_row: kept for old imports
_OVERRIDES = ("backend", "host", "port", "workers", "log_level")  # options that override NIANBAO_* settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["eval"]:
        return _eval(args_list[1:])  # its own argparse owns every option after "eval"
    args = _parser().parse_args(args_list)
    try:
        settings = Settings(**{k: v for k, v in vars(args).items() if k in _OVERRIDES and v is not None})
    except ValidationError as exc:
        print(f"nianbao: {'; '.join(str(e['msg']) for e in exc.errors())}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "serve":
        return _serve(settings, {k: v for k, v in vars(args).items() if k in _OVERRIDES and v is not None})
    try:
        backend = make_backend(settings.backend, settings)
    except NianbaoError as exc:
        print(f"nianbao: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    _utf8(sys.stdout)
    _utf8(sys.stderr)
    try:
        if args.command == "series":
            from service.pool import failure
            from service.series.command import run_series

            return run_series(args.paths, backend, fmt=args.format, charts=args.charts, out=sys.stdout,
                              err=sys.stderr, failure=failure, one_agency=args.one_agency)
        return _extract(args, settings, backend)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    finally:
        close = getattr(backend, "close", None)  # the LLM backends hold an HTTP client
        if callable(close):
            close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao",
                                     description="Structured data from 政府信息公开工作年度报告.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{extract,serve,eval,series}")
    ext = sub.add_parser("extract", help="read reports into JSON Lines or CSV on stdout",
                         description="Read reports (text files in UTF-8, UTF-16 or GB18030/GBK, web pages, "
                         ".docx or PDF files) into JSON Lines or CSV on stdout; failures go to stderr as JSON lines, "
                         "exit status 1.")
    ext.add_argument("paths", nargs="+", metavar="PATH",
                     help='report files, or directories read recursively ("-" reads stdin)')
    fmt = ext.add_mutually_exclusive_group()
    fmt.add_argument("--flat", dest="format", action="store_const", const="flat",
                     help="one flat JSON object per report (Extraction.to_flat)")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv",
                     help="one CSV row per report, one column per canonical key of both format versions")
    fmt.add_argument("--excel", dest="format", action="store_const", const="excel",
                     help="--csv as UTF-8 with a BOM, so that Excel/WPS read the Chinese right")
    ext.set_defaults(format=None)
    ext.add_argument("--header", choices=("keys", "zh"), default="keys",
                     help="CSV column names: canonical keys (default) or the form's Chinese labels")
    ext.add_argument("--xlsx", metavar="FILE", help="also write a workbook: 汇总, 错误清单, 表二, 表三, 表四, 自述问题 "
                     "(alone, nothing goes to stdout)")
    ext.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the failure messages")
    ext.add_argument("--fail-on", choices=("failed", "not_assessable"),
                     help="exit 3 when a report's verdict is this or worse (failed > not_assessable > pass)")
    ext.add_argument("--backend", choices=BACKENDS,
                     help="narrative backend (default: NIANBAO_BACKEND or rules)")
    ext.add_argument("--glob", action="append", default=[], metavar="PATTERN",
                     help="in directories, only files matching PATTERN (the name, or the path below the "
                     "directory when PATTERN has a '/'); repeatable")
    ext.add_argument("--jobs", "-j", type=_positive, metavar="N",
                     help="worker processes (default: the number of cores; 1 runs in this process)")
    ext.add_argument("--unordered", action="store_true",
                     help="write records as they finish, not in input order")
    ext.add_argument("-o", "--output", metavar="FILE", help="write the records to FILE (one flushed append "
                     "per record) instead of stdout")
    ext.add_argument("--resume", action="store_true",
                     help="with -o: skip the sources FILE already holds and append the others")
    ext.add_argument("--summary-json", nargs="?", const="-", metavar="FILE",
                     help="write the run's summary as JSON to FILE (no FILE: one line on stderr)")
    srv = sub.add_parser("serve", help="run the HTTP API (uvicorn)")
    srv.add_argument("--host", help="address to bind (default: NIANBAO_HOST or 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port (default: NIANBAO_PORT or 8000)")
    srv.add_argument("--workers", type=int, help="worker processes (default: NIANBAO_WORKERS or 1)")
    srv.add_argument("--backend", choices=BACKENDS,
                     help="default narrative backend (default: NIANBAO_BACKEND or rules)")
    srv.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                     help="default: NIANBAO_LOG_LEVEL or info")
    _series_parser(sub)
    sub.add_parser("eval", add_help=False, help="score extractions against the labelled samples "
                   "(options: nianbao eval --help)")
    return parser


def _series_parser(sub: Any) -> None:
    ser = sub.add_parser("series", help="one agency across years: cross-year checks, repetition, indicators",
                         description="Group reports by agency, order them by year, and report the cross-year "
                         "checks, the repetition of last year's text, the indicators per year and the gaps.")
    ser.add_argument("paths", nargs="+", metavar="PATH", help="report files or directories of them")
    fmt = ser.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="format", action="store_const", const="json",
                     help='one JSON object: {"series": [...], "unplaced": [...]}')
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv",
                     help="the indicators, one row per agency and year")
    ser.set_defaults(format="terminal")
    ser.add_argument("--charts", metavar="DIR", help="write one SVG chart per agency and indicator under DIR")
    ser.add_argument("--one-agency", action="store_true",
                     help="the reports are one agency's, whatever their titles say (a name changed by a reform)")
    ser.add_argument("--backend", choices=BACKENDS,
                     help="narrative backend (default: NIANBAO_BACKEND or rules)")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _extract(args: argparse.Namespace, settings: Settings, backend: NarrativeBackend) -> int:
    """``nianbao extract``: the batch of the PATHs (see ``service.batch``), its summary; the exit status."""
    if args.resume and not args.output:
        print("nianbao: --resume needs -o FILE (the output to resume)", file=sys.stderr)
        return EXIT_USAGE
    if args.resume and args.xlsx:
        print("nianbao: --xlsx holds the reports of one run; resume without it, then write the workbook in a "
              "run of its own", file=sys.stderr)
        return EXIT_USAGE
    fmt = record_format(args.format or ("none" if args.xlsx else "full"), args.header)
    sources = batch.discover(args.paths, args.glob, exclude=args.output)
    try:
        sink = batch.OutputFile(args.output, fmt, resume=args.resume) if args.output else \
            batch.StreamOutput(sys.stdout, fmt)
    except batch.BatchError as exc:
        print(f"nianbao: cannot resume {args.output}: {exc}; give a file this command wrote with the same "
              "output options, or another -o FILE", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"nianbao: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    book = WorkbookExport() if args.xlsx else None
    verdicts: list[str] = []

    def collect(outcome: Outcome) -> None:
        if outcome.verdict is not None:
            verdicts.append(outcome.verdict)
        if book is not None and outcome.kept is not None:  # the workbook needs the result and its text
            book.add(Extraction.model_validate_json(outcome.kept[0]), outcome.kept[1])

    job = Job(fmt, settings.backend, settings, backend=backend, lang=args.lang, keep=book is not None)
    try:
        summary = batch.run_batch(sources, job, sink, sys.stderr, jobs=args.jobs or batch.default_jobs(),
                                  unordered=args.unordered, progress=sys.stderr.isatty(), on_record=collect)
    except KeyboardInterrupt:
        rest = f"; the records so far are in {args.output}: add --resume to read only the rest" if args.output else ""
        print(f"nianbao: interrupted{rest}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sink.close()
    _report(summary, args.summary_json)
    if book is not None and not _save(book, args.xlsx):
        return EXIT_FAILED
    worst = args.fail_on is not None and any(VERDICT_RANK[v] >= VERDICT_RANK[args.fail_on] for v in verdicts)
    return EXIT_FAILED if summary.failed else EXIT_VERDICT if worst else EXIT_OK


def _report(summary: batch.Summary, summary_json: str | None) -> None:
    """The summary: a line on a terminal's stderr; JSON to a file or stderr with ``--summary-json``."""
    if sys.stderr.isatty():
        print(summary.line(), file=sys.stderr)
    if summary_json:
        text = json.dumps(summary.to_dict(), ensure_ascii=False)
        if summary_json == "-":
            print(text, file=sys.stderr, flush=True)
        else:
            with open(summary_json, "w", encoding="utf-8") as out:
                out.write(text + "\n")


def _save(book: WorkbookExport, path: str) -> bool:
    try:
        book.save(path)
    except OSError as exc:  # a bad path must not end in a traceback: one JSON line, like a failed file
        reason = exc.strerror or str(exc)
        line = {"source": path, "error": "unwritable", "message": f"cannot write {path}: {reason}"}
        print(json.dumps(line, ensure_ascii=False), file=sys.stderr, flush=True)
        return False
    return True


_JSON = json.JSONEncoder(ensure_ascii=False)  # what json.dumps(..., ensure_ascii=False) makes on every call


def _encode_full(result: Extraction) -> str:
    return _JSON.encode(result.model_dump(mode="json")) + "\n"


def _encode_flat(result: Extraction) -> str:
    return _JSON.encode(result.to_flat()) + "\n"


def _encode_csv(result: Extraction) -> str:
    return _csv_line(csv_row(result.to_flat()))


def _encode_nothing(result: Extraction) -> str:
    return ""  # --xlsx alone: the workbook is the output


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(fields)
    return buffer.getvalue()


def record_format(fmt: str, header: str = "keys") -> batch.RecordFormat:
    """How one output option writes a record (and reads it back for --resume): see ``batch.RecordFormat``."""
    if fmt in ("csv", "excel"):
        line = _csv_line(csv_header("zh" if header == "zh" else "keys"))
        return batch.RecordFormat(f"{fmt} ({header} header)", _encode_csv, kind="csv",
                                  header=(BOM if fmt == "excel" else "") + line)
    if fmt == "flat":
        return batch.RecordFormat("flat", _encode_flat, marker="meta.agency")
    if fmt == "none":
        return batch.RecordFormat("none", _encode_nothing)
    return batch.RecordFormat("full", _encode_full, marker="cells")


def _serve(settings: Settings, overrides: dict[str, Any]) -> int:
    import uvicorn

    from service.api import workers
    from service.api.transport import HTTP_PROTOCOL
    from service.logs import configure_logging, logging_config

    configure_logging(settings.log_level, settings.log_format)
    refusal = open_access_refusal(settings, settings.host)
    if refusal:
        print(f"nianbao: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    if settings.auth == "off" and not is_loopback(settings.host):
        logging.getLogger("nianbao.app").warning(
            "NIANBAO_AUTH=off: serving on %s WITHOUT API keys; anyone who reaches this address can use the "
            "service and its LLM (keep it behind the gateway)", settings.host)
    server: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "log_level": settings.log_level.lower(),
        # uvicorn applies it in every worker; the app logs each request itself (access log off).
        "log_config": logging_config(settings.log_level, settings.log_format), "access_log": False,
        # X-Forwarded-For/-Proto are believed only from these addresses (the gateway).
        "proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips,
        # The path prefix (NIANBAO_ROOT_PATH) is applied by the app itself, so that a gateway may strip it
        # or not; uvicorn's root_path would prefix every path a second time.
        # TCP_NODELAY on every connection: without it, several workers add ~40 ms per keep-alive request.
        "http": HTTP_PROTOCOL,
        # Bounds for a client that reaches the app directly (it belongs behind the gateway, which has its
        # own): connections and requests at once, idle keep-alive, and (transport.py) the request timeout.
        "limit_concurrency": settings.limit_concurrency, "timeout_keep_alive": settings.timeout_keep_alive_s,
    }
    if settings.workers == 1:
        from service.main import create_app

        uvicorn.run(create_app(settings), **server)
        return EXIT_OK
    # Each worker process builds its own app from the environment: hand it what the flags changed.
    os.environ.update({f"NIANBAO_{name.upper()}": str(value) for name, value in overrides.items()})
    if workers.SUPPORTED:  # one socket per worker: connections spread evenly (see service/api/workers.py)
        return workers.serve_workers("service.main:create_app", settings.workers, **server)
    uvicorn.run("service.main:create_app", factory=True, workers=settings.workers, **server)
    return EXIT_OK


def _eval(argv: list[str]) -> int:
    from eval.runner import main as eval_main

    return eval_main(argv)


def _utf8(stream: TextIO) -> None:
    """Results are UTF-8 whatever the locale says (a C locale would otherwise fail on Chinese)."""
    if isinstance(stream, io.TextIOWrapper) and (stream.encoding or "").lower().replace("-", "") != "utf8":
        stream.reconfigure(encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
